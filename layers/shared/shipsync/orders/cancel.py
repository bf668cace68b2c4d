"""Cancelled in Zoho (the seller voided the sales order or set ``cf_shipment_action = Cancel``), or at Shiprocket.

What happens depends on where the parcel is, read from Shiprocket (``orders/show``) before any write:

    before pickup  -> cancel the AWB and the Shiprocket order, confirm it reads cancelled,
                      delete the Zoho shipment order then the package (the stock comes back),
                      cf_shipment_status = Cancelled, the job closed CANCELLED with the time
    picked up      -> cf_shipment_status = "Cancel Requested - In Transit" (an en dash) and a page; an
                      undelivered parcel (NDR) is also sent back with the NDR "return" action; the RTO
                      restocks when it comes back
    returning      -> nothing to do: the RTO restock follows
    delivered      -> refused (``CancelRefused``): a page saying to use a customer return
    never shipped  -> the job is closed CANCELLED so that no confirmation ships it

Cancelled at Shiprocket (tracking saw it): ``Cancellation.reverse`` deletes the Zoho shipment order and package
the same way, and pages ops when the sales order is still open in Zoho.

Every step is recorded in the ledger before the next, so a retry resumes; ``cancel_outcome`` is written once,
at the end, so a repeated or late cancel does nothing a second time (docs/providers/shiprocket.md §10,
docs/providers/zoho.md §5, §7).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Unpack

from aws_lambda_powertools import Logger

from shipsync.domain.models import ShiprocketOrderDetails, ZohoSalesOrder
from shipsync.domain.statuses import ShipmentStatus
from shipsync.errors import CancelRefused, ProviderRequestError, TransientError
from shipsync.ledger.records import CancelOutcome, JobState, OrderChanges, OrderRecord
from shipsync.orders.intent import SHIPMENT_ACTION_FIELD, wants_cancel
from shipsync.orders.mapping import package_number
from shipsync.ports import Alerts, MetricsSink, ShipmentLedgerPort, ShiprocketApi, ZohoApi

logger = Logger(child=True)


def salesorder_wants_cancel(so: ZohoSalesOrder) -> bool:
    return wants_cancel(so.order_status or so.status, so.custom_field(SHIPMENT_ACTION_FIELD))


class ParcelStage(StrEnum):
    BEFORE_PICKUP = "before pickup"
    CANCELLING = "cancellation requested"
    CANCELLED = "cancelled"
    PICKED_UP = "picked up"
    RETURNING = "returning"
    DELIVERED = "delivered"


# Shiprocket's order status table (docs/providers/shiprocket.md §8b), by what a cancellation can still do. An AWB
# can be cancelled only before OUT FOR PICKUP (§10), so 34 counts as picked up. Ids not listed are read by name.
_STAGE_BY_ORDER_STATUS: dict[int, ParcelStage] = {
    **dict.fromkeys((1, 2, 3, 4, 10, 11, 12, 13, 14, 35, 62, 70), ParcelStage.BEFORE_PICKUP),
    18: ParcelStage.CANCELLING,
    **dict.fromkeys((5, 54), ParcelStage.CANCELLED),
    **dict.fromkeys((6, 19, 20, 33, 34, 36, 37, 39, 40, 43, 44, 51, 53, 57, 58, 61, 88, 89), ParcelStage.PICKED_UP),
    **dict.fromkeys((9, 15, 16, 17, 45, 46, 55, 87, 90), ParcelStage.RETURNING),
    **dict.fromkeys((7, 38, 41, 52), ParcelStage.DELIVERED),
}
_STAGE_BY_NAME: dict[str, ParcelStage] = {
    "NEW": ParcelStage.BEFORE_PICKUP,
    "INVOICED": ParcelStage.BEFORE_PICKUP,
    "READY TO SHIP": ParcelStage.BEFORE_PICKUP,
    "PICKUP SCHEDULED": ParcelStage.BEFORE_PICKUP,
    "PICKUP QUEUE": ParcelStage.BEFORE_PICKUP,
    "CANCELLATION REQUESTED": ParcelStage.CANCELLING,
    "CANCELED": ParcelStage.CANCELLED,
    "CANCELLED": ParcelStage.CANCELLED,
    "SHIPPED": ParcelStage.PICKED_UP,
    "IN TRANSIT": ParcelStage.PICKED_UP,
    "OUT FOR DELIVERY": ParcelStage.PICKED_UP,
    "DELIVERED": ParcelStage.DELIVERED,
    "RTO INITIATED": ParcelStage.RETURNING,
    "RTO DELIVERED": ParcelStage.RETURNING,
}


# Order status 36 UNDELIVERED (docs/providers/shiprocket.md §8b): the NDR state, where a return can be asked for.
UNDELIVERED_ORDER_STATUS = 36


def parcel_stage(order: ShiprocketOrderDetails) -> ParcelStage:
    """Where the parcel is for a cancellation. This read guards the cancel writes, so a status we cannot place
    raises instead of being taken for "not picked up yet"."""
    if order.status_code is not None and order.status_code in _STAGE_BY_ORDER_STATUS:
        return _STAGE_BY_ORDER_STATUS[order.status_code]
    stage = _STAGE_BY_NAME.get((order.status or "").strip().upper())
    if stage is None:
        raise ProviderRequestError(
            "shiprocket",
            f"order {order.sr_order_id} has a status a cancellation cannot place: "
            f"{order.status!r} ({order.status_code})",
        )
    return stage


_OUTCOME_METRICS: dict[CancelOutcome, str] = {
    CancelOutcome.CANCELLED: "OrdersCancelled",
    CancelOutcome.NEVER_SHIPPED: "OrdersCancelled",
    CancelOutcome.IN_TRANSIT: "CancelAfterPickup",
    CancelOutcome.RETURNING: "CancelWhileReturning",
    CancelOutcome.REFUSED: "CancelRefused",
}


@dataclass
class Cancellation:
    """One sales order's cancellation, run by the worker that owns its ledger job (order-confirmed)."""

    zoho: ZohoApi
    shiprocket: ShiprocketApi
    ledger: ShipmentLedgerPort
    alerts: Alerts
    metrics: MetricsSink
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def run(self, entry: OrderRecord, so: ZohoSalesOrder) -> CancelOutcome:
        if entry.cancel_seen_at is None:
            self._save(entry, cancel_seen_at=self._now())
        if entry.parcels:
            return self._run_parcels(entry, so)
        if entry.sr_order_id is None:
            # Nothing exists at Shiprocket: closing the job keeps a late or repeated confirmation from shipping it.
            logger.info("cancelled before anything shipped")
            return self._close(entry, CancelOutcome.NEVER_SHIPPED, state=JobState.CANCELLED, cancelled_at=self._now())
        details = self.shiprocket.get_order(entry.sr_order_id)
        stage = parcel_stage(details)
        logger.info("cancelling", extra={"stage": stage, "awb": entry.awb})
        if stage is ParcelStage.DELIVERED:
            raise CancelRefused(
                f"the parcel (AWB {entry.awb}) was delivered; a cancellation cannot stop it now. "
                "If the customer sends it back, record it as a customer return (POST /returns)"
            )
        if stage is ParcelStage.RETURNING:
            logger.info("already returning to origin: the RTO restock will follow")
            return self._close(entry, CancelOutcome.RETURNING)
        if stage is ParcelStage.PICKED_UP:
            return self._in_transit(entry, so, undelivered=details.status_code == UNDELIVERED_ORDER_STATUS)
        if stage is ParcelStage.BEFORE_PICKUP:
            stage = self._cancel_at_shiprocket(entry)
        if stage is ParcelStage.CANCELLING:
            raise TransientError(f"shiprocket: order {entry.sr_order_id} cancellation requested, not yet confirmed")
        if stage is not ParcelStage.CANCELLED:
            raise TransientError(f"shiprocket: order {entry.sr_order_id} is still {stage} after the cancel")
        if entry.sr_cancelled_at is None:
            self._save(entry, sr_cancelled_at=self._now())
        self._reverse_zoho(entry, so)
        return self._close(
            entry,
            CancelOutcome.CANCELLED,
            state=JobState.CANCELLED,
            cancelled_at=self._now(),
            shipment_status=ShipmentStatus.CANCELLED,
        )

    def reverse(self, entry: OrderRecord, so: ZohoSalesOrder) -> CancelOutcome | None:
        """Shiprocket cancelled the shipment (tracking saw it, and marked Zoho Cancelled): the Zoho shipment order
        and package go, once, and ops are paged when the sales order is still open, to re-ship or void it. None
        when Shiprocket does not read the order cancelled (a stale or mistaken event): nothing is undone."""
        if entry.parcels:
            return self._reverse_parcels(entry, so)
        assert entry.sr_order_id is not None, "a tracked shipment has a Shiprocket order"
        stage = parcel_stage(self.shiprocket.get_order(entry.sr_order_id))
        if stage is ParcelStage.CANCELLING:
            raise TransientError(f"shiprocket: order {entry.sr_order_id} cancellation requested, not yet confirmed")
        if stage is not ParcelStage.CANCELLED:
            logger.warning("tracking said cancelled, Shiprocket does not: nothing undone", extra={"stage": stage})
            return None
        now = self._now()
        if entry.sr_cancelled_at is None:
            self._save(entry, cancel_seen_at=entry.cancel_seen_at or now, sr_cancelled_at=now)
        self._reverse_zoho(entry, so, marked_by_tracking=True)
        if not salesorder_wants_cancel(so):
            number = entry.salesorder_number
            self.alerts.page(
                f"Cancelled at Shiprocket: {number}",
                f"Shiprocket cancelled the shipment of sales order {number} ({so.customer_name or 'unknown customer'}, "
                f"AWB {entry.awb}, {entry.courier_name or 'courier unknown'}), which is still open in Zoho. shipsync "
                "deleted its Zoho shipment order and package, so the stock is back. Decide: void the order in Zoho, "
                "or confirm it again (a new confirmation ships it under a new Shiprocket order id).",
                kind="CancelledAtShiprocket",
                correlation_id=number,
            )
            self.metrics.count("CancelledAtShiprocket")
        return self._close(
            entry,
            CancelOutcome.CANCELLED,
            state=JobState.CANCELLED,
            cancelled_at=now,
            shipment_status=ShipmentStatus.CANCELLED,
        )

    # ------------------------------------------------------------------ an order shipped as parcels
    def _parcels(self, entry: OrderRecord) -> list[OrderRecord]:
        return [parcel for parcel in map(self.ledger.get, entry.parcel_job_ids()) if parcel is not None]

    def _run_parcels(self, entry: OrderRecord, so: ZohoSalesOrder) -> CancelOutcome:
        """Each parcel cancelled as an order of its own (each remembers its outcome, so a retry skips it); a
        delivered one does not stop the others. The order's outcome: cancelled when every parcel is, else what
        the parcels still on their way need (in transit before returning)."""
        outcomes, delivered = [], []
        for parcel in self._parcels(entry):
            try:
                outcomes.append(parcel.cancel_outcome or self.run(parcel, so))
            except CancelRefused:
                delivered.append(f"{parcel.order_ref} (AWB {parcel.awb})")
        if delivered:
            raise CancelRefused(
                f"parcel(s) {', '.join(delivered)} were delivered; the other parcels were handled "
                f"({', '.join(map(str, outcomes)) or 'none'}). For the delivered ones, record a customer return "
                "(POST /returns)"
            )
        if all(outcome in (CancelOutcome.CANCELLED, CancelOutcome.NEVER_SHIPPED) for outcome in outcomes):
            return self._close(entry, CancelOutcome.CANCELLED, state=JobState.CANCELLED, cancelled_at=self._now())
        outcome = CancelOutcome.IN_TRANSIT if CancelOutcome.IN_TRANSIT in outcomes else CancelOutcome.RETURNING
        return self._close(entry, outcome)

    def _reverse_parcels(self, entry: OrderRecord, so: ZohoSalesOrder) -> CancelOutcome | None:
        """Shiprocket cancelled one or more parcels: each is undone on its own; the order is closed cancelled
        once every parcel is."""
        parcels = self._parcels(entry)
        for parcel in parcels:
            if parcel.cancel_outcome is None and parcel.sr_order_id is not None:
                self.reverse(parcel, so)
        if parcels and all(parcel.cancel_outcome is CancelOutcome.CANCELLED for parcel in parcels):
            return self._close(entry, CancelOutcome.CANCELLED, state=JobState.CANCELLED, cancelled_at=self._now())
        return None

    # ------------------------------------------------------------------ Shiprocket side
    def _cancel_at_shiprocket(self, entry: OrderRecord) -> ParcelStage:
        assert entry.sr_order_id is not None
        if entry.awb and not entry.sr_awb_cancel_sent:
            self.shiprocket.cancel_awbs([entry.awb])
            self._save(entry, sr_awb_cancel_sent=True)
        if not entry.sr_order_cancel_sent:
            self.shiprocket.cancel_orders([entry.sr_order_id])
            self._save(entry, sr_order_cancel_sent=True)
        # Cancelling can be answered before it is done ("in progress"): only the order's own state says it is.
        return parcel_stage(self.shiprocket.get_order(entry.sr_order_id))

    # ------------------------------------------------------------------ Zoho side
    def _reverse_zoho(self, entry: OrderRecord, so: ZohoSalesOrder, *, marked_by_tracking: bool = False) -> None:
        """The shipment order goes before its package (Zoho refuses the other order); deleting the shipment
        returns its stock (docs/providers/zoho.md §7). Ids lost by an attempt that died before its ledger write
        are found on the sales order by the package's deterministic number."""
        number = package_number(entry.parcel_ref or so.salesorder_number)
        ours = next((p for p in so.packages if p.package_number == number), None)
        shipment_id = entry.zoho_shipment_id or (ours.shipment_id if ours is not None else None)
        package_id = entry.zoho_package_id or (ours.package_id if ours is not None else None)
        if shipment_id and not entry.zoho_shipment_deleted:
            self.zoho.delete_shipment_order(shipment_id)
            self._save(entry, zoho_shipment_deleted=True)
        if package_id and not entry.zoho_package_deleted:
            self.zoho.delete_package(package_id)
            self._save(entry, zoho_package_deleted=True)
        if marked_by_tracking:
            return  # the status job wrote cf_shipment_status and the AWB's status, and closed its tracking
        if not entry.zoho_cancel_written:
            self.zoho.update_salesorder_custom_fields(
                entry.salesorder_id, {"cf_shipment_status": ShipmentStatus.CANCELLED}
            )
            self._save(entry, zoho_cancel_written=True)
        if entry.awb:
            self.ledger.update_awb(entry.awb, status=ShipmentStatus.CANCELLED.value, status_time=self._now())
            self.ledger.close_tracking(entry.awb)

    def _in_transit(self, entry: OrderRecord, so: ZohoSalesOrder, *, undelivered: bool) -> CancelOutcome:
        """Picked up: the parcel cannot be cancelled. An undelivered one (NDR) can be sent back at once with the
        NDR "return" action (docs/providers/shiprocket.md §9), the one return Shiprocket's API allows in transit;
        any other is marked and paged so that ops ask the courier."""
        if undelivered and entry.awb and not entry.ndr_return_requested:
            self.shiprocket.ndr_action(entry.awb, "return", "Order cancelled by the seller")
            self._save(entry, ndr_return_requested=True)
        if not entry.zoho_cancel_written:
            self.zoho.update_salesorder_custom_fields(
                entry.salesorder_id, {"cf_shipment_status": ShipmentStatus.CANCEL_REQUESTED_IN_TRANSIT}
            )
            self._save(entry, zoho_cancel_written=True)
        number = entry.salesorder_number
        what_to_do = (
            "The parcel was undelivered (NDR), so shipsync asked Shiprocket to return it (NDR action 'return'); check "
            "that the courier turns it back."
            if entry.ndr_return_requested
            else "Ask the courier to return it to origin (Shiprocket panel: the shipment, 'Request RTO', or the NDR "
            "'return' action if the buyer refuses it)."
        )
        self.alerts.page(
            f"Cancel after pickup: {number}",
            f"Sales order {number} ({so.customer_name or 'unknown customer'}) was cancelled in Zoho after the courier "
            f"picked the parcel up (AWB {entry.awb}, {entry.courier_name or 'courier unknown'}). Shiprocket cannot "
            f"cancel it any more. {what_to_do} When the RTO is delivered shipsync restocks it. It is marked "
            f"'{ShipmentStatus.CANCEL_REQUESTED_IN_TRANSIT}' in Zoho (cf_shipment_status).",
            kind="CancelAfterPickup",
            correlation_id=number,
        )
        return self._close(entry, CancelOutcome.IN_TRANSIT)

    # ------------------------------------------------------------------ ledger
    def _close(self, entry: OrderRecord, outcome: CancelOutcome, **changes: Unpack[OrderChanges]) -> CancelOutcome:
        changes["cancel_outcome"] = outcome
        self.ledger.close_job(entry.job_id, **changes)
        entry.mirror(changes)
        self.metrics.count(_OUTCOME_METRICS[outcome])
        logger.info("cancellation handled", extra={"outcome": outcome})
        return outcome

    def _save(self, entry: OrderRecord, **changes: Unpack[OrderChanges]) -> None:
        self.ledger.update(entry.job_id, **changes)
        entry.mirror(changes)

    def _now(self) -> str:
        return self.clock().isoformat()
