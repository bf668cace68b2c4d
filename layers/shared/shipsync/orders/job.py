"""Order confirmed: a confirmed Zoho sales order becomes a Shiprocket shipment, written back.

The job is a sequence of steps, each recorded in the shipment ledger before the next one
runs, so a retry (a redelivered SQS message, the stuck-order sweep) continues where the last
attempt stopped and never repeats a write:

    Zoho SO (+ items) -> map -> serviceability -> rank couriers
    -> Shiprocket one-call wrapper (order + AWB + pickup + label)      happy path: 2 calls
       or, after a partial failure, create / assign (fallback down the ranking) / pickup / label
    -> Zoho custom fields -> Zoho package -> Zoho shipment order (tracking number = AWB)

Every problem raises; the outcome policy (``policy.outcomes``) decides what follows. A permanent one
(invalid order, not serviceable, every courier refused, a request a provider refuses) ends in
``ShipOrder.give_up``: the sales order marked in Zoho with why, a page naming the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Unpack

from aws_lambda_powertools import Logger

from shipsync.domain.india import IST
from shipsync.domain.models import (
    AwbAssignment,
    CourierQuote,
    LabelResult,
    PickupResult,
    ShiprocketOrder,
    ZohoItem,
    ZohoSalesOrder,
)
from shipsync.domain.statuses import ShipmentStatus
from shipsync.errors import (
    AllCouriersRefused,
    AwbAlreadyAssigned,
    AwbRefused,
    CancelRefused,
    EwayBillRequired,
    InvalidOrder,
    NamedRecordMissing,
    NoPickupLocation,
    NotServiceable,
    OrderBeingShipped,
    PermanentError,
    ProviderRequestError,
    RecordMissing,
    TransientError,
)
from shipsync.ledger.records import (
    RETRIED_WHEN_EDITED,
    TERMINAL_STATES,
    CancelOutcome,
    JobState,
    OrderChanges,
    OrderRecord,
)
from shipsync.orders.amend import describe, what_changed
from shipsync.orders.cancel import Cancellation, ParcelStage, parcel_stage, salesorder_wants_cancel
from shipsync.orders.courier import CourierRules
from shipsync.orders.locations import PickupLocations, PickupPoint
from shipsync.orders.mapping import (
    MappingOptions,
    delivery_snapshot,
    package_number,
    required_item_ids,
    shipment_number,
    to_shiprocket_order,
)
from shipsync.orders.messages import OrderMessage
from shipsync.orders.parcels import ParcelPlan, parcel_view, plan_parcels
from shipsync.policy.outcomes import Failure
from shipsync.ports import Alerts, MetricsSink, ShipmentLedgerPort, ShiprocketApi, ShiprocketOrdersApi, ZohoApi

logger = Logger(child=True)


MAX_RECREATES = 3


@dataclass(frozen=True)
class Outcome:
    salesorder_number: str
    state: str
    awb: str | None = None
    courier_name: str | None = None
    detail: str | None = None


@dataclass
class OrderConfirmedJob:
    """Everything one order's job needs; built once per container by the handler."""

    zoho: ZohoApi
    shiprocket: ShiprocketApi
    ledger: ShipmentLedgerPort
    metrics: MetricsSink
    # Asked for by every order: the table a seller edits reaches a warm container (orders.wiring.courier_rules).
    rules: Callable[[], CourierRules]
    options: MappingOptions
    pickup_postcode: str
    alerts: Alerts
    # Zoho location -> Shiprocket pickup location (orders.locations); None: every order leaves from the default.
    locations: Callable[[], PickupLocations] | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    # ------------------------------------------------------------------ entry point
    def attempt(self, message: OrderMessage) -> ShipOrder | CancelOrder:
        return ShipOrder(self, message) if message.intent == "ship" else CancelOrder(self, message)

    def cancellation(self) -> Cancellation:
        return Cancellation(
            zoho=self.zoho,
            shiprocket=self.shiprocket,
            ledger=self.ledger,
            alerts=self.alerts,
            metrics=self.metrics,
            clock=self.clock,
        )

    def _worth_retrying(self, entry: OrderRecord) -> bool:
        # A seller may fix the order and confirm it again; every other terminal state needs a human decision first.
        return entry.state in RETRIED_WHEN_EDITED

    # ------------------------------------------------------------------ parcels (orders.parcels)
    def read_items(self, so: ZohoSalesOrder) -> dict[str, ZohoItem]:
        return {item_id: self.zoho.get_item(item_id) for item_id in required_item_ids(so)}

    def plan(self, entry: OrderRecord, so: ZohoSalesOrder, items: Mapping[str, ZohoItem]) -> list[ParcelPlan]:
        """The parcels of ``so``, once the whole order is one Shiprocket may take (address, phone, units, e-way
        bill on the whole value): a problem stops the order before any parcel ships."""
        to_shiprocket_order(so, items, self.options)
        limit = self.rules().parcel
        return plan_parcels(so, items, self.options, self.pickup_locations(), limit, order_ref=entry.order_ref)

    # ------------------------------------------------------------------ Shiprocket side
    def _prepare_shipment(
        self, entry: OrderRecord, so: ZohoSalesOrder, items: Mapping[str, ZohoItem], point: PickupPoint
    ) -> tuple[ShiprocketOrder, list[CourierQuote]]:
        """The order body and its courier ranking (serviceability from its own pickup pincode), recorded."""
        options = replace(self.options, pickup_location=point.nickname)
        order = to_shiprocket_order(so, items, options, order_ref=entry.order_ref or so.salesorder_number)
        ranking = self._rank(order, point.pincode)
        self._save(
            entry,
            courier_ranking=[
                q.model_dump(include={"courier_company_id", "courier_name", "estimated_delivery_days"}) for q in ranking
            ],
            delivery_city=order.delivery_city,
            order_value=order.sub_total,
            payment_method=order.payment_method,
            shipped_snapshot=delivery_snapshot(so),
            so_revision=so.last_modified_time,
            pickup_postcode=point.pincode,
        )
        return order, ranking

    def _create_shipment(self, entry: OrderRecord, order: ShiprocketOrder, ranking: list[CourierQuote]) -> OrderRecord:
        for _ in range(MAX_RECREATES + 1):
            first = ranking[0]
            result = self.shiprocket.create_forward_shipment(order, courier_id=first.courier_company_id)
            if result.sr_order_id is None:
                raise ProviderRequestError("shiprocket", result.error_message or "order was not created")
            if not result.order_created:
                # The order_id existed already (a lost ledger write, or an old order): ask
                # Shiprocket for its state through the duplicate-safe adhoc create.
                existing = self.shiprocket.create_adhoc_order(order)
                if existing.is_cancelled:
                    order = self._recreate_under_new_ref(entry, order)
                    continue
            self._save(
                entry, state=JobState.ORDER_CREATED, sr_order_id=result.sr_order_id, shipment_id=result.shipment_id
            )
            if result.awb is not None:
                self.ledger.record_awb(
                    entry,
                    awb=result.awb.awb_code,
                    courier_id=result.awb.courier_company_id,
                    courier_name=result.awb.courier_name,
                )
                self._save(
                    entry,
                    state=JobState.AWB_ASSIGNED,
                    awb=result.awb.awb_code,
                    courier_id=result.awb.courier_company_id,
                    courier_name=result.awb.courier_name,
                )
            elif result.awb_refusal is not None and result.order_created:
                refusal = AwbRefused(first.courier_company_id, first.courier_name, result.awb_refusal)
                logger.warning(
                    "courier refused the AWB", extra={"courier": first.courier_name, "reason": refusal.reason}
                )
                self._save(entry, refusals=[*entry.refusals, _refusal_record(refusal)])
            if result.pickup is not None:
                self._record_pickup(entry, result.pickup)
            if result.label is not None:
                self._record_label(entry, result.label)
            return entry
        raise ProviderRequestError("shiprocket", f"order re-created {MAX_RECREATES} times and still cancelled")

    def _recreate_under_new_ref(self, entry: OrderRecord, order: ShiprocketOrder) -> ShiprocketOrder:
        count = entry.recreate_count + 1
        new_ref = f"{entry.parcel_ref or entry.salesorder_number}-R{count}"
        logger.warning(
            "Shiprocket order is cancelled; re-creating", extra={"old_ref": order.order_id, "new_ref": new_ref}
        )
        self._save(entry, recreate_count=count, order_ref=new_ref)
        return order.model_copy(update={"order_id": new_ref})

    def pickup_locations(self) -> PickupLocations:
        if self.locations is not None:
            return self.locations()
        return PickupLocations(PickupPoint(self.options.pickup_location, self.pickup_postcode))

    def _quotes(self, order: ShiprocketOrder, pickup_postcode: str) -> list[CourierQuote]:
        return self.shiprocket.serviceability(
            pickup_postcode=pickup_postcode,
            delivery_postcode=order.delivery_postcode,
            cod=order.is_cod,
            weight_kg=order.weight,
            length_cm=order.length,
            breadth_cm=order.breadth,
            height_cm=order.height,
            declared_value=order.sub_total,
        )

    def _rank(self, order: ShiprocketOrder, pickup_postcode: str) -> list[CourierQuote]:
        quotes = self._quotes(order, pickup_postcode)
        ranking = self.rules().rank(quotes, order)
        if not ranking:
            raise NotServiceable(f"no eligible courier for {order.delivery_postcode} ({order.payment_method})")
        logger.info("couriers ranked", extra={"ranking": [q.courier_name for q in ranking]})
        return ranking

    def _complete_shipment(self, entry: OrderRecord) -> OrderRecord:
        """AWB (falling back down the ranking), pickup and label: whatever is still missing.

        A step whose earlier answer was lost is answered "already done" on the retry; that completes it
        (docs/providers/shiprocket.md §4, §5), with the AWB or the pickup state read back from the order."""
        assert entry.shipment_id is not None, "an order without a shipment id cannot ship"
        if entry.awb is None:
            self._assign_awb(entry)
        if not entry.pickup_requested:
            self._record_pickup(entry, self.shiprocket.generate_pickup(entry.shipment_id))
        if not entry.label_generated:
            self._record_label(entry, self.shiprocket.generate_label(entry.shipment_id))
        return entry

    def _record_pickup(self, entry: OrderRecord, pickup: PickupResult) -> None:
        status = None
        if pickup.already_requested:
            assert entry.sr_order_id is not None
            status = self.shiprocket.get_order(entry.sr_order_id).status
            logger.warning("pickup was already requested by an earlier attempt", extra={"shiprocket_status": status})
        self._save(
            entry,
            pickup_requested=True,
            pickup_scheduled_date=pickup.pickup_scheduled_date,
            pickup_token_number=pickup.pickup_token_number,
            pickup_status=status,
        )

    def _record_label(self, entry: OrderRecord, label: LabelResult) -> None:
        if label.already_generated:
            logger.warning("label was already generated by an earlier attempt", extra={"label_url": label.label_url})
        self._save(entry, label_generated=True, label_url=label.label_url)

    def _assign_awb(self, entry: OrderRecord) -> None:
        assert entry.shipment_id is not None
        refused_ids = {r.get("courier_id") for r in entry.refusals}
        refusals = [
            AwbRefused(r.get("courier_id"), r.get("courier_name", "?"), r.get("reason", "")) for r in entry.refusals
        ]
        for courier in entry.courier_ranking:
            courier_id = int(courier["courier_company_id"])
            if courier_id in refused_ids:
                continue
            try:
                awb = self.shiprocket.assign_awb(entry.shipment_id, courier_id)
            except AwbAlreadyAssigned:
                assert entry.sr_order_id is not None
                awb = read_back_awb(self.shiprocket, entry.sr_order_id, courier_id, str(courier["courier_name"]))
            except AwbRefused as refusal:
                logger.warning(
                    "courier refused the AWB", extra={"courier": courier["courier_name"], "reason": refusal.reason}
                )
                refusal.courier_name = refusal.courier_name or courier["courier_name"]
                refusals.append(refusal)
                self._save(entry, refusals=[*entry.refusals, _refusal_record(refusal, courier)])
                self.metrics.count("AwbFallbacks")
                continue
            self.ledger.record_awb(
                entry, awb=awb.awb_code, courier_id=awb.courier_company_id, courier_name=awb.courier_name
            )
            self._save(
                entry,
                state=JobState.AWB_ASSIGNED,
                awb=awb.awb_code,
                courier_id=awb.courier_company_id,
                courier_name=awb.courier_name,
            )
            return
        raise AllCouriersRefused(refusals)

    # ------------------------------------------------------------------ Zoho side
    def _write_fields(self, entry: OrderRecord, so: ZohoSalesOrder, parcels: Sequence[OrderRecord]) -> None:
        """The sales order's custom fields, once: every parcel's AWB, Shiprocket order and courier (one parcel:
        its own), the labels to reprint and the date the courier promised, for support without the panel."""
        if entry.zoho_fields_written:
            return
        fields = {
            "cf_awb_number": ", ".join(str(p.awb) for p in parcels),
            "cf_shiprocket_order_id": ", ".join(str(p.sr_order_id) for p in parcels),
            "cf_courier_partner": ", ".join(dict.fromkeys(str(p.courier_name) for p in parcels)),
            "cf_shipment_status": ShipmentStatus.PICKUP_SCHEDULED,
        }
        labels = [p.label_url for p in parcels if p.label_url]
        if labels:
            fields["cf_label_url"] = " ".join(labels)
        # The order is there when its last parcel is.
        expected = max((d for d in (_expected_delivery(p, self.clock()) for p in parcels) if d), default=None)
        if expected:
            fields["cf_expected_delivery"] = expected
        self.zoho.update_salesorder_custom_fields(so.salesorder_id, fields)
        self._save(entry, zoho_fields_written=True, shipment_status=ShipmentStatus.PICKUP_SCHEDULED)

    def _write_shipment(self, entry: OrderRecord, so: ZohoSalesOrder) -> None:
        """The Zoho package (what is left to pack of ``so``: a parcel's view holds only its units) and the
        shipment order carrying the AWB; then the job (or the parcel's) is synced."""
        assert entry.awb is not None
        assert entry.courier_name is not None
        today = self.clock().astimezone(IST).date().isoformat()
        # A parcel's numbers carry its reference (PKG-SO-00042-2); the order's own keep the sales order number.
        reference = entry.parcel_ref or so.salesorder_number
        # Package and shipment numbers are deterministic, so one created by an attempt that
        # died before its ledger write is found on the sales order instead of made twice.
        pkg_number = package_number(reference)
        if entry.zoho_package_id is None and "packages" not in so.model_fields_set:
            # The list is the guard against a second package: an answer without it cannot say "none yet".
            raise ProviderRequestError("zoho", f"sales order {so.salesorder_number} was read without its packages")
        existing = next((p for p in so.packages if p.package_number == pkg_number), None)
        if entry.zoho_package_id is None:
            if existing is not None:
                package_id = existing.package_id
            else:
                # What is left to pack (read before this package): units packed by hand are not packed twice.
                lines = [
                    (line.line_item_id, line.unpacked_quantity) for line in so.line_items if line.unpacked_quantity > 0
                ]
                package_id = self.zoho.create_package(
                    so.salesorder_id, package_number=pkg_number, date=today, line_items=lines
                )
            self._save(entry, zoho_package_id=package_id)
        if entry.zoho_shipment_id is None:
            assert entry.zoho_package_id is not None
            if existing is not None and existing.shipment_id:
                shipment_id = existing.shipment_id
            else:
                shipment_id = self.zoho.create_shipment_order(
                    so.salesorder_id,
                    entry.zoho_package_id,
                    shipment_number=shipment_number(reference),
                    date=today,
                    tracking_number=entry.awb,
                    delivery_method=entry.courier_name,
                    tracking_link=TRACKING_LINK.format(awb=entry.awb),
                )
            self._save(entry, zoho_shipment_id=shipment_id)
        self.ledger.close_job(entry.job_id, state=JobState.SYNCED)
        entry.state = JobState.SYNCED

    # ------------------------------------------------------------------ helpers
    def _save(self, entry: OrderRecord, **changes: Unpack[OrderChanges]) -> None:
        """Persist the changes to the ledger, then mirror them on the in-memory entry."""
        self.ledger.update(entry.job_id, **changes)
        entry.mirror(changes)


