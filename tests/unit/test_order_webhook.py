"""The order-confirmed webhook route, through the real handler, with moto for SQS and Secrets
Manager: authentication fails closed, bad input is a 4xx naming the field, nothing valid is
acknowledged before it is in SQS."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events" / "order_confirmed"
TOKEN = "local-zoho-webhook-token"


class Context:
    function_name = "shipsync-test-order-confirmed"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:ap-south-1:123456789012:function:shipsync-test-order-confirmed"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load_event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def _load_handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "order_confirmed_app_under_test", ROOT / "functions/order_confirmed/app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name, value in {
        "AWS_DEFAULT_REGION": "ap-south-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_METRICS_NAMESPACE": "shipsync",
        "WEBHOOK_SECRET_ID": "shipsync/test/webhooks",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        queue_url = boto3.client("sqs").create_queue(QueueName="shipsync-test-order")["QueueUrl"]
        monkeypatch.setenv("ORDER_QUEUE_URL", queue_url)
        secrets = boto3.client("secretsmanager")
        secrets.create_secret(Name="shipsync/test/webhooks", SecretString=json.dumps({"zoho_webhook": TOKEN}))
        _reset_caches()
        yield {"queue_url": queue_url, "secrets": secrets}
        _reset_caches()


def _reset_caches() -> None:
    from aws_lambda_powertools.utilities import parameters

    from shipsync import wiring
    from shipsync.adapters import aws as aws_adapter

    parameters.clear_caches()
    aws_adapter.client.cache_clear()
    for name in ("order_settings", "token_store", "refresh_requester", "alerts"):
        getattr(wiring, name).cache_clear()


def invoke(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = _load_handler().lambda_handler(event, Context())
    return int(result["statusCode"]), json.loads(result["body"])


def queued(queue_url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


@pytest.mark.parametrize("event_file", ["webhook_json.json", "webhook_form.json"])
def test_confirmed_order_is_queued_then_acknowledged(aws: dict[str, Any], event_file: str) -> None:
    status, body = invoke(load_event(event_file))
    assert status == 202
    assert body["status"] == "queued"
    assert queued(aws["queue_url"]) == [
        {"salesorder_id": "1947583000000123001", "salesorder_number": "SO-01042", "source": "webhook"}
    ]


@pytest.mark.parametrize("key", [None, "wrong-token", TOKEN[:-1]])
def test_missing_or_wrong_api_key_is_401_and_nothing_queued(aws: dict[str, Any], key: str | None) -> None:
    event = load_event("webhook_json.json")
    event["headers"].pop("x-api-key")
    if key is not None:
        event["headers"]["x-api-key"] = key
    status, _ = invoke(event)
    assert status == 401
    assert queued(aws["queue_url"]) == []


def test_unset_secret_rejects_everything(aws: dict[str, Any]) -> None:
    aws["secrets"].put_secret_value(SecretId="shipsync/test/webhooks", SecretString=json.dumps({"zoho_webhook": ""}))
    status, body = invoke(load_event("webhook_json.json"))
    assert status == 401
    assert "not configured" in body["error"]


def test_draft_order_is_ignored_with_202(aws: dict[str, Any]) -> None:
    status, body = invoke(load_event("webhook_draft.json"))
    assert (status, body["status"]) == (202, "ignored")
    assert queued(aws["queue_url"]) == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("", 400, "body"),
        ("{not json", 400, "body"),
        ("[1, 2]", 400, "body"),
        (json.dumps({"salesorder": {"salesorder_number": "SO-1"}}), 400, "salesorder.salesorder_id"),
        (
            json.dumps({"salesorder": {"salesorder_id": "12x", "salesorder_number": "SO-1"}}),
            400,
            "salesorder.salesorder_id",
        ),
        (json.dumps({"order": {}}), 400, "salesorder"),
        ("JSONString=" + urllib.parse.quote("{broken"), 400, "body"),
        ("a=1&b=2", 400, "JSONString"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(aws: dict[str, Any], body: str, status: int, field: str) -> None:
    event = copy.deepcopy(load_event("webhook_json.json"))
    event["body"] = body
    if body.startswith(("JSONString", "a=")):
        event["headers"]["content-type"] = "application/x-www-form-urlencoded"
    got_status, answer = invoke(event)
    assert got_status == status
    assert answer["field"] == field
    assert queued(aws["queue_url"]) == []


def test_body_over_256_kb_is_413(aws: dict[str, Any]) -> None:
    event = load_event("webhook_json.json")
    document = json.loads(event["body"])
    document["salesorder"]["notes"] = "x" * (256 * 1024)
    event["body"] = json.dumps(document)
    status, _ = invoke(event)
    assert status == 413


def test_queue_down_means_no_acknowledgement(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDER_QUEUE_URL", aws["queue_url"].replace("shipsync-test-order", "missing-queue"))
    _reset_caches()
    status, _ = invoke(load_event("webhook_json.json"))
    assert status == 503
