"""The simulated network: zones, pincode geography and the couriers' rate cards (docs/providers/shiprocket.md §2)."""

from __future__ import annotations

import math
import re
from typing import Any

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


def slab_freight(courier: dict[str, Any], zone: str, weight_charged: float) -> float:
    """The rate card's freight for a charged weight (a 0.5 kg slab): the first slab, then each further one."""
    first, additional = courier["rates"][zone]
    return round(float(first) + (weight_charged / 0.5 - 1) * float(additional), 2)


def _city_of(pincode: str) -> str:
    return _CITY_BY_PREFIX.get(pincode[:3]) or _state_of(pincode) or "Hub"


def _place(pincode: str, kind: str) -> str:
    """A courier facility name in the fixture's style, e.g. ``Pune_411028_PC (Maharashtra)``."""
    city = _city_of(pincode).replace(" ", "")
    facility = {"origin": f"{pincode}_PC", "dest": f"{pincode}_DC", "transit": "Gateway"}.get(kind, "Hub")
    return f"{city}_{facility} ({_state_of(pincode) or 'India'})"
