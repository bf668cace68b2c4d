"""What every webhook route shares: token check (constant time, fail closed) and size limit."""

from __future__ import annotations

import hmac


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
