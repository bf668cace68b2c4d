"""Refresh requests to token-refresh over its FIFO queue (one message group per provider)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from shipsync.adapters.aws import client
from shipsync.errors import TransientError
from shipsync.tokens.messages import RefreshRequest

logger = Logger(child=True)


def dedup_id(provider: str, seen_version: int | None, reason: str) -> str:
    """Every worker that saw the same token version fail for the same reason sends the same id, so SQS
    keeps ONE request per (provider, version, reason) within its 5-minute deduplication window."""
    version = "none" if seen_version is None else str(seen_version)
    return f"{provider}-v{version}-{reason}"


class SqsRefreshRequester:
    """Implements ``ports.TokenRefreshRequester``."""

    def __init__(self, queue_url: str, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._queue_url = queue_url
        self._now = now

    def request_refresh(self, provider: str, seen_version: int | None, reason: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        request = RefreshRequest(
            provider=provider,
            seen_version=seen_version,
            reason=reason,
            requested_at=self._now().isoformat(timespec="seconds"),
        )
        try:
            client("sqs").send_message(
                QueueUrl=self._queue_url,
                MessageBody=request.model_dump_json(),
                MessageGroupId=provider,
                MessageDeduplicationId=dedup_id(provider, seen_version, reason),
            )
        except (BotoCoreError, ClientError) as exc:
            raise TransientError(f"{provider}: token refresh request could not be sent: {type(exc).__name__}") from exc
        logger.info(
            "token refresh requested", extra={"provider": provider, "seen_version": seen_version, "reason": reason}
        )
