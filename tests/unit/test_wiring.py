"""The features' SQS producers over moto: each sends its message model; FIFO queues get the group and a
content hash as deduplication id (keys sorted); a malformed record goes to a DLQ as it was received."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shipsync.adapters.queues import dead_letter
from shipsync.orders import wiring as orders
from shipsync.orders.messages import OrderMessage
from shipsync.remittance import wiring as remittance
from shipsync.remittance.batches import RemittanceBatch, RemittanceLine
from shipsync.remittance.messages import BatchMessage
from shipsync.tracking import wiring as tracking
from shipsync.tracking.messages import StatusMessage

WEBHOOK = {"zeta": 1, "awb": "1411220456789", "shipment_status_id": 6, "current_timestamp": "23 05 2023 11:43:52"}


def received(queue_url: str) -> list[dict[str, Any]]:
    answer = boto3.client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    )
    return list(answer.get("Messages", []))


def test_status_events_are_grouped_by_awb_and_deduplicated_on_their_content(aws_env: None) -> None:
    queue_url = os.environ["STATUS_QUEUE_URL"]
    message_id = tracking.enqueue_status(StatusMessage.of(WEBHOOK))
    tracking.enqueue_status(StatusMessage.of(dict(reversed(list(WEBHOOK.items())))))  # same content: dropped

    [message] = received(queue_url)
    text = json.dumps(WEBHOOK, sort_keys=True)
    assert message["MessageId"] == message_id
    assert message["Body"] == text
    assert message["Attributes"]["MessageGroupId"] == "1411220456789"
    assert message["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(text.encode()).hexdigest()
    assert StatusMessage.model_validate_json(message["Body"]).event.shipment_status_id == 6


def test_a_remittance_batch_is_grouped_by_its_id(aws_env: None) -> None:
    line = RemittanceLine(awb="19041234567890", cod_amount=134176, deducted_charges=6250)
    batch = RemittanceBatch(
        remittance_id="UTR1", remittance_date=date(2025, 6, 12), bank_transfer_amount=127926, orders=[line]
    )
    remittance.enqueue_remittance(BatchMessage(batch=batch))

    [message] = received(os.environ["REMITTANCE_QUEUE_URL"])
    assert message["Attributes"]["MessageGroupId"] == "batch-UTR1"
    assert json.loads(message["Body"])["kind"] == "batch"


def test_an_order_is_sent_as_its_message_model(aws_env: None) -> None:
    message = OrderMessage(salesorder_id="1947583000000123001", salesorder_number="SO-01042", source="webhook")
    message_id = orders.enqueue_order(message)

    [sent] = received(os.environ["ORDER_QUEUE_URL"])
    assert sent["MessageId"] == message_id
    assert OrderMessage.model_validate_json(sent["Body"]) == message
    assert "MessageGroupId" not in sent["Attributes"]


@pytest.mark.parametrize("dlq", ["ORDER_DLQ_URL", "STATUS_DLQ_URL"])
def test_a_rejected_record_reaches_the_dlq_as_received_with_its_reason(aws_env: None, dlq: str) -> None:
    record = SQSRecord({"messageId": "m-1", "body": "{not json", "attributes": {"MessageGroupId": "1411220456789"}})
    dead_letter(os.environ[dlq], record, "not a StatusMessage: bad fields body")

    [moved] = received(os.environ[dlq])
    assert moved["Body"] == "{not json"
    assert moved["MessageAttributes"]["shipsync_rejected"]["StringValue"] == "not a StatusMessage: bad fields body"
    if dlq == "STATUS_DLQ_URL":
        assert moved["Attributes"]["MessageGroupId"] == "1411220456789"
