"""Shiprocket external API v1 simulator (docs/providers/shiprocket.md §1-10, §12, §14, §15).

Served under ``/v1/external`` (a client's base URL is ``<server url>/v1/external``); the
``/_sim/*`` endpoints of ``local.sim.base`` stay at the root, plus ``POST /_sim/expire-tokens``
(every issued token expires now: the next call answers 401, a fresh login works again).

Answers take the status and form of Shiprocket's published examples
(``tests/contract/published/shiprocket/``, judged by ``tests/contract/test_published_shiprocket_sim.py``);
where nothing is published the behaviour is marked GUESS here and listed in that folder's README ("Where the
material is silent"). Faithful to the traps docs/providers/shiprocket.md lists: errors inside HTTP 200
(serviceability ``status: 404``, ``awb_assign_status: 0``, ``label_created: 0``, wrapper ``status: 0``),
Laravel-style 422 field maps, duplicate ``order_id`` answering the existing order, burnt cancelled orders,
wallet code 350, 10-day bearer tokens, request errors answered as 500s.

``POST /_sim/seed`` keys (lists merge by their key; ``"replace": true`` first drops the
defaults of every list given):

- ``pickup_locations``: entries shaped like ``GET /settings/company/pickup``
  ``data.shipping_address[]`` (``pickup_location`` and ``pin_code`` required).
- ``couriers``: merged by ``courier_company_id`` onto ``COURIER_DEFAULTS``; see
  ``DEFAULT_COURIERS`` for the keys (rate card per zone as ``[first 0.5 kg, each further
  0.5 kg]``, ``cod_charge`` as ``[flat, percent]`` whichever is higher, ``refuse_awb`` reason,
  ``refuse_awb_pincodes``, ``max_weight``, ``zones`` served, ``awb_prefix``/``awb_digits``).
- ``unserviceable_pincodes``, ``api_users`` (``[{"email", "password"}]``), ``wallet_balance``,
  ``token_ttl_s``, ``expire_tokens`` (bool).
- ``order_updates``: ``[{"order_id" | "awb_code", "status", "status_code", "shipment_status",
  "shipment_status_id", "remittance_date", "remittance_utr", "remittance_status",
  "delivered_date"}]`` to move orders on as couriers and the COD cycle would.

- ``lifecycles``: ``{awb or our order_id: name | [shipment status ids]}`` with the names of
  ``LIFECYCLES`` ("delivered", "rto", "lost", "damaged", "ndr_then_delivered", "ndr_then_rto",
  "return_delivered"); ``default_lifecycle`` (forward shipments without one; returns default to
  "return_delivered"). Re-seeding a shipment already on its way continues from its status.
- ``webhook``: ``{"url", "token"}`` (token sent as ``x-api-key``; null removes the target);
  ``webhook_options``: ``{"duplicates": probability or count, "reorder", "na_scans",
  "string_ids", "sparse": bool or probability}`` (``sparse`` leaves out the optional keys a live post may
  omit; an RTO-initiated post always does); ``random_seed`` reseeds the tracking RNG.

COD remittance (no API at Shiprocket, docs/providers/shiprocket.md §11) is driven by ``POST /_sim/remit``
``{"utr", "date": "YYYY-MM-DD", "awbs"?: [...], "deductions"?: {awb: rupees}}`` (or
``ShiprocketSim.remit``): delivered, unremitted COD orders (all of them, or the AWBs named) get
``remittance_utr``/``remittance_date``/``remittance_status`` on ``GET /orders/show/{id}``, and the
answer is the batch as integrators post it: ``{remittance_id, remittance_date,
bank_transfer_amount, orders[{awb, order_id, cod_amount, deducted_charges}]}``, where an order's
deduction defaults to what its AWB cost on the rate card (freight + COD charge). Batches are kept
under ``remittances`` in the state.

Tracking is driven by ``POST /_sim/tracking/advance`` ``{"awb"?, "steps"?, "deliver_webhooks"?,
<webhook options>?}`` (or ``ShiprocketSim.advance``): each shipment with an AWB takes the next
statuses of its script, records a courier scan per status (IST, hours apart from the sim clock
on) and, with a target configured, the webhook of every event is POSTed synchronously (after
the lock is released) and recorded under ``webhooks`` in the state. Reaching 21 (UNDELIVERED)
opens an NDR; ``POST /ndr/{awb}/action`` rewrites the rest of the script.

Ids, AWBs and tokens come from counters and a seeded RNG, so runs are repeatable; dates come
from ``clock`` (injectable for tests). GUESS: no rate limit is published, so the simulator never answers 429 on
its own (a fault rule can).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
import math
import random
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from local.sim.base import Handler, Request, Response, SimApp

_log = logging.getLogger(__name__)

DEFAULT_API_EMAIL = "api-user@seller.example"
DEFAULT_API_PASSWORD = "sim-password-1"
DEFAULT_TOKEN_TTL_S = 10 * 24 * 3600
DEFAULT_WALLET_BALANCE = 100_000.0
COMPANY_ID = 123456
COMPANY_NAME = "Seller Example Pvt Ltd"
RNG_SEED = 20250111

IST = timezone(timedelta(hours=5, minutes=30), "Asia/Kolkata")

ZONES = ("z_a", "z_b", "z_c", "z_d", "z_e")
METRO_PREFIXES = frozenset({"400", "110", "560", "500", "600", "700"})
# North-East (78, 79), Jammu & Kashmir / Ladakh (18, 19) and the Andaman islands (744).
SPECIAL_ZONE_PREFIXES = ("78", "79", "18", "19", "744")

DEFAULT_UNSERVICEABLE_PINCODES = frozenset({"744301", "194101", "799999"})

# Postal circles by the first two digits; three-digit entries override them.
_STATE_BY_PREFIX: dict[str, str] = {
    "11": "Delhi",
    "12": "Haryana",
    "13": "Haryana",
    "14": "Punjab",
    "15": "Punjab",
    "16": "Punjab",
    "17": "Himachal Pradesh",
    "18": "Jammu & Kashmir",
    "19": "Jammu & Kashmir",
    **{str(p): "Uttar Pradesh" for p in range(20, 29)},
    **{str(p): "Rajasthan" for p in range(30, 35)},
    **{str(p): "Gujarat" for p in range(36, 40)},
    **{str(p): "Maharashtra" for p in range(40, 45)},
    **{str(p): "Madhya Pradesh" for p in range(45, 49)},
    "49": "Chhattisgarh",
    "50": "Telangana",
    "51": "Andhra Pradesh",
    "52": "Andhra Pradesh",
    "53": "Andhra Pradesh",
    **{str(p): "Karnataka" for p in range(56, 60)},
    **{str(p): "Tamil Nadu" for p in range(60, 65)},
    **{str(p): "Kerala" for p in range(67, 70)},
    **{str(p): "West Bengal" for p in range(70, 75)},
    **{str(p): "Odisha" for p in range(75, 78)},
    "78": "Assam",
    "79": "Meghalaya",
    **{str(p): "Bihar" for p in range(80, 86)},
    "160": "Chandigarh",
    "194": "Ladakh",
    "403": "Goa",
    "605": "Puducherry",
    "737": "Sikkim",
    "744": "Andaman & Nicobar Islands",
    "790": "Arunachal Pradesh",
    "791": "Arunachal Pradesh",
    "792": "Arunachal Pradesh",
    "795": "Manipur",
    "796": "Mizoram",
    "797": "Nagaland",
    "798": "Nagaland",
    "799": "Tripura",
}

_CITY_BY_PREFIX: dict[str, str] = {
    "110": "New Delhi",
    "122": "Gurugram",
    "160": "Chandigarh",
    "190": "Srinagar",
    "194": "Leh",
    "201": "Noida",
    "226": "Lucknow",
    "302": "Jaipur",
    "380": "Ahmedabad",
    "395": "Surat",
    "400": "Mumbai",
    "403": "Panaji",
    "411": "Pune",
    "440": "Nagpur",
    "452": "Indore",
    "500": "Hyderabad",
    "560": "Bengaluru",
    "600": "Chennai",
    "641": "Coimbatore",
    "682": "Kochi",
    "700": "Kolkata",
    "744": "Port Blair",
    "781": "Guwahati",
    "793": "Shillong",
    "799": "Agartala",
    "800": "Patna",
}

COURIER_DEFAULTS: dict[str, Any] = {
    "mode": "Surface",
    "cod": 1,
    "rates": {"z_a": [35.0, 32.0], "z_b": [42.0, 38.0], "z_c": [52.0, 47.0], "z_d": [58.0, 53.0], "z_e": [74.0, 68.0]},
    "cod_charge": [35.0, 1.75],
    "rto_factor": 1.0,
    "edd_days": {"z_a": 2, "z_b": 3, "z_c": 4, "z_d": 5, "z_e": 7},
    "rating": 4.0,
    "delivery_performance": 4.0,
    "pickup_performance": 4.0,
    "rto_performance": 4.0,
    "tracking_performance": 4.0,
    "min_weight": 0.5,
    "max_weight": 20.0,
    "zones": list(ZONES),
    "cutoff_time": "14:00",
    "refuse_awb": None,
    "refuse_awb_pincodes": [],
    "awb_prefix": None,
    "awb_digits": 12,
}

# Plausible Indian courier network as sold through Shiprocket (invented rate cards).
DEFAULT_COURIERS: list[dict[str, Any]] = [
    {
        "courier_company_id": 43,
        "courier_name": "Delhivery Surface",
        "rates": {
            "z_a": [38.0, 34.0],
            "z_b": [45.0, 40.0],
            "z_c": [56.0, 50.0],
            "z_d": [62.5, 56.0],
            "z_e": [78.0, 70.0],
        },
        "edd_days": {"z_a": 1, "z_b": 2, "z_c": 3, "z_d": 3, "z_e": 6},
        "rating": 4.6,
        "delivery_performance": 4.5,
        "pickup_performance": 4.6,
        "rto_performance": 4.3,
        "tracking_performance": 4.7,
        "cutoff_time": "11:00",
        "awb_prefix": "141122",
        "awb_digits": 13,
    },
    {
        "courier_company_id": 44,
        "courier_name": "Delhivery Air",
        "mode": "Air",
        "rates": {
            "z_a": [45.0, 40.0],
            "z_b": [55.0, 50.0],
            "z_c": [68.0, 62.0],
            "z_d": [78.0, 72.0],
            "z_e": [95.0, 88.0],
        },
        "edd_days": {"z_a": 1, "z_b": 2, "z_c": 2, "z_d": 2, "z_e": 4},
        "rating": 4.5,
        "delivery_performance": 4.5,
        "rto_performance": 4.2,
        "max_weight": 10.0,
        "cutoff_time": "11:00",
        "awb_prefix": "141122",
        "awb_digits": 13,
    },
    {
        "courier_company_id": 45,
        "courier_name": "Ecom Express Surface",
        "rates": {
            "z_a": [34.0, 31.0],
            "z_b": [41.0, 37.0],
            "z_c": [51.0, 46.0],
            "z_d": [58.0, 52.0],
            "z_e": [74.0, 66.0],
        },
        "edd_days": {"z_a": 2, "z_b": 3, "z_c": 4, "z_d": 4, "z_e": 7},
        "rating": 4.2,
        "delivery_performance": 4.1,
        "rto_performance": 4.0,
        "max_weight": 15.0,
        "awb_prefix": "728",
        "awb_digits": 10,
    },
    {
        "courier_company_id": 54,
        "courier_name": "Ekart Logistics Surface",
        "rates": {
            "z_a": [32.0, 30.0],
            "z_b": [39.0, 35.0],
            "z_c": [49.0, 44.0],
            "z_d": [55.0, 50.0],
            "z_e": [70.0, 64.0],
        },
        "edd_days": {"z_a": 2, "z_b": 3, "z_c": 4, "z_d": 5, "z_e": 7},
        "rating": 4.4,
        "delivery_performance": 4.3,
        "rto_performance": 4.4,
        "rto_factor": 0.85,
        "max_weight": 15.0,
        "awb_prefix": "SRTP",
        "awb_digits": 14,
    },
    {
        "courier_company_id": 118,
        "courier_name": "DTDC Surface",
        "rates": {
            "z_a": [33.0, 30.0],
            "z_b": [40.0, 36.0],
            "z_c": [50.0, 45.0],
            "z_d": [56.0, 51.0],
            "z_e": [72.0, 65.0],
        },
        "edd_days": {"z_a": 2, "z_b": 3, "z_c": 5, "z_d": 5, "z_e": 8},
        "rating": 3.9,
        "delivery_performance": 3.8,
        "rto_performance": 3.7,
        "max_weight": 30.0,
        "awb_prefix": "D7",
        "awb_digits": 9,
    },
    {
        "courier_company_id": 1,
        "courier_name": "Blue Dart Air",
        "mode": "Air",
        "rates": {
            "z_a": [60.0, 55.0],
            "z_b": [72.0, 66.0],
            "z_c": [88.0, 80.0],
            "z_d": [98.0, 90.0],
            "z_e": [120.0, 110.0],
        },
        "cod_charge": [45.0, 2.0],
        "edd_days": {"z_a": 1, "z_b": 1, "z_c": 2, "z_d": 2, "z_e": 3},
        "rating": 4.7,
        "delivery_performance": 4.8,
        "rto_performance": 4.6,
        "max_weight": 10.0,
        "cutoff_time": "12:00",
        "awb_prefix": "777",
        "awb_digits": 11,
    },
    {
        "courier_company_id": 51,
        "courier_name": "Xpressbees Surface",
        "rates": {
            "z_a": [31.0, 29.0],
            "z_b": [38.0, 34.0],
            "z_c": [48.0, 43.0],
            "z_d": [54.0, 49.0],
            "z_e": [69.0, 62.0],
        },
        "edd_days": {"z_a": 2, "z_b": 3, "z_c": 4, "z_d": 4, "z_e": 6},
        "rating": 4.3,
        "delivery_performance": 4.2,
        "rto_performance": 4.1,
        "awb_prefix": "142320",
        "awb_digits": 14,
    },
    {
        "courier_company_id": 58,
        "courier_name": "Shadowfax Surface",
        "cod": 0,
        "rates": {
            "z_a": [29.0, 27.0],
            "z_b": [36.0, 33.0],
            "z_c": [46.0, 42.0],
            "z_d": [52.0, 47.0],
            "z_e": [0.0, 0.0],
        },
        "edd_days": {"z_a": 1, "z_b": 2, "z_c": 3, "z_d": 4, "z_e": 9},
        "rating": 4.1,
        "delivery_performance": 4.0,
        "rto_performance": 3.9,
        "max_weight": 5.0,
        "zones": ["z_a", "z_b", "z_c", "z_d"],
        "awb_prefix": "SF",
        "awb_digits": 12,
    },
]

# The keys of a published pickup address (docs/providers/shiprocket.md §15), with its constant values where the
# simulator has nothing to model (nothing in the project reads them).
_PICKUP_DEFAULTS: dict[str, Any] = {
    "address_type": None,
    "address": "Plot 12, Industrial Estate Road",
    "address_2": "",
    "updated_address": False,
    "old_address": "",
    "old_address2": "",
    "tag": "",
    "tag_value": "",
    "instruction": "",
    "city": "Pune",
    "state": "Maharashtra",
    "country": "India",
    "email": "warehouse@seller.example",
    "is_first_mile_pickup": 0,
    "phone": "9800000001",
    "name": "Seller Warehouse",
    "company_id": COMPANY_ID,
    "gstin": None,
    "vendor_name": None,
    "status": 2,
    "phone_verified": 1,
    # Coordinates are strings as published; GUESS: an address registered without them has "" and status 0.
    "lat": "",
    "long": "",
    "open_time": None,
    "close_time": None,
    "warehouse_code": None,
    "alternate_phone": "",
    "lat_long_status": 0,
    "new": 1,
    "associated_rto_address": None,
    "is_primary_location": 0,
}

DEFAULT_PICKUP_LOCATIONS: list[dict[str, Any]] = [
    {
        "pickup_location": "Primary",
        "pin_code": "411001",
        "address": "Shop 4, 17 Station Road",
        "lat": "18.528913",
        "long": "73.874431",
        "lat_long_status": 1,
        "is_primary_location": 1,
    },
    {
        "pickup_location": "Pune-WH1",
        "pin_code": "411028",
        "address": "Gala 9, 221 Hadapsar Industrial Estate",
        "lat": "18.502630",
        "long": "73.927536",
        "lat_long_status": 1,
    },
]

ORDER_REQUIRED = (
    "order_id",
    "order_date",
    "pickup_location",
    "billing_customer_name",
    "billing_address",
    "billing_city",
    "billing_pincode",
    "billing_state",
    "billing_country",
    "billing_email",
    "billing_phone",
    "shipping_is_billing",
    "order_items",
    "payment_method",
    "sub_total",
    "length",
    "breadth",
    "height",
    "weight",
)
# Needed when shipping_is_billing is false; the table leaves shipping_email optional (docs/providers/shiprocket.md §3).
SHIPPING_REQUIRED = (
    "shipping_customer_name",
    "shipping_address",
    "shipping_city",
    "shipping_pincode",
    "shipping_state",
    "shipping_country",
    "shipping_phone",
)
VENDOR_REQUIRED = ("email", "phone", "name", "address", "city", "state", "country", "pin_code")

# Order table (§8b) and shipment table (§8a) entries this simulator moves through.
ORDER_NEW = ("NEW", 1)
ORDER_READY_TO_SHIP = ("READY TO SHIP", 3)
ORDER_PICKUP_SCHEDULED = ("PICKUP SCHEDULED", 4)
ORDER_CANCELED = ("CANCELED", 5)
ORDER_DELIVERED_CODE = 7
# GUESS: Shiprocket's value for a remitted order is not published (docs/providers/shiprocket.md §11; only "" is
# shown); empty until then.
REMITTED_STATUS = "remitted"
SHIPMENT_AWB_ASSIGNED = ("AWB ASSIGNED", 1)
SHIPMENT_PICKUP_SCHEDULED = ("PICKUP SCHEDULED/GENERATED", 3)
SHIPMENT_CANCELED = ("CANCELED", 8)

# An expired token's answer is the one integrators captured (docs/providers/shiprocket.md §1); a token never
# issued gets Laravel's default (GUESS: nothing published).
TOKEN_EXPIRED = {"message": "Token has expired", "status_code": 401}
UNAUTHENTICATED = {"message": "Unauthenticated.", "status_code": 401}
# GUESS: no not-serviceable body is published; an error inside HTTP 200 like the unknown-order one.
NOT_SERVICEABLE = {"status": 404, "message": "Delivery postcode not serviceable", "data": []}
# GUESS (texts): code 350 and a "recharge" message are reported by integrators, not published.
WALLET_LOW_MESSAGE = "Your wallet balance is low, please recharge your wallet to continue."
# GUESS (text): integrators report a "cancelled state" refusal (docs/providers/shiprocket.md §4).
CANCELLED_STATE_MESSAGE = "Order is in cancelled state. AWB cannot be assigned."

# -- tracking (docs/providers/shiprocket.md §7-§9) -------------------------------------------------

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

_FORWARD_LEG = [19, 42, 6, 18, 38, 17]
LIFECYCLES: dict[str, list[int]] = {
    "delivered": [*_FORWARD_LEG, 7],
    "rto": [*_FORWARD_LEG, 9, 46, 10],
    "lost": [19, 42, 6, 18, 12],
    "damaged": [19, 42, 6, 18, 25],
    "ndr_then_delivered": [*_FORWARD_LEG, 21, 17, 7],
    "ndr_then_rto": [*_FORWARD_LEG, 21, 17, 21, 9, 46, 10],
    "return_delivered": [3, 42, 18, 7],
}
DEFAULT_LIFECYCLE = "delivered"
DEFAULT_RETURN_LIFECYCLE = "return_delivered"
NDR_REATTEMPT_SCRIPT = [17, 7]
NDR_RETURN_SCRIPT = [9, 46, 10]
NDR_ACTIONS = ("re-attempt", "return", "fake-attempt")
NDR_REASONS = (
    "Customer not available at the address",
    "Customer refused to accept the delivery",
    "Address incomplete or incorrect",
    "Customer asked for a future delivery date",
    "Cash not ready at the time of delivery",
)
NDR_ACTION_ACCEPTED = {"status": "Data Updated Sucessfully"}  # sic, docs/providers/shiprocket.md §9
# `action_by` of an NDR history entry is a number: 3 on the published entry the courier raised; GUESS: 1 for the
# seller's action (no published entry shows one).
NDR_BY_COURIER = 3
NDR_BY_SELLER = 1
# GUESS: the only published values of these NDR record keys (their meaning is not published).
NDR_ESCALATION_STATUS = "N/A"
NDR_PAYMENT_STATUS = "2"

# Per shipment status: courier scan code, activity text, where it happens, hours after the previous
# scan. Codes for 42 and 17 are the fixture's; the others are invented in the same style.
_SCAN_STYLE: dict[int, tuple[str, str, str, tuple[float, float]]] = {
    3: ("X-UCI", "Manifested - Pickup request generated", "origin", (0.1, 1.0)),
    19: ("X-ASP", "Pickup Assigned - Out for pickup", "origin", (0.2, 1.5)),
    42: ("X-PPOM", "In Transit - Shipment picked up", "origin", (0.5, 3.0)),
    6: ("X-DBL1F", "In Transit - Bag dispatched from origin hub", "origin_hub", (2.0, 6.0)),
    18: ("X-DLL2F", "In Transit - Shipment in transit to destination", "transit", (4.0, 16.0)),
    38: ("X-IBD3F", "In Transit - Shipment received at destination hub", "dest_hub", (8.0, 30.0)),
    17: ("X-DDD3FD", "Dispatched - Out for delivery", "dest", (6.0, 14.0)),
    7: ("EOD-38", "Delivered - Delivered to consignee", "dest", (1.0, 6.0)),
    21: ("EOD-74", "Undelivered", "dest", (2.0, 7.0)),
    9: ("RT-101", "RTO Initiated - Return to origin initiated", "dest", (6.0, 24.0)),
    46: ("RT-IT", "RTO In Transit - Return shipment in transit to origin", "transit", (12.0, 40.0)),
    41: ("RT-OFD", "RTO Out for delivery - Out for delivery to shipper", "origin", (12.0, 30.0)),
    10: ("RT-110", "RTO Delivered - Returned to shipper", "origin", (2.0, 8.0)),
    12: ("LT-100", "Lost - Shipment lost in transit", "transit", (24.0, 72.0)),
    25: ("DMG-01", "Damaged - Shipment damaged in transit", "transit", (12.0, 48.0)),
    24: ("DST-01", "Destroyed - Shipment destroyed", "transit", (24.0, 72.0)),
}
_DEFAULT_SCAN_STYLE = ("X-UPD", "Status updated", "transit", (2.0, 12.0))
_NA_SCAN = ("X-ILL1F", "In Transit - Bag received at facility", (1.0, 4.0))
# Couriers attempt pickups and deliveries in daylight.
_DAYTIME_STATUSES = frozenset({3, 19, 41, 42, 17, 7, 21, 10})

DEFAULT_CHANNEL_ID = 5123456
# GUESS: the simulated account has one channel, the custom one its API orders land on.
CHANNEL_IDS = frozenset({float(DEFAULT_CHANNEL_ID)})
WEBHOOK_TIMEOUT_S = 10.0
WEBHOOK_OPTION_KEYS = ("duplicates", "reorder", "na_scans", "string_ids", "sparse")
# Keys a live post may leave out (docs/providers/shiprocket.md §7): an RTO-initiated post always does, others
# with the ``sparse`` option's probability.
SPARSE_WEBHOOK_KEYS = (
    "awb_assigned_date",
    "pickup_scheduled_date",
    "pod_status",
    "pod",
    "qc_image",
    "qc_failure_reason",
)
RTO_INITIATED_STATUS = 9
# Ids that the `string_ids` option sends as strings.
_WEBHOOK_ID_FIELDS = ("current_status_id", "shipment_status_id", "sr_order_id", "is_return", "channel_id")
# The panel refuses webhook URLs containing these (docs/providers/shiprocket.md §7; substring match, the strict
# reading).
WEBHOOK_URL_FORBIDDEN = ("shiprocket", "kartrocket", "sr", "kr")
NO_ACTIVITIES = {
    "tracking_data": {
        "track_status": 0,
        "error": "Aahh! There is no activities found in our DB. Please have some patience it will be updated soon.",
    }
}
MAX_TRACK_AWBS = 50

# Keys of the published orders/show answer (docs/providers/shiprocket.md §14) the simulator has no model for,
# with the published values: nothing in the project reads them.
ORDER_SHOW_CONSTANTS: dict[str, Any] = {
    "is_document": 0,
    "ship_type": "",
    "courier_mode": "",
    "currency": "INR",
    "country_code": 99,
    "exchange_rate_usd": 0,
    "exchange_rate_inr": 0,
    "state_code": 0,
    "total_inr": 0,
    "total_usd": 0,
    "other_charges": "0.00",
    "other_discounts": "0.00",
    "giftwrap_charges": "0.00",
    "expedited": 0,
    "sla": "2 days",
    "tax": 0,
    "total_kerala_cess": "",
    "discount": 0,
    "sub_status": None,
    "purpose_of_shipment": 0,
    "company_logo": None,
    "allow_return": 0,
    "is_incomplete": 0,
    "payment_code": None,
    "coupon_is_visible": False,
    "coupons": "",
    "billing_mobile_country_code": "+91",
    "isd_code": "",
    "billing_state_id": "",
    "billing_country_id": "",
    "freight_description": "Forward charges",
    "shipping_title": "",
    "allow_channel_order_sync": False,
    "uib-tooltip-text": "Re-fetch orders with updated details",
    "api_order_id": "",
    "allow_multiship": 0,
    "other_sub_orders": [],
    "is_order_verified": 0,
    "dup": 0,
    "is_blackbox_seller": False,
    "shipping_method": "SR",
    "pickup_address": [],
    "eway_bill_number": "",
    "eway_bill_url": "",
    "eway_required": False,
    "irn_no": "",
    "engage": None,
    "seller_can_edit": False,
    "seller_can_cancell": False,  # sic
    "is_post_ship_status": False,
    "order_tag": "",
    "qc_status": "",
    "qc_reason": "",
    "qc_image": "",
    "seller_request": None,
    "change_payment_mode": True,
    "etd_date": None,
    "out_for_delivery_date": None,
    "insurance_excluded": True,
    "can_edit_dimension": True,
}
ORDER_PRODUCT_CONSTANTS: dict[str, Any] = {
    "description": "",
    "model": None,
    "manufacturer": None,
    "brand": "",
    "color": "",
    "size": None,
    "custom_field": "",
    "custom_field_value": "",
    "custom_field_value_string": "",
    "weight": 0,
    "dimensions": "0x0x0",
    "returnable_quantity": 0,
    "tax": 0,
    "status": 1,
    "product_options": [],
    "discount_including_tax": 0,
    "channel_category": "Default Category",
    "packaging_material": "",
    "additional_material": "",
    "is_free_product": "",
}
ORDER_SHIPMENT_CONSTANTS: dict[str, Any] = {
    "order_product_id": None,
    "code": "",
    "cost": "0.00",
    "tax": "0.00",
    "rto_awb": "",
    "cod_charges": "0.00",
    "number": None,
    "name": None,
    "order_item_id": None,
    "comment": "",
    "manifest_id": "",
    "manifest_escalate": False,
    "isd_code": "+91",
    "eway_bill_number": "-",
    "eway_bill_date": None,
    "rto_initiated_date": "",
    "rto_delivered_date": "",
    "shipped_date": "",
    "package_images": "",
    "is_rto": False,
    "eway_required": False,
    "invoice_link": "",
    "is_darkstore_courier": 0,
    "courier_custom_rule": "",
    "is_single_shipment": True,
}

# Keys of a published serviceability courier entry the simulator has no model for, with the published values
# (docs/providers/shiprocket.md §2; nothing in the project reads them).
QUOTE_CONSTANTS: dict[str, Any] = {
    "assured_amount": 0,
    "base_courier_id": None,
    "base_weight": "",
    "cost": "",
    "description": "",
    "is_custom_rate": 0,
    "new_edd": 0,
    "others": json.dumps({"allow_postcode_auto_sync": 1, "cancel_real_time": True}, separators=(",", ":")),
    "pickup_availability": "0",
    "pickup_priority": "",
    "pickup_supress_hours": 0,  # sic
    "qc_courier": 0,
    "rank": "",
    "seconds_left_for_pickup": 0,
    "secure_shipment_disabled": False,
    "ship_type": 1,
    "suppress_date": "",
    "suppress_text": "",
    "suppression_dates": None,
    "volumetric_max_weight": None,
}
# A second pickup request this soon after the first is a "duplicate request" (500), later "already queued" (400).
PICKUP_DUPLICATE_WINDOW = timedelta(seconds=30)

ORDER_RETURN_PENDING = ("RETURN PENDING", 21)
ORDER_RETURN_PICKUP_GENERATED = ("RETURN PICKUP GENERATED", 28)
RETURN_REQUIRED = (
    "order_id",
    "order_date",
    "pickup_customer_name",
    "pickup_address",
    "pickup_city",
    "pickup_state",
    "pickup_country",
    "pickup_pincode",
    "pickup_email",
    "pickup_phone",
    "shipping_customer_name",
    "shipping_address",
    "shipping_city",
    "shipping_state",
    "shipping_country",
    "shipping_pincode",
    "shipping_phone",
    "order_items",
    "payment_method",
    "sub_total",
    "length",
    "breadth",
    "height",
    "weight",
)


@dataclass
class _Order:
    order_id: str
    sr_order_id: int
    shipment_id: int
    request: dict[str, Any]
    pickup: dict[str, Any]
    created_at: str
    status: tuple[str, int] = ORDER_NEW
    shipment_status: tuple[str, int] | None = None
    awb_code: str | None = None
    courier: dict[str, Any] | None = None
    assigned_at: datetime | None = None
    applied_weight: float | None = None
    zone: str | None = None
    freight_charges: float = 0.0
    pickup_scheduled_date: str | None = None
    pickup_token_number: str | None = None
    pickup_requested_at: datetime | None = None
    label_url: str | None = None
    manifest_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    is_return: bool = False
    # Tracking: courier scans oldest first, the scripted statuses still to come (None until the
    # first advance picks the lifecycle), when the last scan happened, and the NDR record if any.
    scans: list[dict[str, str]] = field(default_factory=list)
    remaining: list[int] | None = None
    lifecycle: str | list[int] | None = None
    track_cursor: datetime | None = None
    ndr: dict[str, Any] | None = None

    @property
    def delivery_pincode(self) -> str:
        # A return travels from the customer (pickup_*) to our warehouse (shipping_*).
        bill = not self.is_return and _flag(self.request.get("shipping_is_billing"), True)
        return str(self.request.get("billing_pincode" if bill else "shipping_pincode", ""))

    @property
    def customer_side(self) -> str:
        """The prefix of the request fields that describe the buyer; a return's customer is its pickup address."""
        if self.is_return:
            return "pickup"
        return "billing" if _flag(self.request.get("shipping_is_billing"), True) else "shipping"

    @property
    def is_cod(self) -> bool:
        return str(self.request.get("payment_method", "")).upper() == "COD"

    @property
    def cancelled(self) -> bool:
        return self.status == ORDER_CANCELED

    def state(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "sr_order_id": self.sr_order_id,
            "shipment_id": self.shipment_id,
            "awb_code": self.awb_code,
            "courier_company_id": self.courier["courier_company_id"] if self.courier else None,
            "courier_name": self.courier["courier_name"] if self.courier else None,
            "status": self.status[0],
            "status_code": self.status[1],
            "shipment_status": self.shipment_status[0] if self.shipment_status else None,
            "shipment_status_id": self.shipment_status[1] if self.shipment_status else None,
            "pickup_location": self.pickup["pickup_location"],
            "applied_weight": self.applied_weight,
            "zone": self.zone,
            "freight_charges": self.freight_charges,
            "pickup_scheduled_date": self.pickup_scheduled_date,
            "label_url": self.label_url,
            "manifest_url": self.manifest_url,
            "created_at": self.created_at,
            "request": self.request,
            "is_return": self.is_return,
            "scans": self.scans,
            "lifecycle": self.lifecycle,
            "lifecycle_remaining": self.remaining,
            "ndr": self.ndr,
            **self.extra,
        }


