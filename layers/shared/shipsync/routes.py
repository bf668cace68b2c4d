"""What every route shares: token check (constant time, fail closed) and the answers to errors.

The body itself is read by ``request_body``."""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from shipsync.errors import (
    InvalidOrder,
    MessageTooLarge,
    NotConfigured,
    PermanentError,
    ProviderRequestError,
    ShipsyncError,
)

if TYPE_CHECKING:
    from shipsync.policy.outcomes import OutcomePolicy


class WebhookRejected(Exception):
    """A request the webhook answers with a 4xx; ``field`` names what was wrong."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        message = printable(message)
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = None if field is None else printable(field)


_NOT_PRINTABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_ECHO_MAX = 300


def printable(text: str) -> str:
    """Client text fit for a log line and a JSON answer: controls and lone surrogates escaped, length capped.

    A rejection names what was wrong, and that name (a key, a value) came from the client."""
    escaped = _NOT_PRINTABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
    return escaped if len(escaped) <= _ECHO_MAX else escaped[:_ECHO_MAX] + "..."


def authenticate(presented: str | None, expected: str | None) -> None:
    """Constant-time token check. An unset secret rejects everything (fail closed)."""
    if not expected:
        raise WebhookRejected(401, "webhook secret is not configured; rejecting")
    if presented is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise WebhookRejected(401, "missing or wrong x-api-key")


def json_response(status: int, body: dict[str, Any]) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def register_error_handlers(app: APIGatewayRestResolver, logger: Logger, policy: Callable[[], OutcomePolicy]) -> None:
    """The outcome policy (``policy.outcomes``) in HTTP, for every route: a 4xx naming the field for input
    that can never be valid, 422 for a request shipsync gives up on (502 when a provider refused ours),
    503 for anything worth retrying (after the policy's side effects: a token refresh, a page), and 503
    while the deployment lacks a setting the route needs. Powertools picks the handler of the nearest class
    in the error's MRO."""
    from botocore.exceptions import BotoCoreError, ClientError

    @app.exception_handler(WebhookRejected)  # type: ignore[untyped-decorator]
    def rejected(err: WebhookRejected) -> Response[Any]:
        logger.warning("request rejected", extra={"status": err.status, "reason": err.message})
        return json_response(err.status, {"error": err.message, "field": err.field})

    @app.exception_handler(MessageTooLarge)  # type: ignore[untyped-decorator]
    def too_large_to_queue(err: MessageTooLarge) -> Response[Any]:
        logger.warning("request refused: too large to queue", extra={"status": 413, "reason": str(err)})
        return json_response(413, {"error": f"body: {err}", "field": "body"})

    @app.exception_handler(PermanentError)  # type: ignore[untyped-decorator]
    def given_up(err: PermanentError) -> Response[Any]:
        status, field = _given_up_status(err)
        logger.warning("request refused", extra={"status": status, "reason": str(err)})
        return json_response(status, {"error": str(err), "field": field})

    @app.exception_handler(NotConfigured)  # type: ignore[untyped-decorator]
    def not_configured(err: NotConfigured) -> Response[Any]:
        logger.error("route not configured", extra={"reason": str(err)})
        return json_response(503, {"error": str(err)})

    @app.exception_handler([ShipsyncError, BotoCoreError, ClientError])  # type: ignore[untyped-decorator]
    def retry_later(err: Exception) -> Response[Any]:
        logger.exception("request not completed; the sender should retry")
        policy().before_retry(err, app.current_event.path)
        return json_response(503, {"error": "temporarily unavailable; retry later"})


def _given_up_status(err: PermanentError) -> tuple[int, str | None]:
    if isinstance(err, InvalidOrder):
        # The sales order cannot become what was asked for as it stands (bad phone, pincode...): fix it in Zoho.
        return 422, err.field
    if isinstance(err, ProviderRequestError):
        return 502, None
    return 422, None
