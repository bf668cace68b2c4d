"""Shared unit-test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from moto import mock_aws

from tests.fixtures.aws import reset_aws_caches

# Every queue a function's settings require (config: no queue URL defaults to ""), as the template names
# the variables; a test that needs its own queue sets the variable again after this fixture.
REQUIRED_QUEUES = {
    "TOKEN_REFRESH_QUEUE_URL": "token-refresh.fifo",
    "TOKEN_REFRESH_DLQ_URL": "token-refresh-dlq.fifo",
    "ORDER_QUEUE_URL": "order",
    "ORDER_DLQ_URL": "order-dlq",
    "STATUS_QUEUE_URL": "status.fifo",
    "STATUS_DLQ_URL": "status-dlq.fifo",
    "RTO_QUEUE_URL": "rto",
    "RTO_DLQ_URL": "rto-dlq",
    "REMITTANCE_QUEUE_URL": "remittance.fifo",
    "REMITTANCE_DLQ_URL": "remittance-dlq.fifo",
}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in ap-south-1 with dummy keys and the stack's queues; AWS_ENDPOINT_URL removed so nothing escapes
    to a local stack."""
    import boto3

    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="ap-south-1")
        for variable, name in REQUIRED_QUEUES.items():
            fifo = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
            url = sqs.create_queue(QueueName=f"shipsync-test-{name}", Attributes=fifo)["QueueUrl"]
            monkeypatch.setenv(variable, url)
        reset_aws_caches()
        yield
        reset_aws_caches()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """Mocked HTTP that fails the test on an unregistered request or on a registered one never made."""
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def table(aws_env: None) -> str:
    """A ledger table in moto (the limiter's buckets and the day's budget live there)."""
    import boto3

    boto3.client("dynamodb").create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "ledger"
