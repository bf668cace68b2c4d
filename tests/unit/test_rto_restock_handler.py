"""The POST /returns error answers of the rto-restock handler: each error class to its status,
with the shared webhook answers for bad requests and transient failures."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shipsync.errors import (
    AllCouriersRefused,
    AwbRefused,
    InvalidOrder,
    NotServiceable,
    ProviderRequestError,
    RateLimited,
    TokenRejected,
)
from shipsync.routes import WebhookRejected
from tests.fixtures.lambda_app import LambdaContext, load_app

EVENT = Path(__file__).resolve().parents[2] / "events" / "rto_restock" / "api_returns.json"
UNAVAILABLE = "temporarily unavailable; retry later"


@pytest.fixture
def failing_booking(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Exception]]:
    """The booking raises the error the test puts in the list."""
    from shipsync.returns import wiring as returns_wiring

    errors: list[Exception] = []

    def create(request: Any) -> Any:
        raise errors[0]

    monkeypatch.setattr(returns_wiring, "customer_return_service", lambda metrics: SimpleNamespace(create=create))
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "shipsync")
    monkeypatch.setenv("MAX_REQUEST_BODY_BYTES", "4096")
    returns_wiring.settings.cache_clear()
    yield errors
    returns_wiring.settings.cache_clear()


def invoke() -> tuple[int, dict[str, Any]]:
    event = json.loads(EVENT.read_text())
    result = load_app("rto_restock").lambda_handler(event, LambdaContext("shipsync-test-rto-restock"))
    return int(result["statusCode"]), json.loads(result["body"])


@pytest.mark.parametrize(
    ("error", "status", "field"),
    [
        (InvalidOrder("pickup_pincode", "not 6 digits"), 422, "pickup_pincode"),
        (NotServiceable("no courier serves 560038 -> 411028"), 422, None),
        (AllCouriersRefused([AwbRefused(43, "Delhivery Surface", "no capacity")]), 422, None),
        (ProviderRequestError("shiprocket", "Oops! Something went wrong", http_status=400), 502, None),
    ],
)
def test_domain_and_provider_errors_answer_with_their_status_and_message(
    failing_booking: list[Exception], error: Exception, status: int, field: str | None
) -> None:
    failing_booking.append(error)
    assert invoke() == (status, {"error": str(error), "field": field})


def test_refused_request_answers_with_its_own_status_and_field(failing_booking: list[Exception]) -> None:
    failing_booking.append(WebhookRejected(409, "SO-01042 has not shipped yet", "salesorder_number"))
    assert invoke() == (409, {"error": "SO-01042 has not shipped yet", "field": "salesorder_number"})


@pytest.mark.parametrize(
    "error",
    [
        RateLimited("zoho: too many requests"),
        TokenRejected("zoho", 3),
        # Internal to the courier fallback: escaping it is a bug, retried like one.
        AwbRefused(43, "Delhivery Surface", "no capacity"),
        ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "PutItem"),
    ],
)
def test_transient_failures_are_503_without_the_internal_reason(
    failing_booking: list[Exception], error: Exception
) -> None:
    failing_booking.append(error)
    status, body = invoke()
    assert (status, body["error"]) == (503, UNAVAILABLE)
    assert body.get("field") is None


def test_a_rejected_token_on_the_route_asks_token_refresh_for_a_new_one(failing_booking: list[Exception]) -> None:
    import boto3

    failing_booking.append(TokenRejected("shiprocket", 7))
    assert invoke()[0] == 503
    received = boto3.client("sqs").receive_message(QueueUrl=os.environ["TOKEN_REFRESH_QUEUE_URL"])
    [request] = [json.loads(m["Body"]) for m in received["Messages"]]
    assert (request["provider"], request["seen_version"], request["reason"]) == ("shiprocket", 7, "rejected")
