"""The cod-remittance upload route through the real handler, moto for SQS and Secrets Manager:
JSON and CSV uploads are queued whole or not at all; 401 fails closed; 400 names the field; 413."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from tests.fixtures.lambda_app import LambdaContext, load_app

EVENTS = Path(__file__).resolve().parents[2] / "events" / "cod_remittance"
TOKEN = "local-remittance-webhook-token"


@pytest.fixture
def aws(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("WEBHOOK_SECRET_ID", "shipsync/test/webhooks")
    queue_url = boto3.client("sqs").create_queue(
        QueueName="shipsync-test-remittance.fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    monkeypatch.setenv("REMITTANCE_QUEUE_URL", queue_url)
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="shipsync/test/webhooks", SecretString=json.dumps({"remittance_webhook": TOKEN}))
    return {"queue_url": queue_url, "secrets": secrets}


def event(name: str, body: str | None = None, key: str | None = TOKEN) -> dict[str, Any]:
    loaded = dict(json.loads((EVENTS / name).read_text()))
    loaded["headers"] = {k: v for k, v in loaded["headers"].items() if k != "x-api-key"}
    if key is not None:
        loaded["headers"]["x-api-key"] = key
    if body is not None:
        loaded["body"] = body
    return loaded


def invoke(request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = load_app("cod_remittance").lambda_handler(request, LambdaContext("shipsync-test-cod-remittance"))
    return int(result["statusCode"]), json.loads(result["body"])


def queued(queue_url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


@pytest.mark.parametrize("name", ["webhook_json.json", "webhook_csv.json"])
def test_upload_is_queued_as_one_batch_message(aws: dict[str, Any], name: str) -> None:
    status, body = invoke(event(name))
    assert status == 202
    assert [b["remittance_id"] for b in body["batches"]] == ["UTR-HDFCN24164123456"]
    [message] = queued(aws["queue_url"])
    assert message["kind"] == "batch"
    assert message["batch"]["orders"][0]["cod_amount"] == 134176  # paise
    assert message["batch"]["bank_transfer_amount"] == 127926


@pytest.mark.parametrize("key", [None, "wrong"])
def test_missing_or_wrong_token_is_401(aws: dict[str, Any], key: str | None) -> None:
    assert invoke(event("webhook_json.json", key=key))[0] == 401
    assert queued(aws["queue_url"]) == []


def test_unset_secret_rejects_everything(aws: dict[str, Any]) -> None:
    aws["secrets"].put_secret_value(SecretId="shipsync/test/webhooks", SecretString=json.dumps({}))
    assert invoke(event("webhook_json.json"))[0] == 401


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (
            {"remittance_date": "2025-06-12", "bank_transfer_amount": 1, "orders": [{"awb": "A", "cod_amount": 1}]},
            "remittance_id",
        ),
        (
            {
                "remittance_id": "U",
                "remittance_date": "2025-06-12",
                "bank_transfer_amount": 1,
                "orders": [{"cod_amount": 1}],
            },
            "orders.0.awb",
        ),
        (
            {
                "remittance_id": "U",
                "remittance_date": "2025-06-12",
                "bank_transfer_amount": 1,
                "orders": [{"awb": "A", "cod_amount": -5}],
            },
            "orders.0.cod_amount",
        ),
    ],
)
def test_bad_batch_is_400_naming_the_field_and_nothing_queued(
    aws: dict[str, Any], document: dict[str, Any], field: str
) -> None:
    status, body = invoke(event("webhook_json.json", body=json.dumps(document)))
    assert (status, body["field"]) == (400, field)
    assert queued(aws["queue_url"]) == []


def test_csv_with_unmappable_columns_is_400_naming_them(aws: dict[str, Any]) -> None:
    status, body = invoke(event("webhook_csv.json", body="Foo,Bar\r\n1,2\r\n"))
    assert status == 400
    assert body["field"] == "columns"
    assert "AWB" in body["error"]
    assert queued(aws["queue_url"]) == []


def test_body_over_1_mb_is_413(aws: dict[str, Any]) -> None:
    document = json.loads(event("webhook_json.json")["body"])
    document["note"] = "x" * (1024 * 1024)
    assert invoke(event("webhook_json.json", body=json.dumps(document)))[0] == 413


@pytest.mark.parametrize("name", ["webhook_json.json", "webhook_csv.json"])
def test_queued_batch_reaches_the_worker_exactly_as_uploaded(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    from shipsync.remittance import wiring as remittance_wiring
    from shipsync.remittance.batches import RemittanceBatch
    from shipsync.remittance.intake import parse_remittance_upload
    from shipsync.remittance.job import AcceptBatch

    upload = event(name)
    [uploaded] = parse_remittance_upload(upload["body"], upload["headers"]["content-type"])
    assert invoke(upload)[0] == 202
    [body] = [m["Body"] for m in boto3.client("sqs").receive_message(QueueUrl=aws["queue_url"])["Messages"]]
    message = json.loads(body)
    # The JSON form: ISO date, whole paise, the same as pydantic's own JSON both ways.
    assert message["batch"] == json.loads(uploaded.model_dump_json())
    assert message["batch"]["remittance_date"] == uploaded.remittance_date.isoformat()
    assert RemittanceBatch.model_validate_json(json.dumps(message["batch"])) == uploaded

    accepted: list[RemittanceBatch] = []
    job = SimpleNamespace(accept_batch=accepted.append)
    worker_job = SimpleNamespace(attempt=lambda message: AcceptBatch(job, message.root))  # type: ignore[arg-type]
    monkeypatch.setattr(remittance_wiring, "remittance_job", lambda metrics: worker_job)
    records = json.loads((EVENTS / "sqs_order.json").read_text())
    records["Records"][0]["body"] = body
    answer = load_app("cod_remittance").lambda_handler(records, LambdaContext("shipsync-test-cod-remittance"))

    assert answer == {"batchItemFailures": []}
    assert accepted == [uploaded]
    assert isinstance(accepted[0].remittance_date, date)
    assert accepted[0].orders[0].cod_amount == 134176
