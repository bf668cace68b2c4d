"""HTTP plumbing shared by the provider clients: one pooled session, explicit timeouts, one log line per call.

Retries are deliberately absent (no urllib3 retry policy): a failed call raises
``TransientError`` and the SQS message is redelivered, so the retry budget and the DLQ
live in one place instead of multiplying inside a Lambda that is being billed by the ms.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import requests
from aws_lambda_powertools import Logger
from requests.adapters import HTTPAdapter

from shipsync.config import CommonSettings
from shipsync.errors import TransientError

logger = Logger(child=True)

Timeout = tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (3.05, 20.0)
POOL_SIZE = 10

_shared: requests.Session | None = None


def new_session(pool_size: int = POOL_SIZE) -> requests.Session:
    """A session with a connection pool and no automatic retries."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def shared_session() -> requests.Session:
    """The process-wide session: warm Lambda invocations reuse its TLS connections."""
    global _shared
    if _shared is None:
        _shared = new_session()
    return _shared


def timeout_from_settings(settings: CommonSettings) -> Timeout:
    return (settings.http_connect_timeout_s, settings.http_read_timeout_s)


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    provider: str,
    path_template: str,
    timeout: Timeout,
    params: Mapping[str, Any] | None = None,
    json_body: Any = None,
    form: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """One request. Network failures become ``TransientError``; the HTTP status is left to the caller.

    Only the path *template* is logged: real paths and query strings carry ids, and headers,
    bodies and tokens never reach the log.
    """
    started = time.perf_counter()
    try:
        response = session.request(
            method,
            url,
            params=params,
            json=json_body,
            data=form,
            headers=dict(headers or {}),
            timeout=timeout,
        )
    except requests.RequestException as exc:
        # The exception text may embed the URL (query strings hold ids): log the type only.
        logger.warning(
            "http call failed",
            extra={
                "provider": provider,
                "method": method,
                "path": path_template,
                "error": type(exc).__name__,
                "duration_ms": _elapsed_ms(started),
            },
        )
        raise TransientError(f"{provider} {method} {path_template}: {type(exc).__name__}") from exc
    logger.info(
        "http call",
        extra={
            "provider": provider,
            "method": method,
            "path": path_template,
            "status": response.status_code,
            "duration_ms": _elapsed_ms(started),
        },
    )
    return response


def json_or_none(response: requests.Response) -> Any:
    """The decoded JSON body, or None when the body is empty or not JSON (HTML error pages, WAF)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