class _Rejected(Exception):
    """An order body Shiprocket refuses; ``missing`` tells the wrapper 422 from ``status: 0``."""

    def __init__(self, status: int, body: dict[str, Any], *, missing: bool = False) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = body
        self.missing = missing


class _UnknownShipment(Exception):
    """A simulator control call named an AWB the simulator does not hold."""


@dataclass
class _Refused:
    reason: str
    wallet: bool = False


# ----------------------------------------------------------------------------- helpers


def _paise(value: Any, name: str) -> int:
    """Rupees as whole paise, so a batch total is exact."""
    rupees = _number(value)
    if rupees is None or rupees < 0:
        raise ValueError(f"{name} must be a non-negative amount in rupees, not {value!r}")
    return round(rupees * 100)


def _field_name(key: str) -> str:
    return key.replace("_", " ")


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None


def _flag(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() in {"1", "true", "yes"}


def _state_of(pincode: str) -> str | None:
    return _STATE_BY_PREFIX.get(pincode[:3]) or _STATE_BY_PREFIX.get(pincode[:2])


def _valid_pincode(pincode: str) -> bool:
    return bool(re.fullmatch(r"[1-9]\d{5}", pincode)) and _state_of(pincode) is not None


def zone_for(pickup: str, delivery: str) -> str:
    """Shiprocket's zone letter for a lane (both pincodes already valid)."""
    if pickup[:3] == delivery[:3]:
        return "z_a"
    if pickup.startswith(SPECIAL_ZONE_PREFIXES) or delivery.startswith(SPECIAL_ZONE_PREFIXES):
        return "z_e"
    if _state_of(pickup) == _state_of(delivery):
        return "z_b"
    if pickup[:3] in METRO_PREFIXES and delivery[:3] in METRO_PREFIXES:
        return "z_c"
    return "z_d"


def charge_weight(weight_kg: float, dims: tuple[float, float, float] | None, min_weight: float = 0.5) -> float:
    """max(dead weight, L*B*H/5000, courier minimum), rounded up to the 0.5 kg slab."""
    volumetric = dims[0] * dims[1] * dims[2] / 5000 if dims else 0.0
    return max(math.ceil(max(weight_kg, volumetric, min_weight) / 0.5 - 1e-9) * 0.5, 0.5)


def _laravel_datetime(moment: datetime) -> dict[str, Any]:
    return {"date": moment.strftime("%Y-%m-%d %H:%M:%S.000000"), "timezone_type": 3, "timezone": "Asia/Kolkata"}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _sr_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


# The panel's date formats on orders/show (docs/providers/shiprocket.md §12, §14): "21 Sep 2022 05:28 PM",
# "21 Sep 2022" and, on the shipment, "21st Sep 2022 05:28 PM".
def _panel_datetime(moment: datetime) -> str:
    return moment.strftime("%d %b %Y %I:%M %p")


def _panel_date(text: str) -> str:
    """``YYYY-MM-DD[ ...]`` as "21 Sep 2022"; "" when it is not such a date."""
    try:
        return datetime.strptime(text[:10], "%Y-%m-%d").strftime("%d %b %Y")
    except ValueError:
        return ""


def _ordinal_datetime(moment: datetime) -> str:
    day = moment.day
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix} {moment.strftime('%b %Y %I:%M %p')}"


