"""Amended in Zoho after shipping, end to end (issue 12): the seller's edit reaches the webhook route as the
whole sales order, the worker compares it with what was shipped, and Shiprocket and Zoho end up matching it."""

from __future__ import annotations

import pytest
import requests
from test_cancel_flow import pages, post_order_webhook, provider_calls, seller_edits, ship, spent, stock_on_hand
from test_order_flow import custom_fields, sim_state, zoho_order
from test_status_flow import advance

from local.stack import LocalStack

pytestmark = pytest.mark.e2e


def test_a_new_address_before_pickup_updates_the_shiprocket_order_and_nothing_else(fresh: LocalStack) -> None:
    so, awb = ship(fresh, 51)
    seller_edits(fresh, salesorder_id=so["salesorder_id"], shipping_address={"address": "No. 22, 5th Main, HSR Layout"})
    before = provider_calls(fresh)

    assert post_order_webhook(fresh, so["salesorder_id"]).json()["intent"] == "ship"
    fresh.wait_idle(60)

    [update] = sim_state(fresh.shiprocket_url)["address_updates"]
    assert update["shipping_address"] == "No. 22, 5th Main, HSR Layout"
    assert update["shipping_pincode"] == "560038"
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_awb_number"] == awb
    assert spent(before, provider_calls(fresh)) == {
        "GET /inventory/v1/salesorders/{salesorder_id}": 1,
        "GET /orders/show/{id}": 1,
        "POST /orders/address/update": 1,
    }
    # The same webhook again: already looked at, nothing read.
    again = provider_calls(fresh)
    post_order_webhook(fresh, so["salesorder_id"])
    fresh.wait_idle(30)
    assert spent(again, provider_calls(fresh)) == {}


def test_a_pincode_the_awb_courier_does_not_serve_ships_again_under_a_new_reference(fresh: LocalStack) -> None:
    so, awb = ship(fresh, 52)
    [first] = sim_state(fresh.shiprocket_url)["orders"]
    # The courier holding the AWB serves only the old lane (zone d), not a Pune address (zone a).
    courier = {"courier_company_id": first["courier_company_id"], "zones": ["z_d"]}
    requests.post(f"{fresh.shiprocket_url}/_sim/seed", json={"couriers": [courier]}, timeout=10).raise_for_status()
    seller_edits(
        fresh,
        salesorder_id=so["salesorder_id"],
        shipping_address={
            "address": "Flat 4, Lane 7, Koregaon Park",
            "city": "Pune",
            "state": "Maharashtra",
            "zip": "411001",
        },
    )
    before = provider_calls(fresh)

    post_order_webhook(fresh, so["salesorder_id"])
    fresh.wait_idle(90)

    shiprocket = sim_state(fresh.shiprocket_url)
    assert [o["order_id"] for o in shiprocket["orders"]] == [so["salesorder_number"], f"{so['salesorder_number']}-R1"]
    assert shiprocket["cancelled_orders"] == [so["salesorder_number"]]
    new = shiprocket["orders"][1]
    assert new["awb_code"] != awb
    assert new["courier_company_id"] != first["courier_company_id"]
    fields = custom_fields(zoho_order(fresh, so["salesorder_id"]))
    assert (fields["cf_awb_number"], fields["cf_shipment_status"]) == (new["awb_code"], "Pickup Scheduled")
    zoho = sim_state(fresh.zoho_url)
    [shipment] = zoho["shipmentorders"]
    assert shipment["tracking_number"] == new["awb_code"]
    assert len(zoho["packages"]) == 1
    assert stock_on_hand(fresh) == 48  # given back with the first shipment, taken again by the second
    calls = spent(before, provider_calls(fresh))
    assert calls["POST /orders/cancel"] == 1
    assert "POST /orders/address/update" not in calls
    assert fresh.queue_depths()["OrderDLQ"] == 0


def test_an_edit_after_pickup_pages_and_changes_nothing(fresh: LocalStack) -> None:
    so, awb = ship(fresh, 53)
    advance(fresh, {"awb": awb, "steps": 2})
    fresh.wait_idle(60)
    seller_edits(fresh, salesorder_id=so["salesorder_id"], shipping_address={"phone": "+91 98450 77777"})

    post_order_webhook(fresh, so["salesorder_id"])
    fresh.wait_idle(60)

    [page] = [p for p in pages(fresh) if p["kind"] == "AmendedAfterPickup"]
    assert awb in page["message"]
    assert "98450 77777" not in page["message"]
    assert sim_state(fresh.shiprocket_url)["address_updates"] == []


def test_a_cancelled_order_confirmed_again_ships_again(fresh: LocalStack) -> None:
    so, awb = ship(fresh, 54)
    cancel = [{"api_name": "cf_shipment_action", "value": "Cancel"}]
    seller_edits(fresh, salesorder_id=so["salesorder_id"], custom_fields=cancel)
    post_order_webhook(fresh, so["salesorder_id"])
    fresh.wait_idle(60)
    assert stock_on_hand(fresh) == 50

    seller_edits(
        fresh, salesorder_id=so["salesorder_id"], custom_fields=[{"api_name": "cf_shipment_action", "value": ""}]
    )
    assert post_order_webhook(fresh, so["salesorder_id"]).json()["intent"] == "ship"
    fresh.wait_idle(90)

    orders = sim_state(fresh.shiprocket_url)["orders"]
    assert [o["order_id"] for o in orders] == [so["salesorder_number"], f"{so['salesorder_number']}-R1"]
    fields = custom_fields(zoho_order(fresh, so["salesorder_id"]))
    assert fields["cf_awb_number"] == orders[1]["awb_code"] != awb
    assert fields["cf_shipment_status"] == "Pickup Scheduled"
    assert stock_on_hand(fresh) == 48
    assert fresh.queue_depths()["OrderDLQ"] == 0
