"""The webhook half of cod-remittance: a JSON batch or the panel's CSV export, validated whole
(nothing is queued when any line is wrong), then one message per batch."""

from __future__ import annotations

import json

from shipsync.domain.remittance import ColumnMapping, InvalidRemittance, RemittanceBatch, parse_batch, parse_csv_batches
from shipsync.services.webhooks import WebhookRejected, check_size


def parse_remittance_upload(
    body: str | None, content_type: str | None, *, max_bytes: int, csv_mapping: str = ""
) -> list[RemittanceBatch]:
    if body is None or not body.strip():
        raise WebhookRejected(400, "empty body", "body")
    check_size(body, max_bytes)
    try:
        if "csv" in (content_type or "").lower():
            mapping = ColumnMapping.from_json(csv_mapping) if csv_mapping else None
            return parse_csv_batches(body, mapping)
        try:
            document = json.loads(body)
        except json.JSONDecodeError as err:
            raise WebhookRejected(400, f"malformed JSON: {err.msg} at position {err.pos}", "body") from None
        return [parse_batch(document)]
    except InvalidRemittance as err:
        raise WebhookRejected(400, str(err), err.field) from None
