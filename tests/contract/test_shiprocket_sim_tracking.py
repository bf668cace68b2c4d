"""Contract tests: the Shiprocket simulator's tracking, webhooks, NDR, returns (docs/providers/shiprocket.md §7-9)."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from local.sim.base import SimServer
from local.sim.shiprocket import DEFAULT_API_EMAIL, DEFAULT_API_PASSWORD, IST, LIFECYCLES, ShiprocketSim
from tests.contract.shiprocket_bodies import return_body

# Saturday 2025-01-11 10:00 IST, like the issue-2 contract tests.
START = datetime(2025, 1, 11, 10, 0, tzinfo=IST).timestamp()
TOKEN = "panel-webhook-token-1"
WEBHOOK_PATH = "/webhooks/shipment-status"

# A webhook POST body with the published keys, in the published order (docs/providers/shiprocket.md §7).
FIXTURE_WEBHOOK: dict[str, Any] = {
    "awb": "1411220456789",
    "courier_name": "Delhivery Surface",
    "current_status": "OUT FOR DELIVERY",
    "current_status_id": 19,
    "shipment_status": "OUT FOR DELIVERY",
    "shipment_status_id": 17,
    "current_timestamp": "14 01 2025 09:12:40",
    "order_id": "ZI-SO-00042",
    "sr_order_id": 612345678,
    "awb_assigned_date": "2025-01-11 16:05:02",
    "pickup_scheduled_date": "2025-01-12 10:00:00",
    "etd": "2025-01-14 20:00:00",
    "scans": [
        {
            "date": "2025-01-12 14:20:11",
            "status": "X-PPOM",
            "activity": "In Transit - Shipment picked up",
            "location": "Pune_Hadapsar_D (Maharashtra)",
            "sr-status": "42",
            "sr-status-label": "PICKED UP",
        },
        {
            "date": "2025-01-14 09:12:40",
            "status": "X-DDD3FD",
            "activity": "Dispatched - Out for delivery",
            "location": "Bengaluru_Koramangala_DC (Karnataka)",
            "sr-status": "17",
            "sr-status-label": "OUT FOR DELIVERY",
        },
    ],
    "is_return": 0,
    "channel_id": 5123456,
    "pod_status": "OTP Based Delivery",
    "pod": "Not Available",
    "qc_image": "",
    "qc_failure_reason": "",
}
SR_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
WEBHOOK_TIMESTAMP = re.compile(r"^\d{2} \d{2} \d{4} \d{2}:\d{2}:\d{2}$")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Receiver:
    """What the webhook target got: one dict per POST (path, headers, parsed body)."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.answers: list[int] = []  # statuses to answer next, then 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.posts.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": json.loads(body),
                        }
                    )
                    status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{WEBHOOK_PATH}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def bodies(self) -> list[dict[str, Any]]:
        return [post["body"] for post in self.posts]


