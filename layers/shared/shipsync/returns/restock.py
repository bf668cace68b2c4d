"""RTO restock: a shipment back at our warehouse (RTO delivered, or a customer return delivered)
goes back into stock in Zoho, and its revenue is reversed when it was invoiced.

Exactly once per shipment (AWB), whatever the number of messages or retries: each step is
recorded in the ledger item ``RESTOCK#<awb>`` before the next runs, and a lease on that item keeps
two workers from running the same restock at once:

    GET sales order -> plan the lines -> sales return (reference = AWB)
    -> sales return receive (this restocks; never a purchase receive)
    -> if invoiced: credit note from the return (reference RTO-/RET-<awb>)
    -> apply min(the note's balance, the invoice's balance), both as Zoho reports them
    -> cf_shipment_status = Returned -> done

A step that wrote to Zoho but died before its ledger write is recognised on the retry (the
sales order lists the return by reference, credit notes are found by reference, the receive
and the apply show in the return's and the invoice's state) instead of being repeated.
Every problem raises; the outcome policy decides what follows. A permanent one (Zoho says the units
were never shipped...) ends in ``RestockAttempt.give_up``: the restock recorded as failed, the sales
order marked 'Restock Failed', a page saying what was done so far.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, Unpack

from aws_lambda_powertools import Logger

from shipsync.domain.india import IST
from shipsync.domain.models import ReturnLine, ZohoInvoice, ZohoSalesOrder, ZohoSalesReturn
from shipsync.domain.statuses import ShipmentStatus
from shipsync.errors import BusyElsewhere, NamedRecordMissing, PermanentError, ProviderRequestError, RecordMissing
from shipsync.ledger.records import AwbRecord, RestockChanges, RestockRecord, RestockState
from shipsync.policy.outcomes import Failure
from shipsync.ports import MetricsSink, ZohoReturnsApi
from shipsync.returns.credit import creditnote_lines
from shipsync.returns.messages import RestockMessage

logger = Logger(child=True)


_VOID = frozenset({"void", "voided", "cancelled", "canceled"})
# Below a paisa is float noise, not money.
_PAISA = 0.005


class RestockLedgerPort(Protocol):
    """``ledger.restock.DynamoRestockLedger``."""

    def awb_item(self, awb: str) -> AwbRecord | None: ...

    def begin(
        self, awb: str, *, owner: str, now: str, lease_until: str, kind: str, salesorder_id: str, salesorder_number: str
    ) -> RestockRecord | None:
        """Create-or-lease ``RESTOCK#<awb>`` (identity set only if absent); None while another lease runs."""

    def save(self, awb: str, **changes: Unpack[RestockChanges]) -> None: ...

    def release(self, awb: str, owner: str) -> None: ...

    def restock(self, awb: str) -> RestockRecord | None: ...


@dataclass(frozen=True)
class RestockOutcome:
    awb: str
    state: str
    detail: str | None = None
    salesreturn_id: str | None = None
    creditnote_id: str | None = None


