"""ShiprocketClient tracking, NDR and return orders against realistic bodies.

See docs/providers/shiprocket.md §7, §9, §12.
"""

from __future__ import annotations

import inspect
import json
import logging
from typing import Any

import pytest
import responses

from shipsync.clients.http import new_session
from shipsync.clients.shiprocket import MAX_TRACKED_AWBS, ShiprocketClient, is_order_id_taken
from shipsync.domain.models import ShiprocketOrderItem, ShiprocketReturnOrder
from shipsync.errors import (
    OrderIdTaken,
    ProviderRequestError,
    RateLimited,
    TokenRejected,
    TransientError,
    WalletTooLow,
)
from shipsync.ports import ShiprocketReturnsApi, ShiprocketTrackingApi

BASE = "https://apiv2.shiprocket.in/v1/external"
TOKEN = "eyJ.secret-jwt.sig"
AWB = "1411220456789"
OTHER_AWB = "1411220456790"

# GET /courier/track/awb/{awb} shape (docs/providers/shiprocket.md §7), as each value of the bulk answer carries it.
TRACKING_DATA: dict[str, Any] = {
    "track_status": 1,
    "shipment_status": 7,
    "shipment_track": [
        {
            "id": 236612717,
            "awb_code": AWB,
            "courier_company_id": 43,
            "shipment_id": 609876543,
            "order_id": 612345678,
            "pickup_date": "2025-01-12 14:20:11",
            "delivered_date": "2025-01-14 18:30:02",
            "weight": "0.5",
            "packages": 1,
            "current_status": "Delivered",
            "destination": "Bengaluru",
            "origin": "Pune",
            "courier_name": "Delhivery Surface",
            "edd": None,
            "pod": "Available",
            "pod_status": "OTP Based Delivery",
        }
    ],
    "shipment_track_activities": [
        {
            "date": "2025-01-14 18:30:02",
            "status": "DLVD",
            "activity": "Delivered",
            "location": "Bengaluru_Koramangala_DC (Karnataka)",
            "sr-status": "7",
            "sr-status-label": "DELIVERED",
        },
        {
            "date": "2025-01-12 14:20:11",
            "status": "X-PPOM",
            "activity": "In Transit - Shipment picked up",
            "location": "Pune_Hadapsar_D (Maharashtra)",
            "sr-status": "NA",
            "sr-status-label": "NA",
        },
    ],
    "track_url": f"https://shiprocket.co/tracking/{AWB}",
    "etd": "2025-01-14 20:00:00",
}
NO_SCANS = {
    "track_status": 0,
    "error": "Aahh! There is no activities found in our DB. Please have some patience it will be updated soon.",
}
RETURN_CREATED = {
    "order_id": 170872392,
    "shipment_id": 170411259,
    "status": "RETURN PENDING",
    "status_code": 21,
    "company_name": "Acme Apparel",
}
ORDER_ID_TAKEN_422 = {
    "message": "The given data was invalid.",
    "errors": {"order_id": ["The order id has already been taken."]},
    "status_code": 422,
}


@pytest.fixture
def client() -> ShiprocketClient:
    return ShiprocketClient(BASE, lambda: (TOKEN, 7), session=new_session())


@pytest.fixture
def return_order() -> ShiprocketReturnOrder:
    return ShiprocketReturnOrder(
        order_id="R-SO-01042",
        order_date="2025-01-20 11:00",
        pickup_customer_name="Ananya",
        pickup_last_name="Iyer",
        pickup_address="No. 14, 3rd Cross, Indiranagar",
        pickup_city="Bengaluru",
        pickup_state="Karnataka",
        pickup_pincode="560038",
        pickup_email="ananya.iyer@example.in",
        pickup_phone="9845012345",
        shipping_customer_name="Acme Warehouse",
        shipping_address="Plot 7, Hadapsar Industrial Estate",
        shipping_city="Pune",
        shipping_state="Maharashtra",
        shipping_pincode="411013",
        shipping_phone="9876501234",
        order_items=[ShiprocketOrderItem(name="Cotton Tee Black M", sku="TEE-BLK-M", units=1, selling_price=599)],
        sub_total=599,
        length=20,
        breadth=15,
        height=3,
        weight=0.3,
    )


def _sent_json(rsps: responses.RequestsMock, index: int = 0) -> Any:
    body = rsps.calls[index].request.body
    assert body is not None
    return json.loads(body)


@pytest.mark.parametrize("protocol", [ShiprocketTrackingApi, ShiprocketReturnsApi])
def test_client_implements_the_issue_3_protocols(protocol: type) -> None:
    members = [name for name, value in vars(protocol).items() if callable(value) and not name.startswith("_")]

    assert members
    for name in members:
        expected = inspect.signature(getattr(protocol, name)).parameters
        actual = inspect.signature(getattr(ShiprocketClient, name)).parameters
        assert [(p.name, p.kind, p.default) for p in actual.values()] == [
            (p.name, p.kind, p.default) for p in expected.values()
        ], name


# ----------------------------------------------------------------------------- track_awbs


