"""Pages for ops on the ``OpsAlerts`` SNS topic (e-mail / HTTPS pager subscriptions)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from shipsync.adapters.aws import client

logger = Logger(child=True)

SUBJECT_MAX = 100
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]+")


def sns_subject(text: str) -> str:
    """SNS rejects a Subject that is not printable ASCII on one line or is over 100 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    one_line = " ".join(_NOT_PRINTABLE_ASCII.sub(" ", ascii_text).split())
    if len(one_line) > SUBJECT_MAX:
        one_line = one_line[: SUBJECT_MAX - 3].rstrip() + "..."
    return one_line or "shipsync alert"


class SnsAlerts:
    """Implements ``ports.Alerts``.

    A failed page is logged at ERROR and swallowed: the caller has already decided the work's fate
    (retry, DLQ, mark the order) and must not lose it to a pager outage. The ERROR log line is the
    last line of defence, so a missing topic is reported on every page, never silently.
    """

    def __init__(
        self, topic_arn: str, *, stage: str = "", now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._topic_arn = topic_arn
        self._stage = stage
        self._now = now

    def page(self, subject: str, message: str, *, kind: str, correlation_id: str | None = None) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        prefix = f"[shipsync {self._stage}]" if self._stage else "[shipsync]"
        full_subject = sns_subject(f"{prefix} {subject}")
        if not self._topic_arn:
            logger.error("alert not sent: OPS_TOPIC_ARN is not set", extra={"kind": kind, "subject": full_subject})
            return
        body = {
            "kind": kind,
            "subject": subject,
            "message": message,
            "correlation_id": correlation_id,
            "stage": self._stage,
            "at": self._now().isoformat(timespec="seconds"),
        }
        try:
            client("sns").publish(
                TopicArn=self._topic_arn,
                Subject=full_subject,
                Message=json.dumps(body),
                MessageAttributes={"kind": {"DataType": "String", "StringValue": kind}},
            )
        except (BotoCoreError, ClientError):
            logger.exception("alert not sent: SNS publish failed", extra={"kind": kind, "subject": full_subject})
            return
        logger.info("alert sent", extra={"kind": kind, "subject": full_subject})
