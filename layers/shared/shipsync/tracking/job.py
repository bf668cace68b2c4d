"""Shipment status: Shiprocket tracking events move the ledger and Zoho forward, never back.

One event (from the webhook via StatusQueue, or from the tracking poll) goes through:

    AWB -> ledger (one GetItem; unknown AWBs are other channels' shipments: counted, ignored)
    -> dedupe on (AWB, status id, event time) -> status machine (forward only, by rank and time)
    -> when the mapped status changed: Zoho writes, then the follow-up (page ops, hand an RTO to
       rto-restock, hand a cancellation to order-confirmed, apply the seller's NDR rule), then the ledger.

Zoho and the follow-ups run before the ledger records the new status, so a failure retries
the whole event: a repeated page or RTO hand-off can happen, a lost one cannot (rto-restock
is exactly-once per AWB on its own). The event is recorded as seen only after the ledger writes
that follow the new status (sales order status, leaving the tracking poll): a retry after one of
them failed finds the status already applied, so it finishes those writes without writing Zoho
or following up again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal, Protocol, Unpack

from aws_lambda_powertools import Logger

from shipsync.domain.india import IST
from shipsync.domain.statuses import ShipmentStatus
from shipsync.errors import PermanentError
from shipsync.ledger.records import AwbChanges, AwbRecord, OrderChanges, OrderRecord
from shipsync.orders.messages import OrderMessage
from shipsync.policy.outcomes import Failure
from shipsync.ports import Alerts, MetricsSink, ShiprocketTrackingApi, ZohoStatusApi
from shipsync.returns.messages import RestockMessage
from shipsync.tracking.events import TrackingEvent, advance, events_from_tracking, is_terminal, needs_ops
from shipsync.tracking.messages import StatusMessage

logger = Logger(child=True)

NDR_ACTION_WINDOW = timedelta(hours=24)
SEEN_EVENTS_KEPT = 50
RTO_STATUSES = frozenset({ShipmentStatus.RTO_INITIATED, ShipmentStatus.RTO_IN_TRANSIT, ShipmentStatus.RTO_DELIVERED})
RULE_REATTEMPT_THEN_RETURN = "re-attempt-then-return"
# cf_shipment_status of an order shipped as parcels, some delivered and some not yet.
PARTLY_DELIVERED = "Partially Delivered"


class StatusLedger(Protocol):
    """The ledger operations shipment-status needs (``ledger.dynamo.DynamoLedger``)."""

    def find_by_awb(self, awb: str) -> AwbRecord | None: ...

    def update_awb(self, awb: str, **changes: Unpack[AwbChanges]) -> None: ...

    def close_tracking(self, awb: str) -> None: ...

    def quiet_shipments(self, last_event_before: str, limit: int = 200) -> list[AwbRecord]: ...

    def update(self, salesorder_id: str, **changes: Unpack[OrderChanges]) -> None: ...

    def get(self, salesorder_id: str) -> OrderRecord | None: ...


# Statuses no one acts on before the next (issue 16): their Zoho write may wait for the next one, within the
# job's ``coalesce`` window. Everything else (Delivered, NDR, RTO initiated or delivered, Lost, Cancelled...) is
# written at once, with whatever waited.
COALESCED = frozenset(
    {
        ShipmentStatus.PICKED_UP,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.RTO_IN_TRANSIT,
    }
)


@dataclass(frozen=True)
class StatusOutcome:
    awb: str
    result: str  # "unknown awb" | "duplicate" | "unchanged: <why>" | "advanced"
    status: str | None = None


@dataclass
class ShipmentStatusJob:
    zoho: ZohoStatusApi
    shiprocket: ShiprocketTrackingApi
    ledger: StatusLedger
    alerts: Alerts
    metrics: MetricsSink
    hand_to_restock: Callable[[RestockMessage], object]
    # A shipment Shiprocket cancelled: order-confirmed deletes the Zoho shipment order and package (orders.cancel).
    hand_to_orders: Callable[[OrderMessage], object]
    # Puts a (webhook-shaped) event on the StatusQueue: the poll goes through the same per-AWB
    # serialised path as the webhooks instead of racing them.
    requeue: Callable[[StatusMessage], object]
    ndr_rule: str = ""
    ndr_max_reattempts: int = 1
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # How long an intermediate status may wait to be written to Zoho (0: at once); see ``COALESCED``.
    coalesce: timedelta = timedelta(0)
    # Zoho's calls left today and the reserve under which a due write waits (it is work that can).
    zoho_calls_left: Callable[[], int | None] = lambda: None
    zoho_reserve: int = 0

    # ------------------------------------------------------------------ one event
    def attempt(self, message: StatusMessage) -> ApplyEvent:
        return ApplyEvent(self, message.event)

    def handle(self, event: TrackingEvent) -> StatusOutcome:
        shipment = self.ledger.find_by_awb(event.awb)
        if shipment is None:
            logger.info("event for an AWB we did not ship: ignored", extra={"awb": event.awb})
            self.metrics.count("UnknownAwb")
            return StatusOutcome(event.awb, "unknown awb")
        seen = list(shipment.seen_events)
        key = event.dedupe_key()
        if key in seen:
            return StatusOutcome(event.awb, "duplicate", shipment.status)
        if event.status is ShipmentStatus.UNKNOWN:
            logger.warning(
                "unknown shipment_status_id: kept, not applied",
                extra={"awb": event.awb, "shipment_status_id": event.shipment_status_id},
            )
            self.metrics.count("UnknownStatus")

        current = ShipmentStatus(shipment.status) if shipment.status else None
        current_time = datetime.fromisoformat(shipment.status_time) if shipment.status_time else None
        transition = advance(current, current_time, event)
        seen = [*seen, key][-SEEN_EVENTS_KEPT:]
        is_return = shipment.is_return or event.is_return
        if not transition.changed:
            if current is not None and _applied_last(shipment, event):
                outcome = self._finish(
                    event, shipment, current, is_return, seen, zoho_waits=bool(shipment.zoho_pending)
                )
                logger.info("status applied earlier: its ledger writes finished", extra={"awb": event.awb})
                return outcome
            self.ledger.update_awb(event.awb, seen_events=seen, last_event_at=_iso(self.clock()))
            return StatusOutcome(event.awb, f"unchanged: {transition.reason}", shipment.status)

        new = transition.new
        zoho_text = f"Return {new.value}" if is_return else self._order_status_text(new, shipment)
        fields = {"cf_shipment_status": zoho_text}
        # The courier's new promise rides on the status write: no call of its own.
        etd = event.expected_delivery if not is_return else None
        if etd and etd != shipment.expected_delivery:
            fields["cf_expected_delivery"] = etd
        changes: AwbChanges = {
            "status": new.value,
            "status_time": _iso(event.event_time),
            "last_event_at": _iso(self.clock()),
            "transitions": [*shipment.transitions, _transition_record(transition, event, self.clock())],
        }
        # Zoho's day at its reserve: a status write is work that can wait (the reserve is for confirmations,
        # payments, restocks and cancellations), so it waits in the ledger for the tracking poll's flush. What
        # someone acts on still happens now: the pages, the NDR action, the restock and cancel hand-offs.
        day_short = self._zoho_day_short()
        if is_return:
            self._supersede_forward_status(shipment)
        back_home = new is ShipmentStatus.RTO_DELIVERED or (new is ShipmentStatus.DELIVERED and is_return)
        if day_short and back_home:
            # The restock it hands off (essential: it goes on) writes "Returned" over it: a waiting write would
            # land after that one and take the order backwards.
            changes |= {"zoho_pending": None, "zoho_due_at": None}
            self.metrics.count("StatusWritesDeferred")
        elif day_short or (self.coalesce and new in COALESCED):
            # Nobody acts on it before the next one: it waits (with what waited before it) for the next milestone
            # or, past the window, the tracking poll's flush.
            # What would have been written at once is due at once; an intermediate status keeps its window.
            due = _iso(self.clock() + (self.coalesce if new in COALESCED else timedelta(0)))
            changes["zoho_pending"] = {**(shipment.zoho_pending or {}), **fields}
            changes["zoho_due_at"] = min(shipment.zoho_due_at or due, due)
            if day_short:
                self.metrics.count("StatusWritesDeferred")
        else:
            self.zoho.update_salesorder_custom_fields(
                shipment.salesorder_id, {**(shipment.zoho_pending or {}), **fields}
            )
            if shipment.zoho_pending is not None:
                changes |= {"zoho_pending": None, "zoho_due_at": None}
        if "cf_expected_delivery" in fields:
            changes["expected_delivery"] = fields["cf_expected_delivery"]
        if new is ShipmentStatus.DELIVERED and not is_return:
            if day_short:
                changes["zoho_delivered_pending"] = _iso(event.event_time)
            else:
                self._mark_zoho_delivered(shipment, event.event_time)
            if (shipment.payment_method or "").upper() == "COD":
                # Cash collected: the order now waits for Shiprocket's remittance (cod-remittance).
                changes |= {"cod_open": "1", "delivered_at": _iso(event.event_time)}
        changes |= self._follow_up(new, transition.previous, shipment, event, is_return)
        self.ledger.update_awb(event.awb, **changes)
        outcome = self._finish(event, shipment, new, is_return, seen, zoho_waits=day_short and not back_home)
        logger.info("status advanced", extra={"awb": event.awb, "from": transition.previous, "to": new.value})
        return outcome

    def _finish(
        self,
        event: TrackingEvent,
        shipment: AwbRecord,
        status: ShipmentStatus,
        is_return: bool,
        seen: list[str],
        *,
        zoho_waits: bool = False,
    ) -> StatusOutcome:
        """The ledger writes that follow a recorded status, then the event as seen (see the module doc). A terminal
        status whose Zoho write waits keeps the shipment in the poll's index until the flush writes it."""
        if not is_return:
            self.ledger.update(shipment.job_id, shipment_status=status.value)
        if is_terminal(status) and not zoho_waits:
            self.ledger.close_tracking(event.awb)
        self.ledger.update_awb(event.awb, seen_events=seen)
        self.metrics.count("StatusAdvanced")
        return StatusOutcome(event.awb, "advanced", status.value)

    def _order_status_text(self, status: ShipmentStatus, shipment: AwbRecord) -> str:
        """What the sales order shows: the parcel's status, except that an order shipped as several parcels is
        Delivered only once every parcel is (until then, "Partially Delivered")."""
        if status is not ShipmentStatus.DELIVERED or not shipment.parcel:
            return status.value
        # Its own delivery recorded before the others are read: of two parcels delivered at once, the one read
        # last sees both, so the order cannot stay "Partially Delivered".
        self.ledger.update(shipment.job_id, shipment_status=status.value)
        order = self.ledger.get(shipment.salesorder_id)
        others = [job_id for job_id in (order.parcel_job_ids() if order else []) if job_id != shipment.job_id]
        siblings = [self.ledger.get(job_id) for job_id in others]
        if all(s is not None and s.shipment_status == ShipmentStatus.DELIVERED for s in siblings):
            return status.value
        return PARTLY_DELIVERED

    def _supersede_forward_status(self, shipment: AwbRecord) -> None:
        """A return's status is written to the sales order's same field: a forward status still waiting (held at
        Zoho's reserve) would land after it and take the order backwards. Its delivery mark still waits."""
        order = self.ledger.get(shipment.job_id)
        forward_awb = order.awb if order is not None else None
        if not forward_awb or forward_awb == shipment.awb:
            return
        forward = self.ledger.find_by_awb(forward_awb)
        if forward is None or not forward.zoho_pending or "cf_shipment_status" not in forward.zoho_pending:
            return
        rest = {k: v for k, v in forward.zoho_pending.items() if k != "cf_shipment_status"}
        still_due = forward.zoho_due_at if rest or forward.zoho_delivered_pending else None
        self.ledger.update_awb(forward_awb, zoho_pending=rest or None, zoho_due_at=still_due)

    def _zoho_day_short(self) -> bool:
        left = self.zoho_calls_left()
        return left is not None and left < self.zoho_reserve

    def _mark_zoho_delivered(self, shipment: AwbRecord, delivered_at: datetime) -> None:
        entry = self.ledger.get(shipment.job_id)
        zoho_shipment_id = entry.zoho_shipment_id if entry is not None else None
        if not zoho_shipment_id:
            logger.warning("no Zoho shipment recorded for this order: delivery not marked in Zoho")
            return
        delivered = delivered_at.astimezone(IST).strftime("%Y-%m-%d %H:%M")
        self.zoho.mark_shipment_delivered(zoho_shipment_id, delivered)

    def _follow_up(
        self,
        status: ShipmentStatus,
        previous: ShipmentStatus | None,
        shipment: AwbRecord,
        event: TrackingEvent,
        is_return: bool,
    ) -> AwbChanges:
        """Pages, hand-offs and NDR actions for the new status; returns ledger fields to record."""
        number = shipment.salesorder_number or "?"
        courier = event.courier_name or shipment.courier_name or "?"
        if status is ShipmentStatus.DELIVERED and is_return:
            self.hand_to_restock(_restock_message("customer_return", shipment, event))
            return {}
        # Ops hear about an RTO once, when the shipment first turns back, whichever RTO status
        # arrives first: webhooks come out of order, and a late "RTO initiated" changes nothing.
        if status in RTO_STATUSES and previous not in RTO_STATUSES:
            self._page_rto(status, shipment, event, number, courier)
        if status is ShipmentStatus.RTO_DELIVERED:
            self.hand_to_restock(_restock_message("rto", shipment, event))
            return {}
        if status is ShipmentStatus.CANCELLED and not is_return:
            self.hand_to_orders(
                OrderMessage(
                    salesorder_id=shipment.salesorder_id, salesorder_number=number, source="tracking", intent="reverse"
                )
            )
            return {}
        need = needs_ops(status)
        if need == "rto_initiated":
            return {}  # paged above
        if need == "lost_or_damaged":
            self.metrics.count("ShipmentLost")
            value = shipment.order_value
            self.alerts.page(
                f"{status.value}: {number}, raise a courier claim",
                f"Courier {courier} reports shipment {event.awb} of {number} as {status.value}. "
                f"Order value: {value if value is not None else 'see Zoho'}. Raise a claim with the courier.",
                kind="ShipmentLost",
                correlation_id=number,
            )
        elif need == "ndr":
            return self._ndr(shipment, event, number, courier)
        return {}

    def _page_rto(
        self, status: ShipmentStatus, shipment: AwbRecord, event: TrackingEvent, number: str, courier: str
    ) -> None:
        self.metrics.count("RtoInitiated")
        self.alerts.page(
            f"RTO initiated: {number}",
            f"Shipment {event.awb} of {number} ({courier}, to {shipment.delivery_city or 'unknown city'}, "
            f"{shipment.payment_method or 'payment unknown'}) is returning to origin (now: {status.value}). "
            f"Last location: {event.location or 'unknown'}. Reason: {event.reason or 'not given'}. "
            f"{f'Last scan: {event.last_activity}. ' if event.last_activity else ''}"
            "It will be restocked when it reaches the warehouse.",
            kind="RtoInitiated",
            correlation_id=number,
        )

    def _ndr(self, shipment: AwbRecord, event: TrackingEvent, number: str, courier: str) -> AwbChanges:
        self.metrics.count("NdrRaised")
        attempts = shipment.ndr_count + 1
        deadline = (event.event_time + NDR_ACTION_WINDOW).astimezone(IST).strftime("%Y-%m-%d %H:%M IST")
        action = self._ndr_action(attempts)
        if action is not None:
            self.shiprocket.ndr_action(event.awb, action, f"shipsync NDR rule '{self.ndr_rule}', attempt {attempts}")
        taken = f"Applied the NDR rule: {action}." if action else "No NDR rule is set: act in the Shiprocket panel."
        self.alerts.page(
            f"Undelivered (NDR): {number}",
            f"Courier {courier} could not deliver {event.awb} of {number} (attempt {attempts}). "
            f"Reason: {event.reason or 'not given'}. Act before {deadline}. {taken}",
            kind="NdrRaised",
            correlation_id=number,
        )
        actions = [*shipment.ndr_actions]
        if action is not None:
            actions.append({"action": action, "attempt": attempts, "at": _iso(self.clock())})
        return {"ndr_count": attempts, "ndr_actions": actions}

    def _ndr_action(self, attempts: int) -> str | None:
        if self.ndr_rule != RULE_REATTEMPT_THEN_RETURN:
            return None
        return "re-attempt" if attempts <= self.ndr_max_reattempts else "return"

    # ------------------------------------------------------------------ tracking poll
    def flush_due(self, limit: int = 200) -> dict[str, int]:
        """Write to Zoho the statuses that waited (coalesced past their window, or held while Zoho's day was at its
        reserve) on the tracking poll's schedule, unless Zoho's day is still at its reserve: then they wait on."""
        now = self.clock()
        everything_open = _iso(now + timedelta(days=1))
        due = [
            s
            for s in self.ledger.quiet_shipments(everything_open, limit=2000)
            if (s.zoho_pending or s.zoho_delivered_pending) and s.zoho_due_at and s.zoho_due_at <= _iso(now)
        ][:limit]
        written = deferred = 0
        for shipment in due:
            if self._zoho_day_short():
                deferred = len(due) - written
                self.metrics.count("StatusWritesDeferred", deferred)
                break
            if shipment.zoho_pending:
                self.zoho.update_salesorder_custom_fields(shipment.salesorder_id, shipment.zoho_pending)
            if shipment.zoho_delivered_pending:
                self._mark_zoho_delivered(shipment, datetime.fromisoformat(shipment.zoho_delivered_pending))
            self.ledger.update_awb(shipment.awb, zoho_pending=None, zoho_due_at=None, zoho_delivered_pending=None)
            if shipment.status and is_terminal(ShipmentStatus(shipment.status)):
                self.ledger.close_tracking(shipment.awb)
            written += 1
        logger.info("coalesced statuses written", extra={"due": len(due), "written": written, "deferred": deferred})
        return {"due": len(due), "written": written, "deferred": deferred}

    def poll_quiet(self, quiet_for: timedelta, batch_size: int = 50) -> dict[str, int]:
        """Poll Shiprocket for tracked shipments with no event for ``quiet_for`` and queue what it
        returns as webhook-shaped events (known ones are dropped as duplicates by ``handle``)."""
        # Ledger times are to the second: "quiet for at least quiet_for" is a last event before the next second,
        # so a poll of everything (quiet_for 0, after an outage) includes a shipment whose event is this second's.
        cutoff = _iso(self.clock() - quiet_for + timedelta(seconds=1))
        quiet = self.ledger.quiet_shipments(cutoff)
        returns = {s.awb for s in quiet if s.is_return}
        polled = queued = 0
        for batch in _chunks([s.awb for s in quiet], batch_size):
            tracking = self.shiprocket.track_awbs(batch)
            polled += len(batch)
            for awb in batch:
                for event in events_from_tracking(awb, tracking.get(awb) or {}):
                    self.requeue(StatusMessage.of_event(event, is_return=awb in returns))
                    queued += 1
                self.ledger.update_awb(awb, last_event_at=_iso(self.clock()))
        logger.info("tracking poll", extra={"quiet": len(quiet), "polled": polled, "queued": queued})
        return {"quiet": len(quiet), "polled": polled, "queued": queued}