class Api:
    def __init__(self, server: SimServer) -> None:
        self.server = server
        self.root = server.url
        self.base = f"{server.url}/v1/external"
        response = requests.post(
            f"{self.base}/auth/login", json={"email": DEFAULT_API_EMAIL, "password": DEFAULT_API_PASSWORD}, timeout=5
        )
        self.headers = {"Authorization": f"Bearer {response.json()['token']}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> requests.Response:
        return requests.get(f"{self.base}{path}", params=params, headers=self.headers, timeout=5)

    def post(self, path: str, body: Any) -> requests.Response:
        return requests.post(f"{self.base}{path}", json=body, headers=self.headers, timeout=5)

    def seed(self, body: dict[str, Any]) -> requests.Response:
        return requests.post(f"{self.root}/_sim/seed", json=body, timeout=5)

    def advance(self, **body: Any) -> dict[str, Any]:
        response = requests.post(f"{self.root}/_sim/tracking/advance", json=body, timeout=30)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def state(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.root}/_sim/state", timeout=5).json())

    def order(self, order_id: str) -> dict[str, Any]:
        state = self.state()
        return next(o for o in state["orders"] + state["returns"] if o["order_id"] == order_id)

    def ship(self, order_id: str, courier_id: int = 43, pickup: bool = True, **overrides: Any) -> str:
        """Create, assign an AWB and (by default) schedule the pickup; the AWB."""
        created = self.post("/orders/create/adhoc", order_body(order_id, **overrides))
        assert created.status_code == 200, created.text
        shipment_id = created.json()["shipment_id"]
        assigned = self.post("/courier/assign/awb", {"shipment_id": shipment_id, "courier_id": courier_id}).json()
        assert assigned["awb_assign_status"] == 1, assigned
        if pickup:
            assert self.post("/courier/generate/pickup", {"shipment_id": [shipment_id]}).status_code == 200
        return str(assigned["response"]["data"]["awb_code"])


def order_body(order_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": order_id,
        "order_date": "2025-01-11 10:00",
        "pickup_location": "Pune-WH1",
        "billing_customer_name": "Asha",
        "billing_address": "14 MG Road, Koramangala",
        "billing_city": "Bengaluru",
        "billing_pincode": 560034,
        "billing_state": "Karnataka",
        "billing_country": "India",
        "billing_email": "asha@example.com",
        "billing_phone": 9876501234,
        "shipping_is_billing": True,
        "order_items": [{"name": "Cotton kurta", "sku": "KUR-001", "units": 1, "selling_price": 1499, "tax": 5}],
        "payment_method": "COD",
        "sub_total": 1499,
        "length": 20,
        "breadth": 15,
        "height": 10,
        "weight": 0.5,
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def module_clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def module_server(module_clock: Clock) -> Iterator[SimServer]:
    sim_server = SimServer(ShiprocketSim(clock=module_clock)).start()
    yield sim_server
    sim_server.stop()


@pytest.fixture(scope="module")
def module_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.httpd.shutdown()
    receiver.httpd.server_close()


@pytest.fixture
def receiver(module_receiver: Receiver) -> Receiver:
    module_receiver.posts.clear()
    module_receiver.answers.clear()
    return module_receiver


@pytest.fixture
def api(module_server: SimServer, module_clock: Clock) -> Api:
    module_clock.now = START
    assert requests.post(f"{module_server.url}/_sim/reset", timeout=5).status_code == 200
    return Api(module_server)


@pytest.fixture
def hooked(api: Api, receiver: Receiver) -> Api:
    assert api.seed({"webhook": {"url": receiver.url, "token": TOKEN}}).status_code == 200
    return api


def status_ids(posts: list[dict[str, Any]]) -> list[int]:
    return [int(body["shipment_status_id"]) for body in posts]


# ----------------------------------------------------------------------------- webhook payload


def test_webhook_payload_has_the_fixture_keys_types_and_formats(hooked: Api, receiver: Receiver) -> None:
    awb = hooked.ship("ZI-SO-00042")
    hooked.advance(steps=6)  # 19 42 6 18 38 -> 17 OUT FOR DELIVERY, the fixture's event
    assert len(receiver.posts) == 6
    post = receiver.posts[-1]
    assert post["path"] == WEBHOOK_PATH
    assert post["headers"]["x-api-key"] == TOKEN
    assert post["headers"]["content-type"] == "application/json"
    body = post["body"]
    assert list(body) == list(FIXTURE_WEBHOOK)
    for key, value in FIXTURE_WEBHOOK.items():
        assert type(body[key]) is type(value), key
    for scan in body["scans"]:
        assert list(scan) == list(FIXTURE_WEBHOOK["scans"][0])
        assert all(isinstance(value, str) for value in scan.values())
        assert SR_DATETIME.match(scan["date"])
    same = ("courier_name", "current_status", "current_status_id", "shipment_status", "shipment_status_id")
    assert {key: body[key] for key in same} == {key: FIXTURE_WEBHOOK[key] for key in same}
    assert body["awb"] == awb
    assert (body["order_id"], body["sr_order_id"]) == ("ZI-SO-00042", 612345678)
    assert WEBHOOK_TIMESTAMP.match(body["current_timestamp"])
    for key in ("awb_assigned_date", "pickup_scheduled_date", "etd"):
        assert SR_DATETIME.match(body[key]), key
    assert body["awb_assigned_date"] == "2025-01-11 10:00:00"
    # Scans are cumulative, oldest first; the event's time is its newest scan's time.
    assert [scan["sr-status"] for scan in body["scans"]] == ["19", "42", "6", "18", "38", "17"]
    assert [scan["date"] for scan in body["scans"]] == sorted(scan["date"] for scan in body["scans"])
    newest = datetime.strptime(body["scans"][-1]["date"], "%Y-%m-%d %H:%M:%S")
    assert body["current_timestamp"] == newest.strftime("%d %m %Y %H:%M:%S")
    assert body["scans"][2]["location"] == "Pune_Hub (Maharashtra)"
    assert body["scans"][-1]["location"] == "Bengaluru_560034_DC (Karnataka)"
    assert body["is_return"] == 0
    assert (body["channel_id"], body["pod_status"], body["pod"]) == (5123456, "OTP Based Delivery", "Not Available")


def test_every_post_is_recorded_with_the_http_status_it_got(hooked: Api, receiver: Receiver) -> None:
    awb = hooked.ship("ZI-SO-1")
    receiver.answers = [500, 401]
    answer = hooked.advance()
    assert [record["http_status"] for record in answer["webhooks"]] == [500, 401, 200, 200, 200, 200, 200]
    state = hooked.state()
    assert [record["http_status"] for record in state["webhooks"]] == [500, 401, 200, 200, 200, 200, 200]
    first = state["webhooks"][0]
    assert first["url"] == receiver.url
    assert first["awb"] == awb
    assert first["duplicate"] is False
    assert first["payload"] == receiver.posts[0]["body"]
    assert TOKEN not in json.dumps(state)
    assert answer["events"] == receiver.bodies()


def test_unreachable_target_and_no_token(api: Api, receiver: Receiver) -> None:
    api.ship("ZI-SO-1")
    assert api.seed({"webhook": {"url": "http://127.0.0.1:9/hook"}}).status_code == 200
    answer = api.advance(steps=1)
    assert answer["webhooks"][0]["http_status"] is None
    assert answer["webhooks"][0]["error"]
    assert api.seed({"webhook": {"url": receiver.url}}).status_code == 200
    api.advance(steps=1)
    assert "x-api-key" not in receiver.posts[0]["headers"]
    assert api.seed({"webhook": None}).status_code == 200
    assert api.advance()["webhooks"] == []
    assert len(receiver.posts) == 1


def test_webhook_url_with_words_the_panel_refuses(api: Api) -> None:
    for url in ("http://127.0.0.1:3000/shiprocket/hook", "http://127.0.0.1:3000/usr/hook", "ftp://x/y"):
        response = api.seed({"webhook": {"url": url, "token": TOKEN}})
        assert response.status_code == 400, url
    assert api.state()["webhook_url"] is None


def test_deliver_webhooks_false_returns_the_events_without_posting(hooked: Api, receiver: Receiver) -> None:
    hooked.ship("ZI-SO-1")
    answer = hooked.advance(deliver_webhooks=False)
    assert receiver.posts == []
    assert answer["webhooks"] == []
    assert hooked.state()["webhooks"] == []
    assert status_ids(answer["events"]) == LIFECYCLES["delivered"]


# ----------------------------------------------------------------------------- lifecycles


def test_lifecycle_scripts_end_in_the_right_status_ids(api: Api) -> None:
    expected = {
        "delivered": (7, 7),
        "rto": (10, 16),
        "lost": (12, 33),
        "damaged": (25, 40),
        "ndr_then_delivered": (7, 7),
        "ndr_then_rto": (10, 16),
        "custom": (24, 39),
    }
    awbs = {name: api.ship(f"ZI-{name}") for name in expected}
    lifecycles: dict[str, Any] = {f"ZI-{name}": name for name in expected if name != "custom"}
    lifecycles[awbs["custom"]] = [42, 18, 24]
    assert api.seed({"lifecycles": lifecycles}).json()["lifecycles"] == len(expected)
    answer = api.advance(deliver_webhooks=False)
    assert {moved["awb"] for moved in answer["advanced"]} == set(awbs.values())
    for name, (shipment_status, order_status) in expected.items():
        order = api.order(f"ZI-{name}")
        script = [42, 18, 24] if name == "custom" else LIFECYCLES[name]
        assert [scan["sr-status"] for scan in order["scans"]] == [str(i) for i in script], name
        assert (order["shipment_status_id"], order["status_code"]) == (shipment_status, order_status), name
        assert order["lifecycle_remaining"] == []
    assert api.order("ZI-delivered")["delivered_date"] == api.order("ZI-delivered")["scans"][-1]["date"]
    # Nothing left to do: a second advance moves nothing and posts nothing.
    assert api.advance() == {"advanced": [], "events": [], "webhooks": []}


def test_default_lifecycle_timestamps_and_order_statuses(api: Api) -> None:
    api.ship("ZI-SO-1")
    answer = api.advance(deliver_webhooks=False)
    events = answer["events"]
    assert status_ids(events) == [19, 42, 6, 18, 38, 17, 7]
    assert [event["current_status_id"] for event in events] == [34, 6, 6, 20, 43, 19, 7]
    moments = [datetime.strptime(e["current_timestamp"], "%d %m %Y %H:%M:%S") for e in events]
    assert moments == sorted(moments)
    assert len(set(moments)) == len(moments)
    pickup_slot = datetime(2025, 1, 11, 11, 0)  # Delhivery's cut-off on the AWB day
    assert moments[0] >= pickup_slot
    for event, moment in zip(events, moments, strict=True):
        if event["shipment_status_id"] in (19, 42, 17, 7):
            assert 9 <= moment.hour < 20, event["shipment_status"]
    assert (moments[-1] - moments[0]).total_seconds() > 24 * 3600


def test_steps_and_single_awb(api: Api) -> None:
    first, second = api.ship("ZI-SO-1"), api.ship("ZI-SO-2")
    unshipped = api.post("/orders/create/adhoc", order_body("ZI-SO-3")).json()
    assert unshipped["awb_code"] is None
    moved = api.advance(steps=2, deliver_webhooks=False)["advanced"]
    assert [(m["awb"], m["steps"]) for m in moved] == [(first, [19, 42]), (second, [19, 42])]
    only = api.advance(awb=second, steps=1, deliver_webhooks=False)["advanced"]
    assert [(m["awb"], m["steps"], m["remaining"]) for m in only] == [(second, [6], [18, 38, 17, 7])]
    assert api.order("ZI-SO-1")["shipment_status_id"] == 42
    assert api.order("ZI-SO-3")["scans"] == []
    unknown = requests.post(f"{api.root}/_sim/tracking/advance", json={"awb": "NOPE"}, timeout=5)
    assert unknown.status_code == 404
    bad = requests.post(f"{api.root}/_sim/tracking/advance", json={"steps": 0}, timeout=5)
    assert bad.status_code == 400


def test_reseeding_a_started_shipment_continues_from_its_status(api: Api) -> None:
    awb = api.ship("ZI-SO-1")
    api.advance(steps=4, deliver_webhooks=False)  # at 18 IN TRANSIT
    assert api.seed({"lifecycles": {awb: "lost"}}).status_code == 200
    assert api.order("ZI-SO-1")["lifecycle_remaining"] == [12]
    api.advance(deliver_webhooks=False)
    assert api.order("ZI-SO-1")["shipment_status_id"] == 12
    assert api.seed({"lifecycles": {awb: "flying"}}).status_code == 400
    assert api.seed({"lifecycles": {awb: []}}).status_code == 400


def test_tracking_is_deterministic(api: Api) -> None:
    def run() -> list[dict[str, Any]]:
        requests.post(f"{api.root}/_sim/reset", timeout=5)
        fresh = Api(api.server)
        fresh.ship("ZI-SO-1")
        fresh.seed({"lifecycles": {"ZI-SO-1": "ndr_then_rto"}})
        options = {"duplicates": 0.5, "reorder": True, "na_scans": 0.5, "string_ids": 0.5}
        return list(fresh.advance(deliver_webhooks=False, **options)["events"])

    assert run() == run()


# ----------------------------------------------------------------------------- webhook options


def test_duplicates_by_count_and_probability(hooked: Api, receiver: Receiver) -> None:
    hooked.ship("ZI-SO-1")
    answer = hooked.advance(duplicates=2)
    assert len(receiver.posts) == 7 + 2
    flagged = [record for record in answer["webhooks"] if record["duplicate"]]
    assert len(flagged) == 2
    counts = Counter(json.dumps(body, sort_keys=True) for body in receiver.bodies())
    assert sorted(counts.values()) == [1] * 5 + [2] * 2
    # A copy always comes after its original.
    for index, record in enumerate(answer["webhooks"]):
        if record["duplicate"]:
            assert record["payload"] in [r["payload"] for r in answer["webhooks"][:index]]

    receiver.posts.clear()
    hooked.ship("ZI-SO-2")
    assert hooked.seed({"webhook_options": {"duplicates": 1.0}}).status_code == 200
    hooked.advance()
    assert len(receiver.posts) == 14
    assert sorted(Counter(json.dumps(b, sort_keys=True) for b in receiver.bodies()).values()) == [2] * 7


def test_reorder_posts_a_steps_events_out_of_order(hooked: Api, receiver: Receiver) -> None:
    hooked.ship("ZI-SO-1")
    hooked.advance(reorder=True)
    posted = status_ids(receiver.bodies())
    assert posted != LIFECYCLES["delivered"]
    assert sorted(posted) == sorted(LIFECYCLES["delivered"])
    # Each payload still describes its own moment: scans up to that status.
    for body in receiver.bodies():
        assert body["scans"][-1]["sr-status"] == str(body["shipment_status_id"])
    # The simulator's own state is in script order whatever the posting order.
    assert hooked.order("ZI-SO-1")["shipment_status_id"] == 7


def test_na_scans_are_inserted_with_the_current_status(hooked: Api, receiver: Receiver) -> None:
    hooked.ship("ZI-SO-1")
    hooked.advance(na_scans=True)
    bodies = receiver.bodies()
    assert len(bodies) == 7 + 6  # one NA scan after every non-terminal status
    na_events = [body for body in bodies if body["scans"][-1]["sr-status"] == "NA"]
    assert len(na_events) == 6
    for body in na_events:
        assert body["scans"][-1]["sr-status-label"] == "NA"
        real = [scan for scan in body["scans"] if scan["sr-status"] != "NA"]
        assert body["shipment_status_id"] == int(real[-1]["sr-status"])
    assert bodies[-1]["shipment_status_id"] == 7
    assert bodies[-1]["scans"][-1]["sr-status"] == "7"
    scans = hooked.order("ZI-SO-1")["scans"]
    assert [scan["sr-status"] for scan in scans].count("NA") == 6


def test_string_ids_option(hooked: Api, receiver: Receiver) -> None:
    hooked.ship("ZI-SO-1")
    assert hooked.seed({"webhook_options": {"string_ids": True}}).status_code == 200
    hooked.advance(steps=2)
    for body in receiver.bodies():
        for key in ("current_status_id", "shipment_status_id", "sr_order_id", "is_return", "channel_id"):
            assert isinstance(body[key], str), key
            assert body[key].isdigit(), key
    assert receiver.bodies()[1]["shipment_status_id"] == "42"
    assert hooked.seed({"webhook_options": {"string_ids": 2}}).status_code == 400
    assert hooked.seed({"webhook_options": {"shuffle": True}}).status_code == 400


OPTIONAL_WEBHOOK_KEYS = {
    "awb_assigned_date",
    "pickup_scheduled_date",
    "pod_status",
    "pod",
    "qc_image",
    "qc_failure_reason",
}


def test_an_rto_initiated_post_is_shaped_as_the_live_one(hooked: Api, receiver: Receiver) -> None:
    # Issue 9, gap 6: no scan carries the RTO status and the optional keys are left out.
    hooked.seed({"lifecycles": {"ZI-SO-1": "rto"}})
    hooked.ship("ZI-SO-1")
    hooked.advance()

    [rto] = [body for body in receiver.bodies() if int(body["shipment_status_id"]) == 9]
    assert "9" not in [scan["sr-status"] for scan in rto["scans"]]
    assert not OPTIONAL_WEBHOOK_KEYS & set(rto)
    others = [body for body in receiver.bodies() if int(body["shipment_status_id"]) != 9]
    assert others
    assert all(set(body) >= OPTIONAL_WEBHOOK_KEYS for body in others)


def test_sparse_option_leaves_out_the_optional_keys(hooked: Api, receiver: Receiver) -> None:
    hooked.ship("ZI-SO-1")
    assert hooked.seed({"webhook_options": {"sparse": True}}).status_code == 200
    hooked.advance(steps=2)

    assert len(receiver.bodies()) == 2
    assert all(not OPTIONAL_WEBHOOK_KEYS & set(body) for body in receiver.bodies())
    assert hooked.seed({"webhook_options": {"sparse": 2}}).status_code == 400


# ----------------------------------------------------------------------------- pull tracking


def test_track_one_awb_newest_first(api: Api) -> None:
    awb = api.ship("ZI-SO-1")
    api.advance(steps=3, deliver_webhooks=False)
    data = api.get(f"/courier/track/awb/{awb}").json()["tracking_data"]
    assert data["track_status"] == 1
    assert data["shipment_status"] == 6
    assert [a["sr-status"] for a in data["shipment_track_activities"]] == ["6", "42", "19"]
    assert list(data["shipment_track_activities"][0]) == [
        "date",
        "status",
        "activity",
        "location",
        "sr-status",
        "sr-status-label",
    ]
    track = data["shipment_track"][0]
    keys = {"id", "awb_code", "courier_company_id", "shipment_id", "order_id", "pickup_date", "delivered_date"}
    assert keys | {
        "weight",
        "packages",
        "current_status",
        "destination",
        "origin",
        "courier_name",
        "edd",
        "pod",
    } <= set(track)
    assert (track["awb_code"], track["order_id"], track["courier_company_id"]) == (awb, 612345678, 43)
    assert track["pickup_date"] == data["shipment_track_activities"][1]["date"]
    assert track["delivered_date"] is None
    assert (track["origin"], track["destination"]) == ("Pune", "Bengaluru")
    assert data["track_url"].endswith(awb)
    assert SR_DATETIME.match(data["etd"])


def test_track_without_scans_is_the_no_activities_answer_in_200(api: Api) -> None:
    awb = api.ship("ZI-SO-1")
    for path in (f"/courier/track/awb/{awb}", "/courier/track/awb/UNKNOWN1", "/courier/track/shipment/609876543"):
        response = api.get(path)
        assert response.status_code == 200
        assert response.json() == {
            "tracking_data": {
                "track_status": 0,
                "error": "Aahh! There is no activities found in our DB. "
                "Please have some patience it will be updated soon.",
            }
        }


def test_track_batch_shipment_and_order(api: Api) -> None:
    first, second = api.ship("ZI-SO-1"), api.ship("ZI-SO-2")
    api.advance(awb=first, deliver_webhooks=False)
    batch = api.post("/courier/track/awbs", {"awbs": [first, second]})
    assert batch.status_code == 200
    body = batch.json()
    assert set(body) == {first, second}
    assert body[first]["tracking_data"]["shipment_status"] == 7
    assert body[first]["tracking_data"]["shipment_track"][0]["delivered_date"]
    assert body[second]["tracking_data"]["track_status"] == 0
    by_shipment = api.get("/courier/track/shipment/609876543").json()
    assert by_shipment == body[first]
    by_order = api.get("/courier/track", params={"order_id": "ZI-SO-1"})
    assert by_order.status_code == 200
    assert by_order.json() == [body[first]]


def test_track_batch_limits(api: Api) -> None:
    too_many = api.post("/courier/track/awbs", {"awbs": [f"AWB{i}" for i in range(51)]})
    assert too_many.status_code == 422
    assert too_many.json() == {
        "message": "Oops! Invalid Data.",
        "errors": {"awbs": ["The awbs may not have more than 50 items."]},
        "status_code": 422,
    }
    # Unknown AWBs are left out of the answer; awbs that is not a list is PHP's 500 (the collection's examples).
    assert api.post("/courier/track/awbs", {"awbs": [f"AWB{i}" for i in range(50)]}).json() == {}
    foreach = {"message": "Invalid argument supplied for foreach()", "status_code": 500}
    for malformed in ({}, {"awbs": "X"}):
        answer = api.post("/courier/track/awbs", malformed)
        assert (answer.status_code, answer.json()) == (500, foreach)


# ----------------------------------------------------------------------------- NDR


def to_ndr(api: Api, order_id: str, lifecycle: str = "ndr_then_rto") -> str:
    awb = api.ship(order_id)
    api.seed({"lifecycles": {order_id: lifecycle}})
    api.advance(awb=awb, steps=7, deliver_webhooks=False)
    assert api.order(order_id)["shipment_status_id"] == 21
    return awb


def test_ndr_list_and_show(api: Api) -> None:
    awb = to_ndr(api, "ZI-SO-1")
    other = to_ndr(api, "ZI-SO-2", "ndr_then_delivered")
    listing = api.get("/ndr/all", params={"page": 1, "per_page": 10}).json()
    assert [row["awb_code"] for row in listing["data"]] == [other, awb]
    assert listing["meta"]["pagination"] == {
        "total": 2,
        "count": 2,
        "per_page": 10,
        "current_page": 1,
        "total_pages": 1,
        "links": {},  # an empty object, as published (docs/providers/shiprocket.md §9)
    }
    row = api.get("/ndr/all", params={"search": awb}).json()["data"]
    assert len(row) == 1
    record = row[0]
    assert (record["status"], record["status_code"], record["attempts"]) == ("UNDELIVERED", 36, 1)
    assert record["shipment_id"] == 609876543
    assert record["payment_method"] == "cod"
    assert record["customer_city"] == "Bengaluru"
    assert record["customer_pincode"] == "560034"
    assert record["reason"]
    assert record["history"][0]["ndr_reason"] == record["reason"]
    assert re.match(r"^\d{2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} [AP]M$", record["created_at"])
    assert {"ndr_raised_at", "escalation_status", "product_name", "product_price", "courier"} <= set(record)
    assert (record["escalation_status"], record["product_price"]) == ("N/A", "1499.00")
    shown = api.get(f"/ndr/{awb}").json()
    assert shown["data"] == [record]
    assert shown["meta"]["pagination"]["total"] == 1
    paged = api.get("/ndr/all", params={"page": 1, "per_page": 1}).json()
    assert paged["meta"]["pagination"]["total_pages"] == 2
    assert "next" in paged["meta"]["pagination"]["links"]
    assert api.get("/ndr/NOPE").status_code == 404


def test_ndr_action_validation(api: Api) -> None:
    awb = to_ndr(api, "ZI-SO-1")
    missing = api.post(f"/ndr/{awb}/action", {})
    assert missing.status_code == 422
    assert missing.json()["errors"] == {
        "action": ["The action field is required."],
        "comments": ["The comments field is required."],
    }
    wrong = api.post(f"/ndr/{awb}/action", {"action": "deliver-now", "comments": "x"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"] == {"action": ["The selected action is invalid."]}
    unknown = api.post("/ndr/NOPE/action", {"action": "return", "comments": "x"})
    assert unknown.status_code == 404
    assert unknown.json()["message"]
    delivered = api.ship("ZI-SO-2")
    api.advance(awb=delivered, deliver_webhooks=False)
    assert api.post(f"/ndr/{delivered}/action", {"action": "return", "comments": "x"}).status_code == 404
    assert api.state()["ndr_actions"] == []


def test_ndr_reattempt_leads_to_delivery(hooked: Api, receiver: Receiver) -> None:
    awb = to_ndr(hooked, "ZI-SO-1")  # its own script would go 17 21 9 46 10
    accepted = hooked.post(f"/ndr/{awb}/action", {"action": "re-attempt", "comments": "Customer home after 6 pm"})
    assert accepted.status_code == 202
    assert accepted.json() == {"status": "Data Updated Sucessfully"}
    again = hooked.post(f"/ndr/{awb}/action", {"action": "return", "comments": "changed mind"})
    assert again.status_code == 400
    hooked.advance()
    assert status_ids(receiver.bodies()) == [17, 7]
    order = hooked.order("ZI-SO-1")
    assert (order["shipment_status_id"], order["status_code"]) == (7, 7)
    actions = hooked.state()["ndr_actions"]
    assert [(a["awb"], a["action"], a["comments"], a["ndr_attempt"]) for a in actions] == [
        (awb, "re-attempt", "Customer home after 6 pm", 1)
    ]
    history = hooked.get(f"/ndr/{awb}").json()["data"][0]["history"]
    # `action_by` is a number: 3 (the courier) as published, 1 for the seller (a GUESS).
    assert [(h["action_by"], h["action"]) for h in history] == [(3, None), (1, "re-attempt")]
    # Past the NDR, actions are refused.
    assert hooked.post(f"/ndr/{awb}/action", {"action": "return", "comments": "x"}).status_code == 400


def test_ndr_return_action_takes_the_rto_path(api: Api) -> None:
    awb = to_ndr(api, "ZI-SO-1", "ndr_then_delivered")
    assert api.post(f"/ndr/{awb}/action", {"action": "return", "comments": "refused"}).status_code == 202
    steps = api.advance(deliver_webhooks=False)["advanced"][0]["steps"]
    assert steps == [9, 46, 10]
    order = api.order("ZI-SO-1")
    assert (order["shipment_status_id"], order["status_code"], order["status"]) == (10, 16, "RTO DELIVERED")


def test_second_undelivered_attempt_counts(api: Api) -> None:
    awb = to_ndr(api, "ZI-SO-1")
    api.advance(awb=awb, steps=2, deliver_webhooks=False)  # 17, 21 again
    record = api.get(f"/ndr/{awb}").json()["data"][0]
    assert record["attempts"] == 2
    assert [h["ndr_attempt"] for h in record["history"]] == [1, 2]
    assert api.post(f"/ndr/{awb}/action", {"action": "fake-attempt", "comments": "no call"}).status_code == 202
    assert api.order("ZI-SO-1")["lifecycle_remaining"] == [17, 7]


# ----------------------------------------------------------------------------- returns


def test_return_order_create_and_validation(api: Api) -> None:
    created = api.post("/orders/create/return", return_body())
    assert created.status_code == 200
    assert created.json() == {
        "order_id": 612345678,
        "shipment_id": 609876543,
        "status": "RETURN PENDING",
        "status_code": 21,
        "company_name": created.json()["company_name"],
    }
    assert created.json()["company_name"]
    duplicate = api.post("/orders/create/return", return_body())
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"] == {"order_id": ["The order id has already been taken."]}
    assert duplicate.json()["message"]
    missing = api.post("/orders/create/return", return_body("R-2", pickup_pincode=None, shipping_phone="", weight=None))
    assert missing.status_code == 422
    assert missing.json()["errors"] == {
        "pickup_pincode": ["The pickup pincode field is required."],
        "shipping_phone": ["The shipping phone field is required."],
        "weight": ["The weight field is required."],
    }
    api.ship("ZI-SO-9")
    assert api.post("/orders/create/return", return_body("ZI-SO-9")).status_code == 422
    state = api.state()
    assert [r["order_id"] for r in state["returns"]] == ["ZI-SO-00042-RET1"]
    record = state["returns"][0]
    assert record["is_return"] is True
    assert record["status_code"] == 21
    assert record["request"]["pickup_pincode"] == 560034
    assert all(order["is_return"] is False for order in state["orders"])


def test_return_serviceability_and_awb(api: Api) -> None:
    needs_value = api.get(
        "/courier/serviceability/",
        params={"pickup_postcode": 560034, "delivery_postcode": 411028, "weight": 0.5, "is_return": 1},
    )
    assert needs_value.status_code == 422
    assert "declared_value" in needs_value.json()["errors"]
    quote = api.get(
        "/courier/serviceability/",
        params={
            "pickup_postcode": 560034,
            "delivery_postcode": 411028,
            "weight": 0.5,
            "is_return": 1,
            "declared_value": 1499,
        },
    ).json()
    assert quote["status"] == 200
    entries = quote["data"]["available_courier_companies"]
    assert entries
    assert all(entry["cod_charges"] == 0 and entry["postcode"] == "411028" for entry in entries)
    shipment_id = api.post("/orders/create/return", return_body()).json()["shipment_id"]
    # A return AWB must be asked for as one: is_return is required there (docs/providers/shiprocket.md §9).
    unflagged = api.post("/courier/assign/awb", {"shipment_id": shipment_id})
    assert (unflagged.status_code, unflagged.json()["errors"]) == (
        422,
        {"is_return": ["The is return field is required."]},
    )
    assigned = api.post("/courier/assign/awb", {"shipment_id": shipment_id, "is_return": 1}).json()
    assert assigned["awb_assign_status"] == 1
    data = assigned["response"]["data"]
    assert data["cod"] == 0
    assert data["shipment_id"] == shipment_id
    assert data["awb_code"]
    record = api.state()["returns"][0]
    assert (record["awb_code"], record["status_code"], record["shipment_status_id"]) == (data["awb_code"], 21, 1)


def test_return_lifecycle_posts_is_return_webhooks(hooked: Api, receiver: Receiver) -> None:
    forward = hooked.ship("ZI-SO-1")
    hooked.advance(deliver_webhooks=False)
    shipment_id = hooked.post("/orders/create/return", return_body()).json()["shipment_id"]
    assigned = hooked.post("/courier/assign/awb", {"shipment_id": shipment_id, "is_return": 1}).json()
    awb = assigned["response"]["data"]["awb_code"]
    answer = hooked.advance()
    assert [m["awb"] for m in answer["advanced"]] == [awb]  # the delivered forward shipment stays put
    bodies = receiver.bodies()
    assert status_ids(bodies) == [3, 42, 18, 7]
    assert [b["current_status_id"] for b in bodies] == [28, 32, 25, 26]
    assert [b["current_status"] for b in bodies][-1] == "RETURN DELIVERED"
    assert all(b["is_return"] == 1 and b["order_id"] == "ZI-SO-00042-RET1" and b["awb"] == awb for b in bodies)
    assert all(list(b) == list(FIXTURE_WEBHOOK) for b in bodies)
    assert bodies[1]["scans"][-1]["location"].startswith("Bengaluru_")  # picked up at the customer
    assert bodies[-1]["scans"][-1]["location"] == "Pune_411028_DC (Maharashtra)"
    assert bodies[0]["pickup_scheduled_date"] == bodies[0]["scans"][0]["date"]
    record = hooked.state()["returns"][0]
    assert (record["shipment_status_id"], record["status"]) == (7, "RETURN DELIVERED")
    tracked = hooked.get(f"/courier/track/awb/{awb}").json()["tracking_data"]
    assert tracked["shipment_status"] == 7
    assert tracked["shipment_track"][0]["origin"] == "Bengaluru"
    assert forward != awb


def test_state_keys(api: Api) -> None:
    api.ship("ZI-SO-1")
    api.advance(steps=1, deliver_webhooks=False)
    state = api.state()
    assert {"orders", "pickups", "labels", "returns", "webhooks", "ndr_actions"} <= set(state)
    order = state["orders"][0]
    assert order["shipment_status_id"] == 19
    assert order["scans"][0]["sr-status"] == "19"
    assert order["lifecycle"] == "delivered"
    assert order["ndr"] is None
