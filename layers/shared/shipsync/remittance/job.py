"""COD remittance: each remitted order becomes one Zoho Books payment, exactly once.

A batch (posted JSON, panel CSV) is checked for balance, then fanned out: one RemittanceQueue
message per order (FIFO, grouped by AWB, so two sources describing the same order are handled
one after the other). Per order:

    AWB -> ledger (delivered COD order shipped by us?) -> sales order -> invoice
    -> a payment with this remittance id and key already in Zoho? -> only book missing deductions
    -> payment for the gross COD (deductions as bank charges, or an expense) -> cf_cod_remittance_id
    -> ledger marks the order remitted

A payment made from the poll carries no deductions (``orders/show`` has none); when the same
remittance is later posted or uploaded, its deductions are added to that payment (bank charges
set on it, or the expense created), once: Zoho is read before each write.

A line for a COD shipment the ledger has not seen delivered is not refused: its delivered webhook
may be lost or late (docs/providers/shiprocket.md §7). Shiprocket's tracking is asked (one call):

    delivered there -> the events go through the normal status path (StatusQueue: Zoho status,
                       delivered shipment order), and the line retries once that is recorded
    still on its way -> the line waits in the ledger; the scheduled poll asks again, with back-off,
                       for ``delivery_wait`` (3 days), then pages ops
    RTO, lost, cancelled -> refused

Anything else that must not be paid (prepaid, an unknown AWB, overpayment, no invoice) is
refused: no payment, one page to ops, no retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, Protocol, Unpack

from aws_lambda_powertools import Logger

from shipsync.domain.models import ZOHO_REFERENCE_MAX
from shipsync.domain.statuses import ShipmentStatus
from shipsync.errors import (
    NamedRecordMissing,
    PermanentError,
    RecordMissing,
    TokenRejected,
    TransientError,
)
from shipsync.ledger.records import AwbChanges, AwbRecord, OrderRecord, RemittanceHeader
from shipsync.policy.outcomes import Attempt, Failure
from shipsync.ports import Alerts, MetricsSink, ShiprocketRemittanceApi, ZohoPaymentsApi
from shipsync.remittance.aging import aging, describe_aging
from shipsync.remittance.balance import check_balance, describe_mismatch
from shipsync.remittance.batches import PolledRemittance, RemittanceBatch, RemittanceLine, batches_from_poll
from shipsync.remittance.messages import BatchMessage, LineMessage, RemittanceMessage
from shipsync.remittance.money import format_inr, parse_paise, rupees
from shipsync.remittance.payment_plan import PaymentRefused, charges_still_to_book, payment_plan, remittance_key
from shipsync.tracking.events import events_from_tracking
from shipsync.tracking.messages import StatusMessage

logger = Logger(child=True)

REMIT_KEY_FIELD = "cf_remit_key"
DEFAULT_DELIVERY_WAIT = timedelta(days=3)
# A waiting line is asked about again after 1 h, 2 h, 4 h... at most a day apart (the poll runs every 6 h).
FIRST_RECHECK = timedelta(hours=1)
LONGEST_RECHECK = timedelta(days=1)
# After these no COD was, or will be, collected: a remittance line for them is refused outright.
NO_COD_STATUSES = frozenset(
    {
        ShipmentStatus.RTO_INITIATED,
        ShipmentStatus.RTO_IN_TRANSIT,
        ShipmentStatus.RTO_DELIVERED,
        ShipmentStatus.LOST,
        ShipmentStatus.DAMAGED,
        ShipmentStatus.CANCELLED,
    }
)


class DeliveryBeingRecorded(TransientError):
    """Shiprocket shows the shipment delivered but our ledger does not (a lost webhook): the delivery was put on
    the status path, and the remittance line retries once it is recorded."""


class RemittanceLedger(Protocol):
    """The ledger operations cod-remittance needs (``ledger.dynamo.DynamoLedger``)."""

    def find_by_awb(self, awb: str) -> AwbRecord | None: ...

    def find_salesorder_id(self, salesorder_number: str) -> str | None: ...

    def get(self, salesorder_id: str) -> OrderRecord | None: ...

    def update_awb(self, awb: str, **changes: Unpack[AwbChanges]) -> None: ...

    def record_remittance(self, header: RemittanceHeader) -> None: ...

    def unremitted_cod(self, limit: int = 500) -> list[AwbRecord]: ...

    def mark_remitted(self, awb: str, **changes: Unpack[AwbChanges]) -> None: ...

    def park_remittance(self, awb: str, *, next_check: str, pending: dict[str, Any]) -> None: ...

    def waiting_remittances(self, due_before: str, limit: int = 500) -> list[AwbRecord]: ...

    def close_waiting(self, awb: str) -> None: ...


@dataclass(frozen=True)
class PaymentOutcome:
    awb: str
    result: Literal["paid", "charges booked", "duplicate", "refused", "waiting"]
    detail: str = ""
    payment_id: str | None = None


@dataclass
class RemittanceJob:
    zoho: ZohoPaymentsApi
    ledger: RemittanceLedger
    alerts: Alerts
    metrics: MetricsSink
    fan_out: Callable[[LineMessage], object]
    shiprocket: ShiprocketRemittanceApi
    # Puts a webhook-shaped tracking event on the StatusQueue (the normal, per-AWB serialised status path).
    record_delivery: Callable[[StatusMessage], object]
    delivery_wait: timedelta = DEFAULT_DELIVERY_WAIT
    charges_mode: Literal["bank_charges", "expense"] = "bank_charges"
    deposit_account_id: str = ""
    charges_expense_account_id: str = ""
    create_missing_invoices: bool = False
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def attempt(self, message: RemittanceMessage) -> Attempt[Any]:
        if isinstance(message.root, BatchMessage):
            return AcceptBatch(self, message.root)
        return PayLine(self, message.root)

    # ------------------------------------------------------------------ a batch
    def accept_batch(self, batch: RemittanceBatch) -> dict[str, Any]:
        """Balance check (page on a mismatch), keep the header, one message per order."""
        result = check_balance(batch)
        if batch.balance_known and not result.balanced:
            self.metrics.count("RemittanceMismatch")
            self.alerts.page(
                f"Remittance {batch.remittance_id} does not balance",
                describe_mismatch(batch, result),
                kind="RemittanceMismatch",
                correlation_id=batch.remittance_id,
            )
        self.ledger.record_remittance(
            RemittanceHeader(
                remittance_id=batch.remittance_id,
                remittance_date=batch.remittance_date.isoformat(),
                source=batch.source,
                bank_transfer_paise=batch.bank_transfer_amount,
                expected_paise=result.expected_paise,
                balanced=result.balanced,
                balance_known=batch.balance_known,
                awbs=[line.awb for line in batch.orders],
                received_at=self.clock().isoformat(timespec="seconds"),
            )
        )
        for line in batch.orders:
            self.fan_out(
                LineMessage(remittance_id=batch.remittance_id, remittance_date=batch.remittance_date, line=line)
            )
        logger.info(
            "remittance batch accepted",
            extra={"remittance_id": batch.remittance_id, "orders": len(batch.orders), "balanced": result.balanced},
        )
        return {"remittance_id": batch.remittance_id, "orders": len(batch.orders), "balanced": result.balanced}

    # ------------------------------------------------------------------ one order
    def pay(self, remittance_id: str, remittance_date: date, line: RemittanceLine) -> PaymentOutcome:
        shipment = self._shipment(line)
        if shipment is None:
            return self._refuse(line, remittance_id, None, "not an order shipsync shipped (unknown AWB and order id)")
        awb = shipment.awb
        if shipment.remitted_utr and shipment.remitted_utr != remittance_id:
            return self._refuse(line, remittance_id, shipment, f"already remitted in {shipment.remitted_utr}")
        if shipment.remitted_utr == remittance_id and shipment.payment_id:
            return self._complete(line, remittance_id, remittance_date, shipment)
        if (shipment.payment_method or "").upper() != "COD":
            return self._refuse(line, remittance_id, shipment, "a prepaid order: no COD was collected")
        if shipment.status != ShipmentStatus.DELIVERED:
            return self._until_delivered(remittance_id, remittance_date, line, shipment)
        if shipment.remit_waiting:
            self.ledger.close_waiting(awb)

        salesorder_id = shipment.salesorder_id
        try:
            so = self.zoho.get_salesorder(salesorder_id)
        except RecordMissing as err:
            raise NamedRecordMissing("sales order", shipment.salesorder_number or salesorder_id, err) from err
        invoice_id = next((i.invoice_id for i in so.invoices if (i.status or "").lower() != "void"), None)
        if invoice_id is None:
            if not self.create_missing_invoices:
                return self._refuse(line, remittance_id, shipment, "the sales order has no invoice to pay")
            invoice_id = self.zoho.create_invoice_from_salesorder(salesorder_id)
        try:
            invoice = self.zoho.get_invoice(invoice_id)
        except RecordMissing as err:
            raise NamedRecordMissing("invoice", invoice_id, err) from err
        key = remittance_key(remittance_id, awb)
        if self.charges_mode == "expense" and line.deducted_charges and len(key) > ZOHO_REFERENCE_MAX:
            reason = f"'{key}' is too long to reference the deductions' expense (Zoho allows {ZOHO_REFERENCE_MAX})"
            return self._refuse(line, remittance_id, shipment, reason)
        # Only an attempt that reached the write may have paid without the ledger hearing of it: the others skip
        # the look-up (a payment made by hand shows in the invoice's balance, which the plan checks).
        existing = (
            self._existing_payment(remittance_id, shipment, invoice.invoice_number)
            if shipment.payment_attempt
            else None
        )
        if existing is not None:
            # A payment made by an attempt that died before the ledger write: record it, do not repeat.
            self.ledger.update_awb(awb, payment_id=existing, remitted_utr=remittance_id)
            return self._complete(
                line, remittance_id, remittance_date, shipment.model_copy(update={"payment_id": existing})
            )
        try:
            plan = payment_plan(
                line,
                parse_paise(invoice.balance),
                remittance_id=remittance_id,
                charges_mode=self.charges_mode,
            )
        except PaymentRefused as refusal:
            return self._refuse(line, remittance_id, shipment, refusal.reason)
        self.ledger.update_awb(awb, payment_attempt=f"{remittance_id}@{self.clock().isoformat(timespec='seconds')}")
        payment = self.zoho.create_customer_payment(
            customer_id=so.customer_id or "",
            invoice_id=invoice_id,
            amount=rupees(plan.amount_paise),
            date=remittance_date.isoformat(),
            reference_number=plan.reference_number,
            description=f"Shiprocket COD remittance {remittance_id}, AWB {awb}, {so.salesorder_number}",
            bank_charges=rupees(plan.bank_charges_paise),
            account_id=self.deposit_account_id or None,
            custom_fields={REMIT_KEY_FIELD: key},
        )
        # charges_paise: the deductions known to be booked in Zoho (here, those the payment carries).
        self.ledger.update_awb(
            awb, payment_id=payment.payment_id, remitted_utr=remittance_id, charges_paise=plan.bank_charges_paise
        )
        if plan.expense_paise:
            # Nothing to look up: an earlier attempt that got this far would have left its payment to be found.
            self._create_expense(awb, remittance_id, remittance_date, str(so.salesorder_number), plan.expense_paise)
        self._mark_remitted(
            awb, salesorder_id, remittance_id, remittance_date, payment.payment_id, charges_paise=line.deducted_charges
        )
        self.metrics.count("CodRemitted")
        logger.info(
            "COD remittance paid",
            extra={"awb": awb, "amount": format_inr(plan.amount_paise), "charges": format_inr(line.deducted_charges)},
        )
        return PaymentOutcome(awb, "paid", payment_id=payment.payment_id)

    def _complete(
        self, line: RemittanceLine, remittance_id: str, remittance_date: date, shipment: AwbRecord
    ) -> PaymentOutcome:
        """The order's payment for this remittance exists: book the deductions it still lacks (a payment made
        from the poll has none) and finish what a crash may have left undone. Never a second payment."""
        assert shipment.payment_id is not None, "only a shipment with its payment recorded is completed"
        awb, payment_id = shipment.awb, shipment.payment_id
        booked = shipment.charges_paise
        try:
            missing = charges_still_to_book(line, booked, remittance_id=remittance_id)
            added = missing > 0 and self._book_charges(line, remittance_id, remittance_date, shipment, payment_id)
        except PaymentRefused as refusal:
            return self._refuse(
                line, remittance_id, shipment, refusal.reason, consequence="the existing payment was left as it is"
            )
        if not shipment.remitted_at:
            self._mark_remitted(
                awb,
                shipment.salesorder_id,
                remittance_id,
                remittance_date,
                payment_id,
                charges_paise=booked + missing,
            )
        elif missing:
            self.ledger.update_awb(awb, charges_paise=booked + missing)
        if added:
            self.metrics.count("CodChargesBooked")
            logger.info("deductions booked on an existing payment", extra={"awb": awb, "charges": format_inr(missing)})
            return PaymentOutcome(awb, "charges booked", f"{format_inr(missing)} deductions added", payment_id)
        return PaymentOutcome(awb, "duplicate", "already paid from this remittance", payment_id)

    def _book_charges(
        self,
        line: RemittanceLine,
        remittance_id: str,
        remittance_date: date,
        shipment: AwbRecord,
        payment_id: str,
    ) -> bool:
        """Books ``line``'s deductions for a payment that exists, reading Zoho first so a repeat adds nothing.
        True when something was written."""
        awb = shipment.awb
        if self.charges_mode == "expense":
            number = str(shipment.salesorder_number or line.order_id or "?")
            return self._book_expense(awb, remittance_id, remittance_date, number, line.deducted_charges)
        payment = self.zoho.get_customer_payment(payment_id)
        if not charges_still_to_book(line, parse_paise(str(payment.bank_charges)), remittance_id=remittance_id):
            return False
        self.zoho.set_payment_bank_charges(payment, rupees(line.deducted_charges))
        return True

    def _book_expense(
        self, awb: str, remittance_id: str, remittance_date: date, salesorder_number: str, amount_paise: int
    ) -> bool:
        """One expense per remitted order, found again by its reference (UTR:AWB) before any create.
        True when it was created now."""
        if self.zoho.find_expenses_by_reference(remittance_key(remittance_id, awb)):
            return False
        self._create_expense(awb, remittance_id, remittance_date, salesorder_number, amount_paise)
        return True

    def _create_expense(
        self, awb: str, remittance_id: str, remittance_date: date, salesorder_number: str, amount_paise: int
    ) -> None:
        self.zoho.create_expense(
            account_id=self.charges_expense_account_id,
            paid_through_account_id=self.deposit_account_id,
            amount=rupees(amount_paise),
            date=remittance_date.isoformat(),
            reference_number=remittance_key(remittance_id, awb),
            description=f"Shiprocket deductions (freight, COD fee), remittance {remittance_id}, AWB {awb}, "
            f"{salesorder_number}",
        )

    # ------------------------------------------------------------------ remitted before it was seen delivered
    def _until_delivered(
        self, remittance_id: str, remittance_date: date, line: RemittanceLine, shipment: AwbRecord
    ) -> PaymentOutcome:
        """A remitted COD shipment the ledger has not seen delivered: refused only when it cannot have collected
        cash; delivered at Shiprocket, its delivery is recorded first (raises ``DeliveryBeingRecorded``); still on
        its way, the line waits (see the module doc)."""
        awb = shipment.awb
        known = shipment.status
        if shipment.is_return or known in NO_COD_STATUSES:
            return self._refuse(line, remittance_id, shipment, f"shipment is '{known}': no COD collected")
        events = events_from_tracking(awb, self.shiprocket.track_awbs([awb]).get(awb) or {})
        now_at_shiprocket = events[-1].status if events else None
        if now_at_shiprocket is ShipmentStatus.DELIVERED:
            for event in events:
                self.record_delivery(StatusMessage.of_event(event, is_return=False))
            self.metrics.count("DeliveryFoundByRemittance")
            logger.warning("delivered at Shiprocket but not in the ledger: recording it first", extra={"awb": awb})
            raise DeliveryBeingRecorded(f"{awb}: delivered at Shiprocket; the payment follows its recorded delivery")
        if now_at_shiprocket in NO_COD_STATUSES:
            reason = f"shipment is '{now_at_shiprocket}' at Shiprocket: no COD collected"
            return self._refuse(line, remittance_id, shipment, reason)
        return self._wait(remittance_id, remittance_date, line, shipment, now_at_shiprocket or known)

    def _wait(
        self,
        remittance_id: str,
        remittance_date: date,
        line: RemittanceLine,
        shipment: AwbRecord,
        status: str | None,
    ) -> PaymentOutcome:
        awb, now = shipment.awb, self.clock()
        pending = shipment.remit_pending or {}
        same = pending.get("remittance_id") == remittance_id
        since = datetime.fromisoformat(pending["since"]) if same else now
        checks = int(pending.get("checks") or 0) + 1 if same else 1
        shown = status or "no scans yet"
        if now - since >= self.delivery_wait:
            self.ledger.close_waiting(awb)
            hours = int(self.delivery_wait.total_seconds() // 3600)
            reason = f"still not delivered {hours} h after the remittance arrived (Shiprocket: '{shown}')"
            return self._refuse(line, remittance_id, shipment, reason)
        next_check = now + min(FIRST_RECHECK * 2 ** (checks - 1), LONGEST_RECHECK)
        self.ledger.park_remittance(
            awb,
            next_check=next_check.isoformat(timespec="seconds"),
            pending={
                "remittance_id": remittance_id,
                "remittance_date": remittance_date.isoformat(),
                "line": line.model_dump(mode="json"),
                "since": since.isoformat(timespec="seconds"),
                "checks": checks,
            },
        )
        self.metrics.count("RemittanceAwaitingDelivery")
        logger.warning(
            "remitted but not delivered yet: the line waits", extra={"awb": awb, "status": shown, "checks": checks}
        )
        return PaymentOutcome(awb, "waiting", f"'{shown}' at Shiprocket; asked again after {next_check:%Y-%m-%d %H:%M}")

    def _recheck_waiting(self) -> int:
        """Send the waiting lines that are due back to the queue: the worker asks Shiprocket again."""
        due = self.ledger.waiting_remittances(self.clock().isoformat(timespec="seconds"))
        for shipment in due:
            pending = shipment.remit_pending
            assert pending is not None, "park_remittance writes the line with the flag that indexes it"
            self.fan_out(
                LineMessage(
                    remittance_id=pending["remittance_id"],
                    remittance_date=date.fromisoformat(pending["remittance_date"]),
                    line=RemittanceLine.model_validate(pending["line"]),
                )
            )
        return len(due)

    # ------------------------------------------------------------------ the scheduled run
    def poll(self, *, aging_days: int) -> dict[str, int]:
        """Shiprocket has no remittance API: ask ``orders/show`` about each delivered COD order
        still open, treat the ones now carrying a UTR as batches (one per UTR), then report the
        ones delivered more than ``aging_days`` ago and still unremitted. Lines waiting for their
        delivery are sent back to the queue when due. An order whose answer a transient fault loses is left for
        the next poll (``unread``); a 401 ends the run."""
        rechecked = self._recheck_waiting()
        open_orders = self.ledger.unremitted_cod()
        polled: list[PolledRemittance] = []
        unread: list[str] = []
        for shipment in open_orders:
            if not shipment.sr_order_id:
                continue
            try:
                details = self.shiprocket.get_order(int(shipment.sr_order_id))
            except TokenRejected:
                # Every later call would meet the same: the run stops and the policy asks for a new token.
                raise
            except TransientError as err:
                # One order's answer lost to a blip (a 5xx, a timeout, a 429) must not cost the whole run: the others
                # are read, this one is asked again by the next poll (it is still unremitted in the ledger).
                logger.warning("remittance poll: order not read", extra={"awb": shipment.awb, "error": str(err)})
                unread.append(shipment.awb)
                continue
            if details.remittance_utr and details.remittance_date:
                polled.append(
                    PolledRemittance(
                        awb=shipment.awb,
                        order_id=shipment.salesorder_number,
                        cod_amount=parse_paise(str(details.cod_amount)),
                        remittance_utr=details.remittance_utr,
                        remittance_date=details.remittance_date,
                    )
                )
        batches = batches_from_poll(polled)
        for batch in batches:
            self.accept_batch(batch)
        remitted = {p.awb for p in polled}
        waiting = [
            (s.awb, str(s.salesorder_number or "?"), datetime.fromisoformat(s.delivered_at))
            for s in open_orders
            if s.delivered_at and s.awb not in remitted
        ]
        overdue = aging(waiting, self.clock(), days=aging_days)
        if overdue:
            self.metrics.count("UnremittedCod", len(overdue))
            self.alerts.page(
                f"{len(overdue)} COD order(s) delivered over {aging_days} days ago, not remitted",
                describe_aging(overdue, aging_days),
                kind="UnremittedCod",
            )
        if unread:
            self.metrics.count("RemittancePollUnread", len(unread))
        summary = {
            "open": len(open_orders),
            "unread": len(unread),
            "remitted": len(polled),
            "batches": len(batches),
            "overdue": len(overdue),
            "rechecked": rechecked,
        }
        logger.info("remittance poll", extra=summary)
        return summary

    # ------------------------------------------------------------------ helpers
    def _shipment(self, line: RemittanceLine) -> AwbRecord | None:
        shipment = self.ledger.find_by_awb(line.awb)
        if shipment is not None or not line.order_id:
            return shipment
        salesorder_id = self.ledger.find_salesorder_id(line.order_id)
        entry = self.ledger.get(salesorder_id) if salesorder_id else None
        return self.ledger.find_by_awb(entry.awb) if entry is not None and entry.awb else None

    def _existing_payment(self, remittance_id: str, shipment: AwbRecord, invoice_number: str | None) -> str | None:
        """This shipment's payment from this remittance, if an earlier attempt made it: the one carrying its key;
        one without a key that pays its invoice counts too, except that the parcels of one order share an
        invoice (orders.parcels), so for a parcel such a payment must also name its AWB."""
        key = remittance_key(remittance_id, shipment.awb)
        for payment in self.zoho.find_payments_by_reference(remittance_id):
            own_key = payment.custom_fields.get(REMIT_KEY_FIELD)
            if own_key:
                if own_key == key:
                    return payment.payment_id
                continue
            pays_invoice = bool(invoice_number) and invoice_number in payment.invoice_numbers
            if pays_invoice and (not shipment.parcel or f"AWB {shipment.awb}" in (payment.description or "")):
                return payment.payment_id
        return None

    def _mark_remitted(
        self,
        awb: str,
        salesorder_id: str,
        remittance_id: str,
        remittance_date: date,
        payment_id: str,
        *,
        charges_paise: int,
    ) -> None:
        self.zoho.update_salesorder_custom_fields(salesorder_id, {"cf_cod_remittance_id": remittance_id})
        self.ledger.mark_remitted(
            awb,
            remitted_utr=remittance_id,
            remittance_date=remittance_date.isoformat(),
            payment_id=payment_id,
            charges_paise=charges_paise,
            remitted_at=self.clock().isoformat(timespec="seconds"),
        )

    def _refuse(
        self,
        line: RemittanceLine,
        remittance_id: str,
        shipment: AwbRecord | None,
        reason: str,
        *,
        consequence: str = "no payment was made",
    ) -> PaymentOutcome:
        number = _order_number(line, shipment)
        logger.warning("remittance line refused", extra={"awb": line.awb, "reason": reason})
        self.metrics.count("PaymentRefused")
        subject, message = _refusal_page(line, remittance_id, number, reason, consequence)
        self.alerts.page(subject, message, kind="PaymentRefused", correlation_id=number)
        if shipment is not None:
            self.ledger.update_awb(shipment.awb, remittance_problem=f"{remittance_id}: {reason}")
        return PaymentOutcome(line.awb, "refused", reason)


@dataclass
class AcceptBatch:
    """One attempt at one remittance's header and fan-out (``policy.outcomes.Attempt``)."""

    job: RemittanceJob
    message: BatchMessage

    @property
    def correlation_id(self) -> str:
        return self.message.batch.remittance_id

    def run(self) -> dict[str, Any]:
        return self.job.accept_batch(self.message.batch)

    def give_up(self, err: PermanentError) -> Failure[dict[str, Any]]:
        batch = self.message.batch
        return Failure(
            outcome={"remittance_id": batch.remittance_id, "error": str(err)},
            metric="PaymentRefused",
            subject=f"COD remittance {batch.remittance_id} not taken in",
            message=f"Remittance {batch.remittance_id} ({len(batch.orders)} orders, {batch.source}) was not taken in: "
            f"{err}. No payment was made for any of its orders; post or upload it again once the cause is fixed.",
            correlation_id=batch.remittance_id,
        )


