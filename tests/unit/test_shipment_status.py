"""The shipment-status job over fakes: forward-only Zoho writes, delivered, RTO hand-off, lost,
NDR with and without a rule, unknown AWBs, duplicates, and the tracking poll."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Unpack

import pytest
from order_fakes import CountingMetrics, RecordingAlerts

from shipsync.domain.statuses import ShipmentStatus
from shipsync.ledger.records import AwbChanges, OrderChanges
from shipsync.orders.messages import OrderMessage
from shipsync.returns.messages import RestockMessage
from shipsync.tracking.events import TrackingEvent, parse_webhook
from shipsync.tracking.job import ShipmentStatusJob
from shipsync.tracking.messages import StatusMessage
from tests.fixtures import published
from tests.unit.memory_ledger import MemoryLedger

AWB = "1411220456789"
SO_ID = "1947583000000123001"
NOW = datetime(2025, 1, 20, 12, 0, tzinfo=UTC)


def webhook(
    status_id: int, when: str, *, awb: str = AWB, is_return: int = 0, activity: str = "scan", etd: str | None = None
) -> TrackingEvent:
    """A Shiprocket webhook body in the reference fixture's shape, parsed."""
    return parse_webhook(
        {
            **({"etd": etd} if etd is not None else {}),
            "awb": awb,
            "courier_name": "Delhivery Surface",
            "current_status": "X",
            "current_status_id": 20,
            "shipment_status": "X",
            "shipment_status_id": status_id,
            "current_timestamp": when,
            "order_id": "SO-01042",
            "sr_order_id": 612345678,
            "scans": [
                {
                    "date": "2025-01-12 14:20:11",
                    "status": "X-PPOM",
                    "activity": activity,
                    "location": "Pune_Hadapsar_D (Maharashtra)",
                    "sr-status": str(status_id),
                    "sr-status-label": "X",
                }
            ],
            "is_return": is_return,
        }
    )


class FakeZoho:
    def __init__(self) -> None:
        self.fields: list[dict[str, str]] = []
        self.delivered: list[tuple[str, str | None]] = []

    def update_salesorder_custom_fields(self, salesorder_id: str, values: Mapping[str, str]) -> None:
        self.fields.append(dict(values))

    def mark_shipment_delivered(self, shipment_id: str, delivered_date: str | None = None) -> None:
        self.delivered.append((shipment_id, delivered_date))


class FakeTracking:
    def __init__(self) -> None:
        self.tracking: dict[str, dict[str, Any]] = {}
        self.ndr_actions: list[tuple[str, str]] = []
        self.calls: Counter[str] = Counter()

    def track_awbs(self, awbs: Sequence[str]) -> dict[str, dict[str, Any]]:
        assert len(awbs) <= 50
        self.calls["track_awbs"] += 1
        return {awb: self.tracking[awb] for awb in awbs if awb in self.tracking}

    def ndr_action(self, awb: str, action: str, comments: str) -> None:
        self.ndr_actions.append((awb, action))


class MemoryStatusLedger(MemoryLedger):
    """The one in-memory ledger with shipped orders to track."""

    def add(self, awb: str, *, is_return: bool = False, last_event_at: str = "2025-01-11T10:00:00+00:00") -> None:
        self.awbs[awb] = {
            "awb": awb,
            "salesorder_id": SO_ID,
            "salesorder_number": "SO-01042",
            "courier_name": "Delhivery Surface",
            "is_return": is_return,
            "tracking_open": "1",
            "last_event_at": last_event_at,
        }
        # Written directly: a subclass failing ledger writes must not fail the setup.
        self.entries[SO_ID] = {"salesorder_id": SO_ID, "salesorder_number": "SO-01042", "zoho_shipment_id": "5005"}


class FailingOnceLedger(MemoryStatusLedger):
    """Each ledger operation named in ``fail_once`` raises on its next call, then works again."""

    def __init__(self, *fail_once: str) -> None:
        super().__init__()
        self.fail_once = set(fail_once)

    def _maybe_fail(self, operation: str) -> None:
        if operation in self.fail_once:
            self.fail_once.discard(operation)
            raise RuntimeError(f"ledger {operation} failed")

    def update(self, salesorder_id: str, **changes: Unpack[OrderChanges]) -> None:
        self._maybe_fail("update")
        super().update(salesorder_id, **changes)

    def close_tracking(self, awb: str) -> None:
        self._maybe_fail("close_tracking")
        super().close_tracking(awb)

    def update_awb(self, awb: str, **changes: Unpack[AwbChanges]) -> None:
        self._maybe_fail("update_awb seen" if set(changes) == {"seen_events"} else "update_awb")
        super().update_awb(awb, **changes)


