"""Hostile input through every public route's real handler, in-process: never a 5xx, nothing unreadable queued.

Two suites over the five routes:

- the seeded corpus of ``local.fuzz.corpus`` (the same requests ``make fuzz`` sends over HTTP): huge
  integers, deep nesting, non-UTF-8 bodies, wrong types, lone surrogates, CSV and form junk...;
- hypothesis-generated JSON values put in place of the whole body or of one key of a valid body.

Every answer must be a 2xx or a 4xx with a JSON ``error``; every queued message must be readable by its
worker's own message model. The routes that call providers once a request is valid (customer returns,
token refresh) get a recording fake behind the parser: the parsing edge is what is fuzzed here, the
providers' side is the HTTP fuzz's (``python -m local.fuzz``).
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from types import ModuleType
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.fuzz.corpus import HostileRequest, hostile_requests, routes
from tests.fixtures.lambda_app import LambdaContext, load_app

TOKENS = {
    "zoho_webhook": "fuzz-zoho-webhook-token",
    "shiprocket_webhook": "fuzz-shiprocket-webhook-token",
    "remittance_webhook": "fuzz-remittance-webhook-token",
    "admin": "fuzz-admin-token",
}
APPS = {
    "zoho-salesorders": "order_confirmed",
    "shipment-status": "shipment_status",
    "cod-remittance": "cod_remittance",
    "returns": "rto_restock",
    "tokens-refresh": "token_refresh",
}
QUEUES = {
    "zoho-salesorders": "ORDER_QUEUE_URL",
    "shipment-status": "STATUS_QUEUE_URL",
    "cod-remittance": "REMITTANCE_QUEUE_URL",
}
CORPUS_PER_ROUTE = 1000


class _Recorded:
    """What the provider-facing services behind the admin routes were asked to do."""

    def __init__(self) -> None:
        self.calls: list[Any] = []


class _FakeMinted:
    def as_dict(self) -> dict[str, Any]:
        return {"provider": "fake", "minted": True}


class _FakeRefresher:
    def __init__(self, recorded: _Recorded) -> None:
        self._recorded = recorded

    def force(self, provider: str) -> _FakeMinted:
        self._recorded.calls.append(("force", provider))
        return _FakeMinted()


class _FakeReturns:
    def __init__(self, recorded: _Recorded) -> None:
        self._recorded = recorded

    def create(self, request: Any) -> Any:
        from shipsync.returns.customer_return import ReturnBooked

        self._recorded.calls.append(("return", request))
        return ReturnBooked(request.salesorder_number or "SO-1", "R-1", "AWB-R-1", "Fake Courier", True)


@pytest.fixture
def stack(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, ModuleType], _Recorded]:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "shipsync")
    monkeypatch.setenv("WEBHOOK_SECRET_ID", "shipsync/test/webhooks")
    boto3.client("secretsmanager").create_secret(
        Name="shipsync/test/webhooks",
        SecretString=json.dumps({k: v for k, v in TOKENS.items() if k != "admin"}),
    )
    apps = {route: load_app(function) for route, function in APPS.items()}
    recorded = _Recorded()
    from shipsync.returns import wiring as returns_wiring
    from shipsync.tokens import wiring as tokens_wiring

    monkeypatch.setattr(returns_wiring, "customer_return_service", lambda metrics: _FakeReturns(recorded))
    monkeypatch.setattr(tokens_wiring, "refresher", lambda metrics, log: _FakeRefresher(recorded))
    return apps, recorded


def proxy_event(request: HostileRequest) -> dict[str, Any]:
    """API Gateway's REST proxy event for the request: a body that is not UTF-8 arrives base64-encoded."""
    try:
        body, encoded = request.body.decode("utf-8"), False
    except UnicodeDecodeError:
        body, encoded = base64.b64encode(request.body).decode(), True
    return {
        "resource": request.path,
        "path": request.path,
        "httpMethod": "POST",
        "headers": request.headers,
        "multiValueHeaders": {name: [value] for name, value in request.headers.items()},
        "queryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"requestId": "fuzz", "stage": "v1", "httpMethod": "POST", "path": request.path},
        "body": body or None,
        "isBase64Encoded": encoded,
    }


