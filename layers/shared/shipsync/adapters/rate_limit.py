"""A global Zoho request limiter shared by every concurrent Lambda.

Zoho allows 100 requests per minute per organization, counted across all integrations over
a rolling minute. Each call first takes a slot in a DynamoDB counter for the current
*short* bucket (``RATE#zoho#<bucket>``, conditional ``ADD``); when the bucket is full the
caller waits for the next one (bounded), else gives the message back to its queue.

Why short buckets: with per-minute buckets, 90 calls at the end of one minute and 90 at the
start of the next all pass, 180 in a rolling minute. With 2-second buckets of 3 slots, any
rolling 60 s overlaps at most 31 buckets, so at most 93 calls, while a steady burst still
drains at 90 per minute (90 % of the ceiling).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel

from shipsync.errors import RateLimited


class LimiterSettings(BaseModel):
    per_minute: int = 90  # headroom under Zoho's 100/min for the seller's own users
    bucket_s: int = 2
    max_wait_s: float = 20.0

    @property
    def per_bucket(self) -> int:
        return max(1, self.per_minute * self.bucket_s // 60)


class DynamoMinuteLimiter:
    def __init__(
        self,
        table_name: str,
        key: str,
        settings: LimiterSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table_name = table_name
        self._key = key
        self._settings = settings or LimiterSettings()
        self._clock = clock
        self._sleep = sleep

    def __call__(self) -> None:
        """Take one request slot, waiting for the next bucket if this one is full."""
        bucket_s = self._settings.bucket_s
        deadline = self._clock() + self._settings.max_wait_s
        while True:
            now = self._clock()
            bucket = int(now // bucket_s)
            if self._try_take(bucket):
                return
            wait = (bucket + 1) * bucket_s - now + 0.01
            if now + wait > deadline:
                raise RateLimited(f"Zoho request budget of {self._settings.per_minute}/min is used up")
            self._sleep(wait)

    def _try_take(self, bucket: int) -> bool:
        from botocore.exceptions import ClientError

        from shipsync.adapters.aws import client

        try:
            client("dynamodb").update_item(
                TableName=self._table_name,
                Key={"pk": {"S": f"RATE#{self._key}#{bucket}"}},
                UpdateExpression="ADD used :one SET #ttl = :ttl",
                ConditionExpression="attribute_not_exists(used) OR used < :limit",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(self._settings.per_bucket)},
                    ":ttl": {"N": str((bucket + 2) * self._settings.bucket_s + 60)},
                },
            )
            return True
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
