"""How a sales order splits into parcels (orders.parcels): one per Zoho location, one per box within a location,
deterministic, and COD amounts that add up to the collectable total to the paisa."""

from __future__ import annotations

from typing import Any

import pytest

from shipsync.domain.models import ZohoItem, ZohoSalesOrder
from shipsync.errors import NoPickupLocation
from shipsync.orders.courier import ParcelLimit
from shipsync.orders.locations import PickupLocations, PickupPoint
from shipsync.orders.mapping import MappingOptions, to_shiprocket_order
from shipsync.orders.parcels import parcel_view, plan_parcels
from tests.fixtures.reference import zoho_item_a, zoho_salesorder_a

DEFAULT = PickupPoint("Primary", "411001")
LOCATIONS = PickupLocations(
    DEFAULT, {"WH-A": PickupPoint("Primary", "411001"), "WH-B": PickupPoint("Bhiwandi WH", "421302")}
)
OPTIONS = MappingOptions(pickup_location="Primary")
LIMIT = ParcelLimit()


def heavy_item(item_id: str = "KADAI", kg: float = 12.0) -> ZohoItem:
    return ZohoItem.model_validate(
        {
            "item_id": item_id,
            "sku": item_id,
            "product_type": "goods",
            "package_details": {"length": 40, "width": 40, "height": 20, "weight": kg, "weight_unit": "kg"},
        }
    )


def line(line_id: str, item_id: str, quantity: float, amount: float, location: str | None = None) -> dict[str, Any]:
    return {
        "line_item_id": line_id,
        "item_id": item_id,
        "sku": item_id,
        "name": item_id,
        "rate": amount / quantity,
        "quantity": quantity,
        "tax_percentage": 12,
        "item_total": amount,
        "location_id": location,
        "location_name": f"Warehouse {location}" if location else None,
    }


def order(*lines: dict[str, Any], total: float, **changes: Any) -> ZohoSalesOrder:
    return ZohoSalesOrder.model_validate(zoho_salesorder_a(line_items=list(lines), total=total, **changes))


def items() -> dict[str, ZohoItem]:
    tee = ZohoItem.model_validate(zoho_item_a())
    return {tee.item_id: tee, "KADAI": heavy_item()}


def tee_id() -> str:
    return ZohoItem.model_validate(zoho_item_a()).item_id


def test_an_order_that_fits_one_box_from_one_location_is_one_parcel_under_its_own_number() -> None:
    so = order(line("L1", tee_id(), 2, 1198.0, "WH-A"), total=1341.76)

    [plan] = plan_parcels(so, items(), OPTIONS, LOCATIONS, LIMIT)

    assert (plan.order_ref, plan.pickup_location, plan.lines, plan.amount_paise) == (
        so.salesorder_number,
        "Primary",
        {"L1": 2},
        134176,
    )


def test_lines_from_two_locations_are_two_parcels_each_from_its_pickup_location_and_the_cod_adds_up() -> None:
    so = order(line("L1", tee_id(), 2, 1198.0, "WH-A"), line("L2", "KADAI", 1, 2499.0, "WH-B"), total=4140.64)

    first, second = plan_parcels(so, items(), OPTIONS, LOCATIONS, LIMIT)

    number = so.salesorder_number
    assert (first.order_ref, second.order_ref) == (f"{number}-1", f"{number}-2")
    assert (first.pickup_postcode, second.pickup_postcode) == ("411001", "421302")
    assert (first.lines, second.lines) == ({"L1": 2}, {"L2": 1})
    assert first.amount_paise + second.amount_paise == 414064
    assert first.amount_paise == round(414064 * 1198 / 3697)
    # The same order always splits the same way: retries and duplicates find the same parcels.
    assert plan_parcels(so, items(), OPTIONS, LOCATIONS, LIMIT) == [first, second]


def test_goods_over_the_box_limit_are_packed_first_fit_into_several_boxes() -> None:
    so = order(line("L1", "KADAI", 5, 12495.0, "WH-A"), total=13994.40)

    plans = plan_parcels(so, items(), OPTIONS, LOCATIONS, LIMIT)

    assert [p.lines for p in plans] == [{"L1": 2}, {"L1": 2}, {"L1": 1}]
    assert [p.amount_paise for p in plans] == [559776, 559776, 279888]
    # Each box, as the mapping declares it, is within the limit.
    for plan in plans:
        body = to_shiprocket_order(parcel_view(so, plan), items(), OPTIONS, order_ref=plan.order_ref)
        assert body.weight <= LIMIT.max_weight_kg
        assert body.sub_total == plan.amount_paise / 100


