"""Shiprocket's order and shipment status tables (docs/providers/shiprocket.md §8a, §8b) and how they pair."""

from __future__ import annotations

# Order table (§8b) and shipment table (§8a) entries this simulator moves through.
ORDER_NEW = ("NEW", 1)
ORDER_READY_TO_SHIP = ("READY TO SHIP", 3)
ORDER_PICKUP_SCHEDULED = ("PICKUP SCHEDULED", 4)
ORDER_CANCELED = ("CANCELED", 5)
ORDER_CANCELLATION_REQUESTED = ("CANCELLATION REQUESTED", 18)
ORDER_DELIVERED_CODE = 7
ORDER_RETURN_PENDING = ("RETURN PENDING", 21)
ORDER_RETURN_PICKUP_GENERATED = ("RETURN PICKUP GENERATED", 28)
SHIPMENT_AWB_ASSIGNED = ("AWB ASSIGNED", 1)
SHIPMENT_PICKUP_SCHEDULED = ("PICKUP SCHEDULED/GENERATED", 3)
SHIPMENT_CANCELED = ("CANCELED", 8)
SHIPMENT_CANCELLATION_REQUESTED = ("CANCELLATION REQUESTED", 16)
# Shipment statuses (§8a) of a parcel still with the seller: an AWB or order cancel is accepted only then (§10).
SHIPMENT_BEFORE_PICKUP = frozenset({1, 2, 3, 4, 5, 13, 15, 20, 27, 52})

# docs/providers/shiprocket.md §8a shipment status table (54-72 only where it names them).
SHIPMENT_STATUS_NAMES: dict[int, str] = {
    1: "AWB ASSIGNED",
    2: "LABEL GENERATED",
    3: "PICKUP SCHEDULED/GENERATED",
    4: "PICKUP QUEUED",
    5: "MANIFEST GENERATED",
    6: "SHIPPED",
    7: "DELIVERED",
    8: "CANCELED",
    9: "RTO INITIATED",
    10: "RTO DELIVERED",
    11: "PENDING",
    12: "LOST",
    13: "PICKUP ERROR",
    14: "RTO ACKNOWLEDGED",
    15: "PICKUP RESCHEDULED",
    16: "CANCELLATION REQUESTED",
    17: "OUT FOR DELIVERY",
    18: "IN TRANSIT",
    19: "OUT FOR PICKUP",
    20: "PICKUP EXCEPTION",
    21: "UNDELIVERED",
    22: "DELAYED",
    23: "PARTIAL DELIVERED",
    24: "DESTROYED",
    25: "DAMAGED",
    26: "FULFILLED",
    27: "PICKUP BOOKED",
    38: "REACHED AT DESTINATION HUB",
    39: "MISROUTED",
    40: "RTO NDR",
    41: "RTO OFD",
    42: "PICKED UP",
    43: "SELF FULFILLED",
    44: "DISPOSED OFF",
    45: "CANCELLED BEFORE DISPATCHED",
    46: "RTO IN TRANSIT",
    47: "QC FAILED",
    48: "REACHED WAREHOUSE",
    49: "CUSTOM CLEARED",
    50: "IN FLIGHT",
    51: "HANDOVER TO COURIER",
    52: "SHIPMENT BOOKED",
    54: "IN TRANSIT OVERSEAS",
    59: "BOX PACKING",
    63: "PACKED",
    68: "PROCESSED AT WAREHOUSE",
    75: "RTO LOCK",
    76: "UNTRACEABLE",
    77: "ISSUE RELATED TO THE RECIPIENT",
    78: "REACHED BACK AT SELLER CITY",
}

# §8b order status table (`current_status_id` of the webhook, `status_code` of orders).
ORDER_STATUS_NAMES: dict[int, str] = {
    1: "NEW",
    2: "INVOICED",
    3: "READY TO SHIP",
    4: "PICKUP SCHEDULED",
    5: "CANCELED",
    6: "SHIPPED",
    7: "DELIVERED",
    8: "EPAYMENT FAILED",
    9: "RETURNED",
    10: "UNMAPPED",
    11: "UNFULFILLABLE",
    12: "PICKUP QUEUE",
    13: "PICKUP RESCHEDULED",
    14: "PICKUP ERROR",
    15: "RTO INITIATED",
    16: "RTO DELIVERED",
    17: "RTO ACKNOWLEDGED",
    18: "CANCELLATION REQUESTED",
    19: "OUT FOR DELIVERY",
    20: "IN TRANSIT",
    21: "RETURN PENDING",
    22: "RETURN INITIATED",
    23: "RETURN PICKUP QUEUED",
    24: "RETURN PICKUP ERROR",
    25: "RETURN IN TRANSIT",
    26: "RETURN DELIVERED",
    27: "RETURN CANCELLED",
    28: "RETURN PICKUP GENERATED",
    29: "RETURN CANCELLATION REQUESTED",
    30: "RETURN PICKUP CANCELLED",
    31: "RETURN PICKUP RESCHEDULED",
    32: "RETURN PICKED UP",
    33: "LOST",
    34: "OUT FOR PICKUP",
    35: "PICKUP EXCEPTION",
    36: "UNDELIVERED",
    37: "DELIVERY DELAYED",
    38: "PARTIAL DELIVERED",
    39: "DESTROYED",
    40: "DAMAGED",
    41: "FULFILLED",
    42: "ARCHIVED",
    43: "REACHED DESTINATION HUB",
    44: "MISROUTED",
}

# Which order status a forward shipment shows at each shipment status. The webhook fixture fixes
# 17 -> 19 and the official sample 18 -> 20; the rest follows the names of the two tables.
FORWARD_ORDER_STATUS: dict[int, int] = {
    1: 3, 2: 3, 3: 4, 4: 12, 5: 4, 6: 6, 7: 7, 8: 5, 9: 15, 10: 16, 11: 20, 12: 33, 13: 14, 14: 17,
    15: 13, 16: 18, 17: 19, 18: 20, 19: 34, 20: 35, 21: 36, 22: 37, 23: 38, 24: 39, 25: 40, 26: 41,
    27: 4, 38: 43, 39: 44, 40: 15, 41: 15, 42: 6, 44: 39, 45: 5, 46: 15, 48: 20, 50: 20, 51: 6,
    52: 3, 75: 15, 76: 33, 77: 36, 78: 15,
}  # fmt: skip
RETURN_ORDER_STATUS: dict[int, int] = {
    1: 21, 3: 28, 4: 23, 7: 26, 8: 27, 12: 33, 13: 24, 15: 31, 16: 29, 19: 34, 20: 24, 24: 39,
    25: 40, 42: 32, 47: 24,
}  # fmt: skip
FORWARD_FALLBACK_ORDER_STATUS = 20
RETURN_FALLBACK_ORDER_STATUS = 25

TERMINAL_SHIPMENT_STATUSES = frozenset({7, 8, 10, 12, 24, 25, 44, 45})
NDR_SHIPMENT_STATUS = 21
NDR_ORDER_STATUS = 36
