"""The setup check of the warehouse mapping (issue 13): Zoho's locations, the configured mapping and Shiprocket's
pickup locations side by side, and what is wrong between them, each problem with the step that fixes it.

Pure: ``check_pickups`` compares what the caller read (``orders.pickup_setup`` reads and registers). Nicknames are
compared exactly, as Shiprocket matches an order's ``pickup_location`` (docs/providers/shiprocket.md §12, §15).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Protocol

from shipsync.domain.models import ShiprocketPickupAddress, ZohoLocation
from shipsync.errors import InvalidOrder
from shipsync.orders.locations import MAX_NICKNAME, PickupLocations, PickupPoint
from shipsync.orders.mapping import normalise_phone

# Shiprocket's limit on address line 1 (docs/providers/shiprocket.md §15).
MAX_ADDRESS_LINE = 80


class Problem(StrEnum):
    """What can be wrong with one Zoho location's way to Shiprocket."""

    UNMAPPED = "unmapped"  # an active Zoho location with no pickup location in the mapping
    UNKNOWN_LOCATION = "unknown_location"  # the mapping names a location id Zoho does not have
    NOT_REGISTERED = "not_registered"  # the mapped nickname is not a Shiprocket pickup location
    INACTIVE = "inactive"  # Shiprocket lists it with status 0
    UNVERIFIED = "unverified"  # its phone is not verified at Shiprocket
    PINCODE_MISMATCH = "pincode_mismatch"  # the mapping's pincode is not Shiprocket's (or Zoho's)
    CANNOT_REGISTER = "cannot_register"  # missing, and Zoho's address cannot make a pickup address
    REGISTER_REFUSED = "register_refused"  # Shiprocket refused the registration


class PickupRow(Protocol):
    """What the check reads of a Shiprocket pickup location (``ShiprocketPickupLocation``)."""

    @property
    def pickup_location(self) -> str: ...
    @property
    def pin_code(self) -> str: ...
    @property
    def phone_verified(self) -> bool: ...
    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class Finding:
    problem: Problem
    detail: str
    fix: str
    location_id: str | None = None
    pickup_location: str | None = None


@dataclass(frozen=True)
class CheckedPoint:
    """One pickup location the configuration ships from, and the Zoho locations mapped to it."""

    pickup_location: str
    pincode: str
    location_ids: tuple[str, ...]
    registered: bool
    active: bool
    phone_verified: bool


@dataclass(frozen=True)
class Registration:
    """A missing pickup location that can be registered from a Zoho location's address."""

    location_id: str | None
    address: ShiprocketPickupAddress


@dataclass
class PickupCheck:
    points: list[CheckedPoint] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    # Nickname -> Shiprocket pickup id, of the ones this run registered.
    registered: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "points": [asdict(point) for point in self.points],
            "findings": [asdict(finding) | {"problem": finding.problem.value} for finding in self.findings],
            "registrable": [
                registration.address.pickup_location
                for registration in self.registrations
                if registration.address.pickup_location not in self.registered
            ],
            "registered": dict(self.registered),
        }


def check_pickups(
    zoho_locations: Sequence[ZohoLocation],
    pickups: Sequence[PickupRow],
    mapping: PickupLocations,
) -> PickupCheck:
    """What is wrong between the three, and which missing pickup locations Zoho's addresses can register."""
    check = PickupCheck()
    by_id = {location.location_id: location for location in zoho_locations}
    at_shiprocket = {pickup.pickup_location: pickup for pickup in pickups}
    # Every point orders can ship from, and the Zoho locations (None: the order names none) that use it.
    users: dict[PickupPoint, list[str | None]] = {}
    if mapping.by_zoho_location:
        for location in zoho_locations:
            if location.location_id not in mapping.by_zoho_location and location.active is not False:
                check.findings.append(_unmapped(location))
        for location_id, point in mapping.by_zoho_location.items():
            if location_id not in by_id:
                check.findings.append(
                    Finding(
                        Problem.UNKNOWN_LOCATION,
                        f"PICKUP_LOCATIONS_JSON maps location {location_id}, which Zoho does not list",
                        "remove the entry, or correct its id to one of Zoho's GET /locations",
                        location_id=location_id,
                        pickup_location=point.nickname,
                    )
                )
            users.setdefault(point, []).append(location_id)
    # Lines and orders that name no location leave from the default point, mapped or not.
    users.setdefault(mapping.default, []).append(None)
    for point, location_ids in users.items():
        known = [by_id[location_id] for location_id in location_ids if location_id in by_id]
        source = known[0] if known else _primary(zoho_locations) if not mapping.by_zoho_location else None
        _check_point(check, point, location_ids, at_shiprocket.get(point.nickname), source)
    return check