def test_track_awbs_returns_each_awbs_tracking_data(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    rsps.post(
        f"{BASE}/courier/track/awbs",
        json={AWB: {"tracking_data": TRACKING_DATA}, OTHER_AWB: {"tracking_data": NO_SCANS}},
    )

    tracked = client.track_awbs([AWB, OTHER_AWB])

    assert tracked == {AWB: TRACKING_DATA, OTHER_AWB: NO_SCANS}
    assert _sent_json(rsps) == {"awbs": [AWB, OTHER_AWB]}
    request = rsps.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_track_awbs_sends_each_awb_once(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    rsps.post(f"{BASE}/courier/track/awbs", json={AWB: {"tracking_data": TRACKING_DATA}})

    assert list(client.track_awbs([AWB, AWB])) == [AWB]
    assert _sent_json(rsps) == {"awbs": [AWB]}


def test_track_awbs_allows_fifty_and_refuses_more_before_calling(
    rsps: responses.RequestsMock, client: ShiprocketClient
) -> None:
    fifty = [str(1411220400000 + n) for n in range(MAX_TRACKED_AWBS)]
    rsps.post(f"{BASE}/courier/track/awbs", json={fifty[0]: {"tracking_data": NO_SCANS}})

    assert client.track_awbs(fifty) == {fifty[0]: NO_SCANS}
    with pytest.raises(ValueError, match="at most 50"):
        client.track_awbs([*fifty, "1411220499999"])
    assert len(rsps.calls) == 1


def test_track_awbs_without_awbs_calls_nothing(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    assert client.track_awbs([]) == {}
    assert len(rsps.calls) == 0


def test_track_awbs_skips_missing_and_unreadable_entries(
    rsps: responses.RequestsMock, client: ShiprocketClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    rsps.post(
        f"{BASE}/courier/track/awbs",
        json={
            AWB: {"tracking_data": TRACKING_DATA},
            "1411220456791": "not found",
            "1411220456792": {"tracking_data": None},
            "1411220456793": ["unexpected"],
            "9999999999999": {"tracking_data": NO_SCANS},
        },
    )

    tracked = client.track_awbs([AWB, OTHER_AWB, "1411220456791", "1411220456792", "1411220456793"])

    # Only the AWBs asked for, and only readable ones; an AWB nobody asked for is ignored.
    assert tracked == {AWB: TRACKING_DATA}
    warnings = [record.__dict__.get("awb") for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == ["1411220456791", "1411220456792", "1411220456793"]
    (missing,) = [r for r in caplog.records if r.getMessage() == "awbs missing from tracking answer"]
    assert (missing.__dict__["missing"], missing.__dict__["asked"]) == (1, 5)


@pytest.mark.parametrize("body", [[{"tracking_data": TRACKING_DATA}], "ok"])
def test_track_awbs_answer_that_is_not_an_object_is_a_request_error(
    rsps: responses.RequestsMock, client: ShiprocketClient, body: Any
) -> None:
    rsps.post(f"{BASE}/courier/track/awbs", json=body)

    with pytest.raises(ProviderRequestError) as error:
        client.track_awbs([AWB])
    assert error.value.http_status == 200


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, {"message": "Unauthenticated.", "status_code": 401}, TokenRejected),
        (429, {"message": "Too Many Attempts."}, RateLimited),
        (502, {"message": "Bad Gateway"}, TransientError),
        (422, {"message": "The awbs field is required.", "errors": {"awbs": ["required"]}}, ProviderRequestError),
        (200, {"message": "Invalid argument supplied for foreach()", "status_code": 500}, TransientError),
    ],
)
def test_track_awbs_error_model(
    rsps: responses.RequestsMock, client: ShiprocketClient, status: int, body: Any, expected: type[Exception]
) -> None:
    rsps.post(f"{BASE}/courier/track/awbs", status=status, json=body)

    with pytest.raises(expected):
        client.track_awbs([AWB])


# ----------------------------------------------------------------------------- ndr_action


@pytest.mark.parametrize("action", ["re-attempt", "return", "fake-attempt"])
def test_ndr_action_posts_action_and_comments(
    rsps: responses.RequestsMock, client: ShiprocketClient, action: str
) -> None:
    rsps.post(f"{BASE}/ndr/{AWB}/action", status=202, json={"status": "Data Updated Sucessfully"})

    client.ndr_action(AWB, action, "NDR rule: attempt 1")

    assert _sent_json(rsps) == {"action": action, "comments": "NDR rule: attempt 1"}


@pytest.mark.parametrize("action", ["reattempt", "RTO", "", "Return"])
def test_ndr_action_refuses_unknown_actions_before_calling(
    rsps: responses.RequestsMock, client: ShiprocketClient, action: str
) -> None:
    with pytest.raises(ValueError, match="NDR action must be one of"):
        client.ndr_action(AWB, action, "comment")
    assert len(rsps.calls) == 0


def test_ndr_action_needs_an_awb(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    with pytest.raises(ValueError, match="needs an AWB"):
        client.ndr_action("", "return", "comment")
    assert len(rsps.calls) == 0


@pytest.mark.parametrize(
    ("status", "body", "expected", "http_status"),
    [
        (
            422,
            {"message": "The comments field is required.", "errors": {"comments": ["required"]}, "status_code": 422},
            ProviderRequestError,
            422,
        ),
        (404, {"message": "404 Not Found", "status_code": 404}, ProviderRequestError, 404),
        (200, {"message": "NDR action already taken", "status_code": 400}, ProviderRequestError, 400),
        # A 2xx without the documented confirmation did not act on the shipment.
        (202, {"message": "Something went wrong"}, ProviderRequestError, 200),
        (202, {"status": False}, ProviderRequestError, 200),
        (401, {"message": "Unauthenticated."}, TokenRejected, None),
        (429, {"message": "Too Many Attempts."}, RateLimited, None),
        (500, {"message": "Server Error"}, TransientError, None),
    ],
)
def test_ndr_action_errors(
    rsps: responses.RequestsMock,
    client: ShiprocketClient,
    status: int,
    body: Any,
    expected: type[Exception],
    http_status: int | None,
) -> None:
    rsps.post(f"{BASE}/ndr/{AWB}/action", status=status, json=body)

    with pytest.raises(expected) as error:
        client.ndr_action(AWB, "re-attempt", "customer asked for evening delivery")
    if http_status is not None:
        assert isinstance(error.value, ProviderRequestError)
        assert error.value.http_status == http_status


def test_ndr_action_logs_the_path_template_not_the_awb(
    rsps: responses.RequestsMock, client: ShiprocketClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    rsps.post(f"{BASE}/ndr/{AWB}/action", status=202, json={"status": "Data Updated Sucessfully"})

    client.ndr_action(AWB, "return", "two failed attempts")

    (call,) = [record for record in caplog.records if record.getMessage() == "http call"]
    assert (call.__dict__["path"], call.__dict__["status"]) == ("/ndr/{awb}/action", 202)


# ----------------------------------------------------------------------------- create_return_order


def test_create_return_order_sends_the_order_and_reads_ids(
    rsps: responses.RequestsMock, client: ShiprocketClient, return_order: ShiprocketReturnOrder
) -> None:
    rsps.post(f"{BASE}/orders/create/return", json=RETURN_CREATED)

    created = client.create_return_order(return_order)

    assert (created.sr_order_id, created.shipment_id) == (170872392, 170411259)
    assert (created.status, created.status_code) == ("RETURN PENDING", 21)
    assert created.awb_code is None
    assert not created.is_cancelled
    sent = _sent_json(rsps)
    assert sent == return_order.model_dump()
    assert (sent["pickup_pincode"], sent["shipping_pincode"], sent["payment_method"]) == (
        "560038",
        "411013",
        "Prepaid",
    )


def test_create_return_order_duplicate_is_a_422_with_field_errors(
    rsps: responses.RequestsMock, client: ShiprocketClient, return_order: ShiprocketReturnOrder
) -> None:
    rsps.post(f"{BASE}/orders/create/return", status=422, json=ORDER_ID_TAKEN_422)

    with pytest.raises(ProviderRequestError) as error:
        client.create_return_order(return_order)

    assert error.value.http_status == 422
    assert error.value.field_errors == {"order_id": ["The order id has already been taken."]}
    assert is_order_id_taken(error.value)
    assert isinstance(error.value, OrderIdTaken)  # the type callers decide by


@pytest.mark.parametrize(
    ("error", "taken"),
    [
        (ProviderRequestError("shiprocket", "The order id has already been taken.", http_status=422), True),
        (
            ProviderRequestError(
                "shiprocket",
                "invalid data",
                http_status=422,
                field_errors={"pickup_phone": ["The pickup phone must be 10 digits."]},
            ),
            False,
        ),
        (ProviderRequestError("shiprocket", "The order id has already been taken.", http_status=200), False),
    ],
)
def test_is_order_id_taken(error: ProviderRequestError, taken: bool) -> None:
    assert is_order_id_taken(error) is taken


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            422,
            {
                "message": "The given data was invalid.",
                "errors": {"pickup_phone": ["The pickup phone must be 10 digits."]},
            },
            ProviderRequestError,
        ),
        (200, {"message": "Wallet balance is low", "status_code": 350}, WalletTooLow),
        (200, {"message": "Something happened"}, ProviderRequestError),
        (401, {"message": "Unauthenticated."}, TokenRejected),
        (503, {"message": "Service Unavailable"}, TransientError),
    ],
)
def test_create_return_order_errors(
    rsps: responses.RequestsMock,
    client: ShiprocketClient,
    return_order: ShiprocketReturnOrder,
    status: int,
    body: Any,
    expected: type[Exception],
) -> None:
    rsps.post(f"{BASE}/orders/create/return", status=status, json=body)

    with pytest.raises(expected) as error:
        client.create_return_order(return_order)
    if isinstance(error.value, ProviderRequestError):
        assert not is_order_id_taken(error.value)