class World:
    def __init__(self, *, ndr_rule: str = "", ledger: MemoryStatusLedger | None = None) -> None:
        self.zoho = FakeZoho()
        self.shiprocket = FakeTracking()
        self.ledger = ledger or MemoryStatusLedger()
        self.ledger.add(AWB)
        self.alerts = RecordingAlerts()
        self.metrics = CountingMetrics()
        self.restock: list[RestockMessage] = []
        self.requeued: list[StatusMessage] = []
        self.to_orders: list[OrderMessage] = []
        self.job = ShipmentStatusJob(
            zoho=self.zoho,
            shiprocket=self.shiprocket,
            ledger=self.ledger,
            alerts=self.alerts,
            metrics=self.metrics,
            hand_to_restock=self.restock.append,
            hand_to_orders=self.to_orders.append,
            requeue=self.requeued.append,
            ndr_rule=ndr_rule,
            ndr_max_reattempts=1,
            clock=lambda: NOW,
        )

    def statuses_written(self) -> list[str]:
        return [f["cf_shipment_status"] for f in self.zoho.fields]


def test_happy_path_writes_each_change_once_and_marks_zoho_delivered() -> None:
    world = World()
    for status_id, when in [
        (42, "12 01 2025 14:20:11"),
        (18, "13 01 2025 08:00:00"),
        (38, "13 01 2025 20:00:00"),
        (17, "14 01 2025 09:12:40"),
        (7, "14 01 2025 15:30:00"),
    ]:
        world.job.handle(webhook(status_id, when))

    # 18 and 38 both map to In Transit: one Zoho write, not two.
    assert world.statuses_written() == ["Picked Up", "In Transit", "Out for Delivery", "Delivered"]
    assert world.zoho.delivered == [("5005", "2025-01-14 15:30")]
    assert world.ledger.awbs[AWB]["status"] == "Delivered"
    assert "tracking_open" not in world.ledger.awbs[AWB]  # terminal: leaves the poll
    assert world.ledger.entries[SO_ID]["shipment_status"] == "Delivered"
    assert world.alerts.pages == []


def test_duplicate_and_late_events_never_regress_delivered() -> None:
    world = World()
    world.job.handle(webhook(7, "14 01 2025 15:30:00"))
    assert world.job.handle(webhook(7, "14 01 2025 15:30:00")).result == "duplicate"
    late = world.job.handle(webhook(17, "14 01 2025 09:12:40"))
    assert late.result.startswith("unchanged")
    assert world.statuses_written() == ["Delivered"]
    assert len(world.zoho.delivered) == 1


def test_the_couriers_expected_delivery_rides_on_the_status_writes_only_when_it_changes() -> None:
    world = World()
    world.job.handle(webhook(42, "12 01 2025 14:20:11", etd="2025-01-15 18:00:00"))
    world.job.handle(webhook(18, "13 01 2025 08:00:00", etd="2025-01-15 20:00:00"))  # the same day
    world.job.handle(webhook(17, "14 01 2025 09:12:40", etd="NA"))  # unknown: kept as it was
    world.job.handle(webhook(7, "16 01 2025 15:30:00", etd="2025-01-16 23:59:00"))

    assert [f.get("cf_expected_delivery") for f in world.zoho.fields] == ["2025-01-15", None, None, "2025-01-16"]
    assert len(world.zoho.fields) == 4  # no write of its own
    assert world.ledger.awbs[AWB]["expected_delivery"] == "2025-01-16"


def test_a_cancellation_at_shiprocket_is_marked_and_handed_to_the_order_worker_once() -> None:
    world = World()
    world.job.handle(webhook(8, "13 01 2025 08:00:00"))
    assert world.job.handle(webhook(8, "13 01 2025 08:00:00")).result == "duplicate"
    world.job.handle(webhook(16, "13 01 2025 09:00:00"))  # a late "cancellation requested" changes nothing

    assert world.statuses_written() == ["Cancelled"]
    assert [(m.salesorder_id, m.intent, m.source) for m in world.to_orders] == [(SO_ID, "reverse", "tracking")]
    assert "tracking_open" not in world.ledger.awbs[AWB]


def test_unknown_awb_is_acknowledged_ignored_and_counted() -> None:
    world = World()
    outcome = world.job.handle(webhook(18, "13 01 2025 08:00:00", awb="999999999"))
    assert outcome.result == "unknown awb"
    assert world.metrics.counts["UnknownAwb"] == 1
    assert world.zoho.fields == []