def is_newer(revision: str, seen: str | None) -> bool:
    """Whether a webhook's ``last_modified_time`` is later than the one the job acted on. Zoho writes one format
    per organisation ("2025-01-11T18:05:00+0530"), so equal-length texts compare in time order; any other
    difference counts as newer, since reading once too often costs a call and missing an edit costs a parcel."""
    if seen is None:
        return True
    if len(revision) == len(seen):
        return revision > seen
    return revision != seen


# A cancelled job a re-confirmation ships again: its shipment was undone on both sides, or never made.
RESHIPPABLE = frozenset({CancelOutcome.CANCELLED, CancelOutcome.NEVER_SHIPPED})

# Why the order did not ship -> (ledger state, cf_shipment_status in Zoho, metric and alarm); the first match wins.
GIVE_UP_STATES: tuple[tuple[type[PermanentError], JobState, ShipmentStatus, str], ...] = (
    # Held, not failed: the seller adds the number, and the next confirmation ships it (RETRIED_WHEN_EDITED).
    (EwayBillRequired, JobState.INVALID, ShipmentStatus.EWAY_BILL_REQUIRED, "EwayBillRequired"),
    # Held too: once the location is mapped, an edit and confirmation ship it.
    (NoPickupLocation, JobState.INVALID, ShipmentStatus.NO_PICKUP_LOCATION, "NoPickupLocation"),
    (InvalidOrder, JobState.INVALID, ShipmentStatus.INVALID_ORDER, "InvalidOrder"),
    (NotServiceable, JobState.NOT_SERVICEABLE, ShipmentStatus.NOT_SERVICEABLE, "ServiceabilityFailed"),
    (AllCouriersRefused, JobState.AWB_FAILED, ShipmentStatus.AWB_FAILED, "AwbFailed"),
    (PermanentError, JobState.FAILED, ShipmentStatus.SHIPPING_FAILED, "OrderFailed"),
)


