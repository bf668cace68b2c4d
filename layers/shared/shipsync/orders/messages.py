"""OrderQueue's message: built by the webhook route and the stuck-order sweep, read by the order worker."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OrderMessage(BaseModel):
    """Ship this sales order, or cancel it (the worker reads the order itself from Zoho either way)."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    salesorder_id: str = Field(min_length=1)
    salesorder_number: str = Field(min_length=1)
    source: Literal["webhook", "sweep", "tracking"]
    # "reverse": Shiprocket cancelled the shipment (seen by tracking); the Zoho side is undone.
    intent: Literal["ship", "cancel", "reverse"] = "ship"
    # A cancel's webhook ``last_modified_time``. With the intent it is part of the idempotency key, so a cancel
    # seconds after the confirmation is not answered with the confirmation's stored result, while duplicates of
    # one webhook still share a key. Confirmations leave it out: all of them share one key, as before.
    revision: str | None = Field(default=None, max_length=40)

    def log_keys(self) -> dict[str, str]:
        return {"salesorder_number": self.salesorder_number}
