"""An SQS event source's side of Lambda: receiving a batch, its records, and which messages failed."""

from __future__ import annotations

import base64
import threading
from typing import Any

from local.aws import REGION
from local.runner.specs import SqsSource, log

# Pollers short-poll and pause when a queue is empty: the local moto server serves one
# request at a time, so a long poll would hold up everyone else (see local.aws).
POLL_IDLE_S = 0.1


def receive(sqs: Any, source: SqsSource, stop: threading.Event) -> list[dict[str, Any]]:
    # The batching window is not waited locally: a batch is what is available now.
    messages: list[dict[str, Any]] = []
    while len(messages) < source.batch_size and not stop.is_set():
        received = sqs.receive_message(
            QueueUrl=source.queue_url,
            MaxNumberOfMessages=min(source.batch_size - len(messages), 10),
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            break
        messages.extend(received)
    return messages


def lambda_record(source: SqsSource, message: dict[str, Any]) -> dict[str, Any]:
    attributes: dict[str, dict[str, Any]] = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        binary = value.get("BinaryValue")
        attributes[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(binary).decode() if binary is not None else None,
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": [base64.b64encode(b).decode() for b in value.get("BinaryListValues", [])],
            "dataType": value.get("DataType"),
        }
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": source.queue_arn,
        "awsRegion": REGION,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def failed_ids(source: SqsSource, result: Any, ids: set[str]) -> set[str]:
    if not source.report_failures or not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures") or []
    failed = {str(item.get("itemIdentifier") or "") if isinstance(item, dict) else "" for item in failures}
    if failed - ids:
        # Lambda's rule: an empty or unknown itemIdentifier fails the whole batch.
        log.warning("%s reported unknown batch item ids; the whole batch is retried", source.function)
        return ids
    return failed
