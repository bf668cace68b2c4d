"""ZohoClient and zoho_refresh_access_token against realistic bodies with the published field names.

See docs/providers/zoho.md.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from shipsync.clients.auth import zoho_refresh_access_token
from shipsync.clients.http import new_session
from shipsync.clients.zoho import ItemCache, ZohoAuth, ZohoClient, transport
from shipsync.errors import DailyCapReached, ProviderRequestError, RateLimited, TokenRejected, TransientError
from shipsync.ports import DayBudget
from tests.fixtures.reference import zoho_item_a, zoho_salesorder_a

API = "https://www.zohoapis.in"
ACCOUNTS = "https://accounts.zoho.in"
ORG = "60012345678"
TOKEN = "1000.secret-access.token"
SO_ID = "1947583000000123001"
ITEM_ID = "1947583000000045021"

SALESORDER = {"code": 0, "message": "success", "salesorder": zoho_salesorder_a()}
# The item as Zoho may send it: a numeric HSN and the package in grams with a dimension unit.
ITEM = {
    "code": 0,
    "message": "success",
    "item": zoho_item_a(
        hsn_or_sac=61091000,
        package_details={
            "length": 30,
            "width": 20,
            "height": 3,
            "weight": 250,
            "weight_unit": "g",
            "dimension_unit": "cm",
        },
    ),
}


def _auth(organization_id: str = ORG) -> ZohoAuth:
    return ZohoAuth(access_token=TOKEN, api_domain=API, organization_id=organization_id, version=3)


@pytest.fixture
def client() -> ZohoClient:
    return ZohoClient(_auth, session=new_session(), item_cache=ItemCache())


def _query(rsps: responses.RequestsMock, index: int = 0) -> dict[str, list[str]]:
    url = rsps.calls[index].request.url
    assert url is not None
    return parse_qs(urlsplit(url).query)


def _sent_json(rsps: responses.RequestsMock, index: int = 0) -> Any:
    body = rsps.calls[index].request.body
    assert body is not None
    return json.loads(body)


# ----------------------------------------------------------------------------- endpoints


def test_get_salesorder(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    rsps.get(f"{API}/inventory/v1/salesorders/{SO_ID}", json=SALESORDER)

    order = client.get_salesorder(SO_ID)

    assert (order.salesorder_id, order.salesorder_number, order.total) == (SO_ID, "SO-01042", 1341.76)
    assert order.custom_field("cf_payment_method") == "COD"
    assert order.shipping_address is not None
    assert order.shipping_address.zip == "560038"
    assert order.line_items[0].line_item_id == "1947583000000123005"
    request = rsps.calls[0].request
    assert request.headers["Authorization"] == f"Zoho-oauthtoken {TOKEN}"
    assert _query(rsps) == {"organization_id": [ORG]}


def test_api_base_override_replaces_api_domain(rsps: responses.RequestsMock) -> None:
    rsps.get(f"http://127.0.0.1:9999/inventory/v1/salesorders/{SO_ID}", json=SALESORDER)
    client = ZohoClient(_auth, api_base_override="http://127.0.0.1:9999/", session=new_session())

    assert client.get_salesorder(SO_ID).salesorder_id == SO_ID


def test_get_item_is_cached_per_organization(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{API}/inventory/v1/items/{ITEM_ID}", json=ITEM)
    cache = ItemCache()
    org_a = ZohoClient(_auth, session=new_session(), item_cache=cache)
    org_b = ZohoClient(lambda: _auth("60099999999"), session=new_session(), item_cache=cache)

    first = org_a.get_item(ITEM_ID)
    second = org_a.get_item(ITEM_ID)
    org_b.get_item(ITEM_ID)

    assert first is second
    assert first.hsn_or_sac == "61091000"
    assert first.package_details is not None
    assert (first.package_details.weight, first.package_details.weight_unit) == (250, "g")
    assert len(rsps.calls) == 2
    assert [_query(rsps, i)["organization_id"] for i in range(2)] == [[ORG], ["60099999999"]]


def test_item_cache_expires_after_its_ttl(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{API}/inventory/v1/items/{ITEM_ID}", json=ITEM)
    now = [1000.0]
    client = ZohoClient(_auth, session=new_session(), item_cache=ItemCache(ttl_s=900, clock=lambda: now[0]))

    client.get_item(ITEM_ID)
    now[0] += 899
    client.get_item(ITEM_ID)
    assert len(rsps.calls) == 1
    now[0] += 2
    client.get_item(ITEM_ID)
    assert len(rsps.calls) == 2


def test_update_salesorder_custom_fields(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    rsps.put(f"{API}/inventory/v1/salesorders/{SO_ID}", json={**SALESORDER, "message": "Sales Order has been updated."})

    client.update_salesorder_custom_fields(SO_ID, {"cf_awb_number": "1411220456789", "cf_shipment_status": "Shipped"})

    assert rsps.calls[0].request.headers["Content-Type"] == "application/json"
    assert _sent_json(rsps) == {
        "custom_fields": [
            {"api_name": "cf_awb_number", "value": "1411220456789"},
            {"api_name": "cf_shipment_status", "value": "Shipped"},
        ]
    }


def test_create_package(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    body = {
        "code": 0,
        "message": "Package created successfully. It's now time to ship!",
        "package": {"package_id": 1947583000000140001, "package_number": "PKG-SO-01042", "salesorder_id": SO_ID},
    }
    rsps.post(f"{API}/inventory/v1/packages", status=201, json=body)

    package_id = client.create_package(
        SO_ID, package_number="PKG-SO-01042", date="2024-06-02", line_items=[("1947583000000123005", 2)]
    )

    assert package_id == "1947583000000140001"
    assert _query(rsps) == {
        "organization_id": [ORG],
        "salesorder_id": [SO_ID],
        "ignore_auto_number_generation": ["true"],
    }
    assert _sent_json(rsps) == {
        "date": "2024-06-02",
        "package_number": "PKG-SO-01042",
        "line_items": [{"so_line_item_id": "1947583000000123005", "quantity": 2}],
    }


@pytest.mark.parametrize("key", ["shipment_order", "shipmentorder"])
def test_create_shipment_order_accepts_both_response_keys(
    rsps: responses.RequestsMock, client: ZohoClient, key: str
) -> None:
    body = {
        "code": 0,
        "message": "Shipment created successfully.",
        key: {"shipment_id": "1947583000000150001", "shipment_number": "SH-01042", "status": "shipped"},
    }
    rsps.post(f"{API}/inventory/v1/shipmentorders", status=201, json=body)

    shipment_id = client.create_shipment_order(
        SO_ID,
        "1947583000000140001",
        shipment_number="SH-01042",
        date="2024-06-02",
        tracking_number="1411220456789",
        delivery_method="Delhivery Surface",
        tracking_link="https://shiprocket.co/tracking/1411220456789",
    )

    assert shipment_id == "1947583000000150001"
    assert _query(rsps) == {"organization_id": [ORG], "salesorder_id": [SO_ID], "package_ids": ["1947583000000140001"]}
    assert _sent_json(rsps) == {
        "shipment_number": "SH-01042",
        "date": "2024-06-02",
        "delivery_method": "Delhivery Surface",
        "tracking_number": "1411220456789",
        "tracking_link": "https://shiprocket.co/tracking/1411220456789",
    }


def test_create_shipment_order_without_entity_is_a_request_error(
    rsps: responses.RequestsMock, client: ZohoClient
) -> None:
    rsps.post(f"{API}/inventory/v1/shipmentorders", status=201, json={"code": 0, "message": "ok"})

    with pytest.raises(ProviderRequestError, match="shipmentorder"):
        client.create_shipment_order(
            SO_ID, "1", shipment_number="SH-1", date="2024-06-02", tracking_number="1", delivery_method="Courier"
        )
    assert "tracking_link" not in _sent_json(rsps)


def test_mark_shipment_delivered_and_repeat(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    url = f"{API}/inventory/v1/shipmentorders/1947583000000150001/status/delivered"
    rsps.post(url, json={"code": 0, "message": "The Shipment Order has been marked as Delivered."})
    rsps.post(url, status=400, json={"code": 37135, "message": "The shipment has already been delivered."})

    client.mark_shipment_delivered("1947583000000150001", "2024-06-03 14:05")
    client.mark_shipment_delivered("1947583000000150001")

    assert _sent_json(rsps) == {"delivered_date": "2024-06-03 14:05"}
    assert rsps.calls[1].request.body is None


def test_mark_shipment_delivered_other_errors_raise(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    url = f"{API}/inventory/v1/shipmentorders/1/status/delivered"
    rsps.post(url, status=404, json={"code": 1002, "message": "Shipment does not exist."})

    with pytest.raises(ProviderRequestError) as caught:
        client.mark_shipment_delivered("1")

    assert (caught.value.code, caught.value.http_status) == (1002, 404)


def test_every_call_carries_organization_id_and_passes_the_limiter(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{API}/inventory/v1/salesorders/{SO_ID}", json=SALESORDER)
    rsps.get(f"{API}/inventory/v1/items/{ITEM_ID}", json=ITEM)
    rsps.put(f"{API}/inventory/v1/salesorders/{SO_ID}", json=SALESORDER)
    rsps.post(f"{API}/inventory/v1/packages", status=201, json={"code": 0, "package": {"package_id": "11"}})
    rsps.post(
        f"{API}/inventory/v1/shipmentorders", status=201, json={"code": 0, "shipmentorder": {"shipment_id": "22"}}
    )
    rsps.post(f"{API}/inventory/v1/shipmentorders/22/status/delivered", json={"code": 0, "message": "ok"})
    limiter_calls: list[int] = []
    client = ZohoClient(
        _auth, session=new_session(), item_cache=ItemCache(), limiter=lambda: limiter_calls.append(len(rsps.calls))
    )

    client.get_salesorder(SO_ID)
    client.get_item(ITEM_ID)
    client.update_salesorder_custom_fields(SO_ID, {"cf_awb_number": "1"})
    client.create_package(SO_ID, package_number="P1", date="2024-06-02", line_items=[("5", 1)])
    client.create_shipment_order(
        SO_ID, "11", shipment_number="S1", date="2024-06-02", tracking_number="1", delivery_method="Courier"
    )
    client.mark_shipment_delivered("22")

    assert len(rsps.calls) == 6
    for index in range(6):
        assert _query(rsps, index)["organization_id"] == [ORG]
        assert rsps.calls[index].request.headers["Authorization"] == f"Zoho-oauthtoken {TOKEN}"
    # Called before each request went out.
    assert limiter_calls == [0, 1, 2, 3, 4, 5]


# ----------------------------------------------------------------------------- error model


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"code": 57, "message": "You are not authorized to perform this operation"}, TokenRejected),
        (401, {"code": 14, "message": "Invalid OAuth token."}, TokenRejected),
        (401, "", TokenRejected),
        (
            429,
            {
                "code": 44,
                "message": "For security reasons your organization has been blocked as it have exceeded the maximum "
                "number of requests per minute that can originate from an organization.",
            },
            RateLimited,
        ),
        (429, {"code": 1070, "message": "You have exceeded the maximum number of in process requests."}, RateLimited),
        (
            429,
            {
                "code": 45,
                "message": "The API call for this organization has exceeded the maximum call rate limit of 1000.",
            },
            DailyCapReached,
        ),
        (500, {"code": 1, "message": "Internal error"}, TransientError),
        (503, "<html>Service unavailable</html>", TransientError),
    ],
    ids=["401-57", "401-14", "401-empty", "429-44", "429-1070", "429-45", "500", "503-html"],
)
def test_retryable_errors(
    rsps: responses.RequestsMock, client: ZohoClient, status: int, body: Any, error: type[Exception]
) -> None:
    if isinstance(body, dict):
        rsps.get(f"{API}/inventory/v1/salesorders/{SO_ID}", status=status, json=body)
    else:
        rsps.get(f"{API}/inventory/v1/salesorders/{SO_ID}", status=status, body=body, content_type="text/html")

    with pytest.raises(error) as caught:
        client.get_salesorder(SO_ID)

    assert type(caught.value) is error
    if isinstance(caught.value, TokenRejected):
        assert (caught.value.provider, caught.value.version) == ("zoho", 3)


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (400, {"code": 6041, "message": f"This user is not associated with the CompanyID/CompanyName:{ORG}."}, 6041),
        (400, {"code": 2, "message": "Invalid value passed for salesorder_id"}, 2),
        (404, {"code": 1002, "message": "Sales order does not exist."}, 1002),
        (200, {"code": 1038, "message": "JSON is not well formed"}, 1038),
        (404, "<html>Not Found</html>", None),
    ],
    ids=["400-6041", "400-2", "404-1002", "code-in-200", "404-html"],
)
def test_request_errors(
    rsps: responses.RequestsMock, client: ZohoClient, status: int, body: Any, code: int | None
) -> None:
    if isinstance(body, dict):
        rsps.get(f"{API}/inventory/v1/salesorders/{SO_ID}", status=status, json=body)
    else:
        rsps.get(f"{API}/inventory/v1/salesorders/{SO_ID}", status=status, body=body, content_type="text/html")

    with pytest.raises(ProviderRequestError) as caught:
        client.get_salesorder(SO_ID)

    assert (caught.value.provider, caught.value.code, caught.value.http_status) == ("zoho", code, status)


def test_unexpected_salesorder_shape_names_fields_not_values(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    broken = {"code": 0, "salesorder": {"salesorder_id": SO_ID, "line_items": [{"name": "+91 98450 12345"}]}}
    rsps.get(f"{API}/inventory/v1/salesorders/{SO_ID}", json=broken)

    with pytest.raises(ProviderRequestError, match="salesorder_number") as caught:
        client.get_salesorder(SO_ID)

    assert "98450" not in str(caught.value)


@pytest.mark.parametrize(
    "exc",
    [requests.exceptions.ConnectTimeout(), requests.exceptions.ReadTimeout(), requests.exceptions.ConnectionError()],
)
def test_network_failures_are_transient(rsps: responses.RequestsMock, client: ZohoClient, exc: Exception) -> None:
    rsps.get(f"{API}/inventory/v1/salesorders/{SO_ID}", body=exc)

    with pytest.raises(TransientError, match=re.escape("/inventory/v1/salesorders/{salesorder_id}")):
        client.get_salesorder(SO_ID)


def test_rate_limit_remaining_is_logged_at_debug(
    rsps: responses.RequestsMock, client: ZohoClient, caplog: pytest.LogCaptureFixture
) -> None:
    rsps.get(
        f"{API}/inventory/v1/salesorders/{SO_ID}",
        json=SALESORDER,
        headers={"X-Rate-Limit-Limit": "10000", "X-Rate-Limit-Remaining": "9876", "X-Rate-Limit-Reset": "3600"},
    )
    # Powertools child loggers carry their own level (INFO unless POWERTOOLS_LOG_LEVEL says otherwise).
    caplog.set_level(logging.DEBUG, logger=transport.logger.name)

    client.get_salesorder(SO_ID)

    limits = [r for r in caplog.records if "rate_limit_remaining" in r.__dict__]
    assert [(r.levelno, r.__dict__["rate_limit_remaining"]) for r in limits] == [(logging.DEBUG, "9876")]
    everything = " ".join(str(record.__dict__) for record in caplog.records)
    assert TOKEN not in everything
    assert "98450" not in everything


def test_the_days_calls_left_are_zoho_s_last_answer_until_its_reset(
    rsps: responses.RequestsMock, client: ZohoClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (client.daily_calls_left(), client.daily_calls_cap()) == (None, None)  # nothing heard yet
    rsps.get(
        f"{API}/inventory/v1/salesorders/{SO_ID}",
        json=SALESORDER,
        headers={"X-Rate-Limit-Limit": "2000", "X-Rate-Limit-Remaining": "412", "X-Rate-Limit-Reset": "3600"},
    )
    client.get_salesorder(SO_ID)
    assert (client.daily_calls_left(), client.daily_calls_cap()) == (412, 2000)

    later = transport.time.time() + 3601
    monkeypatch.setattr(transport.time, "time", lambda: later)
    # Past the reset the count is a new day's, not known until the next answer.
    assert client.daily_calls_left() is None


class SharedBudget:
    """The stack's budget as DynamoDailyBudget keeps it: the lowest count of the day."""

    def __init__(self, *, broken: bool = False) -> None:
        self.kept: DayBudget | None = None
        self.broken = broken

    def record(self, budget: DayBudget) -> None:
        if self.broken:
            raise RuntimeError("DynamoDB is away")
        if self.kept is None or budget.remaining < self.kept.remaining:
            self.kept = budget

    def current(self) -> DayBudget | None:
        if self.broken:
            raise RuntimeError("DynamoDB is away")
        return self.kept


