"""OrderQueue's message: built by the webhook route and the stuck-order sweep, read by the order worker."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class OrderMessage(BaseModel):
    """Ship this sales order, or cancel it (the worker reads the order from Zoho, unless a fresh job has the
    webhook's whole order in ``salesorder``)."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    salesorder_id: str = Field(min_length=1)
    salesorder_number: str = Field(min_length=1)
    # "reconcile": ``shipsync reconcile --fix`` re-driving a job whose Zoho step it reopened (ops.reconcile).
    source: Literal["webhook", "sweep", "tracking", "reconcile"]
    # "reverse": Shiprocket cancelled the shipment (seen by tracking); the Zoho side is undone.
    intent: Literal["ship", "cancel", "reverse"] = "ship"
    # The webhook's ``last_modified_time``: an edit of a shipped order is looked for only when it is new.
    revision: str | None = Field(default=None, max_length=40)
    # The webhook's whole sales order (orders.intake snapshot): a fresh job ships from it instead of reading the
    # order again. Never logged (log_keys); a DLQ listing prints only its identifiers (ops.dead_letters).
    salesorder: dict[str, Any] | None = None

    def log_keys(self) -> dict[str, str]:
        return {"salesorder_number": self.salesorder_number}
