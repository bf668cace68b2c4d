"""The webhook half of shipment-status: Shiprocket's tracking POST, validated, then queued.

Shiprocket counts any answer but 200 as a failed delivery, so a valid event is answered 200
once it is in SQS; input that can never be valid gets a 4xx naming the field (never a 5xx,
which would make Shiprocket retry it forever).
"""

from __future__ import annotations

from typing import Any

from shipsync.domain.tracking import InvalidWebhook, TrackingEvent, parse_webhook
from shipsync.services.webhooks import WebhookRejected, load_json, require_body


def parse_status_webhook(body: str | None, *, max_bytes: int) -> tuple[dict[str, Any], TrackingEvent]:
    """The payload (queued as sent) and the event parsed from it."""
    document = load_json(require_body(body, max_bytes))
    try:
        event = parse_webhook(document)
    except InvalidWebhook as err:
        raise WebhookRejected(400, str(err), err.field) from None
    return document, event