def test_the_days_calls_left_are_the_stacks_lowest_count_not_only_this_processs(rsps: responses.RequestsMock) -> None:
    shared = SharedBudget()
    heard, other = (ZohoClient(_auth, session=new_session(), item_cache=ItemCache(), budget=shared) for _ in range(2))
    limits = {"X-Rate-Limit-Limit": "2000", "X-Rate-Limit-Remaining": "412", "X-Rate-Limit-Reset": "3600"}
    rsps.get(f"{API}/inventory/v1/salesorders/{SO_ID}", json=SALESORDER, headers=limits)

    heard.get_salesorder(SO_ID)

    # Another function that has not called Zoho yet knows the stack's count.
    assert (other.daily_calls_left(), other.daily_calls_cap()) == (412, 2000)
    assert shared.kept is not None
    assert shared.kept.remaining == 412


def test_a_later_days_count_heard_by_another_function_replaces_this_processs_count_of_yesterday(
    rsps: responses.RequestsMock,
) -> None:
    shared = SharedBudget()
    client = ZohoClient(_auth, session=new_session(), item_cache=ItemCache(), budget=shared)
    limits = {"X-Rate-Limit-Limit": "2000", "X-Rate-Limit-Remaining": "12", "X-Rate-Limit-Reset": "3600"}
    rsps.get(f"{API}/inventory/v1/salesorders/{SO_ID}", json=SALESORDER, headers=limits)
    client.get_salesorder(SO_ID)
    assert client.daily_calls_left() == 12

    # The same day, another function heard a higher count (an older answer): the lowest stands.
    shared.kept = DayBudget(300, 2000, time.time() + 3600 + 30)
    assert client.daily_calls_left() == 12
    # Another function heard the next day's count: that day is today.
    shared.kept = DayBudget(1990, 2000, time.time() + 3600 + 86400)
    assert client.daily_calls_left() == 1990