def answer(apps: dict[str, ModuleType], request: HostileRequest) -> tuple[int, Any]:
    app = apps[request.route]
    result = app.lambda_handler(proxy_event(request), LambdaContext(f"fuzz-{request.route}"))
    status = int(result["statusCode"])
    return status, json.loads(result["body"]) if result.get("body") else None


def drain(route: str) -> list[dict[str, Any]]:
    import os

    sqs = boto3.client("sqs")
    url = os.environ[QUEUES[route]]
    bodies: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def assert_readable_by_worker(route: str, bodies: list[dict[str, Any]]) -> None:
    from shipsync.orders.messages import OrderMessage
    from shipsync.remittance.messages import RemittanceMessage
    from shipsync.tracking.messages import StatusMessage

    for body in bodies:
        if route == "zoho-salesorders":
            OrderMessage.model_validate(body)
        elif route == "shipment-status":
            StatusMessage.of(body)
        else:
            RemittanceMessage.model_validate(body)


def assert_well_answered(request: HostileRequest, status: int, body: Any) -> None:
    assert status < 500, f"{request.route} {request.kind}: {status} {body}"
    if status >= 400:
        assert isinstance(body, dict), f"{request.route} {request.kind}: {status} {body}"
        assert body.get("error") or body.get("message"), f"{request.route} {request.kind}: {status} {body}"


@pytest.mark.parametrize("route", list(APPS))
def test_the_hostile_corpus_never_gets_a_5xx(stack: tuple[dict[str, ModuleType], _Recorded], route: str) -> None:
    apps, _ = stack
    statuses: Counter[int] = Counter()
    kinds: Counter[str] = Counter()
    wanted = [
        r for r in hostile_requests(seed=11, count=CORPUS_PER_ROUTE * len(APPS), tokens=TOKENS) if r.route == route
    ]
    for request in wanted:
        status, body = answer(apps, request)
        assert_well_answered(request, status, body)
        statuses[status] += 1
        kinds[request.kind] += 1
    if route in QUEUES:
        assert_readable_by_worker(route, drain(route))
    # The corpus must really try both sides: some valid requests pass, most hostile ones are refused.
    assert any(200 <= s < 300 for s in statuses), statuses
    assert sum(n for s, n in statuses.items() if 400 <= s < 500) > len(wanted) // 2, statuses
    assert len(kinds) >= 12, kinds


# ------------------------------------------------------------------------------------ hypothesis

_JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**45), max_value=10**45)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec=None), max_size=40)
)
JSON_VALUES = st.recursive(
    _JSON_LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def _sample_document(route: str) -> tuple[str, Any]:
    """The route's JSON sample, parsed (the first JSON sample: CSV and form samples are the corpus's job)."""
    for found in routes():
        if found.name == route:
            for content_type, body in found.samples:
                if content_type == "application/json":
                    return content_type, json.loads(body)
    raise KeyError(route)


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    children = (
        document.items() if isinstance(document, dict) else enumerate(document) if isinstance(document, list) else ()
    )
    for key, value in children:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copied = json.loads(json.dumps(document))
    target = copied
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copied


@pytest.mark.parametrize("route", list(APPS))
def test_any_json_value_in_place_of_any_field_is_a_2xx_or_a_4xx(
    stack: tuple[dict[str, ModuleType], _Recorded], route: str
) -> None:
    apps, _ = stack
    content_type, sample = _sample_document(route)
    paths = _paths(sample)
    credential = {"authorization": f"Bearer {TOKENS['admin']}"} if route in ("returns", "tokens-refresh") else {}
    token_key = {"zoho-salesorders": "zoho_webhook", "shipment-status": "shiprocket_webhook"}.get(
        route, "remittance_webhook"
    )
    headers = {"content-type": content_type, "x-api-key": TOKENS[token_key], **credential}

    @settings(
        max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(value=JSON_VALUES, where=st.integers(min_value=-1, max_value=len(paths) - 1))
    def check(value: Any, where: int) -> None:
        document = value if where < 0 else _replaced(sample, paths[where], value)
        body = json.dumps(document, ensure_ascii=True).encode()
        request = HostileRequest(route, routes()[list(APPS).index(route)].path, "hypothesis", body, headers)
        status, answer_body = answer(apps, request)
        assert_well_answered(request, status, answer_body)

    check()
    if route in QUEUES:
        assert_readable_by_worker(route, drain(route))
