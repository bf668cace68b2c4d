"""SQS: a feature's message onto its queue, a malformed message onto its queue's DLQ, a received message held
invisible."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from pydantic import BaseModel

from shipsync.adapters.aws import client
from shipsync.errors import MessageTooLarge

# SQS's default MaximumMessageSize, which the template's queues keep. A route body can grow past it once
# queued (a 256 KB Shiprocket webhook in Devanagari escapes to twice that), so the send checks.
MAX_MESSAGE_BYTES = 256 * 1024

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def send(queue_url: str, message: BaseModel, *, group: str | None = None) -> str:
    """One message; returns its SQS message id. With ``group``, a FIFO message in that group whose
    deduplication id is the body's hash (keys sorted, so the same content always hashes the same, however
    a sender ordered it). A body over SQS's limit raises ``MessageTooLarge`` before any call."""
    # ASCII (non-ASCII escaped): SQS accepts only some Unicode in a body, and every escape is among it.
    body = json.dumps(message.model_dump(mode="json"), sort_keys=True)
    if len(body) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(len(body), MAX_MESSAGE_BYTES)
    if group is None:
        response = client("sqs").send_message(QueueUrl=queue_url, MessageBody=body)
    else:
        response = client("sqs").send_message(
            QueueUrl=queue_url,
            MessageBody=body,
            MessageGroupId=group,
            MessageDeduplicationId=hashlib.sha256(body.encode()).hexdigest(),
        )
    return str(response["MessageId"])


def dead_letter(dlq_url: str, record: SQSRecord, reason: str) -> None:
    """``record`` as it was received, onto ``dlq_url``, with the reason as a message attribute (what a
    redrive after the producer's fix needs to know). A FIFO DLQ keeps the record's message group."""
    extra: dict[str, str] = {}
    if dlq_url.endswith(".fifo"):
        extra = {
            "MessageGroupId": record.attributes.message_group_id or "malformed",
            "MessageDeduplicationId": record.message_id,
        }
    client("sqs").send_message(
        QueueUrl=dlq_url,
        MessageBody=record.body,
        MessageAttributes={"shipsync_rejected": {"DataType": "String", "StringValue": reason[:1000]}},
        **extra,
    )


def hold(record: SQSRecord, seconds: int) -> None:
    """Keep a received message invisible for ``seconds`` (it is then received again, one receive more)."""
    client("sqs").change_message_visibility(
        QueueUrl=queue_url_of(record.event_source_arn), ReceiptHandle=record.receipt_handle, VisibilityTimeout=seconds
    )


def queue_url_of(queue_arn: str) -> str:
    """A queue's URL from its ARN (arn:aws:sqs:<region>:<account>:<name>), without a GetQueueUrl call."""
    _, _, _, region, account, name = queue_arn.split(":", 5)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"
