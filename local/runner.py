"""Runs a SAM template's functions in-process: API Gateway routes, SQS event sources, schedules.

The runner reads ``AWS::Serverless::Function`` resources with standard SAM semantics
(Globals merged into each function), imports each handler from ``<CodeUri>/<module>.py``
with the layers on ``sys.path``, and drives it the way Lambda would:

- ``Api`` events: a ThreadingHTTPServer on 127.0.0.1 turns requests into API Gateway REST
  (v1) proxy events. Unknown routes answer 403 "Missing Authentication Token"; ``AWS_IAM``
  routes take ``Authorization: Bearer <admin token>`` locally; a handler exception is a 502.
- ``SQS`` events: poller threads (``ScalingConfig.MaximumConcurrency``, one for FIFO queues)
  with the template's batch size and ``ReportBatchItemFailures``; failed messages come back
  after a short local delay so moto's redrive moves them to the DLQ after ``maxReceiveCount``.
- ``Schedule`` events: fired on demand (``fire_schedule``) or, with a ``time_scale``, at
  their rate divided by it.

Handlers share one process, so the union of every function's environment is put into
``os.environ`` once; two functions that need different values for one name are rejected.
Moto must be running first (``local.aws.MotoServer.acquire()``).
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import importlib.util
import json
import logging
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

from local.aws import ACCOUNT_ID, REGION, StackResources, TemplateError, client, load_template

log = logging.getLogger("local.runner")

# Set per function by the code itself: one process cannot hold a value per function.
PER_FUNCTION_ENV = frozenset({"POWERTOOLS_SERVICE_NAME"})
DEFAULT_CONCURRENCY = 2
MAX_CONCURRENCY = 5
# Pollers short-poll and pause when a queue is empty: the local moto server serves one
# request at a time, so a long poll would hold up everyone else (see local.aws).
POLL_IDLE_S = 0.1
LATENCY_SAMPLES = 100_000

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


def _route_pattern(path: str) -> re.Pattern[str]:
    regex = ""
    for piece in re.split(r"(\{[^}]+\})", path.rstrip("/") or "/"):
        if piece.startswith("{") and piece.endswith("+}"):
            regex += f"(?P<{piece[1:-2]}>.+)"
        elif piece.startswith("{"):
            regex += f"(?P<{piece[1:-1]}>[^/]+)"
        else:
            regex += re.escape(piece)
    return re.compile(f"^{regex}/?$")


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _env_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """SAM Globals semantics: maps merge (function wins), lists append, scalars are replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = [*merged[key], *value]
        else:
            merged[key] = value
    return merged