def test_a_budget_store_that_fails_never_fails_the_call(rsps: responses.RequestsMock) -> None:
    client = ZohoClient(_auth, session=new_session(), item_cache=ItemCache(), budget=SharedBudget(broken=True))
    limits = {"X-Rate-Limit-Limit": "2000", "X-Rate-Limit-Remaining": "412", "X-Rate-Limit-Reset": "3600"}
    rsps.get(f"{API}/inventory/v1/salesorders/{SO_ID}", json=SALESORDER, headers=limits)

    assert client.get_salesorder(SO_ID).salesorder_id == SO_ID
    assert client.daily_calls_left() == 412  # this process's own count still stands


def test_auth_repr_hides_the_token() -> None:
    assert TOKEN not in repr(_auth())


# ----------------------------------------------------------------------------- token mint


def test_refresh_access_token(rsps: responses.RequestsMock) -> None:
    rsps.post(
        f"{ACCOUNTS}/oauth/v2/token",
        json={"access_token": "1000.new.token", "api_domain": API, "token_type": "Bearer", "expires_in": 3600},
    )

    minted = zoho_refresh_access_token(ACCOUNTS, "1000.CLIENT", "client-secret", "1000.refresh", session=new_session())

    assert (minted.access_token, minted.api_domain, minted.expires_in) == ("1000.new.token", API, 3600)
    assert "1000.new.token" not in repr(minted)
    request = rsps.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert isinstance(request.body, str)
    assert parse_qs(request.body) == {
        "grant_type": ["refresh_token"],
        "client_id": ["1000.CLIENT"],
        "client_secret": ["client-secret"],
        "refresh_token": ["1000.refresh"],
    }


