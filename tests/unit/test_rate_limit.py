"""The global Zoho limiter over moto DynamoDB, driven by a fake clock: a burst never exceeds
Zoho's 100 requests in any rolling minute, and drains at >= 90 % of that ceiling."""

from __future__ import annotations

import pytest

from shipsync.adapters import aws
from shipsync.adapters.rate_limit import DynamoDailyBudget, DynamoMinuteLimiter, LimiterSettings
from shipsync.errors import RateLimited
from shipsync.ports import DayBudget


class FakeClock:
    def __init__(self, start: float = 1_700_000_017.3) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_burst_stays_under_zoho_rolling_minute_and_drains_at_90_percent(table: str) -> None:
    clock = FakeClock()
    limiter = DynamoMinuteLimiter(table, "zoho", clock=clock, sleep=clock.sleep)
    granted: list[float] = []
    for _ in range(300):
        limiter()
        granted.append(clock.now)
        clock.now += 0.01  # each call takes a little time

    worst = max(sum(1 for t in granted if start <= t < start + 60) for start in granted)
    assert worst <= 93  # Zoho blocks above 100 per rolling minute
    elapsed_min = (granted[-1] - granted[0]) / 60
    assert 300 / elapsed_min >= 90  # >= 90 % of the 100/min ceiling


def test_two_limiters_share_one_budget(table: str) -> None:
    clock = FakeClock()
    first = DynamoMinuteLimiter(table, "zoho", clock=clock, sleep=clock.sleep)
    second = DynamoMinuteLimiter(table, "zoho", clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(45):
        first()
        second()
    assert clock.now - start >= 55  # 90 calls from two "Lambdas" take ~a minute, not half of one


def test_gives_up_with_rate_limited_when_the_wait_is_too_long(table: str) -> None:
    clock = FakeClock()
    limiter = DynamoMinuteLimiter(
        table, "zoho", LimiterSettings(per_minute=90, max_wait_s=0.5), clock=clock, sleep=clock.sleep
    )
    clock.now = 1_700_000_016.0  # start of a bucket: the wait for the next one is ~2 s
    for _ in range(LimiterSettings().per_bucket):
        limiter()
    with pytest.raises(RateLimited):
        limiter()


# ------------------------------------------------------------------------------------------ the day's budget

RESET = 1_700_040_000.0


def test_the_stack_keeps_the_lowest_count_of_the_day_whoever_heard_it(table: str) -> None:
    clock = FakeClock()
    first, second, reader = (DynamoDailyBudget(table, "zoho", clock=clock) for _ in range(3))

    first.record(DayBudget(900, 1000, RESET))
    # A function whose answer came earlier (a higher count) does not undo the newer one.
    second.record(DayBudget(950, 1000, RESET + 3))
    second.record(DayBudget(880, 1000, RESET + 3))

    assert reader.current() == DayBudget(880, 1000, RESET + 3)


def test_a_new_day_replaces_the_old_count_and_a_passed_reset_knows_nothing(table: str) -> None:
    clock = FakeClock(start=RESET - 60)
    budget = DynamoDailyBudget(table, "zoho", clock=clock)
    budget.record(DayBudget(12, 1000, RESET))
    clock.now = RESET + 1

    assert DynamoDailyBudget(table, "zoho", clock=clock).current() is None  # yesterday's reset has passed

    budget.record(DayBudget(999, 1000, RESET + 86400))
    assert DynamoDailyBudget(table, "zoho", clock=clock).current() == DayBudget(999, 1000, RESET + 86400)


def test_one_process_writes_every_tenth_call_and_reads_at_most_every_thirty_seconds(table: str) -> None:
    clock = FakeClock()
    budget = DynamoDailyBudget(table, "zoho", clock=clock)
    calls: list[str] = []
    # The adapters share one cached client: what it sends is what the budget costs.
    aws.client("dynamodb").meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name), unique_id="count-budget-calls"
    )
    for remaining in range(1000, 970, -1):  # 30 answers
        budget.record(DayBudget(remaining, 1000, RESET))
    for _ in range(5):
        budget.current()
    clock.now += DynamoDailyBudget.READ_TTL_S
    seen = budget.current()

    assert calls.count("UpdateItem") == 3  # at 1000, 990, 980 left
    assert calls.count("GetItem") == 2
    assert seen == DayBudget(980, 1000, RESET)