def _amount(value: Any) -> float | int:
    """A number as the request gave it (a numeric string as a float; 0 when it is none)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return _number(value) or 0.0


def _city_of(pincode: str) -> str:
    return _CITY_BY_PREFIX.get(pincode[:3]) or _state_of(pincode) or "Hub"


def _place(pincode: str, kind: str) -> str:
    """A courier facility name in the fixture's style, e.g. ``Pune_411028_PC (Maharashtra)``."""
    city = _city_of(pincode).replace(" ", "")
    facility = {"origin": f"{pincode}_PC", "dest": f"{pincode}_DC", "transit": "Gateway"}.get(kind, "Hub")
    return f"{city}_{facility} ({_state_of(pincode) or 'India'})"


def resolve_lifecycle(spec: Any) -> list[int]:
    """A lifecycle name of ``LIFECYCLES`` or an explicit list of shipment status ids, as ids."""
    if isinstance(spec, str):
        if spec not in LIFECYCLES:
            raise ValueError(f"unknown lifecycle {spec!r}; known: {', '.join(LIFECYCLES)}")
        return list(LIFECYCLES[spec])
    if (
        isinstance(spec, list)
        and spec
        and all(isinstance(step, int) and not isinstance(step, bool) and step > 0 for step in spec)
    ):
        return list(spec)
    raise ValueError(f"a lifecycle is a name or a non-empty list of shipment status ids, not {spec!r}")


def remaining_after(script: list[int], current: int | None) -> list[int]:
    """What is left of ``script`` for a shipment already at ``current``."""
    if current in script:
        return script[script.index(current) + 1 :]
    return list(script)


def _chance(value: Any, name: str) -> float:
    if value is None or isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and 0 <= value <= 1:
        return float(value)
    raise ValueError(f"webhook option {name} is a boolean or a probability between 0 and 1")


def _check_webhook_url(url: Any) -> str:
    if not isinstance(url, str) or not re.match(r"https?://", url):
        raise ValueError("webhook url must be an http(s) URL")
    lowered = url.lower()
    if any(word in lowered for word in WEBHOOK_URL_FORBIDDEN):
        raise ValueError("webhook url must not contain shiprocket, kartrocket, sr or kr (panel validation)")
    return url