def test_rto_initiated_pages_ops_and_rto_delivered_hands_to_restock() -> None:
    world = World()
    world.job.handle(webhook(21, "14 01 2025 18:00:00", activity="Consignee refused"))
    world.job.handle(webhook(9, "15 01 2025 10:00:00", activity="RTO initiated: customer refused"))
    world.job.handle(webhook(46, "16 01 2025 10:00:00"))
    world.job.handle(webhook(10, "18 01 2025 10:00:00"))

    kinds = [p["kind"] for p in world.alerts.pages]
    assert kinds == ["NdrRaised", "RtoInitiated"]
    assert "Delhivery Surface" in world.alerts.pages[1]["message"]
    assert world.restock == [
        RestockMessage(
            kind="rto",
            awb=AWB,
            salesorder_id=SO_ID,
            salesorder_number="SO-01042",
            event_time="2025-01-18T04:30:00+00:00",
        )
    ]
    assert world.statuses_written()[-1] == "RTO Delivered"
    assert world.zoho.delivered == []


def test_an_rto_webhook_without_an_rto_scan_pages_the_rto_as_its_reason() -> None:
    # Issue 9, gap 6: the collection's webhook sample turned RTO INITIATED; its newest scan is a hub scan.
    payload = published.rto_initiated_webhook()
    world = World()
    world.ledger.add(payload["awb"])

    world.job.handle(parse_webhook(payload))

    [page] = world.alerts.pages
    assert page["kind"] == "RtoInitiated"
    assert "Reason: RTO INITIATED." in page["message"]
    assert "Last scan: In Transit - Shipment Received at Facility." in page["message"]


def test_lost_pages_ops_for_a_courier_claim() -> None:
    world = World()
    world.job.handle(webhook(18, "13 01 2025 08:00:00"))
    world.job.handle(webhook(12, "20 01 2025 08:00:00"))
    [page] = world.alerts.pages
    assert page["kind"] == "ShipmentLost"
    assert "claim" in page["message"]
    assert AWB in page["message"]


def test_ndr_without_a_rule_pages_with_the_deadline_and_takes_no_action() -> None:
    world = World()
    world.job.handle(webhook(21, "14 01 2025 18:00:00", activity="Customer not available"))
    [page] = world.alerts.pages
    assert "2025-01-15 18:00 IST" in page["message"]
    assert world.shiprocket.ndr_actions == []


def test_ndr_rule_reattempts_once_then_returns() -> None:
    world = World(ndr_rule="re-attempt-then-return")
    world.job.handle(webhook(21, "14 01 2025 18:00:00"))
    world.job.handle(webhook(17, "15 01 2025 09:00:00"))
    world.job.handle(webhook(21, "15 01 2025 18:00:00"))
    assert world.shiprocket.ndr_actions == [(AWB, "re-attempt"), (AWB, "return")]
    assert [a["action"] for a in world.ledger.awbs[AWB]["ndr_actions"]] == ["re-attempt", "return"]


def test_delivered_customer_return_goes_to_restock() -> None:
    world = World()
    world.ledger.add("RET1", is_return=True)
    world.job.handle(webhook(7, "20 01 2025 10:00:00", awb="RET1", is_return=1))
    assert world.restock[0].kind == "customer_return"
    assert world.statuses_written() == ["Return Delivered"]
    assert world.zoho.delivered == []  # the forward shipment is not touched


def test_zoho_failure_leaves_the_event_unrecorded_so_the_retry_applies_it() -> None:
    world = World()

    def down(salesorder_id: str, values: Mapping[str, str]) -> None:
        raise RuntimeError("zoho down")

    world.zoho.update_salesorder_custom_fields = down  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        world.job.handle(webhook(42, "12 01 2025 14:20:11"))
    del world.zoho.update_salesorder_custom_fields
    assert world.job.handle(webhook(42, "12 01 2025 14:20:11")).result == "advanced"
    assert world.statuses_written() == ["Picked Up"]


