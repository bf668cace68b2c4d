"""The SQS sends of the composition root over moto: FIFO queues get the group and a content hash as
deduplication id (keys sorted), the standard queue gets the body as given."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3
import pytest

from shipsync import wiring

BODY = {"zeta": 1, "awb": "1411220456789", "alpha": {"b": 2, "a": 1}}


def fifo_queue(name: str) -> str:
    return str(boto3.client("sqs").create_queue(QueueName=name, Attributes={"FifoQueue": "true"})["QueueUrl"])


def received(queue_url: str) -> list[dict[str, Any]]:
    answer = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
    return list(answer.get("Messages", []))


@pytest.mark.parametrize(
    ("env", "send", "group"),
    [
        ("STATUS_QUEUE_URL", lambda body: wiring.enqueue_status(body, "1411220456789"), "1411220456789"),
        ("REMITTANCE_QUEUE_URL", lambda body: wiring.enqueue_remittance(body, group="batch-UTR1"), "batch-UTR1"),
    ],
)
def test_fifo_sends_group_and_hash_the_sorted_body(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, env: str, send: Any, group: str
) -> None:
    queue_url = fifo_queue("shipsync-test.fifo")
    monkeypatch.setenv(env, queue_url)

    message_id = send(BODY)
    send(dict(reversed(list(BODY.items()))))  # same content, other key order: dropped by SQS

    [message] = received(queue_url)
    text = json.dumps(BODY, sort_keys=True)
    assert message["MessageId"] == message_id
    assert message["Body"] == text
    assert message["Attributes"]["MessageGroupId"] == group
    assert message["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(text.encode()).hexdigest()


def test_standard_queue_send_keeps_the_body_as_given(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    queue_url = str(boto3.client("sqs").create_queue(QueueName="shipsync-test-orders")["QueueUrl"])
    monkeypatch.setenv("ORDER_QUEUE_URL", queue_url)

    message_id = wiring.enqueue_order(BODY)

    [message] = received(queue_url)
    assert (message["MessageId"], message["Body"]) == (message_id, json.dumps(BODY))
    assert "MessageGroupId" not in message["Attributes"]
