"""The nightly reconciliation (issue 15): ``ops.reconcile`` over the last days' shipments, on a schedule, paging only
the differences no earlier night paged.

A night's pass spans several runs. It costs one Zoho read per sales order, at the shared limiter's pace, in a
function of 60 seconds, so one run compares some tens of orders. The schedule therefore fires every 15 minutes
through the night window (template.yaml ``NightlyReconcile``). Each run goes on from the pass's cursor in the ledger
(``RECONCILE#<night>``, ``ReconcilePass``). It stops with ``STOP_MARGIN_MS`` of its time left, or when Zoho's day
has fewer calls left than the reserve: reconciliation is work that can wait, the orders cannot. Once every shipment
of the period is compared (and Shiprocket's order list read for orders no sales order accounts for), the pass
pages once: the differences whose kind and AWB were never paged before
(``MARK#RECONCILED#<kind>#<awb>``, kept 90 days). A difference still there the next night is not paged again. A
pass the window did not finish is paged by the next night's first run, as incomplete, with what it found.

The pass only lists: ``shipsync reconcile --fix`` repairs, with a person deciding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from aws_lambda_powertools import Logger

from shipsync.domain.india import IST
from shipsync.ledger.records import AwbRecord, ReconcilePass
from shipsync.ops.reconcile import Difference, ReconcileReport
from shipsync.ports import Alerts

logger = Logger(child=True)

# Left of the function's time when a run stops: the last Zoho read, the pass's write and a page fit in it.
STOP_MARGIN_MS = 15_000
# Differences a page lists; the rest are counted ("and 12 more").
PAGE_LISTED = 30


class NightlyLedger(Protocol):
    def shipments_since(self, created_after: str, limit: int = 2000) -> list[AwbRecord]: ...
    def reconcile_pass(self, night: str) -> ReconcilePass | None: ...
    def save_reconcile_pass(self, night_pass: ReconcilePass) -> None: ...
    def mark_once(self, key: str) -> bool: ...


class Compare(Protocol):
    def __call__(self, shipments: Sequence[AwbRecord], *, stop: Callable[[], bool]) -> ReconcileReport: ...


@dataclass(frozen=True)
class NightlyRun:
    night_pass: ReconcilePass
    compared: int  # by this run
    paged: int  # differences paged by this run
    stopped: bool = False  # before the pass was done: the next run goes on

    def as_dict(self) -> dict[str, object]:
        kept = self.night_pass.model_dump(include={"night", "total", "compared", "differences", "runs", "done"})
        return kept | {"compared_now": self.compared, "paged": self.paged, "stopped": self.stopped}


class NightlyReconcile:
    def __init__(
        self,
        ledger: NightlyLedger,
        compare: Compare,
        orphans: Callable[[str], list[Difference]],
        alerts: Alerts,
        *,
        days: int,
    ) -> None:
        """``orphans``: Shiprocket's orders since a time that no sales order accounts for, asked once a pass (no
        Zoho call)."""
        self._ledger = ledger
        self._compare = compare
        self._orphans = orphans
        self._alerts = alerts
        self._days = days

    def run(self, now: datetime, stop: Callable[[], bool]) -> NightlyRun:
        night = now.astimezone(IST).date()
        night_pass = self._ledger.reconcile_pass(night.isoformat())
        paged = 0
        if night_pass is None:
            paged += self._page_unfinished(night - timedelta(days=1))
            since = (now - timedelta(days=self._days)).isoformat(timespec="seconds")
            shipments = self._shipments(since)
            night_pass = ReconcilePass(night=night.isoformat(), since=since, total=len(shipments))
        elif night_pass.done:
            return NightlyRun(night_pass, compared=0, paged=0)
        else:
            shipments = self._shipments(night_pass.since)
        remaining = [s for s in shipments if _after(s, night_pass)]
        report = self._compare(remaining, stop=stop)
        if not report.stopped:
            report.differences += self._orphans(night_pass.since)
        night_pass = self._record(night_pass, report)
        if not report.stopped:
            night_pass.done = True
            paged += self._page(night_pass, finished=True)
        self._ledger.save_reconcile_pass(night_pass)
        logger.info(
            "nightly reconciliation run",
            extra={
                "night": night_pass.night,
                "compared": report.shipments,
                "left": len(remaining) - report.shipments,
                "new_differences": len(night_pass.new) + night_pass.new_unlisted,
                "done": night_pass.done,
            },
        )
        return NightlyRun(night_pass, compared=report.shipments, paged=paged, stopped=report.stopped)

    def _shipments(self, since: str) -> list[AwbRecord]:
        found = [s for s in self._ledger.shipments_since(since) if not s.is_return]
        return sorted(found, key=lambda s: (s.created_at or "", s.awb))

    def _record(self, night_pass: ReconcilePass, report: ReconcileReport) -> ReconcilePass:
        new = [d for d in report.differences if self._ledger.mark_once(f"RECONCILED#{d.kind.value}#{d.awb}")]
        room = max(PAGE_LISTED - len(night_pass.new), 0)
        update: dict[str, object] = {
            "compared": night_pass.compared + report.shipments,
            "differences": night_pass.differences + len(report.differences),
            "new": [*night_pass.new, *(_listed(d) for d in new[:room])],
            "new_unlisted": night_pass.new_unlisted + max(len(new) - room, 0),
            "runs": night_pass.runs + 1,
        }
        if report.last is not None:
            update |= {"through_created_at": report.last.created_at or "", "through_awb": report.last.awb}
        return night_pass.model_copy(update=update)

    def _page_unfinished(self, night: date) -> int:
        earlier = self._ledger.reconcile_pass(night.isoformat())
        if earlier is None or earlier.done or earlier.paged:
            return 0
        paged = self._page(earlier, finished=False)
        self._ledger.save_reconcile_pass(earlier)
        return paged

    def _page(self, night_pass: ReconcilePass, *, finished: bool) -> int:
        """Pages the pass's new differences and returns how many (none: no page, but an unfinished pass pages that
        it did not finish)."""
        count = len(night_pass.new) + night_pass.new_unlisted
        if count == 0 and finished:
            return 0
        day = date.fromisoformat(night_pass.night).strftime("%d %b")
        subject = f"Reconciliation ({day}): {count} new difference(s)" + ("" if finished else ", not finished")
        lines = [
            f"Compared {night_pass.compared} of {night_pass.total} shipment(s) recorded since {night_pass.since} "
            f"in {night_pass.runs} run(s); {night_pass.differences} difference(s), {count} not paged before."
        ]
        if not finished:
            lines.append("The night's window ended before every shipment was compared (Zoho's budget or time).")
        for found in night_pass.new:
            lines.append(f"  [{found['kind']}] {found['salesorder_number']} AWB {found['awb']}: {found['detail']}")
            lines.append(f"      fix: {found['fix']}")
        if night_pass.new_unlisted:
            lines.append(f"  and {night_pass.new_unlisted} more")
        lines.append(f"See them all and repair the safe kinds: shipsync reconcile --since {self._days}d --fix")
        self._alerts.page(subject, "\n".join(lines), kind="ReconcileDifferences")
        night_pass.paged = True
        return count


def _after(shipment: AwbRecord, night_pass: ReconcilePass) -> bool:
    if night_pass.through_awb is None:
        return True
    return (shipment.created_at or "", shipment.awb) > (night_pass.through_created_at or "", night_pass.through_awb)


def _listed(difference: Difference) -> dict[str, str]:
    return {key: str(value) for key, value in asdict(difference).items()}
