"""Indian geography the mapping and the courier rules need: tier-1 cities, pincodes, states."""

from __future__ import annotations

import re
from datetime import timedelta, timezone

# India Standard Time: Shiprocket and Zoho timestamps without an offset are in it.
IST = timezone(timedelta(hours=5, minutes=30), "IST")

# The three timestamp shapes Shiprocket mixes (docs/providers/shiprocket.md §12), all IST without an offset.
SHIPROCKET_TIMESTAMP_FORMATS = ("%d %m %Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d %b %Y, %I:%M %p")

# The seller's tier-1 list (Mumbai, Delhi, Bengaluru, Hyderabad, Chennai, Pune) with the old
# and alternative spellings customers still type into address forms.
_TIER1_CITY_NAMES: dict[str, str] = {
    "mumbai": "Mumbai",
    "bombay": "Mumbai",
    "navi mumbai": "Mumbai",
    "delhi": "Delhi",
    "new delhi": "Delhi",
    "bengaluru": "Bengaluru",
    "bangalore": "Bengaluru",
    "hyderabad": "Hyderabad",
    "secunderabad": "Hyderabad",
    "chennai": "Chennai",
    "madras": "Chennai",
    "pune": "Pune",
    "poona": "Pune",
}

# First three digits of a pincode = the sorting district. These six are the city districts
# of the tier-1 cities, so a misspelt or missing city name still classifies correctly.
_TIER1_PIN_PREFIXES: dict[str, str] = {
    "400": "Mumbai",
    "110": "Delhi",
    "560": "Bengaluru",
    "500": "Hyderabad",
    "600": "Chennai",
    "411": "Pune",
}

_PINCODE = re.compile(r"[1-9]\d{5}")

# GST / ISO state codes Zoho puts in ``state_code``; used when ``state`` itself is blank.
STATE_NAMES: dict[str, str] = {
    "AN": "Andaman and Nicobar Islands",
    "AP": "Andhra Pradesh",
    "AR": "Arunachal Pradesh",
    "AS": "Assam",
    "BR": "Bihar",
    "CH": "Chandigarh",
    "CG": "Chhattisgarh",
    "CT": "Chhattisgarh",
    "DN": "Dadra and Nagar Haveli and Daman and Diu",
    "DD": "Dadra and Nagar Haveli and Daman and Diu",
    "DL": "Delhi",
    "GA": "Goa",
    "GJ": "Gujarat",
    "HR": "Haryana",
    "HP": "Himachal Pradesh",
    "JK": "Jammu and Kashmir",
    "JH": "Jharkhand",
    "KA": "Karnataka",
    "KL": "Kerala",
    "LA": "Ladakh",
    "LD": "Lakshadweep",
    "MP": "Madhya Pradesh",
    "MH": "Maharashtra",
    "MN": "Manipur",
    "ML": "Meghalaya",
    "MZ": "Mizoram",
    "NL": "Nagaland",
    "OD": "Odisha",
    "OR": "Odisha",
    "PY": "Puducherry",
    "PB": "Punjab",
    "RJ": "Rajasthan",
    "SK": "Sikkim",
    "TN": "Tamil Nadu",
    "TS": "Telangana",
    "TG": "Telangana",
    "TR": "Tripura",
    "UP": "Uttar Pradesh",
    "UK": "Uttarakhand",
    "UT": "Uttarakhand",
    "WB": "West Bengal",
}


def _city_key(city: str) -> str:
    return " ".join(re.sub(r"[^a-z ]", " ", city.casefold()).split())


def tier1_city(city: str | None, pincode: str | None = None) -> str | None:
    """Canonical tier-1 city name for a city or pincode, or None for tier-2/3 destinations.

    The city name wins; the pincode district is the fallback, so "Bangalore", "BENGALURU "
    and an unnamed 560038 all resolve to Bengaluru.
    """
    if city:
        name = _TIER1_CITY_NAMES.get(_city_key(city))
        if name:
            return name
    if pincode:
        digits = "".join(pincode.split())
        if _PINCODE.fullmatch(digits):
            return _TIER1_PIN_PREFIXES.get(digits[:3])
    return None


def is_tier1_city(city: str | None, pincode: str | None = None) -> bool:
    return tier1_city(city, pincode) is not None


def is_valid_pincode(pincode: str) -> bool:
    """Six digits, not starting with 0 (India Post has no zone 0)."""
    return _PINCODE.fullmatch(pincode) is not None


def state_name(state: str | None, state_code: str | None) -> str | None:
    if state and state.strip():
        return " ".join(state.split())
    if state_code and state_code.strip():
        return STATE_NAMES.get(state_code.strip().upper())
    return None


def destination_tier(city: str | None, pincode: object) -> str:
    """How the reports group destinations: "tier-1", "tier-2/3", or "unknown" with neither a city nor a pincode."""
    if not city and not pincode:
        return "unknown"
    return "tier-1" if tier1_city(city, str(pincode) if pincode else None) else "tier-2/3"
