"""Customer return end to end: support books a reverse pickup with ``POST /returns`` (admin auth),
the Shiprocket simulator carries the return to our warehouse and posts its tracking webhooks,
and rto-restock puts the units back into Zoho stock exactly once."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from test_order_flow import ITEM_ID, custom_fields, post_webhook, salesorder, seed, sim_state, zoho_order
from test_status_flow import advance

from local.sim.shiprocket import DEFAULT_UNSERVICEABLE_PINCODES
from local.stack import LocalStack

pytestmark = pytest.mark.e2e


def post_return(stack: LocalStack, body: Any, *, token: str | None = "admin") -> requests.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {stack.tokens[token]}"}
    return requests.post(f"{stack.api_url}/returns", json=body, headers=headers, timeout=30)


def stock_on_hand(stack: LocalStack) -> float:
    return float(next(i for i in sim_state(stack.zoho_url)["items"] if i["item_id"] == ITEM_ID)["stock_on_hand"])


def deliver(stack: LocalStack, so: dict[str, Any]) -> str:
    """Ship a seeded order through the real webhook and carry it to delivery; its forward AWB."""
    assert post_webhook(stack, so).status_code == 202
    stack.wait_idle(60)
    awb = str(custom_fields(zoho_order(stack, so["salesorder_id"]))["cf_awb_number"])
    advance(stack, {"awb": awb})
    stack.wait_idle(60)
    assert custom_fields(zoho_order(stack, so["salesorder_id"]))["cf_shipment_status"] == "Delivered"
    return awb


def test_customer_return_is_picked_up_restocked_and_credited_once(fresh: LocalStack) -> None:
    so = salesorder(31)
    seed(fresh, so)
    invoice = {
        "invoice_id": "1947583000000131031",
        "invoice_number": "INV-000031",
        "salesorder_id": so["salesorder_id"],
        "customer_id": so["customer_id"],
        "status": "sent",
    }
    requests.post(f"{fresh.zoho_url}/_sim/seed", json={"invoices": [invoice]}, timeout=10).raise_for_status()
    forward_awb = deliver(fresh, so)
    stock_after_delivery = stock_on_hand(fresh)
    body = {"salesorder_number": so["salesorder_number"], "lines": [{"sku": "TEE-BLK-M", "quantity": 1}]}

    booked = post_return(fresh, {**body, "reason": "Size too small"})

    assert booked.status_code == 201, booked.text
    answer = booked.json()
    return_awb = answer["awb"]
    assert return_awb
    assert return_awb != forward_awb
    assert answer["return_order_id"] == f"{so['salesorder_number']}-RET1"
    [order] = sim_state(fresh.shiprocket_url)["returns"]
    request = order["request"]
    assert (order["order_id"], order["awb_code"], order["is_return"]) == (answer["return_order_id"], return_awb, True)
    address = so["shipping_address"]
    assert (request["pickup_pincode"], request["pickup_city"]) == (address["zip"], address["city"])
    assert request["pickup_customer_name"] == "Ananya"
    assert request["shipping_pincode"] != address["zip"]  # to our warehouse, not back to the customer
    assert [(item["sku"], int(item["units"])) for item in request["order_items"]] == [("TEE-BLK-M", 1)]

    # The same request again answers with the booked return and books nothing at Shiprocket.
    again = post_return(fresh, {**body, "reason": "Size too small"})
    assert again.status_code == 201, again.text
    assert again.json() == answer
    assert len(sim_state(fresh.shiprocket_url)["returns"]) == 1

    result = advance(fresh, {"awb": return_awb})
    fresh.wait_idle(90)

    assert all(hook["http_status"] == 200 for hook in result["webhooks"] if hook["awb"] == return_awb)
    zoho = sim_state(fresh.zoho_url)
    [salesreturn] = zoho["salesreturns"]
    assert salesreturn["salesorder_id"] == so["salesorder_id"]
    assert salesreturn["reference_number"] == return_awb
    assert [line["quantity"] for line in salesreturn["line_items"]] == [1]
    assert len(zoho["salesreturnreceives"]) == 1
    assert stock_on_hand(fresh) == stock_after_delivery + 1
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Returned"
    # One unit of two is credited with Zoho's own total, and exactly that comes off the invoice.
    [creditnote] = zoho["creditnotes"]
    [billed] = [i for i in zoho["invoices"] if i["invoice_id"] == invoice["invoice_id"]]
    assert creditnote["reference_number"] == f"RET-{return_awb}"
    assert float(creditnote["total"]) == round(float(billed["total"]) / 2, 2)
    assert float(creditnote["balance"]) == 0
    assert float(billed["balance"]) == round(float(billed["total"]) - float(creditnote["total"]), 2)
    depths = fresh.queue_depths()
    assert (depths["StatusDLQ"], depths["RtoDLQ"]) == (0, 0)

    # Once restocked, asking again still books no second pickup.
    assert post_return(fresh, body).json() == answer
    assert len(sim_state(fresh.shiprocket_url)["returns"]) == 1


def test_bad_return_requests_are_refused_with_the_field(fresh: LocalStack) -> None:
    so, waiting = salesorder(32), salesorder(33)  # the second stays in Zoho, never confirmed: nothing shipped
    seed(fresh, so, waiting)
    deliver(fresh, so)

    unknown = post_return(fresh, {"salesorder_number": "SO-99999"})
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["field"] == "salesorder_number"

    too_many = post_return(
        fresh, {"salesorder_number": so["salesorder_number"], "lines": [{"sku": "TEE-BLK-M", "quantity": 3}]}
    )
    assert too_many.status_code == 400, too_many.text
    assert too_many.json()["field"] == "lines.0.quantity"

    for token in (None, "zoho_webhook"):
        denied = post_return(fresh, {"salesorder_number": so["salesorder_number"]}, token=token)
        assert denied.status_code == 403, denied.text

    not_shipped = post_return(fresh, {"salesorder_id": waiting["salesorder_id"]})
    assert not_shipped.status_code == 409, not_shipped.text

    assert sim_state(fresh.shiprocket_url)["returns"] == []


def test_an_order_the_ledger_knows_but_never_shipped_is_a_conflict(fresh: LocalStack) -> None:
    so = salesorder(34, pincode=sorted(DEFAULT_UNSERVICEABLE_PINCODES)[0])
    seed(fresh, so)
    assert post_webhook(fresh, so).status_code == 202
    fresh.wait_idle(60)
    assert not custom_fields(zoho_order(fresh, so["salesorder_id"])).get("cf_awb_number")

    refused = post_return(fresh, {"salesorder_number": so["salesorder_number"]})

    assert refused.status_code == 409, refused.text
    assert refused.json()["field"] == "salesorder_number"
    assert sim_state(fresh.shiprocket_url)["returns"] == []