@dataclass
class ShipOrder:
    """One attempt at one order (``policy.outcomes.Attempt``): what it has read is kept for its give-up."""

    job: OrderConfirmedJob
    message: OrderMessage
    entry: OrderRecord | None = None
    so: ZohoSalesOrder | None = None
    # Set when the order read back was cancelled: a failure is then the cancellation's, not the shipment's.
    cancelling: bool = False
    # Set while an edit of a shipped order is looked at: a failure leaves the shipment as it is and pages.
    amending: bool = False

    @property
    def correlation_id(self) -> str:
        return self.message.salesorder_number

    def run(self) -> Outcome:
        job = self.job
        entry = self.entry = job.ledger.ensure(self.message.salesorder_id, self.message.salesorder_number)
        if entry.state in TERMINAL_STATES and not job._worth_retrying(entry):
            if self._edited_since(entry):
                return self._edited(entry)
            logger.info("order already handled", extra={"state": entry.state, "awb": entry.awb})
            return Outcome(entry.salesorder_number, entry.state, entry.awb, entry.courier_name, "duplicate")

        so = self.so = self._read_salesorder(entry)
        if salesorder_wants_cancel(so):
            # Cancelled in Zoho before this job ended: it stops here and undoes what it did.
            self.cancelling = True
            outcome = job.cancellation().run(entry, so)
            return Outcome(entry.salesorder_number, entry.state, entry.awb, entry.courier_name, f"cancel: {outcome}")
        if entry.state in RETRIED_WHEN_EDITED and so.last_modified_time == entry.so_last_modified:
            return Outcome(entry.salesorder_number, entry.state, detail="unchanged since it failed")
        shipped = self._ship(entry, so)
        if shipped.state == JobState.SYNCED and self._edited_since(entry):
            # This message carried an edit the shipment may predate (an attempt that created the Shiprocket
            # order died before the edit): it is looked at now rather than lost.
            return self._edited(entry)
        return shipped

    def _ship(self, entry: OrderRecord, so: ZohoSalesOrder, detail: str | None = None) -> Outcome:
        job = self.job
        items: dict[str, ZohoItem] | None = None
        if entry.sr_order_id is None and not entry.parcels:
            items = job.read_items(so)
            plan = job.plan(entry, so, items)
            if len(plan) > 1:
                # Recorded before anything is written, so every retry ships these parcels and no others.
                job._save(entry, parcels=[parcel.model_dump() for parcel in plan])
            else:
                if not job.ledger.claim_for_shipping(entry.job_id):
                    return self._cancelled_before_shipping(entry)
                order, ranking = job._prepare_shipment(entry, so, items, _point(plan[0]))
                entry = job._create_shipment(entry, order, ranking)
        if entry.parcels:
            return self._ship_parcels(entry, so, items, detail)
        entry = job._complete_shipment(entry)
        job._write_fields(entry, so, [entry])
        job._write_shipment(entry, so)
        job.metrics.count("OrdersShipped")
        logger.info(
            "order shipped", extra={"awb": entry.awb, "courier": entry.courier_name, "order_ref": entry.order_ref}
        )
        return Outcome(entry.salesorder_number, JobState.SYNCED, entry.awb, entry.courier_name, detail)

    def _ship_parcels(
        self, entry: OrderRecord, so: ZohoSalesOrder, items: dict[str, ZohoItem] | None, detail: str | None
    ) -> Outcome:
        """Each parcel of the plan as its own Shiprocket order, Zoho package and shipment order (a job of its own
        in the ledger), then the sales order's fields naming them all. Every parcel is ranked before the first is
        created, so a parcel no courier serves stops the order before anything ships."""
        job = self.job
        if not job.ledger.claim_for_shipping(entry.job_id):
            return self._cancelled_before_shipping(entry)
        if not entry.shipped_snapshot:
            job._save(entry, shipped_snapshot=delivery_snapshot(so), so_revision=so.last_modified_time)
        plans = [ParcelPlan.model_validate(parcel) for parcel in entry.parcels]
        parcels = [
            job.ledger.ensure_parcel(entry, parcel=plan.parcel, order_ref=plan.order_ref, lines=plan.lines)
            for plan in plans
        ]
        views = [parcel_view(so, plan) for plan in plans]
        prepared = {}
        for parcel, view, plan in zip(parcels, views, plans, strict=True):
            if parcel.sr_order_id is None:
                items = items if items is not None else job.read_items(so)
                prepared[parcel.parcel] = job._prepare_shipment(parcel, view, items, _point(plan))
        for parcel, view in zip(parcels, views, strict=True):
            if parcel.state is JobState.SYNCED:
                continue
            if parcel.parcel in prepared:
                job._create_shipment(parcel, *prepared[parcel.parcel])
            job._complete_shipment(parcel)
            job._write_shipment(parcel, view)
            logger.info("parcel shipped", extra={"awb": parcel.awb, "order_ref": parcel.order_ref})
        job._write_fields(entry, so, parcels)
        job.ledger.close_job(entry.job_id, state=JobState.SYNCED)
        entry.state = JobState.SYNCED
        job.metrics.count("OrdersShipped")
        job.metrics.count("ParcelsShipped", len(parcels))
        awbs = ", ".join(str(parcel.awb) for parcel in parcels)
        couriers = ", ".join(dict.fromkeys(str(parcel.courier_name) for parcel in parcels))
        logger.info("order shipped as parcels", extra={"awbs": awbs, "parcels": len(parcels)})
        return Outcome(entry.salesorder_number, JobState.SYNCED, awbs, couriers, detail or f"{len(parcels)} parcels")

    def _cancelled_before_shipping(self, entry: OrderRecord) -> Outcome:
        logger.info("a cancellation closed the job before it shipped")
        return Outcome(entry.salesorder_number, JobState.CANCELLED, detail="cancelled before shipping")

    # ------------------------------------------------------------------ an edit after the job ended (orders.amend)
    def _edited_since(self, entry: OrderRecord) -> bool:
        """A webhook for a revision of the order this job has not looked at, on a job an edit can still change:
        shipped (and not being cancelled), or cancelled (a re-confirmation ships it again)."""
        revision = self.message.revision
        if revision is None or not is_newer(revision, entry.so_revision):
            return False
        if entry.state is JobState.SYNCED:
            return entry.cancel_outcome is None
        return entry.state is JobState.CANCELLED and entry.cancel_outcome in RESHIPPABLE

    def _edited(self, entry: OrderRecord) -> Outcome:
        job, number = self.job, entry.salesorder_number
        self.amending = True
        so = self.so = self._read_back(entry)
        if salesorder_wants_cancel(so):
            if entry.state is JobState.CANCELLED:
                job._save(entry, so_revision=so.last_modified_time)
                return Outcome(number, entry.state, detail="still cancelled")
            self.amending, self.cancelling = False, True
            outcome = job.cancellation().run(entry, so)
            return Outcome(number, entry.state, entry.awb, entry.courier_name, f"cancel: {outcome}")
        if entry.state is JobState.CANCELLED:
            if (so.order_status or so.status or "").strip().lower() != "confirmed":
                job._save(entry, so_revision=so.last_modified_time)
                return Outcome(number, entry.state, detail="cancelled, and not confirmed again")
            return self._ship_again(entry, "confirmed again after its cancellation")
        shipped = entry.shipped_snapshot or {}
        now = delivery_snapshot(so)
        changed = what_changed(shipped, now) if entry.shipped_snapshot is not None else []
        if not changed:
            job._save(entry, so_revision=so.last_modified_time)
            return Outcome(number, entry.state, entry.awb, entry.courier_name, "edited, nothing shipped changed")
        if entry.parcels:
            raise PermanentError(
                f"it shipped as {len(entry.parcels)} parcels ({describe(shipped, now, changed)}); an order shipped as "
                "parcels is not amended automatically: cancel and confirm it again, or change the parcels in the "
                "Shiprocket panel"
            )
        assert entry.sr_order_id is not None
        stage = parcel_stage(job.shiprocket.get_order(entry.sr_order_id))
        logger.info("shipped order edited", extra={"changed": changed, "stage": stage})
        if stage is not ParcelStage.BEFORE_PICKUP:
            return self._edited_too_late(entry, so, changed, describe(shipped, now, changed), stage)
        if "lines" not in changed:
            # Its own package now counts as packed: the body of the order as shipped reads the lines unpacked.
            unpacked = so.model_copy(
                update={"line_items": [line.model_copy(update={"quantity_packed": None}) for line in so.line_items]}
            )
            items = {i: job.zoho.get_item(i) for i in required_item_ids(so)}
            order = to_shiprocket_order(unpacked, items, job.options, order_ref=entry.order_ref)
            if shipped.get("pincode") == now["pincode"] or self._courier_serves(entry, order):
                job.shiprocket.update_delivery_address(entry.sr_order_id, order)
                self._record_edit(entry, so, "address_updated", changed, shipped_snapshot=now)
                job.metrics.count("OrdersAmended")
                return Outcome(number, entry.state, entry.awb, entry.courier_name, "amended: address updated")
        reason = "its lines changed" if "lines" in changed else "the courier does not serve the new pincode"
        return self._ship_again(entry, reason)

    def _courier_serves(self, entry: OrderRecord, order: ShiprocketOrder) -> bool:
        quotes = self.job._quotes(order, entry.pickup_postcode or self.job.pickup_postcode)
        return any(quote.courier_company_id == entry.courier_id for quote in quotes)

    def _ship_again(self, entry: OrderRecord, reason: str) -> Outcome:
        """Cancel what is shipped (both sides, orders.cancel), then ship the order as Zoho holds it now under the
        next reference ``SO-…-R<n>``; the cancelled shipment stays in the job's history."""
        job, number = self.job, entry.salesorder_number
        assert self.so is not None
        if entry.state is JobState.SYNCED:
            outcome = job.cancellation().run(entry, self.so)
            if outcome is not CancelOutcome.CANCELLED:
                return Outcome(number, entry.state, entry.awb, entry.courier_name, f"not shipped again: {outcome}")
        count = entry.recreate_count + 1
        history = {
            "kind": "shipped_again",
            "reason": reason,
            "previous_ref": entry.order_ref,
            "previous_awb": entry.awb,
            "cancelled_at": entry.cancelled_at,
            "at": job.clock().isoformat(),
        }
        job._save(entry, amendments=[*entry.amendments, history])
        job.ledger.reopen_job(entry.salesorder_id, order_ref=f"{number}-R{count}", recreate_count=count)
        fresh = job.ledger.get(entry.salesorder_id)
        assert fresh is not None
        self.entry = fresh
        # Read again: the cancellation deleted the package and shipment order the first read listed.
        so = self.so = self._read_back(fresh)
        self.amending = False
        logger.warning("shipping again", extra={"reason": reason, "order_ref": fresh.order_ref})
        job.metrics.count("OrdersShippedAgain")
        return self._ship(fresh, so, f"shipped again ({reason})")

    def _edited_too_late(
        self, entry: OrderRecord, so: ZohoSalesOrder, changed: list[str], what: str, stage: ParcelStage
    ) -> Outcome:
        number = entry.salesorder_number
        self.job.alerts.page(
            f"Edited after pickup: {number}",
            f"Sales order {number} ({so.customer_name or 'unknown customer'}) was edited in Zoho after its parcel left "
            f"(AWB {entry.awb}, {entry.courier_name or 'courier unknown'}, {stage}): {what}. Shiprocket cannot change "
            "a parcel after pickup: ask the courier (or update the NDR) if it matters; nothing was changed.",
            kind="AmendedAfterPickup",
            correlation_id=number,
        )
        self.job.metrics.count("AmendedAfterPickup")
        self._record_edit(entry, so, "paged_after_pickup", changed)
        return Outcome(number, entry.state, entry.awb, entry.courier_name, "edited after pickup: paged")

    def _record_edit(
        self, entry: OrderRecord, so: ZohoSalesOrder, kind: str, changed: list[str], **changes: Any
    ) -> None:
        record = {
            "kind": kind,
            "changed": changed,
            "revision": so.last_modified_time,
            "at": self.job.clock().isoformat(),
        }
        self.job._save(entry, so_revision=so.last_modified_time, amendments=[*entry.amendments, record], **changes)

    def _read_back(self, entry: OrderRecord) -> ZohoSalesOrder:
        """The order as Zoho holds it now, for a job that already ended (its state is not changed if it is gone)."""
        try:
            return self.job.zoho.get_salesorder(entry.salesorder_id)
        except RecordMissing as err:
            raise NamedRecordMissing("sales order", entry.salesorder_number, err) from err

    def _read_salesorder(self, entry: OrderRecord) -> ZohoSalesOrder:
        """The sales order the message names. A job no attempt has started (nothing written anywhere yet) ships
        from the webhook's own copy when the message carries it; any other reads Zoho's. One Zoho says does not
        exist ends the job (closed as missing, so the stuck-order sweep leaves it alone and a repeat costs
        nothing) and dead-letters the message: there is nothing to mark."""
        snapshot = self.message.salesorder
        fresh = entry.state is JobState.RECEIVED and entry.sr_order_id is None and not entry.shipping_claimed
        if snapshot is not None and fresh and not entry.parcels:
            so = ZohoSalesOrder.model_validate(snapshot)
            if so.salesorder_id == entry.salesorder_id:
                self.job.metrics.count("SalesOrderFromWebhook")
                return so
        try:
            return self.job.zoho.get_salesorder(entry.salesorder_id)
        except RecordMissing as err:
            self.job.ledger.close_job(entry.salesorder_id, state=JobState.MISSING, failure_reason=str(err))
            raise NamedRecordMissing("sales order", entry.salesorder_number, err) from err

    def give_up(self, err: PermanentError) -> Failure[Outcome]:
        if self.cancelling:
            return cancel_failure(self.job, self.message, self.so, err)
        if self.amending:
            return self._edit_failure(err)
        return self._ship_failure(err)

    def _edit_failure(self, err: PermanentError) -> Failure[Outcome]:
        """An edit that cannot be applied: the shipment stays as it is, this revision is not looked at again."""
        number = self.message.salesorder_number
        so = self.so
        reason = str(err)

        def record() -> None:
            entry = self.job.ledger.get(self.message.salesorder_id)
            history = entry.amendments if entry is not None else []
            failed = {"kind": "failed", "reason": reason, "at": self.job.clock().isoformat()}
            revision = so.last_modified_time if so is not None else self.message.revision
            self.job.ledger.update(self.message.salesorder_id, so_revision=revision, amendments=[*history, failed])

        return Failure(
            outcome=Outcome(number, "edit_refused", detail=reason),
            metric="AmendFailed",
            subject=f"Edit not applied: {number}",
            message=f"Sales order {number} ({so.customer_name if so else 'unknown customer'}) was edited in Zoho after "
            f"it shipped, and shipsync could not apply the edit: {reason}. The shipment is unchanged; fix the order "
            "in Zoho (or in the Shiprocket panel).",
            correlation_id=number,
            record=record,
        )

    def _ship_failure(self, err: PermanentError) -> Failure[Outcome]:
        """The order is marked in Zoho with why it did not ship; a seller's edit and re-confirm of an invalid or
        failed order is looked at again (``so_last_modified``)."""
        state, zoho_status, metric = next((s, z, m) for kind, s, z, m in GIVE_UP_STATES if isinstance(err, kind))
        salesorder_id, number = self.message.salesorder_id, self.message.salesorder_number
        customer = self.so.customer_name if self.so is not None else None
        reason = str(err)

        def mark() -> None:
            self.job.zoho.update_salesorder_custom_fields(salesorder_id, {"cf_shipment_status": zoho_status})

        def record() -> None:
            self.job.ledger.close_job(
                salesorder_id,
                state=state,
                failure_reason=reason,
                shipment_status=zoho_status,
                so_last_modified=(self.so.last_modified_time if self.so is not None else None) or "",
            )

        return Failure(
            outcome=Outcome(number, state, detail=reason),
            metric=metric,
            subject=f"{zoho_status}: {number}",
            message=f"Sales order {number} ({customer or 'unknown customer'}) was not shipped. Reason: {reason}. "
            f"It is marked '{zoho_status}' in Zoho (cf_shipment_status).",
            correlation_id=number,
            mark=mark,
            record=record,
        )