@dataclass
class PayLine:
    """One attempt at one remitted order's payment (``policy.outcomes.Attempt``)."""

    job: RemittanceJob
    message: LineMessage

    @property
    def correlation_id(self) -> str:
        return self.message.line.awb

    def run(self) -> PaymentOutcome:
        message = self.message
        return self.job.pay(message.remittance_id, message.remittance_date, message.line)

    def give_up(self, err: PermanentError) -> Failure[PaymentOutcome]:
        """Like a refusal, plus the sales order marked 'Remittance Failed' when shipsync shipped it."""
        job, line, remittance_id = self.job, self.message.line, self.message.remittance_id
        shipment = job.ledger.find_by_awb(line.awb)
        number = _order_number(line, shipment)
        reason = str(err)
        mark = record = None
        if shipment is not None:
            salesorder_id, awb = shipment.salesorder_id, shipment.awb

            def mark() -> None:
                job.zoho.update_salesorder_custom_fields(
                    salesorder_id, {"cf_shipment_status": ShipmentStatus.REMITTANCE_FAILED}
                )

            def record() -> None:
                job.ledger.update_awb(awb, remittance_problem=f"{remittance_id}: {reason}")

        subject, message = _refusal_page(line, remittance_id, number, reason)
        return Failure(
            outcome=PaymentOutcome(line.awb, "refused", reason),
            metric="PaymentRefused",
            subject=subject,
            message=message,
            correlation_id=number,
            mark=mark,
            record=record,
        )


def _order_number(line: RemittanceLine, shipment: AwbRecord | None) -> str:
    return (shipment.salesorder_number if shipment else None) or line.order_id or "?"


def _refusal_page(
    line: RemittanceLine, remittance_id: str, number: str, reason: str, consequence: str = "no payment was made"
) -> tuple[str, str]:
    """The page of a remittance line that got no payment (or whose existing payment was left alone)."""
    return (
        f"COD remittance {remittance_id}: {consequence} for {line.awb}",
        f"Remittance {remittance_id} lists AWB {line.awb} ({number}) for COD {format_inr(line.cod_amount)} "
        f"less {format_inr(line.deducted_charges)} deductions, but {consequence}: {reason}. "
        "Check the order with Shiprocket before booking anything by hand.",
    )
