"""OrderQueue's message: built by the webhook route and the stuck-order sweep, read by the order worker."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OrderMessage(BaseModel):
    """Ship this sales order (the worker reads the order itself from Zoho)."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    salesorder_id: str = Field(min_length=1)
    salesorder_number: str = Field(min_length=1)
    source: Literal["webhook", "sweep"]

    def log_keys(self) -> dict[str, str]:
        return {"salesorder_number": self.salesorder_number}
