"""What a sales order asks of shipsync: ship it, or cancel it. Kept free of imports, as the webhook route
reads it on every request (cold start)."""

from __future__ import annotations

# The documented custom field a seller sets when Zoho will not void the order (it has packages), read by
# ``api_name``; a workflow rule on it sends the usual sales-order webhook (README, "Cancel an order").
SHIPMENT_ACTION_FIELD = "cf_shipment_action"
CANCEL_ACTION = "cancel"


def wants_cancel(order_status: str | None, shipment_action: str | None) -> bool:
    """The seller's cancellation, as a sales order shows it: voided, or the action field set to Cancel."""
    return (order_status or "").strip().lower() == "void" or (shipment_action or "").strip().lower() == CANCEL_ACTION
