"""Which Shiprocket pickup location an order leaves from: the Zoho location (warehouse) of its lines, mapped in
configuration to a pickup location nickname and its pincode (issue 13).

``PICKUP_LOCATIONS_JSON`` holds ``{"locations": {"<zoho location_id>": {"pickup_location": "<nickname>",
"pincode": "<6 digits>"}}}``. Without it (a single-warehouse seller) every order leaves from ``PICKUP_LOCATION`` /
``PICKUP_POSTCODE``, as before. With it, an order whose location has no entry is held as "No Pickup Location"
(nothing is sent to Shiprocket); an order whose lines come from several locations ships one parcel from each
(``orders.parcels``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from shipsync.errors import NoPickupLocation, NotConfigured

# Shiprocket's nickname limit (docs/providers/shiprocket.md §15).
MAX_NICKNAME = 36
_PINCODE = re.compile(r"^[1-9]\d{5}$")


@dataclass(frozen=True)
class PickupPoint:
    nickname: str
    pincode: str


@dataclass(frozen=True)
class PickupLocations:
    default: PickupPoint
    by_zoho_location: Mapping[str, PickupPoint] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str, default: PickupPoint) -> PickupLocations:
        """The mapping as configured; a malformed one is a configuration error naming the entry."""
        try:
            document = json.loads(text)
        except ValueError as err:
            raise NotConfigured(f"PICKUP_LOCATIONS_JSON is not JSON: {err}") from err
        entries = document.get("locations") if isinstance(document, dict) else None
        if not isinstance(entries, dict):
            raise NotConfigured('PICKUP_LOCATIONS_JSON needs {"locations": {"<zoho location_id>": {...}}}')
        points = {}
        for location_id, entry in entries.items():
            nickname = entry.get("pickup_location") if isinstance(entry, dict) else None
            pincode = str(entry.get("pincode") or "") if isinstance(entry, dict) else ""
            if not isinstance(nickname, str) or not 0 < len(nickname.strip()) <= MAX_NICKNAME:
                raise NotConfigured(f"PICKUP_LOCATIONS_JSON {location_id}: pickup_location must be 1-36 characters")
            if not _PINCODE.match(pincode):
                raise NotConfigured(f"PICKUP_LOCATIONS_JSON {location_id}: pincode must be 6 digits")
            points[str(location_id)] = PickupPoint(nickname.strip(), pincode)
        return cls(default, points)

    def point_for(self, location_id: str | None, name: str | None) -> PickupPoint:
        """The pickup location of Zoho location ``location_id``: the default without a map or a location."""
        if not self.by_zoho_location or location_id is None:
            return self.default
        point = self.by_zoho_location.get(location_id)
        if point is None:
            raise NoPickupLocation(
                f"location {name or location_id} ({location_id}) has no Shiprocket pickup location in "
                "PICKUP_LOCATIONS_JSON"
            )
        return point