@dataclass
class ApplyEvent:
    """One attempt at one tracking event (``policy.outcomes.Attempt``)."""

    job: ShipmentStatusJob
    event: TrackingEvent

    @property
    def correlation_id(self) -> str:
        return self.event.awb

    def run(self) -> StatusOutcome:
        return self.job.handle(self.event)

    def give_up(self, err: PermanentError) -> Failure[StatusOutcome]:
        """The event is acknowledged unapplied (a re-post of it tries again): the sales order is marked
        'Tracking Failed' and ops are told which status did not reach Zoho."""
        event, job = self.event, self.job
        shipment = job.ledger.find_by_awb(event.awb)
        number = (shipment.salesorder_number if shipment else None) or "an order shipsync did not ship"
        salesorder_id = shipment.salesorder_id if shipment else None
        mark: Callable[[], None] | None = None
        if salesorder_id:
            fields = {"cf_shipment_status": ShipmentStatus.TRACKING_FAILED}
            mark = partial(job.zoho.update_salesorder_custom_fields, str(salesorder_id), fields)
        return Failure(
            outcome=StatusOutcome(event.awb, f"failed: {err}", shipment.status if shipment else None),
            metric="TrackingFailed",
            subject=f"Tracking not recorded: {number} (AWB {event.awb})",
            message=f"Shipment {event.awb} of {number} reported '{event.status.value}' "
            f"(shipment_status_id {event.shipment_status_id}) at {_iso(event.event_time)}, and shipsync could not "
            f"record it: {err}. "
            + (f"The sales order is marked '{ShipmentStatus.TRACKING_FAILED}' in Zoho. " if salesorder_id else "")
            + "Check the shipment in the Shiprocket panel and set its status in Zoho by hand.",
            correlation_id=number,
            mark=mark,
        )


def _restock_message(
    kind: Literal["rto", "customer_return"], shipment: AwbRecord, event: TrackingEvent
) -> RestockMessage:
    return RestockMessage(
        kind=kind,
        awb=event.awb,
        salesorder_id=shipment.salesorder_id,
        salesorder_number=shipment.salesorder_number or "",
        event_time=_iso(event.event_time),
    )


def _applied_last(shipment: AwbRecord, event: TrackingEvent) -> bool:
    """The shipment's last recorded transition came from this (still unseen) event."""
    transitions = shipment.transitions
    if not transitions:
        return False
    last = transitions[-1]
    return bool(
        last.get("shipment_status_id") == event.shipment_status_id and last.get("event_time") == _iso(event.event_time)
    )


def _transition_record(transition: Any, event: TrackingEvent, now: datetime) -> dict[str, Any]:
    previous = transition.previous.value if transition.previous is not None else None
    return {
        "from": previous,
        "to": transition.new.value,
        "shipment_status_id": event.shipment_status_id,
        "event_time": _iso(event.event_time),
        "recorded_at": _iso(now),
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
