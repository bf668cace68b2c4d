"""What every webhook route shares: token check (constant time, fail closed) and size limit."""

from __future__ import annotations

import hmac
import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types


class WebhookRejected(Exception):
    """A request the webhook answers with a 4xx; ``field`` names what was wrong."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def authenticate(presented: str | None, expected: str | None) -> None:
    """Constant-time token check. An unset secret rejects everything (fail closed)."""
    if not expected:
        raise WebhookRejected(401, "webhook secret is not configured; rejecting")
    if presented is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise WebhookRejected(401, "missing or wrong x-api-key")


def check_size(body: str, max_bytes: int) -> None:
    if len(body.encode()) > max_bytes:
        raise WebhookRejected(413, f"body larger than {max_bytes} bytes", "body")


def require_body(body: str | None, max_bytes: int) -> str:
    """The request body, or 400 when empty and 413 when over ``max_bytes``."""
    if body is None or not body.strip():
        raise WebhookRejected(400, "empty body", "body")
    check_size(body, max_bytes)
    return body


def load_json(text: str) -> Any:
    """Parsed JSON, or a 400 naming the position of the syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise WebhookRejected(400, f"malformed JSON: {err.msg} at position {err.pos}", "body") from None


def json_response(status: int, body: dict[str, Any]) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def register_error_handlers(app: APIGatewayRestResolver, logger: Logger) -> None:
    """The answers every webhook route shares: a 4xx naming the field for input that can never
    be valid, a 503 when the request could not be durably queued (the sender retries)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from shipsync.errors import TransientError

    @app.exception_handler(WebhookRejected)  # type: ignore[untyped-decorator]
    def rejected(err: WebhookRejected) -> Response[Any]:
        logger.warning("webhook rejected", extra={"status": err.status, "reason": err.message})
        return json_response(err.status, {"error": err.message, "field": err.field})

    @app.exception_handler([TransientError, BotoCoreError, ClientError])  # type: ignore[untyped-decorator]
    def not_enqueued(err: Exception) -> Response[Any]:
        logger.exception("webhook not enqueued")
        return json_response(503, {"error": "temporarily unavailable; retry later"})
