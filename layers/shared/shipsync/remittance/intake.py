"""The webhook half of cod-remittance: a JSON batch or the panel's CSV export, validated whole
(nothing is queued when any line is wrong), then one message per batch."""

from __future__ import annotations

from shipsync.remittance.batches import InvalidRemittance, RemittanceBatch, parse_batch
from shipsync.remittance.csv_upload import ColumnMapping, parse_csv_batches
from shipsync.routes import WebhookRejected, load_json, require_body


def parse_remittance_upload(
    body: str | None, content_type: str | None, *, max_bytes: int, csv_mapping: str = ""
) -> list[RemittanceBatch]:
    text = require_body(body, max_bytes)
    try:
        if "csv" in (content_type or "").lower():
            mapping = ColumnMapping.from_json(csv_mapping) if csv_mapping else None
            return parse_csv_batches(text, mapping)
        return [parse_batch(load_json(text))]
    except InvalidRemittance as err:
        raise WebhookRejected(400, str(err), err.field) from None
