"""Contract tests: the Shiprocket simulator's behaviour over real HTTP, as docs/providers/shiprocket.md describes it.

The published examples themselves are held by test_published_shiprocket_sim.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests

from local.sim.base import SimServer
from local.sim.shiprocket import DEFAULT_API_EMAIL, DEFAULT_API_PASSWORD, IST, ShiprocketSim
from tests.fixtures.reference import shiprocket_courier_43, shiprocket_created_order, shiprocket_duplicate_canceled

# Saturday 2025-01-11 10:00 IST: before every courier's pickup cut-off.
START = datetime(2025, 1, 11, 10, 0, tzinfo=IST).timestamp()

FIXTURE_SERVICEABLE_ENTRY = shiprocket_courier_43()
FIXTURE_CREATED = shiprocket_created_order()
FIXTURE_DUPLICATE_CANCELED = shiprocket_duplicate_canceled()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Api:
    """Thin test driver: ``api.post("/courier/assign/awb", {...})`` with the current token."""

    def __init__(self, server: SimServer) -> None:
        self.root = server.url
        self.base = f"{server.url}/v1/external"
        self.token = ""

    def login(self, email: str = DEFAULT_API_EMAIL, password: str = DEFAULT_API_PASSWORD) -> requests.Response:
        response = requests.post(f"{self.base}/auth/login", json={"email": email, "password": password}, timeout=5)
        if response.status_code == 200:
            self.token = response.json()["token"]
        return response

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, params: dict[str, Any] | None = None, body: Any = None) -> requests.Response:
        return requests.get(f"{self.base}{path}", params=params, json=body, headers=self._headers(), timeout=5)

    def post(self, path: str, body: Any) -> requests.Response:
        return requests.post(f"{self.base}{path}", json=body, headers=self._headers(), timeout=5)

    def sim(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{self.root}/_sim/{path}", json=body, timeout=5)

    def state(self) -> dict[str, Any]:
        return dict(self.sim("GET", "state").json())


@pytest.fixture(scope="module")
def module_clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def module_server(module_clock: Clock) -> Iterator[SimServer]:
    # One server per module: stopping a stdlib server costs up to half a second of polling.
    sim_server = SimServer(ShiprocketSim(clock=module_clock)).start()
    yield sim_server
    sim_server.stop()


@pytest.fixture
def clock(module_clock: Clock) -> Clock:
    module_clock.now = START
    return module_clock


@pytest.fixture
def server(module_server: SimServer, clock: Clock) -> SimServer:
    assert requests.post(f"{module_server.url}/_sim/reset", timeout=5).status_code == 200
    return module_server


@pytest.fixture
def api(server: SimServer) -> Api:
    client = Api(server)
    assert client.login().status_code == 200
    return client


def order_body(order_id: str = "ZI-SO-00042", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": order_id,
        "order_date": "2025-01-11 10:00",
        "pickup_location": "Pune-WH1",
        "billing_customer_name": "Asha",
        "billing_last_name": "Rao",
        "billing_address": "14 MG Road, Koramangala",
        "billing_city": "Bengaluru",
        "billing_pincode": 560034,
        "billing_state": "Karnataka",
        "billing_country": "India",
        "billing_email": "asha@example.com",
        "billing_phone": 9876501234,
        "shipping_is_billing": True,
        "order_items": [
            {"name": "Cotton kurta", "sku": "KUR-001", "units": 1, "selling_price": 999, "tax": 5, "hsn": "6204"},
            {"name": "Dupatta", "sku": "DUP-002", "units": 1, "selling_price": 500, "tax": 5, "hsn": "6214"},
        ],
        "payment_method": "COD",
        "sub_total": 1499,
        "length": 20,
        "breadth": 15,
        "height": 10,
        "weight": 0.5,
    }
    body.update(overrides)
    return body


def quote(api: Api, **params: Any) -> dict[str, Any]:
    response = api.get("/courier/serviceability/", params={"cod": 0, "weight": 0.5, **params})
    assert response.status_code == 200
    return dict(response.json())


def rate_of(body: dict[str, Any], courier_id: int) -> float:
    entries = body["data"]["available_courier_companies"]
    return float(next(e["rate"] for e in entries if e["courier_company_id"] == courier_id))


def create(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("/orders/create/adhoc", order_body(**overrides))
    assert response.status_code == 200, response.text
    return dict(response.json())


def assign(api: Api, shipment_id: int, courier_id: int | None = 43) -> dict[str, Any]:
    body: dict[str, Any] = {"shipment_id": shipment_id}
    if courier_id is not None:
        body["courier_id"] = courier_id
    response = api.post("/courier/assign/awb", body)
    assert response.status_code == 200, response.text
    return dict(response.json())


# ------------------------------------------------------------------------------ auth


def test_login_returns_a_jwt_with_a_ten_day_exp_claim(server: SimServer) -> None:
    api = Api(server)
    body = api.login().json()
    assert {"id", "first_name", "last_name", "email", "company_id", "created_at", "token"} <= body.keys()
    claims_part = body["token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(claims_part + "=" * (-len(claims_part) % 4)))
    assert claims["exp"] - claims["iat"] == 10 * 24 * 3600
    assert api.login().json()["token"] != body["token"]


def test_login_rejects_wrong_and_missing_credentials(server: SimServer) -> None:
    api = Api(server)
    wrong = api.login(password="nope")
    assert wrong.status_code == 400
    assert wrong.json() == {"message": "Invalid email and password combination", "status_code": 400}
    missing = requests.post(f"{api.base}/auth/login", json={"email": DEFAULT_API_EMAIL}, timeout=5)
    assert missing.status_code == 422
    assert missing.json()["errors"] == {"password": ["The password field is required."]}


def test_api_routes_need_a_valid_bearer_token(server: SimServer) -> None:
    api = Api(server)
    anonymous = api.get("/settings/company/pickup")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"message": "Unauthenticated.", "status_code": 401}
    api.token = "not-a-token"
    assert api.get("/settings/company/pickup").status_code == 401


def test_token_expires_after_its_lifetime(api: Api, clock: Clock) -> None:
    assert api.get("/settings/company/pickup").status_code == 200
    clock.now += 10 * 24 * 3600 - 60
    assert api.get("/settings/company/pickup").status_code == 200
    clock.now += 61
    expired = api.get("/settings/company/pickup")
    # The body integrators captured for an expired token (issue 9, gap 8).
    assert (expired.status_code, expired.json()) == (401, {"message": "Token has expired", "status_code": 401})
    assert api.login().status_code == 200
    assert api.get("/settings/company/pickup").status_code == 200


def test_expire_tokens_endpoint_and_seed_key(api: Api) -> None:
    assert api.sim("POST", "expire-tokens").json() == {"expired": 1}
    assert api.get("/settings/company/pickup").status_code == 401
    api.login()
    assert api.get("/settings/company/pickup").status_code == 200
    assert api.sim("POST", "seed", {"expire_tokens": True}).json()["tokens_expired"] == 2
    assert api.get("/settings/company/pickup").status_code == 401


def test_logout_ends_the_token(api: Api) -> None:
    assert api.post("/auth/logout", {}).status_code == 200
    assert api.get("/settings/company/pickup").status_code == 401


def test_seeded_token_ttl_and_api_users(api: Api, clock: Clock) -> None:
    api.sim("POST", "seed", {"token_ttl_s": 60, "api_users": [{"email": "ops@seller.example", "password": "pw-2"}]})
    assert api.login("ops@seller.example", "pw-2").status_code == 200
    clock.now += 61
    assert api.get("/settings/company/pickup").status_code == 401


# ---------------------------------------------------------------------- serviceability


def test_serviceability_matches_the_reference_fixture(api: Api) -> None:
    body = quote(api, pickup_postcode="411028", delivery_postcode="560034")
    assert body["status"] == 200
    assert body["currency"] == "INR"
    data = body["data"]
    assert {
        "available_courier_companies",
        "blocked_courier_companies",
        "recommended_courier_company_id",
        "shiprocket_recommended_courier_id",
        "recommended_by",
        "is_recommendation_enabled",
    } <= data.keys()
    delhivery = next(e for e in data["available_courier_companies"] if e["courier_company_id"] == 43)
    # etd/etd_hours are invented in the fixture; the simulator derives them from its clock.
    timeless = {key: value for key, value in FIXTURE_SERVICEABLE_ENTRY.items() if key not in {"etd", "etd_hours"}}
    assert {key: delhivery[key] for key in timeless} == timeless
    assert (delhivery["etd"], delhivery["etd_hours"]) == ("Jan 14, 2025", 82)
    assert {"rto_performance", "delivery_performance", "id"} <= delhivery.keys()
    assert data["recommended_courier_company_id"] == 43
    assert data["recommended_by"] == {"id": 6, "title": "Recommendation By Shiprocket"}


def test_serviceability_accepts_the_keys_as_a_json_body_on_get(api: Api) -> None:
    response = api.get(
        "/courier/serviceability/",
        body={"pickup_postcode": "411028", "delivery_postcode": "560034", "cod": 0, "weight": 0.5},
    )
    assert response.status_code == 200
    assert response.json()["status"] == 200


@pytest.mark.parametrize("delivery", ["744301", "194101", "799999", "012345", "56003", "5600345", "990001"])
def test_unserviceable_pincodes_answer_inside_http_200(api: Api, delivery: str) -> None:
    body = quote(api, pickup_postcode="411028", delivery_postcode=delivery)
    assert body == {"status": 404, "message": "Delivery postcode not serviceable", "data": []}


def test_seeded_unserviceable_pincode(api: Api) -> None:
    api.sim("POST", "seed", {"unserviceable_pincodes": ["560034"]})
    assert quote(api, pickup_postcode="411028", delivery_postcode="560034")["status"] == 404


def test_serviceability_missing_params_is_a_422_field_map(api: Api) -> None:
    response = api.get("/courier/serviceability/", params={"pickup_postcode": "411028", "delivery_postcode": "560034"})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "Required field missing"
    assert body["status_code"] == 422
    assert set(body["errors"]) == {"weight", "cod", "order_id"}
    assert body["errors"]["weight"] == ["The weight field is required when order id is not present."]
    assert body["errors"]["order_id"] == [
        "The order id field is required when pickup postcode / delivery postcode / cod / weight is not present."
    ]
    no_delivery = api.get("/courier/serviceability/", params={"pickup_postcode": "411028", "cod": 0, "weight": 1})
    assert no_delivery.json()["errors"] == {"delivery_postcode": ["The delivery postcode field is required."]}


def test_cod_quotes_only_cod_couriers_and_add_cod_charges(api: Api) -> None:
    lane = {"pickup_postcode": "411028", "delivery_postcode": "560034", "declared_value": 4000}
    prepaid = quote(api, **lane)
    cod = quote(api, **lane, cod=1)
    prepaid_ids = {e["courier_company_id"] for e in prepaid["data"]["available_courier_companies"]}
    cod_entries = cod["data"]["available_courier_companies"]
    assert 58 in prepaid_ids
    assert {e["courier_company_id"] for e in cod_entries} == prepaid_ids - {58}
    assert all(e["cod"] == 1 for e in cod_entries)
    delhivery = next(e for e in cod_entries if e["courier_company_id"] == 43)
    assert delhivery["cod_charges"] == 70.0  # 1.75 % of 4000 beats the 35 flat
    assert delhivery["rate"] == delhivery["freight_charge"] + 70.0


def test_price_rises_with_zone(api: Api) -> None:
    lanes = [
        ("411001", "411028", "z_a"),
        ("411001", "400001", "z_b"),
        ("400001", "560034", "z_c"),
        ("411001", "560034", "z_d"),
        ("411001", "781001", "z_e"),
    ]
    rates = []
    for pickup, delivery, zone in lanes:
        body = quote(api, pickup_postcode=pickup, delivery_postcode=delivery)
        assert {e["zone"] for e in body["data"]["available_courier_companies"]} == {zone}
        rates.append(rate_of(body, 43))
    assert rates == sorted(rates)
    assert len(set(rates)) == len(rates)


def test_price_rises_with_chargeable_weight(api: Api) -> None:
    lane = {"pickup_postcode": "411028", "delivery_postcode": "560034"}
    rates = [rate_of(quote(api, **lane, weight=weight), 43) for weight in (0.5, 1.0, 2.5, 10)]
    assert rates == sorted(rates)
    assert len(set(rates)) == len(rates)
    bulky = quote(api, **lane, weight=0.5, length=40, breadth=30, height=20)  # volumetric 4.8 kg
    entry = next(e for e in bulky["data"]["available_courier_companies"] if e["courier_company_id"] == 43)
    assert entry["charge_weight"] == 5.0
    heavy = quote(api, **lane, weight=6)
    assert 58 not in {e["courier_company_id"] for e in heavy["data"]["available_courier_companies"]}


def test_mode_filters_air_and_surface(api: Api) -> None:
    air = quote(api, pickup_postcode="411028", delivery_postcode="560034", mode="Air")
    entries = air["data"]["available_courier_companies"]
    assert {e["courier_company_id"] for e in entries} == {1, 44}
    assert all(e["mode"] == 1 and e["is_surface"] is False for e in entries)


def test_serviceability_by_order_id(api: Api) -> None:
    created = create(api)
    by_order = quote(api, pickup_postcode="411028", delivery_postcode="560034", order_id=created["order_id"])
    assert 58 not in {e["courier_company_id"] for e in by_order["data"]["available_courier_companies"]}  # COD order
    unknown = api.get(
        "/courier/serviceability/",
        params={"pickup_postcode": "411028", "delivery_postcode": "560034", "order_id": 1},
    )
    assert unknown.json() == {"status": 404, "message": "Order does not exist!"}


# ------------------------------------------------------------------------------- orders


def test_create_adhoc_matches_the_reference_fixture(api: Api) -> None:
    assert create(api) == FIXTURE_CREATED
    order = api.state()["orders"][0]
    assert order["order_id"] == "ZI-SO-00042"
    assert order["sr_order_id"] == 612345678
    assert order["request"]["billing_phone"] == 9876501234
    assert order["status"] == "NEW"


def test_duplicate_order_id_returns_the_existing_order_unchanged(api: Api) -> None:
    first = create(api)
    again = create(api, billing_city="Mysuru")
    assert again["order_id"] == first["order_id"]
    assert again["shipment_id"] == first["shipment_id"]
    assert again["status"] == "NEW"
    assert len(api.state()["orders"]) == 1
    assert api.state()["orders"][0]["request"]["billing_city"] == "Bengaluru"

    cancel = api.post("/orders/cancel", {"ids": [first["order_id"]]})
    assert (cancel.status_code, cancel.text) == (204, "")
    after_cancel = create(api)
    assert {key: after_cancel[key] for key in FIXTURE_DUPLICATE_CANCELED} == FIXTURE_DUPLICATE_CANCELED


def test_create_adhoc_missing_fields_is_a_laravel_422(api: Api) -> None:
    body = order_body()
    del body["order_id"]
    del body["weight"]
    response = api.post("/orders/create/adhoc", body)
    assert response.status_code == 422
    assert response.json() == {
        "message": "Oops! Invalid Data.",
        "errors": {
            "order_id": ["The order id field is required."],
            "weight": ["The weight field is required."],
        },
        "status_code": 422,
    }


def test_separate_shipping_address_needs_shipping_fields(api: Api) -> None:
    response = api.post("/orders/create/adhoc", order_body(shipping_is_billing=False))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "shipping_pincode" in errors
    assert "shipping_customer_name" in errors


@pytest.mark.parametrize(
    ("field", "value"),
    [("billing_phone", "+91 98765 01234"), ("billing_pincode", "56003"), ("length", 0.5), ("payment_method", "Card")],
)
def test_invalid_values_are_rejected_with_422(api: Api, field: str, value: Any) -> None:
    response = api.post("/orders/create/adhoc", order_body(**{field: value}))
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert api.state()["orders"] == []


def test_unknown_pickup_location_is_rejected(api: Api) -> None:
    response = api.post("/orders/create/adhoc", order_body(pickup_location="pune-wh1"))
    assert response.status_code == 422
    assert "pickup location" in response.json()["message"].lower()
    assert api.state()["orders"] == []


def test_repeated_sku_is_rejected(api: Api) -> None:
    items = [{"name": "Kurta", "sku": "KUR-001", "units": 1, "selling_price": 999}] * 2
    response = api.post("/orders/create/adhoc", order_body(order_items=items))
    assert response.status_code == 400
    assert response.json()["message"] == "SKU cannot be repeated."


def test_seeded_pickup_location_is_listed_and_usable(api: Api) -> None:
    api.sim("POST", "seed", {"pickup_locations": [{"pickup_location": "BLR-Hub", "pin_code": "560068"}]})
    listed = api.get("/settings/company/pickup").json()["data"]["shipping_address"]
    assert [loc["pickup_location"] for loc in listed] == ["Primary", "Pune-WH1", "BLR-Hub"]
    assert all({"id", "pin_code", "address", "city", "state", "phone", "email"} <= loc.keys() for loc in listed)
    created = create(api, pickup_location="BLR-Hub")
    assign(api, created["shipment_id"])
    assert api.state()["orders"][0]["zone"] == "z_a"


def test_show_order_is_reference_shaped(api: Api) -> None:
    created = create(api)
    awb = assign(api, created["shipment_id"])["response"]["data"]["awb_code"]
    data = api.get(f"/orders/show/{created['order_id']}").json()["data"]
    assert data["id"] == created["order_id"]
    assert data["channel_order_id"] == "ZI-SO-00042"
    assert data["awb_data"]["awb"] == awb
    assert data["shipments"]["awb"] == awb
    assert (data["remittance_date"], data["remittance_utr"], data["remittance_status"]) == ("", "", "")
    assert isinstance(data["others"], dict)
    api.sim(
        "POST",
        "seed",
        {
            "order_updates": [
                {
                    "awb_code": awb,
                    "status": "DELIVERED",
                    "status_code": 7,
                    "remittance_date": "2025-01-22",
                    "remittance_utr": "UTR0001",
                    "remittance_status": "remitted",
                }
            ]
        },
    )
    data = api.get(f"/orders/show/{created['order_id']}").json()["data"]
    assert (data["status"], data["remittance_utr"]) == ("DELIVERED", "UTR0001")
    unknown = api.get("/orders/show/1")
    assert (unknown.status_code, unknown.json()) == (400, {"message": "Order ID not found", "status_code": 400})


def test_cancel_validates_and_refunds_the_wallet(api: Api) -> None:
    created = create(api)
    before = api.state()["wallet_balance"]
    assign(api, created["shipment_id"])
    assert api.state()["wallet_balance"] < before
    assert api.post("/orders/cancel", {}).status_code == 422
    assert api.post("/orders/cancel", {"ids": [42]}).status_code == 500
    cancelled = api.post("/orders/cancel", {"ids": [created["order_id"]]})
    assert (cancelled.status_code, cancelled.text) == (204, "")  # as published (docs/providers/shiprocket.md §10)
    state = api.state()
    assert state["wallet_balance"] == before
    assert (state["orders"][0]["status"], state["orders"][0]["status_code"]) == ("CANCELED", 5)


# --------------------------------------------------------------------------------- AWB


def test_assign_awb_success_shape(api: Api) -> None:
    created = create(api)
    balance = api.state()["wallet_balance"]
    body = assign(api, created["shipment_id"])
    assert body["awb_assign_status"] == 1
    data = body["response"]["data"]
    assert {
        "courier_company_id",
        "awb_code",
        "cod",
        "order_id",
        "shipment_id",
        "awb_code_status",
        "assigned_date_time",
        "applied_weight",
        "company_id",
        "courier_name",
        "child_courier_name",
        "pickup_scheduled_date",
        "routing_code",
        "rto_routing_code",
        "invoice_no",
        "transporter_id",
        "transporter_name",
        "shipped_by",
    } <= data.keys()
    assert (data["courier_company_id"], data["courier_name"], data["cod"]) == (43, "Delhivery Surface", 1)
    assert (data["order_id"], data["shipment_id"]) == (created["order_id"], created["shipment_id"])
    assert data["awb_code"].isdigit()
    assert len(data["awb_code"]) == 13
    assert data["assigned_date_time"]["timezone"] == "Asia/Kolkata"
    order = api.state()["orders"][0]
    assert (order["awb_code"], order["courier_company_id"], order["status"]) == (data["awb_code"], 43, "READY TO SHIP")
    # 20x15x10 cm is 0.6 kg volumetric: two 0.5 kg slabs (62.5 + 56) plus the 35 COD minimum.
    assert data["applied_weight"] == 1.0
    assert api.state()["wallet_balance"] == balance - 153.5


def test_awbs_are_unique_and_default_to_the_recommended_courier(api: Api) -> None:
    awbs = set()
    for index in range(3):
        created = create(api, order_id=f"SO-{index}", payment_method="Prepaid")
        data = assign(api, created["shipment_id"], courier_id=None)["response"]["data"]
        assert data["courier_company_id"] == 43
        awbs.add(data["awb_code"])
    assert len(awbs) == 3


def test_refuse_awb_courier_answers_inside_200(api: Api) -> None:
    api.sim("POST", "seed", {"couriers": [{"courier_company_id": 45, "refuse_awb": "Pincode blocked by courier"}]})
    created = create(api)
    body = assign(api, created["shipment_id"], courier_id=45)
    assert body == {"awb_assign_status": 0, "response": {"data": {"awb_assign_error": "Pincode blocked by courier"}}}
    assert api.state()["orders"][0]["awb_code"] is None
    assert assign(api, created["shipment_id"], courier_id=43)["awb_assign_status"] == 1


def test_refuse_awb_pincodes_only_refuse_those_pincodes(api: Api) -> None:
    api.sim("POST", "seed", {"couriers": [{"courier_company_id": 43, "refuse_awb_pincodes": ["560034"]}]})
    refused = assign(api, create(api)["shipment_id"])
    assert refused["awb_assign_status"] == 0
    assert "560034" in refused["response"]["data"]["awb_assign_error"]
    other = create(api, order_id="SO-2", billing_pincode="560068")
    assert assign(api, other["shipment_id"])["awb_assign_status"] == 1


def test_courier_not_serviceable_for_the_order_is_refused(api: Api) -> None:
    created = create(api)  # COD, and Shadowfax takes prepaid only
    body = assign(api, created["shipment_id"], courier_id=58)
    assert body["awb_assign_status"] == 0
    assert "Shadowfax" in body["response"]["data"]["awb_assign_error"]


def test_cancelled_order_refuses_awb(api: Api) -> None:
    created = create(api)
    api.post("/orders/cancel", {"ids": [created["order_id"]]})
    body = assign(api, created["shipment_id"])
    assert body["awb_assign_status"] == 0
    assert "cancelled state" in body["response"]["data"]["awb_assign_error"]


def test_already_assigned_and_early_reassign(api: Api, clock: Clock) -> None:
    created = create(api)
    first = assign(api, created["shipment_id"])["response"]["data"]["awb_code"]
    again = assign(api, created["shipment_id"], courier_id=45)
    assert again == {"awb_assign_status": 0, "response": {"data": {"awb_assign_error": "AWB is already assigned"}}}
    early = api.post(
        "/courier/assign/awb", {"shipment_id": created["shipment_id"], "courier_id": 45, "status": "reassign"}
    )
    assert early.status_code == 400
    assert early.json()["message"] == "Oops! Cannot reassign courier for this shipment."
    clock.now += 25 * 3600
    api.login()
    late = api.post(
        "/courier/assign/awb", {"shipment_id": created["shipment_id"], "courier_id": 45, "status": "reassign"}
    )
    data = late.json()["response"]["data"]
    assert (data["courier_company_id"], data["awb_code"] != first) == (45, True)


def test_low_wallet_answers_code_350(api: Api) -> None:
    api.sim("POST", "seed", {"wallet_balance": 50})
    created = create(api)
    body = assign(api, created["shipment_id"])
    assert body["status_code"] == 350
    assert "wallet" in body["message"].lower()
    assert api.state()["orders"][0]["awb_code"] is None
    assert api.state()["wallet_balance"] == 50


def test_assign_awb_validation(api: Api) -> None:
    missing = api.post("/courier/assign/awb", {"courier_id": 43})
    assert missing.status_code == 422
    assert missing.json()["errors"] == {"shipment_id": ["The shipment id field is required."]}
    unknown = api.post("/courier/assign/awb", {"shipment_id": 1})
    # What the collection saved for a made-up shipment id (docs/providers/shiprocket.md §4).
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"message": "Oops! Cannot reassign courier for this shipment.", "status_code": 400},
    )


# ---------------------------------------------------------------------- pickup and label


def test_generate_pickup(api: Api, clock: Clock) -> None:
    created = create(api)
    no_awb = api.post("/courier/generate/pickup", {"shipment_id": [created["shipment_id"]]})
    assert (no_awb.status_code, no_awb.json()) == (400, {"message": "Awb not Assigned"})
    awb = assign(api, created["shipment_id"])["response"]["data"]["awb_code"]
    response = api.post("/courier/generate/pickup", {"shipment_id": [created["shipment_id"]]})
    assert response.status_code == 200
    body = response.json()
    assert body["pickup_status"] == 1
    assert {"pickup_scheduled_date", "pickup_token_number", "status", "others", "pickup_generated_date", "data"} <= (
        body["response"].keys()
    )
    assert body["response"]["pickup_scheduled_date"] == "2025-01-11 11:00:00"
    assert isinstance(body["response"]["others"], str)
    assert awb in body["response"]["data"]
    pickups = api.state()["pickups"]
    assert [(p["shipment_id"], p["awb_code"]) for p in pickups] == [(created["shipment_id"], awb)]
    # A repeat is the retry of a lost answer: the two published "already done" answers (issue 9, gap 2).
    again = api.post("/courier/generate/pickup", {"shipment_id": [created["shipment_id"]]})
    assert (again.status_code, again.json()) == (500, {"message": "Duplicate request for pickup generation"})
    clock.now += 60
    later = api.post("/courier/generate/pickup", {"shipment_id": [created["shipment_id"]]})
    assert (later.status_code, later.json()) == (400, {"message": "Already in Pickup Queue."})
    assert len(api.state()["pickups"]) == 1
    unknown = api.post("/courier/generate/pickup", {"shipment_id": [1]})
    assert unknown.json() == {"message": "Invalid shipment id", "status_code": 400}


def test_pickup_on_sunday_rolls_to_monday(api: Api) -> None:
    created = create(api)
    assign(api, created["shipment_id"])
    body = api.post(
        "/courier/generate/pickup", {"shipment_id": [created["shipment_id"]], "pickup_date": ["2025-01-12"]}
    )
    assert body.json()["response"]["pickup_scheduled_date"].startswith("2025-01-13")


def test_pickup_date_must_be_a_real_date(api: Api) -> None:
    created = create(api)
    assign(api, created["shipment_id"])
    for bad in ("2025-13-45", "12-01-2025"):
        response = api.post("/courier/generate/pickup", {"shipment_id": [created["shipment_id"]], "pickup_date": [bad]})
        assert response.status_code == 422
        assert "pickup_date" in response.json()["errors"]
    assert api.state()["pickups"] == []


def test_generate_label(api: Api, server: SimServer) -> None:
    created = create(api)
    failed = api.post("/courier/generate/label", {"shipment_id": [created["shipment_id"]]})
    assert failed.status_code == 200
    assert failed.json()["label_created"] == 0
    assert failed.json()["not_created"] == [created["shipment_id"]]
    assert failed.json()["response"]
    assign(api, created["shipment_id"])
    body = api.post("/courier/generate/label", {"shipment_id": [created["shipment_id"]]}).json()
    assert body == {
        "label_created": 1,
        "label_url": f"{server.url}/labels/{created['shipment_id']}.pdf",
        "response": "Label has been created and uploaded successfully!",
        "not_created": [],
    }
    assert api.state()["labels"][0]["label_url"] == body["label_url"]
    not_array = api.post("/courier/generate/label", {"shipment_id": created["shipment_id"]})
    assert not_array.status_code == 422


# ------------------------------------------------------------------------------ wrapper


def test_forward_shipment_happy_path(api: Api) -> None:
    response = api.post("/shipments/create/forward-shipment", order_body(courier_id=44))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 1
    payload = body["payload"]
    assert {
        key: payload[key]
        for key in ("order_created", "awb_generated", "label_generated", "pickup_generated", "manifest_generated")
    } == {"order_created": 1, "awb_generated": 1, "label_generated": 1, "pickup_generated": 1, "manifest_generated": 1}
    assert payload["pickup_location_added"] == 0
    assert (payload["courier_company_id"], payload["courier_name"]) == (44, "Delhivery Air")
    assert payload["awb_code"]
    assert payload["label_url"].endswith(f"/labels/{payload['shipment_id']}.pdf")
    assert payload["pickup_scheduled_date"]
    assert payload["pickup_token_number"]
    state = api.state()
    order = state["orders"][0]
    assert (order["order_id"], order["sr_order_id"], order["awb_code"]) == (
        "ZI-SO-00042",
        payload["order_id"],
        payload["awb_code"],
    )
    assert order["request"]["courier_id"] == 44
    assert len(state["pickups"]) == 1
    assert len(state["labels"]) == 1
    assert state["calls"] == {"POST /auth/login": 1, "POST /shipments/create/forward-shipment": 1}


def test_forward_shipment_without_pickup_and_label(api: Api) -> None:
    body = api.post(
        "/shipments/create/forward-shipment",
        order_body(request_pickup=False, print_label=False, generate_manifest=False),
    ).json()
    assert body["status"] == 1
    payload = body["payload"]
    assert (payload["awb_generated"], payload["pickup_generated"], payload["label_generated"]) == (1, 0, 0)
    assert payload["courier_company_id"] == 43  # the recommendation when no courier_id is given
    assert api.state()["pickups"] == []


def test_forward_shipment_partial_failure_keeps_the_order(api: Api) -> None:
    api.sim("POST", "seed", {"couriers": [{"courier_company_id": 45, "refuse_awb": "Courier capacity exhausted"}]})
    body = api.post("/shipments/create/forward-shipment", order_body(courier_id=45)).json()
    assert body["status"] == 0
    payload = body["payload"]
    assert (payload["order_created"], payload["awb_generated"]) == (1, 0)
    assert payload["awb_assign_error"] == "Courier capacity exhausted"
    assert payload["error_message"] == "Courier capacity exhausted"
    assert payload["shipment_id"] == api.state()["orders"][0]["shipment_id"]
    retry = assign(api, payload["shipment_id"], courier_id=43)
    assert retry["awb_assign_status"] == 1


def test_forward_shipment_duplicate_does_not_create_or_change(api: Api) -> None:
    first = api.post("/shipments/create/forward-shipment", order_body()).json()["payload"]
    again = api.post("/shipments/create/forward-shipment", order_body()).json()
    assert again["status"] == 1
    assert (again["payload"]["order_created"], again["payload"]["awb_generated"]) == (0, 0)
    assert (again["payload"]["order_id"], again["payload"]["awb_code"]) == (first["order_id"], first["awb_code"])
    assert len(api.state()["orders"]) == 1
    assert len(api.state()["pickups"]) == 1


def test_forward_shipment_on_a_cancelled_order_id_fails_without_changes(api: Api) -> None:
    created = create(api)
    api.post("/orders/cancel", {"ids": [created["order_id"]]})
    body = api.post("/shipments/create/forward-shipment", order_body()).json()
    assert body["status"] == 0
    assert (body["payload"]["order_created"], body["payload"]["order_id"]) == (0, created["order_id"])
    assert "cancelled state" in body["payload"]["error_message"]
    assert api.state()["orders"][0]["awb_code"] is None


def test_forward_shipment_validation(api: Api) -> None:
    body = order_body()
    del body["billing_phone"]
    missing = api.post("/shipments/create/forward-shipment", body)
    assert missing.status_code == 422
    assert missing.json()["errors"] == {"billing_phone": ["The billing phone field is required."]}
    wrong_pickup = api.post("/shipments/create/forward-shipment", order_body(pickup_location="Nowhere"))
    assert wrong_pickup.status_code == 200
    assert wrong_pickup.json()["status"] == 0
    assert wrong_pickup.json()["payload"]["action"] == "Creating order"
    assert api.state()["orders"] == []


def test_forward_shipment_registers_vendor_pickup(api: Api) -> None:
    vendor = {
        "email": "v@example.com",
        "phone": "9800000002",
        "name": "Vendor",
        "address": "12 Park Street",
        "city": "Kolkata",
        "state": "West Bengal",
        "country": "India",
        "pin_code": "700016",
    }
    body = api.post(
        "/shipments/create/forward-shipment", order_body(pickup_location="KolkataVendor1", vendor_details=vendor)
    ).json()
    assert (body["status"], body["payload"]["pickup_location_added"]) == (1, 1)
    names = [loc["pickup_location"] for loc in api.get("/settings/company/pickup").json()["data"]["shipping_address"]]
    assert "KolkataVendor1" in names
    bad = api.post(
        "/shipments/create/forward-shipment",
        order_body(order_id="SO-2", pickup_location="Bad Name!", vendor_details=vendor),
    ).json()
    assert bad == {"status": 0, "payload": {"action": "Adding pickup location", "error_message": "Oops! Invalid Data."}}


# ------------------------------------------------------------------------ sim endpoints


def test_state_keys_and_call_counts(api: Api) -> None:
    created = create(api)
    assign(api, created["shipment_id"])
    assign(api, created["shipment_id"])
    api.get("/orders/show/1")
    state = api.state()
    assert {"orders", "pickups", "labels", "returns", "wallet_balance", "calls"} <= state.keys()
    assert {"order_id", "sr_order_id", "shipment_id", "awb_code", "courier_company_id", "status", "request"} <= (
        state["orders"][0].keys()
    )
    assert state["calls"] == {
        "POST /auth/login": 1,
        "POST /orders/create/adhoc": 1,
        "POST /courier/assign/awb": 2,
        "GET /orders/show/{id}": 1,
    }


def test_fault_injection_applies_the_given_number_of_times(api: Api) -> None:
    rule = {"endpoint": "POST /orders/create/adhoc", "status": 500, "body": {"message": "Server Error"}, "times": 1}
    assert api.sim("POST", "faults", {"rules": [rule]}).status_code == 200
    failed = api.post("/orders/create/adhoc", order_body())
    assert (failed.status_code, failed.json()) == (500, {"message": "Server Error"})
    assert api.post("/orders/create/adhoc", order_body()).status_code == 200
    assert api.state()["calls"]["POST /orders/create/adhoc"] == 2


def test_reset_restores_defaults(api: Api) -> None:
    api.sim("POST", "seed", {"wallet_balance": 5, "pickup_locations": [{"pickup_location": "X", "pin_code": "110001"}]})
    create(api)
    assert api.sim("POST", "reset").json() == {"reset": True}
    state = api.state()
    assert state["orders"] == []
    assert state["calls"] == {}
    assert state["wallet_balance"] == 100000.0
    assert [loc["pickup_location"] for loc in state["pickup_locations"]] == ["Primary", "Pune-WH1"]
    assert api.get("/settings/company/pickup").status_code == 401  # tokens are gone
    api.login()
    assert create(api) == FIXTURE_CREATED  # counters restart: runs are repeatable


def test_bad_seed_is_a_400(api: Api) -> None:
    assert api.sim("POST", "seed", {"couriers": [{"courier_name": "no id"}]}).status_code == 400
    assert api.sim("POST", "seed", {"couriers": [{"courier_company_id": 7, "zones": ["z_q"]}]}).status_code == 400
    assert api.sim("POST", "seed", {"order_updates": [{"order_id": "nope"}]}).status_code == 400
    assert api.sim("POST", "seed", {"wallet_balance": 10}).json()["wallet_balance"] == 10
