"""The shipment-status webhook route through the real handler, moto for SQS and Secrets Manager:
200 only once queued, 401 fails closed, bad input is a 4xx naming the field, never a 5xx."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.fixtures.lambda_app import LambdaContext, load_app

EVENT = Path(__file__).resolve().parents[2] / "events" / "shipment_status" / "webhook.json"
TOKEN = "local-shiprocket-webhook-token"


@pytest.fixture
def aws(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("WEBHOOK_SECRET_ID", "shipsync/test/webhooks")
    queue_url = boto3.client("sqs").create_queue(
        QueueName="shipsync-test-status.fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    monkeypatch.setenv("STATUS_QUEUE_URL", queue_url)
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="shipsync/test/webhooks", SecretString=json.dumps({"shiprocket_webhook": TOKEN}))
    return {"queue_url": queue_url, "secrets": secrets}


def event_with(body: str | None = None, key: str | None = TOKEN) -> dict[str, Any]:
    event = dict(json.loads(EVENT.read_text()))
    event["headers"] = {k: v for k, v in event["headers"].items() if k != "x-api-key"}
    if key is not None:
        event["headers"]["x-api-key"] = key
    if body is not None:
        event["body"] = body
    return event


def invoke(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = load_app("shipment_status").lambda_handler(event, LambdaContext("shipsync-test-shipment-status"))
    return int(result["statusCode"]), json.loads(result["body"])


def queued(queue_url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_valid_event_is_queued_as_sent_then_answered_200(aws: dict[str, Any]) -> None:
    event = event_with()
    status, body = invoke(event)
    assert (status, body["status"], body["awb"]) == (200, "queued", "1411220456789")
    assert queued(aws["queue_url"]) == [json.loads(event["body"])]


@pytest.mark.parametrize("key", [None, "wrong", TOKEN + "x"])
def test_missing_or_wrong_token_is_401(aws: dict[str, Any], key: str | None) -> None:
    assert invoke(event_with(key=key))[0] == 401
    assert queued(aws["queue_url"]) == []


def test_unset_secret_rejects_everything(aws: dict[str, Any]) -> None:
    aws["secrets"].put_secret_value(SecretId="shipsync/test/webhooks", SecretString=json.dumps({}))
    assert invoke(event_with())[0] == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("", "body"),
        ("[1, 2]", "body"),
        ("{not json", "body"),
        (json.dumps({"shipment_status_id": 18, "current_timestamp": "14 01 2025 09:12:40"}), "awb"),
        (json.dumps({"awb": "1411220456789", "current_timestamp": "14 01 2025 09:12:40"}), "shipment_status_id"),
        (
            json.dumps({"awb": "1", "shipment_status_id": "NA", "current_timestamp": "14 01 2025 09:12:40"}),
            "shipment_status_id",
        ),
        # The AWB is the StatusQueue's message group id: SQS takes at most 128 letters, digits and punctuation.
        (json.dumps({"awb": "1" * 200, "shipment_status_id": 18, "current_timestamp": "14 01 2025 09:12:40"}), "awb"),
        (json.dumps({"awb": "14 11", "shipment_status_id": 18, "current_timestamp": "14 01 2025 09:12:40"}), "awb"),
        (json.dumps({"awb": "x\ud800", "shipment_status_id": 18, "current_timestamp": "14 01 2025 09:12:40"}), "awb"),
        (json.dumps({"awb": ["1411"], "shipment_status_id": 18, "current_timestamp": "14 01 2025 09:12:40"}), "awb"),
    ],
)
def test_bad_input_is_400_naming_the_field(aws: dict[str, Any], body: str, field: str) -> None:
    status, answer = invoke(event_with(body=body))
    assert status == 400
    assert answer["field"] == field
    assert queued(aws["queue_url"]) == []


def test_a_control_character_in_a_scan_is_scrubbed_not_a_lost_status(aws: dict[str, Any]) -> None:
    # Couriers' scan text is relayed as typed; refusing the webhook over it would lose the status for good.
    payload = json.loads(event_with()["body"])
    payload["scans"][0]["activity"] = "Bag\u0000 received \ud800 at hub"
    status, _ = invoke(event_with(body=json.dumps(payload)))
    assert status == 200
    [message] = queued(aws["queue_url"])
    assert message["scans"][0]["activity"] == "Bag\ufffd received \ufffd at hub"
    assert message["awb"] == payload["awb"]


def test_a_body_that_outgrows_sqs_once_queued_is_a_413_not_a_5xx(aws: dict[str, Any]) -> None:
    # 80,000 Devanagari letters are 240 KB of UTF-8, under the route's limit, and twice that once escaped for SQS.
    payload = json.loads(event_with()["body"])
    payload["qc_failure_reason"] = "\u0939" * 80_000
    status, answer = invoke(event_with(body=json.dumps(payload, ensure_ascii=False)))
    assert status == 413
    assert answer["field"] == "body"
    assert queued(aws["queue_url"]) == []


def test_string_status_id_is_accepted(aws: dict[str, Any]) -> None:
    payload = json.loads(event_with()["body"])
    payload["shipment_status_id"] = "18"
    assert invoke(event_with(body=json.dumps(payload)))[0] == 200


def test_body_over_256_kb_is_413(aws: dict[str, Any]) -> None:
    payload = json.loads(event_with()["body"])
    payload["qc_failure_reason"] = "x" * (256 * 1024)
    assert invoke(event_with(body=json.dumps(payload)))[0] == 413
