"""RtoQueue's message: built by shipment-status on RTO delivered / return delivered, read by rto-restock."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RestockMessage(BaseModel):
    """Put the shipment ``awb`` of this sales order back into stock."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    kind: Literal["rto", "customer_return"]
    awb: str = Field(min_length=1)
    salesorder_id: str = Field(min_length=1)
    salesorder_number: str = ""
    event_time: str | None = None

    def log_keys(self) -> dict[str, str]:
        return {"awb": self.awb, "salesorder_number": self.salesorder_number}