@dataclass
class RestockJob:
    zoho: ZohoReturnsApi
    ledger: RestockLedgerPort
    metrics: MetricsSink
    # Zoho location that receives returned goods; empty = the order line's own location.
    returns_location_id: str = ""
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # Longer than one run can take (Lambda timeout), so only a dead worker's lease ever expires.
    lease: timedelta = timedelta(minutes=5)
    new_owner: Callable[[], str] = lambda: uuid.uuid4().hex

    # ------------------------------------------------------------------ entry point
    def attempt(self, message: RestockMessage) -> RestockAttempt:
        return RestockAttempt(self, message)

    def unfinished(self, message: RestockMessage, err: Exception) -> tuple[str, str] | None:
        """The ``RestockFailed`` page (subject, message) for a restock whose message failed for the last time and
        goes to RtoDLQ, or None when no step of it was left half-done (nothing done, or it is finished)."""
        record = self.ledger.restock(message.awb)
        if record is None or record.state is not RestockState.IN_PROGRESS:
            return None
        done, not_done = restock_progress(record)
        if not done:
            return None
        self.metrics.count("RestockFailed")
        order = message.salesorder_number or message.salesorder_id
        return (
            f"Restock failed: {order} (AWB {message.awb})",
            f"The restock of returned shipment {message.awb} of sales order {order} ({message.kind}) stopped half-way "
            f"and its message is now in RtoDLQ after its last retry failed: {err}. Done in Zoho: {', '.join(done)}. "
            f"Not done: {', '.join(not_done)}. Redrive the message once the cause is fixed (it continues where it "
            "stopped, nothing is repeated), or finish the rest by hand in Zoho.",
        )

    def _restock(self, record: RestockRecord) -> None:
        try:
            so = self.zoho.get_salesorder(record.salesorder_id)
        except RecordMissing as err:
            # Nothing to return against and nothing to mark: dead-lettered with a page naming it.
            raise NamedRecordMissing("sales order", record.salesorder_number or record.salesorder_id, err) from err
        if not record.lines:
            self._plan(record, so)
        salesreturn = self._sales_return(record, so)
        self._receive(record, salesreturn)
        self._credit(record, so, salesreturn)
        if not record.status_written:
            self.zoho.update_salesorder_custom_fields(so.salesorder_id, {"cf_shipment_status": ShipmentStatus.RETURNED})
            self._save(record, status_written=True)
        self._save(record, state=RestockState.DONE)

    # ------------------------------------------------------------------ (1) what comes back
    def _plan(self, record: RestockRecord, so: ZohoSalesOrder) -> None:
        awb_item = self.ledger.awb_item(record.awb)
        if record.kind == "rto":
            # A parcel of an order shipped as several brings back only its own units (orders.parcels).
            lines = _customer_lines(awb_item.lines, so) if awb_item and awb_item.parcel else shipped_lines(so)
            courier = (awb_item.courier_name if awb_item else None) or "the courier"
            reason = f"RTO: returned to origin by {courier}"
            if not lines:
                raise PermanentError(f"{so.salesorder_number}: no shipped units to return")
        else:
            if awb_item is None or not awb_item.is_return:
                raise PermanentError(f"AWB {record.awb} is not a customer return this ledger booked")
            lines = _customer_lines(awb_item.lines, so)
            reason = awb_item.reason or "Customer return"
            if not lines:
                raise PermanentError(f"customer return {record.awb} has no lines")
        returned = {line.salesorder_item_id for line in lines}
        own_location = next(
            (line.location_id for line in so.line_items if line.line_item_id in returned and line.location_id), None
        )
        location_id = self.returns_location_id or own_location
        self.ledger.save(record.awb, lines=lines, reason=reason, location_id=location_id)
        record.lines, record.reason, record.location_id = lines, reason, location_id

    # ------------------------------------------------------------------ (2) sales return
    def _sales_return(self, record: RestockRecord, so: ZohoSalesOrder) -> ZohoSalesReturn:
        if record.salesreturn_id is not None:
            return ZohoSalesReturn(salesreturn_id=record.salesreturn_id, line_item_ids=record.return_line_ids)
        salesreturn = self._earlier_return(record, so)
        if salesreturn is not None:
            logger.warning("reusing the sales return an interrupted attempt created", extra={"awb": record.awb})
        else:
            salesreturn = self.zoho.create_salesreturn(
                so.salesorder_id,
                date=self._today(),
                reason=record.reason or "Returned",
                line_items=record.lines,
                location_id=record.location_id,
                reference_number=record.awb,
            )
        self._save(record, salesreturn_id=salesreturn.salesreturn_id, return_line_ids=salesreturn.line_item_ids)
        ids = record.return_line_ids
        missing = [line.salesorder_item_id for line in record.lines if line.salesorder_item_id not in ids]
        if missing:
            raise ProviderRequestError("zoho", f"sales return {salesreturn.salesreturn_id} lacks lines {missing}")
        return salesreturn

    def _earlier_return(self, record: RestockRecord, so: ZohoSalesOrder) -> ZohoSalesReturn | None:
        """The live sales return an earlier attempt made for this AWB (its create's answer lost), if any.

        It guards the create, so it must be understood: a ``salesreturns[]`` entry of the order that does not show
        its ``reference_number`` (what an entry holds is not published, docs/providers/zoho.md §8) is read whole
        before it is taken for someone else's."""
        for ref in so.salesreturns:
            if (ref.salesreturn_status or "").lower() in _VOID or ref.reference_number not in (None, record.awb):
                continue
            salesreturn = self.zoho.get_salesreturn(ref.salesreturn_id)
            if salesreturn.reference_number == record.awb:
                return salesreturn
        return None

    # ------------------------------------------------------------------ (3) receive = restock
    def _receive(self, record: RestockRecord, salesreturn: ZohoSalesReturn) -> None:
        if record.receive_done:
            return
        if record.receive_started:
            current = self.zoho.get_salesreturn(salesreturn.salesreturn_id)
            if (current.receive_status or "").lower() == "received":
                logger.warning("the interrupted receive went through", extra={"awb": record.awb})
                self._save(record, receive_done=True)
                return
        self._save(record, receive_started=True)
        receive_id = self.zoho.create_salesreturn_receive(
            salesreturn.salesreturn_id,
            date=self._today(),
            line_items=[(record.return_line_ids[line.salesorder_item_id], line.quantity) for line in record.lines],
            notes=f"{record.reason or 'Returned'} (AWB {record.awb})",
        )
        self._save(record, receive_id=receive_id, receive_done=True)

    # ------------------------------------------------------------------ (4) credit note
    def _credit(self, record: RestockRecord, so: ZohoSalesOrder, salesreturn: ZohoSalesReturn) -> None:
        if record.credit_applied is not None:
            return
        invoice: ZohoInvoice | None = None
        if not record.invoice_checked:
            invoice = self._invoice_for(so, record.lines)
            self._save(record, invoice_checked=True, invoice_id=invoice.invoice_id if invoice else None)
        if record.invoice_id is None:
            logger.info("not invoiced: no credit note", extra={"awb": record.awb})
            return
        if record.creditnote_id is None:
            invoice = invoice or self.zoho.get_invoice(record.invoice_id)
            reference = f"{'RTO' if record.kind == 'rto' else 'RET'}-{record.awb}"
            creditnote_id = self.zoho.find_creditnote_by_reference(reference) or self.zoho.create_creditnote(
                customer_id=so.customer_id or invoice.customer_id or "",
                date=self._today(),
                invoice_id=record.invoice_id,
                lines=creditnote_lines(record.lines, salesreturn, invoice),
                reference_number=reference,
            )
            self._save(record, creditnote_id=creditnote_id)
        self._apply(record)

    def _apply(self, record: RestockRecord) -> None:
        """Apply the credit to what the invoice still owes, so an unpaid COD invoice is closed."""
        assert record.invoice_id is not None
        assert record.creditnote_id is not None
        invoice = self.zoho.get_invoice(record.invoice_id)
        balance = invoice.balance
        before = record.apply_balance_before
        if before is not None and balance < before - _PAISA:
            logger.warning("the interrupted credit application went through", extra={"awb": record.awb})
            self._save(record, credit_applied=round(before - balance, 2))
            return
        if balance <= _PAISA or (invoice.status or "").lower() in _VOID:
            self._save(record, credit_applied=0.0)
            return
        # Zoho's own figures, never our estimate: Zoho rounds GST its own way, and applying a paisa more
        # than the note holds is refused.
        note = self.zoho.get_creditnote(record.creditnote_id)
        amount = round(min(note.balance, balance), 2)
        if amount <= 0:
            self._save(record, credit_total=note.total, credit_applied=0.0)
            return
        self._save(record, credit_total=note.total, apply_balance_before=balance)
        self.zoho.apply_creditnote_to_invoice(record.creditnote_id, record.invoice_id, amount)
        self._save(record, credit_applied=amount)

    def _invoice_for(self, so: ZohoSalesOrder, lines: Sequence[ReturnLine]) -> ZohoInvoice | None:
        """The first live invoice that billed any of the returned lines."""
        returned = {line.salesorder_item_id for line in lines}
        for ref in so.invoices:
            if (ref.status or "").lower() in _VOID:
                continue
            invoice = self.zoho.get_invoice(ref.invoice_id)
            if returned & invoice.line_item_ids.keys():
                return invoice
        return None

    # ------------------------------------------------------------------ helpers
    def _save(self, record: RestockRecord, **changes: Unpack[RestockChanges]) -> None:
        """Persist the changes to the ledger, then mirror them on the in-memory record."""
        self.ledger.save(record.awb, **changes)
        for name, value in changes.items():
            setattr(record, name, value)

    def _today(self) -> str:
        return self.clock().astimezone(IST).date().isoformat()


