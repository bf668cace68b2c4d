"""The morning digest (issue 15): yesterday in one message to OpsAlerts, short enough to read on a phone.

Yesterday's orders (confirmed, shipped, failed by reason), the NDRs waiting for an action, the RTOs on their way
back, COD delivered but not remitted with its age, yesterday's remittances that did not balance, the DLQs' depth,
and what Zoho's last answer said is left of its daily cap. ``compose`` is pure; ``DigestReader`` reads the ledger
(one scan of yesterday's jobs, the open-shipments and unremitted-COD indexes, one scan of yesterday's remittances)
and the DLQs' attributes. Shiprocket publishes no deadline for an NDR action (docs/providers/shiprocket.md §9), so
an NDR shows how long it has waited, not a deadline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from shipsync.domain.india import IST
from shipsync.domain.statuses import ShipmentStatus
from shipsync.ledger.records import AwbRecord, JobState, OrderRecord, RemittanceHeader
from shipsync.remittance.money import format_inr

FAILED_STATES = {
    JobState.INVALID: "invalid order",
    JobState.NOT_SERVICEABLE: "not serviceable",
    JobState.AWB_FAILED: "no courier took it",
    JobState.FAILED: "refused by a provider",
}
_RTO_ON_THE_WAY = frozenset({ShipmentStatus.RTO_INITIATED.value, ShipmentStatus.RTO_IN_TRANSIT.value})
AGE_BUCKETS = ((7, "0-7 d"), (14, "8-14 d"), (10_000, "over 14 d"))
NDRS_LISTED = 5


@dataclass(frozen=True)
class DigestFacts:
    day: date
    jobs: list[OrderRecord]
    open_shipments: list[AwbRecord]
    unremitted: list[AwbRecord]
    remittances: list[RemittanceHeader]
    dlq_depths: Mapping[str, int]
    zoho_calls_left: int | None


def day_bounds(day: date) -> tuple[str, str]:
    """The IST day as the ledger's UTC ISO times: from its midnight to the next."""
    start = datetime.combine(day, time.min, IST).astimezone(UTC)
    return start.isoformat(timespec="seconds"), (start + timedelta(days=1)).isoformat(timespec="seconds")


def compose(facts: DigestFacts, now: datetime) -> tuple[str, str]:
    jobs = facts.jobs
    shipped = sum(1 for job in jobs if job.state is JobState.SYNCED)
    failed = [job for job in jobs if job.state in FAILED_STATES]
    subject = f"shipsync {facts.day:%d %b}: {shipped} shipped, {len(failed)} failed"
    lines = [f"Yesterday ({facts.day:%a %d %b}, IST): {len(jobs)} confirmed, {shipped} shipped, {len(failed)} failed"]
    if failed:
        reasons = Counter(f"{FAILED_STATES[job.state]}: {failure_clause(job.failure_reason)}" for job in failed)
        lines += [f"  {count} x {reason}" for reason, count in reasons.most_common()]
    ndrs = [s for s in facts.open_shipments if s.status == ShipmentStatus.UNDELIVERED.value]
    lines.append(f"NDR waiting for an action: {len(ndrs)}")
    for shipment in sorted(ndrs, key=lambda s: s.status_time or "")[:NDRS_LISTED]:
        lines.append(
            f"  {shipment.salesorder_number} AWB {shipment.awb}, {shipment.ndr_count} attempt(s), "
            f"waiting {_age(shipment.status_time, now)}"
        )
    if len(ndrs) > NDRS_LISTED:
        lines.append(f"  and {len(ndrs) - NDRS_LISTED} more")
    rtos = Counter(s.courier_name or "?" for s in facts.open_shipments if s.status in _RTO_ON_THE_WAY)
    lines.append(
        f"RTO on the way back: {sum(rtos.values())}"
        + (f" ({', '.join(f'{name} {n}' for name, n in rtos.most_common())})" if rtos else "")
    )
    owed = sum(round((s.order_value or 0) * 100) for s in facts.unremitted)
    ages = Counter(age_bucket(s.delivered_at, now) for s in facts.unremitted)
    lines.append(
        f"COD delivered, not remitted: {len(facts.unremitted)} ({format_inr(owed)})"
        + (f": {', '.join(f'{label} {ages[label]}' for _, label in AGE_BUCKETS if ages[label])}" if ages else "")
    )
    short = [r for r in facts.remittances if r.balance_known and not r.balanced]
    lines.append(f"Remittances yesterday: {len(facts.remittances)}, not balanced: {len(short)}")
    lines += [
        f"  {r.remittance_id}: {format_inr(r.bank_transfer_paise)} paid of {format_inr(r.expected_paise)}"
        for r in short
    ]
    waiting = {name: depth for name, depth in sorted(facts.dlq_depths.items()) if depth}
    lines.append(
        "DLQs: " + (", ".join(f"{name} {depth}" for name, depth in waiting.items()) if waiting else "all empty")
    )
    left = facts.zoho_calls_left
    lines.append(f"Zoho calls left today: {'not known yet today' if left is None else f'{left:,}'}")
    return subject, "\n".join(lines)


def failure_clause(reason: str | None) -> str:
    return (reason or "no reason recorded").split(":")[0].strip()[:60]


def _hours(since: str | None, now: datetime) -> float | None:
    try:
        return (now - datetime.fromisoformat(since)).total_seconds() / 3600 if since else None
    except ValueError:
        return None


def _age(since: str | None, now: datetime) -> str:
    hours = _hours(since, now)
    return "?" if hours is None else f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} d"


def age_bucket(delivered_at: str | None, now: datetime) -> str:
    hours = _hours(delivered_at, now)
    days = 0 if hours is None else hours / 24
    return next(label for limit, label in AGE_BUCKETS if days <= limit)


class DigestLedger(Protocol):
    def jobs_confirmed_between(self, start: str, end: str, limit: int = 5000) -> list[OrderRecord]: ...
    def quiet_shipments(self, last_event_before: str, limit: int = 200) -> list[AwbRecord]: ...
    def unremitted_cod(self, limit: int = 500) -> list[AwbRecord]: ...
    def remittances_received_between(self, start: str, end: str, limit: int = 500) -> list[RemittanceHeader]: ...


class DigestReader:
    def __init__(
        self,
        ledger: DigestLedger,
        dlq_depths: Callable[[], Mapping[str, int]],
        zoho_calls_left: Callable[[], int | None],
    ) -> None:
        self._ledger = ledger
        self._dlq_depths = dlq_depths
        self._zoho_calls_left = zoho_calls_left

    def facts(self, day: date, now: datetime) -> DigestFacts:
        start, end = day_bounds(day)
        # Every shipment still tracked: "quiet since after now" is all of them.
        everything_open = (now + timedelta(days=1)).astimezone(UTC).isoformat(timespec="seconds")
        return DigestFacts(
            day=day,
            jobs=self._ledger.jobs_confirmed_between(start, end),
            open_shipments=self._ledger.quiet_shipments(everything_open, limit=2000),
            unremitted=self._ledger.unremitted_cod(),
            remittances=self._ledger.remittances_received_between(start, end),
            dlq_depths=self._dlq_depths(),
            zoho_calls_left=self._zoho_calls_left(),
        )
