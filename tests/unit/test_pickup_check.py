"""The warehouse setup check (orders.pickup_check, orders.pickup_setup): what it finds between Zoho's locations,
the mapping and Shiprocket's pickup locations, and what it registers."""

from __future__ import annotations

from typing import Any

import pytest

from shipsync.domain.models import ShiprocketPickupAddress, ShiprocketPickupLocation, ZohoLocation
from shipsync.errors import PickupAddressRejected, ProviderRequestError
from shipsync.orders.locations import PickupLocations, PickupPoint
from shipsync.orders.pickup_check import Problem, check_pickups, suggested_nickname
from shipsync.orders.pickup_setup import PickupSetup

CENTRAL, HADAPSAR, KOCHI = "1001", "1002", "1003"
DEFAULT = PickupPoint("Primary", "411001")
MAPPED = PickupLocations(DEFAULT, {CENTRAL: DEFAULT, HADAPSAR: PickupPoint("Pune-WH1", "411028")})


def location(location_id: str, name: str = "Pune Central", **fields: Any) -> ZohoLocation:
    address = {
        "street_address1": "Shop 4, 17 Station Road",
        "city": "Pune",
        "state": "Maharashtra",
        **fields.pop("address", {}),
    }
    document = {
        "location_id": location_id,
        "location_name": name,
        "address": address,
        "phone": "+91 98000 00001",
        "email": "wh@seller.example",
        "is_location_active": True,
        **fields,
    }
    return ZohoLocation.model_validate(document)


def pickup(nickname: str, pincode: str, **fields: Any) -> ShiprocketPickupLocation:
    return ShiprocketPickupLocation(
        **{"id": 1, "pickup_location": nickname, "pin_code": pincode, "status": 2, "phone_verified": True, **fields}
    )


ZOHO = [location(CENTRAL), location(HADAPSAR, "Hadapsar Warehouse")]
SHIPROCKET = [pickup("Primary", "411001"), pickup("Pune-WH1", "411028")]


def found(check: Any) -> list[tuple[Problem, str | None, str | None]]:
    return sorted((f.problem, f.location_id, f.pickup_location) for f in check.findings)


def test_every_mapped_location_at_its_verified_pickup_is_clean() -> None:
    check = check_pickups(ZOHO, SHIPROCKET, MAPPED)

    assert check.ok
    assert [(p.pickup_location, p.location_ids, p.registered) for p in check.points] == [
        ("Primary", (CENTRAL,), True),
        ("Pune-WH1", (HADAPSAR,), True),
    ]


def test_an_active_location_without_a_mapping_gets_the_entry_to_add_and_an_inactive_one_nothing() -> None:
    zoho = [
        *ZOHO,
        location(KOCHI, "Kochi Store #2", address={"zip": "682031"}),
        location("1004", is_location_active=False),
    ]

    check = check_pickups(zoho, SHIPROCKET, MAPPED)

    assert found(check) == [(Problem.UNMAPPED, KOCHI, None)]
    assert '{"1003": {"pickup_location": "Kochi-Store-2", "pincode": "682031"}}' in check.findings[0].fix


def test_a_mapping_naming_no_zoho_location_is_reported() -> None:
    check = check_pickups([location(CENTRAL)], SHIPROCKET, MAPPED)

    assert found(check) == [(Problem.UNKNOWN_LOCATION, HADAPSAR, "Pune-WH1")]


@pytest.mark.parametrize(
    ("at_shiprocket", "problem"),
    [
        ({"status": 0}, Problem.INACTIVE),
        ({"phone_verified": False}, Problem.UNVERIFIED),
        ({"pin_code": "411014"}, Problem.PINCODE_MISMATCH),
    ],
)
def test_a_pickup_location_that_is_inactive_unverified_or_elsewhere_is_reported(
    at_shiprocket: dict[str, Any], problem: Problem
) -> None:
    shiprocket = [SHIPROCKET[0], pickup("Pune-WH1", **{"pincode": "411028", **at_shiprocket})]

    check = check_pickups(ZOHO, shiprocket, MAPPED)

    assert found(check) == [(problem, HADAPSAR, "Pune-WH1")]


def test_zohos_pincode_disagreeing_with_the_mapping_is_reported() -> None:
    zoho = [ZOHO[0], location(HADAPSAR, address={"zip": "411013"})]

    check = check_pickups(zoho, SHIPROCKET, MAPPED)

    assert found(check) == [(Problem.PINCODE_MISMATCH, HADAPSAR, "Pune-WH1")]
    assert "Zoho location Pune Central has 411013" in check.findings[0].detail


