"""A period's operations in one document (issue 15: ``shipsync report --since 7d --html FILE``).

What the morning digest says of one day, over the days of the period, grouped for a page: orders by state and by
day, failures by reason, shipments by status, NDRs and RTOs by courier and destination tier, COD delivered
against remitted with the age of what is owed, the DLQs' depth, and Zoho's daily cap and what its last answer
said is left of it. ``compose`` is pure and gives plain JSON (amounts in paise); ``PeriodReader`` reads the
ledger (a scan of the period's jobs and one of its shipments) and asks the caller for the DLQs and Zoho.

A shipment is the period's when the ledger recorded its AWB in it (``created_at``); its status, NDRs and payment
are as the ledger holds them now. The destination tier is the shipment's city, else the pincode of its order as
shipped (``domain.india.destination_tier``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from shipsync.domain.india import IST, destination_tier
from shipsync.domain.statuses import ShipmentStatus
from shipsync.ledger.records import AwbRecord, JobState, OrderRecord
from shipsync.ops.digest import AGE_BUCKETS, FAILED_STATES, age_bucket, day_bounds, failure_clause
from shipsync.remittance.money import parse_paise

_RTO = frozenset(
    {ShipmentStatus.RTO_INITIATED, ShipmentStatus.RTO_IN_TRANSIT, ShipmentStatus.RTO_DELIVERED, ShipmentStatus.RETURNED}
)
_DELIVERED = ShipmentStatus.DELIVERED.value


@dataclass(frozen=True)
class PeriodFacts:
    first_day: date
    last_day: date  # inclusive, IST
    jobs: list[OrderRecord]
    shipments: list[AwbRecord]  # forward shipments whose AWB was recorded in the period
    dlq_depths: Mapping[str, int]
    zoho_calls_left: int | None
    zoho_daily_cap: int | None


def compose(facts: PeriodFacts, now: datetime) -> dict[str, Any]:
    jobs_by_id = {job.salesorder_id: job for job in facts.jobs}
    days = [facts.first_day + timedelta(days=n) for n in range((facts.last_day - facts.first_day).days + 1)]
    return {
        "period": {
            "from": facts.first_day.isoformat(),
            "to": facts.last_day.isoformat(),
            "days": len(days),
            "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        },
        "orders": _orders(facts.jobs, days),
        "failures": dict(
            Counter(
                f"{FAILED_STATES[job.state]}: {failure_clause(job.failure_reason)}"
                for job in facts.jobs
                if job.state in FAILED_STATES
            ).most_common()
        ),
        "shipments": {
            "total": len(facts.shipments),
            "by_status": dict(Counter(s.status or "recorded" for s in facts.shipments).most_common()),
        },
        "exceptions": _exceptions(facts.shipments, jobs_by_id),
        "cod": _cod(facts.shipments, now),
        "dlq": dict(sorted(facts.dlq_depths.items())),
        "zoho": _zoho(facts.zoho_calls_left, facts.zoho_daily_cap),
    }


def _orders(jobs: list[OrderRecord], days: list[date]) -> dict[str, Any]:
    by_day = {day.isoformat(): {"confirmed": 0, "shipped": 0, "failed": 0} for day in days}
    for job in jobs:
        counts = by_day.get(_ist_day(job.confirmed_at))
        if counts is None:
            continue
        counts["confirmed"] += 1
        counts["shipped"] += job.state is JobState.SYNCED
        counts["failed"] += job.state in FAILED_STATES
    return {
        "confirmed": len(jobs),
        "shipped": sum(1 for job in jobs if job.state is JobState.SYNCED),
        "failed": sum(1 for job in jobs if job.state in FAILED_STATES),
        "by_state": dict(Counter(job.state.value for job in jobs).most_common()),
        "by_day": [{"day": day, **counts} for day, counts in by_day.items()],
    }


def _exceptions(shipments: list[AwbRecord], jobs: Mapping[str, OrderRecord]) -> dict[str, Any]:
    """Per courier and per tier: shipments, those that had an NDR, those on their way back or back (RTO)."""
    groups: dict[str, dict[str, dict[str, int]]] = {"by_courier": {}, "by_tier": {}}
    for shipment in shipments:
        job = jobs.get(shipment.job_id)
        pincode = ((job.shipped_snapshot if job else None) or {}).get("pincode")
        tier = destination_tier(shipment.delivery_city or (job.delivery_city if job else None), pincode)
        for group, name in (("by_courier", shipment.courier_name or "unknown"), ("by_tier", tier)):
            row = groups[group].setdefault(name, {"shipments": 0, "ndrs": 0, "rtos": 0})
            row["shipments"] += 1
            row["ndrs"] += shipment.ndr_count > 0
            row["rtos"] += _status(shipment.status) in _RTO
    return {
        "ndrs": sum(1 for s in shipments if s.ndr_count > 0),
        "ndrs_waiting": sum(1 for s in shipments if s.status == ShipmentStatus.UNDELIVERED.value),
        "rtos": sum(1 for s in shipments if _status(s.status) in _RTO),
        **{group: dict(sorted(rows.items())) for group, rows in groups.items()},
    }


def _cod(shipments: list[AwbRecord], now: datetime) -> dict[str, Any]:
    delivered = [s for s in shipments if s.payment_method == "COD" and s.status == _DELIVERED]
    remitted = [s for s in delivered if s.payment_id]
    owed = [s for s in delivered if not s.payment_id]
    ages = Counter(age_bucket(s.delivered_at, now) for s in owed)
    return {
        "delivered": len(delivered),
        "delivered_paise": _paise(delivered),
        "remitted": len(remitted),
        "remitted_paise": _paise(remitted),
        "not_remitted": len(owed),
        "not_remitted_paise": _paise(owed),
        "aging": {label: ages[label] for _, label in AGE_BUCKETS},
    }


def _zoho(left: int | None, cap: int | None) -> dict[str, int | None]:
    used = cap - left if cap is not None and left is not None else None
    return {"daily_cap": cap, "calls_left": left, "calls_used": used}


def _paise(shipments: list[AwbRecord]) -> int:
    return sum(parse_paise(s.order_value) for s in shipments if s.order_value is not None and s.order_value >= 0)


def _status(text: str | None) -> ShipmentStatus | None:
    try:
        return ShipmentStatus(text) if text else None
    except ValueError:
        return None


def _ist_day(moment: str) -> str:
    try:
        return datetime.fromisoformat(moment).astimezone(IST).date().isoformat()
    except ValueError:
        return ""


class PeriodLedger(Protocol):
    def jobs_confirmed_between(self, start: str, end: str, limit: int = 5000) -> list[OrderRecord]: ...
    def shipments_since(self, created_after: str, limit: int = 2000) -> list[AwbRecord]: ...


class PeriodReader:
    def __init__(
        self,
        ledger: PeriodLedger,
        dlq_depths: Callable[[], Mapping[str, int]],
        zoho_budget: Callable[[], tuple[int | None, int | None]],
    ) -> None:
        """``zoho_budget``: (calls left today, the daily cap), as Zoho's last answer said."""
        self._ledger = ledger
        self._dlq_depths = dlq_depths
        self._zoho_budget = zoho_budget

    def facts(self, first_day: date, last_day: date) -> PeriodFacts:
        start, _ = day_bounds(first_day)
        _, end = day_bounds(last_day)
        recorded = self._ledger.shipments_since(start, limit=20_000)
        shipments = [s for s in recorded if not s.is_return and (s.created_at or "") < end]
        left, cap = self._zoho_budget()
        return PeriodFacts(
            first_day=first_day,
            last_day=last_day,
            jobs=self._ledger.jobs_confirmed_between(start, end, limit=20_000),
            shipments=shipments,
            dlq_depths=self._dlq_depths(),
            zoho_calls_left=left,
            zoho_daily_cap=cap,
        )
