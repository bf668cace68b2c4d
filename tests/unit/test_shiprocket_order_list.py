"""``ShiprocketClient.list_orders``: ``GET /orders`` page by page along ``meta.pagination``, and every answer it cannot
read refused, never taken for "no orders" (docs/providers/shiprocket.md §14a).

The bodies are the published examples (``tests/contract/published/shiprocket/orders_list.json``) or variations of
them, each named where it is made; the last tests run the client against the simulator's ``GET /orders``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from local.sim.shiprocket import DEFAULT_API_EMAIL, DEFAULT_API_PASSWORD, IST, ShiprocketSim
from shipsync.clients.http import new_session
from shipsync.clients.shiprocket import MAX_ORDER_LIST_PAGES, ShiprocketClient
from shipsync.domain.models import ShiprocketListedOrder, ShiprocketOrder, ShiprocketOrderItem
from shipsync.errors import ProviderRequestError, TokenRejected, TransientError
from tests.fixtures import published

BASE = "https://apiv2.shiprocket.in/v1/external"
ORDERS = f"{BASE}/orders"
START, END = date(2019, 7, 24), date(2019, 7, 31)

ONE_PAGE = published.body("shiprocket", "orders_list", "Successful Call")
FIRST_OF_MANY = published.body("shiprocket", "orders_list", "Successful Call With No Parameters")


@pytest.fixture
def client() -> ShiprocketClient:
    return ShiprocketClient(BASE, lambda: ("jwt", 3), session=new_session())


def page(number: int, of: int, entries: list[dict[str, Any]], *, per_page: int = 2) -> dict[str, Any]:
    """The published answer's form with other entries and another place in the listing."""
    body: dict[str, Any] = copy.deepcopy(FIRST_OF_MANY)
    body["data"] = entries
    body["meta"]["pagination"].update(
        total=(of - 1) * per_page + len(entries) if number == of else of * per_page,
        count=len(entries),
        per_page=per_page,
        current_page=number,
        total_pages=of,
        links={"next": f"{ORDERS}?page={number + 1}"} if number < of else {},
    )
    return body


def entry(index: int, **fields: Any) -> dict[str, Any]:
    """The published entries, in turn, with fields changed."""
    return {**copy.deepcopy(FIRST_OF_MANY["data"][index]), **fields}


def queries(rsps: responses.RequestsMock) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(str(call.request.url)).query) for call in rsps.calls]


# ------------------------------------------------------------------ paging


def test_one_page_is_one_call_asking_the_range_oldest_id_first(
    rsps: responses.RequestsMock, client: ShiprocketClient
) -> None:
    rsps.get(ORDERS, json=ONE_PAGE)

    listed = client.list_orders(START, END)

    assert [(order.sr_order_id, order.channel_order_id, order.status_code) for order in listed] == [
        (16178831, "224-4779888", 5)
    ]
    assert queries(rsps) == [
        {
            "from": ["2019-07-24"],
            "to": ["2019-07-31"],
            "page": ["1"],
            "per_page": ["100"],
            "sort": ["ASC"],
            "sort_by": ["id"],
        }
    ]
    assert rsps.calls[0].request.headers["Authorization"] == "Bearer jwt"


def test_pages_are_read_until_the_last_one_pagination_names(
    rsps: responses.RequestsMock, client: ShiprocketClient
) -> None:
    rsps.get(ORDERS, json=page(1, 3, [entry(1), entry(0)]))
    rsps.get(ORDERS, json=page(2, 3, [entry(0, id=16180001, channel_order_id="SO-01042")]))
    rsps.get(
        ORDERS,
        json=page(
            3,
            3,
            [
                entry(
                    1,
                    id=16180002,
                    channel_order_id=42,
                    status="IN TRANSIT",
                    status_code="20",
                    shipments=[{**entry(1)["shipments"][0], "awb": "19041424751540"}],
                )
            ],
        ),
    )

    listed = client.list_orders(START, END, per_page=2)

    assert [query["page"] for query in queries(rsps)] == [["1"], ["2"], ["3"]]
    assert {query["per_page"][0] for query in queries(rsps)} == {"2"}
    assert listed == [
        ShiprocketListedOrder(
            sr_order_id=16177223,
            channel_order_id="224-47798",
            created_at="31 Jul 2019, 02:39 PM",
            status="NEW",
            status_code=1,
            shipment_ids=(16026933,),
        ),
        ShiprocketListedOrder(
            sr_order_id=16178831,
            channel_order_id="224-4779888",
            created_at="31 Jul 2019, 03:03 PM",
            status="CANCELED",
            status_code=5,
            shipment_ids=(16028538,),
        ),
        ShiprocketListedOrder(
            sr_order_id=16180001,
            channel_order_id="SO-01042",
            created_at="31 Jul 2019, 03:03 PM",
            status="CANCELED",
            status_code=5,
            shipment_ids=(16028538,),
        ),
        # A number where a reference is expected, and a code as text: read as the text and the number.
        ShiprocketListedOrder(
            sr_order_id=16180002,
            channel_order_id="42",
            created_at="31 Jul 2019, 02:39 PM",
            status="IN TRANSIT",
            status_code=20,
            awbs=("19041424751540",),
            shipment_ids=(16026933,),
        ),
    ]


