"""The stacks a day plays on: one started here with scaled Zoho limits, or a running ``make serve``."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.sample_day.sims import Stack, sim_post
from local.sim.zoho import DEFAULT_PER_MINUTE_LIMIT

if TYPE_CHECKING:
    from local.stack import LocalStack

# `make run` compresses the day: Zoho's per-minute limit and our limiter are both scaled by
# this factor, keeping their ratio (limiter at 90 % of Zoho's ceiling, so still no 429).
ZOHO_LIMIT_SCALE = 5
ZOHO_PER_MINUTE = DEFAULT_PER_MINUTE_LIMIT
# shipsync's own limiter default (CommonSettings.zoho_requests_per_minute); not imported, because the runner
# loads the layer per invocation and the parent process must not hold its own copy of it.
SHIPSYNC_ZOHO_PER_MINUTE = 90


class RemoteStack:
    """A stack started elsewhere (``make serve``), driven through ``.local-stack.json``."""

    def __init__(self, state: dict[str, Any]) -> None:
        import boto3

        from local.aws import ALERTS_INBOX, REGION

        self.api_url = str(state["api"])
        self.shiprocket_url = str(state["shiprocket"])
        self.zoho_url = str(state["zoho"])
        self.tokens = {str(k): str(v) for k, v in state["tokens"].items()}
        self._sqs = boto3.client(
            "sqs",
            endpoint_url=state["aws"],
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self._inbox = ALERTS_INBOX
        self._alerts: list[dict[str, Any]] = []

    @property
    def sqs(self) -> Any:
        return self._sqs

    def _queues(self) -> dict[str, str]:
        urls = self._sqs.list_queues().get("QueueUrls", [])
        return {url.rsplit("/", 1)[-1]: url for url in urls if not url.endswith("/" + self._inbox)}

    def queue_url(self, logical_id: str) -> str:
        # Remotely only the queue names are known: the depths are keyed by name, and so is this.
        return self._queues()[logical_id]

    def queue_depths(self) -> dict[str, int]:
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        return {
            name: sum(
                int(v)
                for v in self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"].values()
            )
            for name, url in self._queues().items()
        }

    def wait_idle(self, timeout: float = 30.0) -> None:
        # Without the runner's view of running invocations, two empty looks a second apart stand in.
        deadline = time.monotonic() + timeout
        quiet = 0
        while True:
            depths = self.queue_depths()
            busy = {name: depth for name, depth in depths.items() if depth and "dlq" not in name.lower()}
            quiet = 0 if busy else quiet + 1
            if quiet >= 2:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"remote stack not idle after {timeout} s: {busy}")
            time.sleep(0.5 if busy else 1.0)

    def alerts(self) -> list[dict[str, Any]]:
        from local.stack import _alert

        url = self._sqs.get_queue_url(QueueName=self._inbox)["QueueUrl"]
        while True:
            received = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = received.get("Messages", [])
            if not messages:
                return list(self._alerts)
            self._alerts.extend(_alert(message["Body"]) for message in messages)
            self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )


@contextlib.contextmanager
def open_stack(
    api_state: Path | None, port: int, zoho_limit_scale: int, extra_env: dict[str, str] | None = None
) -> Iterator[Stack]:
    if api_state is not None:
        yield RemoteStack(json.loads(api_state.read_text(encoding="utf-8")))
        return
    with scaled_local_stack(port, zoho_limit_scale, extra_env) as stack:
        yield stack


@contextlib.contextmanager
def scaled_local_stack(
    port: int, zoho_limit_scale: int, extra_env: dict[str, str] | None = None
) -> Iterator[LocalStack]:
    """A local stack whose Zoho limits (the simulator's and shipsync's limiter) are both ``zoho_limit_scale``
    times the real ones, so a day of orders is not paced by the real 100 requests a minute; ``extra_env``
    reaches the functions' environment (the chaos day shortens the clients' read timeout)."""
    from local.stack import LocalStack

    env = {"ZOHO_REQUESTS_PER_MINUTE": str(SHIPSYNC_ZOHO_PER_MINUTE * zoho_limit_scale), **(extra_env or {})}
    with LocalStack(api_port=port, extra_env=env) as stack:
        sim_post(stack.zoho_url, "/_sim/seed", {"per_minute_limit": ZOHO_PER_MINUTE * zoho_limit_scale})
        yield stack
