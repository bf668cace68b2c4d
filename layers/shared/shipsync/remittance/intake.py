"""The webhook half of cod-remittance: a JSON batch or the panel's CSV export, validated whole
(nothing is queued when any line is wrong), then one message per batch."""

from __future__ import annotations

from shipsync.remittance.batches import InvalidRemittance, RemittanceBatch, parse_batch
from shipsync.remittance.csv_upload import ColumnMapping, parse_csv_batches
from shipsync.request_body import check_text, load_json
from shipsync.routes import WebhookRejected


def parse_remittance_upload(text: str, content_type: str | None, *, csv_mapping: str = "") -> list[RemittanceBatch]:
    """The batches in a body read by ``request_body.read_text``, or a 400 naming the field."""
    try:
        if "csv" in (content_type or "").lower():
            check_text(text, "rows")
            mapping = ColumnMapping.from_json(csv_mapping) if csv_mapping else None
            return parse_csv_batches(text, mapping)
        return [parse_batch(load_json(text))]
    except InvalidRemittance as err:
        raise WebhookRejected(400, str(err), err.field) from None
