"""Cancelled in Zoho (issue 12) over fakes: before pickup both sides are undone once, after pickup ops are paged,
after delivery it is refused, and every order of events (repeats, a cancel racing the confirmation, a cancel for
an order never shipped, a crash between steps) has one effect."""

from __future__ import annotations

from typing import Any

import pytest
from memory_ledger import MemoryLedger
from order_fakes import CountingMetrics, FakeShiprocket, FakeZoho, RecordingAlerts, order_job, outcome_policy

from shipsync.domain.models import ShiprocketOrderDetails, ZohoCustomField, ZohoItem, ZohoSalesOrder
from shipsync.domain.statuses import ShipmentStatus
from shipsync.errors import OrderBeingShipped, ProviderRequestError, TransientError
from shipsync.ledger.records import CancelOutcome, JobState
from shipsync.orders.cancel import ParcelStage, parcel_stage
from shipsync.orders.messages import OrderMessage
from tests.fixtures.reference import zoho_salesorder_a

SO_ID = "1947583000000123001"
NUMBER = "SO-01042"
ITEM = ZohoItem.model_validate(
    {
        "item_id": "1947583000000045021",
        "name": "Cotton Tee Black M",
        "package_details": {"length": 30, "width": 25, "height": 3, "weight": 250, "weight_unit": "g"},
    }
)


class World:
    def __init__(self) -> None:
        so = ZohoSalesOrder.model_validate(
            zoho_salesorder_a(custom_fields=[{"api_name": "cf_payment_method", "value": "COD"}])
        )
        self.zoho = FakeZoho([so], [ITEM])
        self.shiprocket = FakeShiprocket()
        self.ledger = MemoryLedger()
        self.alerts = RecordingAlerts()
        self.metrics = CountingMetrics()
        self.job = order_job(self.zoho, self.shiprocket, self.ledger, self.alerts, self.metrics)
        self.policy = outcome_policy(self.alerts, self.metrics)

    def ship(self) -> Any:
        return self.policy.run(
            self.job.attempt(OrderMessage(salesorder_id=SO_ID, salesorder_number=NUMBER, source="webhook"))
        )

    def cancel(self, revision: str = "2025-01-11T18:05:00+0530") -> Any:
        message = OrderMessage(
            salesorder_id=SO_ID, salesorder_number=NUMBER, source="webhook", intent="cancel", revision=revision
        )
        return self.policy.run(self.job.attempt(message))

    def seller_cancels(self) -> None:
        so = self.zoho.salesorders[SO_ID]
        so.custom_fields.append(ZohoCustomField(api_name="cf_shipment_action", value="Cancel"))

    def parcel(self, status: str) -> None:
        [record] = self.shiprocket.orders.values()
        record["status"] = status

    def calls(self) -> dict[str, int]:
        return {**self.zoho.calls, **{f"sr.{k}": v for k, v in self.shiprocket.calls.items()}}

    def entry(self) -> Any:
        entry = self.ledger.get(SO_ID)
        assert entry is not None
        return entry


def shipped_world() -> World:
    world = World()
    assert world.ship().state == JobState.SYNCED
    world.zoho.calls.clear()
    world.shiprocket.calls.clear()
    return world


def test_a_cancel_before_pickup_cancels_the_awb_and_order_and_deletes_the_zoho_shipment_then_package() -> None:
    world = shipped_world()
    awb = world.entry().awb
    world.seller_cancels()

    outcome = world.cancel()

    assert (outcome.state, outcome.detail) == (JobState.CANCELLED, "cancel: cancelled")
    assert world.shiprocket.calls == {"get_order": 2, "cancel_awbs": 1, "cancel_orders": 1}
    assert dict(world.zoho.calls) == {
        "get_salesorder": 1,
        "delete_shipment": 1,
        "delete_package": 1,
        "update_salesorder": 1,
    }
    assert world.zoho.shipments == {}
    assert world.zoho.packages == {}
    assert world.zoho.custom_fields[SO_ID]["cf_shipment_status"] == "Cancelled"
    entry = world.entry()
    assert (entry.state, entry.cancel_outcome) == (JobState.CANCELLED, CancelOutcome.CANCELLED)
    assert entry.cancelled_at == "2025-01-11T10:00:00+00:00"
    assert SO_ID not in world.ledger.awaiting
    assert world.ledger.awbs[awb]["status"] == "Cancelled"
    assert "tracking_open" not in world.ledger.awbs[awb]
    assert world.metrics.counts["OrdersCancelled"] == 1
    assert world.alerts.pages == []