@dataclass
class CancelOrder:
    """One attempt at cancelling one order (``policy.outcomes.Attempt``): the seller voided it in Zoho or set
    ``cf_shipment_action = Cancel``. The work is ``orders.cancel.Cancellation``; this decides whether it may run.

    It runs only on a job no confirmation holds: one still shipping makes it wait (``OrderBeingShipped``, the
    message comes back), except a job nothing has claimed for shipping yet, which it closes at once. A cancel
    already handled (``cancel_outcome``) is a no-op, and so is one Zoho no longer shows."""

    job: OrderConfirmedJob
    message: OrderMessage
    so: ZohoSalesOrder | None = None

    @property
    def correlation_id(self) -> str:
        return self.message.salesorder_number

    def run(self) -> Outcome:
        job, number = self.job, self.message.salesorder_number
        entry = job.ledger.get(self.message.salesorder_id)
        if entry is not None and entry.cancel_outcome is not None:
            logger.info("cancel already handled", extra={"outcome": entry.cancel_outcome, "awb": entry.awb})
            return Outcome(
                number, entry.state, entry.awb, entry.courier_name, f"duplicate cancel: {entry.cancel_outcome}"
            )
        if self.message.intent == "reverse":
            return self._reverse(entry)
        so = self.so = self._read_salesorder()
        if not salesorder_wants_cancel(so):
            logger.info("cancel withdrawn: the sales order no longer asks for it", extra={"status": so.order_status})
            return Outcome(number, entry.state if entry else JobState.RECEIVED, detail="not cancelled in Zoho")
        entry = entry or job.ledger.ensure(self.message.salesorder_id, number)
        if entry.state not in TERMINAL_STATES:
            if entry.sr_order_id is None and job.ledger.cancel_unclaimed(
                entry.salesorder_id,
                state=JobState.CANCELLED,
                cancel_outcome=CancelOutcome.NEVER_SHIPPED,
                cancelled_at=job.clock().isoformat(),
            ):
                job.metrics.count("OrdersCancelled")
                logger.info("cancelled before anything shipped")
                return Outcome(number, JobState.CANCELLED, detail=f"cancel: {CancelOutcome.NEVER_SHIPPED}")
            raise OrderBeingShipped(f"sales order {number} is still being shipped ({entry.state}); the cancel waits")
        outcome = job.cancellation().run(entry, so)
        return Outcome(number, entry.state, entry.awb, entry.courier_name, f"cancel: {outcome}")

    def _reverse(self, entry: OrderRecord | None) -> Outcome:
        """Cancelled at Shiprocket: the Zoho side is undone once the job that shipped it has ended."""
        number = self.message.salesorder_number
        if entry is None:
            logger.info("a cancellation at Shiprocket for an order shipsync has no job for: ignored")
            return Outcome(number, "unknown", detail="no shipping job")
        if entry.state not in TERMINAL_STATES:
            raise OrderBeingShipped(f"sales order {number} is still being shipped ({entry.state}); the reversal waits")
        so = self.so = self._read_salesorder()
        outcome = self.job.cancellation().reverse(entry, so)
        detail = "Shiprocket does not read it cancelled: nothing undone" if outcome is None else f"cancel: {outcome}"
        return Outcome(number, entry.state, entry.awb, entry.courier_name, f"cancelled at Shiprocket: {detail}")

    def _read_salesorder(self) -> ZohoSalesOrder:
        try:
            return self.job.zoho.get_salesorder(self.message.salesorder_id)
        except RecordMissing as err:
            raise NamedRecordMissing("sales order", self.message.salesorder_number, err) from err

    def give_up(self, err: PermanentError) -> Failure[Outcome]:
        return cancel_failure(self.job, self.message, self.so, err)


