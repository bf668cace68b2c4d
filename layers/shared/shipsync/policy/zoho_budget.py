"""Zoho's daily budget as a limit the stack plans for (issue 16): one page a day when what is left of it falls below
the reserve for work that cannot wait, with the forecast of when the cap will be reached at today's rate.

The cap counts per organisation per day (docs/providers/zoho.md §4): its day began a day before the reset the
answers announce, so the rate is the calls used over the time since then. The work that can wait (wallet entries in
the books, the nightly reconciliation) already stops at the same reserve; this page tells ops before the cap stops
the work that cannot (confirmations, payments, restocks).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from shipsync.domain.india import IST
from shipsync.ports import Alerts, DayBudget, MetricsSink

DAY_S = 86_400


class Marks(Protocol):
    def mark_once(self, key: str) -> bool: ...


def cap_reached_at(budget: DayBudget, now: datetime) -> datetime | None:
    """When the calls left run out at the rate of the day so far; None without a cap or before any call."""
    if budget.cap is None:
        return None
    used = budget.cap - budget.remaining
    elapsed = now.timestamp() - (budget.resets_at - DAY_S)
    if used <= 0 or elapsed <= 0:
        return None
    return now + timedelta(seconds=budget.remaining * elapsed / used)


class ZohoBudgetWatch:
    """Called with each count the stack records; pages once per Zoho day below ``reserve``."""

    def __init__(self, reserve: int, marks: Marks, alerts: Alerts, metrics: MetricsSink) -> None:
        self._reserve = reserve
        self._marks = marks
        self._alerts = alerts
        self._metrics = metrics

    def __call__(self, budget: DayBudget, now: datetime | None = None) -> None:
        if budget.remaining >= self._reserve:
            return
        now = now or datetime.now(UTC)
        resets = datetime.fromtimestamp(budget.resets_at, UTC).astimezone(IST)
        if not self._marks.mark_once(f"ZOHOBUDGET#{resets:%Y-%m-%dT%H}"):
            return
        self._metrics.count("ZohoBudgetLow")
        at = cap_reached_at(budget, now)
        cap = f" of {budget.cap:,}" if budget.cap is not None else ""
        if at is None:
            forecast = "The rate of the day so far is not known."
        elif at.timestamp() >= budget.resets_at:
            forecast = "At today's rate the cap is not reached before the reset."
        else:
            forecast = f"At today's rate the cap is reached at {at.astimezone(IST):%H:%M} IST."
        self._alerts.page(
            f"Zoho daily budget low: {budget.remaining:,} calls left",
            f"{budget.remaining:,}{cap} Zoho calls are left today, fewer than the {self._reserve:,} kept for the "
            f"work that cannot wait. {forecast} It resets at {resets:%H:%M} IST. Wallet entries in the books and "
            "the nightly reconciliation wait until then; confirmations, payments and restocks go on until the cap "
            "(Zoho code 45) stops them.",
            kind="ZohoBudgetLow",
            correlation_id=f"{resets:%Y-%m-%d}",
        )
