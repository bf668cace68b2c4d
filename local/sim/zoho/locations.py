"""Locations (warehouses), as the published Inventory spec lists and reads them (docs/providers/zoho.md §15).

Seeded through ``/_sim/seed {"locations": [...]}``; shipsync only reads them (the setup check of issue 13).
The list row carries what the published list carries (no active or primary flag, no GSTIN); one location's read
adds them. The pin code is not in the published address: GUESS that the live one has ``address.zip``, kept there.
"""

from __future__ import annotations

import copy
from typing import Any

from local.sim.base import Request, Response
from local.sim.zoho.common import _invalid
from local.sim.zoho.state import ZohoState

_LOCATION_TYPES = ("general", "line_item_only")
_ADDRESS_KEYS = ("city", "state", "country", "state_code", "street_address1", "street_address2", "zip")
# The keys of a published list row; the read answers every key of the record.
_LIST_KEYS = (
    "type",
    "email",
    "phone",
    "address",
    "location_id",
    "location_name",
    "tax_settings_id",
    "parent_location_id",
    "associated_series_ids",
    "auto_number_generation_id",
    "is_all_users_selected",
    "associated_users",
)


class LocationsMixin(ZohoState):
    def _normalise_location(self, location: dict[str, Any]) -> dict[str, Any]:
        location["location_id"] = str(location.get("location_id") or self._new_id())
        given = location.get("address")
        address = given if isinstance(given, dict) else {}
        location["address"] = {key: str(address.get(key) or "") for key in _ADDRESS_KEYS}
        for key, default in (
            ("location_name", "Location"),
            ("type", "general"),
            ("email", ""),
            ("phone", ""),
            ("fax", ""),
            ("website", ""),
            ("tax_settings_id", location["location_id"]),
            ("tax_reg_no", ""),
            ("parent_location_id", ""),
            ("is_primary_location", False),
            ("is_location_active", True),
            ("autonumbergenerationgroup_id", ""),
            ("autonumbergenerationgroup_name", ""),
            ("associated_series_ids", []),
            ("auto_number_generation_id", ""),
            ("customer_id", ""),
            ("customer_name", ""),
            ("vendor_id", ""),
            ("vendor_name", ""),
            ("is_all_users_selected", True),
            ("associated_users", []),
            ("location_identification_number", ""),
            ("location_identification_label", ""),
        ):
            location.setdefault(key, default)
        return location

    def _list_locations(self, request: Request) -> Response:
        wanted = request.query.get("location_type")
        if wanted is not None and wanted not in _LOCATION_TYPES:
            raise _invalid("location_type")
        rows = [
            {key: copy.deepcopy(location[key]) for key in _LIST_KEYS}
            for location in self.records["locations"].values()
            if wanted is None or location["type"] == wanted
        ]
        return Response(200, {"code": 0, "message": "success", "locations": rows})

    def _get_location(self, request: Request) -> Response:
        location = self._get("locations", request.params["location_id"], "Location")
        return Response(200, {"code": 0, "message": "success", "location": copy.deepcopy(location)})
