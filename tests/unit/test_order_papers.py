"""The papers an Indian shipment needs (issue 13): the e-way bill for a consignment worth ₹50,000 or more (held
and paged without one, shipped once the seller adds it), the B2B buyer's GSTIN, and the invoice number."""

from __future__ import annotations

from typing import Any

import pytest
from test_order_cancel import NUMBER, SO_ID, World

from shipsync.domain.models import ZohoCustomField, ZohoInvoiceRef, ZohoSalesOrder
from shipsync.errors import EwayBillRequired, InvalidOrder
from shipsync.ledger.records import JobState
from shipsync.orders.mapping import MappingOptions, to_shiprocket_order
from shipsync.orders.messages import OrderMessage
from tests.fixtures.reference import zoho_salesorder_a

OPTIONS = MappingOptions(pickup_location="Primary")


def order(**changes: Any) -> ZohoSalesOrder:
    return ZohoSalesOrder.model_validate(zoho_salesorder_a(**changes))


def test_an_order_worth_an_e_way_bill_without_one_is_refused_naming_the_field() -> None:
    with pytest.raises(EwayBillRequired, match="cf_eway_bill_no"):
        to_shiprocket_order(order(total=60_000.0), {}, OPTIONS)
    below = to_shiprocket_order(order(total=49_999.99), {}, OPTIONS)
    assert below.ewaybill_no == ""


def test_the_e_way_bill_number_and_the_threshold_come_from_the_configuration() -> None:
    so = order(total=60_000.0, custom_fields=[{"api_name": "cf_eway_bill_no", "value": " 321012345678 "}])
    assert to_shiprocket_order(so, {}, OPTIONS).ewaybill_no == "321012345678"
    lower = MappingOptions(pickup_location="Primary", eway_bill_threshold=1_000.0, eway_bill_field="cf_ewb")
    with pytest.raises(EwayBillRequired, match="cf_ewb"):
        to_shiprocket_order(order(total=1_200.0), {}, lower)


def test_a_b2b_order_carries_the_buyers_gstin_and_a_wrong_one_is_refused_by_name() -> None:
    b2b = to_shiprocket_order(order(gst_no="29abcde1234f2z5", gst_treatment="business_gst"), {}, OPTIONS)
    assert b2b.customer_gstin == "29ABCDE1234F2Z5"
    assert to_shiprocket_order(order(), {}, OPTIONS).customer_gstin == ""
    with pytest.raises(InvalidOrder) as refused:
        to_shiprocket_order(order(gst_no="29ABCDE1234"), {}, OPTIONS)
    assert refused.value.field == "gst_no"


def test_an_invoiced_order_sends_its_invoice_number() -> None:
    so = order()
    so.invoices = [ZohoInvoiceRef(invoice_id="1", invoice_number="INV-000042")]
    assert to_shiprocket_order(so, {}, OPTIONS).invoice_number == "INV-000042"


def test_a_held_order_is_marked_and_paged_then_ships_once_the_seller_adds_the_number() -> None:
    world = World()
    so = world.zoho.salesorders[SO_ID]
    so.total = 60_000.0
    message = OrderMessage(salesorder_id=SO_ID, salesorder_number=NUMBER, source="webhook")

    held = world.policy.run(world.job.attempt(message))

    assert held.state == JobState.INVALID
    assert world.zoho.custom_fields[SO_ID]["cf_shipment_status"] == "E-way Bill Required"
    [page] = world.alerts.pages
    assert page["subject"] == f"E-way Bill Required: {NUMBER}"
    assert world.shiprocket.calls == {}

    so.custom_fields.append(ZohoCustomField(api_name="cf_eway_bill_no", value="321012345678"))
    so.last_modified_time = "2025-01-11T12:00:00+0530"
    shipped = world.policy.run(world.job.attempt(message))

    assert shipped.state == JobState.SYNCED
    [created] = world.shiprocket.orders
    assert world.zoho.custom_fields[SO_ID]["cf_shipment_status"] == "Pickup Scheduled"
    assert created == NUMBER


def test_the_write_back_carries_the_label_the_expected_delivery_and_the_tracking_link() -> None:
    world = World()

    world.policy.run(world.job.attempt(OrderMessage(salesorder_id=SO_ID, salesorder_number=NUMBER, source="webhook")))

    entry = world.entry()
    fields = world.zoho.custom_fields[SO_ID]
    assert fields["cf_label_url"] == entry.label_url
    # The quote of the courier holding the AWB said 3 days, from 11 January (IST).
    assert fields["cf_expected_delivery"] == "2025-01-14"
    [shipment] = world.zoho.shipments.values()
    assert shipment["tracking_link"] == f"https://shiprocket.co/tracking/{entry.awb}"


def test_a_partly_packed_order_ships_only_the_rest_and_collects_only_its_share() -> None:
    so = order()
    [line] = so.line_items
    whole = to_shiprocket_order(so, {}, OPTIONS)
    line.quantity_packed = line.quantity - 1

    rest = to_shiprocket_order(so, {}, OPTIONS)

    assert [item.units for item in rest.order_items] == [1]
    assert rest.sub_total == round(so.total / line.quantity, 2)
    assert rest.sub_total < whole.sub_total
    line.quantity_packed = line.quantity
    with pytest.raises(InvalidOrder, match="left to pack"):
        to_shiprocket_order(so, {}, OPTIONS)


def test_the_package_holds_only_the_units_left_to_pack() -> None:
    world = World()
    [line] = world.zoho.salesorders[SO_ID].line_items
    line.quantity_packed = 1.0

    world.policy.run(world.job.attempt(OrderMessage(salesorder_id=SO_ID, salesorder_number=NUMBER, source="webhook")))

    [lines] = world.zoho.packages.values()
    assert lines == [(line.line_item_id, line.quantity - 1)]