class Runner:
    def __init__(
        self,
        template_path: str | Path,
        *,
        overrides: Mapping[str, str] | None = None,
        api_port: int = 3000,
        time_scale: float | None = None,
        retry_delay_s: float = 1,
        retry_backoff: float = 1.0,
        admin_token: str | None = None,
        stack_name: str = "shipsync-local",
        parameters: Mapping[str, str] | None = None,
        resources: StackResources | None = None,
        alerts_inbox: str | None = None,
    ) -> None:
        self.template_path = Path(template_path).resolve()
        self.root = self.template_path.parent
        self.template = load_template(self.template_path)
        self.time_scale = time_scale
        # A failed message comes back after retry_delay_s * retry_backoff ** (receives - 1) seconds,
        # capped at the queue's VisibilityTimeout (what Lambda would wait).
        self.retry_delay_s = retry_delay_s
        self.retry_backoff = retry_backoff
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        self.api_port = api_port
        if resources is None:
            inbox = {"alerts_inbox": alerts_inbox} if alerts_inbox else {}
            resources = StackResources(self.template, stack_name=stack_name, parameters=parameters, **inbox)
            resources.create_all()
        self.resources = resources
        self.metrics = RunnerMetrics()
        self.functions: dict[str, FunctionSpec] = {}
        self.routes: list[ApiRoute] = []
        self.sqs_sources: list[SqsSource] = []
        self.schedules: list[Schedule] = []
        self.layer_paths: list[Path] = []
        self._handlers: dict[str, Handler] = {}
        # Idle "execution environments" per function: one imported copy of the handler module
        # each. An invocation takes one (or imports a new one: a cold start) and gives it back,
        # so, as on Lambda, a module instance never runs two invocations at once (Powertools'
        # resolver keeps the current event in module state).
        self._idle: dict[str, list[Handler]] = {}
        self._environment_count: dict[str, int] = {}
        self._pool_lock = threading.Lock()
        # Powertools' REST resolver keeps the current event on a class attribute (BaseRouter):
        # fine on Lambda (one invocation per process), a race between threads here. API events
        # are therefore handled one at a time in this process.
        self._api_lock = threading.Lock()
        # The imported handler modules, for tests that inspect module state.
        self.modules: dict[str, ModuleType] = {}
        self._parse()
        self._gates = {
            spec.logical_id: threading.BoundedSemaphore(spec.reserved_concurrency)
            for spec in self.functions.values()
            if spec.reserved_concurrency
        }
        self._sqs_client: Any = None
        self.environment = self._union_environment(dict(overrides or {}))
        self._saved_env: dict[str, str | None] = {}
        self._added_paths: list[str] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._active = 0
        self._active_lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self.api_url = ""

    # -- template ---------------------------------------------------------------------------
    def _parse(self) -> None:
        globals_ = self.template.get("Globals") or {}
        function_globals = globals_.get("Function") or {}
        for logical_id, resource in self.resources.resources.items():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            properties = _merge(function_globals, resource.get("Properties") or {})
            code_uri = properties.get("CodeUri")
            handler = properties.get("Handler")
            if not isinstance(code_uri, str) or not isinstance(handler, str):
                raise TemplateError(f"{logical_id}: CodeUri and Handler must be plain strings locally")
            raw_env = (properties.get("Environment") or {}).get("Variables") or {}
            environment = {name: _env_value(value) for name, value in self.resources.resolve(raw_env).items()}
            self.functions[logical_id] = FunctionSpec(
                logical_id=logical_id,
                function_name=self.resources.ref(logical_id),
                arn=self.resources.get_att(logical_id, "Arn"),
                code_uri=(self.root / code_uri).resolve(),
                handler=handler,
                timeout_s=float(self.resources.resolve(properties.get("Timeout", 3))),
                memory_mb=int(self.resources.resolve(properties.get("MemorySize", 128))),
                environment=environment,
                reserved_concurrency=_optional_int(
                    self.resources.resolve(properties.get("ReservedConcurrentExecutions"))
                ),
            )
            for layer in properties.get("Layers") or []:
                self._add_layer(layer)
            for event_name, event in (properties.get("Events") or {}).items():
                self._parse_event(logical_id, event_name, event.get("Type"), event.get("Properties") or {})

    def _add_layer(self, layer: Any) -> None:
        if not (isinstance(layer, dict) and "Ref" in layer and layer["Ref"] in self.resources.resources):
            log.debug("layer %r is not in the template: not on the local import path", layer)
            return
        properties = self.resources.resources[layer["Ref"]].get("Properties") or {}
        content = properties.get("ContentUri")
        if isinstance(content, str):
            path = (self.root / content).resolve()
            if path not in self.layer_paths:
                self.layer_paths.append(path)

    def _parse_event(self, function: str, name: str, kind: str | None, properties: dict[str, Any]) -> None:
        if kind == "Api":
            self._parse_api(function, properties)
        elif kind == "SQS":
            self._parse_sqs(function, name, properties)
        elif kind in ("Schedule", "ScheduleV2"):
            expression = properties.get("Schedule") or properties.get("ScheduleExpression") or ""
            state = str(properties.get("State", "ENABLED")).upper()
            enabled = str(properties.get("Enabled", True)).lower() == "true" and state == "ENABLED"
            rule = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{self.resources.stack_name}-{function}{name}"
            raw_input = properties.get("Input")
            self.schedules.append(
                Schedule(
                    function,
                    name,
                    str(self.resources.resolve(expression)),
                    self.resources.resolve(raw_input),
                    enabled,
                    rule,
                )
            )
        else:
            log.debug("%s: event %s of type %s is not driven locally", function, name, kind)

    def _parse_api(self, function: str, properties: dict[str, Any]) -> None:
        api_globals = (self.template.get("Globals") or {}).get("Api") or {}
        api_properties: dict[str, Any] = dict(api_globals)
        rest_api = properties.get("RestApiId")
        if isinstance(rest_api, dict) and rest_api.get("Ref") in self.resources.resources:
            api_properties = _merge(api_globals, self.resources.resources[rest_api["Ref"]].get("Properties") or {})
        default_authorizer = (api_properties.get("Auth") or {}).get("DefaultAuthorizer", "NONE")
        authorizer = (properties.get("Auth") or {}).get("Authorizer", default_authorizer)
        if authorizer not in ("NONE", "AWS_IAM"):
            log.warning("%s: authorizer %s is enforced locally as the admin bearer token", function, authorizer)
        path = str(properties["Path"])
        self.routes.append(
            ApiRoute(
                function=function,
                method=str(properties["Method"]).upper(),
                path=path,
                iam=authorizer != "NONE",
                stage=str(self.resources.resolve(api_properties.get("StageName", "Prod"))),
                pattern=_route_pattern(path),
            )
        )

    def _parse_sqs(self, function: str, name: str, properties: dict[str, Any]) -> None:
        if str(properties.get("Enabled", True)).lower() == "false":
            return
        arn = self.resources.resolve(properties["Queue"])
        queue = next(
            (lid for lid, attrs in self.resources.attrs.items() if attrs.get("Arn") == arn and "QueueUrl" in attrs),
            None,
        )
        if queue is None:
            raise TemplateError(f"{function}.{name}: queue {arn} is not a queue of this template")
        fifo = self.resources.attrs[queue]["QueueName"].endswith(".fifo")
        queue_properties = self.resources.resources[queue].get("Properties") or {}
        visibility = int(self.resources.resolve(queue_properties.get("VisibilityTimeout", 30)))
        scaling = properties.get("ScalingConfig") or {}
        concurrency = int(scaling.get("MaximumConcurrency", DEFAULT_CONCURRENCY))
        self.sqs_sources.append(
            SqsSource(
                function=function,
                event_name=name,
                queue=queue,
                queue_url=self.resources.attrs[queue]["QueueUrl"],
                queue_arn=arn,
                batch_size=int(properties.get("BatchSize", 10)),
                report_failures="ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or []),
                concurrency=1 if fifo else max(1, min(concurrency, MAX_CONCURRENCY)),
                fifo=fifo,
                visibility_timeout_s=visibility,
            )
        )

    def _union_environment(self, overrides: dict[str, str]) -> dict[str, str]:
        union: dict[str, str] = {}
        owner: dict[str, str] = {}
        conflicts: list[str] = []
        for function in self.functions.values():
            for name, value in function.environment.items():
                if name in PER_FUNCTION_ENV or name in overrides:
                    continue
                if name in union and union[name] != value:
                    conflicts.append(f"{name}: {owner[name]}={union[name]!r} vs {function.logical_id}={value!r}")
                union.setdefault(name, value)
                owner.setdefault(name, function.logical_id)
        if conflicts:
            raise TemplateError(
                "functions share one process locally, so an environment variable must have one value "
                "across functions: " + "; ".join(conflicts)
            )
        return {**union, **overrides}

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Runner:
        self._saved_env = {name: os.environ.get(name) for name in self.environment}
        os.environ.update(self.environment)
        for path in reversed(self.layer_paths):
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))
                self._added_paths.append(str(path))
        for function in self.functions.values():
            self._handlers[function.logical_id] = self._import_handler(function)
        self._start_api()
        for source in self.sqs_sources:
            for index in range(source.concurrency):
                self._spawn(f"sqs-{source.function}-{index}", self._poll, source)
        if self.time_scale:
            for schedule in self.schedules:
                interval = schedule.interval_s
                if schedule.enabled and interval:
                    name = f"schedule-{schedule.function}-{schedule.event_name}"
                    self._spawn(name, self._tick, schedule, interval / self.time_scale)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=10)
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for path in self._added_paths:
            with contextlib.suppress(ValueError):
                sys.path.remove(path)

    def __enter__(self) -> Runner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, name: str, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _import_handler(self, function: FunctionSpec, environment: int = 0) -> Handler:
        module_path, _, attribute = function.handler.rpartition(".")
        source = function.code_uri / (module_path.replace(".", "/") + ".py")
        # Unique per stack and environment: two runners in one process (tests) must not share module state.
        module_name = re.sub(
            r"\W", "_", f"_local_fn_{self.resources.stack_name}_{function.logical_id}_env{environment}"
        )
        spec = importlib.util.spec_from_file_location(module_name, source)
        if spec is None or spec.loader is None:
            raise TemplateError(f"{function.logical_id}: cannot import {source}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        self.modules.setdefault(function.logical_id, module)
        handler: Handler = getattr(module, attribute)
        return handler

    # -- invocation ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _activity(self) -> Iterator[None]:
        with self._active_lock:
            self._active += 1
        try:
            yield
        finally:
            with self._active_lock:
                self._active -= 1

    def invoke(self, function_id: str, event: Any) -> Any:
        """Run one function's handler in the calling thread; exceptions propagate (and are counted)."""
        function = self.functions[function_id]
        if function_id not in self._handlers:
            raise RuntimeError("Runner.start() imports the handlers: call it before invoking")
        gate = self._gates.get(function_id) or contextlib.nullcontext()
        api_lock = self._api_lock if isinstance(event, dict) and "httpMethod" in event else contextlib.nullcontext()
        with self._activity(), gate, api_lock, self._environment(function) as handler:
            context = LambdaContext(function)
            with self.metrics.lock:
                self.metrics.invocations[function_id] += 1
            started = time.monotonic()
            try:
                return handler(event, context)
            except Exception:
                with self.metrics.lock:
                    self.metrics.errors[function_id] += 1
                raise
            finally:
                elapsed = time.monotonic() - started
                if elapsed > function.timeout_s:
                    log.warning("%s ran %.1f s, over its %.0f s timeout", function_id, elapsed, function.timeout_s)

    @contextlib.contextmanager
    def _environment(self, function: FunctionSpec) -> Iterator[Handler]:
        """Check out an idle copy of the function's module, importing a new one when all are busy."""
        function_id = function.logical_id
        with self._pool_lock:
            idle = self._idle.setdefault(function_id, [self._handlers[function_id]])
            if idle:
                handler = idle.pop()
            else:
                number = self._environment_count.get(function_id, 1)
                self._environment_count[function_id] = number + 1
                handler = self._import_handler(function, number)
        try:
            yield handler
        finally:
            with self._pool_lock:
                self._idle[function_id].append(handler)

    def fire_schedule(self, function_id: str, event_name: str | None = None) -> Any:
        """Invoke a function with its Schedule event's input now and return the handler's result."""
        found = [
            s
            for s in self.schedules
            if s.function == function_id and (event_name is None or s.event_name == event_name)
        ]
        if not found:
            raise KeyError(f"{function_id} has no schedule {event_name or ''}".strip())
        if len(found) > 1:
            names = ", ".join(s.event_name for s in found)
            raise ValueError(f"{function_id} has several schedules ({names}): name one")
        return self.invoke(function_id, found[0].event())

    def _tick(self, schedule: Schedule, period: float) -> None:
        while not self._stop.wait(period):
            try:
                self.invoke(schedule.function, schedule.event())
            except Exception:
                log.exception("schedule %s.%s failed", schedule.function, schedule.event_name)

    # -- idle ---------------------------------------------------------------------------------
    def queue_depth(self, queue_url: str, sqs: Any = None) -> int:
        """Visible + in flight + delayed messages of a queue."""
        attributes = (sqs or client("sqs")).get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def busy(self) -> list[str]:
        """What is still working: running invocations and non-empty work queues."""
        reasons = [f"{self._active} invocation(s) running"] if self._active else []
        if self._sqs_client is None:
            self._sqs_client = client("sqs")
        sqs = self._sqs_client
        for url in dict.fromkeys(source.queue_url for source in self.sqs_sources):
            depth = self.queue_depth(url, sqs)
            if depth:
                reasons.append(f"{url.rsplit('/', 1)[-1]}: {depth} message(s)")
        return reasons

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Block until no invocation runs and every work queue is empty; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while True:
            reasons = self.busy()
            # Two quiet looks in a row: a poller may sit between its receive and its handler.
            quiet = 0 if reasons else quiet + 1
            if quiet >= 2:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"local stack not idle after {timeout} s: {'; '.join(reasons)}")
            time.sleep(0.05)

    # -- SQS ----------------------------------------------------------------------------------
    def _poll(self, source: SqsSource) -> None:
        sqs = client("sqs")
        while not self._stop.is_set():
            try:
                messages = self._receive(sqs, source)
                if messages:
                    self._process_batch(sqs, source, messages)
                else:
                    self._stop.wait(POLL_IDLE_S)
            except Exception:
                log.exception("poller for %s failed; retrying", source.queue)
                self._stop.wait(1)

    def _receive(self, sqs: Any, source: SqsSource) -> list[dict[str, Any]]:
        # The batching window is not waited locally: a batch is what is available now.
        messages: list[dict[str, Any]] = []
        while len(messages) < source.batch_size and not self._stop.is_set():
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

    def _record(self, source: SqsSource, message: dict[str, Any]) -> dict[str, Any]:
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

    def _process_batch(self, sqs: Any, source: SqsSource, messages: list[dict[str, Any]]) -> None:
        with self._activity():
            ids = {message["MessageId"] for message in messages}
            try:
                result = self.invoke(source.function, {"Records": [self._record(source, m) for m in messages]})
            except Exception:
                log.exception("%s failed on a batch of %d from %s", source.function, len(messages), source.queue)
                failed = ids
            else:
                failed = self._failed_ids(source, result, ids)
            done = [m for m in messages if m["MessageId"] not in failed]
            retry = [m for m in messages if m["MessageId"] in failed]
            for chunk in range(0, len(done), 10):
                sqs.delete_message_batch(
                    QueueUrl=source.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(done[chunk : chunk + 10])
                    ],
                )
            for chunk in range(0, len(retry), 10):
                sqs.change_message_visibility_batch(
                    QueueUrl=source.queue_url,
                    Entries=[
                        {
                            "Id": str(i),
                            "ReceiptHandle": m["ReceiptHandle"],
                            "VisibilityTimeout": self.retry_delay(
                                source, int(m["Attributes"].get("ApproximateReceiveCount", 1))
                            ),
                        }
                        for i, m in enumerate(retry[chunk : chunk + 10])
                    ],
                )

    def retry_delay(self, source: SqsSource, receives: int) -> int:
        """Seconds a message that failed on its ``receives``-th delivery stays invisible."""
        delay = self.retry_delay_s * self.retry_backoff ** max(receives - 1, 0)
        return max(0, min(round(delay), source.visibility_timeout_s))

    def _failed_ids(self, source: SqsSource, result: Any, ids: set[str]) -> set[str]:
        if not source.report_failures or not isinstance(result, dict):
            return set()
        failures = result.get("batchItemFailures") or []
        failed = {str(item.get("itemIdentifier") or "") if isinstance(item, dict) else "" for item in failures}
        if failed - ids:
            # Lambda's rule: an empty or unknown itemIdentifier fails the whole batch.
            log.warning("%s reported unknown batch item ids; the whole batch is retried", source.function)
            return ids
        return failed

    # -- API ----------------------------------------------------------------------------------
    def _start_api(self) -> None:
        runner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes; with Nagle on, a kept-alive client waits
            # ~40 ms for the delayed ACK on every request.
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                runner._serve_http(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                return

        class _Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # bursts from the sample day and benchmarks

        self._httpd = _Server(("127.0.0.1", self.api_port), _Handler)
        self.api_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._spawn("api", self._httpd.serve_forever)
        log.info("API on %s (%d routes)", self.api_url, len(self.routes))

    def _match(self, method: str, path: str) -> tuple[ApiRoute, dict[str, str]] | None:
        for route in self.routes:
            if route.method not in (method, "ANY"):
                continue
            found = route.pattern.match(path)
            if found:
                return route, {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
        return None

    def _authorised(self, request: BaseHTTPRequestHandler) -> str | None:
        """None when allowed, else API Gateway's 403 message."""
        header = request.headers.get("Authorization")
        if not header:
            return "Missing Authentication Token"
        if not hmac.compare_digest(header.encode(), f"Bearer {self.admin_token}".encode()):
            return "The security token included in the request is invalid."
        return None

    def _serve_http(self, request: BaseHTTPRequestHandler) -> None:
        started = time.monotonic()
        body = _read_body(request)
        split = urllib.parse.urlsplit(request.path)
        method = request.command
        matched = self._match(method, split.path)
        route_key = "-"
        if matched is None:
            status, headers, payload = _json_response(403, {"message": "Missing Authentication Token"})
        else:
            route, path_parameters = matched
            route_key = f"{route.method} {route.path}"
            denied = self._authorised(request) if route.iam else None
            if denied:
                status, headers, payload = _json_response(403, {"message": denied})
            else:
                event = self._api_event(request, route, split, path_parameters, body)
                status, headers, payload = self._call_api(route, event)
        elapsed_ms = (time.monotonic() - started) * 1000
        with self.metrics.lock:
            self.metrics.api_status[status] += 1
            if matched is not None:
                self.metrics.api_latency_ms.setdefault(route_key, deque(maxlen=LATENCY_SAMPLES)).append(elapsed_ms)
        request.send_response(status)
        for name, value in headers:
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
        log.info("%s %s -> %d [%s] %.1f ms", method, split.path, status, route_key, elapsed_ms)

    def _call_api(self, route: ApiRoute, event: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        try:
            result = self.invoke(route.function, event)
            return _proxy_response(result)
        except Exception:
            log.exception("%s failed on %s %s", route.function, event["httpMethod"], event["path"])
            return _json_response(502, {"message": "Internal server error"})

    def _api_event(
        self,
        request: BaseHTTPRequestHandler,
        route: ApiRoute,
        split: urllib.parse.SplitResult,
        path_parameters: dict[str, str],
        body: bytes,
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        multi_headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers[name] = value
            multi_headers.setdefault(name, []).append(value)
        query: dict[str, str] = {}
        multi_query: dict[str, list[str]] = {}
        for name, value in urllib.parse.parse_qsl(split.query, keep_blank_values=True):
            query[name] = value
            multi_query.setdefault(name, []).append(value)
        text: str | None
        try:
            text, is_base64 = (body.decode("utf-8") if body else None), False
        except UnicodeDecodeError:
            text, is_base64 = base64.b64encode(body).decode(), True
        now = datetime.now(UTC)
        request_id = str(uuid.uuid4())
        return {
            "resource": route.path,
            "path": split.path,
            "httpMethod": request.command,
            "headers": headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_parameters or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": "local",
                "resourceId": "local",
                "resourcePath": route.path,
                "httpMethod": request.command,
                "path": f"/{route.stage}{split.path}",
                "protocol": request.request_version,
                "stage": route.stage,
                "requestId": request_id,
                "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "domainName": request.headers.get("Host", "127.0.0.1"),
                "identity": {"sourceIp": request.client_address[0], "userAgent": request.headers.get("User-Agent")},
            },
            "body": text,
            "isBase64Encoded": is_base64,
        }


def _read_body(request: BaseHTTPRequestHandler) -> bytes:
    if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int(request.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                request.rfile.readline()
                return b"".join(chunks)
            chunks.append(request.rfile.read(size))
            request.rfile.readline()
    length = int(request.headers.get("Content-Length") or 0)
    return request.rfile.read(length) if length else b""


def _json_response(status: int, body: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json.dumps(body).encode()


def _proxy_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """API Gateway's reading of a Lambda proxy response; a malformed one is a 502."""
    if not isinstance(result, dict) or "statusCode" not in result:
        raise TemplateError(f"malformed Lambda proxy response: {type(result).__name__}")
    status = int(result["statusCode"])
    headers: list[tuple[str, str]] = []
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(value)) for value in values)
    for name, value in (result.get("headers") or {}).items():
        headers.append((name, str(value)))
    headers = [(n, v) for n, v in headers if n.lower() not in ("content-length", "transfer-encoding", "connection")]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return status, headers, payload
