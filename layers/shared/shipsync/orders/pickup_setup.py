"""The setup check run against the providers: read Zoho's locations and Shiprocket's pickup locations, compare them
with the mapping (``orders.pickup_check``) and, when asked, register the missing pickup locations.

It changes nothing unless asked to register, and then only adds what the list showed missing: a nickname listed
at Shiprocket is never sent again (the duplicate refusal is not published, docs/providers/shiprocket.md §15).
"""

from __future__ import annotations

from typing import Protocol

from aws_lambda_powertools import Logger

from shipsync.domain.models import ShiprocketPickupAddress, ShiprocketPickupLocation, ZohoLocation
from shipsync.errors import PickupAddressRejected, ProviderRequestError
from shipsync.orders.locations import PickupLocations
from shipsync.orders.pickup_check import Finding, PickupCheck, Problem, check_pickups

logger = Logger(child=True)


class ZohoLocationsApi(Protocol):
    def list_locations(self) -> list[ZohoLocation]: ...
    def get_location(self, location_id: str) -> ZohoLocation: ...


class PickupLocationsApi(Protocol):
    def list_pickup_locations(self) -> list[ShiprocketPickupLocation]: ...
    def add_pickup_location(self, address: ShiprocketPickupAddress) -> int: ...


class PickupSetup:
    def __init__(self, zoho: ZohoLocationsApi, shiprocket: PickupLocationsApi, mapping: PickupLocations) -> None:
        self._zoho = zoho
        self._shiprocket = shiprocket
        self._mapping = mapping

    def run(self, *, register: bool = False) -> PickupCheck:
        locations = self._zoho_locations()
        check = check_pickups(locations, self._shiprocket.list_pickup_locations(), self._mapping)
        if not register or not check.registrations:
            return check
        registered: dict[str, int] = {}
        refused: list[Finding] = []
        for registration in check.registrations:
            nickname = registration.address.pickup_location
            try:
                registered[nickname] = self._shiprocket.add_pickup_location(registration.address)
            except PickupAddressRejected as rejected:
                refused.append(_refused(registration.location_id, nickname, str(rejected), _HOUSE_NUMBER_FIX))
            except ProviderRequestError as rejected:
                refused.append(_refused(registration.location_id, nickname, _fields(rejected), _PANEL_FIX))
            else:
                logger.info("pickup location registered", extra={"pickup_location": nickname})
        # Read back: what Shiprocket now lists (a new location's phone is still unverified) is the answer.
        after = check_pickups(locations, self._shiprocket.list_pickup_locations(), self._mapping)
        after.registered = registered
        refused_names = {finding.pickup_location for finding in refused}
        after.findings = [
            finding
            for finding in after.findings
            if not (finding.problem is Problem.NOT_REGISTERED and finding.pickup_location in refused_names)
        ] + refused
        return after

    def _zoho_locations(self) -> list[ZohoLocation]:
        """Every location, with whether it is active: the list leaves that out, one read per location says it
        (docs/providers/zoho.md §15)."""
        listed = self._zoho.list_locations()
        return [
            location if location.active is not None else self._zoho.get_location(location.location_id)
            for location in listed
        ]


_HOUSE_NUMBER_FIX = (
    "start address line 1 of the location in Zoho (Settings > Locations) with the house / flat / plot or road "
    "number, then run --register again"
)
_PANEL_FIX = (
    "correct the fields named, or add the pickup location in the Shiprocket panel (Settings > Pickup Addresses)"
)


def _refused(location_id: str | None, nickname: str, detail: str, fix: str) -> Finding:
    return Finding(
        Problem.REGISTER_REFUSED,
        f"Shiprocket refused pickup location {nickname!r}: {detail}",
        fix,
        location_id=location_id,
        pickup_location=nickname,
    )


def _fields(error: ProviderRequestError) -> str:
    if not error.field_errors:
        return str(error)
    return "; ".join(f"{name}: {' '.join(lines)}" for name, lines in sorted(error.field_errors.items()))
