"""The order-confirmed webhook route, through the real handler, with moto for SQS and Secrets
Manager: authentication fails closed, bad input is a 4xx naming the field, nothing valid is
acknowledged before it is in SQS."""

from __future__ import annotations

import copy
import json
import urllib.parse
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.fixtures.aws import reset_aws_caches
from tests.fixtures.lambda_app import LambdaContext, load_app

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events" / "order_confirmed"
TOKEN = "local-zoho-webhook-token"


def load_event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


@pytest.fixture
def aws(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "shipsync")
    monkeypatch.setenv("WEBHOOK_SECRET_ID", "shipsync/test/webhooks")
    queue_url = boto3.client("sqs").create_queue(QueueName="shipsync-test-order")["QueueUrl"]
    monkeypatch.setenv("ORDER_QUEUE_URL", queue_url)
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="shipsync/test/webhooks", SecretString=json.dumps({"zoho_webhook": TOKEN}))
    return {"queue_url": queue_url, "secrets": secrets}


def invoke(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = load_app("order_confirmed").lambda_handler(event, LambdaContext("shipsync-test-order-confirmed"))
    return int(result["statusCode"]), json.loads(result["body"])


def queued(queue_url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_a_control_character_in_a_field_not_read_does_not_lose_the_order(aws: dict[str, Any]) -> None:
    event = load_event("webhook_json.json")
    body = json.loads(event["body"])
    body["salesorder"]["shipping_address"]["address"] = "No. 14\u000b3rd Cross \udc00"
    event["body"] = json.dumps(body)
    status, _ = invoke(event)
    assert status == 202
    assert [m["salesorder_number"] for m in queued(aws["queue_url"])] == ["SO-01042"]


@pytest.mark.parametrize("number", ["SO-\\u000001", "SO-\\ud80001"])
def test_a_control_character_in_the_order_number_is_a_400_naming_it(aws: dict[str, Any], number: str) -> None:
    event = load_event("webhook_json.json")
    event["body"] = event["body"].replace('"SO-01042"', f'"{number}"')
    status, answer = invoke(event)
    assert status == 400
    assert answer["field"] == "salesorder.salesorder_number"
    assert queued(aws["queue_url"]) == []


@pytest.mark.parametrize("event_file", ["webhook_json.json", "webhook_form.json"])
def test_confirmed_order_is_queued_then_acknowledged(aws: dict[str, Any], event_file: str) -> None:
    status, body = invoke(load_event(event_file))
    assert status == 202
    assert body["status"] == "queued"
    assert queued(aws["queue_url"]) == [
        {
            "salesorder_id": "1947583000000123001",
            "salesorder_number": "SO-01042",
            "source": "webhook",
            "intent": "ship",
            # The webhook's last_modified_time: an edit of a shipped order is looked for when it is new.
            "revision": "2024-06-01T10:16:03+0530",
            # A partial payload (no packages, no packed quantities): the worker reads the order.
            "salesorder": None,
        }
    ]


def _cancelled(event: dict[str, Any], *, void: bool) -> dict[str, Any]:
    body = json.loads(event["body"])
    so = body["salesorder"]
    so["last_modified_time"] = "2025-01-11T18:05:00+0530"
    if void:
        so["order_status"] = so["status"] = "void"
    else:
        so["custom_fields"] = [
            {"api_name": "cf_shipment_action", "placeholder": "cf_shipment_action", "value": "Cancel"}
        ]
    event["body"] = json.dumps(body)
    return event


@pytest.mark.parametrize("void", [True, False], ids=["voided", "cf_shipment_action"])
def test_a_voided_or_cancel_marked_order_is_queued_as_a_cancel_keyed_on_its_revision(
    aws: dict[str, Any], void: bool
) -> None:
    status, body = invoke(_cancelled(load_event("webhook_json.json"), void=void))
    assert status == 202
    assert (body["status"], body["intent"]) == ("queued", "cancel")
    [message] = queued(aws["queue_url"])
    assert (message["intent"], message["revision"]) == ("cancel", "2025-01-11T18:05:00+0530")


def test_a_cancel_field_with_another_value_or_a_draft_order_is_not_a_cancel(aws: dict[str, Any]) -> None:
    event = load_event("webhook_json.json")
    body = json.loads(event["body"])
    body["salesorder"]["custom_field_hash"] = {"cf_shipment_action": "Keep"}
    event["body"] = json.dumps(body)
    status, answer = invoke(event)
    assert (status, answer["intent"]) == (202, "ship")
    body["salesorder"]["order_status"] = "draft"
    event["body"] = json.dumps(body)
    status, answer = invoke(event)
    assert (status, answer["status"]) == (202, "ignored")


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
        ("JSONString=" + urllib.parse.quote("{broken"), 400, "JSONString"),
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
    reset_aws_caches()
    status, _ = invoke(load_event("webhook_json.json"))
    assert status == 503


def test_the_sample_cancel_event_queues_a_cancel(aws: dict[str, Any]) -> None:
    status, body = invoke(load_event("webhook_cancel.json"))
    assert (status, body["intent"]) == (202, "cancel")
    [message] = queued(aws["queue_url"])
    assert (message["salesorder_number"], message["intent"]) == ("SO-01042", "cancel")


# ------------------------------------------------------------------ the whole sales order as a snapshot (issue 16)

PUBLISHED_WEBHOOK = Path(__file__).parents[1] / "contract" / "published" / "zoho" / "inventory_webhook_salesorder.json"


def _whole_order() -> dict[str, Any]:
    """The live webhook body another integrator captured (a workflow's default payload: the whole order)."""
    body = json.loads(PUBLISHED_WEBHOOK.read_text())["examples"][0]["body"]
    return copy.deepcopy(body["salesorder"])


def test_a_webhook_carrying_the_whole_order_keeps_it_for_the_worker() -> None:
    from shipsync.orders.intake import parse_salesorder

    so = _whole_order()

    order = parse_salesorder(json.dumps({"salesorder": so}), "application/json")

    assert order.snapshot == so


@pytest.mark.parametrize(
    "damage",
    [
        lambda so: so.pop("packages"),  # without the list, "no package yet" is not known
        lambda so: so["line_items"][0].pop("quantity_packed"),  # what is left to pack is not known
        lambda so: so.pop("shipping_address"),
        lambda so: so.__setitem__("line_items", []),
        lambda so: so["shipping_address"].__setitem__("address", "12 MG Road\x07"),  # scrubbed on the way in
        lambda so: so.__setitem__("notes", "x" * 200_000),  # too big for a queue message
    ],
)
def test_a_partial_scrubbed_or_oversized_body_is_not_kept(damage: Any) -> None:
    from shipsync.orders.intake import parse_salesorder

    so = _whole_order()
    damage(so)

    order = parse_salesorder(json.dumps({"salesorder": so}), "application/json")

    assert order.snapshot is None
    assert order.salesorder_number == "SO-00823"