def test_a_repeated_cancel_does_nothing_and_a_later_confirmation_ships_nothing() -> None:
    world = shipped_world()
    world.seller_cancels()
    world.cancel()
    before = world.calls()

    assert world.cancel(revision="2025-01-11T18:09:00+0530").detail == "duplicate cancel: cancelled"
    assert world.ship().detail == "duplicate"

    assert world.calls() == before
    assert len(world.shiprocket.orders) == 1


def test_a_cancel_after_pickup_marks_the_order_and_pages_once_without_cancelling_anything() -> None:
    world = shipped_world()
    world.parcel("IN TRANSIT")
    world.seller_cancels()

    world.cancel()
    world.cancel(revision="later")

    assert "cancel_awbs" not in world.shiprocket.calls
    assert "cancel_orders" not in world.shiprocket.calls
    assert "delete_shipment" not in world.zoho.calls
    assert world.zoho.custom_fields[SO_ID]["cf_shipment_status"] == "Cancel Requested \u2013 In Transit"
    [page] = world.alerts.pages
    assert page["kind"] == "CancelAfterPickup"
    assert world.entry().awb in page["message"]
    assert "return it to origin" in page["message"]
    entry = world.entry()
    assert (entry.state, entry.cancel_outcome) == (JobState.SYNCED, CancelOutcome.IN_TRANSIT)


def test_a_cancel_of_an_undelivered_parcel_asks_shiprocket_to_return_it_once() -> None:
    world = shipped_world()
    [record] = world.shiprocket.orders.values()
    record["status"], record["status_code"] = "UNDELIVERED", 36
    world.seller_cancels()

    world.cancel()
    world.cancel(revision="later")

    assert world.shiprocket.ndr_actions == [(world.entry().awb, "return")]
    [page] = world.alerts.pages
    assert "asked Shiprocket to return it" in page["message"]
    assert world.entry().cancel_outcome == CancelOutcome.IN_TRANSIT


def test_a_cancel_shiprocket_refuses_is_paged_with_its_message() -> None:
    world = shipped_world()
    world.seller_cancels()

    def refuse(sr_order_ids: Any) -> None:
        raise ProviderRequestError("shiprocket", "Order cannot be cancelled in its current state", http_status=400)

    world.shiprocket.cancel_orders = refuse  # type: ignore[method-assign]
    outcome = world.cancel()

    assert outcome.state == "cancel_refused"
    [page] = world.alerts.pages
    assert page["subject"] == f"Cancel failed: {NUMBER}"
    assert "Order cannot be cancelled in its current state" in page["message"]
    assert "delete_shipment" not in world.zoho.calls  # Zoho keeps the shipment the parcel still has


def test_a_cancel_after_delivery_is_refused_with_a_page_once() -> None:
    world = shipped_world()
    world.parcel("DELIVERED")
    world.seller_cancels()

    outcome = world.cancel()
    world.cancel(revision="later")

    assert outcome.state == "cancel_refused"
    [page] = world.alerts.pages
    assert page["subject"] == f"Cancel refused: {NUMBER}"
    assert "delivered" in page["message"]
    assert "customer return" in page["message"]
    assert world.entry().cancel_outcome == CancelOutcome.REFUSED
    assert "cancel_awbs" not in world.shiprocket.calls
    assert "update_salesorder" not in world.zoho.calls  # it keeps its Delivered status


def test_an_order_already_returning_needs_no_cancel() -> None:
    world = shipped_world()
    world.parcel("RTO INITIATED")
    world.seller_cancels()

    world.cancel()

    assert world.entry().cancel_outcome == CancelOutcome.RETURNING
    assert "cancel_orders" not in world.shiprocket.calls
    assert world.alerts.pages == []


