"""The one vocabulary of shipment statuses, shared by every feature, the ledger and the tests."""

from __future__ import annotations

from enum import StrEnum


class ShipmentStatus(StrEnum):
    """Every value shipsync writes to Zoho ``cf_shipment_status`` (a customer return's own shipment gets
    ``Return <status>``). The tracking statuses come first, in the order a parcel meets them; the last ones
    are shipsync's own: the restock done, and the marks of a feature that gave up (policy.outcomes)."""

    PICKUP_SCHEDULED = "Pickup Scheduled"
    PICKED_UP = "Picked Up"
    IN_TRANSIT = "In Transit"
    OUT_FOR_DELIVERY = "Out for Delivery"
    DELIVERED = "Delivered"
    UNDELIVERED = "Undelivered (NDR)"
    RTO_INITIATED = "RTO Initiated"
    RTO_IN_TRANSIT = "RTO In Transit"
    RTO_DELIVERED = "RTO Delivered"
    LOST = "Lost"
    DAMAGED = "Damaged/Destroyed"
    CANCELLED = "Cancelled"
    # Cancelled in Zoho after the courier picked the parcel up: it cannot be stopped by API (orders.cancel).
    CANCEL_REQUESTED_IN_TRANSIT = "Cancel Requested \u2013 In Transit"
    UNKNOWN = "Unknown"
    RETURNED = "Returned"
    INVALID_ORDER = "Invalid Order"
    EWAY_BILL_REQUIRED = "E-way Bill Required"
    NO_PICKUP_LOCATION = "No Pickup Location"
    NOT_SERVICEABLE = "Serviceability Failed"
    AWB_FAILED = "AWB Failed"
    SHIPPING_FAILED = "Shipping Failed"
    TRACKING_FAILED = "Tracking Failed"
    RESTOCK_FAILED = "Restock Failed"
    REMITTANCE_FAILED = "Remittance Failed"


# What a courier can report (the tracking state machine ranks these); the rest are shipsync's own.
TRACKING_STATUSES = frozenset(ShipmentStatus) - {
    ShipmentStatus.RETURNED,
    ShipmentStatus.CANCEL_REQUESTED_IN_TRANSIT,
    ShipmentStatus.INVALID_ORDER,
    ShipmentStatus.EWAY_BILL_REQUIRED,
    ShipmentStatus.NO_PICKUP_LOCATION,
    ShipmentStatus.NOT_SERVICEABLE,
    ShipmentStatus.AWB_FAILED,
    ShipmentStatus.SHIPPING_FAILED,
    ShipmentStatus.TRACKING_FAILED,
    ShipmentStatus.RESTOCK_FAILED,
    ShipmentStatus.REMITTANCE_FAILED,
}