def _post_webhook(url: str, token: str | None, payload: dict[str, Any]) -> tuple[int | None, str | None]:
    """POST like Shiprocket does: JSON, the panel token in ``x-api-key``. (HTTP status, error).

    GUESS: once, with a 10 s timeout and no retry; Shiprocket publishes no retry policy."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["x-api-key"] = token
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as answer:
            return int(answer.status), None
    except urllib.error.HTTPError as refused:
        return int(refused.code), None
    except (OSError, ValueError) as failed:
        return None, f"{type(failed).__name__}: {failed}"


# --------------------------------------------------------------------------- simulator


class ShiprocketSim(SimApp):
    name = "shiprocket"
    prefix = "/v1/external"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.clock = clock
        self.reset()
        public: list[tuple[str, str, Callable[[Request], Response]]] = [("POST", "/auth/login", self._login)]
        authed: list[tuple[str, str, Callable[[Request], Response]]] = [
            ("POST", "/auth/logout", self._logout),
            ("GET", "/courier/serviceability/", self._serviceability),
            ("POST", "/orders/create/adhoc", self._create_adhoc),
            ("POST", "/courier/assign/awb", self._assign_awb),
            ("POST", "/courier/generate/pickup", self._generate_pickup),
            ("POST", "/courier/generate/label", self._generate_label),
            ("POST", "/shipments/create/forward-shipment", self._forward_shipment),
            ("GET", "/orders/show/{id}", self._show_order),
            ("POST", "/orders/cancel", self._cancel_orders),
            ("GET", "/settings/company/pickup", self._pickup_locations),
            ("POST", "/orders/create/return", self._create_return),
            ("GET", "/courier/track/awb/{awb}", self._track_awb),
            ("POST", "/courier/track/awbs", self._track_awbs),
            ("GET", "/courier/track/shipment/{shipment_id}", self._track_shipment),
            ("GET", "/courier/track", self._track_order),
            # /ndr/all first: the {awb} template would match "all" too.
            ("GET", "/ndr/all", self._ndr_all),
            ("GET", "/ndr/{awb}", self._ndr_show),
            ("POST", "/ndr/{awb}/action", self._ndr_action),
        ]
        for method, template, handler in public:
            self.route(method, template)(handler)
        for method, template, handler in authed:
            self.route(method, template)(self._authed(handler))

    # -- SimApp hooks -------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.rng = random.Random(RNG_SEED)
            self.couriers: dict[int, dict[str, Any]] = {}
            for courier in DEFAULT_COURIERS:
                self._put_courier(courier)
            self.pickup_locations: dict[str, dict[str, Any]] = {}
            for location in DEFAULT_PICKUP_LOCATIONS:
                self._put_pickup_location(location)
            self.unserviceable: set[str] = set(DEFAULT_UNSERVICEABLE_PINCODES)
            self.api_users: dict[str, str] = {DEFAULT_API_EMAIL: DEFAULT_API_PASSWORD}
            self.token_ttl_s: float = DEFAULT_TOKEN_TTL_S
            self.tokens: dict[str, float] = {}
            self.wallet_balance = DEFAULT_WALLET_BALANCE
            self.orders: dict[str, _Order] = {}
            self.by_shipment: dict[int, _Order] = {}
            self.by_sr_id: dict[int, _Order] = {}
            self.pickups: list[dict[str, Any]] = []
            self.labels: list[dict[str, Any]] = []
            self.returns: dict[str, _Order] = {}
            # A separate stream keeps tracking runs repeatable whatever else used self.rng.
            self.track_rng = random.Random(RNG_SEED + 7)
            self.lifecycles: dict[str, str | list[int]] = {}
            self.default_lifecycle: str | list[int] = DEFAULT_LIFECYCLE
            self.webhook: dict[str, str | None] | None = None
            self.webhook_options: dict[str, Any] = {}
            self.webhooks: list[dict[str, Any]] = []
            self.ndr_actions: list[dict[str, Any]] = []
            self.remittances: list[dict[str, Any]] = []
            self.next_ndr_id = 880000
            self.next_ndr_history_id = 50_340_000
            # Counters start at the ids of tests/fixtures/reference.py so the first order reproduces them.
            self.next_sr_order_id = 612345678
            self.next_shipment_id = 609876543
            self.next_awb = 456789
            self.next_pickup_token = 1001

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise TypeError("seed payload must be a JSON object")
        replace = bool(payload.get("replace"))
        with self.lock:
            if "pickup_locations" in payload:
                if replace:
                    self.pickup_locations.clear()
                for location in payload["pickup_locations"]:
                    self._put_pickup_location(location)
            if "couriers" in payload:
                if replace:
                    self.couriers.clear()
                for courier in payload["couriers"]:
                    self._put_courier(courier)
            if "unserviceable_pincodes" in payload:
                if replace:
                    self.unserviceable.clear()
                self.unserviceable.update(str(pin) for pin in payload["unserviceable_pincodes"])
            if "api_users" in payload:
                if replace:
                    self.api_users.clear()
                for user in payload["api_users"]:
                    self.api_users[str(user["email"])] = str(user["password"])
            if "wallet_balance" in payload:
                self.wallet_balance = float(payload["wallet_balance"])
            if "token_ttl_s" in payload:
                self.token_ttl_s = float(payload["token_ttl_s"])
            expired = self.expire_tokens() if payload.get("expire_tokens") else 0
            self._seed_tracking(payload)
            updated = [self._apply_order_update(update) for update in payload.get("order_updates", [])]
            return {
                "pickup_locations": len(self.pickup_locations),
                "couriers": len(self.couriers),
                "unserviceable_pincodes": len(self.unserviceable),
                "api_users": len(self.api_users),
                "wallet_balance": self.wallet_balance,
                "token_ttl_s": self.token_ttl_s,
                "tokens_expired": expired,
                "orders_updated": updated,
                "lifecycles": len(self.lifecycles),
                "webhook_url": self.webhook["url"] if self.webhook else None,
                "webhook_options": self.webhook_options,
            }

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(
                {
                    "orders": [order.state() for order in self.orders.values()],
                    "pickups": self.pickups,
                    "labels": self.labels,
                    "returns": [order.state() for order in self.returns.values()],
                    "webhooks": self.webhooks,
                    "ndr_actions": self.ndr_actions,
                    "remittances": self.remittances,
                    "webhook_url": self.webhook["url"] if self.webhook else None,
                    "wallet_balance": round(self.wallet_balance, 2),
                    "pickup_locations": list(self.pickup_locations.values()),
                    "couriers": list(self.couriers.values()),
                    "unserviceable_pincodes": sorted(self.unserviceable),
                    "active_tokens": sum(1 for exp in self.tokens.values() if exp > self.clock()),
                }
            )

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        try:
            return super().handle(method, raw_path, headers, body)
        except Exception:
            # Answer like the PHP backend's 500s instead of dropping the connection; the traceback
            # still reaches the log so a simulator bug is visible.
            _log.exception("shiprocket simulator failed on %s %s", method, raw_path.split("?")[0])
            return Response(500, {"message": "Server Error", "status_code": 500})

    def _builtin(self, method: str, path: str, body: bytes) -> Response | None:
        if (method, path) == ("POST", "/_sim/expire-tokens"):
            return Response(200, {"expired": self.expire_tokens()})
        try:
            if (method, path) == ("POST", "/_sim/tracking/advance"):
                return self._advance_request(json.loads(body or b"{}"))
            if (method, path) == ("POST", "/_sim/remit"):
                return self._remit_request(json.loads(body or b"{}"))
            return super()._builtin(method, path, body)
        except _UnknownShipment as exc:
            return Response(404, {"message": str(exc)})
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            return Response(400, {"message": f"bad simulator request: {exc}"})

    def expire_tokens(self) -> int:
        with self.lock:
            past = self.clock() - 1
            for token in self.tokens:
                self.tokens[token] = past
            return len(self.tokens)

    # -- seeding helpers ----------------------------------------------------------------
    def _put_courier(self, spec: dict[str, Any]) -> None:
        courier_id = int(spec["courier_company_id"])
        base = self.couriers.get(courier_id) or {
            **copy.deepcopy(COURIER_DEFAULTS),
            "courier_name": f"Courier {courier_id}",
        }
        merged = {**base, **copy.deepcopy(spec), "courier_company_id": courier_id}
        if merged.get("awb_prefix") is None:
            merged["awb_prefix"] = f"SR{courier_id}"
        for zone in merged["zones"]:
            if zone not in ZONES or len(merged["rates"][zone]) != 2 or zone not in merged["edd_days"]:
                raise ValueError(f"courier {courier_id}: zone {zone} needs rates [first, additional] and edd_days")
        if len(merged["cod_charge"]) != 2:
            raise ValueError(f"courier {courier_id}: cod_charge is [flat, percent]")
        self.couriers[courier_id] = merged

    def _put_pickup_location(self, spec: dict[str, Any]) -> None:
        nickname = str(spec["pickup_location"])
        existing = self.pickup_locations.get(nickname)
        fresh_id = max((loc["id"] for loc in self.pickup_locations.values()), default=4123400) + 1
        location_id = existing["id"] if existing else fresh_id
        merged = {
            **(existing or _PICKUP_DEFAULTS),
            **spec,
            "pickup_location": nickname,
            "pin_code": str(spec["pin_code"]),
        }
        merged["id"] = location_id
        merged.setdefault("rto_address_id", location_id)
        self.pickup_locations[nickname] = merged

    def _apply_order_update(self, update: dict[str, Any]) -> str:
        order = self.orders.get(str(update.get("order_id"))) or self.returns.get(str(update.get("order_id")))
        if order is None:
            order = self._find_awb(str(update.get("awb_code") or ""))
        if order is None:
            raise KeyError(f"no order for update {update}")
        if "status" in update:
            order.status = (str(update["status"]), int(update["status_code"]))
        if "shipment_status" in update:
            order.shipment_status = (str(update["shipment_status"]), int(update["shipment_status_id"]))
        for key in ("remittance_date", "remittance_utr", "remittance_status", "delivered_date"):
            if key in update:
                order.extra[key] = update[key]
        return order.order_id

    # -- auth ---------------------------------------------------------------------------
    def _authed(self, handler: Callable[[Request], Response]) -> Handler:
        def guarded(request: Request) -> Response:
            authorization = request.header("authorization") or ""
            scheme, _, token = authorization.partition(" ")
            expiry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if expiry is None:
                return Response(401, UNAUTHENTICATED)
            if expiry <= self.clock():
                return Response(401, TOKEN_EXPIRED)
            return handler(request)

        return guarded

    def _issue_token(self, user_id: int, now: float) -> str:
        header = _b64url(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
        claims = {
            "sub": user_id,
            "iss": "https://apiv2.shiprocket.in/v1/external/auth/login",
            "iat": int(now),
            "exp": int(now + self.token_ttl_s),
            "nbf": int(now),
            "jti": f"{self.rng.getrandbits(64):016x}",
        }
        unsigned = f"{header}.{_b64url(json.dumps(claims).encode())}"
        signature = hmac.new(b"shiprocket-sim", unsigned.encode(), hashlib.sha256).digest()
        return f"{unsigned}.{_b64url(signature)}"

    def _login(self, request: Request) -> Response:
        """GUESS: the collection saves no login answer; the body is the one other code bases read, a wrong
        password a 400 (docs/providers/shiprocket.md §1)."""
        body = request.json()
        if not isinstance(body, dict):
            body = {}
        missing = {
            key: [f"The {key} field is required."] for key in ("email", "password") if _is_missing(body.get(key))
        }
        if missing:
            return Response(422, {"message": "Oops! Invalid Data.", "errors": missing, "status_code": 422})
        email, password = str(body["email"]), str(body["password"])
        if not hmac.compare_digest(self.api_users.get(email, "\0"), password):
            return Response(400, {"message": "Invalid email and password combination", "status_code": 400})
        now = self.clock()
        user_id = 4000000 + sorted(self.api_users).index(email)
        token = self._issue_token(user_id, now)
        self.tokens[token] = now + self.token_ttl_s
        created = datetime.fromtimestamp(now, IST).strftime("%Y-%m-%d %H:%M:%S")
        return Response(
            200,
            {
                "id": user_id,
                "first_name": "API",
                "last_name": "User",
                "email": email,
                "company_id": COMPANY_ID,
                "created_at": created,
                "token": token,
            },
        )

    def _logout(self, request: Request) -> Response:
        """GUESS: the collection saves no logout answer."""
        token = (request.header("authorization") or "").partition(" ")[2].strip()
        self.tokens.pop(token, None)
        return Response(200, {"message": "Successfully logged out"})

    # -- quoting ------------------------------------------------------------------------
    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), IST)

    def _quotes(
        self,
        pickup: str,
        delivery: str,
        *,
        weight: float,
        dims: tuple[float, float, float] | None,
        cod: bool,
        declared_value: float,
        mode: str | None = None,
    ) -> tuple[str, list[dict[str, Any]]] | None:
        """(zone, courier entries) for a lane, or None when the lane is not serviceable at all."""
        if not (_valid_pincode(pickup) and _valid_pincode(delivery)) or delivery in self.unserviceable:
            return None
        zone = zone_for(pickup, delivery)
        now = self._now()
        city = _CITY_BY_PREFIX.get(delivery[:3]) or _state_of(delivery) or ""
        entries = []
        for courier in self.couriers.values():
            if zone not in courier["zones"] or (cod and not courier["cod"]):
                continue
            if mode and str(courier["mode"]).lower() != mode.lower():
                continue
            weight_charged = charge_weight(weight, dims, float(courier["min_weight"]))
            if weight_charged > float(courier["max_weight"]):
                continue
            first, additional = courier["rates"][zone]
            freight = round(first + (weight_charged / 0.5 - 1) * additional, 2)
            flat, percent = courier["cod_charge"]
            cod_charges = round(max(flat, declared_value * percent / 100), 2) if cod else 0.0
            days = int(courier["edd_days"][zone])
            etd = datetime.combine(now.date() + timedelta(days=days), datetime.min.time(), IST) + timedelta(hours=20)
            air = str(courier["mode"]).lower() == "air"
            entries.append(
                {
                    "id": courier["courier_company_id"] * 1000 + ZONES.index(zone) * 100 + int(weight_charged * 2),
                    "courier_company_id": courier["courier_company_id"],
                    "courier_name": courier["courier_name"],
                    "courier_type": "0",
                    "rate": round(freight + cod_charges, 2),
                    "freight_charge": freight,
                    "cod_charges": cod_charges,
                    "rto_charges": round(freight * float(courier["rto_factor"]), 2),
                    "coverage_charges": 0,
                    "other_charges": 0,
                    "entry_tax": 0,
                    "cod": int(courier["cod"]),
                    "cod_multiplier": courier["cod_charge"][1],
                    "cod_charge_flat": courier["cod_charge"][0],
                    "estimated_delivery_days": str(days),
                    "etd": etd.strftime("%b %d, %Y"),
                    "etd_hours": max(int((etd - now).total_seconds() // 3600), 1),
                    "edd": "",
                    "rating": courier["rating"],
                    "delivery_performance": courier["delivery_performance"],
                    "pickup_performance": courier["pickup_performance"],
                    "rto_performance": courier["rto_performance"],
                    "tracking_performance": courier["tracking_performance"],
                    "is_surface": not air,
                    "mode": 1 if air else 0,
                    "air_max_weight": f"{float(courier['max_weight']):.2f}" if air else "0.00",
                    "surface_max_weight": "0.00" if air else f"{float(courier['max_weight']):.2f}",
                    "min_weight": courier["min_weight"],
                    "charge_weight": weight_charged,
                    "weight_cases": 0.5,
                    "zone": zone,
                    "city": city,
                    "state": _state_of(delivery),
                    "postcode": delivery,
                    "region": 1,
                    "cutoff_time": courier["cutoff_time"],
                    "realtime_tracking": "Real Time",
                    "pod_available": "Instant",
                    "call_before_delivery": "Available",
                    "delivery_boy_contact": "Available",
                    "is_hyperlocal": False,
                    "is_international": 0,
                    "is_rto_address_available": True,
                    "odablock": False,
                    "blocked": 0,
                    "local_region": 0,
                    "metro": 1 if delivery[:3] in METRO_PREFIXES else 0,
                    **QUOTE_CONSTANTS,
                }
            )
        return zone, entries

    @staticmethod
    def _recommend(entries: list[dict[str, Any]]) -> dict[str, Any]:
        """Best rated among the near-cheapest (within 25 % of the cheapest), then cheapest."""
        cheapest = min(entry["rate"] for entry in entries)
        near = [entry for entry in entries if entry["rate"] <= cheapest * 1.25]
        return min(near, key=lambda e: (-e["rating"], e["rate"], e["courier_company_id"]))

    def _order_quotes(self, order: _Order) -> tuple[str, list[dict[str, Any]]] | None:
        req = order.request
        return self._quotes(
            str(order.pickup["pin_code"]),
            order.delivery_pincode,
            weight=float(req["weight"]),
            dims=(float(req["length"]), float(req["breadth"]), float(req["height"])),
            cod=order.is_cod,
            declared_value=float(req["sub_total"]),
            mode=req.get("mode") if isinstance(req.get("mode"), str) else None,
        )

    # -- serviceability -----------------------------------------------------------------
    def _serviceability(self, request: Request) -> Response:
        # The parameters are a query string; GUESS: a JSON body on the GET is read too (the saved examples show
        # neither).
        try:
            data = request.json() if request.body else {}
        except json.JSONDecodeError:
            data = {}
        params: dict[str, Any] = {**(data if isinstance(data, dict) else {}), **request.query}
        errors: dict[str, list[str]] = {}
        for key in ("pickup_postcode", "delivery_postcode"):
            if _is_missing(params.get(key)):
                errors[key] = [f"The {_field_name(key)} field is required."]
        by_order = not _is_missing(params.get("order_id"))
        is_return = _flag(params.get("is_return"), False)
        if not by_order:
            # Returns are always prepaid, so a return quote needs no cod flag.
            for key in ("weight",) if is_return else ("weight", "cod"):
                if _is_missing(params.get(key)):
                    errors[key] = [f"The {key} field is required when order id is not present."]
            if errors.keys() & {"weight", "cod"}:
                # The published wording (docs/providers/shiprocket.md §2).
                errors["order_id"] = [
                    "The order id field is required when pickup postcode / delivery postcode / cod / weight is not "
                    "present."
                ]
        if is_return and _is_missing(params.get("declared_value")):
            errors["declared_value"] = ["The declared value field is required when is return is 1."]
        if errors:
            return Response(422, {"message": "Required field missing", "errors": errors, "status_code": 422})

        if by_order:
            order = self.by_sr_id.get(int(_number(params["order_id"]) or 0))
            if order is None:
                return Response(200, {"status": 404, "message": "Order does not exist!"})
            req = order.request
            weight: float | None = float(req["weight"])
            dims: tuple[float, float, float] | None = (
                float(req["length"]),
                float(req["breadth"]),
                float(req["height"]),
            )
            cod = order.is_cod
            declared: float | None = float(req["sub_total"])
        else:
            weight = _number(params["weight"])
            dims = None
            cod = not is_return and _flag(params.get("cod"), False)
            declared = _number(params.get("declared_value", 0) or 0)
            sizes = [_number(params.get(key)) for key in ("length", "breadth", "height")]
            if all(size is not None for size in sizes):
                dims = (sizes[0] or 0.0, sizes[1] or 0.0, sizes[2] or 0.0)
        invalid = {}
        if weight is None or weight <= 0:
            invalid["weight"] = ["The weight must be a number greater than 0."]
        if declared is None:
            invalid["declared_value"] = ["The declared value must be a number."]
        if str(params.get("cod", "0")) not in {"0", "1", "True", "False", "true", "false"}:
            invalid["cod"] = ["The cod field must be 0 or 1."]
        if invalid or weight is None or declared is None:
            return Response(422, {"message": "Oops! Invalid Data.", "errors": invalid, "status_code": 422})

        mode = params.get("mode")
        quoted = self._quotes(
            str(params["pickup_postcode"]).strip(),
            str(params["delivery_postcode"]).strip(),
            weight=weight,
            dims=dims,
            cod=cod,
            declared_value=declared,
            mode=mode if isinstance(mode, str) and mode else None,
        )
        if quoted is None or not quoted[1]:
            return Response(200, NOT_SERVICEABLE)
        entries = quoted[1]
        recommended = self._recommend(entries)["courier_company_id"]
        return Response(
            200,
            {
                "status": 200,
                "currency": "INR",
                "company_auto_shipment_insurance_setting": False,
                "covid_zones": {"delivery_zone": None, "pickup_zone": None},
                "dg_courier": 0,
                "eligible_for_insurance": False,
                "insurace_opted_at_order_creation": False,  # sic
                "is_allow_templatized_pricing": True,
                "is_latlong": 0,
                "is_old_zone_opted": False,
                "is_zone_from_mongo": True,
                "label_generate_type": 0,
                "on_new_zone": 2,
                "seller_address": [],
                "user_insurance_manadatory": False,  # sic
                "data": {
                    "available_courier_companies": entries,
                    "blocked_courier_companies": [],
                    "recommended_courier_company_id": recommended,
                    "shiprocket_recommended_courier_id": recommended,
                    "recommended_by": {"id": 6, "title": "Recommendation By Shiprocket"},
                    "is_recommendation_enabled": 1,
                    "recommendation_advance_rule": 0,
                    "child_courier_id": None,
                },
            },
        )

    # -- orders -------------------------------------------------------------------------
    def _validate_order(self, body: dict[str, Any]) -> None:
        missing: dict[str, list[str]] = {}
        for key in ORDER_REQUIRED:
            if key == "shipping_is_billing":
                if body.get(key) is None or body.get(key) == "":
                    missing[key] = [f"The {_field_name(key)} field is required."]
            elif _is_missing(body.get(key)):
                missing[key] = [f"The {_field_name(key)} field is required."]
        if not _flag(body.get("shipping_is_billing"), True):
            for key in SHIPPING_REQUIRED:
                if _is_missing(body.get(key)):
                    missing[key] = [f"The {_field_name(key)} field is required when shipping is billing is 0."]
        if missing:
            raise _Rejected(
                422, {"message": "Oops! Invalid Data.", "errors": missing, "status_code": 422}, missing=True
            )

        invalid: dict[str, list[str]] = {}
        if len(str(body["order_id"])) > 50:
            invalid["order_id"] = ["The order id may not be greater than 50 characters."]
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?", str(body["order_date"])):
            invalid["order_date"] = ["The order date does not match the format Y-m-d H:i."]
        if len(str(body["billing_city"])) > 30:
            invalid["billing_city"] = ["The billing city may not be greater than 30 characters."]
        phones = ["billing_phone"] + ([] if _flag(body.get("shipping_is_billing"), True) else ["shipping_phone"])
        for key in phones:
            if not re.fullmatch(r"\d{10}", str(body[key])):
                invalid[key] = [f"The {_field_name(key)} must be 10 digits."]
        pins = ["billing_pincode"] + ([] if _flag(body.get("shipping_is_billing"), True) else ["shipping_pincode"])
        for key in pins:
            if not re.fullmatch(r"\d{6}", str(body[key])):
                invalid[key] = [f"The {_field_name(key)} must be 6 digits."]
        if str(body["payment_method"]).upper() not in {"COD", "PREPAID"}:
            invalid["payment_method"] = ["The selected payment method is invalid."]
        sub_total = _number(body["sub_total"])
        if sub_total is None or sub_total <= 0:
            invalid["sub_total"] = ["The sub total must be a number greater than 0."]
        for key in ("length", "breadth", "height"):
            size = _number(body[key])
            if size is None or size <= 0.5:
                invalid[key] = [f"The {key} must be greater than 0.5."]
        weight = _number(body["weight"])
        if weight is None or weight <= 0:
            invalid["weight"] = ["The weight must be greater than 0."]
        items = body["order_items"]
        if not isinstance(items, list):
            invalid["order_items"] = ["The order items must be an array."]
            items = []
        for index, item in enumerate(items):
            item = item if isinstance(item, dict) else {}
            for key in ("name", "sku", "units", "selling_price"):
                if _is_missing(item.get(key)):
                    invalid[f"order_items.{index}.{key}"] = [f"The order_items.{index}.{key} field is required."]
            units = item.get("units")
            if not _is_missing(units) and (_number(units) is None or (_number(units) or 0) < 1):
                invalid[f"order_items.{index}.units"] = [f"The order_items.{index}.units must be at least 1."]
            if not _is_missing(item.get("selling_price")) and _number(item.get("selling_price")) is None:
                invalid[f"order_items.{index}.selling_price"] = [
                    f"The order_items.{index}.selling_price must be a number."
                ]
        if invalid:
            raise _Rejected(422, {"message": "Oops! Invalid Data.", "errors": invalid, "status_code": 422})
        channel = body.get("channel_id")
        if not _is_missing(channel) and _number(channel) not in CHANNEL_IDS:
            # The collection's "Invalid Data" example of Create Custom Order (docs/providers/shiprocket.md §3).
            raise _Rejected(400, {"message": "Given channel id does not exist", "status_code": 400})
        skus = [str(item.get("sku")) for item in items]
        if len(set(skus)) != len(skus):
            # GUESS (not published): production clients saw HTTP 400 with this text (Jaal-Yantra-Textiles/v2 PR #866).
            raise _Rejected(400, {"message": "SKU cannot be repeated.", "status_code": 400})

    def _pickup_for(self, body: dict[str, Any]) -> dict[str, Any]:
        location = self.pickup_locations.get(str(body["pickup_location"]))
        if location is None:
            # GUESS: no published answer for a pickup nickname the account does not have.
            raise _Rejected(
                422,
                {
                    "message": "Wrong Pickup location entered. Please choose one location from data given",
                    "data": {"data": list(self.pickup_locations.values())},
                    "status_code": 422,
                },
            )
        return location

    def _create_order(self, body: dict[str, Any]) -> tuple[_Order, bool]:
        """(order, created). A known ``order_id`` returns the existing order untouched."""
        self._validate_order(body)
        existing = self.orders.get(str(body["order_id"]))
        if existing is not None:
            # The existing order, untouched: the collection's prose and the captured live body (§3).
            return existing, False
        pickup = self._pickup_for(body)
        order = _Order(
            order_id=str(body["order_id"]),
            sr_order_id=self.next_sr_order_id,
            shipment_id=self.next_shipment_id,
            request=copy.deepcopy(body),
            pickup=pickup,
            created_at=self._now().strftime("%Y-%m-%d %H:%M:%S"),
        )
        self.next_sr_order_id += 1
        self.next_shipment_id += 1
        self.orders[order.order_id] = order
        self.by_shipment[order.shipment_id] = order
        self.by_sr_id[order.sr_order_id] = order
        return order, True

    @staticmethod
    def _order_body(order: _Order, created: bool) -> dict[str, Any]:
        courier = order.courier
        return {
            "order_id": order.sr_order_id,
            "shipment_id": order.shipment_id,
            "status": order.status[0],
            "status_code": order.status[1],
            "onboarding_completed_now": 0,
            # A duplicate answers "" for a missing AWB, as observed in production (docs/providers/shiprocket.md §3).
            "awb_code": order.awb_code if order.awb_code else (None if created else ""),
            "courier_company_id": courier["courier_company_id"] if courier else None,
            "courier_name": courier["courier_name"] if courier else None,
        }

    def _create_adhoc(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return Response(422, {"message": "Oops! Invalid Data.", "errors": {}, "status_code": 422})
        try:
            order, created = self._create_order(body)
        except _Rejected as rejected:
            return Response(rejected.status, rejected.body)
        return Response(200, self._order_body(order, created))

    # -- AWB ------------------------------------------------------------------------------
    def _next_awb(self, courier: dict[str, Any]) -> str:
        prefix = str(courier["awb_prefix"])
        width = max(int(courier["awb_digits"]) - len(prefix), 6)
        self.next_awb += 1
        return f"{prefix}{self.next_awb:0{width}d}"

    def _assign(self, order: _Order, courier_id: int | None) -> dict[str, Any] | _Refused:
        if order.cancelled:
            return _Refused(CANCELLED_STATE_MESSAGE)
        quoted = self._order_quotes(order)
        if quoted is None or not quoted[1]:
            return _Refused("Delivery postcode not serviceable")
        zone, entries = quoted
        if courier_id is None:
            entry = self._recommend(entries)
        else:
            if courier_id not in self.couriers:
                return _Refused("Invalid courier id")
            found = next((e for e in entries if e["courier_company_id"] == courier_id), None)
            if found is None:
                name = self.couriers[courier_id]["courier_name"]
                return _Refused(f"{name} is not serviceable for this shipment. Please select another courier.")
            entry = found
        courier = self.couriers[entry["courier_company_id"]]
        if courier.get("refuse_awb"):
            return _Refused(str(courier["refuse_awb"]))
        if order.delivery_pincode in {str(pin) for pin in courier["refuse_awb_pincodes"]}:
            return _Refused(
                f"{courier['courier_name']} could not generate AWB for pincode {order.delivery_pincode}. "
                "Please try another courier."
            )
        if self.wallet_balance < entry["rate"]:
            return _Refused(WALLET_LOW_MESSAGE, wallet=True)
        self.wallet_balance -= entry["rate"]
        order.freight_charges = entry["rate"]
        order.awb_code = self._next_awb(courier)
        order.courier = courier
        order.assigned_at = self._now()
        order.applied_weight = entry["charge_weight"]
        order.zone = zone
        order.status = ORDER_RETURN_PENDING if order.is_return else ORDER_READY_TO_SHIP
        order.shipment_status = SHIPMENT_AWB_ASSIGNED
        return self._awb_data(order)

    def _awb_data(self, order: _Order) -> dict[str, Any]:
        courier = order.courier or {}
        pickup = order.pickup
        assigned = order.assigned_at or self._now()
        shipper = {
            "shipper_company_name": COMPANY_NAME,
            "shipper_address_1": pickup.get("address", ""),
            "shipper_address_2": pickup.get("address_2", ""),
            "shipper_city": pickup.get("city", ""),
            "shipper_state": pickup.get("state", ""),
            "shipper_country": pickup.get("country", "India"),
            "shipper_postcode": pickup["pin_code"],
            "shipper_first_mile_activated": 0,
            "shipper_phone": pickup.get("phone", ""),
            "lat": pickup.get("lat"),
            "long": pickup.get("long"),
            "shipper_email": pickup.get("email", ""),
            "rto_company_name": COMPANY_NAME,
            "rto_address_1": pickup.get("address", ""),
            "rto_address_2": pickup.get("address_2", ""),
            "rto_city": pickup.get("city", ""),
            "rto_state": pickup.get("state", ""),
            "rto_country": pickup.get("country", "India"),
            "rto_postcode": pickup["pin_code"],
            "rto_phone": pickup.get("phone", ""),
            "rto_email": pickup.get("email", ""),
        }
        return {
            "courier_company_id": courier.get("courier_company_id"),
            "awb_code": order.awb_code,
            "cod": 1 if order.is_cod else 0,
            "order_id": order.sr_order_id,
            "shipment_id": order.shipment_id,
            "awb_code_status": 1,
            "assigned_date_time": _laravel_datetime(assigned),
            "applied_weight": order.applied_weight,
            "company_id": COMPANY_ID,
            "courier_name": courier.get("courier_name"),
            "child_courier_name": None,
            # Published as a date already at AWB time: the slot the pickup will get (GUESS: the simulator's
            # own slot rule, as ``_schedule_pickup`` will fix it).
            "pickup_scheduled_date": order.pickup_scheduled_date or self._pickup_slot(order, None),
            "routing_code": f"{order.pickup['city'][:3].upper()}/{order.delivery_pincode[:3]}",
            "rto_routing_code": f"{order.pickup['city'][:3].upper()}/{order.pickup['pin_code'][:3]}",
            "invoice_no": f"Retail{order.sr_order_id % 100000:05d}",
            "transporter_id": "",
            "transporter_name": "",
            "shipped_by": shipper,
        }

    def _assign_awb(self, request: Request) -> Response:
        body = request.json()
        body = body if isinstance(body, dict) else {}
        if _is_missing(body.get("shipment_id")):
            return Response(
                422,
                {
                    "message": "Required field missing",
                    "errors": {"shipment_id": ["The shipment id field is required."]},
                    "status_code": 422,
                },
            )
        order = self.by_shipment.get(int(_number(body["shipment_id"]) or 0))
        if order is None:
            # What the collection saved for a made-up shipment id ("Invalid Data", docs/providers/shiprocket.md §4).
            return Response(400, {"message": "Oops! Cannot reassign courier for this shipment.", "status_code": 400})
        if order.is_return and str(body.get("is_return", "")).strip() != "1":
            # The collection's return-AWB request marks is_return required (docs/providers/shiprocket.md §9);
            # GUESS: the Laravel-style 422 for it, as for every other missing field.
            return Response(
                422,
                {
                    "message": "Required field missing",
                    "errors": {"is_return": ["The is return field is required."]},
                    "status_code": 422,
                },
            )
        courier_number = _number(body.get("courier_id"))
        courier_id = int(courier_number) if courier_number is not None else None
        if order.awb_code and not order.cancelled:
            if str(body.get("status", "")).lower() != "reassign":
                # GUESS (form): the text is what third-party code looks for; no body is published.
                return Response(
                    200, {"awb_assign_status": 0, "response": {"data": {"awb_assign_error": "AWB is already assigned"}}}
                )
            if order.assigned_at and self._now() - order.assigned_at < timedelta(hours=24):
                return Response(
                    400, {"message": "Oops! Cannot reassign courier for this shipment.", "status_code": 400}
                )
            # A reassignment releases the old AWB and refunds its freight before charging the new one.
            self.wallet_balance += order.freight_charges
            order.awb_code, order.courier, order.freight_charges = None, None, 0.0
        outcome = self._assign(order, courier_id)
        if isinstance(outcome, _Refused):
            if outcome.wallet:
                # HTTP status for 350 is uncertain (docs/providers/shiprocket.md §4); clients in the wild read the body
                # code after a 200, so the simulator answers 200 and keeps the code in the body.
                return Response(200, {"status_code": 350, "message": outcome.reason})
            return Response(200, {"awb_assign_status": 0, "response": {"data": {"awb_assign_error": outcome.reason}}})
        return Response(200, {"awb_assign_status": 1, "response": {"data": outcome}})

    # -- pickup ---------------------------------------------------------------------------
    def _pickup_problem(self, order: _Order | None) -> Response | None:
        """The published refusals of ``courier/generate/pickup`` (docs/providers/shiprocket.md §5)."""
        if order is None:
            return Response(400, {"message": "Invalid shipment id", "status_code": 400})
        if order.cancelled:
            # GUESS: no published body for a cancelled shipment.
            return Response(400, {"message": "Shipment is in cancelled state", "status_code": 400})
        if not order.awb_code:
            return Response(400, {"message": "Awb not Assigned"})
        if order.pickup_scheduled_date:
            requested_at = order.pickup_requested_at
            if requested_at is not None and self._now() - requested_at < PICKUP_DUPLICATE_WINDOW:
                # GUESS: when each of the two published "already" answers is given is not documented; a repeat
                # close on the heels of the first gets the 500, a later one the 400.
                return Response(500, {"message": "Duplicate request for pickup generation"})
            return Response(400, {"message": "Already in Pickup Queue."})
        return None

    def _pickup_slot(self, order: _Order, requested: date | None) -> str:
        """The courier's next cut-off (or the requested day's), a Sunday rolled to Monday."""
        now = self._now()
        cutoff = datetime.strptime(str((order.courier or {}).get("cutoff_time", "14:00")), "%H:%M").time()
        day = now.date() if now.time() < cutoff else now.date() + timedelta(days=1)
        if requested:
            day = max(day, requested)
        if day.weekday() == 6:  # Sunday pickups roll to Monday (GUESS: holidays are not modelled)
            day += timedelta(days=1)
        return f"{day.isoformat()} {cutoff.strftime('%H:%M:%S')}"

    def _schedule_pickup(self, order: _Order, requested: date | None) -> dict[str, Any]:
        now = self._now()
        courier = order.courier or {}
        scheduled = self._pickup_slot(order, requested)
        token = f"Reference No: {courier.get('courier_company_id')}_{self.next_pickup_token}"
        self.next_pickup_token += 1
        order.pickup_scheduled_date = scheduled
        order.pickup_token_number = token
        order.pickup_requested_at = now
        order.status = ORDER_RETURN_PICKUP_GENERATED if order.is_return else ORDER_PICKUP_SCHEDULED
        order.shipment_status = SHIPMENT_PICKUP_SCHEDULED
        self.pickups.append(
            {
                "order_id": order.order_id,
                "sr_order_id": order.sr_order_id,
                "shipment_id": order.shipment_id,
                "awb_code": order.awb_code,
                "courier_company_id": courier.get("courier_company_id"),
                "pickup_scheduled_date": scheduled,
                "pickup_token_number": token,
                "created_at": now.strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
        return {
            "pickup_scheduled_date": scheduled,
            "pickup_token_number": token,
            "status": SHIPMENT_PICKUP_SCHEDULED[1],
            "others": json.dumps({"courier": courier.get("courier_name"), "awb": order.awb_code}),
            "pickup_generated_date": _laravel_datetime(now),
            "data": f"Pickup is confirmed by {courier.get('courier_name')} For AWB :- {order.awb_code}",
        }

    def _generate_pickup(self, request: Request) -> Response:
        body = request.json()
        body = body if isinstance(body, dict) else {}
        ids = body.get("shipment_id")
        if _is_missing(ids):
            return Response(
                422,
                {
                    "message": "Oops! Invalid Data.",
                    "errors": {"shipment_id": ["The shipment id field is required."]},
                    "status_code": 422,
                },
            )
        ids = ids if isinstance(ids, list) else [ids]
        if len(ids) != 1:
            return Response(400, {"message": "Pickup can be generated for one shipment at a time.", "status_code": 400})
        dates = body.get("pickup_date")
        requested = (dates[0] if isinstance(dates, list) and dates else dates) or None
        try:
            day = date.fromisoformat(str(requested)) if requested is not None else None
        except ValueError:
            day = None
        if requested is not None and (day is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(requested))):
            return Response(
                422,
                {
                    "message": "Oops! Invalid Data.",
                    "errors": {"pickup_date": ["The pickup date does not match the format Y-m-d."]},
                    "status_code": 422,
                },
            )
        order = self.by_shipment.get(int(_number(ids[0]) or 0))
        problem = self._pickup_problem(order)
        if problem is not None or order is None:
            return problem or Response(400, {"message": "Invalid shipment id", "status_code": 400})
        return Response(200, {"pickup_status": 1, "response": self._schedule_pickup(order, day)})

    # -- label ----------------------------------------------------------------------------
    def _make_label(self, orders: list[_Order]) -> str:
        name = "-".join(str(order.shipment_id) for order in orders)
        url = f"{self.base_url}/labels/{name}.pdf"
        for order in orders:
            order.label_url = url
        self.labels.append(
            {
                "shipment_ids": [order.shipment_id for order in orders],
                "awb_codes": [order.awb_code for order in orders],
                "label_url": url,
                "created_at": self._now().strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
        return url

    def _generate_label(self, request: Request) -> Response:
        body = request.json()
        body = body if isinstance(body, dict) else {}
        ids = body.get("shipment_id")
        if _is_missing(ids) or not isinstance(ids, list):
            message = "The shipment id field is required." if _is_missing(ids) else "The shipment id must be an array."
            return Response(
                422, {"message": "Oops! Invalid Data.", "errors": {"shipment_id": [message]}, "status_code": 422}
            )
        ready: list[_Order] = []
        not_created: list[Any] = []
        for raw in ids:
            order = self.by_shipment.get(int(_number(raw) or 0))
            if order is None:
                # Published for `[""]`: an id that is no shipment is left out of `not_created` (GUESS: a number
                # that is no shipment of the account is treated alike).
                continue
            if order.cancelled or not order.awb_code:
                not_created.append(raw)
            else:
                ready.append(order)
        if not ready and not not_created:
            # The collection's "Missing or Invalid Data" example (docs/providers/shiprocket.md §5).
            return Response(
                200, {"label_created": 0, "not_created": [], "response": "No valid shipment ids to print label"}
            )
        if not ready:
            # GUESS: nothing published for a shipment without an AWB (or cancelled); it is listed as not created.
            return Response(
                200,
                {
                    "label_created": 0,
                    "response": "Label can not be generated as AWB is not assigned to the shipment(s).",
                    "not_created": not_created,
                },
            )
        # A shipment keeps its label: asking again (a retry) answers the same document, no new one.
        again = len(ready) == 1 and ready[0].label_url
        return Response(
            200,
            {
                "label_created": 1,
                "label_url": ready[0].label_url if again else self._make_label(ready),
                "response": "Label has been created and uploaded successfully!",
                "not_created": not_created,
            },
        )

    # -- one-call wrapper -----------------------------------------------------------------
    def _add_vendor_pickup(self, body: dict[str, Any]) -> bool:
        """Register ``vendor_details`` as pickup ``pickup_location``; True when it was new."""
        vendor = body.get("vendor_details")
        if not vendor:
            return False
        nickname = str(body.get("pickup_location", ""))
        if nickname in self.pickup_locations:
            return False
        bad = not isinstance(vendor, dict) or any(_is_missing(vendor.get(key)) for key in VENDOR_REQUIRED)
        # The parameter table asks for an address line of at least 10 characters; the collection's "Invalid
        # Data" example sends "Street1" (docs/providers/shiprocket.md §6).
        bad = bad or len(str(vendor.get("address", "")).strip()) < 10
        if bad or not re.fullmatch(r"[A-Za-z0-9]{1,36}", nickname):
            raise _Rejected(
                200,
                {"status": 0, "payload": {"action": "Adding pickup location", "error_message": "Oops! Invalid Data."}},
            )
        self._put_pickup_location({**vendor, "pickup_location": nickname})
        return True

    def _forward_shipment(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return Response(422, {"message": "Oops! Invalid Data.", "errors": {}, "status_code": 422})
        try:
            pickup_added = self._add_vendor_pickup(body)
            order, created = self._create_order(body)
        except _Rejected as rejected:
            if rejected.missing or rejected.status == 200:
                return Response(rejected.status, rejected.body)
            failure = {"action": "Creating order", "error_message": rejected.body.get("message")}
            if "errors" in rejected.body:
                failure["errors"] = rejected.body["errors"]
            return Response(200, {"status": 0, "payload": failure})

        payload: dict[str, Any] = {
            "pickup_location_added": int(pickup_added),
            "order_created": int(created),
            "awb_generated": 0,
            "label_generated": 0,
            "pickup_generated": 0,
            "manifest_generated": 0,
            "pickup_scheduled_date": order.pickup_scheduled_date,
            "pickup_booked_date": None,
            "order_id": order.sr_order_id,
            "shipment_id": order.shipment_id,
            "awb_code": order.awb_code or "",
            "courier_company_id": order.courier["courier_company_id"] if order.courier else None,
            "courier_name": order.courier["courier_name"] if order.courier else None,
            "assigned_date_time": _laravel_datetime(order.assigned_at) if order.assigned_at else None,
            "applied_weight": order.applied_weight,
            "cod": 1 if order.is_cod else 0,
            "label_url": order.label_url,
            "manifest_url": order.manifest_url,
            "routing_code": "",
            "rto_routing_code": "",
            "pickup_token_number": order.pickup_token_number,
        }
        if not created:
            # Like the adhoc duplicate: nothing changes; the caller resumes step by step from the ids.
            if order.cancelled:
                message = f"Order id {order.order_id} already exists in cancelled state."
                return Response(200, {"status": 0, "payload": {**payload, "error_message": message}})
            return Response(200, {"status": 1, "payload": payload})

        courier_number = _number(body.get("courier_id"))
        outcome = self._assign(order, int(courier_number) if courier_number else None)
        if isinstance(outcome, _Refused):
            payload.update(awb_assign_error=outcome.reason, error_message=outcome.reason)
            return Response(200, {"status": 0, "payload": payload})
        payload.update(
            awb_generated=1,
            awb_code=outcome["awb_code"],
            courier_company_id=outcome["courier_company_id"],
            courier_name=outcome["courier_name"],
            assigned_date_time=outcome["assigned_date_time"],
            applied_weight=outcome["applied_weight"],
            routing_code=outcome["routing_code"],
            rto_routing_code=outcome["rto_routing_code"],
        )
        if _flag(body.get("request_pickup"), True):
            pickup = self._schedule_pickup(order, None)
            payload.update(
                pickup_generated=1,
                pickup_scheduled_date=pickup["pickup_scheduled_date"],
                pickup_booked_date=pickup["pickup_generated_date"]["date"][:19],
                pickup_token_number=pickup["pickup_token_number"],
            )
        if _flag(body.get("print_label"), True):
            payload.update(label_generated=1, label_url=self._make_label([order]))
        if _flag(body.get("generate_manifest"), True) and order.pickup_scheduled_date:
            order.manifest_url = f"{self.base_url}/manifests/{order.shipment_id}.pdf"
            payload.update(manifest_generated=1, manifest_url=order.manifest_url)
        return Response(200, {"status": 1, "payload": payload})

    # -- show / cancel / pickup addresses ---------------------------------------------------
    def _show_order(self, request: Request) -> Response:
        """``GET /orders/show/{id}`` with every key of the published answer (docs/providers/shiprocket.md §14)."""
        order = self.by_sr_id.get(int(_number(request.params["id"]) or 0))
        if order is None:
            # The collection's "Invalid Data" example of Get Specific Order Details.
            return Response(400, {"message": "Order ID not found", "status_code": 400})
        req = order.request
        side = order.customer_side
        courier = order.courier or {}
        items = [item if isinstance(item, dict) else {} for item in req.get("order_items", [])]
        sizes = [float(req[key]) for key in ("length", "breadth", "height")]
        dims = "x".join(f"{size:.3f}" for size in sizes)
        total = _amount(req.get("sub_total"))
        created = datetime.strptime(order.created_at, "%Y-%m-%d %H:%M:%S")
        updated = max([created, *(datetime.strptime(scan["date"], "%Y-%m-%d %H:%M:%S") for scan in order.scans)])
        channel = _number(req.get("channel_id"))
        channel_id = int(channel) if channel else DEFAULT_CHANNEL_ID
        delivery = str(req.get("pickup_pincode")) if order.is_return else order.delivery_pincode
        quantity = sum(int(_number(item.get("units")) or 0) for item in items)
        products = [
            {
                **ORDER_PRODUCT_CONSTANTS,
                "id": order.sr_order_id * 10 + index,
                "order_id": order.sr_order_id,
                "product_id": order.sr_order_id * 10 + index,
                "name": item.get("name"),
                "sku": item.get("sku"),
                "channel_order_product_id": str(order.sr_order_id * 10 + index),
                "channel_sku": item.get("sku"),
                "hsn": str(item.get("hsn", "")),
                "price": _amount(item.get("selling_price")),
                "cost": _amount(item.get("selling_price")),
                "mrp": _amount(item.get("selling_price")),
                "quantity": int(_number(item.get("units")) or 0),
                "net_total": round(_amount(item.get("selling_price")) * (_number(item.get("units")) or 0), 2),
                "discount": _amount(item.get("discount") or 0),
                "selling_price": _amount(item.get("selling_price")),
                "tax_percentage": _amount(item.get("tax") or 0),
            }
            for index, item in enumerate(items)
        ]
        # The buyer's billing block: "" on the published return order, whose customer is its pickup address.
        billing = {
            key: "" if order.is_return else str(req.get(source, ""))
            for key, source in (
                ("billing_city", "billing_city"),
                ("billing_name", "billing_customer_name"),
                ("billing_email", "billing_email"),
                ("billing_phone", "billing_phone"),
                ("billing_alternate_phone", "billing_alternate_phone"),
                ("billing_state_name", "billing_state"),
                ("billing_address", "billing_address"),
                ("billing_country_name", "billing_country"),
                ("billing_pincode", "billing_pincode"),
                ("billing_address_2", "billing_address_2"),
            )
        }
        data = {
            **ORDER_SHOW_CONSTANTS,
            "id": order.sr_order_id,
            "channel_id": channel_id,
            "channel_name": "CUSTOM",
            "base_channel_code": "CS",
            "channel_order_id": order.order_id,
            "customer_name": req.get(f"{side}_customer_name"),
            "customer_email": req.get(f"{side}_email"),
            "customer_phone": str(req.get(f"{side}_phone")),
            "customer_address": req.get(f"{side}_address"),
            "customer_address_2": req.get(f"{side}_address_2", ""),
            "customer_city": req.get(f"{side}_city"),
            "customer_state": req.get(f"{side}_state"),
            "customer_pincode": delivery,
            "customer_country": req.get(f"{side}_country"),
            # A return has no pickup address of ours: "" as published.
            "pickup_code": "" if order.is_return else order.pickup["pin_code"],
            "pickup_location": order.pickup["pickup_location"],
            "pickup_location_id": "" if order.is_return else order.pickup["id"],
            "pickup_id": order.pickup_token_number or "",
            "delivery_code": delivery,
            "total": total,
            "net_total": f"{total:.2f}",
            "cod": int(order.is_cod),
            "status": order.status[0],
            "status_code": order.status[1],
            "master_status": order.status[0],
            "payment_method": "cod" if order.is_cod else "prepaid",
            "payment_status": "" if order.is_cod else "paid",
            "sub_total": total,
            "channel_created_at": _panel_datetime(created),
            "created_at": _panel_datetime(created),
            "order_date": _panel_date(str(req.get("order_date", ""))) or _panel_date(order.created_at),
            "updated_at": _panel_datetime(updated),
            "product_quantity": quantity,
            "products": products,
            "invoice_no": f"Retail{order.sr_order_id % 100000:05d}",
            "shipments": {
                **ORDER_SHIPMENT_CONSTANTS,
                "id": order.shipment_id,
                "order_id": order.sr_order_id,
                "channel_id": channel_id,
                # null before the AWB, as published; `awb_data.awb` is "" then.
                "awb": order.awb_code,
                "awb_assign_date": _sr_datetime(order.assigned_at) if order.assigned_at else None,
                "etd": self._etd(order),
                "delivered_date": order.extra.get("delivered_date", ""),
                "quantity": quantity,
                "weight": req.get("weight"),
                "volumetric_weight": round(sizes[0] * sizes[1] * sizes[2] / 5000, 3),
                "dimensions": dims,
                "courier": courier.get("courier_name") or "",
                "courier_id": courier.get("courier_company_id") or "",
                "status": order.shipment_status[0] if order.shipment_status else SHIPMENT_STATUS_NAMES[11],
                "created_at": _ordinal_datetime(created),
                "updated_at": _ordinal_datetime(updated),
                "pod": None,
                "length": sizes[0],
                "breadth": sizes[1],
                "height": sizes[2],
                "pickup_scheduled_date": order.pickup_scheduled_date,
                "pickup_token_number": order.pickup_token_number,
                "return_awb": "",
            },
            "awb_data": {
                "awb": order.awb_code or "",
                "applied_weight": order.applied_weight or "",
                "charged_weight": order.applied_weight or "",
                "billed_weight": "",
                "routing_code": "",
                "rto_routing_code": "",
                "charges": {
                    "zone": order.zone or "",
                    "cod_charges": "",
                    "applied_weight_amount": "",
                    "freight_charges": f"{order.freight_charges:.2f}",
                    "applied_weight": order.applied_weight or "",
                    "charged_weight": order.applied_weight or "",
                    "charged_weight_amount": "",
                    "charged_weight_amount_rto": "",
                    "applied_weight_amount_rto": "",
                    "service_type_id": "",
                },
            },
            "is_return": int(order.is_return),
            "is_international": 0,
            "errors": [],
            **billing,
            "shipping_is_billing": int(not order.is_return and _flag(req.get("shipping_is_billing"), True)),
            "reseller_name": str(req.get("reseller_name", "")),
            "company_name": COMPANY_NAME,
            "others": {
                "weight": req.get("weight"),
                "dimensions": dims,
                "order_items": items,
                "billing_city": req.get("billing_city"),
                "billing_state": req.get("billing_state"),
                "billing_pincode": req.get("billing_pincode"),
                "shipping_is_billing": int(_flag(req.get("shipping_is_billing"), True)),
                "company_name": req.get("company_name", ""),
                "reseller_name": req.get("reseller_name", ""),
            },
            "delivered_date": order.extra.get("delivered_date"),
            "remittance_date": order.extra.get("remittance_date", ""),
            "remittance_utr": order.extra.get("remittance_utr", ""),
            "remittance_status": order.extra.get("remittance_status", ""),
        }
        return Response(200, {"data": data})

    def _cancel_orders(self, request: Request) -> Response:
        body = request.json()
        body = body if isinstance(body, dict) else {}
        ids = body.get("ids")
        if _is_missing(ids) or not isinstance(ids, list):
            return Response(
                422,
                {
                    "message": "Required field missing",
                    "errors": {"ids": ["The ids field is required."]},
                    "status_code": 422,
                },
            )
        orders = [self.by_sr_id.get(int(_number(raw) or 0)) for raw in ids]
        if any(order is None for order in orders):
            # What the real API answers for junk ids (docs/providers/shiprocket.md §10).
            return Response(500, {"message": "Trying to get property of non-object", "status_code": 500})
        for order in orders:
            if order is None or order.cancelled:
                # GUESS: nothing published for an order already cancelled; it stays as it is.
                continue
            # Cancelling reverses the freight to the wallet (docs/providers/shiprocket.md §10).
            self.wallet_balance += order.freight_charges
            order.freight_charges = 0.0
            order.status = ORDER_CANCELED
            order.shipment_status = SHIPMENT_CANCELED
        # The collection's "Successful Call": 204 with an empty body (docs/providers/shiprocket.md §10).
        return Response(204)

    def _pickup_locations(self, request: Request) -> Response:
        return Response(
            200,
            {
                "data": {
                    "shipping_address": list(self.pickup_locations.values()),
                    "allow_more": "true",
                    "is_blackbox_seller": False,
                    "company_name": COMPANY_NAME,
                    "recent_addresses": [],
                }
            },
        )

    # -- COD remittance (docs/providers/shiprocket.md §11) -------------------------------------------
    def _remit_request(self, body: Any) -> Response:
        if not isinstance(body, dict):
            raise TypeError("the remit body is a JSON object")
        awbs = body.get("awbs")
        if awbs is not None and not (isinstance(awbs, list) and all(isinstance(awb, str) for awb in awbs)):
            raise TypeError("awbs is a list of AWB strings")
        deductions = body.get("deductions") or {}
        if not isinstance(deductions, dict):
            raise TypeError("deductions is an object {awb: rupees}")
        return Response(200, self.remit(utr=body.get("utr"), date=body.get("date"), awbs=awbs, deductions=deductions))

    def remit(
        self,
        *,
        utr: Any,
        date: Any,
        awbs: list[str] | None = None,
        deductions: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Remit delivered COD orders under one UTR; returns the batch (see the module docstring)."""
        if not isinstance(utr, str) or not utr.strip():
            raise ValueError("utr is required")
        if not isinstance(date, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise ValueError("date is required as YYYY-MM-DD")
        overrides = deductions or {}
        with self.lock:
            if awbs is None:
                chosen = [order for order in self.orders.values() if self._remittable(order)]
            else:
                chosen = []
                for awb in dict.fromkeys(awbs):
                    order = self._find_awb(awb)
                    if order is None:
                        raise _UnknownShipment(f"no shipment with AWB {awb}")
                    if not self._remittable(order):
                        raise ValueError(f"AWB {awb} is not a delivered, unremitted COD order")
                    chosen.append(order)
            unknown = sorted(set(overrides) - {order.awb_code for order in chosen})
            if unknown:
                raise ValueError(f"deductions name AWBs outside this remittance: {unknown}")
            lines = []
            net_paise = 0
            for order in chosen:
                awb = order.awb_code or ""
                cod_paise = _paise(order.request.get("sub_total"), "sub_total")
                # Default: what the AWB cost on the rate card (freight + COD charge), as Shiprocket nets it out.
                deducted_paise = _paise(overrides.get(awb, order.freight_charges), "deduction")
                net_paise += cod_paise - deducted_paise
                lines.append(
                    {
                        "awb": awb,
                        "order_id": order.order_id,
                        "cod_amount": cod_paise / 100,
                        "deducted_charges": deducted_paise / 100,
                    }
                )
            batch = {
                "remittance_id": utr,
                "remittance_date": date,
                "bank_transfer_amount": net_paise / 100,
                "orders": lines,
            }
            # Marked only once every line is valid: a refused request remits nothing.
            for order in chosen:
                order.extra.update(remittance_utr=utr, remittance_date=date, remittance_status=REMITTED_STATUS)
            self.remittances.append(copy.deepcopy(batch))
            return batch

    @staticmethod
    def _remittable(order: _Order) -> bool:
        return (
            order.is_cod
            and not order.is_return
            and order.status[1] == ORDER_DELIVERED_CODE
            and bool(order.awb_code)
            and not order.extra.get("remittance_utr")
        )

    # -- tracking: lifecycle scripts, scans and webhooks (docs/providers/shiprocket.md §7, §8) ------
    def _shipments(self) -> list[_Order]:
        return [*self.orders.values(), *self.returns.values()]

    def _find_awb(self, awb: str) -> _Order | None:
        return next((order for order in self.by_shipment.values() if order.awb_code and order.awb_code == awb), None)

    @staticmethod
    def _status_id(order: _Order) -> int | None:
        return order.shipment_status[1] if order.shipment_status else None

    @staticmethod
    def _check_options(options: Any) -> dict[str, Any]:
        if not isinstance(options, dict):
            raise TypeError("webhook options are a JSON object")
        unknown = sorted(set(options) - set(WEBHOOK_OPTION_KEYS))
        if unknown:
            raise ValueError(f"unknown webhook options {unknown}; known: {', '.join(WEBHOOK_OPTION_KEYS)}")
        for name, value in options.items():
            count = name == "duplicates" and isinstance(value, int) and not isinstance(value, bool) and value >= 0
            if not count:
                _chance(value, name)
        return dict(options)

    def _seed_tracking(self, payload: dict[str, Any]) -> None:
        if "random_seed" in payload:
            self.track_rng.seed(payload["random_seed"])
        if "default_lifecycle" in payload:
            resolve_lifecycle(payload["default_lifecycle"])
            self.default_lifecycle = payload["default_lifecycle"]
        lifecycles = payload.get("lifecycles") or {}
        if not isinstance(lifecycles, dict):
            raise TypeError("lifecycles is an object {awb or order_id: lifecycle}")
        for key, spec in lifecycles.items():
            script = resolve_lifecycle(spec)
            self.lifecycles[str(key)] = spec
            for order in self._shipments():
                if order.remaining is not None and str(key) in (order.awb_code, order.order_id):
                    # A shipment already on its way continues its new script from where it is.
                    order.lifecycle = spec
                    order.remaining = remaining_after(script, self._status_id(order))
        if "webhook" in payload:
            hook = payload["webhook"]
            if hook is None:
                self.webhook = None
            elif isinstance(hook, dict):
                token = hook.get("token")
                self.webhook = {"url": _check_webhook_url(hook.get("url")), "token": str(token) if token else None}
            else:
                raise TypeError('webhook is {"url": ..., "token": ...} or null')
        if "webhook_options" in payload:
            self.webhook_options = self._check_options({**self.webhook_options, **payload["webhook_options"]})

    def _advance_request(self, body: Any) -> Response:
        if not isinstance(body, dict):
            raise TypeError("the advance body is a JSON object")
        options = {**(body.get("webhook_options") or {}), **{k: body[k] for k in WEBHOOK_OPTION_KEYS if k in body}}
        awb = body.get("awb")
        result = self.advance(
            awb=None if awb is None else str(awb),
            steps=body.get("steps"),
            deliver_webhooks=_flag(body.get("deliver_webhooks"), True),
            options=options,
        )
        return Response(200, result)

    def advance(
        self,
        awb: str | None = None,
        steps: int | None = None,
        *,
        deliver_webhooks: bool = True,
        options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Move shipments with an AWB ``steps`` statuses along their scripts (default: to the end).

        Answers ``{"advanced": [...], "events": [payloads in posting order], "webhooks": [attempts]}``.
        Webhooks are posted after the lock is released: the receiver may call this simulator back.
        """
        if steps is not None and (not isinstance(steps, int) or isinstance(steps, bool) or steps < 1):
            raise ValueError("steps is a positive integer")
        with self.lock:
            chosen = self._check_options({**self.webhook_options, **(options or {})})
            if awb is not None:
                found = self._find_awb(awb)
                if found is None:
                    raise _UnknownShipment(f"no shipment with AWB {awb}")
                targets = [found]
            else:
                targets = [order for order in self._shipments() if order.awb_code]
            moved: list[dict[str, Any]] = []
            groups: list[list[dict[str, Any]]] = []
            for order in targets:
                if order.cancelled:
                    continue
                events, stepped = self._walk(order, steps, chosen)
                if stepped:
                    groups.append(events)
                    moved.append(
                        {
                            "awb": order.awb_code,
                            "order_id": order.order_id,
                            "is_return": order.is_return,
                            "steps": stepped,
                            "shipment_status_id": self._status_id(order),
                            "status_code": order.status[1],
                            "remaining": list(order.remaining or []),
                        }
                    )
            posts = self._arrange(groups, chosen)
            hook = dict(self.webhook) if self.webhook and deliver_webhooks else None
        records: list[dict[str, Any]] = []
        if hook is not None:
            url, token = str(hook["url"]), hook["token"]
            for payload, duplicate in posts:
                status, error = _post_webhook(url, token, payload)
                records.append(
                    {
                        "url": url,
                        "awb": payload["awb"],
                        "is_return": int(payload["is_return"]),
                        "shipment_status_id": int(payload["shipment_status_id"]),
                        "current_timestamp": payload["current_timestamp"],
                        "duplicate": duplicate,
                        "http_status": status,
                        "error": error,
                        "posted_at": _sr_datetime(self._now()),
                        "payload": payload,
                    }
                )
            with self.lock:
                self.webhooks.extend(copy.deepcopy(records))
        return copy.deepcopy({"advanced": moved, "events": [payload for payload, _ in posts], "webhooks": records})

    def _walk(
        self, order: _Order, steps: int | None, options: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[int]]:
        """Take up to ``steps`` scripted statuses: (webhook payloads, status ids taken)."""
        if order.remaining is None:
            spec = self.lifecycles.get(order.awb_code or "") or self.lifecycles.get(order.order_id)
            if spec is None:
                spec = DEFAULT_RETURN_LIFECYCLE if order.is_return else self.default_lifecycle
            order.lifecycle = spec
            order.remaining = remaining_after(resolve_lifecycle(spec), self._status_id(order))
        na_chance = _chance(options.get("na_scans"), "na_scans")
        sparse_chance = _chance(options.get("sparse"), "sparse")
        count = len(order.remaining) if steps is None else min(steps, len(order.remaining))
        events: list[dict[str, Any]] = []
        stepped: list[int] = []
        for _ in range(count):
            status_id = order.remaining.pop(0)
            when = self._scan_time(order, status_id)
            self._record_scan(order, status_id, when)
            stepped.append(status_id)
            sparse = bool(sparse_chance) and self.track_rng.random() < sparse_chance
            events.append(self._webhook_payload(order, when, sparse=sparse))
            if status_id not in TERMINAL_SHIPMENT_STATUSES and na_chance and self.track_rng.random() < na_chance:
                # A hub scan the courier reports but Shiprocket maps to nothing (docs/providers/shiprocket.md §8a).
                when = self._scan_time(order, None)
                order.scans.append(
                    {
                        "date": _sr_datetime(when),
                        "status": _NA_SCAN[0],
                        "activity": _NA_SCAN[1],
                        "location": order.scans[-1]["location"],
                        "sr-status": "NA",
                        "sr-status-label": "NA",
                    }
                )
                events.append(self._webhook_payload(order, when))
        return events, stepped

    def _scan_time(self, order: _Order, status_id: int | None) -> datetime:
        """The sim clock, the AWB and the pickup slot bound the first scan; each scan adds some hours."""
        start = order.track_cursor
        if start is None:
            start = max(self._now(), order.assigned_at or self._now())
            if order.pickup_scheduled_date:
                try:
                    slot = datetime.strptime(order.pickup_scheduled_date, "%Y-%m-%d %H:%M:%S").replace(tzinfo=IST)
                except ValueError:
                    slot = start
                start = max(start, slot)
        low, high = _NA_SCAN[2] if status_id is None else _SCAN_STYLE.get(status_id, _DEFAULT_SCAN_STYLE)[3]
        moment = start + timedelta(seconds=self.track_rng.randint(int(low * 3600), int(high * 3600)))
        if status_id in _DAYTIME_STATUSES and not 9 <= moment.hour < 20:
            day = moment.date() if moment.hour < 9 else moment.date() + timedelta(days=1)
            moment = datetime.combine(day, datetime.min.time(), IST) + timedelta(
                hours=9, seconds=self.track_rng.randint(0, 3 * 3600)
            )
        moment = moment.replace(microsecond=0)
        order.track_cursor = moment
        return moment

    def _location(self, order: _Order, where: str) -> str:
        origin, destination = str(order.pickup["pin_code"]), order.delivery_pincode
        if where in ("origin", "origin_hub", "transit"):
            return _place(origin, {"origin_hub": "hub"}.get(where, where))
        return _place(destination, {"dest_hub": "hub"}.get(where, where))

    def _record_scan(self, order: _Order, status_id: int, when: datetime) -> None:
        code, activity, where, _ = _SCAN_STYLE.get(status_id, _DEFAULT_SCAN_STYLE)
        name = SHIPMENT_STATUS_NAMES.get(status_id, "UNKNOWN")
        if status_id == NDR_SHIPMENT_STATUS:
            reason = self.track_rng.choice(NDR_REASONS)
            activity = f"{activity} - {reason}"
            self._raise_ndr(order, when, reason)
        order.scans.append(
            {
                "date": _sr_datetime(when),
                "status": code,
                "activity": activity,
                "location": self._location(order, where),
                "sr-status": str(status_id),
                "sr-status-label": name,
            }
        )
        order.shipment_status = (name, status_id)
        if order.is_return:
            order_status = RETURN_ORDER_STATUS.get(status_id, RETURN_FALLBACK_ORDER_STATUS)
        else:
            order_status = FORWARD_ORDER_STATUS.get(status_id, FORWARD_FALLBACK_ORDER_STATUS)
        order.status = (ORDER_STATUS_NAMES[order_status], order_status)
        if status_id == 7:
            order.extra["delivered_date"] = _sr_datetime(when)
            if order.ndr is not None:
                order.ndr["delivered_date"] = _sr_datetime(when)
        if status_id == 3 and not order.pickup_scheduled_date:
            order.pickup_scheduled_date = _sr_datetime(when)

    def _etd(self, order: _Order) -> str:
        days = (order.courier or {}).get("edd_days", {}).get(order.zone or "")
        if order.assigned_at is None or days is None:
            return ""
        due = datetime.combine(order.assigned_at.date() + timedelta(days=int(days)), datetime.min.time(), IST)
        return _sr_datetime(due + timedelta(hours=20))

    def _webhook_payload(self, order: _Order, when: datetime, *, sparse: bool = False) -> dict[str, Any]:
        """Shiprocket's status webhook body, keys in the order of the collection's sample.

        An RTO-initiated post is shaped as the live one reported in docs/providers/shiprocket.md §7: no scan
        carries the RTO status, and the optional keys are left out."""
        status_name, status_id = order.shipment_status or ("NA", 0)
        delivered = status_id == 7
        channel = _number(order.request.get("channel_id"))
        rto_initiated = status_id == RTO_INITIATED_STATUS
        scans = [scan for scan in order.scans if not (rto_initiated and scan["sr-status"] == str(status_id))]
        payload = {
            "awb": order.awb_code,
            "courier_name": (order.courier or {}).get("courier_name", ""),
            "current_status": order.status[0],
            "current_status_id": order.status[1],
            "shipment_status": status_name,
            "shipment_status_id": status_id,
            "current_timestamp": when.strftime("%d %m %Y %H:%M:%S"),
            "order_id": order.order_id,
            "sr_order_id": order.sr_order_id,
            "awb_assigned_date": _sr_datetime(order.assigned_at) if order.assigned_at else "",
            "pickup_scheduled_date": order.pickup_scheduled_date or "",
            "etd": self._etd(order),
            "scans": copy.deepcopy(scans),
            "is_return": int(order.is_return),
            "channel_id": int(channel) if channel else DEFAULT_CHANNEL_ID,
            "pod_status": "" if order.is_return else "OTP Based Delivery",
            "pod": "Available" if delivered else "Not Available",
            "qc_image": "",
            "qc_failure_reason": "",
        }
        if rto_initiated or sparse:
            for key in SPARSE_WEBHOOK_KEYS:
                del payload[key]
        return payload

    def _arrange(
        self, groups: list[list[dict[str, Any]]], options: dict[str, Any]
    ) -> list[tuple[dict[str, Any], bool]]:
        """Posting order after the reorder, string-id and duplicate options: [(payload, is duplicate)]."""
        reorder = _chance(options.get("reorder"), "reorder")
        posts: list[dict[str, Any]] = []
        for group in groups:
            shuffled = list(group)
            if len(shuffled) > 1 and reorder and self.track_rng.random() < reorder:
                self.track_rng.shuffle(shuffled)
                if all(a is b for a, b in zip(shuffled, group, strict=True)):
                    shuffled.reverse()
            posts.extend(shuffled)
        as_strings = _chance(options.get("string_ids"), "string_ids")
        for index, payload in enumerate(posts):
            if as_strings and self.track_rng.random() < as_strings:
                posts[index] = {k: str(v) if k in _WEBHOOK_ID_FIELDS else v for k, v in payload.items()}
        arranged = [(payload, False) for payload in posts]
        duplicates = options.get("duplicates")
        if isinstance(duplicates, int) and not isinstance(duplicates, bool):
            picks = self.track_rng.sample(range(len(posts)), min(duplicates, len(posts)))
        else:
            chance = _chance(duplicates, "duplicates")
            picks = [index for index in range(len(posts)) if chance and self.track_rng.random() < chance]
        # From the back, so the positions of earlier originals stay put; a copy always follows its original.
        for index in sorted(picks, reverse=True):
            arranged.insert(self.track_rng.randint(index + 1, len(arranged)), (copy.deepcopy(posts[index]), True))
        return arranged

    # -- pull tracking --------------------------------------------------------------------
    def _tracking_data(self, order: _Order | None) -> dict[str, Any]:
        if order is None or not order.scans:
            return copy.deepcopy(NO_ACTIVITIES)
        status_name, status_id = order.shipment_status or ("NA", 0)

        def first_date(sr_status: int) -> str | None:
            return next((scan["date"] for scan in order.scans if scan["sr-status"] == str(sr_status)), None)

        etd = self._etd(order)
        track = {
            "id": order.shipment_id + 11_000_000,
            "awb_code": order.awb_code,
            "courier_company_id": (order.courier or {}).get("courier_company_id"),
            "shipment_id": order.shipment_id,
            "order_id": order.sr_order_id,
            "pickup_date": first_date(42),
            "delivered_date": first_date(7),
            "weight": str(order.request.get("weight", "")),
            "packages": 1,
            "current_status": status_name,
            "destination": _city_of(order.delivery_pincode),
            "origin": _city_of(str(order.pickup["pin_code"])),
            "courier_name": (order.courier or {}).get("courier_name"),
            "edd": etd or None,
            "pod": "Available" if status_id == 7 else "Not Available",
            "pod_status": "" if order.is_return else "OTP Based Delivery",
            # Published on every entry: the destination city (even before delivery), the buyer, no agent.
            "delivered_to": _city_of(order.delivery_pincode),
            "consignee_name": order.request.get(f"{order.customer_side}_customer_name") or "",
            "courier_agent_details": None,
        }
        return {
            "tracking_data": {
                "track_status": 1,
                "shipment_status": status_id,
                "shipment_track": [track],
                "shipment_track_activities": [dict(scan) for scan in reversed(order.scans)],
                "track_url": f"https://shiprocket.co/tracking/{order.awb_code}",
                "etd": etd,
                # GUESS: empty unless a QC return failed (the simulator has no QC); "" as published.
                "qc_response": {"qc_image": "", "qc_failed_reason": ""},
            }
        }

    def _track_awb(self, request: Request) -> Response:
        return Response(200, self._tracking_data(self._find_awb(request.params["awb"])))

    def _track_awbs(self, request: Request) -> Response:
        """As the collection's Get Tracking Data for Multiple AWBS: unknown AWBs are left out (``{}`` when none is
        known), and ``awbs`` that is not a list is PHP's 500 (docs/providers/shiprocket.md §7)."""
        body = request.json()
        awbs = body.get("awbs") if isinstance(body, dict) else None
        if not isinstance(awbs, list):
            return Response(500, {"message": "Invalid argument supplied for foreach()", "status_code": 500})
        if len(awbs) > MAX_TRACK_AWBS:
            # GUESS: the limit of 50 is published, the answer to more is not.
            error = f"The awbs may not have more than {MAX_TRACK_AWBS} items."
            return Response(422, {"message": "Oops! Invalid Data.", "errors": {"awbs": [error]}, "status_code": 422})
        known = {str(awb): self._find_awb(str(awb)) for awb in awbs}
        return Response(200, {awb: self._tracking_data(order) for awb, order in known.items() if order is not None})

    def _track_shipment(self, request: Request) -> Response:
        order = self.by_shipment.get(int(_number(request.params["shipment_id"]) or 0))
        return Response(200, self._tracking_data(order))

    def _track_order(self, request: Request) -> Response:
        order_id = request.query.get("order_id")
        if _is_missing(order_id):
            # GUESS: nothing published without `order_id`.
            return Response(
                422,
                {
                    "message": "Oops! Invalid Data.",
                    "errors": {"order_id": ["The order id field is required."]},
                    "status_code": 422,
                },
            )
        matches = [order for order in self._shipments() if order.order_id == order_id]
        return Response(200, [self._tracking_data(order) for order in matches])

    # -- NDR (docs/providers/shiprocket.md §9) -------------------------------------------------------
    def _raise_ndr(self, order: _Order, when: datetime, reason: str) -> None:
        ndr = order.ndr
        if ndr is None:
            req = order.request
            side = order.customer_side
            items = req.get("order_items") or [{}]
            first = items[0] if isinstance(items[0], dict) else {}
            self.next_ndr_id += 1
            channel = _number(req.get("channel_id"))
            price = first.get("selling_price")
            # The keys of a published NDR record (docs/providers/shiprocket.md §9), plus our reference and the
            # Shiprocket order id, which published records do not carry.
            ndr = {
                "id": self.next_ndr_id,
                "shipment_id": order.shipment_id,
                "awb_code": order.awb_code,
                "order_id": order.sr_order_id,
                "channel_order_id": order.order_id,
                "courier": (order.courier or {}).get("courier_name"),
                "customer_name": req.get(f"{side}_customer_name"),
                "customer_email": req.get(f"{side}_email"),
                "customer_phone": str(req.get(f"{side}_phone", "")),
                "customer_address": req.get(f"{side}_address"),
                "customer_address_2": str(req.get(f"{side}_address_2") or ""),
                "customer_city": req.get(f"{side}_city"),
                "customer_state": req.get(f"{side}_state"),
                "customer_pincode": str(req.get(f"{side}_pincode", "")),
                "payment_status": NDR_PAYMENT_STATUS,
                "status": "UNDELIVERED",
                "status_code": NDR_ORDER_STATUS,
                "payment_method": "cod" if order.is_cod else "prepaid",
                "created_at": when.strftime("%d %b %Y, %I:%M %p"),
                "reason": reason,
                "attempts": 0,
                "ndr_raised_at": _sr_datetime(when),
                "escalation_status": NDR_ESCALATION_STATUS,
                "product_name": first.get("name"),
                # A string, as published ("1484.01").
                "product_price": f"{_amount(price):.2f}" if _number(price) is not None else "",
                "shipment_channel_id": int(channel) if channel else DEFAULT_CHANNEL_ID,
                "history": [],
                "delivered_date": "",
            }
            order.ndr = ndr
        ndr["attempts"] += 1
        ndr["reason"] = reason
        ndr["ndr_raised_at"] = _sr_datetime(when)
        ndr["history"].append(self._ndr_history(ndr, reason=reason, by=NDR_BY_COURIER, comment=reason, when=when))

    def _ndr_history(
        self, ndr: dict[str, Any], *, reason: str, by: int, comment: str, when: datetime
    ) -> dict[str, Any]:
        """One NDR history entry with the published keys; ``action`` is the simulator's own addition."""
        self.next_ndr_history_id += 1
        return {
            "id": self.next_ndr_history_id,
            "ndr_id": ndr["id"],
            "ndr_reason": reason,
            "action_by": by,
            "ndr_attempt": ndr["attempts"],
            "medium": None,
            "ndr_push_status": 0,
            "comment": comment,
            "call_center_call_recording": "",
            "call_center_recording_date": "",
            "proof_recording": None,
            "proof_image": None,
            "sms_response": "No Response",
            "ndr_raised_at": _sr_datetime(when),
            "action": None,
        }

    def _ndr_page(self, records: list[dict[str, Any]], page: int, per_page: int) -> dict[str, Any]:
        total_pages = max(math.ceil(len(records) / per_page), 1)
        rows = records[(page - 1) * per_page : page * per_page]
        links: dict[str, str] = {}  # `{}` when there is no next page, as published
        if page < total_pages:
            links = {"next": f"{self.base_url}{self.prefix}/ndr/all?page={page + 1}&per_page={per_page}"}
        return {
            "data": copy.deepcopy(rows),
            "meta": {
                "pagination": {
                    "total": len(records),
                    "count": len(rows),
                    "per_page": per_page,
                    "current_page": page,
                    "total_pages": total_pages,
                    "links": links,
                }
            },
        }

    def _ndr_all(self, request: Request) -> Response:
        def positive(name: str, default: int) -> int:
            value = _number(request.query.get(name))
            return int(value) if value is not None and value >= 1 else default

        records = [order.ndr for order in self._shipments() if order.ndr is not None]
        search = (request.query.get("search") or "").strip()
        if search:
            records = [r for r in records if search in (r["awb_code"] or "") or search == r["channel_order_id"]]
        since, until = request.query.get("from"), request.query.get("to")
        if since:
            records = [r for r in records if r["ndr_raised_at"][:10] >= since]
        if until:
            records = [r for r in records if r["ndr_raised_at"][:10] <= until]
        records.sort(key=lambda r: int(r["id"]), reverse=True)
        return Response(200, self._ndr_page(records, positive("page", 1), positive("per_page", 15)))

    def _ndr_show(self, request: Request) -> Response:
        # Documented as /ndr/{AWB}, published with the record's id in the path: either finds the record
        # (docs/providers/shiprocket.md §9).
        key = request.params["awb"]
        order = self._find_awb(key) or next(
            (order for order in self._shipments() if order.ndr is not None and str(order.ndr["id"]) == key), None
        )
        if order is None or order.ndr is None:
            # GUESS: nothing published for an AWB without an NDR.
            return Response(404, {"message": "No NDR found for this AWB.", "status_code": 404})
        return Response(200, self._ndr_page([order.ndr], 1, 15))

    def _ndr_action(self, request: Request) -> Response:
        body = request.json()
        body = body if isinstance(body, dict) else {}
        errors = {
            key: [f"The {key} field is required."] for key in ("action", "comments") if _is_missing(body.get(key))
        }
        if "action" not in errors and body["action"] not in NDR_ACTIONS:
            errors["action"] = ["The selected action is invalid."]
        if errors:
            return Response(422, {"message": "Oops! Invalid Data.", "errors": errors, "status_code": 422})
        awb = request.params["awb"]
        order = self._find_awb(awb)
        # GUESS: the NDR action's errors are not published (docs/providers/shiprocket.md §9).
        if order is None or order.ndr is None:
            return Response(404, {"message": "No NDR found for this AWB.", "status_code": 404})
        ndr = order.ndr
        if self._status_id(order) != NDR_SHIPMENT_STATUS:
            return Response(
                400,
                {"message": "Action can be taken only on shipments in NDR (undelivered) state.", "status_code": 400},
            )
        attempt = ndr["attempts"]
        if any(entry["action_by"] == NDR_BY_SELLER and entry["ndr_attempt"] == attempt for entry in ndr["history"]):
            return Response(400, {"message": "Action has already been taken for this NDR attempt.", "status_code": 400})
        action = str(body["action"])
        order.remaining = list(NDR_RETURN_SCRIPT if action == "return" else NDR_REATTEMPT_SCRIPT)
        now = _sr_datetime(self._now())
        entry = self._ndr_history(
            ndr, reason=ndr["reason"], by=NDR_BY_SELLER, comment=str(body["comments"]), when=self._now()
        )
        entry.update(ndr_raised_at=ndr["ndr_raised_at"], action=action, action_date=now)
        ndr["history"].append(entry)
        self.ndr_actions.append(
            {
                "awb": awb,
                "order_id": order.order_id,
                "sr_order_id": order.sr_order_id,
                "shipment_id": order.shipment_id,
                "action": action,
                "comments": body["comments"],
                "ndr_attempt": attempt,
                "created_at": now,
                **{key: body[key] for key in ("phone", "address1", "address2", "deferred_date") if key in body},
            }
        )
        return Response(202, dict(NDR_ACTION_ACCEPTED))

    # -- return orders (docs/providers/shiprocket.md §9) ---------------------------------------------
    def _create_return(self, request: Request) -> Response:
        try:
            body = request.json()
        except json.JSONDecodeError:
            # The collection's "Wrong Format" (a comma missing): the body reads as empty, so every required field
            # is reported missing in one 422 (docs/providers/shiprocket.md §9).
            body = {}
        body = body if isinstance(body, dict) else {}
        errors = {
            key: [f"The {_field_name(key)} field is required."] for key in RETURN_REQUIRED if _is_missing(body.get(key))
        }
        order_id = str(body.get("order_id", ""))
        # One order table behind both endpoints: a forward order's reference is taken as well.
        if "order_id" not in errors and (order_id in self.returns or order_id in self.orders):
            errors["order_id"] = ["The order id has already been taken."]
        if "order_date" not in errors and not re.fullmatch(
            r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?", str(body["order_date"])
        ):
            errors["order_date"] = ["The order date does not match the format Y-m-d H:i."]
        for key in ("pickup_phone", "shipping_phone"):
            if key not in errors and not re.fullmatch(r"\d{10}", str(body[key])):
                errors[key] = [f"The {_field_name(key)} must be 10 digits."]
        for key in ("pickup_pincode", "shipping_pincode"):
            if key not in errors and not _valid_pincode(str(body[key])):
                errors[key] = [f"The {_field_name(key)} must be 6 digits."]
        for key in ("length", "breadth", "height", "weight", "sub_total"):
            if key not in errors and (
                (_number(body[key]) or 0) <= (0.5 if key in ("length", "breadth", "height") else 0)
            ):
                errors[key] = [f"The {_field_name(key)} must be a number greater than 0."]
        items = body.get("order_items")
        if "order_items" not in errors:
            if not isinstance(items, list):
                errors["order_items"] = ["The order items must be an array."]
            else:
                for index, item in enumerate(items):
                    item = item if isinstance(item, dict) else {}
                    for key in ("name", "sku", "units", "selling_price"):
                        if _is_missing(item.get(key)):
                            errors[f"order_items.{index}.{key}"] = [f"The order_items.{index}.{key} field is required."]
        if errors:
            return Response(422, {"message": "Oops! Invalid Data.", "errors": errors, "status_code": 422})
        customer = {
            "id": 0,
            "pickup_location": "",
            "name": body["pickup_customer_name"],
            "address": body["pickup_address"],
            "address_2": body.get("pickup_address_2", ""),
            "city": body["pickup_city"],
            "state": body["pickup_state"],
            "country": body["pickup_country"],
            "pin_code": str(body["pickup_pincode"]),
            "phone": str(body["pickup_phone"]),
            "email": body["pickup_email"],
        }
        order = _Order(
            order_id=order_id,
            sr_order_id=self.next_sr_order_id,
            shipment_id=self.next_shipment_id,
            request=copy.deepcopy(body),
            pickup=customer,
            created_at=_sr_datetime(self._now()),
            status=ORDER_RETURN_PENDING,
            is_return=True,
        )
        self.next_sr_order_id += 1
        self.next_shipment_id += 1
        self.returns[order_id] = order
        self.by_shipment[order.shipment_id] = order
        self.by_sr_id[order.sr_order_id] = order
        return Response(
            200,
            {
                "order_id": order.sr_order_id,
                "shipment_id": order.shipment_id,
                "status": ORDER_RETURN_PENDING[0],
                "status_code": ORDER_RETURN_PENDING[1],
                "company_name": COMPANY_NAME,
            },
        )