def test_a_cancel_for_an_order_never_shipped_closes_it_so_a_late_confirmation_ships_nothing() -> None:
    world = World()
    world.seller_cancels()

    assert world.cancel().detail == "cancel: never_shipped"
    late = world.ship()

    assert late.detail == "duplicate"
    assert world.shiprocket.calls == {}
    assert (world.entry().state, world.entry().cancel_outcome) == (JobState.CANCELLED, CancelOutcome.NEVER_SHIPPED)


def test_a_confirmation_that_reads_a_cancelled_order_before_shipping_closes_it_with_the_time() -> None:
    world = World()
    world.seller_cancels()

    outcome = world.ship()

    assert outcome.detail == "cancel: never_shipped"
    entry = world.entry()
    assert (entry.state, entry.cancelled_at) == (JobState.CANCELLED, "2025-01-11T10:00:00+00:00")
    assert world.shiprocket.calls == {}


def test_a_cancel_zoho_no_longer_shows_is_a_no_op() -> None:
    world = shipped_world()

    assert world.cancel().detail == "not cancelled in Zoho"
    assert world.shiprocket.calls == {}
    assert world.entry().cancel_outcome is None


def test_a_cancel_waits_for_a_confirmation_still_shipping_and_wins_over_one_not_started() -> None:
    world = World()
    world.seller_cancels()
    world.ledger.ensure(SO_ID, NUMBER)
    world.ledger.claim_for_shipping(SO_ID)
    world.ledger.update(SO_ID, state=JobState.ORDER_CREATED, sr_order_id=1)
    with pytest.raises(OrderBeingShipped):
        world.cancel()

    unclaimed = World()
    unclaimed.seller_cancels()
    unclaimed.ledger.ensure(SO_ID, NUMBER)
    assert unclaimed.cancel().detail == "cancel: never_shipped"
    assert not unclaimed.ledger.claim_for_shipping(SO_ID)


def test_a_confirmation_that_loses_its_claim_to_a_cancel_writes_nothing_to_shiprocket() -> None:
    world = World()
    claim = world.ledger.claim_for_shipping

    def cancel_lands_first(salesorder_id: str) -> bool:
        # The seller's cancel is handled between the confirmation's read of the order and its first write.
        assert world.ledger.cancel_unclaimed(salesorder_id, state=JobState.CANCELLED)
        return claim(salesorder_id)

    world.ledger.claim_for_shipping = cancel_lands_first  # type: ignore[method-assign]
    outcome = world.ship()

    assert (outcome.state, outcome.detail) == (JobState.CANCELLED, "cancelled before shipping")
    assert world.shiprocket.calls == {}
    assert world.entry().state == JobState.CANCELLED


def test_a_confirmation_that_reads_a_cancelled_order_mid_way_undoes_what_it_made() -> None:
    world = World()
    world.shiprocket.fail_wrapper_after_create = True
    world.shiprocket.refusing = {}
    world.shiprocket.lose_answer.add("assign")
    with pytest.raises(TransientError):
        world.ship()
    assert world.entry().state == JobState.ORDER_CREATED
    world.seller_cancels()

    outcome = world.ship()

    assert outcome.detail == "cancel: cancelled"
    assert world.shiprocket.calls["cancel_orders"] == 1
    assert world.entry().state == JobState.CANCELLED


def test_an_asynchronous_cancel_is_confirmed_by_a_later_read_without_cancelling_twice() -> None:
    world = shipped_world()
    world.shiprocket.cancel_settle_reads = 1
    world.seller_cancels()

    with pytest.raises(TransientError, match="cancellation requested"):
        world.cancel()
    assert world.entry().sr_order_cancel_sent
    assert "delete_shipment" not in world.zoho.calls
    world.cancel()

    assert world.shiprocket.calls["cancel_orders"] == 1
    assert world.shiprocket.calls["cancel_awbs"] == 1
    assert world.entry().cancel_outcome == CancelOutcome.CANCELLED
    assert world.zoho.calls["delete_shipment"] == 1