@dataclass
class RestockAttempt:
    """One attempt at one returned shipment (``policy.outcomes.Attempt``)."""

    job: RestockJob
    message: RestockMessage
    record: RestockRecord | None = None

    @property
    def correlation_id(self) -> str:
        return self.message.salesorder_number or self.message.awb

    def run(self) -> RestockOutcome:
        job, message = self.job, self.message
        awb = message.awb
        owner = job.new_owner()
        now = job.clock()
        record = job.ledger.begin(
            awb,
            owner=owner,
            now=now.isoformat(timespec="seconds"),
            lease_until=(now + job.lease).isoformat(timespec="seconds"),
            kind=message.kind,
            salesorder_id=message.salesorder_id,
            salesorder_number=message.salesorder_number,
        )
        if record is None:
            raise BusyElsewhere(f"the restock of AWB {awb} is running in another worker")
        self.record = record
        try:
            if record.state is not RestockState.IN_PROGRESS:
                logger.info("restock already handled", extra={"awb": awb, "state": record.state})
                job.metrics.count("RestockDuplicate")
                return RestockOutcome(awb, record.state, "duplicate", record.salesreturn_id, record.creditnote_id)
            job._restock(record)
        finally:
            job.ledger.release(awb, owner)
        job.metrics.count("Restocked")
        logger.info("restocked", extra={"awb": awb, "salesreturn_id": record.salesreturn_id})
        return RestockOutcome(awb, RestockState.DONE, None, record.salesreturn_id, record.creditnote_id)

    def give_up(self, err: PermanentError) -> Failure[RestockOutcome]:
        """The restock ends as failed: the sales order is marked 'Restock Failed', ops are told what was done
        so far, so the rest can be finished by hand."""
        job, message, record = self.job, self.message, self.record
        awb, reason = message.awb, str(err)
        order = message.salesorder_number or message.salesorder_id
        done, not_done = restock_progress(record) if record is not None else ([], [])

        def mark() -> None:
            job.zoho.update_salesorder_custom_fields(
                message.salesorder_id, {"cf_shipment_status": ShipmentStatus.RESTOCK_FAILED}
            )

        def save() -> None:
            job.ledger.save(awb, state=RestockState.FAILED, failure_reason=reason)

        return Failure(
            outcome=RestockOutcome(
                awb,
                RestockState.FAILED,
                reason,
                record.salesreturn_id if record else None,
                record.creditnote_id if record else None,
            ),
            metric="RestockFailed",
            subject=f"Restock failed: {order} (AWB {awb})",
            message=f"The returned shipment {awb} of sales order {order} ({message.kind}) was not restocked in Zoho. "
            f"Reason: {reason}. Done so far: {', '.join(done) or 'nothing'}. Not done: {', '.join(not_done) or 'all'}. "
            f"Finish it by hand in Zoho Inventory; the sales order is marked '{ShipmentStatus.RESTOCK_FAILED}'.",
            correlation_id=order,
            mark=mark,
            record=save,
        )


