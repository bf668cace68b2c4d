"""The COD remittance job over fakes: one payment per remitted order for the gross COD, deductions
as bank charges, exactly once across re-posts and a crash, refusals for RTO / prepaid /
overpayment / no invoice, and the batch balance check."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from order_fakes import CountingMetrics, RecordingAlerts

from shipsync.domain.models import ShiprocketOrderDetails, ZohoCustomerPayment, ZohoInvoice, ZohoSalesOrder
from shipsync.errors import TransientError
from shipsync.remittance.batches import parse_batch
from shipsync.remittance.job import DeliveryBeingRecorded, RemittanceJob
from shipsync.remittance.messages import LineMessage, RemittanceMessage
from shipsync.tracking.messages import StatusMessage
from tests.unit.memory_ledger import MemoryLedger

UTR = "UTR-HDFCN24164123456"
SO_ID = "1947583000000123001"
INVOICE_ID = "1947583000000131077"


class FakeZoho:
    def __init__(self, *, invoice_balance: str = "1341.76", with_invoice: bool = True) -> None:
        self.invoice_balance = Decimal(invoice_balance)
        self.with_invoice = with_invoice
        self.payments: list[ZohoCustomerPayment] = []
        self.expenses: list[dict[str, Any]] = []
        self.fields: dict[str, str] = {}
        self.calls: Counter[str] = Counter()
        self.fail_next_expense = False
        self._ids = itertools.count(1)

    def get_salesorder(self, salesorder_id: str) -> ZohoSalesOrder:
        self.calls["get_salesorder"] += 1
        invoices = [{"invoice_id": INVOICE_ID, "invoice_number": "INV-000042", "status": "sent"}]
        return ZohoSalesOrder.model_validate(
            {
                "salesorder_id": SO_ID,
                "salesorder_number": "SO-01042",
                "customer_id": "1947583000000098011",
                "invoices": invoices if self.with_invoice else [],
            }
        )

    def get_invoice(self, invoice_id: str) -> ZohoInvoice:
        self.calls["get_invoice"] += 1
        return ZohoInvoice(invoice_id=invoice_id, invoice_number="INV-000042", balance=float(self.invoice_balance))

    def update_salesorder_custom_fields(self, salesorder_id: str, values: Mapping[str, str]) -> None:
        self.calls["update_salesorder"] += 1
        self.fields.update(values)

    def find_payments_by_reference(self, reference_number: str) -> list[ZohoCustomerPayment]:
        self.calls["find_payments"] += 1
        return [p for p in self.payments if p.reference_number == reference_number]

    def create_customer_payment(self, **kwargs: Any) -> ZohoCustomerPayment:
        self.calls["create_payment"] += 1
        assert kwargs["amount"] <= self.invoice_balance
        self.invoice_balance -= kwargs["amount"]
        payment = ZohoCustomerPayment(
            payment_id=str(next(self._ids)),
            amount=kwargs["amount"],
            bank_charges=kwargs["bank_charges"],
            reference_number=kwargs["reference_number"],
            invoice_numbers=["INV-000042"],
            custom_fields=dict(kwargs["custom_fields"] or {}),
        )
        self.payments.append(payment)
        return payment

    def get_customer_payment(self, payment_id: str) -> ZohoCustomerPayment:
        self.calls["get_payment"] += 1
        return next(p for p in self.payments if p.payment_id == payment_id)

    def set_payment_bank_charges(self, payment: ZohoCustomerPayment, bank_charges: Decimal) -> ZohoCustomerPayment:
        self.calls["update_payment"] += 1
        updated = payment.model_copy(update={"bank_charges": bank_charges})
        self.payments = [updated if p.payment_id == payment.payment_id else p for p in self.payments]
        return updated

    def find_expenses_by_reference(self, reference_number: str) -> list[str]:
        self.calls["find_expenses"] += 1
        return [e["id"] for e in self.expenses if e["reference_number"] == reference_number]

    def create_expense(self, **kwargs: Any) -> str:
        self.calls["create_expense"] += 1
        if self.fail_next_expense:
            self.fail_next_expense = False
            raise TransientError("zoho: connection reset")
        expense_id = f"EXP-{len(self.expenses) + 1}"
        self.expenses.append({**kwargs, "id": expense_id})
        return expense_id

    def create_invoice_from_salesorder(self, salesorder_id: str) -> str:
        self.with_invoice = True
        return INVOICE_ID


class RemittanceLedger(MemoryLedger):
    """The one in-memory ledger with shipped orders to remit."""

    def add(self, awb: str, *, status: str = "Delivered", payment_method: str = "COD") -> None:
        self.awbs[awb] = {
            "awb": awb,
            "salesorder_id": SO_ID,
            "salesorder_number": "SO-01042",
            "status": status,
            "payment_method": payment_method,
        }
        self.ensure(SO_ID, "SO-01042")
        if self.entries[SO_ID].get("awb") is None:
            self.update(SO_ID, awb=awb)


class FakeOrders:
    """orders/show and the tracking pull; ``tracking`` maps an AWB to its ``tracking_data``."""

    def __init__(self) -> None:
        self.remitted: dict[int, tuple[str, str]] = {}
        self.tracking: dict[str, dict[str, Any]] = {}
        self.tracked: list[str] = []

    def track_awbs(self, awbs: Any) -> dict[str, dict[str, Any]]:
        self.tracked.extend(awbs)
        return {awb: self.tracking[awb] for awb in awbs if awb in self.tracking}

    def get_order(self, sr_order_id: int) -> ShiprocketOrderDetails:
        utr, when = self.remitted.get(sr_order_id, (None, None))
        return ShiprocketOrderDetails.model_validate(
            {
                "sr_order_id": sr_order_id,
                "status": "DELIVERED",
                "payment_method": "COD",
                "cod_amount": "1341.76",
                "remittance_utr": utr,
                "remittance_date": when,
            }
        )


class World:
    def __init__(self, zoho: FakeZoho | None = None, *, charges_mode: Any = "bank_charges") -> None:
        self.zoho = zoho or FakeZoho()
        self.ledger = RemittanceLedger()
        self.ledger.add("19041234567890")
        self.alerts = RecordingAlerts()
        self.metrics = CountingMetrics()
        self.fanned: list[LineMessage] = []
        self.shiprocket = FakeOrders()
        self.recorded: list[StatusMessage] = []
        self.now = datetime(2025, 6, 12, 10, 0, tzinfo=UTC)
        self.job = RemittanceJob(
            zoho=self.zoho,
            ledger=self.ledger,
            alerts=self.alerts,
            metrics=self.metrics,
            fan_out=self.fanned.append,
            shiprocket=self.shiprocket,
            record_delivery=self.recorded.append,
            charges_mode=charges_mode,
            deposit_account_id="1947583000000003210",
            charges_expense_account_id="1947583000000004444",
            clock=lambda: self.now,
        )

    def pay(
        self, awb: str = "19041234567890", cod: str = "1341.76", charges: str = "62.50", utr: str = UTR, **kw: Any
    ) -> Any:
        line = parse_batch(
            {
                "remittance_id": utr,
                "remittance_date": "2025-06-12",
                "bank_transfer_amount": "1",
                "orders": [{"awb": awb, "cod_amount": cod, "deducted_charges": charges, **kw}],
            }
        ).orders[0]
        return self.job.pay(utr, date(2025, 6, 12), line)


def test_one_payment_for_the_gross_with_charges_and_the_utr() -> None:
    world = World()
    outcome = world.pay()

    assert outcome.result == "paid"
    [payment] = world.zoho.payments
    assert payment.amount == Decimal("1341.76")
    assert payment.bank_charges == Decimal("62.50")
    assert payment.reference_number == UTR
    assert payment.custom_fields == {"cf_remit_key": f"{UTR}:19041234567890"}
    assert world.zoho.fields == {"cf_cod_remittance_id": UTR}
    assert world.zoho.invoice_balance == 0
    assert world.ledger.awbs["19041234567890"]["remitted_utr"] == UTR
    assert world.alerts.pages == []


def test_reposts_and_a_crash_after_the_payment_never_pay_twice() -> None:
    world = World()
    world.pay()
    assert world.pay().result == "duplicate"  # ledger knows
    world.ledger.awbs["19041234567890"].pop("payment_id")  # as if the ledger write was lost
    world.ledger.awbs["19041234567890"].pop("remitted_utr")
    assert world.pay().result == "duplicate"  # found in Zoho by reference and key
    assert len(world.zoho.payments) == 1


def test_a_first_attempt_pays_without_looking_for_an_earlier_payment() -> None:
    world = World()

    assert world.pay().result == "paid"

    # What it cost: the order and its invoice read, the payment, the order marked; no look-up by reference.
    assert world.zoho.calls == {"get_salesorder": 1, "get_invoice": 1, "create_payment": 1, "update_salesorder": 1}
    assert world.ledger.awbs["19041234567890"]["payment_attempt"].startswith(f"{UTR}@")


def test_an_attempt_whose_payment_answer_was_lost_looks_it_up_and_never_pays_twice() -> None:
    world = World()
    answer = world.zoho.create_customer_payment

    def lost(**kwargs: Any) -> Any:
        answer(**kwargs)
        raise TransientError("zoho: read timed out")

    world.zoho.create_customer_payment = lost  # type: ignore[method-assign]
    with pytest.raises(TransientError):
        world.pay()
    world.zoho.create_customer_payment = answer  # type: ignore[method-assign]

    assert world.pay().result == "duplicate"
    assert (len(world.zoho.payments), world.zoho.calls["find_payments"]) == (1, 1)


def test_a_remittance_paid_by_hand_before_shipsync_is_refused_by_the_invoices_balance() -> None:
    # No attempt of ours reached the write, so nothing is looked up; the invoice has nothing left to pay.
    world = World(FakeZoho(invoice_balance="0"))

    outcome = world.pay()

    assert outcome.result != "paid"
    assert world.zoho.calls["create_payment"] == 0


def test_deductions_as_an_expense_when_configured() -> None:
    world = World(charges_mode="expense")
    world.pay()
    [payment] = world.zoho.payments
    assert payment.bank_charges == Decimal("0")
    [expense] = world.zoho.expenses
    assert expense["amount"] == Decimal("62.50")
    # One UTR covers many orders: the reference names the order too, so the expense can be found again.
    assert expense["reference_number"] == f"{UTR}:19041234567890"
    assert UTR in expense["description"]
    assert world.zoho.calls["find_expenses"] == 0  # a fresh payment has no expense to find yet


@pytest.mark.parametrize(
    ("status", "payment_method", "reason"),
    [
        ("RTO Delivered", "COD", "RTO Delivered"),
        ("RTO Initiated", "COD", "RTO Initiated"),
        ("Lost", "COD", "Lost"),
        ("Delivered", "Prepaid", "prepaid"),
    ],
)
def test_rto_lost_and_prepaid_lines_are_refused_and_paged(status: str, payment_method: str, reason: str) -> None:
    world = World()
    world.ledger.add("19041234567890", status=status, payment_method=payment_method)
    outcome = world.pay()
    assert outcome.result == "refused"
    assert reason in outcome.detail
    assert world.zoho.payments == []
    [page] = world.alerts.pages
    assert page["kind"] == "PaymentRefused"
    assert "19041234567890" in page["message"]


def test_overpayment_is_refused() -> None:
    world = World(FakeZoho(invoice_balance="1000.00"))
    outcome = world.pay()
    assert outcome.result == "refused"
    assert "exceeds the invoice balance" in outcome.detail
    assert world.zoho.payments == []


def test_missing_invoice_is_refused_unless_configured_to_create_one() -> None:
    world = World(FakeZoho(with_invoice=False))
    assert world.pay().result == "refused"
    world = World(FakeZoho(with_invoice=False))
    world.job.create_missing_invoices = True
    assert world.pay().result == "paid"


def test_unknown_awb_falls_back_to_our_order_id() -> None:
    world = World()
    outcome = world.pay(awb="OTHER-AWB", order_id="SO-01042")
    assert outcome.result == "paid"
    unknown = World().pay(awb="OTHER-AWB", order_id="SO-99999")
    assert unknown.result == "refused"


def test_batch_balance_mismatch_pages_with_the_lines_and_still_fans_out() -> None:
    world = World()
    batch = parse_batch(
        {
            "remittance_id": UTR,
            "remittance_date": "2025-06-12",
            "bank_transfer_amount": "2000.00",
            "orders": [
                {"awb": "A1", "cod_amount": "1341.76", "deducted_charges": "62.50"},
                {"awb": "A2", "cod_amount": "799.00", "deducted_charges": "40.00"},
            ],
        }
    )
    result = world.job.accept_batch(batch)

    assert result["balanced"] is False
    [page] = world.alerts.pages
    assert page["kind"] == "RemittanceMismatch"
    assert UTR in page["message"]
    assert "A1" in page["message"]
    assert "A2" in page["message"]
    assert world.metrics.counts["RemittanceMismatch"] == 1
    assert [m.line.awb for m in world.fanned] == ["A1", "A2"]
    queued = RemittanceMessage.model_validate_json(world.fanned[0].model_dump_json()).root
    assert isinstance(queued, LineMessage)
    assert queued.line.cod_amount == 134176  # paise survive the queue
    assert world.ledger.remittances[UTR]["balanced"] is False


def test_balanced_batch_pages_nobody() -> None:
    world = World()
    batch = parse_batch(
        {
            "remittance_id": UTR,
            "remittance_date": "2025-06-12",
            "bank_transfer_amount": "2038.26",
            "orders": [
                {"awb": "A1", "cod_amount": "1341.76", "deducted_charges": "62.50"},
                {"awb": "A2", "cod_amount": "799.00", "deducted_charges": "40.00"},
            ],
        }
    )
    assert world.job.accept_batch(batch)["balanced"] is True
    assert world.alerts.pages == []


def test_poll_turns_remitted_orders_into_a_batch_and_reports_the_overdue_ones() -> None:
    world = World()
    orders = FakeOrders()
    world.job.shiprocket = orders
    world.ledger.add("AWB-FRESH")
    world.ledger.add("AWB-OLD")
    world.ledger.update_awb("19041234567890", cod_open="1", sr_order_id=11, delivered_at="2025-06-01T10:00:00+00:00")
    world.ledger.update_awb("AWB-FRESH", cod_open="1", sr_order_id=12, delivered_at="2025-06-10T10:00:00+00:00")
    world.ledger.update_awb("AWB-OLD", cod_open="1", sr_order_id=13, delivered_at="2025-05-25T10:00:00+00:00")
    orders.remitted[11] = (UTR, "2025-06-11")

    result = world.job.poll(aging_days=10)

    assert result == {"open": 3, "unread": 0, "remitted": 1, "batches": 1, "overdue": 1, "rechecked": 0}
    [message] = world.fanned
    assert (message.remittance_id, message.line.awb, message.line.cod_amount) == (
        UTR,
        "19041234567890",
        134176,
    )
    [page] = world.alerts.pages  # no mismatch page: a polled batch has no bank total to check
    assert page["kind"] == "UnremittedCod"
    assert "AWB-OLD" in page["message"]
    assert "AWB-FRESH" not in page["message"]
    assert world.metrics.counts["UnremittedCod"] == 1


def test_paying_closes_the_order_in_the_poll_index() -> None:
    world = World()
    world.ledger.update_awb("19041234567890", cod_open="1")
    world.pay()
    assert world.ledger.unremitted_cod() == []


# ---------------------------------------------------------------------------- deductions after the poll
# The poll pays the gross (orders/show carries no deductions); the remittance posted or uploaded later
# supplies them, and they are booked on that payment exactly once.


def test_a_later_post_adds_its_deductions_to_the_payment_the_poll_made() -> None:
    world = World()
    assert world.pay(charges="0").result == "paid"  # what the poll knows
    [payment] = world.zoho.payments
    assert payment.bank_charges == Decimal("0")

    outcome = world.pay(charges="62.50")  # the same remittance, posted with its deductions

    assert outcome.result == "charges booked"
    [payment] = world.zoho.payments
    assert payment.bank_charges == Decimal("62.50")
    assert payment.amount == Decimal("1341.76")
    assert world.ledger.awbs["19041234567890"]["charges_paise"] == 6250
    assert world.metrics.counts["CodChargesBooked"] == 1
    assert world.alerts.pages == []

    calls_before = sum(world.zoho.calls.values())
    assert world.pay(charges="62.50").result == "duplicate"  # the CSV of the same remittance
    assert world.pay(charges="0").result == "duplicate"  # the poll again
    assert sum(world.zoho.calls.values()) == calls_before  # the ledger answers: no Zoho call at all
    assert world.zoho.calls["update_payment"] == 1
    assert len(world.zoho.payments) == 1


def test_deductions_already_on_the_payment_are_not_written_again_after_a_lost_ledger_write() -> None:
    world = World()
    world.pay(charges="0")
    world.pay(charges="62.50")
    world.ledger.awbs["19041234567890"].pop("charges_paise")  # as if that ledger write was lost

    assert world.pay(charges="62.50").result == "duplicate"

    assert world.zoho.calls["get_payment"] == 2  # Zoho was read...
    assert world.zoho.calls["update_payment"] == 1  # ...and not written
    assert world.ledger.awbs["19041234567890"]["charges_paise"] == 6250


def test_a_post_whose_deductions_disagree_with_the_booked_ones_is_paged_and_changes_nothing() -> None:
    world = World()
    world.pay(charges="62.50")

    outcome = world.pay(charges="70.00")

    assert outcome.result == "refused"
    [payment] = world.zoho.payments
    assert payment.bank_charges == Decimal("62.50")
    [page] = world.alerts.pages
    assert page["kind"] == "PaymentRefused"
    assert "the existing payment was left as it is" in page["subject"]
    assert "₹70.00" in page["message"]
    assert "₹62.50" in page["message"]


def test_expense_mode_books_a_poll_payments_deductions_as_one_expense() -> None:
    world = World(charges_mode="expense")
    world.pay(charges="0")
    assert world.zoho.expenses == []

    assert world.pay(charges="62.50").result == "charges booked"
    assert world.pay(charges="62.50").result == "duplicate"

    [expense] = world.zoho.expenses
    assert expense["amount"] == Decimal("62.50")
    assert expense["reference_number"] == f"{UTR}:19041234567890"
    assert expense["paid_through_account_id"] == "1947583000000003210"
    assert len(world.zoho.payments) == 1


def test_expense_mode_crash_between_payment_and_expense_books_the_expense_once_on_retry() -> None:
    world = World(charges_mode="expense")
    world.zoho.fail_next_expense = True
    with pytest.raises(TransientError):
        world.pay()
    assert len(world.zoho.payments) == 1
    assert world.zoho.expenses == []

    assert world.pay().result == "charges booked"  # the SQS retry
    world.ledger.awbs["19041234567890"].pop("charges_paise")  # and a lost ledger write on top
    assert world.pay().result == "duplicate"

    assert len(world.zoho.payments) == 1
    [expense] = world.zoho.expenses
    assert expense["amount"] == Decimal("62.50")
    assert world.zoho.fields == {"cf_cod_remittance_id": UTR}
    assert world.ledger.awbs["19041234567890"]["remitted_at"]


def test_expense_mode_refuses_before_paying_when_the_expense_reference_would_not_fit() -> None:
    world = World(charges_mode="expense")
    long_utr = "UTR-" + "9" * 90  # fits a payment's reference (100), not with ":" + the AWB (14) after it
    outcome = world.pay(utr=long_utr)
    assert outcome.result == "refused"
    assert "too long" in outcome.detail
    assert world.zoho.payments == []


def test_a_crash_after_the_payment_but_before_marking_the_order_is_finished_on_retry() -> None:
    world = World()
    world.zoho.update_salesorder_custom_fields = _crash  # type: ignore[method-assign]
    with pytest.raises(TransientError):
        world.pay()
    assert world.ledger.awbs["19041234567890"]["payment_id"]
    del world.zoho.update_salesorder_custom_fields  # the next attempt reaches Zoho again

    assert world.pay().result == "duplicate"

    assert world.zoho.fields == {"cf_cod_remittance_id": UTR}
    assert world.ledger.awbs["19041234567890"]["remitted_at"] == "2025-06-12T10:00:00+00:00"
    assert len(world.zoho.payments) == 1


def _crash(salesorder_id: str, values: Mapping[str, str]) -> None:
    raise TransientError("zoho: connection reset")


# ------------------------------------------------------- issue 9, gap 5: a remittance never waits on a lost webhook

AWB = "19041234567890"


def _tracking(*statuses: tuple[int, str]) -> dict[str, Any]:
    """A track/awbs ``tracking_data`` (newest activity first, as published) ending in the last status given."""
    activities = [
        {"date": when, "status": "X", "activity": f"scan {sid}", "location": "Hub", "sr-status": str(sid)}
        for sid, when in reversed(statuses)
    ]
    return {
        "track_status": 1,
        "shipment_status": statuses[-1][0],
        "shipment_track": [{"awb_code": AWB, "current_status": "x", "delivered_date": ""}],
        "shipment_track_activities": activities,
    }


def test_a_line_for_a_shipment_delivered_at_shiprocket_records_the_delivery_first() -> None:
    world = World()
    world.ledger.add(AWB, status="In Transit")
    world.shiprocket.tracking[AWB] = _tracking((18, "2025-06-10 09:00:00"), (7, "2025-06-11 15:30:00"))

    with pytest.raises(DeliveryBeingRecorded):
        world.pay()

    # One tracking call; the events go to the status path, nothing is paid before the delivery is recorded.
    assert world.shiprocket.tracked == [AWB]
    assert [m.event.shipment_status_id for m in world.recorded] == [18, 7]
    assert world.zoho.payments == []
    assert world.alerts.pages == []

    # The status worker records it; the retried line pays once.
    world.ledger.update_awb(AWB, status="Delivered")
    assert world.pay().result == "paid"
    assert world.pay().result == "duplicate"
    assert len(world.zoho.payments) == 1


def test_a_line_for_a_shipment_still_in_transit_waits_with_back_off_then_pages() -> None:
    world = World()
    world.ledger.add(AWB, status="In Transit")
    world.shiprocket.tracking[AWB] = _tracking((18, "2025-06-10 09:00:00"))

    first = world.pay()

    assert first.result == "waiting"
    assert world.alerts.pages == []
    shipment = world.ledger.awbs[AWB]
    assert shipment["remit_waiting"] == "1"
    assert shipment["remit_next_check"] == "2025-06-12T11:00:00+00:00"
    assert shipment["remit_pending"]["checks"] == 1

    # The poll sends the line back when it is due, and the worker asks again: 1 h, then 2 h later...
    world.now += timedelta(hours=1)
    assert world.job.poll(aging_days=10)["rechecked"] == 1
    [again] = world.fanned
    assert (again.remittance_id, again.line.awb) == (UTR, AWB)
    assert world.pay().result == "waiting"
    assert world.ledger.awbs[AWB]["remit_next_check"] == "2025-06-12T13:00:00+00:00"
    assert world.job.poll(aging_days=10)["rechecked"] == 0

    # Three days after the line first came, ops are paged and the line stops waiting.
    world.now = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)
    last = world.pay()
    assert last.result == "refused"
    assert "72 h" in last.detail
    [page] = world.alerts.pages
    assert page["kind"] == "PaymentRefused"
    assert "remit_waiting" not in world.ledger.awbs[AWB]
    assert world.zoho.payments == []


def test_a_waiting_line_pays_once_the_delivery_is_recorded() -> None:
    world = World()
    world.ledger.add(AWB, status="Out for Delivery")
    world.shiprocket.tracking[AWB] = _tracking((17, "2025-06-12 08:00:00"))
    assert world.pay().result == "waiting"

    world.ledger.update_awb(AWB, status="Delivered")  # its webhook arrived
    assert world.pay().result == "paid"

    assert "remit_waiting" not in world.ledger.awbs[AWB]
    assert len(world.zoho.payments) == 1


def test_a_shipment_unknown_to_shiprocket_tracking_waits_rather_than_is_refused() -> None:
    world = World()
    world.ledger.add(AWB, status="Pickup Scheduled")

    assert world.pay().result == "waiting"
    assert world.alerts.pages == []


def test_a_shipment_gone_back_at_shiprocket_is_refused() -> None:
    world = World()
    world.ledger.add(AWB, status="In Transit")
    world.shiprocket.tracking[AWB] = _tracking((18, "2025-06-10 09:00:00"), (9, "2025-06-11 09:00:00"))

    outcome = world.pay()

    assert outcome.result == "refused"
    assert "RTO Initiated" in outcome.detail
    assert world.recorded == []
