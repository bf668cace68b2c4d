"""In-memory fakes behind the rto-restock Protocols (ports.py, RestockLedgerPort, ReturnsLedgerPort)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from shipsync.domain.models import (
    AwbAssignment,
    CourierQuote,
    CreatedOrder,
    CreditNoteLine,
    ReturnLine,
    ShiprocketReturnOrder,
    ZohoCreditNote,
    ZohoInvoice,
    ZohoSalesOrder,
    ZohoSalesReturn,
    ZohoSalesReturnRef,
)
from shipsync.errors import AwbRefused, NotServiceable, OrderIdTaken, ProviderRequestError
from shipsync.ledger.records import RestockChanges
from tests.unit.memory_ledger import MemoryLedger

SO_ID = "1947583000000123001"
SO_NUMBER = "SO-01042"
TEE_LINE = "1947583000000123005"
MUG_LINE = "1947583000000123006"
AWB = "19041234567890"
INVOICE_ID = "1947583000000131077"


class WorkerDied(Exception):
    """A worker killed after a write reached Zoho (or the ledger) and before the next step."""


def salesorder(*, shipped: bool = True, invoiced: bool = False) -> ZohoSalesOrder:
    """tests/fixtures/reference.py's sales order, with a second line, shipped (or not) and invoiced (or not)."""
    return ZohoSalesOrder.model_validate(
        {
            "salesorder_id": SO_ID,
            "salesorder_number": SO_NUMBER,
            "date": "2024-06-01",
            "customer_id": "1947583000000098011",
            "customer_name": "Ananya Iyer",
            "contact_person_details": [{"email": "ananya.iyer@example.in", "mobile": "+91 98450 12345"}],
            "shipping_address": {
                "attention": "Ananya Iyer",
                "address": "No. 14, 3rd Cross, Indiranagar",
                "street2": "HAL 2nd Stage",
                "city": "Bengaluru",
                "state": "Karnataka",
                "state_code": "KA",
                "zip": "560038",
                "country": "India",
                "phone": "+91 98450 12345",
            },
            "line_items": [
                {
                    "line_item_id": TEE_LINE,
                    "item_id": "1947583000000045021",
                    "sku": "TEE-BLK-M",
                    "name": "Cotton Tee Black M",
                    "rate": 599.0,
                    "quantity": 2,
                    "quantity_shipped": 2 if shipped else 0,
                    "tax_percentage": 12,
                    "item_total": 1198.0,
                    "location_id": "460000000038080",
                },
                {
                    "line_item_id": MUG_LINE,
                    "item_id": "1947583000000045022",
                    "sku": "MUG-WHT",
                    "name": "Ceramic Mug White",
                    "rate": 349.0,
                    "quantity": 1,
                    "quantity_shipped": 1 if shipped else 0,
                    "tax_percentage": 18,
                    "item_total": 349.0,
                },
            ],
            "total": 1753.58,
            "invoices": [{"invoice_id": INVOICE_ID, "status": "sent", "total": 1753.58, "balance": 1753.58}]
            if invoiced
            else [],
        }
    )


def invoice(balance: float = 1753.58) -> ZohoInvoice:
    return ZohoInvoice(
        invoice_id=INVOICE_ID,
        invoice_number="INV-00077",
        customer_id="1947583000000098011",
        status="sent",
        total=1753.58,
        balance=balance,
        line_item_ids={TEE_LINE: "1947583000000131081", MUG_LINE: "1947583000000131082"},
        line_rates={TEE_LINE: 599.0, MUG_LINE: 349.0},
    )


# Zoho writes that create something: each must happen at most once per shipment.
CREATING_WRITES = ("create_salesreturn", "create_salesreturn_receive", "create_creditnote", "apply_creditnote")


