"""Contract tests for the Zoho simulator: the behaviours of docs/providers/zoho.md over real HTTP.

The published examples themselves are held by test_published_zoho_sim.py.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from local.sim.base import SimServer
from local.sim.zoho import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORGANIZATION_ID,
    DEFAULT_REFRESH_TOKEN,
    STATE_KEYS,
    ZohoSim,
)
from tests.fixtures.reference import zoho_item_a, zoho_salesorder_a

SO_ID = "1947583000000123001"
LINE_ID = "1947583000000123005"
ITEM_ID = "1947583000000045021"

# Reference §13 fixture A (the salesorder object) and the item its line sells.
FIXTURE_A = zoho_salesorder_a()
ITEM = zoho_item_a(available_stock=40)

ORG = {"organization_id": DEFAULT_ORGANIZATION_ID}


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Zoho:
    url: str
    sim: ZohoSim
    clock: FakeClock

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(f"{self.url}/_sim/seed", json=payload, timeout=5)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = requests.get(f"{self.url}/_sim/state", timeout=5).json()
        return result

    def mint(self, **overrides: str) -> requests.Response:
        params = {
            "refresh_token": DEFAULT_REFRESH_TOKEN,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "grant_type": "refresh_token",
            **overrides,
        }
        return requests.post(f"{self.url}/oauth/v2/token", params=params, timeout=5)

    def token(self) -> str:
        token: str = self.mint().json()["access_token"]
        return token

    def call(
        self, method: str, path: str, token: str, params: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = {"Authorization": f"Zoho-oauthtoken {token}", **kwargs.pop("headers", {})}
        query = {**ORG, **(params or {})}
        return requests.request(method, f"{self.url}{path}", params=query, headers=headers, timeout=5, **kwargs)


@pytest.fixture
def zoho(zoho_server: SimServer) -> Zoho:
    requests.post(f"{zoho_server.url}/_sim/reset", timeout=5).raise_for_status()
    clock = FakeClock()
    sim = zoho_server.app
    assert isinstance(sim, ZohoSim)
    sim.clock = clock
    return Zoho(zoho_server.url, sim, clock)


@pytest.fixture
def seeded(zoho: Zoho) -> Zoho:
    zoho.seed({"salesorders": [copy.deepcopy(FIXTURE_A)], "items": [ITEM]})
    return zoho


def package(zoho: Zoho, token: str, quantity: int = 2, **params: str) -> requests.Response:
    body = {"date": "2024-06-02", "line_items": [{"so_line_item_id": LINE_ID, "quantity": quantity}]}
    return zoho.call("POST", "/inventory/v1/packages", token, {"salesorder_id": SO_ID, **params}, json=body)


def ship(zoho: Zoho, token: str, package_id: str, number: str = "SH-0001") -> requests.Response:
    body = {
        "shipment_number": number,
        "date": "2024-06-02",
        "delivery_method": "Delhivery Surface",
        "tracking_number": "19041234567890",
        "tracking_link": "https://track.example/19041234567890",
    }
    params = {"salesorder_id": SO_ID, "package_ids": package_id}
    return zoho.call("POST", "/inventory/v1/shipmentorders", token, params, json=body)


# ---------------------------------------------------------------------------- OAuth


def test_token_minted_from_query_string_and_from_form_body(zoho: Zoho) -> None:
    by_query = zoho.mint()
    form = {
        "refresh_token": DEFAULT_REFRESH_TOKEN,
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "grant_type": "refresh_token",
    }
    by_form = requests.post(f"{zoho.url}/oauth/v2/token", data=form, timeout=5)

    for response in (by_query, by_form):
        assert response.status_code == 200
        body = response.json()
        assert body["access_token"].startswith("1000.")
        assert body["api_domain"] == zoho.url
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 3600
    assert by_query.json()["access_token"] != by_form.json()["access_token"]
    state = zoho.state()
    assert (state["token_mints"], state["tokens_live"]) == (2, 2)
    assert by_query.json()["access_token"] not in str(state)


def test_eleventh_token_request_in_ten_minutes_is_throttled(zoho: Zoho) -> None:
    tokens = [zoho.token() for _ in range(10)]

    throttled = zoho.mint()

    assert throttled.status_code == 400
    assert throttled.json() == {
        "error_description": "You have made too many requests continuously. Please try again after some time.",
        "error": "Access Denied",
        "status": "failure",
    }
    assert zoho.state()["token_mints"] == 10
    # Throttled requests count too: retrying through the block keeps the integration locked out.
    zoho.clock.now += 300
    assert {zoho.mint().status_code for _ in range(10)} == {400}
    zoho.clock.now += 301
    assert zoho.mint().status_code == 400
    zoho.clock.now += 300
    fresh = zoho.mint()
    assert fresh.status_code == 200
    # Only 10 live tokens per refresh token: the 11th evicts the oldest.
    assert zoho.call("GET", "/inventory/v1/organizations", tokens[0]).json()["code"] == 57
    assert zoho.call("GET", "/inventory/v1/organizations", tokens[1]).status_code == 200
    assert zoho.state()["tokens_live"] == 10


def test_token_failures_come_inside_http_200(zoho: Zoho) -> None:
    zoho.seed({"oauth_clients": [{"client_id": "1000.OTHER", "client_secret": "s2", "refresh_token": "1000.r2"}]})

    cases = {
        "invalid_code": {"refresh_token": "1000.revoked"},
        "invalid_client": {"client_id": "1000.NOPE"},
        "invalid_client_secret": {"client_secret": "wrong"},
    }
    for error, overrides in cases.items():
        response = zoho.mint(**overrides)
        assert (response.status_code, response.json()) == (200, {"error": error})
    other = zoho.mint(client_id="1000.OTHER", client_secret="s2", refresh_token="1000.r2")
    assert "access_token" in other.json()
    assert zoho.mint(client_id="1000.OTHER", client_secret="s2").json() == {"error": "invalid_code"}
    assert zoho.state()["token_mints"] == 1


# ---------------------------------------------------------------------------- auth and org


def test_missing_unknown_or_expired_token_is_401_code_57(zoho: Zoho) -> None:
    no_header = requests.get(f"{zoho.url}/inventory/v1/salesorders/{SO_ID}", params=ORG, timeout=5)
    unknown = zoho.call("GET", f"/inventory/v1/salesorders/{SO_ID}", "1000.not-a-token")
    zoho.seed({"token_ttl_s": 60})
    short_lived = zoho.token()
    zoho.clock.now += 61
    expired = zoho.call("GET", f"/inventory/v1/salesorders/{SO_ID}", short_lived)

    for response in (no_header, unknown, expired):
        assert response.status_code == 401
        assert response.json() == {"code": 57, "message": "You are not authorized to perform this operation"}


def test_the_token_check_takes_a_live_token_and_not_an_expired_one(zoho: Zoho) -> None:
    from shipsync.clients.auth import zoho_token_accepted

    zoho.seed({"token_ttl_s": 60})
    token = zoho.token()
    assert zoho_token_accepted(zoho.url, token) is True
    zoho.clock.now += 61
    assert zoho_token_accepted(zoho.url, token) is False
    assert zoho_token_accepted(zoho.url, "1000.not-a-token") is False


def test_malformed_authorization_header_is_401_code_14(zoho: Zoho) -> None:
    token = zoho.token()
    for header in (f"Basic {token}", token, "Zoho-oauthtoken"):
        response = requests.get(f"{zoho.url}/inventory/v1/organizations", headers={"Authorization": header}, timeout=5)
        assert response.status_code == 401
        assert response.json()["code"] == 14


def test_bearer_scheme_is_accepted_too(seeded: Zoho) -> None:
    headers = {"Authorization": f"Bearer {seeded.token()}"}
    response = requests.get(f"{seeded.url}/inventory/v1/salesorders/{SO_ID}", params=ORG, headers=headers, timeout=5)
    assert response.status_code == 200


def test_wrong_or_missing_organization_is_6041(seeded: Zoho) -> None:
    token = seeded.token()
    wrong = seeded.call("GET", f"/inventory/v1/salesorders/{SO_ID}", token, {"organization_id": "999"})
    missing = requests.get(
        f"{seeded.url}/inventory/v1/salesorders/{SO_ID}",
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
        timeout=5,
    )

    assert wrong.status_code == 400
    assert wrong.json() == {
        "code": 6041,
        "message": "This user is not associated with the CompanyID/CompanyName:999.",
    }
    assert (missing.status_code, missing.json()["code"]) == (400, 6041)


def test_organizations_lists_the_org_without_organization_id(zoho: Zoho) -> None:
    headers = {"Authorization": f"Zoho-oauthtoken {zoho.token()}"}
    for root in ("/inventory/v1", "/books/v3"):
        body = requests.get(f"{zoho.url}{root}/organizations", headers=headers, timeout=5).json()
        assert body["code"] == 0
        assert [org["organization_id"] for org in body["organizations"]] == [DEFAULT_ORGANIZATION_ID]


# ---------------------------------------------------------------------------- sales orders and items


def test_get_salesorder_has_fixture_a_shape_and_rate_limit_headers(seeded: Zoho) -> None:
    response = seeded.call("GET", f"/inventory/v1/salesorders/{SO_ID}", seeded.token())

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["message"]) == (0, "success")
    order = body["salesorder"]
    assert set(FIXTURE_A) <= set(order)
    assert order["line_items"][0]["quantity_packed"] == 0
    assert order["custom_field_hash"] == {"cf_payment_method": "COD", "cf_awb_number": ""}
    assert order["shipping_address"]["zip"] == "560038"
    assert response.headers["X-Rate-Limit-Limit"] == "10000"
    assert response.headers["X-Rate-Limit-Remaining"] == "9999"
    assert 0 < int(response.headers["X-Rate-Limit-Reset"]) <= 86400


def test_unknown_salesorder_is_404_in_the_envelope(seeded: Zoho) -> None:
    response = seeded.call("GET", "/inventory/v1/salesorders/1947583000000999999", seeded.token())
    assert response.status_code == 404
    assert response.json() == {"code": 1002, "message": "Sales Order does not exist."}


def test_seeded_salesorder_gets_defaults(zoho: Zoho) -> None:
    seeded = zoho.seed(
        {"salesorders": [{"salesorder_number": "SO-9", "line_items": [{"name": "Mug", "rate": 250, "quantity": 3}]}]}
    )
    (so_id,) = seeded["seeded"]["salesorders"]
    assert len(so_id) == 19
    order = zoho.call("GET", f"/inventory/v1/salesorders/{so_id}", zoho.token()).json()["salesorder"]
    line = order["line_items"][0]
    assert (line["quantity_packed"], line["quantity_shipped"], line["item_total"]) == (0, 0, 750.0)
    assert (order["order_status"], order["shipped_status"], order["packages"]) == ("confirmed", "pending", [])
    assert order["total"] == 750.0


def test_put_custom_fields_by_api_name_as_json_and_as_jsonstring_form(seeded: Zoho) -> None:
    token = seeded.token()
    path = f"/inventory/v1/salesorders/{SO_ID}"

    as_json = seeded.call(
        "PUT",
        path,
        token,
        json={"custom_fields": [{"api_name": "cf_awb_number", "value": "19041234567890"}], "notes": "packed"},
    )
    as_form = seeded.call(
        "PUT",
        path,
        token,
        data={"JSONString": '{"custom_fields": [{"api_name": "cf_shipment_status", "value": "AWB Assigned"}]}'},
    )

    assert as_json.status_code == 200
    # As update-a-sales-order-response: the order under ``sales_order`` (GET says ``salesorder``).
    assert (as_json.json()["code"], as_json.json()["message"]) == (0, "Sales Order has been updated.")
    assert "salesorder" not in as_json.json()
    assert as_json.json()["sales_order"]["custom_field_hash"]["cf_awb_number"] == "19041234567890"
    assert as_form.status_code == 200
    order = seeded.call("GET", path, token).json()["salesorder"]
    assert order["custom_field_hash"] == {
        "cf_payment_method": "COD",
        "cf_awb_number": "19041234567890",
        "cf_shipment_status": "AWB Assigned",
    }
    awb = next(field for field in order["custom_fields"] if field["api_name"] == "cf_awb_number")
    assert (awb["customfield_id"], awb["value"]) == ("1947583000000077003", "19041234567890")
    assert order["notes"] == "packed"


def test_put_custom_fields_by_customfield_id_and_label(seeded: Zoho) -> None:
    token = seeded.token()
    path = f"/inventory/v1/salesorders/{SO_ID}"
    fields = [
        {"customfield_id": "1947583000000077003", "value": "AWB-1"},
        {"label": "Payment Method", "value": "Prepaid"},
    ]
    response = seeded.call("PUT", path, token, json={"custom_fields": fields})
    assert response.json()["sales_order"]["custom_field_hash"] == {
        "cf_payment_method": "Prepaid",
        "cf_awb_number": "AWB-1",
    }
    unknown = seeded.call("PUT", path, token, json={"custom_fields": [{"customfield_id": "123", "value": "x"}]})
    assert (unknown.status_code, unknown.json()["code"]) == (400, 2)


def test_plain_form_and_malformed_json_are_1038(seeded: Zoho) -> None:
    token = seeded.token()
    path = f"/inventory/v1/salesorders/{SO_ID}"
    plain = seeded.call("PUT", path, token, data={"notes": "x"})
    broken = seeded.call("PUT", path, token, data=b"{not json", headers={"Content-Type": "application/json"})
    for response in (plain, broken):
        assert response.status_code == 400
        assert response.json()["code"] == 1038


def test_list_calls_are_counted_and_paginated(seeded: Zoho) -> None:
    token = seeded.token()
    listed = seeded.call("GET", "/inventory/v1/salesorders", token, {"per_page": "1"}).json()
    items = seeded.call("GET", "/inventory/v1/items", token).json()

    assert [row["salesorder_id"] for row in listed["salesorders"]] == [SO_ID]
    assert listed["salesorders"][0]["cf_payment_method"] == "COD"
    assert listed["page_context"]["has_more_page"] is False
    assert [item["item_id"] for item in items["items"]] == [ITEM_ID]
    calls = seeded.state()["calls"]
    assert calls["GET /inventory/v1/salesorders"] == 1
    assert calls["GET /inventory/v1/items"] == 1
    assert calls["POST /oauth/v2/token"] == 1


def test_get_item(seeded: Zoho) -> None:
    body = seeded.call("GET", f"/inventory/v1/items/{ITEM_ID}", seeded.token()).json()
    item = body["item"]
    assert body["code"] == 0
    assert (item["sku"], item["stock_on_hand"], item["product_type"]) == ("TEE-BLK-M", 40, "goods")
    assert item["package_details"] == {
        "length": 30,
        "width": 25,
        "height": 3,
        "weight": 0.25,
        "weight_unit": "kg",
        "dimension_unit": "cm",
    }


def test_unset_package_details_are_empty_strings_on_items_and_order_lines(zoho: Zoho) -> None:
    # Live Zoho answers "" for a dimension nobody filled in, never null (issue 9, gap 1).
    zoho.seed({"salesorders": [copy.deepcopy(FIXTURE_A)], "items": [zoho_item_a(package_details={"weight": 0.25})]})
    token = zoho.token()

    item = zoho.call("GET", f"/inventory/v1/items/{ITEM_ID}", token).json()["item"]
    order = zoho.call("GET", f"/inventory/v1/salesorders/{SO_ID}", token).json()["salesorder"]

    blank = {"length": "", "width": "", "height": ""}
    assert item["package_details"] == {**blank, "weight": 0.25, "weight_unit": "kg", "dimension_unit": "cm"}
    assert order["line_items"][0]["package_details"] == {
        **blank,
        "weight": "",
        "weight_unit": "kg",
        "dimension_unit": "cm",
    }
    assert order["paid_status"] == "unpaid"


# ---------------------------------------------------------------------------- packages and shipments


def test_package_takes_salesorder_id_from_the_query(seeded: Zoho) -> None:
    token = seeded.token()
    created = package(seeded, token, quantity=1)

    assert created.status_code == 201
    body = created.json()
    assert body["message"] == "Package created successfully. It's now time to ship!"
    # The spec's answer holds the package in a one-element array (issue 9, gap 8).
    [created_package] = body["package"]
    assert created_package["salesorder_id"] == SO_ID
    assert created_package["status"] == "not_shipped"
    assert created_package["line_items"][0]["so_line_item_id"] == LINE_ID
    order = seeded.call("GET", f"/inventory/v1/salesorders/{SO_ID}", token).json()["salesorder"]
    assert order["line_items"][0]["quantity_packed"] == 1
    assert order["packages"][0]["package_id"] == created_package["package_id"]
    assert order["shipped_status"] == "pending"

    in_body = seeded.call(
        "POST",
        "/inventory/v1/packages",
        token,
        json={
            "salesorder_id": SO_ID,
            "date": "2024-06-02",
            "line_items": [{"so_line_item_id": LINE_ID, "quantity": 1}],
        },
    )
    assert in_body.status_code == 400
    assert in_body.json() == {"code": 2, "message": "Invalid value passed for salesorder_id"}


def test_package_cannot_exceed_unpacked_quantity(seeded: Zoho) -> None:
    token = seeded.token()
    assert package(seeded, token, quantity=2).status_code == 201
    again = package(seeded, token, quantity=1)
    assert again.status_code == 400
    assert again.json()["code"] != 0
    assert len(seeded.state()["packages"]) == 1


def test_manual_package_number_needs_the_flag_and_is_unique(seeded: Zoho) -> None:
    token = seeded.token()
    body = {
        "date": "2024-06-02",
        "package_number": "PK-SO-01042",
        "line_items": [{"so_line_item_id": LINE_ID, "quantity": 1}],
    }
    path = "/inventory/v1/packages"
    no_flag = seeded.call("POST", path, token, {"salesorder_id": SO_ID}, json=body)
    params = {"salesorder_id": SO_ID, "ignore_auto_number_generation": "true"}
    first = seeded.call("POST", path, token, params, json=body)
    duplicate = seeded.call("POST", path, token, params, json=body)

    assert (no_flag.status_code, no_flag.json()["code"]) == (400, 2)
    assert first.json()["package"][0]["package_number"] == "PK-SO-01042"
    assert (duplicate.status_code, duplicate.json()["code"]) == (400, 1001)


def test_shipment_order_ships_packages_and_moves_stock(seeded: Zoho) -> None:
    token = seeded.token()
    package_id = package(seeded, token).json()["package"][0]["package_id"]
    item_before = seeded.call("GET", f"/inventory/v1/items/{ITEM_ID}", token).json()["item"]
    assert item_before["stock_on_hand"] == 40  # packing alone does not move physical stock

    created = ship(seeded, token, package_id)

    assert created.status_code == 201
    body = created.json()
    assert body["message"] == "Shipment created successfully."
    shipment = body["shipment_order"]
    assert shipment["status"] == "shipped"
    assert shipment["carrier"] == shipment["delivery_method"] == "Delhivery Surface"
    assert shipment["tracking_number"] == "19041234567890"
    assert shipment["package_ids"] == [package_id]
    item_after = seeded.call("GET", f"/inventory/v1/items/{ITEM_ID}", token).json()["item"]
    assert item_after["stock_on_hand"] == 38
    order = seeded.call("GET", f"/inventory/v1/salesorders/{SO_ID}", token).json()["salesorder"]
    assert order["shipped_status"] == "shipped"
    assert order["line_items"][0]["quantity_shipped"] == 2
    (ref,) = order["packages"]
    assert ref["package_id"] == package_id
    assert ref["status"] == "shipped"
    assert ref["shipment_id"] == shipment["shipment_id"]
    assert ref["shipment_number"] == "SH-0001"
    assert ref["carrier"] == "Delhivery Surface"
    assert ref["tracking_number"] == "19041234567890"

    again = ship(seeded, token, package_id, number="SH-0002")
    assert again.status_code == 400
    assert again.json()["code"] != 0
    assert len(seeded.state()["shipmentorders"]) == 1


def test_partial_shipment_marks_the_order_partially_shipped(seeded: Zoho) -> None:
    token = seeded.token()
    package_id = package(seeded, token, quantity=1).json()["package"][0]["package_id"]
    assert ship(seeded, token, package_id).status_code == 201
    order = seeded.state()["salesorders"][0]
    assert order["shipped_status"] == "partially_shipped"


def test_shipment_order_requires_its_fields_and_something_to_ship(seeded: Zoho) -> None:
    token = seeded.token()
    package_id = package(seeded, token).json()["package"][0]["package_id"]
    body = {"shipment_number": "SH-1", "date": "2024-06-02", "delivery_method": "Delhivery"}
    path = "/inventory/v1/shipmentorders"
    missing_tracking = seeded.call("POST", path, token, {"salesorder_id": SO_ID, "package_ids": package_id}, json=body)
    body["tracking_number"] = "1"
    neither = seeded.call("POST", path, token, json=body)
    unknown_package = seeded.call("POST", path, token, {"package_ids": "1947583000000999999"}, json=body)

    assert missing_tracking.status_code == 400
    assert "tracking_number" in missing_tracking.json()["message"]
    # Both query ids are optional as published; with neither there is nothing to ship (GUESS).
    for refused in (neither, unknown_package):
        assert (refused.status_code, refused.json()["message"]) == (400, "Invalid value passed for package_ids")
    assert seeded.state()["shipmentorders"] == []


def test_shipment_order_without_query_ids_ships_what_they_would_name(seeded: Zoho) -> None:
    token = seeded.token()
    path = "/inventory/v1/shipmentorders"
    body = {"shipment_number": "SH-1", "date": "2024-06-02", "delivery_method": "Delhivery", "tracking_number": "1"}
    first = package(seeded, token, quantity=1).json()["package"][0]["package_id"]

    # GUESS: without salesorder_id the order is the packages' own ...
    by_package = seeded.call("POST", path, token, {"package_ids": first}, json=body)
    second = package(seeded, token, quantity=1).json()["package"][0]["package_id"]
    # ... and without package_ids every package of the order not yet shipped goes.
    by_order = seeded.call("POST", path, token, {"salesorder_id": SO_ID}, json={**body, "shipment_number": "SH-2"})
    nothing_left = seeded.call("POST", path, token, {"salesorder_id": SO_ID}, json={**body, "shipment_number": "SH-3"})

    assert by_package.status_code == 201, by_package.text
    assert by_package.json()["shipment_order"]["salesorder_id"] == SO_ID
    assert by_package.json()["shipment_order"]["package_ids"] == [first]
    assert by_order.status_code == 201, by_order.text
    assert by_order.json()["shipment_order"]["package_ids"] == [second]
    assert (nothing_left.status_code, nothing_left.json()["code"]) == (400, 2)
    assert seeded.state()["salesorders"][0]["line_items"][0]["quantity_shipped"] == 2


def test_delivered_twice_is_37135(seeded: Zoho) -> None:
    token = seeded.token()
    package_id = package(seeded, token).json()["package"][0]["package_id"]
    shipment_id = ship(seeded, token, package_id).json()["shipment_order"]["shipment_id"]
    path = f"/inventory/v1/shipmentorders/{shipment_id}/status/delivered"

    first = seeded.call("POST", path, token, json={"delivered_date": "2024-06-03 14:05"})
    second = seeded.call("POST", path, token)

    assert first.status_code == 200
    assert first.json() == {"code": 0, "message": "The Shipment Order has been marked as Delivered."}
    assert (second.status_code, second.json()["code"]) == (400, 37135)
    state = seeded.state()
    assert state["shipmentorders"][0]["status"] == "delivered"
    assert state["shipmentorders"][0]["delivered_date"] == "2024-06-03 14:05"
    assert state["packages"][0]["status"] == "delivered"
    assert state["salesorders"][0]["shipped_status"] == "fulfilled"


# ---------------------------------------------------------------------------- invoices


def test_seeded_invoice_is_served_by_books_and_inventory_and_linked_to_its_order(seeded: Zoho) -> None:
    invoice = {"invoice_id": "1947583000000131077", "salesorder_id": SO_ID, "customer_id": "1", "total": 1341.76}
    seeded.seed({"invoices": [invoice]})
    token = seeded.token()

    for root in ("/books/v3", "/inventory/v1"):
        body = seeded.call("GET", f"{root}/invoices/1947583000000131077", token).json()
        assert (body["code"], body["invoice"]["balance"], body["invoice"]["status"]) == (0, 1341.76, "sent")
    order = seeded.call("GET", f"/inventory/v1/salesorders/{SO_ID}", token).json()["salesorder"]
    assert [ref["invoice_id"] for ref in order["invoices"]] == ["1947583000000131077"]
    missing = seeded.call("GET", "/books/v3/invoices/1", token)
    assert missing.status_code == 404
    assert missing.json() == {"code": 1002, "message": "Invoice does not exist."}


# ---------------------------------------------------------------------------- limits


def test_per_minute_limit_answers_429_code_44(seeded: Zoho) -> None:
    seeded.seed({"per_minute_limit": 3})
    token = seeded.token()
    path = f"/inventory/v1/salesorders/{SO_ID}"
    statuses = [seeded.call("GET", path, token).status_code for _ in range(3)]

    limited = seeded.call("GET", path, token)

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert limited.json()["code"] == 44
    assert limited.json()["message"].startswith("For security reasons your organization has been blocked")
    seeded.clock.now += 61
    assert seeded.call("GET", path, token).status_code == 200


def test_daily_cap_answers_429_code_45_naming_the_cap(seeded: Zoho) -> None:
    seeded.seed({"daily_cap": 2})
    token = seeded.token()
    path = f"/inventory/v1/salesorders/{SO_ID}"
    first = seeded.call("GET", path, token)
    seeded.call("GET", path, token)

    capped = seeded.call("GET", path, token)

    assert first.headers["X-Rate-Limit-Remaining"] == "1"
    assert capped.status_code == 429
    assert capped.json() == {
        "code": 45,
        "message": "The API call for this organization has exceeded the maximum call rate limit of 2.",
    }
    assert capped.headers["X-Rate-Limit-Remaining"] == "0"
    seeded.clock.now += 86400
    assert seeded.call("GET", path, seeded.token()).status_code == 200


def test_too_many_requests_in_flight_answer_429_code_1070(seeded: Zoho) -> None:
    seeded.seed({"concurrency_limit": 2})
    token = seeded.token()
    path = f"/inventory/v1/salesorders/{SO_ID}"
    endpoint = "GET /inventory/v1/salesorders/{salesorder_id}"
    requests.post(f"{seeded.url}/_sim/faults", json={"rules": [{"endpoint": endpoint, "delay_s": 1.0}]}, timeout=5)
    barrier = threading.Barrier(5)
    results: list[requests.Response] = []

    def call() -> None:
        barrier.wait()
        results.append(seeded.call("GET", path, token))

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    codes = sorted(response.json()["code"] for response in results)
    assert codes == [0, 0, 1070, 1070, 1070]
    assert seeded.state()["calls"][endpoint] == 5


def test_refused_calls_are_counted_by_reason_and_accepted_ones_timed(seeded: Zoho) -> None:
    seeded.seed({"per_minute_limit": 2, "daily_cap": 3})
    token = seeded.token()
    path = f"/inventory/v1/salesorders/{SO_ID}"
    started = seeded.clock.now
    accepted = [seeded.call("GET", path, token).status_code for _ in range(2)]
    seeded.clock.now += 1
    per_minute = [seeded.call("GET", path, token).json()["code"] for _ in range(2)]
    seeded.clock.now += 61
    third = seeded.call("GET", path, token)
    daily = seeded.call("GET", path, token)

    state = seeded.state()

    assert (accepted, per_minute, third.status_code, daily.json()["code"]) == ([200, 200], [44, 44], 200, 45)
    assert state["refused"] == {"per_minute": 2, "daily_cap": 1, "concurrency": 0}
    assert state["accepted_call_times"] == [started, started, started + 62]
    assert state["minute_calls"] == {"limit": 2, "used": 1}
    # Refused calls are in the per-endpoint count; minting a token is not an API call the limits count.
    assert state["calls"]["GET /inventory/v1/salesorders/{salesorder_id}"] == 6


def test_concurrency_refusals_are_counted_and_reset_clears_the_counts(seeded: Zoho) -> None:
    seeded.seed({"concurrency_limit": 1})
    token = seeded.token()
    path = f"/inventory/v1/salesorders/{SO_ID}"
    endpoint = "GET /inventory/v1/salesorders/{salesorder_id}"
    requests.post(f"{seeded.url}/_sim/faults", json={"rules": [{"endpoint": endpoint, "delay_s": 0.5}]}, timeout=5)
    barrier = threading.Barrier(3)
    codes: list[int] = []

    def call() -> None:
        barrier.wait()
        codes.append(seeded.call("GET", path, token).json()["code"])

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes) == [0, 1070, 1070]
    state = seeded.state()
    assert state["refused"] == {"per_minute": 0, "daily_cap": 0, "concurrency": 2}
    assert len(state["accepted_call_times"]) == 1

    requests.post(f"{seeded.url}/_sim/reset", timeout=5).raise_for_status()

    cleared = seeded.state()
    assert cleared["refused"] == {"per_minute": 0, "daily_cap": 0, "concurrency": 0}
    assert cleared["accepted_call_times"] == []
    assert cleared["minute_calls"] == {"limit": 100, "used": 0}


# ---------------------------------------------------------------------------- built-ins


def test_state_has_the_design_keys_and_call_counts(seeded: Zoho) -> None:
    token = seeded.token()
    seeded.call("GET", f"/inventory/v1/salesorders/{SO_ID}", token)
    seeded.call("GET", f"/inventory/v1/salesorders/{SO_ID}", token)

    state = seeded.state()

    assert set(state) == {
        *STATE_KEYS,
        *("token_mints", "tokens_live", "calls", "daily_calls", "minute_calls", "refused", "accepted_call_times"),
    }
    assert [order["salesorder_id"] for order in state["salesorders"]] == [SO_ID]
    assert state["calls"] == {"POST /oauth/v2/token": 1, "GET /inventory/v1/salesorders/{salesorder_id}": 2}
    # The two API calls count against the day's cap; minting a token does not.
    assert state["daily_calls"]["used"] == 2
    assert all(state[key] == [] for key in ("packages", "shipmentorders", "creditnotes", "customerpayments"))


def test_injected_faults_replace_the_answer_for_the_given_times(seeded: Zoho) -> None:
    token = seeded.token()
    endpoint = "PUT /inventory/v1/salesorders/{salesorder_id}"
    rule = {"endpoint": endpoint, "status": 500, "body": {"code": 500, "message": "Internal error"}, "times": 1}
    requests.post(f"{seeded.url}/_sim/faults", json={"rules": [rule]}, timeout=5).raise_for_status()
    body = {"custom_fields": [{"api_name": "cf_awb_number", "value": "X1"}]}

    failed = seeded.call("PUT", f"/inventory/v1/salesorders/{SO_ID}", token, json=body)
    assert seeded.state()["salesorders"][0]["custom_field_hash"]["cf_awb_number"] == ""
    passed = seeded.call("PUT", f"/inventory/v1/salesorders/{SO_ID}", token, json=body)

    assert (failed.status_code, failed.json()["message"]) == (500, "Internal error")
    assert passed.status_code == 200
    assert seeded.state()["calls"][endpoint] == 2


def test_unknown_url_is_zoho_code_5(zoho: Zoho) -> None:
    response = zoho.call("GET", "/inventory/v1/nothing-here", zoho.token())
    assert (response.status_code, response.json()["code"]) == (404, 5)


def test_reset_restores_defaults(seeded: Zoho) -> None:
    seeded.seed({"organization_id": "777", "per_minute_limit": 1, "token_ttl_s": 5})
    seeded.token()

    requests.post(f"{seeded.url}/_sim/reset", timeout=5).raise_for_status()

    state = seeded.state()
    assert all(state[key] == [] for key in STATE_KEYS)
    assert (state["token_mints"], state["tokens_live"], state["calls"]) == (0, 0, {})
    minted = seeded.mint().json()
    assert minted["expires_in"] == 3600
    token = minted["access_token"]
    for _ in range(2):
        assert seeded.call("GET", "/inventory/v1/items", token).status_code == 200
