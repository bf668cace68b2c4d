"""Zoho sales order -> Shiprocket order mapping (shipsync.orders.mapping)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipsync.domain.models import ZohoItem, ZohoSalesOrder
from shipsync.errors import InvalidOrder
from shipsync.orders.mapping import (
    MappingOptions,
    normalise_phone,
    normalise_pincode,
    package_number,
    payment_method,
    required_item_ids,
    shipment_number,
    to_shiprocket_order,
)
from tests.fixtures.reference import zoho_salesorder_a

# tests/fixtures/reference.py's sales order (the `salesorder` object of GET /salesorders/{id}).
FIXTURE_A = zoho_salesorder_a()

OPTIONS = MappingOptions(pickup_location="Pune-WH1")
TEE_ID = "1947583000000045021"


def sales_order(**changes: Any) -> ZohoSalesOrder:
    return ZohoSalesOrder.model_validate(zoho_salesorder_a(**changes))


def line(line_id: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"line_item_id": line_id, "name": f"Item {line_id}", "rate": 100.0, "quantity": 1}
    base.update(fields)
    return base


def item(item_id: str, **package: Any) -> ZohoItem:
    return ZohoItem.model_validate({"item_id": item_id, "package_details": package or None})


def field_of(exc: pytest.ExceptionInfo[InvalidOrder]) -> str:
    return exc.value.field


# --------------------------------------------------------------------------- fixture A


def test_fixture_a_maps_to_a_complete_adhoc_order() -> None:
    order = to_shiprocket_order(sales_order(), {}, OPTIONS)

    assert order.order_id == "SO-01042"
    assert order.order_date == "2024-06-01"
    assert order.pickup_location == "Pune-WH1"
    assert (order.billing_customer_name, order.billing_last_name) == ("Ananya", "Iyer")
    assert order.billing_address == "No. 14, 3rd Cross, Indiranagar"
    assert order.billing_address_2 == "HAL 2nd Stage"
    assert (order.billing_city, order.billing_state, order.billing_country) == ("Bengaluru", "Karnataka", "India")
    assert order.billing_pincode == "560038"
    assert order.billing_phone == "9845012345"
    assert order.billing_email == "ananya.iyer@example.in"
    assert order.shipping_is_billing is True
    assert order.shipping_pincode == ""
    assert order.payment_method == "COD"
    assert order.sub_total == 1341.76
    assert order.shipping_charges == 0.0
    [tee] = order.order_items
    assert (tee.sku, tee.name, tee.units, tee.tax, tee.hsn) == ("TEE-BLK-M", "Cotton Tee Black M", 2, 12, "61091000")
    # 1198 + 12 % GST over 2 units, per unit, GST-inclusive.
    assert tee.selling_price == 670.88
    assert tee.discount == 0.0
    # No item details given: 0.5 kg default per unit; two 10 cm default cubes stack to 20 cm.
    assert order.weight == 1.0
    assert (order.length, order.breadth, order.height) == (10.0, 10.0, 20.0)


def test_fixture_a_with_item_package_details() -> None:
    tee = item(TEE_ID, length=30, width=25, height=2, weight=180, weight_unit="g", dimension_unit="cm")
    order = to_shiprocket_order(sales_order(), {TEE_ID: tee}, OPTIONS)
    assert order.weight == 0.36
    assert (order.length, order.breadth, order.height) == (30.0, 25.0, 4.0)


def test_order_ref_overrides_the_sales_order_number() -> None:
    assert to_shiprocket_order(sales_order(), {}, OPTIONS, order_ref="SO-01042-R1").order_id == "SO-01042-R1"


def test_order_ref_longer_than_shiprocket_allows_is_invalid() -> None:
    with pytest.raises(InvalidOrder) as exc:
        to_shiprocket_order(sales_order(), {}, OPTIONS, order_ref="X" * 51)
    assert field_of(exc) == "order_id"


def test_body_serialises_to_json_with_the_required_shiprocket_keys() -> None:
    body = to_shiprocket_order(sales_order(), {}, OPTIONS).model_dump(mode="json")
    required = {
        "order_id", "order_date", "pickup_location", "billing_customer_name", "billing_address", "billing_city",
        "billing_pincode", "billing_state", "billing_country", "billing_email", "billing_phone",
        "shipping_is_billing", "order_items", "payment_method", "sub_total", "length", "breadth", "height", "weight",
    }  # fmt: skip
    assert required <= body.keys()
    assert all(body[key] not in ("", None) for key in required)


def test_numbers_and_item_ids() -> None:
    assert shipment_number("SO-00042") == "SHP-SO-00042"
    assert package_number("SO-00042") == "PKG-SO-00042"
    so = sales_order(
        line_items=[line("1", item_id="A"), line("2", item_id="B"), line("3", item_id="A"), line("4", item_id=None)]
    )
    assert required_item_ids(so) == ["A", "B"]


# --------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    "raw",
    [
        "+91 98450 12345",
        "098450-12345",
        "91-9845012345",
        "9845012345",
        "+91-98450-12345",
        "(+91) 98450.12345",
        "0091 98450 12345",
        "+91 098450 12345",
        " 98450 12345 ",
    ],
)
def test_phone_formats_normalise_to_ten_digits(raw: str) -> None:
    assert normalise_phone(raw) == "9845012345"


@pytest.mark.parametrize(
    "raw",
    [
        "98450 1234",  # 9 digits
        "19845012345",  # 11 digits without the trunk 0
        "929845012345",  # 12 digits, not +91
        "5845012345",  # mobiles start 6-9
        "+91 58450 12345",
        "0000000000",
        "98450123456789",
        "not a phone",
    ],
)
def test_wrong_phones_are_rejected_without_echoing_the_number(raw: str) -> None:
    with pytest.raises(InvalidOrder) as exc:
        normalise_phone(raw)
    assert field_of(exc) == "billing_phone"
    assert "10-digit" in exc.value.reason
    digits = "".join(c for c in raw if c.isdigit())
    if len(digits) >= 6:
        assert digits not in str(exc.value)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_missing_phone_names_the_given_field(raw: str | None) -> None:
    with pytest.raises(InvalidOrder) as exc:
        normalise_phone(raw, field="shipping_phone")
    assert field_of(exc) == "shipping_phone"
    assert "missing" in exc.value.reason


_mobile = st.from_regex(r"[6-9][0-9]{9}", fullmatch=True)
_prefix = st.sampled_from(["", "+91", "+91 ", "91", "91-", "0", "0091 ", "+91 0", "+(91)-"])
_separator = st.sampled_from(["", " ", "-", ".", "  "])


@given(_mobile, _prefix, st.lists(_separator, min_size=10, max_size=10))
def test_property_valid_mobiles_round_trip_through_any_format(mobile: str, prefix: str, separators: list[str]) -> None:
    formatted = prefix + "".join(digit + sep for digit, sep in zip(mobile, separators, strict=True))
    assert normalise_phone(formatted) == mobile
    assert normalise_phone(normalise_phone(formatted)) == mobile


@given(st.text(alphabet="0123456789", max_size=20).filter(lambda d: not 10 <= len(d) <= 14))
def test_property_wrong_lengths_are_always_rejected(digits: str) -> None:
    with pytest.raises(InvalidOrder):
        normalise_phone(digits or "-")


@given(st.from_regex(r"[0-5][0-9]{9}", fullmatch=True))
def test_property_ten_digits_not_starting_6_to_9_are_rejected(digits: str) -> None:
    # A leading 0 would be a trunk prefix leaving 9 digits; 1-5 are not mobile ranges.
    with pytest.raises(InvalidOrder):
        normalise_phone(digits)


def test_phone_falls_back_to_contact_mobile_when_address_phone_is_a_bad_number() -> None:
    shipping = dict(FIXTURE_A["shipping_address"], phone="2345")
    so = sales_order(shipping_address=shipping, contact_person_details=[{"mobile": "07000 111222"}])
    assert to_shiprocket_order(so, {}, OPTIONS).billing_phone == "7000111222"


def test_shipping_phone_wins_over_billing_and_contact() -> None:
    billing = dict(FIXTURE_A["shipping_address"], phone="9000000001")
    so = sales_order(billing_address=billing, contact_person_details=[{"mobile": "9000000002"}])
    assert to_shiprocket_order(so, {}, OPTIONS).billing_phone == "9845012345"


def test_order_without_any_valid_phone_is_invalid_naming_billing_phone() -> None:
    shipping = dict(FIXTURE_A["shipping_address"], phone="12345")
    with pytest.raises(InvalidOrder) as exc:
        to_shiprocket_order(sales_order(shipping_address=shipping, contact_person_details=[]), {}, OPTIONS)
    assert field_of(exc) == "billing_phone"
    assert "5 digits" in exc.value.reason


def test_order_without_any_phone_says_where_it_looked() -> None:
    shipping = dict(FIXTURE_A["shipping_address"], phone=None)
    with pytest.raises(InvalidOrder) as exc:
        to_shiprocket_order(sales_order(shipping_address=shipping, contact_person_details=[]), {}, OPTIONS)
    assert field_of(exc) == "billing_phone"
    assert "contact person" in exc.value.reason


# --------------------------------------------------------------------------- pincode


@pytest.mark.parametrize(("raw", "expected"), [("560038", "560038"), (" 560 038 ", "560038"), ("110001", "110001")])
def test_valid_pincodes(raw: str, expected: str) -> None:
    assert normalise_pincode(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "56003", "5600381", "056003", "56OO38", "560-038"])
def test_invalid_pincodes_name_the_field(raw: str | None) -> None:
    with pytest.raises(InvalidOrder) as exc:
        normalise_pincode(raw, field="shipping_pincode")
    assert field_of(exc) == "shipping_pincode"


def test_bad_pincode_on_the_only_address_names_billing_pincode() -> None:
    shipping = dict(FIXTURE_A["shipping_address"], zip="56003")
    with pytest.raises(InvalidOrder) as exc:
        to_shiprocket_order(sales_order(shipping_address=shipping), {}, OPTIONS)
    assert field_of(exc) == "billing_pincode"


def test_bad_shipping_pincode_with_good_billing_names_shipping_pincode() -> None:
    billing = dict(FIXTURE_A["shipping_address"])
    shipping = dict(FIXTURE_A["shipping_address"], zip="5600")
    with pytest.raises(InvalidOrder) as exc:
        to_shiprocket_order(sales_order(billing_address=billing, shipping_address=shipping), {}, OPTIONS)
    assert field_of(exc) == "shipping_pincode"


# --------------------------------------------------------------------------- payment method


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("COD", "COD"),
        ("cod", "COD"),
        ("Cash on Delivery", "COD"),
        ("cash-on-delivery", "COD"),
        (" CASH_ON_DELIVERY ", "COD"),
        ("Prepaid", "Prepaid"),
        ("pre-paid", "Prepaid"),
        ("paid", "Prepaid"),
        ("Online", "Prepaid"),
    ],
)
def test_payment_method_from_the_custom_field(value: str, expected: str) -> None:
    so = sales_order(custom_fields=[{"api_name": "cf_payment_method", "value": value}])
    assert payment_method(so, "cf_payment_method") == expected


def test_payment_method_field_name_is_configurable() -> None:
    so = sales_order(custom_fields=[{"api_name": "cf_pay_mode", "value": "Prepaid"}])
    options = MappingOptions(pickup_location="Pune-WH1", payment_method_field="cf_pay_mode")
    assert to_shiprocket_order(so, {}, options).payment_method == "Prepaid"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Cash on Delivery", "COD"),
        ("COD - collect at door", "COD"),
        ("Due on Receipt", "Prepaid"),
        ("Net 15", "Prepaid"),
        (None, "Prepaid"),
    ],
)
def test_payment_method_from_payment_terms_when_the_field_is_empty(label: str | None, expected: str) -> None:
    so = sales_order(custom_fields=[{"api_name": "cf_payment_method", "value": ""}], payment_terms_label=label)
    assert payment_method(so, "cf_payment_method") == expected


def test_unrecognised_payment_value_is_invalid_not_guessed() -> None:
    so = sales_order(custom_fields=[{"api_name": "cf_payment_method", "value": "Barter"}])
    with pytest.raises(InvalidOrder) as exc:
        payment_method(so, "cf_payment_method")
    assert field_of(exc) == "cf_payment_method"
    assert "Barter" in exc.value.reason


# --------------------------------------------------------------------------- date


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        ("2024-06-01T10:16:03+0530", "2024-06-01 10:16"),
        ("2024-06-01T22:00:00Z", "2024-06-02 03:30"),
        ("2024-06-01T20:00:00-0400", "2024-06-02 05:30"),
        ("2024-06-01T09:05:00", "2024-06-01 09:05"),
        ("garbage", "2024-06-01"),
        (None, "2024-06-01"),
    ],
)
def test_order_date_is_ist(created: str | None, expected: str) -> None:
    assert to_shiprocket_order(sales_order(created_time=created), {}, OPTIONS).order_date == expected


def test_order_without_any_date_is_invalid() -> None:
    with pytest.raises(InvalidOrder) as exc:
        to_shiprocket_order(sales_order(date=None), {}, OPTIONS)
    assert field_of(exc) == "order_date"


# --------------------------------------------------------------------------- names, addresses, email


def test_distinct_billing_address_fills_the_shipping_fields() -> None:
    billing = {
        "attention": "Ravi Kumar Iyer",
        "address": "12 MG Road",
        "city": "Chennai",
        "state": "Tamil Nadu",
        "zip": "600001",
        "country": "India",
        "phone": "9000000001",
    }
    order = to_shiprocket_order(sales_order(billing_address=billing), {}, OPTIONS)
    assert order.shipping_is_billing is False
    assert (order.billing_customer_name, order.billing_last_name) == ("Ravi", "Kumar Iyer")
    assert (order.billing_city, order.billing_pincode) == ("Chennai", "600001")
    assert (order.shipping_customer_name, order.shipping_last_name) == ("Ananya", "Iyer")
    assert order.shipping_address == "No. 14, 3rd Cross, Indiranagar"
    assert order.shipping_address_2 == "HAL 2nd Stage"
    assert (order.shipping_city, order.shipping_state, order.shipping_pincode) == ("Bengaluru", "Karnataka", "560038")
    assert order.shipping_country == "India"
    assert order.shipping_phone == "9845012345"
    assert order.shipping_email == "ananya.iyer@example.in"
    assert order.delivery_postcode == "560038"
    assert order.delivery_city == "Bengaluru"


def test_billing_equal_to_shipping_up_to_case_and_spacing_is_shipping_is_billing() -> None:
    shipping = FIXTURE_A["shipping_address"]
    billing = dict(shipping, address="  no. 14,  3rd cross, INDIRANAGAR", city="bengaluru ", zip="560 038")
    assert to_shiprocket_order(sales_order(billing_address=billing), {}, OPTIONS).shipping_is_billing is True


def test_name_falls_back_to_customer_name_and_long_city_is_truncated() -> None:
    shipping = dict(FIXTURE_A["shipping_address"], attention=None, city="Thiruvananthapuram Municipal Corporation Area")
    order = to_shiprocket_order(sales_order(shipping_address=shipping, customer_name="Meera"), {}, OPTIONS)
    assert (order.billing_customer_name, order.billing_last_name) == ("Meera", "")
    assert len(order.billing_city) <= 30
    assert order.billing_city == "Thiruvananthapuram Municipal"


def test_city_without_a_word_break_is_cut_hard() -> None:
    shipping = dict(FIXTURE_A["shipping_address"], city="X" * 40)
    assert to_shiprocket_order(sales_order(shipping_address=shipping), {}, OPTIONS).billing_city == "X" * 30


def test_multiline_address_is_flattened() -> None:
    shipping = dict(FIXTURE_A["shipping_address"], address="Flat 3B,\nSea View Apts\r\n")
    assert to_shiprocket_order(sales_order(shipping_address=shipping), {}, OPTIONS).billing_address == (
        "Flat 3B, Sea View Apts"
    )


def test_state_from_state_code_when_state_is_blank() -> None:
    shipping = dict(FIXTURE_A["shipping_address"], state="", state_code="MH")
    assert to_shiprocket_order(sales_order(shipping_address=shipping), {}, OPTIONS).billing_state == "Maharashtra"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"attention": None}, "billing_customer_name"),
        ({"address": " "}, "billing_address"),
        ({"city": ""}, "billing_city"),
        ({"state": None, "state_code": None}, "billing_state"),
        ({"country": "Nepal", "country_code": "NP"}, "billing_country"),
    ],
)
def test_incomplete_address_names_the_field(changes: dict[str, Any], field: str) -> None:
    shipping = dict(FIXTURE_A["shipping_address"], **changes)
    with pytest.raises(InvalidOrder) as exc:
        to_shiprocket_order(sales_order(shipping_address=shipping, customer_name=None), {}, OPTIONS)
    assert field_of(exc) == field


def test_order_without_addresses_is_invalid() -> None:
    with pytest.raises(InvalidOrder) as exc:
        to_shiprocket_order(sales_order(shipping_address=None, billing_address=None), {}, OPTIONS)
    assert field_of(exc) == "shipping_address"


def test_billing_only_order_ships_to_the_billing_address() -> None:
    billing = dict(FIXTURE_A["shipping_address"], city="Pune", zip="411001")
    order = to_shiprocket_order(sales_order(shipping_address={}, billing_address=billing), {}, OPTIONS)
    assert order.shipping_is_billing is True
    assert (order.delivery_city, order.delivery_postcode) == ("Pune", "411001")


@pytest.mark.parametrize(
    ("contacts", "so_email", "expected"),
    [
        ([{"email": "a@example.in"}], "b@example.in", "a@example.in"),
        ([{"email": "n/a"}], "b@example.in", "b@example.in"),
        ([], None, "no-email@shipsync.invalid"),
    ],
)
def test_email_sources_in_order(contacts: list[dict[str, str]], so_email: str | None, expected: str) -> None:
    so = sales_order(contact_person_details=contacts, email=so_email)
    assert to_shiprocket_order(so, {}, OPTIONS).billing_email == expected


def test_fallback_email_is_configurable() -> None:
    options = MappingOptions(pickup_location="P", fallback_email="ops@seller.in")
    assert to_shiprocket_order(sales_order(contact_person_details=[]), {}, options).billing_email == "ops@seller.in"


# --------------------------------------------------------------------------- money


def test_discount_and_shipping_charge() -> None:
    order = to_shiprocket_order(sales_order(shipping_charge=49, discount="100.50"), {}, OPTIONS)
    assert (order.shipping_charges, order.total_discount) == (49.0, 100.5)
    assert to_shiprocket_order(sales_order(discount="10%"), {}, OPTIONS).total_discount == 0.0


def test_tax_inclusive_orders_do_not_add_gst_again() -> None:
    order = to_shiprocket_order(sales_order(is_inclusive_tax=True), {}, OPTIONS)
    assert order.order_items[0].selling_price == 599.0


def test_line_discount_is_inside_the_unit_price() -> None:
    lines = [line("1", sku="MUG", rate=500.0, quantity=2, item_total=900.0, tax_percentage=18)]
    [mug] = to_shiprocket_order(sales_order(line_items=lines), {}, OPTIONS).order_items
    assert mug.selling_price == 531.0  # 900 * 1.18 / 2
    assert mug.discount == 0.0


# --------------------------------------------------------------------------- line items


@pytest.mark.parametrize("lines", [[], [line("1", sku="A", quantity=0)]])
def test_no_shippable_items_is_invalid(lines: list[dict[str, Any]]) -> None:
    with pytest.raises(InvalidOrder) as exc:
        to_shiprocket_order(sales_order(line_items=lines), {}, OPTIONS)
    assert field_of(exc) == "line_items"


def test_fractional_quantity_is_invalid() -> None:
    with pytest.raises(InvalidOrder) as exc:
        to_shiprocket_order(sales_order(line_items=[line("1", sku="RICE", quantity=1.5)]), {}, OPTIONS)
    assert field_of(exc) == "line_items"
    assert "RICE" in exc.value.reason


def test_repeated_skus_merge_into_one_line() -> None:
    lines = [
        line("1", sku="TEE", item_total=1000.0, quantity=2, tax_percentage=5),
        line("2", sku="MUG", item_total=300.0, quantity=1, tax_percentage=18, hsn_or_sac="6912"),
        line("3", sku="tee ", item_total=600.0, quantity=1, tax_percentage=5, hsn_or_sac="6109"),
    ]
    order = to_shiprocket_order(sales_order(line_items=lines), {}, OPTIONS)
    by_sku = {i.sku: i for i in order.order_items}
    assert set(by_sku) == {"TEE", "MUG"}
    assert by_sku["TEE"].units == 3
    assert by_sku["TEE"].selling_price == 560.0  # (1000 + 600) * 1.05 / 3
    assert by_sku["TEE"].hsn == "6109"  # first line had none
    assert by_sku["TEE"].tax == 5
    assert by_sku["MUG"].selling_price == 354.0


def test_sku_falls_back_to_item_master_then_item_id() -> None:
    lines = [line("1", sku=None, item_id="I1"), line("2", sku="", item_id="I2"), line("3", sku=None, item_id="I2")]
    items = {"I1": ZohoItem(item_id="I1", sku="MASTER-SKU", hsn_or_sac="9999")}
    order = to_shiprocket_order(sales_order(line_items=lines), items, OPTIONS)
    assert [(i.sku, i.units) for i in order.order_items] == [("MASTER-SKU", 1), ("I2", 2)]
    assert order.order_items[0].hsn == "9999"


def test_service_items_are_not_packed() -> None:
    lines = [line("1", sku="TEE", item_id="T"), line("2", sku="INSTALL", item_id="S")]
    items = {"S": ZohoItem(item_id="S", product_type="service")}
    order = to_shiprocket_order(sales_order(line_items=lines), items, OPTIONS)
    assert [i.sku for i in order.order_items] == ["TEE"]
    assert order.weight == 0.5


# --------------------------------------------------------------------------- weight and box


@pytest.mark.parametrize(
    ("weight", "unit", "expected_kg"),
    [(250, "g", 0.75), (1.2, "kg", 3.6), (2, "lb", 2.722), (8, "oz", 0.681), (None, "kg", 1.5), (3, "stone", 1.5)],
)
def test_item_weight_units(weight: float | None, unit: str, expected_kg: float) -> None:
    lines = [line("1", sku="X", item_id="X", quantity=3)]
    items = {"X": item("X", weight=weight, weight_unit=unit)}
    assert to_shiprocket_order(sales_order(line_items=lines), items, OPTIONS).weight == expected_kg


def test_default_weight_and_box_are_configurable() -> None:
    options = MappingOptions(pickup_location="P", default_item_weight_kg=1.25, default_box_cm=20.0)
    order = to_shiprocket_order(sales_order(line_items=[line("1", sku="X")]), {}, options)
    assert (order.weight, order.length, order.breadth, order.height) == (1.25, 20.0, 20.0, 20.0)


def test_inch_dimensions_and_box_holds_the_total_volume() -> None:
    lines = [line("1", sku="BOOK", item_id="B", quantity=4), line("2", sku="PEN", item_id="P", quantity=1)]
    items = {
        "B": item("B", length=8, width=10, height=1, dimension_unit="in", weight=0.4, weight_unit="kg"),
        "P": item("P", length=15, width=1, height=1, dimension_unit="cm", weight=20, weight_unit="g"),
    }
    order = to_shiprocket_order(sales_order(line_items=lines), items, OPTIONS)
    # Books turned longest side first: 25.4 x 20.32 x 2.54 cm; four stack to ~10.2 cm (+ the pen's volume).
    assert (order.length, order.breadth) == (25.4, 20.4)
    assert order.height == 10.2
    assert order.weight == 1.62


def test_tiny_items_still_give_shiprocket_a_box_above_half_a_centimetre() -> None:
    items = {"R": item("R", length=0.2, width=0.2, height=0.1, weight=1, weight_unit="g")}
    order = to_shiprocket_order(sales_order(line_items=[line("1", sku="RING", item_id="R")]), items, OPTIONS)
    assert min(order.length, order.breadth, order.height) >= 1.0
    assert order.weight == 0.001


_line_spec = st.tuples(
    st.sampled_from(["A", "B", "C", "a", "D"]),  # "a" repeats "A" in another case
    st.integers(min_value=1, max_value=50),  # quantity
    st.floats(min_value=1, max_value=20_000, allow_nan=False),  # line amount before GST
    st.sampled_from([0, 5, 12, 18, 28]),  # GST percent
    st.one_of(st.none(), st.floats(min_value=1, max_value=5000, allow_nan=False)),  # item weight (g)
)


@given(st.lists(_line_spec, min_size=1, max_size=12))
def test_property_merge_preserves_units_and_value_and_weight_covers_dead_weight(
    specs: list[tuple[str, int, float, int, float | None]],
) -> None:
    lines = []
    items = {}
    dead_weight = 0.0
    value = 0.0
    for n, (sku, qty, amount, tax, grams) in enumerate(specs):
        item_id = f"I{n}"
        lines.append(line(str(n), sku=sku, item_id=item_id, quantity=qty, item_total=amount, tax_percentage=tax))
        items[item_id] = item(item_id, weight=grams, weight_unit="g", length=12, width=8, height=3)
        dead_weight += qty * (grams / 1000 if grams else OPTIONS.default_item_weight_kg)
        value += amount * (1 + tax / 100)

    order = to_shiprocket_order(sales_order(line_items=lines), items, OPTIONS)

    assert len({i.sku.casefold() for i in order.order_items}) == len(order.order_items)
    assert sum(i.units for i in order.order_items) == sum(qty for _, qty, *_ in specs)
    total_units = sum(i.units for i in order.order_items)
    mapped_value = sum(i.selling_price * i.units for i in order.order_items)
    assert mapped_value == pytest.approx(value, abs=0.005 * total_units + 1e-6)
    assert order.weight >= dead_weight - 1e-9
    assert order.weight - dead_weight < 0.001 + 1e-9
    assert min(order.length, order.breadth, order.height) > 0.5
    assert order.length * order.breadth * order.height >= total_units * 12 * 8 * 3 - 1e-6