def test_a_missing_pickup_is_registrable_from_its_zoho_address_with_the_mappings_pincode() -> None:
    check = check_pickups(ZOHO, SHIPROCKET[:1], MAPPED)

    assert found(check) == [(Problem.NOT_REGISTERED, HADAPSAR, "Pune-WH1")]
    [registration] = check.registrations
    assert registration.address == ShiprocketPickupAddress(
        pickup_location="Pune-WH1",
        name="Hadapsar Warehouse",
        email="wh@seller.example",
        phone="9800000001",
        address="Shop 4, 17 Station Road",
        city="Pune",
        state="Maharashtra",
        pin_code="411028",
    )


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"email": ""}, "email"),
        ({"phone": "+1-925-921-9201"}, "phone"),
        ({"address": {"street_address1": "x" * 81}}, "address.street_address1: 81 characters"),
        ({"address": {"city": ""}}, "address.city"),
    ],
)
def test_a_zoho_address_that_cannot_make_a_pickup_says_what_is_missing(fields: dict[str, Any], named: str) -> None:
    zoho = [ZOHO[0], location(HADAPSAR, **fields)]

    check = check_pickups(zoho, SHIPROCKET[:1], MAPPED)

    assert found(check) == [(Problem.CANNOT_REGISTER, HADAPSAR, "Pune-WH1")]
    assert named in check.findings[0].detail
    assert check.registrations == []


def test_a_single_warehouse_seller_is_checked_on_the_default_pickup_and_registers_from_the_primary() -> None:
    single = PickupLocations(DEFAULT)
    zoho = [location("1", "Store", is_primary_location=False), location("2", "Main", is_primary_location=True)]

    assert check_pickups(zoho, SHIPROCKET, single).ok
    check = check_pickups(zoho, [], single)

    assert found(check) == [(Problem.NOT_REGISTERED, None, "Primary")]
    assert [r.address.name for r in check.registrations] == ["Main"]
    # No Zoho address to take it from: the panel is the way.
    assert check_pickups([], [], single).registrations == []


def test_one_nickname_on_two_pincodes_is_registered_once() -> None:
    mapping = PickupLocations(DEFAULT, {CENTRAL: PickupPoint("Primary", "411002")})

    check = check_pickups([location(CENTRAL)], [], mapping)

    assert [r.address.pickup_location for r in check.registrations] == ["Primary"]
    assert [f.problem for f in check.findings] == [Problem.NOT_REGISTERED, Problem.NOT_REGISTERED]


def test_suggested_nicknames_keep_letters_digits_and_dashes_within_36() -> None:
    assert suggested_nickname("Pune / Hadapsar (Gala 9)") == "Pune-Hadapsar-Gala-9"
    assert len(suggested_nickname("A very long warehouse name " * 3)) == 36
    assert suggested_nickname("***") == "Warehouse"


class FakeZoho:
    def __init__(self, listed: list[ZohoLocation], full: dict[str, ZohoLocation]) -> None:
        self.listed, self.full, self.reads = listed, full, 0

    def list_locations(self) -> list[ZohoLocation]:
        return self.listed

    def get_location(self, location_id: str) -> ZohoLocation:
        self.reads += 1
        return self.full[location_id]


class FakeShiprocket:
    def __init__(self, listed: list[ShiprocketPickupLocation], refuse: dict[str, Exception] | None = None) -> None:
        self.listed, self.refuse, self.sent = list(listed), refuse or {}, []

    def list_pickup_locations(self) -> list[ShiprocketPickupLocation]:
        return list(self.listed)

    def add_pickup_location(self, address: ShiprocketPickupAddress) -> int:
        self.sent.append(address.pickup_location)
        if address.pickup_location in self.refuse:
            raise self.refuse[address.pickup_location]
        self.listed.append(pickup(address.pickup_location, address.pin_code, id=77, phone_verified=False))
        return 77


def test_list_rows_without_an_active_flag_are_read_whole_and_nothing_is_written_unasked() -> None:
    listed = [location(CENTRAL, is_location_active=None), ZOHO[1]]
    zoho = FakeZoho(listed, {CENTRAL: location(CENTRAL, is_location_active=False)})
    shiprocket = FakeShiprocket(SHIPROCKET[:1])

    check = PickupSetup(zoho, shiprocket, MAPPED).run()

    assert zoho.reads == 1
    assert found(check) == [(Problem.NOT_REGISTERED, HADAPSAR, "Pune-WH1")]
    assert shiprocket.sent == []


def test_register_adds_the_missing_reads_back_and_names_each_refusal() -> None:
    house = PickupAddressRejected("shiprocket", "Address line 1 should have House no / Flat no / Road no.")
    fields = ProviderRequestError("shiprocket", "refused", http_status=422, field_errors={"email": ["taken"]})
    mapping = PickupLocations(
        DEFAULT,
        {CENTRAL: DEFAULT, HADAPSAR: PickupPoint("Pune-WH1", "411028"), KOCHI: PickupPoint("Kochi", "682031")},
    )
    zoho = FakeZoho([*ZOHO, location(KOCHI, "Kochi")], {})
    shiprocket = FakeShiprocket([], refuse={"Primary": house, "Kochi": fields})

    check = PickupSetup(zoho, shiprocket, mapping).run(register=True)

    assert shiprocket.sent == ["Primary", "Pune-WH1", "Kochi"]
    assert check.registered == {"Pune-WH1": 77}
    assert found(check) == [
        (Problem.REGISTER_REFUSED, CENTRAL, "Primary"),
        (Problem.REGISTER_REFUSED, KOCHI, "Kochi"),
        (Problem.UNVERIFIED, HADAPSAR, "Pune-WH1"),
    ]
    refusals = {f.pickup_location: f for f in check.findings if f.problem is Problem.REGISTER_REFUSED}
    assert "house / flat / plot or road number" in refusals["Primary"].fix
    assert "email: taken" in refusals["Kochi"].detail
