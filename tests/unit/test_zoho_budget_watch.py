"""Zoho's daily budget below the reserve (policy.zoho_budget): one page a Zoho day, with when the cap is reached
at the rate of the day so far."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shipsync.adapters.rate_limit import DynamoDailyBudget
from shipsync.domain.india import IST
from shipsync.policy.zoho_budget import ZohoBudgetWatch, cap_reached_at
from shipsync.ports import DayBudget
from tests.unit.memory_ledger import MemoryLedger
from tests.unit.order_fakes import CountingMetrics, RecordingAlerts

# The Zoho day resets at midnight IST on 8 Dec; at 16:00 IST on the 7th, 16 h of it have gone.
RESET = datetime(2026, 12, 8, 0, 0, tzinfo=IST).timestamp()
NOW = datetime(2026, 12, 7, 16, 0, tzinfo=IST)


def test_the_cap_is_forecast_at_the_rate_of_the_day_so_far() -> None:
    # 1,600 calls in 16 h: 100 an hour, so 250 left last 2.5 h.
    assert cap_reached_at(DayBudget(250, 1850, RESET), NOW) == NOW + timedelta(hours=2.5)
    assert cap_reached_at(DayBudget(250, None, RESET), NOW) is None
    assert cap_reached_at(DayBudget(2000, 2000, RESET), NOW) is None  # nothing used yet


def test_a_low_budget_pages_once_a_day_with_its_forecast() -> None:
    ledger, alerts, metrics = MemoryLedger(), RecordingAlerts(), CountingMetrics()
    watch = ZohoBudgetWatch(300, ledger, alerts, metrics)

    watch(DayBudget(301, 1850, RESET), NOW)  # above the reserve: nothing
    watch(DayBudget(250, 1850, RESET), NOW)
    watch(DayBudget(240, 1850, RESET), NOW + timedelta(minutes=5))  # the same day: paged already
    watch(DayBudget(100, 1850, RESET + 86_400), NOW + timedelta(days=1))  # the next day pages again

    assert [page["subject"] for page in alerts.pages] == [
        "Zoho daily budget low: 250 calls left",
        "Zoho daily budget low: 100 calls left",
    ]
    first = alerts.pages[0]["message"]
    assert "250 of 1,850 Zoho calls are left today, fewer than the 300" in first
    assert "At today's rate the cap is reached at 18:30 IST." in first
    assert "It resets at 00:00 IST." in first
    assert metrics.counts["ZohoBudgetLow"] == 2


def test_a_rate_that_lasts_to_the_reset_says_so() -> None:
    alerts = RecordingAlerts()
    # 100 calls in 16 h: 250 left last 40 h, past the reset.
    ZohoBudgetWatch(300, MemoryLedger(), alerts, CountingMetrics())(DayBudget(250, 350, RESET), NOW)

    assert "the cap is not reached before the reset" in alerts.pages[0]["message"]


def test_the_stacks_budget_tells_the_watch_only_a_new_lowest_count(table: str) -> None:
    told: list[DayBudget] = []
    first = DynamoDailyBudget(table, "zoho", watch=told.append)
    lagging = DynamoDailyBudget(table, "zoho", watch=told.append)

    first.record(DayBudget(400, 2000, RESET))
    lagging.record(DayBudget(450, 2000, RESET))  # older news: not the lowest

    assert told == [DayBudget(400, 2000, RESET)]


def test_now_defaults_to_the_clock() -> None:
    alerts = RecordingAlerts()
    resets = (datetime.now(UTC) + timedelta(hours=1)).timestamp()
    ZohoBudgetWatch(300, MemoryLedger(), alerts, CountingMetrics())(DayBudget(10, 2000, resets))
    assert alerts.pages[0]["subject"] == "Zoho daily budget low: 10 calls left"
