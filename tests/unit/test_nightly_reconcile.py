"""The nightly reconciliation (ops.nightly): a night's pass spread over runs that each go on from the cursor, one
page when the pass is done listing only differences never paged before, and an unfinished pass paged the next
night. Also the comparison's own stop (ops.reconcile ``compare``), which bounds a run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from shipsync.ledger.records import AwbRecord
from shipsync.ops.nightly import PAGE_LISTED, NightlyReconcile
from shipsync.ops.reconcile import Difference, Kind, Reconciler, ReconcileReport
from tests.unit.memory_ledger import MemoryLedger
from tests.unit.order_fakes import RecordingAlerts
from tests.unit.test_reconcile import FakeShiprocket, FakeZoho, NoRestocks, salesorder

# 01:00 IST on 7 Dec: the window's first run.
NIGHT = datetime(2026, 12, 6, 19, 30, tzinfo=UTC)


def shipped(ledger: MemoryLedger, count: int, *, start: int = 1) -> list[str]:
    awbs = []
    for number in range(start, start + count):
        awb = f"1904{number:010d}"
        ledger.now = (NIGHT - timedelta(hours=5) + timedelta(minutes=number)).isoformat(timespec="seconds")
        ledger.put_awb(AwbRecord(awb=awb, salesorder_id=f"SO-ID-{number}", salesorder_number=f"SO-{number:05d}"))
        awbs.append(awb)
    return awbs


class FakeCompare:
    """Finds the differences it was told of, for the shipments it is given, until ``budget`` shipments a call."""

    def __init__(self, differences: dict[str, Kind], budget: int = 1000) -> None:
        self.differences = differences
        self.budget = budget
        self.seen: list[list[str]] = []

    def __call__(self, shipments: Sequence[AwbRecord], *, stop: Callable[[], bool]) -> ReconcileReport:
        report = ReconcileReport()
        self.seen.append([s.awb for s in shipments])
        for shipment in shipments:
            if report.shipments >= self.budget or stop():
                report.stopped = True
                break
            if shipment.awb in self.differences:
                kind = self.differences[shipment.awb]
                report.differences.append(
                    Difference(kind, shipment.salesorder_number or "", shipment.awb, "detail", "the fix")
                )
            report.shipments += 1
            report.last = shipment
        return report


def nightly(
    ledger: MemoryLedger, compare: Any, alerts: RecordingAlerts, orphans: list[Difference] | None = None
) -> NightlyReconcile:
    return NightlyReconcile(ledger, compare, lambda since: list(orphans or []), alerts, days=3)


def never() -> bool:
    return False


def test_a_pass_goes_on_from_its_cursor_over_several_runs_and_pages_once_when_done() -> None:
    ledger, alerts = MemoryLedger(), RecordingAlerts()
    awbs = shipped(ledger, 5)
    compare = FakeCompare({awbs[1]: Kind.DELIVERED_NOT_RECORDED, awbs[4]: Kind.SHIPMENT_ORDER_MISSING}, budget=2)
    job = nightly(ledger, compare, alerts)

    runs = [job.run(NIGHT + timedelta(minutes=15 * n), never) for n in range(4)]

    # Two a run: 2, 2, 1, then the pass is done and the fourth run compares nothing.
    assert compare.seen == [awbs, awbs[2:], awbs[4:]]
    assert [run.compared for run in runs] == [2, 2, 1, 0]
    assert [run.night_pass.done for run in runs] == [False, False, True, True]
    [page] = alerts.pages
    assert page["kind"] == "ReconcileDifferences"
    assert page["subject"] == "Reconciliation (07 Dec): 2 new difference(s)"
    assert "Compared 5 of 5 shipment(s)" in page["message"]
    assert f"[delivered_not_recorded] SO-00002 AWB {awbs[1]}: detail" in page["message"]
    assert "shipsync reconcile --since 3d --fix" in page["message"]
    assert [run.paged for run in runs] == [0, 0, 2, 0]


def test_a_difference_paged_one_night_is_not_paged_again_the_next() -> None:
    ledger, alerts = MemoryLedger(), RecordingAlerts()
    awbs = shipped(ledger, 3)
    compare = FakeCompare({awbs[0]: Kind.STATUS_BEHIND})
    nightly(ledger, compare, alerts).run(NIGHT, never)

    compare.differences[awbs[2]] = Kind.AWB_MISSING_IN_ZOHO
    second = nightly(ledger, compare, alerts).run(NIGHT + timedelta(days=1), never)
    third = nightly(ledger, compare, alerts).run(NIGHT + timedelta(days=2), never)

    assert [page["subject"].split(": ")[1] for page in alerts.pages] == ["1 new difference(s)", "1 new difference(s)"]
    assert awbs[2] in alerts.pages[1]["message"]
    assert awbs[0] not in alerts.pages[1]["message"]
    # Still there on the third night, both of them: counted, not paged.
    assert (third.night_pass.differences, third.paged) == (2, 0)
    assert second.night_pass.night == "2026-12-08"


def test_a_pass_the_window_did_not_finish_is_paged_by_the_next_nights_first_run() -> None:
    ledger, alerts = MemoryLedger(), RecordingAlerts()
    awbs = shipped(ledger, 4)
    compare = FakeCompare({awbs[0]: Kind.REMITTED_NOT_PAID}, budget=1)
    first = nightly(ledger, compare, alerts).run(NIGHT, never)
    assert (first.stopped, alerts.pages) == (True, [])

    next_night = nightly(ledger, FakeCompare({}), alerts).run(NIGHT + timedelta(days=1), never)

    [unfinished] = alerts.pages
    assert unfinished["subject"] == "Reconciliation (07 Dec): 1 new difference(s), not finished"
    assert "Compared 1 of 4 shipment(s)" in unfinished["message"]
    assert next_night.night_pass.done
    # Paged once: a later run of the new night does not page the old pass again.
    nightly(ledger, FakeCompare({}), alerts).run(NIGHT + timedelta(days=1, minutes=15), never)
    assert len(alerts.pages) == 1


def test_a_run_stopped_before_anything_is_compared_keeps_the_pass_where_it_was() -> None:
    ledger, alerts = MemoryLedger(), RecordingAlerts()
    shipped(ledger, 2)

    run = nightly(ledger, FakeCompare({}), alerts).run(NIGHT, lambda: True)

    assert (run.compared, run.stopped, run.night_pass.done, run.night_pass.through_awb) == (0, True, False, None)
    saved = ledger.reconcile_pass("2026-12-07")
    assert saved is not None
    assert (saved.runs, saved.total) == (1, 2)


def test_a_long_list_is_cut_at_the_pages_length_and_the_rest_counted() -> None:
    ledger, alerts = MemoryLedger(), RecordingAlerts()
    awbs = shipped(ledger, PAGE_LISTED + 5)

    nightly(ledger, FakeCompare(dict.fromkeys(awbs, Kind.STATUS_BEHIND)), alerts).run(NIGHT, never)

    [page] = alerts.pages
    assert page["subject"].endswith(f"{PAGE_LISTED + 5} new difference(s)")
    assert page["message"].count("[status_behind]") == PAGE_LISTED
    assert "  and 5 more" in page["message"]


def test_the_comparison_stops_before_a_sales_order_it_has_not_read_and_says_where() -> None:
    ledger = MemoryLedger()
    awbs = shipped(ledger, 4)
    zoho = FakeZoho(salesorder())
    reconciler = Reconciler(ledger, NoRestocks(), FakeShiprocket({}), zoho, print, print)
    shipments = ledger.shipments_since("2000-01-01")

    report = reconciler.compare(shipments, stop=lambda: zoho.reads >= 2)

    assert (report.shipments, report.stopped, zoho.reads) == (2, True, 2)
    assert report.last is not None
    assert report.last.awb == awbs[1]
    assert reconciler.compare(shipments).shipments == 4


def test_shiprocket_orders_without_a_sales_order_are_asked_once_the_pass_is_done() -> None:
    ledger, alerts = MemoryLedger(), RecordingAlerts()
    shipped(ledger, 3)
    orphan = Difference(Kind.SHIPROCKET_ORDER_WITHOUT_SALESORDER, "PANEL-7", "", "Shiprocket order 9", "cancel it")
    job = nightly(ledger, FakeCompare({}, budget=2), alerts, orphans=[orphan])

    first = job.run(NIGHT, never)
    second = job.run(NIGHT + timedelta(minutes=15), never)

    assert (first.night_pass.differences, second.night_pass.differences) == (0, 1)
    [page] = alerts.pages
    assert "[shiprocket_order_without_salesorder] PANEL-7" in page["message"]