class FakeReturnsZoho:
    """Zoho as far as returns go. ``die_after`` names a write after which the worker 'dies'."""

    def __init__(self, salesorders: Sequence[ZohoSalesOrder], invoices: Sequence[ZohoInvoice] = ()) -> None:
        self.salesorders = {so.salesorder_id: so for so in salesorders}
        self.invoices = {inv.invoice_id: inv for inv in invoices}
        self.salesreturns: dict[str, dict[str, Any]] = {}
        self.receives: list[dict[str, Any]] = []
        self.creditnotes: dict[str, dict[str, Any]] = {}
        # Added to each new credit note's total: Zoho rounds GST its own way, so its total can differ from ours.
        self.creditnote_rounding = 0.0
        self.applications: list[tuple[str, str, float]] = []
        self.custom_fields: dict[str, dict[str, str]] = {}
        self.calls: Counter[str] = Counter()
        self.die_after: str | None = None
        self._ids = itertools.count(7000)

    def _after_write(self, name: str) -> None:
        self.calls[name] += 1
        if self.die_after == name:
            self.die_after = None
            raise WorkerDied(name)

    def get_salesorder(self, salesorder_id: str) -> ZohoSalesOrder:
        self.calls["get_salesorder"] += 1
        if salesorder_id not in self.salesorders:
            raise ProviderRequestError("zoho", "Sales order does not exist.", http_status=404, code=1002)
        return self.salesorders[salesorder_id].model_copy(deep=True)

    def update_salesorder_custom_fields(self, salesorder_id: str, values: Mapping[str, str]) -> None:
        self.custom_fields.setdefault(salesorder_id, {}).update(values)
        self._after_write("update_salesorder")

    def create_salesreturn(
        self,
        salesorder_id: str,
        *,
        date: str,
        reason: str,
        line_items: Sequence[ReturnLine],
        location_id: str | None = None,
        reference_number: str | None = None,
    ) -> ZohoSalesReturn:
        so = self.salesorders[salesorder_id]
        shipped = {line.line_item_id: line.quantity_shipped or 0 for line in so.line_items}
        for line in line_items:
            if line.quantity > shipped.get(line.salesorder_item_id, 0):
                raise ProviderRequestError("zoho", "Only shipped items can be returned.", http_status=400, code=36015)
        salesreturn_id = str(next(self._ids))
        ids = {line.salesorder_item_id: str(next(self._ids)) for line in line_items}
        self.salesreturns[salesreturn_id] = {
            "salesorder_id": salesorder_id,
            "reason": reason,
            "location_id": location_id,
            "reference_number": reference_number,
            "lines": [(line.salesorder_item_id, line.item_id, line.quantity) for line in line_items],
            "line_item_ids": ids,
            "receive_status": "not_received",
        }
        so.salesreturns.append(
            ZohoSalesReturnRef(
                salesreturn_id=salesreturn_id, reference_number=reference_number, salesreturn_status="approved"
            )
        )
        self._after_write("create_salesreturn")
        return self.get_salesreturn(salesreturn_id, count=False)

    def get_salesreturn(self, salesreturn_id: str, *, count: bool = True) -> ZohoSalesReturn:
        if count:
            self.calls["get_salesreturn"] += 1
        record = self.salesreturns[salesreturn_id]
        return ZohoSalesReturn(
            salesreturn_id=salesreturn_id,
            reference_number=record["reference_number"],
            receive_status=record["receive_status"],
            line_item_ids=dict(record["line_item_ids"]),
        )

    def create_salesreturn_receive(
        self, salesreturn_id: str, *, date: str, line_items: Sequence[tuple[str, float]], notes: str = ""
    ) -> str:
        record = self.salesreturns[salesreturn_id]
        if record["receive_status"] == "received":
            raise ProviderRequestError("zoho", "Quantity received exceeds the quantity returned.", http_status=400)
        record["receive_status"] = "received"
        self.receives.append({"salesreturn_id": salesreturn_id, "lines": list(line_items), "notes": notes})
        self._after_write("create_salesreturn_receive")
        return str(next(self._ids))

    def get_invoice(self, invoice_id: str) -> ZohoInvoice:
        self.calls["get_invoice"] += 1
        return self.invoices[invoice_id].model_copy(deep=True)

    def create_creditnote(
        self,
        *,
        customer_id: str,
        date: str,
        invoice_id: str,
        lines: Sequence[CreditNoteLine],
        reference_number: str,
    ) -> str:
        # A credit note line names the return's own line only: (return line -> (sales return, sales order line)).
        returned = {
            return_line: (salesreturn_id, so_line)
            for salesreturn_id, record in self.salesreturns.items()
            for so_line, return_line in record["line_item_ids"].items()
        }
        invoiced = set(self.invoices[invoice_id].line_item_ids.values())
        for line in lines:
            assert line.salesreturn_item_id in returned, "credit note line not on the return"
            assert line.invoice_item_id in invoiced, "credit note line not on the invoice"
            assert line.rate is not None, "credit note line without the invoiced rate"
        (salesreturn_id,) = {returned[line.salesreturn_item_id][0] for line in lines}
        so = self.salesorders[self.salesreturns[salesreturn_id]["salesorder_id"]]
        tax = {line.line_item_id: line.tax_percentage or 0.0 for line in so.line_items}
        credited = [(returned[line.salesreturn_item_id][1], line) for line in lines]
        total = sum(
            round((line.rate or 0.0) * line.quantity * (1 + tax[so_line] / 100), 2) for so_line, line in credited
        )
        total = round(total + self.creditnote_rounding, 2)
        creditnote_id = str(next(self._ids))
        self.creditnotes[creditnote_id] = {
            "customer_id": customer_id,
            "invoice_id": invoice_id,
            "salesreturn_id": salesreturn_id,
            "reference_number": reference_number,
            "lines": [(so_line, line.quantity) for so_line, line in credited],
            "total": total,
            "balance": total,
        }
        self._after_write("create_creditnote")
        return creditnote_id

    def find_creditnote_by_reference(self, reference_number: str) -> str | None:
        self.calls["find_creditnote"] += 1
        return next((i for i, cn in self.creditnotes.items() if cn["reference_number"] == reference_number), None)

    def get_creditnote(self, creditnote_id: str) -> ZohoCreditNote:
        self.calls["get_creditnote"] += 1
        note = self.creditnotes[creditnote_id]
        return ZohoCreditNote(
            creditnote_id=creditnote_id,
            reference_number=note["reference_number"],
            invoice_id=note["invoice_id"],
            status="open" if note["balance"] else "closed",
            total=note["total"],
            balance=note["balance"],
        )

    def apply_creditnote_to_invoice(self, creditnote_id: str, invoice_id: str, amount: float) -> None:
        # Zoho refuses, to the paisa, an application above either balance.
        target, note = self.invoices[invoice_id], self.creditnotes[creditnote_id]
        if round(amount * 100) > round((target.balance or 0) * 100):
            raise ProviderRequestError("zoho", "The amount applied exceeds the invoice's balance due.", http_status=400)
        if round(amount * 100) > round(note["balance"] * 100):
            raise ProviderRequestError(
                "zoho", "The amount applied exceeds the credit note's available balance.", http_status=400
            )
        target.balance = round((target.balance or 0) - amount, 2)
        note["balance"] = round(note["balance"] - amount, 2)
        self.applications.append((creditnote_id, invoice_id, amount))
        self._after_write("apply_creditnote")


