"""ShiprocketClient and shiprocket_login against realistic bodies with the published field names.

See docs/providers/shiprocket.md.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from shipsync.clients.auth import shiprocket_login
from shipsync.clients.http import new_session, shared_session
from shipsync.clients.shiprocket import ShiprocketClient
from shipsync.domain.models import ShiprocketOrder, ShiprocketOrderItem
from shipsync.errors import (
    AwbRefused,
    NotServiceable,
    ProviderRequestError,
    RateLimited,
    TokenRejected,
    TransientError,
    WalletTooLow,
)
from tests.fixtures.reference import shiprocket_created_order, shiprocket_serviceability_ok

BASE = "https://apiv2.shiprocket.in/v1/external"
TOKEN = "eyJ.secret-jwt.sig"

SERVICEABILITY_OK = shiprocket_serviceability_ok()
CREATE_OK = shiprocket_created_order()

ASSIGN_OK = {
    "awb_assign_status": 1,
    "response": {
        "data": {
            "courier_company_id": 43,
            "awb_code": "1411220456789",
            "cod": 1,
            "order_id": 612345678,
            "shipment_id": 609876543,
            "awb_code_status": 1,
            "assigned_date_time": {
                "date": "2025-01-11 16:05:02.000000",
                "timezone_type": 3,
                "timezone": "Asia/Kolkata",
            },
            "applied_weight": 0.5,
            "company_id": 12345,
            "courier_name": "Delhivery Surface",
            "child_courier_name": None,
            "pickup_scheduled_date": "2025-01-12 10:00:00",
            "routing_code": "BLR/KOR",
            "rto_routing_code": "PNQ/HDP",
            "invoice_no": "Retail00042",
            "transporter_id": "",
            "transporter_name": "",
            "shipped_by": {"shipper_company_name": "Acme", "rto_company_name": "Acme"},
        }
    },
}

WRAPPER_OK = {
    "status": 1,
    "payload": {
        "pickup_location_added": 0,
        "order_created": 1,
        "awb_generated": 1,
        "label_generated": 1,
        "pickup_generated": 1,
        "manifest_generated": 0,
        "pickup_scheduled_date": "2025-01-12 10:00:00",
        "order_id": 612345678,
        "shipment_id": 609876543,
        "awb_code": "1411220456789",
        "courier_company_id": 43,
        "courier_name": "Delhivery Surface",
        "applied_weight": 0.5,
        "cod": 1,
        "label_url": "https://kr-shipmultichannel.s3.amazonaws.com/label.pdf",
        "manifest_url": "",
        "routing_code": "BLR/KOR",
        "pickup_token_number": "Reference No: 194_BIGFOOT 1234567",
    },
}


@pytest.fixture
def client() -> ShiprocketClient:
    return ShiprocketClient(BASE, lambda: (TOKEN, 7), session=new_session())


@pytest.fixture
def order() -> ShiprocketOrder:
    return ShiprocketOrder(
        order_id="SO-01042",
        order_date="2025-01-11 16:00",
        pickup_location="Pune-WH1",
        billing_customer_name="Ananya Iyer",
        billing_address="No. 14, 3rd Cross, Indiranagar",
        billing_city="Bengaluru",
        billing_pincode="560034",
        billing_state="Karnataka",
        billing_email="ananya.iyer@example.in",
        billing_phone="9876501234",
        order_items=[ShiprocketOrderItem(name="Cotton Tee Black M", sku="TEE-BLK-M", units=2, selling_price=749.5)],
        payment_method="COD",
        sub_total=1499,
        length=20,
        breadth=15,
        height=10,
        weight=0.5,
    )


def _sent_json(rsps: responses.RequestsMock, index: int = 0) -> Any:
    body = rsps.calls[index].request.body
    assert body is not None
    return json.loads(body)


def _query(rsps: responses.RequestsMock, index: int = 0) -> dict[str, list[str]]:
    url = rsps.calls[index].request.url
    assert url is not None
    return parse_qs(urlsplit(url).query)


# ----------------------------------------------------------------------------- serviceability


def test_serviceability_parses_couriers_and_sends_query_params(
    rsps: responses.RequestsMock, client: ShiprocketClient
) -> None:
    rsps.get(f"{BASE}/courier/serviceability/", json=SERVICEABILITY_OK)

    quotes = client.serviceability(pickup_postcode="411001", delivery_postcode="560034", cod=True, weight_kg=0.5)

    assert len(quotes) == 1
    quote = quotes[0]
    assert (quote.courier_company_id, quote.courier_name, quote.rate) == (43, "Delhivery Surface", 62.5)
    assert quote.estimated_delivery_days == 3
    assert (quote.etd_hours, quote.rating, quote.is_surface, quote.zone) == (70, 4.6, True, "z_d")
    request = rsps.calls[0].request
    assert request.method == "GET"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.body is None
    assert _query(rsps) == {
        "pickup_postcode": ["411001"],
        "delivery_postcode": ["560034"],
        "cod": ["1"],
        "weight": ["0.5"],
    }


def test_serviceability_sends_optional_dimensions_and_return_flag(
    rsps: responses.RequestsMock, client: ShiprocketClient
) -> None:
    rsps.get(f"{BASE}/courier/serviceability/", json=SERVICEABILITY_OK)

    client.serviceability(
        pickup_postcode="560034",
        delivery_postcode="411001",
        cod=False,
        weight_kg=1.2,
        length_cm=20,
        breadth_cm=15,
        height_cm=10,
        declared_value=1499,
        is_return=True,
    )

    query = _query(rsps)
    assert query["cod"] == ["0"]
    assert query["is_return"] == ["1"]
    assert (query["length"], query["breadth"], query["height"], query["declared_value"]) == (
        ["20"],
        ["15"],
        ["10"],
        ["1499"],
    )


@pytest.mark.parametrize(
    "body",
    [
        {"status": 404, "message": "Order does not exist!"},
        {"status": 404, "message": "Delivery postcode not serviceable", "data": []},
        {"status": 200, "currency": "INR", "data": []},
        {"status": 200, "currency": "INR", "data": {"available_courier_companies": []}},
        {"status": 200, "currency": "INR"},
    ],
    ids=["status-404-in-200", "simulator-shape", "data-list", "empty-couriers", "no-data"],
)
def test_serviceability_unserviceable_variants(
    rsps: responses.RequestsMock, client: ShiprocketClient, body: dict[str, Any]
) -> None:
    rsps.get(f"{BASE}/courier/serviceability/", json=body)

    with pytest.raises(NotServiceable, match="411001 -> 560034"):
        client.serviceability(pickup_postcode="411001", delivery_postcode="560034", cod=True, weight_kg=0.5)


def test_serviceability_tolerates_string_numbers_and_skips_unreadable_entries(
    rsps: responses.RequestsMock, client: ShiprocketClient
) -> None:
    good = dict(SERVICEABILITY_OK["data"]["available_courier_companies"][0])
    ranged = {**good, "courier_company_id": 12, "estimated_delivery_days": "4-5", "rating": "", "etd_hours": "96"}
    blank = {**good, "courier_company_id": 13, "estimated_delivery_days": ""}
    broken = {"courier_name": "no id, no rate"}
    body = {"status": 200, "data": {"available_courier_companies": [ranged, blank, broken]}}
    rsps.get(f"{BASE}/courier/serviceability/", json=body)

    quotes = client.serviceability(pickup_postcode="411001", delivery_postcode="560034", cod=False, weight_kg=1)

    assert [(q.courier_company_id, q.estimated_delivery_days, q.rating, q.etd_hours) for q in quotes] == [
        (12, 4, None, 96.0),
        (13, None, 4.6, 70.0),
    ]


def test_serviceability_missing_params_422_carries_field_errors(
    rsps: responses.RequestsMock, client: ShiprocketClient
) -> None:
    rsps.get(
        f"{BASE}/courier/serviceability/",
        status=422,
        json={
            "message": "Required field missing",
            "errors": {
                "weight": ["The weight field is required when order id is not present."],
                "cod": ["The cod field is required when order id is not present."],
            },
            "status_code": 422,
        },
    )

    with pytest.raises(ProviderRequestError) as caught:
        client.serviceability(pickup_postcode="411001", delivery_postcode="560034", cod=True, weight_kg=0.5)

    assert caught.value.http_status == 422
    assert caught.value.message == "Required field missing"
    assert caught.value.field_errors["weight"] == ["The weight field is required when order id is not present."]


# ----------------------------------------------------------------------------- create order


def test_create_adhoc_order_sends_the_order_and_reads_ids(
    rsps: responses.RequestsMock, client: ShiprocketClient, order: ShiprocketOrder
) -> None:
    rsps.post(f"{BASE}/orders/create/adhoc", json=CREATE_OK)

    created = client.create_adhoc_order(order)

    assert (created.sr_order_id, created.shipment_id, created.status, created.status_code) == (
        612345678,
        609876543,
        "NEW",
        1,
    )
    assert created.awb_code is None
    assert not created.is_cancelled
    assert _sent_json(rsps) == json.loads(json.dumps(order.model_dump()))


def test_create_adhoc_order_returns_the_cancelled_duplicate(
    rsps: responses.RequestsMock, client: ShiprocketClient, order: ShiprocketOrder
) -> None:
    duplicate = {
        "order_id": 612345678,
        "shipment_id": 609876543,
        "status": "CANCELED",
        "status_code": 5,
        "awb_code": "",
    }
    rsps.post(f"{BASE}/orders/create/adhoc", json=duplicate)

    created = client.create_adhoc_order(order)

    assert created.sr_order_id == 612345678
    assert created.awb_code is None
    assert created.is_cancelled


@pytest.mark.parametrize(
    ("status", "body", "message", "fields"),
    [
        (
            422,
            {
                "message": "Oops! Invalid Data.",
                "errors": {"order_id": ["The order id field is required."]},
                "status_code": 422,
            },
            "Oops! Invalid Data.",
            {"order_id": ["The order id field is required."]},
        ),
        (
            400,
            {"message": "Given channel id does not exist", "status_code": 400},
            "Given channel id does not exist",
            {},
        ),
        (404, {"message": "404 Not Found", "status_code": 404}, "404 Not Found", {}),
        (
            422,
            {
                "message": {
                    "address": ["Address line 1 should have House no / Flat no / Road no."],
                    "email": ["The email field is required."],
                }
            },
            "invalid data",
            {
                "address": ["Address line 1 should have House no / Flat no / Road no."],
                "email": ["The email field is required."],
            },
        ),
    ],
    ids=["422-errors", "400", "404", "422-message-is-field-map"],
)
def test_create_adhoc_order_request_errors(
    rsps: responses.RequestsMock,
    client: ShiprocketClient,
    order: ShiprocketOrder,
    status: int,
    body: dict[str, Any],
    message: str,
    fields: dict[str, list[str]],
) -> None:
    rsps.post(f"{BASE}/orders/create/adhoc", status=status, json=body)

    with pytest.raises(ProviderRequestError) as caught:
        client.create_adhoc_order(order)

    assert caught.value.provider == "shiprocket"
    assert caught.value.http_status == status
    assert caught.value.message == message
    assert caught.value.field_errors == fields


def test_error_status_code_inside_http_200_counts_as_the_status(
    rsps: responses.RequestsMock, client: ShiprocketClient, order: ShiprocketOrder
) -> None:
    rsps.post(f"{BASE}/orders/create/adhoc", json={"message": "Invalid shipment data", "status_code": 400})

    with pytest.raises(ProviderRequestError) as caught:
        client.create_adhoc_order(order)

    assert caught.value.http_status == 400


def test_create_answer_without_order_id_is_rejected(
    rsps: responses.RequestsMock, client: ShiprocketClient, order: ShiprocketOrder
) -> None:
    rsps.post(f"{BASE}/orders/create/adhoc", json={"message": "Something happened"})

    with pytest.raises(ProviderRequestError, match="without an order id"):
        client.create_adhoc_order(order)


# ----------------------------------------------------------------------------- transport / status


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"message": "Unauthenticated.", "status_code": 401}, TokenRejected),
        (429, {"message": "Too Many Attempts."}, RateLimited),
        (500, {"message": "Invalid argument supplied for foreach()", "status_code": 500}, TransientError),
        (502, "<html>Bad Gateway</html>", TransientError),
        (503, "", TransientError),
        (403, "<html>Forbidden by WAF</html>", ProviderRequestError),
        (200, "<html>maintenance</html>", ProviderRequestError),
    ],
    ids=["401", "429", "500", "502-html", "503-empty", "403-html", "200-html"],
)
def test_status_mapping(
    rsps: responses.RequestsMock, client: ShiprocketClient, status: int, body: Any, error: type[Exception]
) -> None:
    if isinstance(body, dict):
        rsps.post(f"{BASE}/courier/generate/label", status=status, json=body)
    else:
        rsps.post(f"{BASE}/courier/generate/label", status=status, body=body, content_type="text/html")

    with pytest.raises(error) as caught:
        client.generate_label(609876543)

    assert type(caught.value) is error


def test_401_carries_provider_and_token_version(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    rsps.get(f"{BASE}/courier/serviceability/", status=401, json={"message": "Unauthenticated.", "status_code": 401})

    with pytest.raises(TokenRejected) as caught:
        client.serviceability(pickup_postcode="411001", delivery_postcode="560034", cod=True, weight_kg=0.5)

    assert (caught.value.provider, caught.value.version) == ("shiprocket", 7)


@pytest.mark.parametrize(
    "exc",
    [requests.exceptions.ConnectTimeout(), requests.exceptions.ReadTimeout(), requests.exceptions.ConnectionError()],
    ids=["connect-timeout", "read-timeout", "connection-error"],
)
def test_network_failures_are_transient(
    rsps: responses.RequestsMock, client: ShiprocketClient, order: ShiprocketOrder, exc: Exception
) -> None:
    rsps.post(f"{BASE}/orders/create/adhoc", body=exc)

    with pytest.raises(TransientError, match="POST /orders/create/adhoc"):
        client.create_adhoc_order(order)


@pytest.mark.parametrize(
    ("endpoint", "status", "body"),
    [
        ("/courier/assign/awb", 200, {"status_code": 350, "message": "Please recharge your wallet."}),
        ("/courier/assign/awb", 400, {"status_code": 350, "message": "Insufficient balance. Recharge your wallet."}),
        ("/courier/assign/awb", 422, {"message": "Please recharge your wallet.", "status_code": 350}),
        (
            "/courier/assign/awb",
            200,
            {"awb_assign_status": 0, "response": {"data": {"awb_assign_error": "Wallet low", "status_code": 350}}},
        ),
    ],
    ids=["in-200", "in-400", "in-422", "nested"],
)
def test_wallet_code_350_anywhere_is_wallet_too_low(
    rsps: responses.RequestsMock, client: ShiprocketClient, endpoint: str, status: int, body: dict[str, Any]
) -> None:
    rsps.post(f"{BASE}{endpoint}", status=status, json=body)

    with pytest.raises(WalletTooLow):
        client.assign_awb(609876543, 43)


def test_wallet_code_inside_wrapper_payload_is_wallet_too_low(
    rsps: responses.RequestsMock, client: ShiprocketClient, order: ShiprocketOrder
) -> None:
    body = {"status": 0, "payload": {"error_message": "Please recharge your wallet", "status_code": 350}}
    rsps.post(f"{BASE}/shipments/create/forward-shipment", json=body)

    with pytest.raises(WalletTooLow):
        client.create_forward_shipment(order, courier_id=43)


# ----------------------------------------------------------------------------- AWB


def test_assign_awb_success(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    rsps.post(f"{BASE}/courier/assign/awb", json=ASSIGN_OK)

    assignment = client.assign_awb(609876543, 43)

    assert (assignment.awb_code, assignment.courier_company_id, assignment.courier_name) == (
        "1411220456789",
        43,
        "Delhivery Surface",
    )
    assert _sent_json(rsps) == {"shipment_id": 609876543, "courier_id": 43}


def test_assign_awb_refusal_inside_http_200(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    body = {
        "awb_assign_status": 0,
        "response": {"data": {"awb_assign_error": "Courier not serviceable for this pincode"}},
    }
    rsps.post(f"{BASE}/courier/assign/awb", json=body)

    with pytest.raises(AwbRefused) as caught:
        client.assign_awb(609876543, 43)

    assert caught.value.courier_id == 43
    assert caught.value.reason == "Courier not serviceable for this pincode"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"message": "Oops! Cannot reassign courier for this shipment.", "status_code": 400}, "Cannot reassign"),
        (
            {"message": "Shipment is in cancelled state, AWB cannot be assigned.", "status_code": 400},
            "cancelled state",
        ),
        (
            {"message": ["Delivery pincode is empty", "Customer phone is empty"], "status_code": 400},
            "Delivery pincode is empty; Customer phone is empty",
        ),
        (["Delivery pincode is empty", "Customer phone is empty"], "Customer phone is empty"),
    ],
    ids=["cannot-reassign", "cancelled-state", "message-list", "bare-list"],
)
def test_assign_awb_400_is_a_refusal(
    rsps: responses.RequestsMock, client: ShiprocketClient, body: Any, reason: str
) -> None:
    rsps.post(f"{BASE}/courier/assign/awb", status=400, json=body)

    with pytest.raises(AwbRefused, match=reason) as caught:
        client.assign_awb(609876543, 43)

    assert caught.value.courier_id == 43


def test_assign_awb_422_is_a_request_error(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    body = {
        "message": "Required field missing",
        "errors": {"shipment_id": ["The shipment id field is required."]},
        "status_code": 422,
    }
    rsps.post(f"{BASE}/courier/assign/awb", status=422, json=body)

    with pytest.raises(ProviderRequestError) as caught:
        client.assign_awb(609876543, 43)

    assert caught.value.field_errors == {"shipment_id": ["The shipment id field is required."]}


# ----------------------------------------------------------------------------- pickup + label


def test_generate_pickup(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    body = {
        "pickup_status": 1,
        "response": {
            "pickup_scheduled_date": "2021-12-10 12:39:54",
            "pickup_token_number": "Reference No: 194_BIGFOOT 1966965_11122021",
            "status": 3,
            "others": '{"tier_id":6}',
            "pickup_generated_date": {
                "date": "2021-12-09 12:39:54.000000",
                "timezone_type": 3,
                "timezone": "Asia/Kolkata",
            },
            "data": "Pickup is confirmed by Delhivery Surface For AWB :- 1411220456789",
        },
    }
    rsps.post(f"{BASE}/courier/generate/pickup", json=body)

    pickup = client.generate_pickup(609876543)

    assert pickup.pickup_scheduled_date == "2021-12-10 12:39:54"
    assert pickup.pickup_token_number == "Reference No: 194_BIGFOOT 1966965_11122021"
    assert _sent_json(rsps) == {"shipment_id": [609876543]}


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"message": "Invalid shipment id", "status_code": 400}),
        (200, {"pickup_status": 0, "response": {"data": "Pickup could not be scheduled"}}),
    ],
    ids=["400", "pickup-status-0"],
)
def test_generate_pickup_failures(
    rsps: responses.RequestsMock, client: ShiprocketClient, status: int, body: dict[str, Any]
) -> None:
    rsps.post(f"{BASE}/courier/generate/pickup", status=status, json=body)

    with pytest.raises(ProviderRequestError):
        client.generate_pickup(609876543)


def test_generate_label(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    body = {
        "label_created": 1,
        "label_url": "https://kr-shipmultichannel.s3.ap-south-1.amazonaws.com/label.pdf",
        "response": "Label has been created and uploaded successfully!",
        "not_created": [],
    }
    rsps.post(f"{BASE}/courier/generate/label", json=body)

    label = client.generate_label(609876543)

    assert label.label_url == "https://kr-shipmultichannel.s3.ap-south-1.amazonaws.com/label.pdf"
    assert _sent_json(rsps) == {"shipment_id": [609876543]}


def test_label_created_0_inside_200_is_a_request_error(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    body = {
        "label_created": 0,
        "label_url": "",
        "response": "AWB is not assigned for this shipment",
        "not_created": [1],
    }
    rsps.post(f"{BASE}/courier/generate/label", json=body)

    with pytest.raises(ProviderRequestError, match="AWB is not assigned") as caught:
        client.generate_label(609876543)

    assert caught.value.http_status == 200


# ----------------------------------------------------------------------------- one-call wrapper


def test_forward_shipment_full_success(
    rsps: responses.RequestsMock, client: ShiprocketClient, order: ShiprocketOrder
) -> None:
    rsps.post(f"{BASE}/shipments/create/forward-shipment", json=WRAPPER_OK)

    result = client.create_forward_shipment(order, courier_id=43)

    assert (result.sr_order_id, result.shipment_id, result.order_created) == (612345678, 609876543, True)
    assert result.awb is not None
    assert (result.awb.awb_code, result.awb.courier_company_id) == ("1411220456789", 43)
    assert result.awb_refusal is None
    assert result.pickup is not None
    assert result.pickup.pickup_token_number == "Reference No: 194_BIGFOOT 1234567"
    assert result.label is not None
    assert result.label.label_url.endswith("label.pdf")
    sent = _sent_json(rsps)
    assert sent["order_id"] == "SO-01042"
    assert (sent["courier_id"], sent["request_pickup"], sent["print_label"], sent["generate_manifest"]) == (
        43,
        True,
        True,
        False,
    )


def test_forward_shipment_partial_awb_refusal(
    rsps: responses.RequestsMock, client: ShiprocketClient, order: ShiprocketOrder
) -> None:
    body = {
        "status": 0,
        "payload": {
            "order_created": 1,
            "awb_generated": 0,
            "order_id": 612345678,
            "shipment_id": 609876543,
            "awb_assign_error": "Selected courier is not serviceable",
        },
    }
    rsps.post(f"{BASE}/shipments/create/forward-shipment", json=body)

    result = client.create_forward_shipment(order, courier_id=43, request_pickup=False, print_label=False)

    assert (result.sr_order_id, result.shipment_id, result.order_created) == (612345678, 609876543, True)
    assert result.awb is None
    assert result.awb_refusal == "Selected courier is not serviceable"
    assert result.pickup is None
    assert result.label is None
    assert _sent_json(rsps)["request_pickup"] is False


def test_forward_shipment_partial_with_error_message_only(
    rsps: responses.RequestsMock, client: ShiprocketClient, order: ShiprocketOrder
) -> None:
    body = {"status": 0, "payload": {"shipment_id": 609876543, "error_message": "AWB could not be generated"}}
    rsps.post(f"{BASE}/shipments/create/forward-shipment", json=body)

    result = client.create_forward_shipment(order, courier_id=43)

    assert result.order_created
    assert (result.sr_order_id, result.shipment_id) == (None, 609876543)
    assert result.awb_refusal == "AWB could not be generated"
    assert result.error_message == "AWB could not be generated"


def test_forward_shipment_failure_without_order(
    rsps: responses.RequestsMock, client: ShiprocketClient, order: ShiprocketOrder
) -> None:
    body = {"status": 0, "payload": {"action": "Adding pickup location", "error_message": "Oops! Invalid Data."}}
    rsps.post(f"{BASE}/shipments/create/forward-shipment", json=body)

    with pytest.raises(ProviderRequestError, match=re.escape("Adding pickup location: Oops! Invalid Data.")):
        client.create_forward_shipment(order, courier_id=43)


# ----------------------------------------------------------------------------- login


def test_login_returns_the_token(rsps: responses.RequestsMock) -> None:
    body = {
        "id": 123,
        "first_name": "API",
        "last_name": "User",
        "email": "api@example.in",
        "company_id": 456,
        "created_at": "2024-01-01 10:00:00",
        "token": "eyJ.fresh.jwt",
    }
    rsps.post(f"{BASE}/auth/login", json=body)

    token = shiprocket_login(BASE + "/", "api@example.in", "s3cret-pass", session=new_session())

    assert token == "eyJ.fresh.jwt"
    assert _sent_json(rsps) == {"email": "api@example.in", "password": "s3cret-pass"}
    assert "Authorization" not in rsps.calls[0].request.headers


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, {"is_mfa_enabled": True, "user_id": 123, "is_subuser": False, "data": "OTP has been generated"}, "OTP"),
        (200, {"id": 123, "email": "api@example.in"}, "without a token"),
        (401, {"message": "Invalid email and password combination", "status_code": 401}, "login refused"),
        (400, {"message": "Invalid credentials", "status_code": 400}, "Invalid credentials"),
        (403, "<html>Request blocked</html>", "login refused"),
    ],
    ids=["mfa", "no-token", "401", "400", "403-waf"],
)
def test_login_failures_are_request_errors(rsps: responses.RequestsMock, status: int, body: Any, message: str) -> None:
    if isinstance(body, dict):
        rsps.post(f"{BASE}/auth/login", status=status, json=body)
    else:
        rsps.post(f"{BASE}/auth/login", status=status, body=body, content_type="text/html")

    with pytest.raises(ProviderRequestError, match=message) as caught:
        shiprocket_login(BASE, "api@example.in", "s3cret-pass", session=new_session())

    assert "s3cret-pass" not in str(caught.value)


def test_login_outage_is_transient(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/auth/login", body=requests.exceptions.ConnectTimeout())

    with pytest.raises(TransientError):
        shiprocket_login(BASE, "api@example.in", "s3cret-pass", session=new_session())


# ----------------------------------------------------------------------------- session + logging


def test_shared_session_is_reused_and_never_retries() -> None:
    session = shared_session()

    assert shared_session() is session
    adapter = session.get_adapter("https://apiv2.shiprocket.in")
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    assert adapter.max_retries.total == 0
    assert adapter._pool_maxsize == 10  # type: ignore[attr-defined]


def test_default_session_is_the_shared_one(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{BASE}/courier/serviceability/", json=SERVICEABILITY_OK)
    default_client = ShiprocketClient(BASE, lambda: (TOKEN, 1))

    default_client.serviceability(pickup_postcode="411001", delivery_postcode="560034", cod=True, weight_kg=0.5)

    assert default_client._session is shared_session()


def test_calls_log_the_path_template_and_status_never_secrets(
    rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture, order: ShiprocketOrder
) -> None:
    rsps.post(f"{BASE}/orders/create/adhoc", json=CREATE_OK)
    rsps.post(f"{BASE}/auth/login", json={"token": "eyJ.fresh.jwt"})
    caplog.set_level(logging.DEBUG)
    session = new_session()

    ShiprocketClient(BASE, lambda: (TOKEN, 7), session=session).create_adhoc_order(order)
    shiprocket_login(BASE, "api@example.in", "s3cret-pass", session=session)

    calls = [record for record in caplog.records if record.getMessage() == "http call"]
    assert [(r.__dict__["method"], r.__dict__["path"], r.__dict__["status"]) for r in calls] == [
        ("POST", "/orders/create/adhoc", 200),
        ("POST", "/auth/login", 200),
    ]
    everything = " ".join(str(record.__dict__) for record in caplog.records)
    for secret in (TOKEN, "eyJ.fresh.jwt", "s3cret-pass", "9876501234"):
        assert secret not in everything