def _check_point(
    check: PickupCheck,
    point: PickupPoint,
    location_ids: list[str | None],
    pickup: PickupRow | None,
    source: ZohoLocation | None,
) -> None:
    named = [location_id for location_id in location_ids if location_id is not None]
    where = f"pickup location {point.nickname!r} (" + (", ".join(named) or "orders naming no location") + ")"
    check.points.append(
        CheckedPoint(
            pickup_location=point.nickname,
            pincode=point.pincode,
            location_ids=tuple(named),
            registered=pickup is not None,
            active=pickup is not None and pickup.active,
            phone_verified=pickup is not None and pickup.phone_verified,
        )
    )
    location_id = named[0] if named else None

    def note(problem: Problem, detail: str, fix: str) -> None:
        check.findings.append(Finding(problem, f"{where}{detail}", fix, location_id, point.nickname))

    zoho_pincode = (source.address.zip or "").strip() if source is not None else ""
    if source is not None and zoho_pincode and zoho_pincode != point.pincode:
        note(
            Problem.PINCODE_MISMATCH,
            f": configured pincode {point.pincode}, Zoho location {source.location_name} has {zoho_pincode}",
            "correct the pincode in PICKUP_LOCATIONS_JSON (or PICKUP_POSTCODE), or the location's address in Zoho",
        )
    if pickup is None:
        _missing(check, point, location_id, source, note)
        return
    if pickup.pin_code != point.pincode:
        note(
            Problem.PINCODE_MISMATCH,
            f": configured pincode {point.pincode}, Shiprocket has {pickup.pin_code or 'none'}",
            "make the configured pincode the pickup address's (serviceability and rates are priced from it)",
        )
    if not pickup.active:
        note(
            Problem.INACTIVE,
            " is inactive at Shiprocket (status 0)",
            "activate it in the Shiprocket panel (Settings > Pickup Addresses)",
        )
    if not pickup.phone_verified:
        note(
            Problem.UNVERIFIED,
            ": its phone is not verified at Shiprocket",
            "verify the phone with the OTP in the Shiprocket panel (Settings > Pickup Addresses)",
        )


def _missing(
    check: PickupCheck,
    point: PickupPoint,
    location_id: str | None,
    source: ZohoLocation | None,
    note: Callable[[Problem, str, str], None],
) -> None:
    if source is None:
        note(
            Problem.NOT_REGISTERED,
            " is not a Shiprocket pickup location, and no Zoho location has its address",
            "add it in the Shiprocket panel (Settings > Pickup Addresses) under exactly this nickname",
        )
        return
    try:
        address = pickup_address(source, point)
    except InvalidOrder as unusable:
        note(
            Problem.CANNOT_REGISTER,
            f" is not a Shiprocket pickup location, and Zoho location {source.location_name} cannot register it: "
            f"{unusable}",
            "complete the location's address, phone and e-mail in Zoho (Settings > Locations), or add the pickup "
            "location in the Shiprocket panel",
        )
        return
    # Two points under one nickname (the default and a mapped location): one registration, never a second send.
    if all(r.address.pickup_location != point.nickname for r in check.registrations):
        check.registrations.append(Registration(location_id, address))
    note(
        Problem.NOT_REGISTERED,
        " is not a Shiprocket pickup location",
        f"run the check with --register to add it from Zoho location {source.location_name}'s address, or add it "
        "in the Shiprocket panel",
    )


def pickup_address(location: ZohoLocation, point: PickupPoint) -> ShiprocketPickupAddress:
    """The ``addpickup`` body of ``point`` from the Zoho location's address (the field pairs are ours,
    docs/providers/zoho.md §15); ``InvalidOrder`` names what is missing."""
    address = location.address
    line_1 = (address.street_address1 or "").strip()
    for name, value in (("address.street_address1", line_1), ("address.city", address.city), ("email", location.email)):
        if not (value or "").strip():
            raise InvalidOrder(name, "missing")
    if len(line_1) > MAX_ADDRESS_LINE:
        raise InvalidOrder("address.street_address1", f"{len(line_1)} characters; Shiprocket takes {MAX_ADDRESS_LINE}")
    if not (address.state or "").strip():
        raise InvalidOrder("address.state", "missing")
    return ShiprocketPickupAddress(
        pickup_location=point.nickname,
        name=location.location_name.strip(),
        email=(location.email or "").strip(),
        phone=normalise_phone(location.phone, field="phone"),
        address=line_1,
        address_2=(address.street_address2 or "").strip()[:MAX_ADDRESS_LINE],
        city=(address.city or "").strip(),
        state=(address.state or "").strip(),
        country="India",
        pin_code=point.pincode,
    )


def _unmapped(location: ZohoLocation) -> Finding:
    nickname = suggested_nickname(location.location_name)
    pincode = (location.address.zip or "").strip() or "<6-digit pincode>"
    entry = json.dumps({location.location_id: {"pickup_location": nickname, "pincode": pincode}})
    return Finding(
        Problem.UNMAPPED,
        f"Zoho location {location.location_name} ({location.location_id}) has no pickup location: its orders are "
        "held as No Pickup Location",
        f"add {entry} to the locations of PICKUP_LOCATIONS_JSON (PickupLocationsJson)",
        location_id=location.location_id,
    )


def suggested_nickname(location_name: str) -> str:
    """Letters, digits and dashes, at most 36: the wrapper's published rule, kept for ``addpickup`` too (§15)."""
    words = "".join(char if char.isalnum() else " " for char in location_name).split()
    return ("-".join(words) or "Warehouse")[:MAX_NICKNAME]


def _primary(locations: Sequence[ZohoLocation]) -> ZohoLocation | None:
    """The single-warehouse seller's address: the primary location, or the only one."""
    primary = [location for location in locations if location.primary]
    if primary:
        return primary[0]
    return locations[0] if len(locations) == 1 else None
