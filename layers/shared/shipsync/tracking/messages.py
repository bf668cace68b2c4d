"""StatusQueue's message: one tracking event in the shape of Shiprocket's status webhook
(docs/providers/shiprocket.md §7). Built from the posted body by the webhook route, by the tracking
poll (``as_webhook_payload``) and by cod-remittance for a delivery whose webhook was lost; read by the
shipment-status worker. One shape, one parser, one path for all three.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

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

    def payload(self) -> dict[str, Any]:
        return dict(self.__pydantic_extra__ or {})

    @property
    def event(self) -> TrackingEvent:
        return self._event

    def log_keys(self) -> dict[str, str]:
        return {"awb": self._event.awb}
