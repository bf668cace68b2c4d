"""Lazily created, process-wide boto3 clients (one per service, reused across invocations).

boto3 honours ``AWS_ENDPOINT_URL``, which is how the local stack points every client at moto.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    # Short timeouts and standard retries: a slow AWS call must not eat the Lambda's budget.
    config = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.client(service, config=config)
