"""The ledger, Shiprocket and Zoho compared (ops.reconcile): each kind of difference found from the three sides, and
--fix re-driving only the safe ones through the normal path."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from shipsync.domain.models import ShiprocketListedOrder, ShiprocketOrderDetails, ZohoSalesOrder
from shipsync.domain.statuses import ShipmentStatus
from shipsync.ledger.records import AwbRecord, JobState, OrderRecord, RestockRecord, RestockState
from shipsync.ops.reconcile import Kind, Reconciler, ShipmentView, differences
from shipsync.tracking.events import TrackingEvent
from tests.unit.memory_ledger import MemoryLedger

AWB = "19041234560031"
SO_ID = "1947583000000123031"


def job(**fields: Any) -> OrderRecord:
    defaults: dict[str, Any] = {
        "salesorder_id": SO_ID,
        "salesorder_number": "SO-00031",
        "state": JobState.SYNCED,
        "awb": AWB,
        "sr_order_id": 612345031,
        "zoho_package_id": "PKG-1",
        "zoho_shipment_id": "SHP-1",
    }
    return OrderRecord(**{**defaults, **fields})


def shipment(**fields: Any) -> AwbRecord:
    defaults: dict[str, Any] = {
        "awb": AWB,
        "salesorder_id": SO_ID,
        "salesorder_number": "SO-00031",
        "sr_order_id": 612345031,
        "status": "In Transit",
        "payment_method": "Prepaid",
    }
    return AwbRecord(**{**defaults, **fields})


def salesorder(*, awb: str = AWB, status: str = "In Transit", shipment_id: str | None = "SHP-1", **extra: Any) -> Any:
    return ZohoSalesOrder.model_validate(
        {
            "salesorder_id": SO_ID,
            "salesorder_number": "SO-00031",
            "custom_fields": [
                {"api_name": "cf_awb_number", "value": awb},
                {"api_name": "cf_shipment_status", "value": status},
            ],
            "packages": [{"package_id": "PKG-1", "package_number": "PKG-SO-00031", "shipment_id": shipment_id}],
            **extra,
        }
    )


def event(status: ShipmentStatus, status_id: int) -> TrackingEvent:
    return TrackingEvent(
        awb=AWB,
        shipment_status_id=status_id,
        status=status,
        event_time=datetime(2025, 6, 13, 11, 20, tzinfo=UTC),
        current_status_id=status_id,
        courier_name="Delhivery Surface",
        sr_order_id=612345031,
        order_id="SO-00031",
        is_return=False,
        reason=None,
        location=None,
        raw_status_label=None,
    )


def view(**fields: Any) -> ShipmentView:
    defaults: dict[str, Any] = {
        "shipment": shipment(),
        "job": job(),
        "at_shiprocket": ShipmentStatus.IN_TRANSIT,
        "events": (),
        "salesorder": salesorder(),
        "restock": None,
    }
    return ShipmentView(**{**defaults, **fields})


def kinds(found: list[Any]) -> list[Kind]:
    return [difference.kind for difference in found]


def test_three_sides_that_agree_have_no_difference() -> None:
    assert differences(view()) == []


def test_a_lost_delivered_webhook_is_delivered_not_recorded_and_fixable() -> None:
    [found] = differences(view(at_shiprocket=ShipmentStatus.DELIVERED))
    assert (found.kind, found.fixable) == (Kind.DELIVERED_NOT_RECORDED, True)
    assert found.detail == "Shiprocket says Delivered, the ledger In Transit"


def test_zoho_records_gone_or_behind_are_found_by_kind() -> None:
    assert kinds(differences(view(salesorder=salesorder(shipment_id=None)))) == [Kind.SHIPMENT_ORDER_MISSING]
    assert kinds(differences(view(salesorder=salesorder(awb="")))) == [Kind.AWB_MISSING_IN_ZOHO]
    behind = differences(view(salesorder=salesorder(status="Picked Up")))
    assert (kinds(behind), behind[0].fixable) == ([Kind.ZOHO_STATUS_BEHIND], False)
    # shipsync's own marks are not ranked: "Tracking Failed" is neither behind nor ahead.
    assert differences(view(salesorder=salesorder(status="Tracking Failed"))) == []


def test_an_rto_back_without_a_finished_restock_and_a_remitted_unpaid_order_are_listed() -> None:
    rto = shipment(status="RTO Delivered")
    failed = RestockRecord(awb=AWB, kind="rto", salesorder_id=SO_ID, state=RestockState.FAILED)
    done = RestockRecord(awb=AWB, kind="rto", salesorder_id=SO_ID, state=RestockState.DONE)
    at, zoho = ShipmentStatus.RTO_DELIVERED, salesorder(status="RTO Delivered")
    assert kinds(differences(view(shipment=rto, at_shiprocket=at, salesorder=zoho, restock=failed))) == [
        Kind.RTO_DELIVERED_NOT_RESTOCKED
    ]
    assert differences(view(shipment=rto, at_shiprocket=at, salesorder=zoho, restock=done)) == []
    cod = shipment(status="Delivered", payment_method="COD")
    delivered = salesorder(status="Delivered")
    [unpaid] = differences(
        view(shipment=cod, at_shiprocket=ShipmentStatus.DELIVERED, salesorder=delivered, remitted_utr="UTR-9")
    )
    assert (unpaid.kind, unpaid.fixable) == (Kind.REMITTED_NOT_PAID, False)


class FakeShiprocket:
    def __init__(self, tracking: dict[str, dict[str, Any]], listed: list[ShiprocketListedOrder] | None = None) -> None:
        self.tracking = tracking
        self.shows: list[int] = []
        self.listed = listed or []
        self.listings: list[tuple[date, date]] = []

    def list_orders(self, start: date, end: date) -> list[ShiprocketListedOrder]:
        self.listings.append((start, end))
        return self.listed

    def track_awbs(self, awbs: list[str]) -> dict[str, dict[str, Any]]:
        return {awb: self.tracking[awb] for awb in awbs if awb in self.tracking}

    def get_order(self, sr_order_id: int) -> ShiprocketOrderDetails:
        self.shows.append(sr_order_id)
        return ShiprocketOrderDetails(sr_order_id=sr_order_id, remittance_utr="UTR-9")


class FakeZoho:
    def __init__(self, so: Any) -> None:
        self.so = so
        self.reads = 0

    def get_salesorder(self, salesorder_id: str) -> Any:
        self.reads += 1
        return self.so


class NoRestocks:
    def restock(self, awb: str) -> RestockRecord | None:
        return None


def test_fix_reopens_only_the_missing_zoho_step_and_re_drives_the_order_job() -> None:
    ledger = MemoryLedger()
    ledger.ensure(SO_ID, "SO-00031")
    ledger.update(SO_ID, state=JobState.SYNCED, awb=AWB, zoho_package_id="PKG-1", zoho_shipment_id="SHP-1")
    ledger.put_awb(shipment())
    statuses: list[Any] = []
    orders: list[Any] = []
    zoho = FakeZoho(salesorder(shipment_id=None))
    reconciler = Reconciler(ledger, NoRestocks(), FakeShiprocket({}), zoho, statuses.append, orders.append)

    listed = reconciler.run("2000-01-01T00:00:00+00:00")
    fixed = reconciler.run("2000-01-01T00:00:00+00:00", fix=True)

    assert kinds(listed.differences) == [Kind.SHIPMENT_ORDER_MISSING]
    assert orders[0].source == "reconcile"
    assert len(orders) == 1  # the listing run changed nothing
    entry = ledger.get(SO_ID)
    assert entry is not None
    # The package is still in Zoho: only the shipment order is redone, so no second package is made.
    assert (entry.state, entry.zoho_package_id, entry.zoho_shipment_id) == (JobState.AWB_ASSIGNED, "PKG-1", None)
    assert kinds(fixed.fixed) == [Kind.SHIPMENT_ORDER_MISSING]
    assert statuses == []
    assert fixed.provider_calls == {"shiprocket track": 1, "zoho salesorder": 1, "shiprocket orders": 1}


def test_a_shiprocket_order_no_sales_order_accounts_for_is_listed_and_cancelled_ones_are_not() -> None:
    ledger = MemoryLedger()
    ledger.ensure(SO_ID, "SO-00031")
    listed = [
        ShiprocketListedOrder(sr_order_id=1, channel_order_id="SO-00031", status="NEW", status_code=1),
        # A re-ship's and a parcel's references are the sales order's too.
        ShiprocketListedOrder(sr_order_id=2, channel_order_id="SO-00031-R1-2", status_code=1),
        ShiprocketListedOrder(sr_order_id=3, channel_order_id="PANEL-7", status="NEW", status_code=1, awbs=("77",)),
        ShiprocketListedOrder(sr_order_id=4, channel_order_id="PANEL-8", status="CANCELED", status_code=5),
        ShiprocketListedOrder(sr_order_id=5, channel_order_id=None, status_code=6),
    ]
    shiprocket = FakeShiprocket({}, listed)
    reconciler = Reconciler(ledger, NoRestocks(), shiprocket, FakeZoho(salesorder()), print, print)

    report = reconciler.run("2026-12-04T18:30:00+00:00")

    found = [(d.kind, d.salesorder_number, d.awb, d.fixable) for d in report.differences]
    assert found == [
        (Kind.SHIPROCKET_ORDER_WITHOUT_SALESORDER, "PANEL-7", "77", False),
        (Kind.SHIPROCKET_ORDER_WITHOUT_SALESORDER, "-", "", False),
    ]
    assert "Shiprocket order 3 (NEW" in report.differences[0].detail
    # The period's IST days: 00:00 IST on 5 Dec onwards.
    assert shiprocket.listings[0][0] == date(2026, 12, 5)
    assert report.provider_calls["shiprocket orders"] == 1
