"""StatusQueue's message: one tracking event in the shape of Shiprocket's status webhook
(docs/providers/shiprocket.md §7). Built from the posted body by the webhook route, and from a polled event
(``StatusMessage.of_event``) by the tracking poll, the reconciliation and cod-remittance for a delivery whose
webhook was lost; read by the shipment-status worker. One shape, one parser, one path for all of them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

from shipsync.domain.india import IST
from shipsync.tracking.events import TrackingEvent, parse_webhook


class StatusMessage(BaseModel):
    """Shiprocket's body as it was posted (every key kept, for the FIFO deduplication of identical re-posts
    and for the parser); valid only when ``parse_webhook`` can read an event from it."""

    model_config = ConfigDict(frozen=True, extra="allow")

    _event: TrackingEvent = PrivateAttr()

    @model_validator(mode="after")
    def _readable(self) -> StatusMessage:
        # InvalidWebhook is a ValueError: pydantic reports it as this model's validation error.
        self._event = parse_webhook(self.payload())
        return self

    @classmethod
    def of(cls, payload: dict[str, Any]) -> StatusMessage:
        return cls.model_validate(payload)

    @classmethod
    def of_event(cls, event: TrackingEvent, *, is_return: bool) -> StatusMessage:
        """A polled event (tracking poll, reconciliation, a remittance's delivery) in the webhook's own shape."""
        return cls.model_validate(_webhook_payload(event, is_return=is_return))

    def payload(self) -> dict[str, Any]:
        return dict(self.__pydantic_extra__ or {})

    @property
    def event(self) -> TrackingEvent:
        return self._event

    def log_keys(self) -> dict[str, str]:
        return {"awb": self._event.awb}


def _webhook_payload(event: TrackingEvent, *, is_return: bool) -> dict[str, Any]:
    """A polled event in the webhook's own shape, so one parser and one path handle both."""
    when = event.event_time.astimezone(IST)
    return {
        "awb": event.awb,
        "shipment_status_id": event.shipment_status_id,
        "current_timestamp": when.strftime("%d %m %Y %H:%M:%S"),
        "courier_name": event.courier_name,
        "is_return": 1 if is_return else 0,
        "scans": [
            {
                "date": when.strftime("%Y-%m-%d %H:%M:%S"),
                "activity": event.reason or event.raw_status_label or "",
                "location": event.location or "",
                "sr-status": str(event.shipment_status_id),
                "sr-status-label": event.raw_status_label or "",
            }
        ],
        "source": "tracking-poll",
    }