def test_an_order_listed_on_two_pages_is_kept_once(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    # An order created between the two calls pushes the first page's last entry onto the second.
    rsps.get(ORDERS, json=page(1, 2, [entry(1), entry(0)]))
    rsps.get(ORDERS, json=page(2, 2, [entry(0), entry(0, id=16180001)]))

    listed = client.list_orders(START, END, per_page=2)

    assert [order.sr_order_id for order in listed] == [16177223, 16178831, 16180001]


def test_no_orders_is_an_empty_list_only_when_the_answer_says_so(
    rsps: responses.RequestsMock, client: ShiprocketClient
) -> None:
    empty = page(1, 1, [])
    empty["meta"]["pagination"].update(total=0, total_pages=0)
    rsps.get(ORDERS, json=empty)

    assert client.list_orders(START, START) == []


def test_shipments_as_an_object_or_absent_are_read(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    # orders/show has `shipments` as an object, with a null AWB before one is assigned; either form is read here.
    shipment = {**entry(0)["shipments"][0], "awb": "788830567028"}
    without = entry(1)
    del without["shipments"]
    rsps.get(
        ORDERS, json=page(1, 1, [entry(0, shipments=shipment), without, entry(0, id=3, shipments=[{"awb": None}])])
    )

    listed = client.list_orders(START, END)

    assert [(order.awbs, order.shipment_ids) for order in listed] == [
        (("788830567028",), (16028538,)),
        ((), ()),
        ((), ()),
    ]


# ------------------------------------------------------------------ bounds


def test_more_pages_than_allowed_is_refused_at_the_first_page(
    rsps: responses.RequestsMock, client: ShiprocketClient
) -> None:
    # The published first page says 1,309 pages: more than asked for, so nothing is returned as if it were all.
    rsps.get(ORDERS, json=FIRST_OF_MANY)

    with pytest.raises(ProviderRequestError, match="1309 order list pages"):
        client.list_orders(START, END)

    assert len(rsps.calls) == 1
    assert MAX_ORDER_LIST_PAGES < 1309


def test_max_pages_bounds_the_walk(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    rsps.get(ORDERS, json=page(1, 3, [entry(1), entry(0)]))

    with pytest.raises(ProviderRequestError, match=r"3 order list pages .* more than 2"):
        client.list_orders(START, END, per_page=2, max_pages=2)


def test_a_listing_that_grows_past_the_bound_while_read_is_refused(
    rsps: responses.RequestsMock, client: ShiprocketClient
) -> None:
    rsps.get(ORDERS, json=page(1, 2, [entry(1), entry(0)]))
    rsps.get(ORDERS, json=page(2, 3, [entry(0, id=16180001), entry(0, id=16180002)]))

    with pytest.raises(ProviderRequestError, match="more than 2"):
        client.list_orders(START, END, per_page=2, max_pages=2)


@pytest.mark.parametrize(
    ("start", "end", "options", "reason"),
    [
        (date(2019, 7, 31), date(2019, 7, 24), {}, "before it starts"),
        (START, END, {"per_page": 0}, "must be positive"),
        (START, END, {"max_pages": 0}, "must be positive"),
    ],
    ids=["end-before-start", "no-page-size", "no-pages"],
)
def test_a_request_that_cannot_list_is_refused_before_any_call(
    client: ShiprocketClient, start: date, end: date, options: dict[str, int], reason: str
) -> None:
    with responses.RequestsMock(), pytest.raises(ValueError, match=reason):
        client.list_orders(start, end, **options)


# ------------------------------------------------------------------ unreadable answers


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    node = changed
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return changed


def _with(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


UNREADABLE: dict[str, Any] = {
    "no-data": _without(ONE_PAGE, "data"),
    "data-an-object": _with(ONE_PAGE, ("data",), ONE_PAGE["data"][0]),
    "no-meta": _without(ONE_PAGE, "meta"),
    "no-pagination": _with(ONE_PAGE, ("meta",), {}),
    "no-total-pages": _without(ONE_PAGE, "meta", "pagination", "total_pages"),
    "total-pages-text": _with(ONE_PAGE, ("meta", "pagination", "total_pages"), "many"),
    "no-current-page": _without(ONE_PAGE, "meta", "pagination", "current_page"),
    "another-page": _with(ONE_PAGE, ("meta", "pagination", "current_page"), 2),
    "entry-without-id": _with(ONE_PAGE, ("data",), [_without(ONE_PAGE["data"][0], "id")]),
    "entry-not-an-object": _with(ONE_PAGE, ("data",), ["16178831"]),
    "shipments-text": _with(ONE_PAGE, ("data",), [{**ONE_PAGE["data"][0], "shipments": "16028538"}]),
    "shipment-not-an-object": _with(ONE_PAGE, ("data",), [{**ONE_PAGE["data"][0], "shipments": [16028538]}]),
    "a-list": [ONE_PAGE["data"][0]],
    "an-empty-object": {},
}


@pytest.mark.parametrize("body", list(UNREADABLE.values()), ids=list(UNREADABLE))
def test_an_answer_that_cannot_be_read_is_an_error_not_no_orders(
    rsps: responses.RequestsMock, client: ShiprocketClient, body: Any
) -> None:
    rsps.get(ORDERS, json=body)

    with pytest.raises(ProviderRequestError) as raised:
        client.list_orders(START, END)

    assert raised.value.http_status == 200


def test_a_body_that_is_not_json_is_an_error(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    rsps.get(ORDERS, body="<html>502 Bad Gateway</html>", status=200, content_type="text/html")

    with pytest.raises(ProviderRequestError, match="not JSON"):
        client.list_orders(START, END)


def test_an_unreadable_second_page_fails_the_whole_listing(
    rsps: responses.RequestsMock, client: ShiprocketClient
) -> None:
    rsps.get(ORDERS, json=page(1, 2, [entry(1), entry(0)]))
    rsps.get(ORDERS, json=_without(page(2, 2, [entry(0, id=16180001)]), "meta"))

    with pytest.raises(ProviderRequestError, match=r"meta\.pagination"):
        client.list_orders(START, END, per_page=2)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"message": "Token has expired", "status_code": 401}, TokenRejected),
        (500, {"message": "Server Error", "status_code": 500}, TransientError),
        (
            422,
            {
                "message": "Oops! Invalid Data.",
                "errors": {"to": ["The to must be a date after or equal to from."]},
                "status_code": 422,
            },
            ProviderRequestError,
        ),
    ],
    ids=["expired-token", "server-error", "refused-range"],
)
def test_error_answers_raise_the_clients_errors(
    rsps: responses.RequestsMock, client: ShiprocketClient, status: int, body: dict[str, Any], error: type[Exception]
) -> None:
    # The 422 is a GUESS (no refusal of GET /orders is published): a Laravel validation answer, as elsewhere.
    rsps.get(ORDERS, json=body, status=status)

    with pytest.raises(error):
        client.list_orders(START, END)


def test_an_error_inside_http_200_raises(rsps: responses.RequestsMock, client: ShiprocketClient) -> None:
    rsps.get(ORDERS, json={"message": "Please send update_from date along with update_to date", "status_code": 400})

    with pytest.raises(ProviderRequestError) as raised:
        client.list_orders(START, END)

    assert raised.value.http_status == 400


# ------------------------------------------------------------------ against the simulator


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 10, 11, 0, tzinfo=IST).timestamp()

    def __call__(self) -> float:
        return self.now