def restock_progress(record: RestockRecord) -> tuple[list[str], list[str]]:
    """(steps done, steps not done) of a restock, in the words of a page; a credit note is a step only for an
    invoiced order, and whether it is one is known once the invoice was looked for."""
    not_invoiced = record.invoice_checked and record.invoice_id is None
    steps: list[tuple[str, bool]] = [
        (f"sales return {record.salesreturn_id or ''}".rstrip(), record.salesreturn_id is not None),
        (f"receive into stock {record.receive_id or ''}".rstrip(), record.receive_done),
    ]
    if not not_invoiced:
        steps += [
            (f"credit note {record.creditnote_id or ''}".rstrip(), record.creditnote_id is not None),
            (f"credit applied to invoice {record.invoice_id or ''}".rstrip(), record.credit_applied is not None),
        ]
    steps.append((f"'{ShipmentStatus.RETURNED}' written on the sales order", record.status_written))
    return [step for step, ok in steps if ok], [step for step, ok in steps if not ok]


def shipped_lines(so: ZohoSalesOrder) -> list[ReturnLine]:
    """Every shipped unit of the order (the whole quantity when the answer has no shipped figure)."""
    lines = []
    for line in so.line_items:
        quantity = line.shipped_quantity
        if quantity > 0:
            lines.append(ReturnLine(salesorder_item_id=line.line_item_id, item_id=line.item_id, quantity=quantity))
    return lines


def _customer_lines(booked: Sequence[ReturnLine], so: ZohoSalesOrder) -> list[ReturnLine]:
    items = {line.line_item_id: line.item_id for line in so.line_items}
    lines = []
    for booked_line in booked:
        line = booked_line.model_copy()
        if line.item_id is None:
            line.item_id = items.get(line.salesorder_item_id)
        if line.quantity > 0:
            lines.append(line)
    return lines