THROTTLED = {
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, THROTTLED),
        (400, THROTTLED),
        (200, {"error_description": "Rate limit exceeded: access_token not expired", "error": "invalid_request"}),
        (429, ""),
    ],
    ids=["throttled-200", "throttled-400", "not-expired", "429"],
)
def test_refresh_throttled_is_rate_limited(rsps: responses.RequestsMock, status: int, body: Any) -> None:
    if isinstance(body, dict):
        rsps.post(f"{ACCOUNTS}/oauth/v2/token", status=status, json=body)
    else:
        rsps.post(f"{ACCOUNTS}/oauth/v2/token", status=status, body=body)

    with pytest.raises(RateLimited):
        zoho_refresh_access_token(ACCOUNTS, "1000.CLIENT", "client-secret", "1000.refresh", session=new_session())


@pytest.mark.parametrize("error", ["invalid_code", "invalid_client", "invalid_client_secret"])
def test_refresh_refused_is_a_request_error(rsps: responses.RequestsMock, error: str) -> None:
    rsps.post(f"{ACCOUNTS}/oauth/v2/token", json={"error": error})

    with pytest.raises(ProviderRequestError, match=error) as caught:
        zoho_refresh_access_token(ACCOUNTS, "1000.CLIENT", "client-secret", "1000.refresh", session=new_session())

    assert "client-secret" not in str(caught.value)
    assert "1000.refresh" not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "body"),
    [(502, "<html>Bad Gateway</html>"), (200, requests.exceptions.ConnectTimeout())],
    ids=["502", "timeout"],
)
def test_refresh_outage_is_transient(rsps: responses.RequestsMock, status: int, body: Any) -> None:
    rsps.post(f"{ACCOUNTS}/oauth/v2/token", status=status, body=body)

    with pytest.raises(TransientError) as caught:
        zoho_refresh_access_token(ACCOUNTS, "1000.CLIENT", "client-secret", "1000.refresh", session=new_session())

    assert not isinstance(caught.value, RateLimited)