SIM_BASE = "https://shiprocket.sim/v1/external"


@dataclass(frozen=True)
class SimRig:
    sim: ShiprocketSim
    clock: Clock
    client: ShiprocketClient
    mock: responses.RequestsMock
    token: str


@pytest.fixture
def rig() -> Iterator[SimRig]:
    """The client over the simulator in this process: every request is answered by ``ShiprocketSim.handle``."""
    clock = Clock()
    sim = ShiprocketSim(clock=clock)
    login = sim.handle(
        "POST",
        "/v1/external/auth/login",
        {},
        json.dumps({"email": DEFAULT_API_EMAIL, "password": DEFAULT_API_PASSWORD}).encode(),
    )
    token = str(login.body["token"])

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        headers = {key.lower(): value for key, value in request.headers.items()}
        raw = request.body or b""
        body = raw.encode() if isinstance(raw, str) else raw
        answered = sim.handle(str(request.method), str(request.path_url), headers, body)
        text = "" if answered.body is None or answered.status == 204 else json.dumps(answered.body)
        return answered.status, {"Content-Type": "application/json"}, text

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "POST"):
            mock.add_callback(method, re.compile(re.escape(SIM_BASE) + r"/.*"), callback=answer)
        yield SimRig(sim, clock, ShiprocketClient(SIM_BASE, lambda: (token, 1), session=new_session()), mock, token)


