"""The state of one sales order's shipping job, as the shipment ledger stores it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Job states. Terminal ones end the job; a new webhook for the order is then a no-op.
RECEIVED = "received"
ORDER_CREATED = "order_created"
AWB_ASSIGNED = "awb_assigned"
SYNCED = "synced"
INVALID = "invalid"
NOT_SERVICEABLE = "not_serviceable"
AWB_FAILED = "awb_failed"
TERMINAL_STATES = frozenset({SYNCED, INVALID, NOT_SERVICEABLE, AWB_FAILED})


class LedgerEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    salesorder_id: str
    salesorder_number: str
    state: str = RECEIVED
    order_ref: str = ""  # the Shiprocket order_id we sent (SO number, or SO-00042-R1 after a re-create)
    recreate_count: int = 0
    confirmed_at: str = ""
    sr_order_id: int | None = None
    shipment_id: int | None = None
    delivery_city: str | None = None
    order_value: float | None = None
    payment_method: str | None = None
    courier_ranking: list[dict[str, Any]] = Field(default_factory=list)
    refusals: list[dict[str, Any]] = Field(default_factory=list)
    awb: str | None = None
    courier_id: int | None = None
    courier_name: str | None = None
    # The pickup and label steps are done once these are set: by the answer itself, or by a retry that heard
    # "already done" (the details of the lost answer then stay None, see docs/providers/shiprocket.md §5).
    pickup_requested: bool = False
    pickup_scheduled_date: str | None = None
    pickup_token_number: str | None = None
    # Shiprocket's order status read back when a retried pickup answered "already requested".
    pickup_status: str | None = None
    label_generated: bool = False
    label_url: str | None = None
    zoho_fields_written: bool = False
    zoho_package_id: str | None = None
    zoho_shipment_id: str | None = None
    shipment_status: str | None = None
    failure_reason: str | None = None
    so_last_modified: str | None = None
    redrive_count: int = 0
    alerted_stuck: bool = False
    updated_at: str = ""
