"""A tiny HTTP framework shared by the Shiprocket and Zoho simulators.

Each simulator is a ``SimApp`` with routes declared as ``METHOD /path/{param}``. The base
adds what the local-stack contract (README.md) asks of every simulator: ``POST /_sim/seed``, ``GET /_sim/state``
(records + per-endpoint call counts keyed by the route template), ``POST /_sim/faults``,
``POST /_sim/reset``. Stdlib only: the simulators run wherever the tests run.

Fault rules (``POST /_sim/faults`` body ``{"rules": [...]}``, or ``{"clear": true}``)::

    {"endpoint": "POST /courier/assign/awb",   # route template, or "*" for every route
     "status": 500, "body": {...},              # answer this instead of the real handler
     "delay_s": 2.5,                            # sleep first (timeouts); alone = slow answer
     "match": {"courier_id": 43},               # only when the JSON body/query has these values
     "lose_answer": true,                       # do the work, then close the connection unanswered
     "methods": ["POST", "PUT"],                # only calls with one of these HTTP methods
     "probability": 0.03,                       # only this share of the matching calls (seeded draw)
     "times": 2}                                # how many calls it applies to (default: forever)

The first rule that applies wins. ``probability`` draws from the simulator's own random generator,
seeded by ``"seed"`` in the faults body (``{"seed": 7, "rules": [...]}``; ``FAULT_SEED`` until one
is given, and again after ``/_sim/reset``), so a storm of faults on a random share of calls is the
same storm for the same seed and the same sequence of calls. A call the draw spares goes on to the
next rule; ``times`` counts only the calls a rule was applied to. A rule with neither ``status``,
``delay_s`` nor ``lose_answer`` lets the call through untouched: placed first, it keeps an endpoint out
of the ``"*"`` rules after it. ``/_sim/*`` itself is never faulted.
``GET /_sim/faults`` answers the rules and ``"applied"``: the faults applied so far, by status (or
``"lost answer"``, ``"delay"``); ``/_sim/reset`` clears them.

``lose_answer`` is the timeout that matters for idempotency: the provider did the write, the caller
never heard of it, and its retry meets the "already done" answer.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JsonBody = Any

# The fault draw's seed until a faults body gives one.
FAULT_SEED = 20250611


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        if not self.body:
            return {}
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in urllib.parse.parse_qs(self.body.decode(), keep_blank_values=True).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    body: JsonBody = None
    headers: dict[str, str] = field(default_factory=dict)
    # Set by a ``lose_answer`` fault: the server closes the connection instead of answering.
    lost: bool = False


Handler = Callable[[Request], "Response | tuple[int, JsonBody]"]


@dataclass
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler


def _compile(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template.rstrip("/") or "/")
    return re.compile(f"^{regex}/?$")


class SimApp:
    """Routes + state + fault rules. Subclasses register routes and implement the hooks."""

    name = "sim"
    # API routes are served under this prefix (Shiprocket: /v1/external); /_sim/* is at the root.
    prefix = ""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.routes: list[_Route] = []
        self.calls: Counter[str] = Counter()
        self.fault_rules: list[dict[str, Any]] = []
        self.fault_rng = random.Random(FAULT_SEED)
        # The faults applied so far by how the caller saw them (a status, "lost answer", "delay"):
        # answered by GET /_sim/faults and every POST /_sim/faults, so a chaos run can count its storm.
        self.faults_applied: Counter[str] = Counter()
        self.base_url = ""

    # -- hooks for subclasses -----------------------------------------------------------
    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    # -- routing ------------------------------------------------------------------------
    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(_Route(method.upper(), template, _compile(template), handler))
            return handler

        return register

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        parsed = urllib.parse.urlsplit(raw_path)
        path = parsed.path
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}
        builtin = self._builtin(method, path, body)
        if builtin is not None:
            return builtin
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return self.not_found(method, path)
            path = path[len(self.prefix) :]
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if not found:
                continue
            request = Request(method, path, found.groupdict(), query, headers, body)
            endpoint = f"{route.method} {route.template}"
            with self.lock:
                self.calls[endpoint] += 1
            fault = self._take_fault(endpoint, request)
            if fault is not None:
                if fault.get("delay_s"):
                    time.sleep(float(fault["delay_s"]))
                if "status" in fault:
                    return Response(int(fault["status"]), fault.get("body", {"message": "injected fault"}))
            try:
                with self.lock:
                    result = route.handler(request)
            except json.JSONDecodeError:
                return Response(400, {"message": "Malformed JSON body", "status_code": 400})
            answer = result if isinstance(result, Response) else Response(result[0], result[1])
            if fault is not None and fault.get("lose_answer"):
                answer.lost = True
            return answer
        return self.not_found(method, path)

    def not_found(self, method: str, path: str) -> Response:
        return Response(404, {"message": "404 Not Found", "status_code": 404})

    # -- faults -------------------------------------------------------------------------
    def _take_fault(self, endpoint: str, request: Request) -> dict[str, Any] | None:
        with self.lock:
            for rule in self.fault_rules:
                if rule.get("endpoint", "*") not in ("*", endpoint):
                    continue
                if "methods" in rule and request.method not in {str(m).upper() for m in rule["methods"]}:
                    continue
                if rule.get("match") and not _matches(rule["match"], request):
                    continue
                if "times" in rule and rule["times"] <= 0:
                    continue
                if "probability" in rule and self.fault_rng.random() >= float(rule["probability"]):
                    continue
                if "times" in rule:
                    rule["times"] -= 1
                kind = _fault_kind(rule)
                if kind is not None:
                    self.faults_applied[kind] += 1
                return dict(rule)
        return None

    def _builtin(self, method: str, path: str, body: bytes) -> Response | None:
        if not path.startswith("/_sim/"):
            return None
        with self.lock:
            if (method, path) == ("GET", "/_sim/state"):
                state = self.snapshot()
                state["calls"] = dict(self.calls)
                return Response(200, state)
            if (method, path) == ("POST", "/_sim/seed"):
                return Response(200, self.seed(json.loads(body or b"{}")))
            if (method, path) == ("POST", "/_sim/faults"):
                spec = json.loads(body or b"{}")
                if spec.get("clear"):
                    self.fault_rules.clear()
                if "seed" in spec:
                    self.fault_rng.seed(spec["seed"])
                self.fault_rules.extend(spec.get("rules", []))
                return Response(200, {"rules": self.fault_rules, "applied": dict(self.faults_applied)})
            if (method, path) == ("GET", "/_sim/faults"):
                return Response(200, {"rules": self.fault_rules, "applied": dict(self.faults_applied)})
            if (method, path) == ("POST", "/_sim/reset"):
                self.reset()
                self.calls.clear()
                self.fault_rules.clear()
                self.fault_rng.seed(FAULT_SEED)
                self.faults_applied.clear()
                return Response(200, {"reset": True})
        return Response(404, {"message": f"unknown simulator endpoint {method} {path}"})


def _fault_kind(rule: dict[str, Any]) -> str | None:
    """How a fault shows to the caller, for the count of faults applied: its status, a lost answer, a delay;
    None for a rule that changes nothing (one that keeps an endpoint out of the ``*`` rules after it)."""
    if "status" in rule:
        return str(rule["status"])
    if rule.get("lose_answer"):
        return "lost answer"
    return "delay" if rule.get("delay_s") else None


def _matches(expected: dict[str, Any], request: Request) -> bool:
    try:
        data = request.json() if request.body else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    merged = {**request.query, **request.params, **data}
    return all(str(merged.get(key)) == str(value) for key, value in expected.items())


class _HttpHandler(BaseHTTPRequestHandler):
    app: SimApp
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle on, keep-alive clients wait ~40 ms per call.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        response = self.app.handle(self.command, self.path, headers, body)
        if response.lost:
            self.close_connection = True
            return
        payload = b"" if response.body is None else json.dumps(response.body).encode()
        if response.status in (204, 304):
            # HTTP carries no body on these (RFC 9110 §15.3.5, §15.4.5), even where a published example shows one: a
            # client would not read it and the bytes would spoil the next answer on the kept-alive connection.
            payload = b""
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        try:
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The caller gave up first (a slow fault past its read timeout): the work is done, nobody hears of it.
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


class SimServer:
    """Serves a SimApp on 127.0.0.1 in a daemon thread (port 0 = any free port)."""

    def __init__(self, app: SimApp, port: int = 0, host: str = "127.0.0.1") -> None:
        handler = type(f"{app.name}Handler", (_HttpHandler,), {"app": app})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.app = app
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        app.base_url = self.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"{app.name}-sim", daemon=True)

    def start(self) -> SimServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
