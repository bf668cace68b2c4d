"""The webhook half of shipment-status: Shiprocket's tracking POST, validated, then queued.

Shiprocket counts any answer but 200 as a failed delivery, so a valid event is answered 200
once it is in SQS; input that can never be valid gets a 4xx naming the field (never a 5xx,
which would make Shiprocket retry it forever).
"""

from __future__ import annotations

from pydantic import ValidationError

from shipsync.request_body import load_json
from shipsync.routes import WebhookRejected
from shipsync.tracking.events import InvalidWebhook
from shipsync.tracking.messages import StatusMessage


def parse_status_webhook(text: str) -> StatusMessage:
    """The StatusQueue message (the payload as sent, with the event parsed from it) from a body read by
    ``request_body.read_text``."""
    # A courier's scan text is relayed as typed: a stray control character there must not lose the status,
    # so it is scrubbed; the AWB, the one text the event is keyed on, is checked by its pattern.
    document = load_json(text, strings="scrub")
    if not isinstance(document, dict):
        raise WebhookRejected(400, "body: expected a JSON object", "body")
    try:
        return StatusMessage.of(document)
    except ValidationError as err:
        cause = err.errors()[0].get("ctx", {}).get("error")
        if isinstance(cause, InvalidWebhook):
            raise WebhookRejected(400, str(cause), cause.field) from None
        raise