def test_a_crash_between_the_zoho_deletes_resumes_without_repeating_one() -> None:
    world = shipped_world()
    world.seller_cancels()
    real_delete = world.zoho.delete_package

    def crash(package_id: str) -> bool:
        world.zoho.delete_package = real_delete  # type: ignore[method-assign]
        raise TransientError("zoho: ReadTimeout")

    world.zoho.delete_package = crash  # type: ignore[method-assign]
    with pytest.raises(TransientError):
        world.cancel()
    world.cancel()

    assert world.zoho.calls["delete_shipment"] == 1
    assert world.zoho.calls["delete_package"] == 1
    assert world.shiprocket.calls["cancel_orders"] == 1
    assert world.zoho.packages == {}
    assert world.entry().cancel_outcome == CancelOutcome.CANCELLED


def reverse(world: World) -> Any:
    message = OrderMessage(salesorder_id=SO_ID, salesorder_number=NUMBER, source="tracking", intent="reverse")
    return world.policy.run(world.job.attempt(message))


def test_a_cancellation_at_shiprocket_deletes_the_zoho_shipment_and_package_once_and_pages_for_an_open_order() -> None:
    world = shipped_world()
    world.parcel("CANCELED")

    outcome = reverse(world)
    again = reverse(world)

    assert outcome.detail == "cancelled at Shiprocket: cancel: cancelled"
    assert again.detail == "duplicate cancel: cancelled"
    assert world.zoho.calls == {"get_salesorder": 1, "delete_shipment": 1, "delete_package": 1}
    assert world.shiprocket.calls == {"get_order": 1}
    assert "cancel_orders" not in world.shiprocket.calls
    [page] = world.alerts.pages
    assert page["kind"] == "CancelledAtShiprocket"
    assert "confirm it again" in page["message"]
    assert world.entry().state == JobState.CANCELLED


def test_a_cancellation_at_shiprocket_of_an_order_the_seller_cancelled_too_pages_nobody() -> None:
    world = shipped_world()
    world.parcel("CANCELED")
    world.seller_cancels()

    reverse(world)

    assert world.alerts.pages == []
    assert world.zoho.calls["delete_shipment"] == 1


def test_a_cancellation_shiprocket_does_not_confirm_undoes_nothing() -> None:
    world = shipped_world()

    assert reverse(world).detail == "cancelled at Shiprocket: Shiprocket does not read it cancelled: nothing undone"
    assert "delete_shipment" not in world.zoho.calls
    assert world.entry().cancel_outcome is None


@pytest.mark.parametrize(
    ("status", "code", "stage"),
    [
        ("PICKUP SCHEDULED", 4, ParcelStage.BEFORE_PICKUP),
        ("OUT FOR PICKUP", 34, ParcelStage.PICKED_UP),
        ("CANCELLATION REQUESTED", 18, ParcelStage.CANCELLING),
        ("Canceled before Dispatched", 54, ParcelStage.CANCELLED),
        ("RTO In-Transit", 55, ParcelStage.RETURNING),
        ("FULFILLED", 41, ParcelStage.DELIVERED),
        ("IN TRANSIT", None, ParcelStage.PICKED_UP),
    ],
)
def test_the_parcel_stage_comes_from_the_order_status_table(status: str, code: int | None, stage: ParcelStage) -> None:
    assert parcel_stage(ShiprocketOrderDetails(sr_order_id=1, status=status, status_code=code)) is stage


def test_a_status_a_cancellation_cannot_place_raises_instead_of_counting_as_before_pickup() -> None:
    with pytest.raises(ProviderRequestError, match="cannot place"):
        parcel_stage(ShiprocketOrderDetails(sr_order_id=1, status="SOMETHING NEW", status_code=99))


def test_the_in_transit_mark_is_not_a_tracking_status() -> None:
    from shipsync.domain.statuses import TRACKING_STATUSES

    assert ShipmentStatus.CANCEL_REQUESTED_IN_TRANSIT not in TRACKING_STATUSES
