"""The ledger, Shiprocket and Zoho compared for the shipments of a period (issue 15: ``shipsync reconcile``).

Each difference has a kind and says what fixes it. ``--fix`` repairs only the kinds the normal path can redo
safely, by re-driving it:
- ``delivered_not_recorded`` / ``status_behind`` (Shiprocket's tracking ahead of the ledger: a lost webhook): the
  tracking events go onto the StatusQueue, as the tracking poll sends them; the status worker writes Zoho.
- ``shipment_order_missing`` / ``awb_missing_in_zoho`` (a Zoho record gone or never written): the job's step marker
  is cleared and the job re-driven on the OrderQueue; the order worker redoes that step (it finds an existing
  package by its number, so nothing is made twice).
The other kinds are listed with the step that fixes them: ``zoho_status_behind`` (the ledger has the status, Zoho
does not: its write failed, ops were paged), ``remitted_not_paid``, ``rto_delivered_not_restocked``, and
``shiprocket_order_without_salesorder``: an order of Shiprocket's list (docs/providers/shiprocket.md §14a) whose
reference names no sales order the ledger has seen (made by hand in the panel, by another channel, or by a
shipsync whose ledger was lost). A cancelled one (status 5 CANCELED, §8b) is left out: it ships nothing.

Cost: one Zoho read per sales order (``GET salesorders/{id}``: custom fields, packages, invoices), one Shiprocket
tracking call per 50 AWBs, one ``orders/show`` for each delivered COD order whose invoice is unpaid, and one
order-list page per 100 Shiprocket orders of the period (with a ledger read or two per order).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol, Unpack

from aws_lambda_powertools import Logger

from shipsync.domain.india import IST
from shipsync.domain.models import ShiprocketListedOrder, ShiprocketOrderDetails, ZohoSalesOrder
from shipsync.domain.statuses import ShipmentStatus
from shipsync.ledger.records import AwbRecord, JobState, OrderChanges, OrderRecord, RestockRecord, RestockState
from shipsync.orders.mapping import package_number
from shipsync.orders.messages import OrderMessage
from shipsync.tracking.events import TrackingEvent, events_from_tracking, rank
from shipsync.tracking.messages import StatusMessage

logger = Logger(child=True)

TRACKED_PER_CALL = 50
# Shiprocket's order status "CANCELED" (docs/providers/shiprocket.md §8b).
_CANCELED = 5
# What our order references add to a sales order number: a re-ship's "-R1", a parcel's "-2", or both.
_REFERENCE_SUFFIX = re.compile(r"(?:-R\d+)?(?:-\d+)?$")
_RTO_BACK = frozenset({ShipmentStatus.RTO_DELIVERED, ShipmentStatus.RETURNED})


class Kind(StrEnum):
    DELIVERED_NOT_RECORDED = "delivered_not_recorded"
    STATUS_BEHIND = "status_behind"
    ZOHO_STATUS_BEHIND = "zoho_status_behind"
    AWB_MISSING_IN_ZOHO = "awb_missing_in_zoho"
    SHIPMENT_ORDER_MISSING = "shipment_order_missing"
    REMITTED_NOT_PAID = "remitted_not_paid"
    RTO_DELIVERED_NOT_RESTOCKED = "rto_delivered_not_restocked"
    SHIPROCKET_ORDER_WITHOUT_SALESORDER = "shiprocket_order_without_salesorder"


FIXABLE = frozenset(
    {Kind.DELIVERED_NOT_RECORDED, Kind.STATUS_BEHIND, Kind.AWB_MISSING_IN_ZOHO, Kind.SHIPMENT_ORDER_MISSING}
)


@dataclass(frozen=True)
class Difference:
    kind: Kind
    salesorder_number: str
    awb: str
    detail: str
    fix: str

    @property
    def fixable(self) -> bool:
        return self.kind in FIXABLE


@dataclass(frozen=True)
class ShipmentView:
    """One forward shipment as the three sides see it."""

    shipment: AwbRecord
    job: OrderRecord | None
    # The newest status Shiprocket's tracking shows, and the events that lead to it (what --fix re-sends).
    at_shiprocket: ShipmentStatus | None
    events: tuple[TrackingEvent, ...]
    salesorder: ZohoSalesOrder | None
    restock: RestockRecord | None
    remitted_utr: str | None = None


def differences(view: ShipmentView) -> list[Difference]:
    record, job, so = view.shipment, view.job, view.salesorder
    number = record.salesorder_number or record.salesorder_id
    found: list[Difference] = []

    def add(kind: Kind, detail: str, fix: str) -> None:
        found.append(Difference(kind, number, record.awb, detail, fix))

    ours = _status(record.status)
    theirs = view.at_shiprocket
    if theirs is not None and _ahead(theirs, ours):
        kind = Kind.DELIVERED_NOT_RECORDED if theirs is ShipmentStatus.DELIVERED else Kind.STATUS_BEHIND
        add(kind, f"Shiprocket says {theirs.value}, the ledger {record.status}", "re-send its tracking events")
    current = job is not None and job.awb == record.awb and not job.parcel_ref
    if so is not None and current and job is not None and job.state is JobState.SYNCED:
        if (so.custom_field("cf_awb_number") or "") != record.awb:
            add(Kind.AWB_MISSING_IN_ZOHO, f"Zoho's cf_awb_number is {so.custom_field('cf_awb_number')!r}", "rewrite")
        written = so.custom_field("cf_shipment_status")
        zoho = _status(written)
        if ours is not None and zoho is not None and _ahead(ours, zoho):
            add(
                Kind.ZOHO_STATUS_BEHIND,
                f"Zoho shows {written}, the ledger {record.status}",
                "the status write failed and was paged (Tracking Failed): set cf_shipment_status in Zoho",
            )
        package = next((p for p in so.packages if p.package_number == package_number(number)), None)
        if package is None or not package.shipment_id:
            add(
                Kind.SHIPMENT_ORDER_MISSING,
                f"the ledger has shipment order {job.zoho_shipment_id}, Zoho's package "
                f"{package.package_id if package else 'is gone too'}",
                "redo the order's Zoho shipment step",
            )
    if so is not None and record.payment_method == "COD" and view.remitted_utr and not record.payment_id:
        add(
            Kind.REMITTED_NOT_PAID,
            f"remitted by Shiprocket (UTR {view.remitted_utr}), no payment in Zoho Books",
            "post or upload that remittance again (POST /webhooks/cod-remittance): it pays exactly once",
        )
    back = ours in _RTO_BACK or theirs in _RTO_BACK
    if back and (view.restock is None or view.restock.state is not RestockState.DONE):
        state = "never started" if view.restock is None else view.restock.state.value
        add(
            Kind.RTO_DELIVERED_NOT_RESTOCKED,
            f"back at the warehouse, restock {state}",
            "replay the RtoDLQ (shipsync replay RtoDLQ) or re-post its RTO Delivered webhook",
        )
    return found


@dataclass
class ReconcileReport:
    shipments: int = 0  # compared
    differences: list[Difference] = field(default_factory=list)
    fixed: list[Difference] = field(default_factory=list)
    provider_calls: dict[str, int] = field(default_factory=dict)
    last: AwbRecord | None = None  # the last shipment compared
    stopped: bool = False  # by ``stop``, before every shipment was compared

    def as_dict(self) -> dict[str, Any]:
        return {
            "shipments": self.shipments,
            "differences": [asdict(d) | {"fixable": d.fixable} for d in self.differences],
            "fixed": [asdict(d) for d in self.fixed],
            "provider_calls": self.provider_calls,
        }


class ReconcileLedger(Protocol):
    def shipments_since(self, created_after: str, limit: int = 2000) -> list[AwbRecord]: ...
    def get(self, salesorder_id: str) -> OrderRecord | None: ...
    def find_salesorder_id(self, salesorder_number: str) -> str | None: ...
    def update(self, salesorder_id: str, **changes: Unpack[OrderChanges]) -> None: ...


class RestockReads(Protocol):
    def restock(self, awb: str) -> RestockRecord | None: ...


class ReconcileShiprocket(Protocol):
    def track_awbs(self, awbs: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    def get_order(self, sr_order_id: int) -> ShiprocketOrderDetails: ...
    def list_orders(self, start: date, end: date) -> list[ShiprocketListedOrder]: ...


class ReconcileZoho(Protocol):
    def get_salesorder(self, salesorder_id: str) -> ZohoSalesOrder: ...


class Reconciler:
    def __init__(
        self,
        ledger: ReconcileLedger,
        restocks: RestockReads,
        shiprocket: ReconcileShiprocket,
        zoho: ReconcileZoho,
        send_status: Callable[[StatusMessage], object],
        send_order: Callable[[OrderMessage], object],
    ) -> None:
        self._ledger = ledger
        self._restocks = restocks
        self._shiprocket = shiprocket
        self._zoho = zoho
        self._send_status = send_status
        self._send_order = send_order

    def run(self, since: str, *, fix: bool = False) -> ReconcileReport:
        report = self.compare([s for s in self._ledger.shipments_since(since) if not s.is_return], fix=fix)
        report.differences += self.orphans(since, report.provider_calls)
        return report

    def orphans(self, since: str, calls: dict[str, int]) -> list[Difference]:
        """Shiprocket's orders created since ``since`` (IST days, today included) that no sales order accounts for."""
        start = datetime.fromisoformat(since).astimezone(IST).date()
        listed = self._shiprocket.list_orders(start, datetime.now(IST).date())
        calls["shiprocket orders"] = calls.get("shiprocket orders", 0) + 1
        found = []
        for order in listed:
            if order.status_code == _CANCELED or self._known_reference(order.channel_order_id):
                continue
            found.append(
                Difference(
                    Kind.SHIPROCKET_ORDER_WITHOUT_SALESORDER,
                    order.channel_order_id or "-",
                    order.awbs[0] if order.awbs else "",
                    f"Shiprocket order {order.sr_order_id} ({order.status or 'no status'}, created "
                    f"{order.created_at or '?'}) names no sales order shipsync has seen",
                    "cancel it in Shiprocket if nothing should ship, or confirm its sales order in Zoho",
                )
            )
        return found

    def _known_reference(self, reference: str | None) -> bool:
        if not reference:
            return False
        number = reference.strip()
        return bool(
            self._ledger.find_salesorder_id(number)
            or self._ledger.find_salesorder_id(_REFERENCE_SUFFIX.sub("", number, count=1))
        )

    def compare(
        self, shipments: Sequence[AwbRecord], *, fix: bool = False, stop: Callable[[], bool] = lambda: False
    ) -> ReconcileReport:
        """``shipments`` in their order, until ``stop`` says so before a sales order not yet read (the nightly run's
        time and Zoho budget): ``report.last`` is then the last one compared, ``report.stopped`` True."""
        report = ReconcileReport()
        calls = report.provider_calls
        orders: dict[str, ZohoSalesOrder] = {}
        for start in range(0, len(shipments), TRACKED_PER_CALL):
            chunk = shipments[start : start + TRACKED_PER_CALL]
            if chunk[0].salesorder_id not in orders and stop():
                report.stopped = True
                break
            tracked = self._shiprocket.track_awbs([s.awb for s in chunk])
            calls["shiprocket track"] = calls.get("shiprocket track", 0) + 1
            for shipment in chunk:
                if shipment.salesorder_id not in orders:
                    if report.last is not None and stop():
                        report.stopped = True
                        break
                    orders[shipment.salesorder_id] = self._zoho.get_salesorder(shipment.salesorder_id)
                    calls["zoho salesorder"] = calls.get("zoho salesorder", 0) + 1
                self._compare_one(shipment, orders[shipment.salesorder_id], tracked, report, fix=fix)
            if report.stopped:
                break
        logger.info(
            "reconciled",
            extra={
                "shipments": report.shipments,
                "differences": len(report.differences),
                "fixed": len(report.fixed),
                "stopped": report.stopped,
            },
        )
        return report

    def _compare_one(
        self,
        shipment: AwbRecord,
        so: ZohoSalesOrder,
        tracked: dict[str, dict[str, Any]],
        report: ReconcileReport,
        *,
        fix: bool,
    ) -> None:
        events = tuple(events_from_tracking(shipment.awb, tracked.get(shipment.awb) or {}))
        view = ShipmentView(
            shipment=shipment,
            job=self._ledger.get(shipment.job_id),
            at_shiprocket=events[-1].status if events else None,
            events=events,
            salesorder=so,
            restock=self._restocks.restock(shipment.awb),
            remitted_utr=self._remitted(shipment, so, report.provider_calls),
        )
        found = differences(view)
        report.differences += found
        if fix:
            report.fixed += self._fix(view, found)
        report.shipments += 1
        report.last = shipment

    def _remitted(self, shipment: AwbRecord, so: ZohoSalesOrder, calls: dict[str, int]) -> str | None:
        """Asked of Shiprocket only for a delivered COD order whose invoice Zoho shows unpaid and the ledger has not
        paid: the others cannot be remitted-but-unpaid."""
        unpaid = any((invoice.balance or 0) > 0 for invoice in so.invoices)
        delivered = shipment.status == ShipmentStatus.DELIVERED
        if shipment.payment_method != "COD" or shipment.payment_id or not unpaid or not delivered:
            return None
        if shipment.sr_order_id is None:
            return None
        calls["shiprocket orders/show"] = calls.get("shiprocket orders/show", 0) + 1
        return self._shiprocket.get_order(shipment.sr_order_id).remittance_utr

    def _fix(self, view: ShipmentView, found: list[Difference]) -> list[Difference]:
        fixed: list[Difference] = []
        kinds = {d.kind for d in found}
        if kinds & {Kind.DELIVERED_NOT_RECORDED, Kind.STATUS_BEHIND}:
            for event in view.events:
                self._send_status(StatusMessage.of_event(event, is_return=False))
            fixed += [d for d in found if d.kind in (Kind.DELIVERED_NOT_RECORDED, Kind.STATUS_BEHIND)]
        job = view.job
        redo = [d for d in found if d.kind in (Kind.AWB_MISSING_IN_ZOHO, Kind.SHIPMENT_ORDER_MISSING)]
        if redo and job is not None:
            changes: OrderChanges = {"state": JobState.AWB_ASSIGNED}
            if Kind.AWB_MISSING_IN_ZOHO in kinds:
                changes["zoho_fields_written"] = False
            if Kind.SHIPMENT_ORDER_MISSING in kinds:
                changes["zoho_shipment_id"] = None
                package = next(
                    (
                        p
                        for p in (view.salesorder.packages if view.salesorder else [])
                        if p.package_id == job.zoho_package_id
                    ),
                    None,
                )
                if package is None:
                    changes["zoho_package_id"] = None
            # The job reopens at its Zoho steps: the worker redoes only what the markers say is not done.
            self._ledger.update(job.job_id, **changes)
            self._send_order(
                OrderMessage(
                    salesorder_id=job.salesorder_id, salesorder_number=job.salesorder_number, source="reconcile"
                )
            )
            fixed += redo
        return fixed


def _ahead(status: ShipmentStatus, than: ShipmentStatus | None) -> bool:
    """Later in a parcel's life; shipsync's own marks (Tracking Failed, Returned...) are not ranked, so never ahead
    nor behind."""
    try:
        return than is None or rank(status) > rank(than)
    except KeyError:
        return False


def _status(text: str | None) -> ShipmentStatus | None:
    try:
        return ShipmentStatus(text) if text else None
    except ValueError:
        return None
