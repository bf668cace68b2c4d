"""The runner itself: starts and stops the API, the pollers and the schedules, and invokes the handlers."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

from local.aws import HELD_BY_FUNCTIONS, StackResources, client
from local.cfn_template import TemplateError, load_template
from local.runner import service_logs
from local.runner.api import ApiGateway, http_server
from local.runner.specs import FunctionSpec, Handler, LambdaContext, RunnerMetrics, Schedule, SqsSource, log
from local.runner.sqs import POLL_IDLE_S, failed_ids, lambda_record, receive
from local.runner.template import TemplateFunctions


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
        # (queue URL, receipt handle) of the messages functions held (end_holds).
        self._holds: list[tuple[str, str]] = []
        self._holds_lock = threading.Lock()
        self.retry_backoff = retry_backoff
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        self.api_port = api_port
        if resources is None:
            inbox = {"alerts_inbox": alerts_inbox} if alerts_inbox else {}
            resources = StackResources(self.template, stack_name=stack_name, parameters=parameters, **inbox)
            resources.create_all()
        self.resources = resources
        self.metrics = RunnerMetrics()
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
        parsed = TemplateFunctions(self.template, self.resources, self.root)
        self.functions = parsed.functions
        self.routes = parsed.routes
        self.sqs_sources = parsed.sqs_sources
        self.schedules = parsed.schedules
        self.layer_paths = parsed.layer_paths
        self._gates = {
            spec.logical_id: threading.BoundedSemaphore(spec.reserved_concurrency)
            for spec in self.functions.values()
            if spec.reserved_concurrency
        }
        self._sqs_client: Any = None
        self.environment = parsed.union_environment(dict(overrides or {}))
        self._saved_env: dict[str, str | None] = {}
        self._added_paths: list[str] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._active = 0
        self._active_lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self.api_url = ""
        self._service_logs = service_logs.install()

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
        service = function.environment.get("POWERTOOLS_SERVICE_NAME")
        with (
            self._activity(),
            gate,
            api_lock,
            self._environment(function) as handler,
            self._service_logs.running(service),
        ):
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
                messages = receive(sqs, source, self._stop)
                if messages:
                    self._process_batch(sqs, source, messages)
                else:
                    self._stop.wait(POLL_IDLE_S)
            except Exception:
                log.exception("poller for %s failed; retrying", source.queue)
                self._stop.wait(1)

    def _process_batch(self, sqs: Any, source: SqsSource, messages: list[dict[str, Any]]) -> None:
        with self._activity():
            ids = {message["MessageId"] for message in messages}
            try:
                result = self.invoke(source.function, {"Records": [lambda_record(source, m) for m in messages]})
            except Exception:
                log.exception("%s failed on a batch of %d from %s", source.function, len(messages), source.queue)
                failed = ids
            else:
                failed = failed_ids(source, result, ids)
            done = [m for m in messages if m["MessageId"] not in failed]
            # A message the function held itself (work waiting for Zoho's reset) stays as the function set it.
            held = [m for m in messages if m["MessageId"] in failed and HELD_BY_FUNCTIONS.take(m["ReceiptHandle"])]
            retry = [m for m in messages if m["MessageId"] in failed and m not in held]
            with self._holds_lock:
                self._holds.extend((source.queue_url, m["ReceiptHandle"]) for m in held)
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

    def held(self) -> int:
        """How many messages functions hold (work waiting for Zoho's daily reset)."""
        with self._holds_lock:
            return len(self._holds)

    def end_holds(self) -> int:
        """Make every message a function held visible now (as its hold's end would, hours later); returns how many.
        A hold that ended already (its message received again) is skipped."""
        with self._holds_lock:
            holds, self._holds = self._holds, []
        sqs = client("sqs")
        ended = 0
        for queue_url, receipt_handle in holds:
            try:
                sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=0)
            except sqs.exceptions.ReceiptHandleIsInvalid:
                continue
            ended += 1
        return ended

    def retry_delay(self, source: SqsSource, receives: int) -> int:
        """Seconds a message that failed on its ``receives``-th delivery stays invisible."""
        delay = self.retry_delay_s * self.retry_backoff ** max(receives - 1, 0)
        return max(0, min(round(delay), source.visibility_timeout_s))

    # -- API ----------------------------------------------------------------------------------
    def _start_api(self) -> None:
        gateway = ApiGateway(self.routes, self.admin_token, self.metrics, self.invoke)
        self._httpd = http_server(self.api_port, gateway.serve)
        self.api_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._spawn("api", self._httpd.serve_forever)
        log.info("API on %s (%d routes)", self.api_url, len(self.routes))