def test_tracking_poll_feeds_quiet_shipments_through_the_same_machine() -> None:
    world = World()
    world.ledger.add("FRESH", last_event_at=(NOW - timedelta(minutes=5)).isoformat())
    world.shiprocket.tracking[AWB] = {
        "track_status": 1,
        "shipment_status": 7,
        "shipment_track": [{"awb_code": AWB, "current_status": "DELIVERED"}],
        "shipment_track_activities": [
            {
                "date": "2025-01-14 15:30:00",
                "status": "DLVD",
                "activity": "Delivered",
                "location": "Bengaluru",
                "sr-status": "7",
                "sr-status-label": "DELIVERED",
            },
            {
                "date": "2025-01-12 14:20:11",
                "status": "X-PPOM",
                "activity": "Picked up",
                "location": "Pune",
                "sr-status": "42",
                "sr-status-label": "PICKED UP",
            },
            {
                "date": "2025-01-12 15:00:00",
                "status": "X",
                "activity": "noise",
                "location": "Pune",
                "sr-status": "NA",
                "sr-status-label": "NA",
            },
        ],
    }

    result = world.job.poll_quiet(timedelta(hours=6))

    assert result == {"quiet": 1, "polled": 1, "queued": 2}  # FRESH had an event 5 minutes ago
    assert world.zoho.fields == []  # the poll only queues; the StatusQueue worker applies
    for message in world.requeued:  # what the worker then does with each queued message
        world.job.handle(StatusMessage.model_validate_json(message.model_dump_json()).event)
    assert world.statuses_written() == ["Picked Up", "Delivered"]
    assert world.shiprocket.calls["track_awbs"] == 1
    assert world.job.poll_quiet(timedelta(hours=6))["quiet"] == 0  # delivered: no longer tracked


def test_status_enum_values_are_what_zoho_shows() -> None:
    assert ShipmentStatus.UNDELIVERED.value == "Undelivered (NDR)"


def test_rto_is_paged_once_even_when_rto_in_transit_overtakes_rto_initiated() -> None:
    world = World()
    world.job.handle(webhook(18, "13 01 2025 08:00:00"))
    world.job.handle(webhook(46, "16 01 2025 10:00:00"))  # arrives first
    world.job.handle(webhook(9, "15 01 2025 10:00:00"))  # late: changes nothing
    world.job.handle(webhook(10, "18 01 2025 10:00:00"))

    assert [p["kind"] for p in world.alerts.pages] == ["RtoInitiated"]
    assert "RTO In Transit" in world.alerts.pages[0]["message"]
    assert world.metrics.counts["RtoInitiated"] == 1
    assert [m.kind for m in world.restock] == ["rto"]


def test_rto_delivered_as_the_first_rto_event_still_pages_and_restocks() -> None:
    world = World()
    world.job.handle(webhook(18, "13 01 2025 08:00:00"))
    world.job.handle(webhook(10, "18 01 2025 10:00:00"))
    assert [p["kind"] for p in world.alerts.pages] == ["RtoInitiated"]
    assert [m.kind for m in world.restock] == ["rto"]


@pytest.mark.parametrize("failing", ["update", "close_tracking", "update_awb seen"])
def test_a_failed_ledger_write_after_the_status_is_finished_by_the_retry_without_writing_zoho_again(
    failing: str,
) -> None:
    world = World(ledger=FailingOnceLedger())
    world.job.handle(webhook(18, "13 01 2025 08:00:00"))
    assert isinstance(world.ledger, FailingOnceLedger)
    world.ledger.fail_once.add(failing)

    with pytest.raises(RuntimeError):
        world.job.handle(webhook(7, "14 01 2025 15:30:00"))
    retried = world.job.handle(webhook(7, "14 01 2025 15:30:00"))

    assert (retried.result, retried.status) == ("advanced", "Delivered")
    assert world.ledger.entries[SO_ID]["shipment_status"] == "Delivered"
    assert "tracking_open" not in world.ledger.awbs[AWB]
    assert world.statuses_written() == ["In Transit", "Delivered"]  # Zoho written once per change
    assert world.zoho.delivered == [("5005", "2025-01-14 15:30")]
    assert world.metrics.counts["StatusAdvanced"] == 2
    assert world.job.handle(webhook(7, "14 01 2025 15:30:00")).result == "duplicate"


def test_a_retried_rto_delivered_restocks_and_pages_once() -> None:
    world = World(ledger=FailingOnceLedger("update"))
    with pytest.raises(RuntimeError):
        world.job.handle(webhook(10, "18 01 2025 10:00:00"))
    assert world.ledger.entries[SO_ID].get("shipment_status") is None

    assert world.job.handle(webhook(10, "18 01 2025 10:00:00")).result == "advanced"

    assert world.ledger.entries[SO_ID]["shipment_status"] == "RTO Delivered"
    assert [p["kind"] for p in world.alerts.pages] == ["RtoInitiated"]
    assert [m.kind for m in world.restock] == ["rto"]
    assert world.statuses_written() == ["RTO Delivered"]