def test_a_unit_over_the_limit_travels_alone_and_a_long_side_starts_a_box_too() -> None:
    catalogue = {"BIG": heavy_item("BIG", kg=45.0), "KADAI": heavy_item()}
    so = order(line("L1", "BIG", 2, 2000.0), line("L2", "KADAI", 1, 1000.0), total=3360.0)
    assert [p.lines for p in plan_parcels(so, catalogue, OPTIONS, LOCATIONS, LIMIT)] == [
        {"L1": 1},
        {"L1": 1},
        {"L2": 1},
    ]
    two_kadais = order(line("L1", "KADAI", 2, 2000.0), total=2240.0)
    # The box keeps the largest footprint (40 cm sides), so a 70 cm limit leaves two kadais together...
    wide = ParcelLimit(max_weight_kg=100, max_side_cm=70)
    assert [p.lines for p in plan_parcels(two_kadais, catalogue, OPTIONS, LOCATIONS, wide)] == [{"L1": 2}]
    # ...and a 30 cm one sends each alone.
    short = ParcelLimit(max_weight_kg=100, max_side_cm=30)
    assert [p.lines for p in plan_parcels(two_kadais, catalogue, OPTIONS, LOCATIONS, short)] == [{"L1": 1}, {"L1": 1}]


def test_only_the_unpacked_units_are_planned_and_they_collect_only_their_share() -> None:
    so = order(
        line("L1", tee_id(), 2, 1198.0, "WH-A") | {"quantity_packed": 1},
        line("L2", "KADAI", 1, 2499.0, "WH-B"),
        total=4140.64,
    )

    first, second = plan_parcels(so, items(), OPTIONS, LOCATIONS, LIMIT)

    assert (first.lines, second.lines) == ({"L1": 1}, {"L2": 1})
    left = round(4140.64 * (599 + 2499) / 3697, 2)
    assert first.amount_paise + second.amount_paise == round(left * 100)


def test_a_location_without_a_pickup_location_holds_the_order_by_name() -> None:
    so = order(line("L1", tee_id(), 2, 1198.0, "WH-A"), line("L2", "KADAI", 1, 2499.0, "WH-Z"), total=4140.64)

    with pytest.raises(NoPickupLocation, match="Warehouse WH-Z"):
        plan_parcels(so, items(), OPTIONS, LOCATIONS, LIMIT)


def test_a_shipped_again_order_numbers_its_parcels_after_its_new_reference() -> None:
    so = order(line("L1", tee_id(), 2, 1198.0, "WH-A"), line("L2", "KADAI", 1, 2499.0, "WH-B"), total=4140.64)

    plans = plan_parcels(so, items(), OPTIONS, LOCATIONS, LIMIT, order_ref=f"{so.salesorder_number}-R1")

    assert [p.order_ref for p in plans] == [f"{so.salesorder_number}-R1-1", f"{so.salesorder_number}-R1-2"]


def test_a_parcel_view_holds_its_lines_its_part_of_the_total_and_the_charges_only_once() -> None:
    so = order(
        line("L1", tee_id(), 2, 1198.0, "WH-A"),
        line("L2", "KADAI", 1, 2499.0, "WH-B"),
        total=4240.64,
        shipping_charge=100.0,
    )
    first, second = plan_parcels(so, items(), OPTIONS, LOCATIONS, LIMIT)

    one, two = parcel_view(so, first), parcel_view(so, second)

    assert [(x.line_item_id, x.quantity, x.unpacked_quantity) for x in two.line_items] == [("L2", 1, 1)]
    assert (one.shipping_charge, two.shipping_charge) == (100.0, None)
    assert round((one.total or 0) + (two.total or 0), 2) == 4240.64
    assert to_shiprocket_order(two, items(), OPTIONS).order_items[0].selling_price == round(2499.0 * 1.12, 2)
