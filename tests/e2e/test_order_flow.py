"""order-confirmed end to end: the real webhook route on the runner, the queue worker, moto,
and the Shiprocket and Zoho simulators. Each test starts from a fresh stack."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import requests

from local.sim.shiprocket import (
    DEFAULT_API_EMAIL,
    DEFAULT_API_PASSWORD,
    DEFAULT_COURIERS,
    DEFAULT_UNSERVICEABLE_PINCODES,
)
from local.stack import LocalStack

pytestmark = pytest.mark.e2e

ITEM_ID = "1947583000000045021"


def salesorder(
    number: int,
    *,
    city: str = "Bengaluru",
    pincode: str = "560038",
    phone: str = "+91 98450 12345",
    payment: str = "COD",
    total: float = 1341.76,
) -> dict[str, Any]:
    so_id = f"19475830000001{number:05d}"
    return {
        "salesorder_id": so_id,
        "salesorder_number": f"SO-{number:05d}",
        "date": "2025-01-11",
        "customer_id": "1947583000000098011",
        "customer_name": "Ananya Iyer",
        "contact_person_details": [{"contact_person_id": "1947583000000098013", "email": "ananya@example.in"}],
        "status": "confirmed",
        "order_status": "confirmed",
        "shipping_address": {
            "attention": "Ananya Iyer",
            "address": "No. 14, 3rd Cross, Indiranagar",
            "city": city,
            "state": "Karnataka",
            "zip": pincode,
            "country": "India",
            "phone": phone,
        },
        "billing_address": {
            "attention": "Ananya Iyer",
            "address": "No. 14, 3rd Cross, Indiranagar",
            "city": city,
            "state": "Karnataka",
            "zip": pincode,
            "country": "India",
            "phone": phone,
        },
        "line_items": [
            {
                "line_item_id": f"{so_id[:-2]}91",
                "item_id": ITEM_ID,
                "sku": "TEE-BLK-M",
                "name": "Cotton Tee Black M",
                "rate": 599.0,
                "quantity": 2,
                "tax_percentage": 12,
                "tax_id": "1947583000000012345",
                "tax_name": "GST12",
                "item_total": 1198.0,
                "hsn_or_sac": "61091000",
            }
        ],
        "sub_total": 1198.0,
        "total": total,
        "custom_fields": [{"api_name": "cf_payment_method", "label": "Payment Method", "value": payment}],
    }


ITEM = {
    "item_id": ITEM_ID,
    "name": "Cotton Tee Black M",
    "sku": "TEE-BLK-M",
    "rate": 599.0,
    "hsn_or_sac": "61091000",
    "product_type": "goods",
    "stock_on_hand": 50,
    "package_details": {
        "length": 30,
        "width": 25,
        "height": 3,
        "weight": 250,
        "weight_unit": "g",
        "dimension_unit": "cm",
    },
}


def seed(stack: LocalStack, *orders: dict[str, Any]) -> None:
    response = requests.post(
        f"{stack.zoho_url}/_sim/seed", json={"salesorders": list(orders), "items": [ITEM]}, timeout=10
    )
    response.raise_for_status()


def post_webhook(stack: LocalStack, so: dict[str, Any], *, as_form: bool = False) -> requests.Response:
    body = {"salesorder": {k: so[k] for k in ("salesorder_id", "salesorder_number", "order_status")}}
    headers = {"x-api-key": stack.tokens["zoho_webhook"]}
    if as_form:
        return requests.post(
            f"{stack.api_url}/webhooks/zoho/salesorders",
            data={"JSONString": json.dumps(body)},
            headers=headers,
            timeout=10,
        )
    return requests.post(f"{stack.api_url}/webhooks/zoho/salesorders", json=body, headers=headers, timeout=10)


def sim_state(url: str) -> dict[str, Any]:
    return dict(requests.get(f"{url}/_sim/state", timeout=10).json())


def zoho_order(stack: LocalStack, so_id: str) -> dict[str, Any]:
    return next(so for so in sim_state(stack.zoho_url)["salesorders"] if so["salesorder_id"] == so_id)


def custom_fields(so: dict[str, Any]) -> dict[str, Any]:
    return {f["api_name"]: f.get("value") for f in so["custom_fields"] if f.get("api_name")}


def faults(url: str, *rules: dict[str, Any]) -> None:
    requests.post(f"{url}/_sim/faults", json={"rules": list(rules)}, timeout=10).raise_for_status()


def refuse(stack: LocalStack, courier_ids: list[int]) -> None:
    couriers = [
        {"courier_company_id": cid, "refuse_awb": f"courier {cid} is not accepting shipments"} for cid in courier_ids
    ]
    requests.post(f"{stack.shiprocket_url}/_sim/seed", json={"couriers": couriers}, timeout=10).raise_for_status()


def provider_calls(state: dict[str, Any]) -> int:
    return sum(n for endpoint, n in state["calls"].items() if "/auth/" not in endpoint and "/oauth/" not in endpoint)


def test_confirmed_order_ships_and_is_written_back(fresh: LocalStack) -> None:
    so = salesorder(1)
    seed(fresh, so)

    response = post_webhook(fresh, so)
    assert response.status_code == 202
    fresh.wait_idle(30)

    shiprocket = sim_state(fresh.shiprocket_url)
    [order] = shiprocket["orders"]
    assert order["order_id"] == "SO-00001"
    assert order["awb_code"]
    assert order["request"]["payment_method"] == "COD"
    assert order["request"]["billing_phone"] == "9845012345"
    assert provider_calls(shiprocket) <= 2

    zoho = sim_state(fresh.zoho_url)
    fields = custom_fields(zoho_order(fresh, so["salesorder_id"]))
    assert fields["cf_awb_number"] == order["awb_code"]
    assert fields["cf_shiprocket_order_id"] == str(order["sr_order_id"])
    assert fields["cf_shipment_status"] == "Pickup Scheduled"
    assert fields["cf_courier_partner"] == order["courier_name"]
    [shipment] = zoho["shipmentorders"]
    assert shipment["tracking_number"] == order["awb_code"]
    assert len(zoho["packages"]) == 1
    assert not any(endpoint == "GET /inventory/v1/salesorders" for endpoint in zoho["calls"])  # no search/list
    assert fresh.queue_depths()["OrderDLQ"] == 0


def test_duplicate_and_concurrent_confirmations_make_one_shipment(fresh: LocalStack) -> None:
    so = salesorder(2)
    seed(fresh, so)

    threads = [
        threading.Thread(target=post_webhook, args=(fresh, so), kwargs={"as_form": i % 2 == 1}) for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fresh.wait_idle(60)
    post_webhook(fresh, so)  # and once more, after it shipped
    fresh.wait_idle(30)

    shiprocket = sim_state(fresh.shiprocket_url)
    assert [o["order_id"] for o in shiprocket["orders"]] == ["SO-00002"]
    zoho = sim_state(fresh.zoho_url)
    assert len(zoho["packages"]) == 1
    assert len(zoho["shipmentorders"]) == 1
    assert fresh.queue_depths()["OrderDLQ"] == 0


def test_refused_courier_then_outage_continues_from_the_ledger(fresh: LocalStack) -> None:
    so = salesorder(3)
    seed(fresh, so)
    keep = next(c["courier_company_id"] for c in DEFAULT_COURIERS if "dtdc" in c["courier_name"].lower())
    refuse(fresh, [c["courier_company_id"] for c in DEFAULT_COURIERS if c["courier_company_id"] != keep])
    faults(
        fresh.shiprocket_url,
        {"endpoint": "POST /courier/assign/awb", "status": 503, "body": {"message": "down"}, "times": 1},
    )

    post_webhook(fresh, so)
    fresh.wait_idle(60)

    shiprocket = sim_state(fresh.shiprocket_url)
    [order] = shiprocket["orders"]
    assert order["courier_company_id"] == keep
    assert shiprocket["calls"]["POST /shipments/create/forward-shipment"] == 1  # never created twice
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_awb_number"] == order["awb_code"]


def test_blank_item_dimensions_ship_on_the_default_weight(fresh: LocalStack) -> None:
    # Issue 9, gap 1: an item whose dimensions nobody filled in arrives as "" from Zoho.
    so = salesorder(11)
    # An item of its own: the workers keep items cached for 15 minutes, across the tests of one stack.
    item_id = "1947583000000045099"
    so["line_items"][0]["item_id"] = item_id
    blank = {"length": "", "width": "", "height": "", "weight": "", "weight_unit": "kg", "dimension_unit": "cm"}
    requests.post(
        f"{fresh.zoho_url}/_sim/seed",
        json={"salesorders": [so], "items": [{**ITEM, "item_id": item_id, "package_details": blank}]},
        timeout=10,
    ).raise_for_status()

    assert post_webhook(fresh, so).status_code == 202
    fresh.wait_idle(30)

    [order] = sim_state(fresh.shiprocket_url)["orders"]
    # Two units at the 0.5 kg default, two 10 cm default cubes stacked.
    assert order["request"]["weight"] == 1.0
    assert [order["request"][side] for side in ("length", "breadth", "height")] == [10.0, 10.0, 20.0]
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_awb_number"] == order["awb_code"]
    assert fresh.queue_depths()["OrderDLQ"] == 0


def test_a_pickup_whose_answer_was_lost_completes_with_one_pickup_and_one_label(fresh: LocalStack) -> None:
    # Issue 9, gap 2: the retry is answered "already" (400 or 500), which completes the step.
    so = salesorder(12)
    seed(fresh, so)
    keep = next(c["courier_company_id"] for c in DEFAULT_COURIERS if "dtdc" in c["courier_name"].lower())
    refuse(fresh, [c["courier_company_id"] for c in DEFAULT_COURIERS if c["courier_company_id"] != keep])
    faults(fresh.shiprocket_url, {"endpoint": "POST /courier/generate/pickup", "lose_answer": True, "times": 1})

    post_webhook(fresh, so)
    fresh.wait_idle(60)

    shiprocket = sim_state(fresh.shiprocket_url)
    [order] = shiprocket["orders"]
    assert shiprocket["calls"]["POST /courier/generate/pickup"] == 2  # the lost one, then the retry
    assert len(shiprocket["pickups"]) == 1
    assert len(shiprocket["labels"]) == 1
    fields = custom_fields(zoho_order(fresh, so["salesorder_id"]))
    assert (fields["cf_awb_number"], fields["cf_shipment_status"]) == (order["awb_code"], "Pickup Scheduled")
    assert not [a for a in fresh.alerts() if "SO-00012" in (a["subject"] or "")]
    assert fresh.queue_depths()["OrderDLQ"] == 0


def shiprocket_session(stack: LocalStack) -> tuple[str, dict[str, str]]:
    """The simulator's API base and a logged-in header, as a seller's own script (or the panel) would have."""
    base = f"{stack.shiprocket_url}/v1/external"
    token = requests.post(
        f"{base}/auth/login", json={"email": DEFAULT_API_EMAIL, "password": DEFAULT_API_PASSWORD}, timeout=10
    ).json()["token"]
    return base, {"Authorization": f"Bearer {token}"}


def panel_order(stack: LocalStack, order_id: str) -> dict[str, Any]:
    """A Shiprocket order made outside shipsync, under ``order_id``."""
    base, auth = shiprocket_session(stack)
    answer: dict[str, Any] = requests.post(
        f"{base}/orders/create/adhoc",
        headers=auth,
        timeout=10,
        json={
            "order_id": order_id,
            "order_date": "2025-01-10",
            "pickup_location": "Primary",
            "billing_customer_name": "Old",
            "billing_last_name": "",
            "billing_address": "12 MG Road",
            "billing_city": "Pune",
            "billing_pincode": "411001",
            "billing_state": "Maharashtra",
            "billing_country": "India",
            "billing_email": "old@example.in",
            "billing_phone": "9845012345",
            "shipping_is_billing": True,
            "order_items": [{"name": "Tee", "sku": "TEE", "units": 1, "selling_price": 100}],
            "payment_method": "Prepaid",
            "sub_total": 100,
            "length": 10,
            "breadth": 10,
            "height": 10,
            "weight": 0.5,
        },
    ).json()
    return answer


def test_cancelled_shiprocket_order_is_recreated_under_a_suffix(fresh: LocalStack) -> None:
    so = salesorder(4)
    seed(fresh, so)
    old = panel_order(fresh, "SO-00004")
    base, auth = shiprocket_session(fresh)
    requests.post(f"{base}/orders/cancel", headers=auth, json={"ids": [old["order_id"]]}, timeout=10).raise_for_status()

    post_webhook(fresh, so)
    fresh.wait_idle(60)

    orders = {o["order_id"]: o for o in sim_state(fresh.shiprocket_url)["orders"]}
    assert set(orders) == {"SO-00004", "SO-00004-R1"}
    assert orders["SO-00004-R1"]["awb_code"]
    fields = custom_fields(zoho_order(fresh, so["salesorder_id"]))
    assert fields["cf_shiprocket_order_id"] == str(orders["SO-00004-R1"]["sr_order_id"])


def test_token_rejected_mid_flow_is_refreshed_once_and_the_order_ships(fresh: LocalStack) -> None:
    so = salesorder(5)
    seed(fresh, so)
    logins_before = sim_state(fresh.shiprocket_url)["calls"].get("POST /auth/login", 0)
    requests.post(f"{fresh.shiprocket_url}/_sim/expire-tokens", timeout=10).raise_for_status()

    post_webhook(fresh, so)
    fresh.wait_idle(60)

    shiprocket = sim_state(fresh.shiprocket_url)
    assert shiprocket["calls"]["POST /auth/login"] == logins_before + 1
    [order] = shiprocket["orders"]
    assert order["awb_code"]
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_awb_number"] == order["awb_code"]
    assert fresh.queue_depths()["OrderDLQ"] == 0


def test_unserviceable_pincode_is_marked_and_paged(fresh: LocalStack) -> None:
    pincode = sorted(DEFAULT_UNSERVICEABLE_PINCODES)[0]
    so = salesorder(6, city="Port Blair", pincode=pincode)
    seed(fresh, so)

    post_webhook(fresh, so)
    fresh.wait_idle(30)

    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Serviceability Failed"
    assert sim_state(fresh.shiprocket_url)["orders"] == []
    [alert] = [a for a in fresh.alerts() if "SO-00006" in (a["subject"] or "")]
    assert json.loads(alert["message"])["kind"] == "ServiceabilityFailed"


def test_every_courier_refusing_marks_awb_failed_naming_each(fresh: LocalStack) -> None:
    so = salesorder(7)
    seed(fresh, so)
    refuse(fresh, [c["courier_company_id"] for c in DEFAULT_COURIERS])

    post_webhook(fresh, so)
    fresh.wait_idle(60)

    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "AWB Failed"
    [alert] = [a for a in fresh.alerts() if "SO-00007" in (a["subject"] or "")]
    message = json.loads(alert["message"])
    assert message["kind"] == "AwbFailed"
    assert message["message"].count("is not accepting shipments") >= 2
    assert len(sim_state(fresh.shiprocket_url)["orders"]) == 1


def test_invalid_phone_is_marked_and_paged_without_shiprocket_calls(fresh: LocalStack) -> None:
    so = salesorder(8, phone="12345")
    so["contact_person_details"] = []
    seed(fresh, so)

    post_webhook(fresh, so)
    fresh.wait_idle(30)

    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Invalid Order"
    assert provider_calls(sim_state(fresh.shiprocket_url)) == 0
    [alert] = [a for a in fresh.alerts() if "SO-00008" in (a["subject"] or "")]
    assert "phone" in json.loads(alert["message"])["message"]


def test_zoho_rate_limit_is_retried_not_lost(fresh: LocalStack) -> None:
    so = salesorder(9)
    seed(fresh, so)
    body = {
        "code": 44,
        "message": "For security reasons your organization has been blocked as it have exceeded "
        "the maximum number of requests per minute that can originate from an organization.",
    }
    faults(fresh.zoho_url, {"endpoint": "GET /inventory/v1/salesorders/{id}", "status": 429, "body": body, "times": 2})

    post_webhook(fresh, so)
    fresh.wait_idle(60)

    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Pickup Scheduled"
    assert fresh.queue_depths()["OrderDLQ"] == 0


def test_wrong_key_is_401_through_the_runner(fresh: LocalStack) -> None:
    so = salesorder(10)
    response = requests.post(
        f"{fresh.api_url}/webhooks/zoho/salesorders", json={"salesorder": so}, headers={"x-api-key": "nope"}, timeout=10
    )
    assert response.status_code == 401
    assert fresh.queue_depths()["OrderQueue"] == 0


def test_a_webhook_with_the_whole_order_ships_without_reading_it_again(fresh: LocalStack) -> None:
    so = salesorder(181)
    so |= {"packages": [], "last_modified_time": "2025-01-11T10:16:03+0530"}
    so["line_items"] = [line | {"quantity_packed": 0} for line in so["line_items"]]
    seed(fresh, so)

    # A workflow's default payload: the whole order, not the few fields post_webhook sends.
    answer = requests.post(
        f"{fresh.api_url}/webhooks/zoho/salesorders",
        json={"salesorder": so},
        headers={"x-api-key": fresh.tokens["zoho_webhook"]},
        timeout=10,
    )
    assert answer.status_code == 202
    fresh.wait_idle(60)

    zoho = sim_state(fresh.zoho_url)
    assert zoho["calls"].get("GET /inventory/v1/salesorders/{salesorder_id}", 0) == 0
    [order] = [o for o in sim_state(fresh.shiprocket_url)["orders"] if o["order_id"] == "SO-00181"]
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_awb_number"] == order["awb_code"]
    assert [p["salesorder_number"] for p in zoho["packages"]] == ["SO-00181"]
