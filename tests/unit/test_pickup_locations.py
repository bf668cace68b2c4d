"""Zoho locations -> Shiprocket pickup locations (issue 13): the default for a single warehouse, the mapped
location's nickname and pincode, and an order held as "No Pickup Location" when its location has none."""

from __future__ import annotations

import pytest
from test_order_cancel import NUMBER, SO_ID, World

from shipsync.errors import NoPickupLocation, NotConfigured
from shipsync.ledger.records import JobState
from shipsync.orders.locations import PickupLocations, PickupPoint
from shipsync.orders.messages import OrderMessage

DEFAULT = PickupPoint("Primary", "411001")
MAP = '{"locations": {"460000000038080": {"pickup_location": "Bhiwandi WH", "pincode": "421302"}}}'


def test_without_a_map_every_order_leaves_from_the_default() -> None:
    assert PickupLocations(DEFAULT).point_for("460000000038080", "Bhiwandi") == DEFAULT


def test_a_mapped_location_picks_the_pickup_location_and_an_unmapped_one_is_held_by_name() -> None:
    locations = PickupLocations.from_json(MAP, DEFAULT)
    assert locations.point_for("460000000038080", "Bhiwandi") == PickupPoint("Bhiwandi WH", "421302")
    assert locations.point_for(None, None) == DEFAULT  # the order names no location
    with pytest.raises(NoPickupLocation, match=r"Bhiwandi \(999\)"):
        locations.point_for("999", "Bhiwandi")


@pytest.mark.parametrize(
    "text",
    [
        "{",
        '{"locations": []}',
        '{"locations": {"1": {"pickup_location": "", "pincode": "421302"}}}',
        '{"locations": {"1": {"pickup_location": "' + "x" * 37 + '", "pincode": "421302"}}}',
        '{"locations": {"1": {"pickup_location": "WH", "pincode": "42130"}}}',
    ],
)
def test_a_malformed_map_is_a_configuration_error(text: str) -> None:
    with pytest.raises(NotConfigured):
        PickupLocations.from_json(text, DEFAULT)


def test_the_order_ships_from_its_mapped_location_and_an_unmapped_one_is_marked_and_paged() -> None:
    mapped = World()
    mapped.job.locations = lambda: PickupLocations.from_json(MAP, DEFAULT)
    for line in mapped.zoho.salesorders[SO_ID].line_items:
        line.location_id = "460000000038080"
    message = OrderMessage(salesorder_id=SO_ID, salesorder_number=NUMBER, source="webhook")

    assert mapped.policy.run(mapped.job.attempt(message)).state == JobState.SYNCED
    assert mapped.entry().pickup_postcode == "421302"
    assert [ask["pickup_postcode"] for ask in mapped.shiprocket.serviceability_asks] == ["421302"]
    [created] = mapped.shiprocket.orders.values()
    assert created["pickup_location"] == "Bhiwandi WH"

    unmapped = World()
    unmapped.job.locations = lambda: PickupLocations.from_json(MAP, DEFAULT)
    for line in unmapped.zoho.salesorders[SO_ID].line_items:
        line.location_id, line.location_name = "999", "Delhi WH"
    held = unmapped.policy.run(unmapped.job.attempt(message))

    assert held.state == JobState.INVALID
    assert unmapped.zoho.custom_fields[SO_ID]["cf_shipment_status"] == "No Pickup Location"
    [page] = unmapped.alerts.pages
    assert "Delhi WH" in page["message"]
    assert "serviceability" not in unmapped.shiprocket.calls
