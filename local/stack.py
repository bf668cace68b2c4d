"""The whole local stack: moto, the Shiprocket and Zoho simulators, and the runner.

``python -m local.stack`` (``make serve``) keeps it up in the foreground and writes
``.local-stack.json`` at the repository root for external checks (README.md, the contract for external checks)::

    {"api": URL, "shiprocket": URL, "zoho": URL, "aws": URL,
     "tokens": {"zoho_webhook": S, "shiprocket_webhook": S, "remittance_webhook": S, "admin": S},
     "environment": {NAME: VALUE}}

``LocalStack`` is the same thing as a context manager for tests, ``local.invoke`` and the
sample-day runner. Provisioning fills the provider secrets with the simulators' API
credentials (tokens empty) and the webhook secret with fresh random tokens; after start the
token-refresh schedule fires once so tokens exist before any traffic.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import secrets
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from local.aws import MotoServer, client, client_environment
from local.runner import Runner
from local.runner.service_logs import skip_routed
from local.sample_data.catalogue import WAREHOUSES, zoho_location

log = logging.getLogger("local.stack")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"
STATE_FILE = REPO_ROOT / ".local-stack.json"
TOKEN_REFRESH_FUNCTION = "TokenRefreshFunction"
SHIPROCKET_SECRET = "ShiprocketSecret"
ZOHO_SECRET = "ZohoSecret"
WEBHOOK_SECRET = "WebhookSecret"
STATUS_WEBHOOK_PATH = "/webhooks/shipment-status"
# The seller's warehouse (customer returns go back to it): the simulator's default pickup address.
# The sample seller's two warehouses (local.sample_data.catalogue): an order line naming no location leaves from
# the default pickup location, "Primary".
LOCAL_WAREHOUSES = WAREHOUSES
LOCAL_PICKUP_LOCATIONS_JSON = json.dumps(
    {
        "locations": {
            location_id: {"pickup_location": entry["pickup_location"], "pincode": entry["pincode"]}
            for location_id, entry in LOCAL_WAREHOUSES.items()
        }
    }
)

LOCAL_PARAMETERS = {
    "PickupLocationsJson": LOCAL_PICKUP_LOCATIONS_JSON,
    # The sample seller's Books accounts for the wallet's debits (the simulator takes any id).
    "FreightExpenseAccountId": "1947583000000000520",
    "WalletAccountId": "1947583000000000530",
    "WarehouseName": "Seller Warehouse",
    "WarehouseAddress": "Plot 12, Industrial Estate Road, Hadapsar",
    "WarehouseCity": "Pune",
    "WarehouseState": "Maharashtra",
    "WarehousePhone": "9800000001",
    "WarehouseEmail": "warehouse@seller.example",
}


class LocalStack:
    """Starts moto, both simulators and the runner; ``stop`` undoes exactly what ``start`` did."""

    def __init__(
        self,
        template_path: str | Path = DEFAULT_TEMPLATE,
        *,
        api_port: int = 3000,
        time_scale: float | None = None,
        retry_delay_s: float = 1,
        # 1, 2, 4, 8, 16 s: a message gets ~30 s to succeed before its sixth receive sends it to
        # the DLQ (a duplicate waiting for the first delivery's lock, a Zoho minute that is full).
        retry_backoff: float = 2.0,
        state_file: Path | None = None,
        parameters: Mapping[str, str] | None = None,
        extra_env: Mapping[str, str] | None = None,
        tokens: Mapping[str, str] | None = None,
    ) -> None:
        self.template_path = Path(template_path)
        self.api_port = api_port
        self.time_scale = time_scale
        self.retry_delay_s = retry_delay_s
        self.retry_backoff = retry_backoff
        self.state_file = state_file
        self.parameters = {**LOCAL_PARAMETERS, **(parameters or {})}
        self.extra_env = dict(extra_env or {})
        self.api_url = self.shiprocket_url = self.zoho_url = self.aws_url = ""
        # Random unless given (local.invoke passes the fixed tokens the sample events carry).
        self.tokens: dict[str, str] = dict(tokens or {})
        self._runner: Runner | None = None
        self._sims: list[Any] = []  # SimServer instances
        self._moto = False
        self._initial_secrets: dict[str, str] = {}
        self._alerts: list[dict[str, Any]] = []
        self._alerts_lock = threading.Lock()

    @property
    def runner(self) -> Runner:
        if self._runner is None:
            raise RuntimeError("the local stack is not started")
        return self._runner

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> LocalStack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        # Imported here: the simulators are heavy and not every user of this module needs them.
        # A new stack is a new deployment: nothing cached by a previous stack in this process
        # (secrets, clients, settings) may leak into it.
        for name in [m for m in sys.modules if m == "shipsync" or m.startswith("shipsync.")]:
            del sys.modules[name]
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()  # type: ignore[no-untyped-call]
        from local.sim.base import SimServer
        from local.sim.shiprocket import ShiprocketSim
        from local.sim.zoho import ZohoSim

        self.aws_url = MotoServer.acquire()
        self._moto = True
        shiprocket = SimServer(ShiprocketSim()).start()
        self._sims.append(shiprocket)
        zoho = SimServer(ZohoSim()).start()
        self._sims.append(zoho)
        self.shiprocket_url, self.zoho_url = shiprocket.url, zoho.url
        self.tokens = {
            "zoho_webhook": secrets.token_urlsafe(24),
            "shiprocket_webhook": secrets.token_urlsafe(24),
            "remittance_webhook": secrets.token_urlsafe(24),
            "admin": secrets.token_urlsafe(32),
            **self.tokens,
        }
        overrides = {
            "SHIPROCKET_BASE_URL": shiprocket.url + ShiprocketSim.prefix,
            "ZOHO_API_BASE_URL": zoho.url,
            "ZOHO_ACCOUNTS_URL": zoho.url,
            **self.extra_env,
        }
        self._runner = Runner(
            self.template_path,
            overrides=overrides,
            api_port=self.api_port,
            time_scale=self.time_scale,
            retry_delay_s=self.retry_delay_s,
            retry_backoff=self.retry_backoff,
            admin_token=self.tokens["admin"],
            parameters=self.parameters,
        )
        self._initial_secrets = {
            logical_id: client("secretsmanager").get_secret_value(SecretId=self.runner.resources.ref(logical_id))[
                "SecretString"
            ]
            for logical_id in (SHIPROCKET_SECRET, ZOHO_SECRET, WEBHOOK_SECRET)
            if logical_id in self.runner.resources.resources
        }
        self._provision_secrets()
        self.runner.start()
        self.api_url = self.runner.api_url
        self._point_tracking_webhooks_here()
        self._seed_warehouses()
        self._refresh_tokens()
        if self.state_file is not None:
            self.state_file.write_text(json.dumps(self.state(), indent=2) + "\n", encoding="utf-8")

    def stop(self) -> None:
        if self._runner is not None:
            self._runner.stop()
            self._runner = None
        for sim in reversed(self._sims):
            sim.stop()
        self._sims.clear()
        if self._moto:
            MotoServer.release()
            self._moto = False
        if self.state_file is not None:
            self.state_file.unlink(missing_ok=True)

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def state(self) -> dict[str, Any]:
        """The ``.local-stack.json`` document."""
        return {
            "api": self.api_url,
            "shiprocket": self.shiprocket_url,
            "zoho": self.zoho_url,
            "aws": self.aws_url,
            "tokens": dict(self.tokens),
            # The functions' environment (names, URLs, configuration; never a secret's value) and moto's
            # endpoint: what a command run beside the stack (``python -m shipsync_cli``) needs to act as a function.
            "environment": {**self.runner.environment, **client_environment(self.aws_url)},
        }

    # -- provisioning -------------------------------------------------------------------------
    def _provision_secrets(self) -> None:
        from local.sim import shiprocket as shiprocket_sim
        from local.sim import zoho as zoho_sim

        values = {
            SHIPROCKET_SECRET: {
                "email": shiprocket_sim.DEFAULT_API_EMAIL,
                "password": shiprocket_sim.DEFAULT_API_PASSWORD,
            },
            ZOHO_SECRET: {
                "client_id": zoho_sim.DEFAULT_CLIENT_ID,
                "client_secret": zoho_sim.DEFAULT_CLIENT_SECRET,
                "refresh_token": zoho_sim.DEFAULT_REFRESH_TOKEN,
                "organization_id": zoho_sim.DEFAULT_ORGANIZATION_ID,
                "data_centre": "IN",
            },
            WEBHOOK_SECRET: {
                "zoho_webhook": self.tokens["zoho_webhook"],
                "shiprocket_webhook": self.tokens["shiprocket_webhook"],
                "remittance_webhook": self.tokens["remittance_webhook"],
            },
        }
        manager = client("secretsmanager")
        for logical_id, initial in self._initial_secrets.items():
            try:
                document = json.loads(initial)
            except json.JSONDecodeError:
                document = {}
            if not isinstance(document, dict):
                document = {}
            document.update(values[logical_id])
            manager.put_secret_value(SecretId=self.runner.resources.ref(logical_id), SecretString=json.dumps(document))

    def _point_tracking_webhooks_here(self) -> None:
        """Shiprocket's panel setting (Settings -> API -> Webhooks): URL and token, on the simulator."""
        route = next((r for r in self.runner.routes if r.path == STATUS_WEBHOOK_PATH), None)
        if route is None:
            return
        target = {"url": self.api_url + STATUS_WEBHOOK_PATH, "token": self.tokens["shiprocket_webhook"]}
        _seed(self.shiprocket_url, {"webhook": target})

    def _seed_warehouses(self) -> None:
        """The seller's Zoho locations (its warehouses), which the pickup setup check reads."""
        _seed(self.zoho_url, {"locations": [zoho_location(location_id) for location_id in LOCAL_WAREHOUSES]})

    def _refresh_tokens(self) -> None:
        if not any(s.function == TOKEN_REFRESH_FUNCTION for s in self.runner.schedules):
            return
        try:
            self.runner.fire_schedule(TOKEN_REFRESH_FUNCTION)
        except Exception:
            log.exception("the initial token refresh failed: provider calls will fail until it succeeds")

    # -- helpers for tests and the sample day -------------------------------------------------
    def invoke(self, function_id: str, event: Any) -> Any:
        return self.runner.invoke(function_id, event)

    def fire_schedule(self, function_id: str, event_name: str | None = None) -> Any:
        return self.runner.fire_schedule(function_id, event_name)

    def held(self) -> int:
        """How many messages functions hold (work waiting for Zoho's daily reset)."""
        return self.runner.held()

    def zoho_day_reset(self, calls: int) -> int:
        """What Zoho's daily reset, hours away, does to this stack now: the day budget the functions share
        (``BUDGET#zoho``, as ``adapters.rate_limit`` keeps it) becomes the new day's ``calls``, and the messages
        held for the reset come back. Returns how many came back. The Zoho simulator's own new day is its
        ``new_day`` seed knob; the functions' cached reads of the budget (30 s) still have to age."""
        now = time.time()
        client("dynamodb").put_item(
            TableName=self.runner.resources.ref("LedgerTable"),
            Item={
                "pk": {"S": "BUDGET#zoho"},
                "remaining": {"N": str(calls)},
                "cap": {"N": str(calls)},
                "resets_at": {"N": str(int(now + 86400))},
                "ttl": {"N": str(int(now + 2 * 86400))},
            },
        )
        return self.runner.end_holds()

    def wait_idle(self, timeout: float = 30.0) -> None:
        self.runner.wait_idle(timeout)

    def metrics(self) -> dict[str, Any]:
        return self.runner.metrics.snapshot()

    def queue_url(self, logical_id: str) -> str:
        return self.runner.resources.queue_url(logical_id)

    def queue_depths(self) -> dict[str, int]:
        """Messages (visible + in flight + delayed) per queue, by logical id (DLQs included)."""
        sqs = client("sqs")
        resources = self.runner.resources
        return {
            logical_id: self.runner.queue_depth(resources.queue_url(logical_id), sqs)
            for logical_id in resources.of_type("AWS::SQS::Queue")
            if logical_id in resources.refs
        }

    def alerts(self) -> list[dict[str, Any]]:
        """Every message published to a topic of the stack since start (or the last reset).

        Each is ``{"topic_arn", "subject", "message", "attributes", "timestamp"}``.
        """
        sqs = client("sqs")
        inbox = self.runner.resources.alerts_inbox_url
        with self._alerts_lock:
            while True:
                received = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                    "Messages", []
                )
                if not received:
                    break
                for message in received:
                    self._alerts.append(_alert(message["Body"]))
                sqs.delete_message_batch(
                    QueueUrl=inbox,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)],
                )
            return list(self._alerts)

    def reset(self) -> None:
        """Back to a just-started stack: simulators, queues, tables, secrets, alerts, metrics, tokens."""
        with contextlib.suppress(TimeoutError):
            self.wait_idle(10)
        for url in (self.shiprocket_url, self.zoho_url):
            request = urllib.request.Request(f"{url}/_sim/reset", data=b"{}", method="POST")
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        resources = self.runner.resources
        sqs = client("sqs")
        self.runner.end_holds()  # the held messages are drained with the rest
        for logical_id in resources.of_type("AWS::SQS::Queue"):
            if logical_id in resources.refs:
                _drain(sqs, resources.queue_url(logical_id))
        _drain(sqs, resources.alerts_inbox_url)
        dynamodb = client("dynamodb")
        for logical_id in resources.of_type("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
            if logical_id in resources.refs:
                _empty_table(dynamodb, resources.ref(logical_id))
        self._provision_secrets()
        self._point_tracking_webhooks_here()
        self._seed_warehouses()
        with self._alerts_lock:
            self._alerts.clear()
        self.runner.metrics.reset()
        self._refresh_tokens()


def _seed(sim_url: str, payload: Mapping[str, Any]) -> None:
    request = urllib.request.Request(
        f"{sim_url}/_sim/seed",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def _drain(sqs: Any, queue_url: str) -> None:
    """Delete every message; PurgeQueue would do it once a minute only, tests reset more often."""
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )


def _alert(body: str) -> dict[str, Any]:
    try:
        envelope = json.loads(body)
    except json.JSONDecodeError:
        envelope = None
    if not isinstance(envelope, dict) or envelope.get("Type") != "Notification":
        return {"topic_arn": None, "subject": None, "message": body, "attributes": {}, "timestamp": None}
    return {
        "topic_arn": envelope.get("TopicArn"),
        "subject": envelope.get("Subject"),
        "message": envelope.get("Message"),
        "attributes": {name: spec.get("Value") for name, spec in (envelope.get("MessageAttributes") or {}).items()},
        "timestamp": envelope.get("Timestamp"),
    }


def _empty_table(dynamodb: Any, table: str) -> None:
    keys = [entry["AttributeName"] for entry in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]]
    paginator = dynamodb.get_paginator("scan")
    names = {f"#k{i}": key for i, key in enumerate(keys)}
    for page in paginator.paginate(
        TableName=table, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names
    ):
        items = page.get("Items", [])
        for start in range(0, len(items), 25):
            dynamodb.batch_write_item(
                RequestItems={table: [{"DeleteRequest": {"Key": item}} for item in items[start : start + 25]]}
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.stack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=3000, help="API port on 127.0.0.1 (default 3000)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=10.0,
        help="schedules fire at their rate divided by this (default 10: rate(5 minutes) every 30 s); 0 = never",
    )
    parser.add_argument(
        "--retry-delay", type=float, default=2.0, help="seconds before a failed queue message is retried (default 2)"
    )
    parser.add_argument(
        "--retry-backoff",
        type=float,
        default=2.0,
        help="multiplier per receive (default 2: 2, 4, 8... s, so retries outlast a minute of rate limiting)",
    )
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The handlers print their own JSON lines; the layer's records reach them through the runner.
    logging.getLogger().handlers[0].addFilter(skip_routed)
    logging.getLogger("botocore").setLevel(logging.WARNING)  # a credentials line per client otherwise

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stack = LocalStack(
        args.template,
        api_port=args.port,
        time_scale=args.time_scale or None,
        retry_delay_s=args.retry_delay,
        retry_backoff=args.retry_backoff,
        state_file=STATE_FILE,
    )
    stack.start()
    try:
        print(
            f"local stack ready: API {stack.api_url}, Shiprocket sim {stack.shiprocket_url}, "
            f"Zoho sim {stack.zoho_url}, AWS (moto) {stack.aws_url}; state in {STATE_FILE.name}; Ctrl-C stops it",
            flush=True,
        )
        while not stop.wait(1):
            pass
    finally:
        stack.stop()
    print("local stack stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