def _order(reference: str) -> ShiprocketOrder:
    return ShiprocketOrder(
        order_id=reference,
        order_date="2025-01-10",
        pickup_location="Pune-WH1",
        billing_customer_name="Ananya",
        billing_address="No. 14, 3rd Cross, Indiranagar",
        billing_city="Bengaluru",
        billing_pincode="560034",
        billing_state="Karnataka",
        billing_email="ananya@example.in",
        billing_phone="9845012345",
        order_items=[ShiprocketOrderItem(name="Cotton Tee Black M", sku="TEE-BLK-M", units=1, selling_price=670.88)],
        payment_method="Prepaid",
        sub_total=670.88,
        length=10,
        breadth=10,
        height=10,
        weight=0.5,
    )


def test_the_simulators_orders_of_the_range_come_back_with_our_references(rig: SimRig) -> None:
    clock, client, mock = rig.clock, rig.client, rig.mock
    created = {}
    # Two orders a day from 10 to 13 January; the range asks for the 11th and the 12th.
    for day in range(4):
        for slot in range(2):
            reference = f"SO-{day}{slot}"
            created[reference] = client.create_adhoc_order(_order(reference))
            clock.now += 3600
        clock.now += 22 * 3600
    awb = client.assign_awb(created["SO-20"].shipment_id or 0, 43).awb_code
    client.cancel_orders([created["SO-11"].sr_order_id])
    mock.calls.reset()

    listed = client.list_orders(date(2025, 1, 11), date(2025, 1, 12), per_page=3)

    assert [(order.channel_order_id, order.sr_order_id) for order in listed] == [
        (reference, created[reference].sr_order_id) for reference in ("SO-10", "SO-11", "SO-20", "SO-21")
    ]
    by_reference = {order.channel_order_id: order for order in listed}
    assert by_reference["SO-20"].awbs == (awb,)
    assert by_reference["SO-11"].status_code == 5
    assert by_reference["SO-10"].created_at == "11 Jan 2025, 11:00 AM"
    assert by_reference["SO-10"].shipment_ids == (created["SO-10"].shipment_id,)
    assert [parse_qs(urlsplit(str(call.request.url)).query)["page"] for call in mock.calls] == [["1"], ["2"]]


def test_the_simulator_pages_from_the_newest_by_default_and_refuses_a_bad_date(rig: SimRig) -> None:
    sim = rig.sim
    for index in range(17):
        rig.client.create_adhoc_order(_order(f"SO-{index:02d}"))
    headers = {"authorization": f"Bearer {rig.token}"}

    first = sim.handle("GET", "/v1/external/orders", headers, b"").body
    second = sim.handle("GET", "/v1/external/orders?page=2", headers, b"").body
    refused = sim.handle("GET", "/v1/external/orders?from=2025-13-01", headers, b"")

    assert [row["channel_order_id"] for row in first["data"]][:2] == ["SO-16", "SO-15"]
    assert first["meta"]["pagination"] == {
        "total": 17,
        "count": 15,
        "per_page": 15,
        "current_page": 1,
        "total_pages": 2,
        "links": {"next": "/v1/external/orders?page=2"},
    }
    assert [row["channel_order_id"] for row in second["data"]] == ["SO-01", "SO-00"]
    assert second["meta"]["pagination"]["links"] == {}
    assert (refused.status, refused.body["errors"]) == (422, {"from": ["The from does not match the format Y-m-d."]})
