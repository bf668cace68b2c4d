"""The runner's API Gateway: HTTP requests in, REST (v1) proxy events to the handlers, their answers out."""

from __future__ import annotations

import base64
import hmac
import json
import time
import urllib.parse
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.aws import ACCOUNT_ID
from local.cfn_template import TemplateError
from local.runner.specs import ApiRoute, RunnerMetrics, log

LATENCY_SAMPLES = 100_000


def http_server(port: int, serve: Callable[[BaseHTTPRequestHandler], None]) -> ThreadingHTTPServer:
    """A server on 127.0.0.1 (0: any free port) whose threads hand every request to ``serve``."""

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; with Nagle on, a kept-alive client waits
        # ~40 ms for the delayed ACK on every request.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            serve(self)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return

    class _Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # bursts from the sample day and benchmarks

    return _Server(("127.0.0.1", port), _Handler)


class ApiGateway:
    """API Gateway's REST proxy integration in front of ``invoke``: routes, the admin bearer token, events, answers."""

    def __init__(
        self, routes: list[ApiRoute], admin_token: str, metrics: RunnerMetrics, invoke: Callable[[str, Any], Any]
    ) -> None:
        self.routes = routes
        self.admin_token = admin_token
        self.metrics = metrics
        self.invoke = invoke

    def serve(self, request: BaseHTTPRequestHandler) -> None:
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
                event = api_event(request, route, split, path_parameters, body)
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


def api_event(
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
