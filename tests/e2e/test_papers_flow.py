"""The papers, end to end (issue 13): a ₹60,000 order without an e-way bill is held and paged, then ships with
the number once the seller adds it; a B2B order carries its buyer's GSTIN to Shiprocket."""

from __future__ import annotations

import pytest
from test_cancel_flow import pages, post_order_webhook, seller_edits
from test_order_flow import custom_fields, post_webhook, salesorder, seed, sim_state, zoho_order

from local.stack import LocalStack

pytestmark = pytest.mark.e2e


def test_an_order_worth_an_e_way_bill_is_held_until_the_number_is_added(fresh: LocalStack) -> None:
    so = salesorder(71, total=60_000.0)
    seed(fresh, so)

    post_webhook(fresh, so)
    fresh.wait_idle(30)

    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "E-way Bill Required"
    assert sim_state(fresh.shiprocket_url)["orders"] == []
    [page] = [p for p in pages(fresh) if p["kind"] == "EwayBillRequired"]
    assert "cf_eway_bill_no" in page["message"]

    seller_edits(
        fresh,
        salesorder_id=so["salesorder_id"],
        custom_fields=[{"api_name": "cf_eway_bill_no", "value": "321012345678"}],
    )
    post_order_webhook(fresh, so["salesorder_id"])
    fresh.wait_idle(60)

    [order] = sim_state(fresh.shiprocket_url)["orders"]
    assert order["request"]["ewaybill_no"] == "321012345678"
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Pickup Scheduled"
    assert fresh.queue_depths()["OrderDLQ"] == 0


def test_a_b2b_order_carries_its_gstin(fresh: LocalStack) -> None:
    so = {**salesorder(72), "gst_no": "27AAPFU0939F1ZV", "gst_treatment": "business_gst"}
    seed(fresh, so)

    post_webhook(fresh, so)
    fresh.wait_idle(30)

    [order] = sim_state(fresh.shiprocket_url)["orders"]
    assert order["request"]["customer_gstin"] == "27AAPFU0939F1ZV"
    assert order["request"]["ewaybill_no"] == ""


def test_zoho_gets_the_label_the_tracking_link_and_the_expected_delivery(fresh: LocalStack) -> None:
    so = salesorder(73)
    seed(fresh, so)

    post_webhook(fresh, so)
    fresh.wait_idle(30)

    [order] = sim_state(fresh.shiprocket_url)["orders"]
    fields = custom_fields(zoho_order(fresh, so["salesorder_id"]))
    assert fields["cf_label_url"] == order["label_url"]
    assert fields["cf_expected_delivery"]  # today + the courier's quoted days
    [shipment] = sim_state(fresh.zoho_url)["shipmentorders"]
    assert shipment["tracking_link"] == f"https://shiprocket.co/tracking/{order['awb_code']}"


def test_a_partly_packed_order_ships_only_the_rest(fresh: LocalStack) -> None:
    so = salesorder(74)
    so["line_items"][0]["quantity_packed"] = 1  # one of the two packed by hand
    seed(fresh, so)

    post_webhook(fresh, so)
    fresh.wait_idle(30)

    [order] = sim_state(fresh.shiprocket_url)["orders"]
    assert [int(item["units"]) for item in order["request"]["order_items"]] == [1]
    assert order["request"]["sub_total"] == round(so["total"] / 2, 2)
    zoho = sim_state(fresh.zoho_url)
    [package] = zoho["packages"]
    assert [line["quantity"] for line in package["line_items"]] == [1]
    assert next(i for i in zoho["items"] if i["item_id"] == so["line_items"][0]["item_id"])["stock_on_hand"] == 49