def cancel_failure(
    job: OrderConfirmedJob, message: OrderMessage, so: ZohoSalesOrder | None, err: PermanentError
) -> Failure[Outcome]:
    """A cancellation that cannot be done: nothing in Zoho is marked (the order keeps its shipment status), the
    ledger keeps why (so a repeat does not page again), and ops are paged with what to do."""
    number = message.salesorder_number
    customer = so.customer_name if so is not None else None
    refused = isinstance(err, CancelRefused)
    reason = str(err)

    def record() -> None:
        job.ledger.update(message.salesorder_id, cancel_outcome=CancelOutcome.REFUSED, failure_reason=reason)

    return Failure(
        outcome=Outcome(number, "cancel_refused", detail=reason),
        metric="CancelRefused",
        subject=f"Cancel {'refused' if refused else 'failed'}: {number}",
        message=f"Sales order {number} ({customer or 'unknown customer'}) was cancelled in Zoho, but shipsync could "
        f"not cancel its shipment. Reason: {reason}. Nothing was cancelled; decide in the Shiprocket panel.",
        correlation_id=number,
        record=record,
    )


def read_back_awb(
    shiprocket: ShiprocketOrdersApi, sr_order_id: int, courier_id: int, courier_name: str
) -> AwbAssignment:
    """The AWB that an earlier assignment, whose answer was lost, gave the order's shipment, as the order now
    shows it (``orders/show``); the courier we asked for when the order does not name its own."""
    order = shiprocket.get_order(sr_order_id)
    if order.awb is None:
        # Shiprocket says assigned but does not show it yet: try again later rather than guess.
        raise TransientError(f"shiprocket: order {sr_order_id} has an AWB it does not show yet")
    logger.warning("AWB was already assigned by an earlier attempt", extra={"awb": order.awb})
    return AwbAssignment(
        awb_code=order.awb,
        courier_company_id=order.courier_id or courier_id,
        courier_name=order.courier_name or courier_name,
    )


# Shiprocket's public tracking page for an AWB, the pattern of the pull answers' track_url (docs/providers/shiprocket.md
# §7: UNCERTAIN, no rule is published; the webhook and the AWB answers carry no link).
TRACKING_LINK = "https://shiprocket.co/tracking/{awb}"


def _expected_delivery(entry: OrderRecord, now: datetime) -> str | None:
    """The date the AWB's courier quoted at serviceability (today + its estimated days, IST), or None."""
    quote = next((c for c in entry.courier_ranking if c.get("courier_company_id") == entry.courier_id), None)
    days = quote.get("estimated_delivery_days") if quote else None
    if not isinstance(days, int) or days < 0:
        return None
    return (now.astimezone(IST).date() + timedelta(days=days)).isoformat()


def _point(plan: ParcelPlan) -> PickupPoint:
    return PickupPoint(plan.pickup_location, plan.pickup_postcode)


def _refusal_record(refusal: AwbRefused, courier: dict[str, object] | None = None) -> dict[str, object]:
    name = refusal.courier_name or (str(courier["courier_name"]) if courier else "")
    return {"courier_id": refusal.courier_id, "courier_name": name, "reason": refusal.reason}
