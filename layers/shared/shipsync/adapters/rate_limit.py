"""A global Zoho request limiter shared by every concurrent Lambda.

Zoho allows 100 requests per minute per organization, counted across all integrations over
a rolling minute. Each call first takes a slot in a DynamoDB counter for the current
*short* bucket (``RATE#zoho#<bucket>``, conditional ``ADD``); when the bucket is full the
caller waits for the next one (bounded), else gives the message back to its queue.

Why short buckets: with per-minute buckets, 90 calls at the end of one minute and 90 at the
start of the next all pass, 180 in a rolling minute. With 2-second buckets of 3 slots, any
rolling 60 s overlaps at most 31 buckets, so at most 93 calls, while a steady burst still
drains at 90 per minute (90 % of the ceiling).

The day's budget (``DynamoDailyBudget``) sits in the same table: the lowest count of calls left that any
function heard from Zoho today.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel

from shipsync.errors import RateLimited
from shipsync.ports import DayBudget


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


# ------------------------------------------------------------------------------------------ the day's budget


class DynamoDailyBudget:
    """The organisation's daily Zoho budget as the whole stack last heard it (``BUDGET#<key>``), beside the
    per-minute buckets: each function hears ``X-Rate-Limit-*`` on its own answers (docs/providers/zoho.md §4), and
    the lowest count of the current day is what every function reads.

    A count replaces the stored one when it is lower, or of a new day (its reset more than ``NEW_DAY_S`` later):
    a slow function's older, higher count never undoes a newer one. One process writes at most every
    ``WRITE_EVERY`` calls of its own, so the budget costs a DynamoDB write per ten Zoho calls; a read is kept
    ``READ_TTL_S``."""

    WRITE_EVERY = 10
    READ_TTL_S = 30.0
    NEW_DAY_S = 600.0

    def __init__(
        self,
        table_name: str,
        key: str,
        *,
        clock: Callable[[], float] = time.time,
        watch: Callable[[DayBudget], None] | None = None,
    ) -> None:
        """``watch``: told each count that became the stack's lowest (policy.zoho_budget pages on a low one)."""
        self._table_name = table_name
        self._key = key
        self._clock = clock
        self._watch = watch
        self._written: DayBudget | None = None
        self._read: tuple[float, DayBudget | None] | None = None

    def record(self, budget: DayBudget) -> None:
        last = self._written
        same_day = last is not None and abs(budget.resets_at - last.resets_at) < self.NEW_DAY_S
        if same_day and last is not None and last.remaining - budget.remaining < self.WRITE_EVERY:
            return
        from botocore.exceptions import ClientError

        from shipsync.adapters.aws import client

        values = {
            ":remaining": {"N": str(budget.remaining)},
            ":resets_at": {"N": str(int(budget.resets_at))},
            ":new_day": {"N": str(int(budget.resets_at - self.NEW_DAY_S))},
            ":ttl": {"N": str(int(budget.resets_at + 86400))},
        }
        cap = ", cap = :cap" if budget.cap is not None else ""
        if budget.cap is not None:
            values[":cap"] = {"N": str(budget.cap)}
        try:
            client("dynamodb").update_item(
                TableName=self._table_name,
                Key={"pk": {"S": f"BUDGET#{self._key}"}},
                UpdateExpression=f"SET remaining = :remaining, resets_at = :resets_at, #ttl = :ttl{cap}",
                ConditionExpression=(
                    "attribute_not_exists(remaining) OR resets_at < :new_day OR remaining > :remaining"
                ),
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues=values,
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            self._written = budget  # a lower count was there already: nothing new to tell
            return
        self._written = budget
        if self._watch is not None:
            self._watch(budget)

    def current(self) -> DayBudget | None:
        """The stack's lowest count of the day, or None when none is known or its reset has passed."""
        now = self._clock()
        if self._read is None or now - self._read[0] >= self.READ_TTL_S:
            from shipsync.adapters.aws import client

            item = (
                client("dynamodb")
                .get_item(TableName=self._table_name, Key={"pk": {"S": f"BUDGET#{self._key}"}}, ConsistentRead=True)
                .get("Item")
            )
            found = None
            if item is not None and "remaining" in item and "resets_at" in item:
                cap = item.get("cap", {}).get("N")
                found = DayBudget(int(item["remaining"]["N"]), int(cap) if cap else None, float(item["resets_at"]["N"]))
            self._read = (now, found)
        budget = self._read[1]
        return budget if budget is not None and now < budget.resets_at else None