def test_an_unfinished_event_overtaken_by_a_later_one_changes_nothing_on_its_retry() -> None:
    world = World(ledger=FailingOnceLedger("update"))
    with pytest.raises(RuntimeError):
        world.job.handle(webhook(18, "13 01 2025 08:00:00"))
    world.job.handle(webhook(17, "14 01 2025 09:12:40"))

    late = world.job.handle(webhook(18, "13 01 2025 08:00:00"))

    assert late.result.startswith("unchanged")
    assert world.ledger.entries[SO_ID]["shipment_status"] == "Out for Delivery"
    assert world.statuses_written() == ["In Transit", "Out for Delivery"]


def test_a_poll_of_everything_includes_a_shipment_whose_last_event_is_this_second() -> None:
    world = World()
    world.ledger.update_awb(AWB, last_event_at=NOW.isoformat(timespec="seconds"))
    world.shiprocket.tracking[AWB] = {}

    assert world.job.poll_quiet(timedelta(0))["quiet"] == 1
    assert world.job.poll_quiet(timedelta(seconds=1))["quiet"] == 0


# ------------------------------------------------------------------ coalesced intermediate statuses (issue 16)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def coalescing(world: World, *, calls_left: int | None = None, reserve: int = 300) -> Clock:
    clock = Clock()
    world.job = dataclasses.replace(
        world.job, coalesce=timedelta(minutes=60), clock=clock, zoho_calls_left=lambda: calls_left, zoho_reserve=reserve
    )
    return clock


def test_intermediate_statuses_wait_for_the_milestone_and_go_with_it() -> None:
    world = World()
    coalescing(world)
    for status_id, when, etd in [
        (42, "12 01 2025 14:20:11", "2025-01-15 18:00:00"),  # Picked Up
        (18, "13 01 2025 08:00:00", "2025-01-16 18:00:00"),  # In Transit, a new promise
        (17, "14 01 2025 09:12:40", None),  # Out for Delivery
    ]:
        world.job.handle(webhook(status_id, when, etd=etd))
    assert world.zoho.fields == []
    assert world.ledger.awbs[AWB]["status"] == "Out for Delivery"  # the ledger knows at once

    world.job.handle(webhook(7, "14 01 2025 15:30:00"))

    # One write for the lifecycle's four statuses, carrying the courier's latest promise that waited.
    assert world.zoho.fields == [{"cf_shipment_status": "Delivered", "cf_expected_delivery": "2025-01-16"}]
    assert world.zoho.delivered == [("5005", "2025-01-14 15:30")]
    assert world.ledger.awbs[AWB].get("zoho_pending") is None


def test_what_waited_past_its_window_is_written_by_the_poll_once() -> None:
    world = World()
    clock = coalescing(world)
    world.job.handle(webhook(18, "13 01 2025 08:00:00"))

    assert world.job.flush_due() == {"due": 0, "written": 0, "deferred": 0}  # still inside its hour
    clock.now = NOW + timedelta(minutes=61)
    assert world.job.flush_due() == {"due": 1, "written": 1, "deferred": 0}
    assert world.job.flush_due()["due"] == 0

    assert world.statuses_written() == ["In Transit"]
    # Forward only: the later status is written at once, not behind the one that waited.
    world.job.handle(webhook(7, "14 01 2025 15:30:00"))
    assert world.statuses_written() == ["In Transit", "Delivered"]


def test_while_zohos_day_is_at_its_reserve_status_writes_wait_and_what_someone_acts_on_goes_on() -> None:
    world = World(ndr_rule="re-attempt-then-return")
    budget = {"left": 120}
    clock = coalescing(world)
    world.job = dataclasses.replace(world.job, zoho_calls_left=lambda: budget["left"])
    world.job.handle(webhook(18, "13 01 2025 08:00:00"))
    clock.now = NOW + timedelta(hours=2)

    assert world.job.flush_due() == {"due": 1, "written": 0, "deferred": 1}
    # An NDR: its page and its action go now; the Zoho field waits with the status before it.
    world.job.handle(webhook(21, "14 01 2025 18:00:00", activity="Consignee refused"))
    assert world.statuses_written() == []
    assert [page["kind"] for page in world.alerts.pages] == ["NdrRaised"]
    assert world.shiprocket.ndr_actions == [(AWB, "re-attempt")]
    assert world.metrics.counts["StatusWritesDeferred"] == 3  # two events held, one flush that waited

    budget["left"] = 4000  # Zoho's day reset
    assert world.job.flush_due() == {"due": 1, "written": 1, "deferred": 0}
    assert world.statuses_written() == ["Undelivered (NDR)"]