def quote(courier_id: int, name: str, rate: float, *, etd_hours: float = 72, blocked: int = 0) -> CourierQuote:
    return CourierQuote(
        courier_company_id=courier_id, courier_name=name, rate=rate, etd_hours=etd_hours, blocked=blocked
    )


RETURN_QUOTES = [
    quote(43, "Delhivery Reverse", 92.0),
    quote(51, "Ekart Reverse", 78.5),
    quote(10, "DTDC Reverse", 78.5, etd_hours=48),
    quote(99, "Blocked Reverse", 10.0, blocked=1),
]


class FakeReturnsShiprocket:
    def __init__(self, quotes: Sequence[CourierQuote] = RETURN_QUOTES) -> None:
        self.quotes = list(quotes)
        self.refusing: dict[int, str] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.serviceability_args: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self._ids = itertools.count(170872392)

    def serviceability(self, **kwargs: Any) -> list[CourierQuote]:
        self.calls["serviceability"] += 1
        self.serviceability_args.append(kwargs)
        if not self.quotes:
            raise NotServiceable("Pickup postcode not serviceable")
        return list(self.quotes)

    def create_return_order(self, order: ShiprocketReturnOrder) -> CreatedOrder:
        self.calls["create_return_order"] += 1
        if order.order_id in self.orders:
            raise OrderIdTaken(
                "shiprocket",
                "The order id has already been taken.",
                http_status=422,
                field_errors={"order_id": ["The order id has already been taken."]},
            )
        record = {"sr_order_id": next(self._ids), "shipment_id": next(self._ids), "order": order, "awb": None}
        self.orders[order.order_id] = record
        return CreatedOrder(
            sr_order_id=record["sr_order_id"],
            shipment_id=record["shipment_id"],
            status="RETURN PENDING",
            status_code=21,
        )

    def assign_awb(self, shipment_id: int, courier_id: int, *, is_return: bool = False) -> AwbAssignment:
        self.calls["assign_awb"] += 1
        # A return shipment's AWB must be asked for as one (docs/providers/shiprocket.md §9).
        assert is_return, "a return AWB without is_return"
        name = next(q.courier_name for q in self.quotes if q.courier_company_id == courier_id)
        if courier_id in self.refusing:
            raise AwbRefused(courier_id, name, self.refusing[courier_id])
        record = next(r for r in self.orders.values() if r["shipment_id"] == shipment_id)
        record["awb"] = f"R{shipment_id}"
        return AwbAssignment(awb_code=record["awb"], courier_company_id=courier_id, courier_name=name)


class MemoryRestockLedger(MemoryLedger):
    """The one in-memory ledger, with shipped orders to return and a worker that can die after the n-th restock
    save (``die_on_save``, 1-based): the write lands, then the worker is gone."""

    def __init__(self) -> None:
        super().__init__()
        self.saves = 0
        self.die_on_save: int | None = None

    def ship(self, salesorder_id: str, salesorder_number: str, awb: str, courier_name: str = "Delhivery") -> None:
        entry = self.ensure(salesorder_id, salesorder_number)
        self.record_awb(entry, awb=awb, courier_id=1, courier_name=courier_name)

    def save(self, awb: str, **changes: Unpack[RestockChanges]) -> None:
        super().save(awb, **changes)
        self.saves += 1
        if self.saves == self.die_on_save:
            raise WorkerDied(f"after ledger save {self.saves}")
