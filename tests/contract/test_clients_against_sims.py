"""The real HTTP clients against the local simulators: the same code paths production runs,
over real sockets on 127.0.0.1, so a drift between the clients and the simulators shows here."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
import requests

from local.sim.base import SimServer
from local.sim.shiprocket import DEFAULT_API_EMAIL, DEFAULT_API_PASSWORD
from local.sim.zoho import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORGANIZATION_ID,
    DEFAULT_REFRESH_TOKEN,
)
from shipsync.clients.auth import shiprocket_login, zoho_refresh_access_token
from shipsync.clients.shiprocket import ShiprocketClient
from shipsync.clients.zoho import ItemCache, ZohoAuth, ZohoClient
from shipsync.domain.india import IST
from shipsync.domain.models import ShiprocketOrder, ShiprocketOrderItem
from shipsync.errors import (
    AwbAlreadyAssigned,
    DailyCapReached,
    NotServiceable,
    ProviderRequestError,
    RateLimited,
    TokenRejected,
    TransientError,
    WalletTooLow,
)

FAST = (1.0, 5.0)


def _sim_post(server: SimServer, path: str, body: dict[str, Any]) -> Any:
    response = requests.post(f"{server.url}{path}", json=body, timeout=FAST)
    response.raise_for_status()
    return response.json()


def _sim_state(server: SimServer) -> dict[str, Any]:
    response = requests.get(f"{server.url}/_sim/state", timeout=FAST)
    response.raise_for_status()
    state: dict[str, Any] = response.json()
    return state


# =============================================================================== Shiprocket


def _base(server: SimServer) -> str:
    return f"{server.url}/v1/external"


def _logged_in_client(server: SimServer, timeout: tuple[float, float] = FAST) -> ShiprocketClient:
    token = shiprocket_login(_base(server), DEFAULT_API_EMAIL, DEFAULT_API_PASSWORD, timeout=FAST)
    return ShiprocketClient(_base(server), lambda: (token, 1), timeout=timeout)


def _first_courier_id(client: ShiprocketClient) -> int:
    quotes = client.serviceability(pickup_postcode="411001", delivery_postcode="560034", cod=True, weight_kg=0.5)
    return quotes[0].courier_company_id


def _order(order_id: str = "SO-01042", *, pincode: str = "560034", phone: str = "9876501234") -> ShiprocketOrder:
    return ShiprocketOrder(
        order_id=order_id,
        order_date="2025-01-11 16:00",
        pickup_location="Primary",
        billing_customer_name="Ananya",
        billing_last_name="Iyer",
        billing_address="No. 14, 3rd Cross, Indiranagar",
        billing_city="Bengaluru",
        billing_pincode=pincode,
        billing_state="Karnataka",
        billing_email="ananya.iyer@example.in",
        billing_phone=phone,
        order_items=[
            ShiprocketOrderItem(name="Cotton Tee Black M", sku="TEE-BLK-M", units=2, selling_price=599, tax=12)
        ],
        payment_method="COD",
        sub_total=1198,
        length=20,
        breadth=15,
        height=10,
        weight=0.5,
    )


def test_shiprocket_flow_login_quote_create_assign_pickup_label(shiprocket_sim: SimServer) -> None:
    client = _logged_in_client(shiprocket_sim)

    quotes = client.serviceability(
        pickup_postcode="411001",
        delivery_postcode="560034",
        cod=True,
        weight_kg=0.5,
        length_cm=20,
        breadth_cm=15,
        height_cm=10,
        declared_value=1198,
    )
    assert quotes
    assert all(quote.cod == 1 and quote.rate > 0 for quote in quotes)
    assert all(quote.estimated_delivery_days is not None for quote in quotes)
    courier = quotes[0]

    created = client.create_adhoc_order(_order())
    assert created.sr_order_id > 0
    assert created.shipment_id is not None
    assert created.awb_code is None
    assert not created.is_cancelled

    again = client.create_adhoc_order(_order())
    assert (again.sr_order_id, again.shipment_id, again.awb_code) == (created.sr_order_id, created.shipment_id, None)

    awb = client.assign_awb(created.shipment_id, courier.courier_company_id)
    assert awb.awb_code
    assert awb.courier_company_id == courier.courier_company_id
    assert awb.courier_name == courier.courier_name

    pickup = client.generate_pickup(created.shipment_id)
    assert pickup.pickup_scheduled_date
    assert pickup.pickup_token_number

    label = client.generate_label(created.shipment_id)
    assert label.label_url.endswith(".pdf")

    state = _sim_state(shiprocket_sim)
    (order,) = state["orders"]
    assert order["order_id"] == "SO-01042"
    assert (order["sr_order_id"], order["shipment_id"]) == (created.sr_order_id, created.shipment_id)
    assert (order["awb_code"], order["courier_company_id"]) == (awb.awb_code, courier.courier_company_id)
    assert order["request"]["billing_phone"] == "9876501234"
    assert len(state["pickups"]) == 1
    assert len(state["labels"]) == 1
    assert state["calls"]["POST /auth/login"] == 1
    assert state["calls"]["POST /orders/create/adhoc"] == 2


def test_shiprocket_errors_inside_200_and_4xx(shiprocket_sim: SimServer) -> None:
    client = _logged_in_client(shiprocket_sim)
    created = client.create_adhoc_order(_order())
    assert created.shipment_id is not None

    with pytest.raises(ProviderRequestError, match="AWB is not assigned") as label_error:
        client.generate_label(created.shipment_id)
    assert label_error.value.http_status == 200

    client.assign_awb(created.shipment_id, _first_courier_id(client))
    # A repeat is a retry whose first answer was lost: "already done", not a refusal (issue 9, gap 2).
    with pytest.raises(AwbAlreadyAssigned, match="already assigned"):
        client.assign_awb(created.shipment_id, _first_courier_id(client))
    client.generate_pickup(created.shipment_id)
    assert client.generate_pickup(created.shipment_id).already_requested

    with pytest.raises(ProviderRequestError) as invalid:
        client.create_adhoc_order(_order("SO-01043", phone="98765"))
    assert invalid.value.http_status == 422
    assert "billing_phone" in invalid.value.field_errors


def test_shiprocket_unserviceable_pincode(shiprocket_sim: SimServer) -> None:
    client = _logged_in_client(shiprocket_sim)

    with pytest.raises(NotServiceable):
        client.serviceability(pickup_postcode="411001", delivery_postcode="744301", cod=True, weight_kg=0.5)


def test_shiprocket_wallet_too_low(shiprocket_sim: SimServer) -> None:
    client = _logged_in_client(shiprocket_sim)
    created = client.create_adhoc_order(_order())
    assert created.shipment_id is not None
    courier_id = _first_courier_id(client)
    _sim_post(shiprocket_sim, "/_sim/seed", {"wallet_balance": 0})

    with pytest.raises(WalletTooLow):
        client.assign_awb(created.shipment_id, courier_id)


def test_shiprocket_one_call_wrapper(shiprocket_sim: SimServer) -> None:
    client = _logged_in_client(shiprocket_sim)
    courier_id = _first_courier_id(client)

    result = client.create_forward_shipment(_order(), courier_id=courier_id)

    assert result.order_created
    assert result.awb is not None
    assert result.awb.courier_company_id == courier_id
    assert result.awb_refusal is None
    assert result.pickup is not None
    assert result.label is not None
    (order,) = _sim_state(shiprocket_sim)["orders"]
    assert order["awb_code"] == result.awb.awb_code
    assert order["request"]["generate_manifest"] is False


def test_shiprocket_wrapper_partial_when_courier_refuses(shiprocket_sim: SimServer) -> None:
    client = _logged_in_client(shiprocket_sim)
    courier_id = _first_courier_id(client)
    _sim_post(shiprocket_sim, "/_sim/seed", {"couriers": [{"courier_company_id": courier_id, "refuse_awb": "No slot"}]})

    result = client.create_forward_shipment(_order(), courier_id=courier_id)

    assert result.order_created
    assert result.sr_order_id is not None
    assert result.shipment_id is not None
    assert result.awb is None
    assert result.awb_refusal == "No slot"


def test_shiprocket_login_refused_and_expired_token(shiprocket_sim: SimServer) -> None:
    with pytest.raises(ProviderRequestError, match="Invalid email and password"):
        shiprocket_login(_base(shiprocket_sim), DEFAULT_API_EMAIL, "wrong-password", timeout=FAST)

    client = _logged_in_client(shiprocket_sim)
    _sim_post(shiprocket_sim, "/_sim/expire-tokens", {})
    with pytest.raises(TokenRejected):
        client.serviceability(pickup_postcode="411001", delivery_postcode="560034", cod=False, weight_kg=0.5)


def test_shiprocket_injected_faults(shiprocket_sim: SimServer) -> None:
    client = _logged_in_client(shiprocket_sim)
    slow = _logged_in_client(shiprocket_sim, timeout=(1.0, 0.1))
    _sim_post(
        shiprocket_sim,
        "/_sim/faults",
        {
            "rules": [
                {
                    "endpoint": "GET /courier/serviceability/",
                    "status": 429,
                    "body": {"message": "Too Many"},
                    "times": 1,
                },
                {"endpoint": "GET /courier/serviceability/", "status": 502, "body": {"message": "Bad"}, "times": 1},
                {"endpoint": "GET /courier/serviceability/", "delay_s": 0.4, "times": 1},
            ]
        },
    )
    kwargs: dict[str, Any] = {"pickup_postcode": "411001", "delivery_postcode": "560034", "cod": True, "weight_kg": 1}

    with pytest.raises(RateLimited):
        client.serviceability(**kwargs)
    with pytest.raises(TransientError):
        client.serviceability(**kwargs)
    with pytest.raises(TransientError, match="ReadTimeout"):
        slow.serviceability(**kwargs)
    assert client.serviceability(**kwargs)


# =============================================================================== Zoho

SO_ID = "1947583000000123001"
ITEM_ID = "1947583000000045021"
LINE_ID = "1947583000000123005"

SEED = {
    "items": [
        {
            "item_id": ITEM_ID,
            "name": "Cotton Tee Black M",
            "sku": "TEE-BLK-M",
            "rate": 599.0,
            "hsn_or_sac": "61091000",
            "stock_on_hand": 40,
            "package_details": {"length": 30, "width": 20, "height": 3, "weight": 0.25, "weight_unit": "kg"},
        }
    ],
    "salesorders": [
        {
            "salesorder_id": SO_ID,
            "salesorder_number": "SO-01042",
            "customer_id": "1947583000000098011",
            "customer_name": "Ananya Iyer",
            "shipping_address": {
                "address": "No. 14, 3rd Cross, Indiranagar",
                "city": "Bengaluru",
                "state": "Karnataka",
                "zip": "560038",
                "country": "India",
                "phone": "+91 98450 12345",
            },
            "line_items": [
                {
                    "line_item_id": LINE_ID,
                    "item_id": ITEM_ID,
                    "sku": "TEE-BLK-M",
                    "name": "Cotton Tee Black M",
                    "rate": 599.0,
                    "quantity": 2,
                    "hsn_or_sac": "61091000",
                }
            ],
            "custom_fields": [
                {"api_name": "cf_payment_method", "value": "COD"},
                {"api_name": "cf_awb_number", "value": ""},
            ],
        }
    ],
}


@pytest.fixture
def zoho_sim(zoho_server: SimServer) -> SimServer:
    _sim_post(zoho_server, "/_sim/reset", {})
    _sim_post(zoho_server, "/_sim/seed", SEED)
    return zoho_server


def _zoho_client(server: SimServer, *, organization_id: str = DEFAULT_ORGANIZATION_ID) -> ZohoClient:
    minted = zoho_refresh_access_token(
        server.url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, timeout=FAST
    )
    auth = ZohoAuth(
        access_token=minted.access_token, api_domain=minted.api_domain, organization_id=organization_id, version=1
    )
    return ZohoClient(lambda: auth, timeout=FAST, item_cache=ItemCache())


def test_zoho_flow_mint_read_update_package_ship_deliver(zoho_sim: SimServer) -> None:
    minted = zoho_refresh_access_token(
        zoho_sim.url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, timeout=FAST
    )
    assert minted.api_domain == zoho_sim.url
    assert minted.expires_in == 3600
    limiter_calls: list[None] = []
    auth = ZohoAuth(
        access_token=minted.access_token,
        api_domain=minted.api_domain,
        organization_id=DEFAULT_ORGANIZATION_ID,
        version=1,
    )
    client = ZohoClient(lambda: auth, timeout=FAST, item_cache=ItemCache(), limiter=lambda: limiter_calls.append(None))

    order = client.get_salesorder(SO_ID)
    assert (order.salesorder_number, order.custom_field("cf_payment_method")) == ("SO-01042", "COD")
    assert order.line_items[0].line_item_id == LINE_ID

    item = client.get_item(ITEM_ID)
    assert client.get_item(ITEM_ID) is item
    assert item.package_details is not None
    assert item.package_details.weight == 0.25

    client.update_salesorder_custom_fields(SO_ID, {"cf_awb_number": "1411220456789", "cf_shipment_status": "Shipped"})
    package_id = client.create_package(
        SO_ID, package_number="PKG-SO-01042", date="2025-01-11", line_items=[(LINE_ID, 2)]
    )
    shipment_id = client.create_shipment_order(
        SO_ID,
        package_id,
        shipment_number="SH-SO-01042",
        date="2025-01-11",
        tracking_number="1411220456789",
        delivery_method="Delhivery Surface",
        tracking_link="https://shiprocket.co/tracking/1411220456789",
    )
    client.mark_shipment_delivered(shipment_id, "2025-01-14 18:30")
    client.mark_shipment_delivered(shipment_id, "2025-01-14 18:30")

    state = _sim_state(zoho_sim)
    (stored,) = state["salesorders"]
    assert stored["custom_field_hash"]["cf_awb_number"] == "1411220456789"
    assert stored["custom_field_hash"]["cf_shipment_status"] == "Shipped"
    (package,) = state["packages"]
    assert (package["package_id"], package["package_number"]) == (package_id, "PKG-SO-01042")
    (shipment,) = state["shipmentorders"]
    assert shipment["shipment_id"] == shipment_id
    assert (shipment["tracking_number"], shipment["carrier"], shipment["status"]) == (
        "1411220456789",
        "Delhivery Surface",
        "delivered",
    )
    (stock,) = state["items"]
    assert stock["stock_on_hand"] == 38
    calls = state["calls"]
    assert calls["GET /inventory/v1/items/{item_id}"] == 1
    assert calls["POST /inventory/v1/shipmentorders/{shipment_id}/status/delivered"] == 2
    api_calls = sum(count for endpoint, count in calls.items() if "/inventory/v1/" in endpoint)
    assert len(limiter_calls) == api_calls == 7


def test_zoho_wrong_organization_and_bad_token(zoho_sim: SimServer) -> None:
    with pytest.raises(ProviderRequestError) as wrong_org:
        _zoho_client(zoho_sim, organization_id="60099999999").get_salesorder(SO_ID)
    assert (wrong_org.value.code, wrong_org.value.http_status) == (6041, 400)

    stale = ZohoAuth(access_token="1000.revoked.x", api_domain=zoho_sim.url, organization_id=DEFAULT_ORGANIZATION_ID)
    with pytest.raises(TokenRejected) as rejected:
        ZohoClient(lambda: stale, timeout=FAST).get_salesorder(SO_ID)
    assert rejected.value.provider == "zoho"

    with pytest.raises(ProviderRequestError) as missing:
        _zoho_client(zoho_sim).get_salesorder("404404")
    assert missing.value.http_status == 404


def test_zoho_rate_limits(zoho_sim: SimServer) -> None:
    client = _zoho_client(zoho_sim)
    _sim_post(zoho_sim, "/_sim/seed", {"per_minute_limit": 1})
    client.get_salesorder(SO_ID)
    with pytest.raises(RateLimited):
        client.get_salesorder(SO_ID)

    _sim_post(zoho_sim, "/_sim/seed", {"per_minute_limit": 100, "daily_cap": 1})
    with pytest.raises(DailyCapReached) as refused:
        client.get_salesorder(SO_ID)
    # The refusal's headers say when the organisation's day resets (midnight IST in the simulator): the work waits.
    midnight = datetime.combine(datetime.now(IST).date() + timedelta(days=1), time(0), IST).timestamp()
    assert refused.value.resets_at == pytest.approx(midnight, abs=5)

    # The simulator's next day, started now: the count starts again and the next reset is a day away.
    _sim_post(zoho_sim, "/_sim/seed", {"daily_cap": 3, "new_day": True})
    client.get_salesorder(SO_ID)
    assert client.daily_calls_left() == 2
    client.get_salesorder(SO_ID)
    client.get_salesorder(SO_ID)
    with pytest.raises(DailyCapReached) as refused_again:
        client.get_salesorder(SO_ID)
    assert refused_again.value.resets_at == pytest.approx(datetime.now(IST).timestamp() + 86400, abs=10)


def test_zoho_token_mint_refusals_and_throttle(zoho_sim: SimServer) -> None:
    with pytest.raises(ProviderRequestError, match="invalid_code"):
        zoho_refresh_access_token(zoho_sim.url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, "1000.unknown", timeout=FAST)
    with pytest.raises(ProviderRequestError, match="invalid_client_secret"):
        zoho_refresh_access_token(zoho_sim.url, DEFAULT_CLIENT_ID, "wrong", DEFAULT_REFRESH_TOKEN, timeout=FAST)

    for _ in range(10):
        zoho_refresh_access_token(
            zoho_sim.url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, timeout=FAST
        )
    with pytest.raises(RateLimited):
        zoho_refresh_access_token(
            zoho_sim.url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, timeout=FAST
        )