def test_a_delivery_held_by_zohos_reserve_is_marked_and_leaves_the_poll_when_the_flush_writes_it() -> None:
    world = World()
    budget = {"left": 120}
    clock = coalescing(world)
    world.job = dataclasses.replace(world.job, zoho_calls_left=lambda: budget["left"])

    world.job.handle(webhook(7, "14 01 2025 15:30:00"))  # Delivered
    assert (world.statuses_written(), world.zoho.delivered) == ([], [])
    assert world.ledger.awbs[AWB]["tracking_open"] == "1"  # its write waits: the flush must still find it
    assert world.job.flush_due() == {"due": 1, "written": 0, "deferred": 1}

    budget["left"] = 4000
    clock.now = NOW + timedelta(minutes=15)
    assert world.job.flush_due() == {"due": 1, "written": 1, "deferred": 0}
    assert world.statuses_written() == ["Delivered"]
    assert world.zoho.delivered == [("5005", "2025-01-14 15:30")]
    assert "tracking_open" not in world.ledger.awbs[AWB]
    assert world.job.flush_due() == {"due": 0, "written": 0, "deferred": 0}


def test_with_no_window_an_intermediate_status_still_waits_while_zohos_day_is_at_its_reserve() -> None:
    world = World()
    budget = {"left": 120}
    clock = coalescing(world)
    world.job = dataclasses.replace(world.job, coalesce=timedelta(0), zoho_calls_left=lambda: budget["left"])

    world.job.handle(webhook(18, "13 01 2025 08:00:00"))  # In Transit: work that can wait
    assert world.statuses_written() == []
    assert world.job.flush_due() == {"due": 1, "written": 0, "deferred": 1}

    budget["left"] = 4000  # Zoho's day reset
    clock.now = NOW + timedelta(minutes=1)
    assert world.job.flush_due() == {"due": 1, "written": 1, "deferred": 0}
    assert world.statuses_written() == ["In Transit"]


def test_with_no_window_and_room_in_zohos_day_an_intermediate_status_is_written_at_once() -> None:
    world = World()
    coalescing(world, calls_left=4000)
    world.job = dataclasses.replace(world.job, coalesce=timedelta(0))

    world.job.handle(webhook(18, "13 01 2025 08:00:00"))

    assert world.statuses_written() == ["In Transit"]


def test_an_rto_back_home_while_zohos_day_is_at_its_reserve_leaves_its_status_to_the_restocks_returned() -> None:
    world = World()
    coalescing(world, calls_left=120)
    world.job.handle(webhook(18, "13 01 2025 08:00:00"))  # In Transit: waits

    world.job.handle(webhook(10, "15 01 2025 10:00:00"))  # RTO Delivered

    assert [m.kind for m in world.restock] == ["rto"]  # essential: handed off now
    assert world.statuses_written() == []
    # Nothing waits to be written after the restock's "Returned".
    assert world.ledger.awbs[AWB].get("zoho_pending") is None
    assert world.job.flush_due() == {"due": 0, "written": 0, "deferred": 0}


def test_a_return_leaves_no_forward_status_waiting_behind_it_but_keeps_the_delivery_mark_waiting() -> None:
    world = World()
    budget = {"left": 120}
    clock = coalescing(world)
    world.job = dataclasses.replace(world.job, zoho_calls_left=lambda: budget["left"])
    world.job.handle(webhook(7, "14 01 2025 15:30:00"))  # the forward parcel Delivered: held
    world.ledger.add("RET-1", is_return=True)
    world.ledger.entries[SO_ID]["awb"] = AWB

    outcome = world.job.handle(webhook(6, "16 01 2025 11:00:00", awb="RET-1", is_return=1))  # the return picked up
    assert outcome.result == "advanced", outcome

    assert "cf_shipment_status" not in (world.ledger.awbs[AWB].get("zoho_pending") or {})
    budget["left"] = 4000
    clock.now = NOW + timedelta(hours=2)
    assert world.job.flush_due() == {"due": 2, "written": 2, "deferred": 0}
    assert [f.get("cf_shipment_status") for f in world.zoho.fields] == ["Return Picked Up"]
    assert world.zoho.delivered == [("5005", "2025-01-14 15:30")]
