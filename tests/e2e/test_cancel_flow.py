"""Cancelled in Zoho, end to end (issue 12): the seller's cancel reaches the real webhook route, and the order
worker undoes the shipment at Shiprocket and in Zoho before pickup, pages after it, and does it once whatever
the order of the webhooks."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import requests
from test_order_flow import ITEM_ID, custom_fields, post_webhook, salesorder, seed, sim_state, zoho_order
from test_status_flow import advance

from local.stack import LocalStack

pytestmark = pytest.mark.e2e


def seller_edits(stack: LocalStack, **edit: Any) -> dict[str, Any]:
    """A seller's edit in Zoho's own screens (the simulator's ``salesorder_edits``)."""
    response = requests.post(f"{stack.zoho_url}/_sim/seed", json={"salesorder_edits": [edit]}, timeout=10)
    response.raise_for_status()
    return dict(response.json())


def post_order_webhook(stack: LocalStack, so_id: str) -> requests.Response:
    """The workflow rule's webhook: the sales order as Zoho holds it now, whole."""
    body = {"salesorder": zoho_order(stack, so_id)}
    headers = {"x-api-key": stack.tokens["zoho_webhook"]}
    return requests.post(f"{stack.api_url}/webhooks/zoho/salesorders", json=body, headers=headers, timeout=10)


def stock_on_hand(stack: LocalStack) -> float:
    return float(next(i for i in sim_state(stack.zoho_url)["items"] if i["item_id"] == ITEM_ID)["stock_on_hand"])


def provider_calls(stack: LocalStack) -> dict[str, int]:
    calls: dict[str, int] = {}
    for url in (stack.shiprocket_url, stack.zoho_url):
        for endpoint, count in sim_state(url)["calls"].items():
            if "/auth/" not in endpoint and "/oauth/" not in endpoint:
                calls[endpoint] = count
    return calls


def spent(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {
        endpoint: after[endpoint] - before.get(endpoint, 0)
        for endpoint in after
        if after[endpoint] != before.get(endpoint, 0)
    }


def pages(stack: LocalStack) -> list[dict[str, Any]]:
    return [json.loads(a["message"]) for a in stack.alerts() if a["message"].startswith("{")]


def ship(stack: LocalStack, number: int) -> tuple[dict[str, Any], str]:
    so = salesorder(number)
    seed(stack, so)
    assert post_webhook(stack, so).status_code == 202
    stack.wait_idle(60)
    awb = str(custom_fields(zoho_order(stack, so["salesorder_id"]))["cf_awb_number"])
    return so, awb


def test_a_cancel_before_pickup_cancels_at_shiprocket_and_gives_the_stock_back_in_zoho(fresh: LocalStack) -> None:
    stock_before = 50.0
    so, awb = ship(fresh, 41)
    assert stock_on_hand(fresh) == stock_before - 2
    wallet_after_shipping = sim_state(fresh.shiprocket_url)["wallet_balance"]
    assert seller_edits(fresh, salesorder_id=so["salesorder_id"], order_status="void")["refused_edits"]  # packages
    seller_edits(
        fresh, salesorder_id=so["salesorder_id"], custom_fields=[{"api_name": "cf_shipment_action", "value": "Cancel"}]
    )
    before = provider_calls(fresh)

    answer = post_order_webhook(fresh, so["salesorder_id"])
    fresh.wait_idle(60)

    assert answer.status_code == 202
    assert answer.json()["intent"] == "cancel"
    shiprocket = sim_state(fresh.shiprocket_url)
    assert shiprocket["cancelled_orders"] == [so["salesorder_number"]]
    assert [entry["awb"] for entry in shiprocket["cancelled_awbs"]] == [awb]
    assert shiprocket["wallet_balance"] > wallet_after_shipping  # the freight came back
    zoho = sim_state(fresh.zoho_url)
    assert zoho["packages"] == []
    assert zoho["shipmentorders"] == []
    assert stock_on_hand(fresh) == stock_before
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Cancelled"
    assert spent(before, provider_calls(fresh)) == {
        "GET /inventory/v1/salesorders/{salesorder_id}": 1,
        "GET /orders/show/{id}": 2,
        "POST /orders/cancel/shipment/awbs": 1,
        "POST /orders/cancel": 1,
        "DELETE /inventory/v1/shipmentorders/{shipment_id}": 1,
        "DELETE /inventory/v1/packages/{package_id}": 1,
        "PUT /inventory/v1/salesorders/{salesorder_id}": 1,
    }
    assert fresh.queue_depths()["OrderDLQ"] == 0


def test_duplicate_and_concurrent_cancels_have_one_effect(fresh: LocalStack) -> None:
    so, _ = ship(fresh, 42)
    seller_edits(
        fresh, salesorder_id=so["salesorder_id"], custom_fields=[{"api_name": "cf_shipment_action", "value": "Cancel"}]
    )
    threads = [threading.Thread(target=post_order_webhook, args=(fresh, so["salesorder_id"])) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fresh.wait_idle(90)
    seller_edits(fresh, salesorder_id=so["salesorder_id"], notes="called the buyer")  # a later edit, a new revision
    assert post_order_webhook(fresh, so["salesorder_id"]).status_code == 202
    fresh.wait_idle(30)

    calls = sim_state(fresh.shiprocket_url)["calls"]
    assert calls["POST /orders/cancel"] == 1
    assert calls["POST /orders/cancel/shipment/awbs"] == 1
    zoho_calls = sim_state(fresh.zoho_url)["calls"]
    assert zoho_calls["DELETE /inventory/v1/shipmentorders/{shipment_id}"] == 1
    assert zoho_calls["DELETE /inventory/v1/packages/{package_id}"] == 1
    assert stock_on_hand(fresh) == 50
    assert fresh.queue_depths()["OrderDLQ"] == 0


def test_a_void_that_arrives_before_the_confirmation_ships_nothing(fresh: LocalStack) -> None:
    so = salesorder(43)
    seed(fresh, so)
    seller_edits(fresh, salesorder_id=so["salesorder_id"], order_status="void")

    assert post_order_webhook(fresh, so["salesorder_id"]).json()["intent"] == "cancel"
    fresh.wait_idle(30)
    assert post_webhook(fresh, so).status_code == 202  # the confirmation's webhook, delivered late
    fresh.wait_idle(30)

    shiprocket = sim_state(fresh.shiprocket_url)
    assert shiprocket["orders"] == []
    assert not any(endpoint.startswith("POST") for endpoint in shiprocket["calls"] if "/auth/" not in endpoint)
    assert sim_state(fresh.zoho_url)["packages"] == []
    assert fresh.queue_depths()["OrderDLQ"] == 0


def test_a_cancel_after_pickup_pages_cancels_nothing_and_the_rto_restocks_once(fresh: LocalStack) -> None:
    so, awb = ship(fresh, 44)
    stock_after_shipping = stock_on_hand(fresh)
    requests.post(f"{fresh.shiprocket_url}/_sim/seed", json={"lifecycles": {awb: "rto"}}, timeout=10).raise_for_status()
    advance(fresh, {"awb": awb, "steps": 2})
    fresh.wait_idle(60)
    seller_edits(
        fresh, salesorder_id=so["salesorder_id"], custom_fields=[{"api_name": "cf_shipment_action", "value": "Cancel"}]
    )

    post_order_webhook(fresh, so["salesorder_id"])
    fresh.wait_idle(60)

    shiprocket = sim_state(fresh.shiprocket_url)
    assert shiprocket["cancelled_orders"] == []
    assert "POST /orders/cancel" not in shiprocket["calls"]
    [page] = [p for p in pages(fresh) if p["kind"] == "CancelAfterPickup"]
    assert awb in page["message"]
    assert len(sim_state(fresh.zoho_url)["shipmentorders"]) == 1

    advance(fresh, {"awb": awb})  # the courier brings it back
    fresh.wait_idle(90)

    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Returned"
    assert len(sim_state(fresh.zoho_url)["salesreturnreceives"]) == 1
    assert stock_on_hand(fresh) == stock_after_shipping + 2
    assert fresh.queue_depths()["OrderDLQ"] == 0
    assert fresh.queue_depths()["RtoDLQ"] == 0


def test_a_cancellation_at_shiprocket_gives_the_stock_back_in_zoho_once_and_pages(fresh: LocalStack) -> None:
    so, awb = ship(fresh, 45)
    assert stock_on_hand(fresh) == 48
    # Shiprocket cancels the shipment itself: its tracking posts CANCELED (shipment status 8), twice.
    requests.post(f"{fresh.shiprocket_url}/_sim/seed", json={"lifecycles": {awb: [8]}}, timeout=10).raise_for_status()
    before = provider_calls(fresh)

    advance(fresh, {"awb": awb, "duplicates": 2})
    fresh.wait_idle(60)

    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Cancelled"
    zoho = sim_state(fresh.zoho_url)
    assert (zoho["packages"], zoho["shipmentorders"]) == ([], [])
    assert stock_on_hand(fresh) == 50
    [page] = [p for p in pages(fresh) if p["kind"] == "CancelledAtShiprocket"]
    assert so["salesorder_number"] in page["message"]
    spent_calls = spent(before, provider_calls(fresh))
    assert spent_calls == {
        "PUT /inventory/v1/salesorders/{salesorder_id}": 1,
        "GET /inventory/v1/salesorders/{salesorder_id}": 1,
        "GET /orders/show/{id}": 1,
        "DELETE /inventory/v1/shipmentorders/{shipment_id}": 1,
        "DELETE /inventory/v1/packages/{package_id}": 1,
    }
    assert fresh.queue_depths()["OrderDLQ"] == 0
    assert fresh.queue_depths()["StatusDLQ"] == 0
