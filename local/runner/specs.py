"""What the runner reads from a template (functions, routes, SQS sources, schedules), the Lambda context
it hands handlers, and what it counts."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.aws import ACCOUNT_ID, REGION

# One logger for every part of the runner, under the name its records have always had.
log = logging.getLogger("local.runner")

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The attributes and method of the Lambda context object that handlers and Powertools read."""

    def __init__(self, function: FunctionSpec, request_id: str | None = None) -> None:
        self.function_name = function.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.function_name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]local"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class FunctionSpec:
    logical_id: str
    function_name: str
    arn: str
    code_uri: Path
    handler: str
    timeout_s: float
    memory_mb: int
    environment: dict[str, str]
    # ReservedConcurrentExecutions: Lambda throttles beyond it; locally extra invocations wait their turn.
    reserved_concurrency: int | None = None


@dataclass
class ApiRoute:
    function: str
    method: str  # upper case, or ANY
    path: str  # the resource template, e.g. /returns/{id}
    iam: bool
    stage: str
    pattern: re.Pattern[str]


@dataclass
class SqsSource:
    function: str
    event_name: str
    queue: str  # logical id
    queue_url: str
    queue_arn: str
    batch_size: int
    report_failures: bool
    concurrency: int
    fifo: bool
    visibility_timeout_s: int


@dataclass
class Schedule:
    function: str
    event_name: str
    expression: str
    input: Any  # None: the EventBridge scheduled-event shape
    enabled: bool
    rule_arn: str

    @property
    def interval_s(self) -> float | None:
        found = re.fullmatch(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)", self.expression.strip())
        if not found:
            return None  # cron() has no fixed interval: fire it on demand
        unit = found.group(2).rstrip("s")
        return int(found.group(1)) * {"minute": 60, "hour": 3600, "day": 86400}[unit]

    def event(self) -> Any:
        if self.input is not None:
            return json.loads(self.input) if isinstance(self.input, str) else self.input
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [self.rule_arn],
            "detail": {},
        }


@dataclass
class RunnerMetrics:
    invocations: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    api_status: Counter[int] = field(default_factory=Counter)
    # "METHOD /resource" -> handler round trips in milliseconds, as seen by the HTTP server.
    api_latency_ms: dict[str, deque[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "invocations": dict(self.invocations),
                "errors": dict(self.errors),
                "api_status": dict(self.api_status),
                "api_latency_ms": {route: list(samples) for route, samples in self.api_latency_ms.items()},
            }

    def reset(self) -> None:
        with self.lock:
            self.invocations.clear()
            self.errors.clear()
            self.api_status.clear()
            self.api_latency_ms.clear()
