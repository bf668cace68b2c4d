"""Zoho Books v3 endpoints (docs/providers/zoho.md §9): customer payments, expenses, invoices from a sales order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shipsync.clients.zoho.transport import (
    ZohoTransport,
    custom_fields_body,
    dicts,
    entity_id,
    entity_of,
    parse_answer,
)
from shipsync.domain.models import ZOHO_REFERENCE_MAX, ZohoCustomerPayment

PAYMENT_MODE_BANK_TRANSFER = "banktransfer"
_PAISA = Decimal("0.01")


class ZohoBooks(ZohoTransport):
    """The ``/books/v3`` endpoints of the COD remittance."""

    def find_payments_by_reference(self, reference_number: str) -> list[ZohoCustomerPayment]:
        """Every customer payment carrying exactly this reference (all pages)."""
        return [_payment(row) for row in self._rows_by_reference("/books/v3/customerpayments", reference_number)]

    def get_customer_payment(self, payment_id: str) -> ZohoCustomerPayment:
        """The whole payment: list rows may leave out ``bank_charges`` and ``invoices``."""
        body = self._request("GET", "/books/v3/customerpayments/{payment_id}", payment_id=payment_id)
        return _payment(entity_of(body, "payment"))

    def set_payment_bank_charges(self, payment: ZohoCustomerPayment, bank_charges: Decimal) -> ZohoCustomerPayment:
        """``PUT /books/v3/customerpayments/{id}`` with the payment as read and new bank charges.

        The update takes the whole payment (customer, mode, amount and invoices are required, [OAS-B]
        customer-payments.yml), so everything else goes back unchanged. Setting a value, not adding one,
        makes a repeat harmless."""
        if not payment.invoices:
            raise ValueError("updating a payment needs the payment as fetched, with its invoices")
        if bank_charges < 0 or bank_charges > payment.amount:
            raise ValueError(f"bank charges must be between 0 and the amount, got {bank_charges}")
        request_body = _payment_body(
            customer_id=payment.customer_id,
            payment_mode=payment.payment_mode or PAYMENT_MODE_BANK_TRANSFER,
            amount=payment.amount,
            date=payment.date,
            reference_number=payment.reference_number or "",
            description=payment.description or "",
            bank_charges=bank_charges,
            applied=[(entry.invoice_id, entry.amount_applied) for entry in payment.invoices],
            account_id=payment.account_id,
            custom_fields=payment.custom_fields,
        )
        body = self._request(
            "PUT", "/books/v3/customerpayments/{payment_id}", body=request_body, payment_id=payment.payment_id
        )
        return _payment(entity_of(body, "payment"))

    def find_expenses_by_reference(self, reference_number: str) -> list[str]:
        """The ids of every expense carrying exactly this reference (all pages)."""
        rows = self._rows_by_reference("/books/v3/expenses", reference_number)
        return [entity_id(row, "expense_id") for row in rows]

    def create_customer_payment(
        self,
        *,
        customer_id: str,
        invoice_id: str,
        amount: Decimal,
        date: str,
        reference_number: str,
        description: str,
        bank_charges: Decimal = Decimal("0"),
        account_id: str | None = None,
        custom_fields: Mapping[str, str] | None = None,
    ) -> ZohoCustomerPayment:
        """A bank-transfer payment of ``amount`` applied whole to one invoice; overpayment is code 24016."""
        if amount <= 0:
            raise ValueError(f"a payment amount must be positive, got {amount}")
        if bank_charges < 0 or bank_charges > amount:
            raise ValueError(f"bank charges must be between 0 and the amount, got {bank_charges}")
        if len(reference_number) > ZOHO_REFERENCE_MAX:
            raise ValueError(f"a reference number holds at most {ZOHO_REFERENCE_MAX} characters")
        request_body = _payment_body(
            customer_id=customer_id,
            payment_mode=PAYMENT_MODE_BANK_TRANSFER,
            amount=amount,
            date=date,
            reference_number=reference_number,
            description=description,
            bank_charges=bank_charges,
            applied=[(invoice_id, amount)],
            account_id=account_id,
            custom_fields=custom_fields,
        )
        body = self._request("POST", "/books/v3/customerpayments", body=request_body)
        return _payment(entity_of(body, "payment"))

    def create_expense(
        self,
        *,
        account_id: str,
        paid_through_account_id: str,
        amount: Decimal,
        date: str,
        reference_number: str,
        description: str,
    ) -> str:
        """Records Shiprocket's deductions as an expense paid from the deposit account; returns the expense id."""
        if amount <= 0:
            raise ValueError(f"an expense amount must be positive, got {amount}")
        if len(reference_number) > ZOHO_REFERENCE_MAX:
            raise ValueError(f"a reference number holds at most {ZOHO_REFERENCE_MAX} characters")
        body = self._request(
            "POST",
            "/books/v3/expenses",
            body={
                "account_id": account_id,
                "paid_through_account_id": paid_through_account_id,
                "amount": _money(amount),
                "date": date,
                "reference_number": reference_number,
                "description": description,
            },
        )
        return entity_id(entity_of(body, "expense"), "expense_id")

    def find_journals_by_reference(self, reference_number: str) -> list[str]:
        """The ids of every journal carrying exactly this reference (all pages), docs/providers/zoho.md §16."""
        rows = self._rows_by_reference("/books/v3/journals", reference_number)
        return [entity_id(row, "journal_id") for row in rows]

    def create_journal(
        self,
        *,
        date: str,
        reference_number: str,
        notes: str,
        debit_account_id: str,
        credit_account_id: str,
        amount: Decimal,
    ) -> str:
        """A published two-line journal moving ``amount`` from ``credit_account_id`` to ``debit_account_id`` (a
        freight reversal: the wallet debited, the freight expense credited); returns the journal id. Answered 201
        as published; judged by its ``code``."""
        if amount <= 0:
            raise ValueError(f"a journal amount must be positive, got {amount}")
        if len(reference_number) > ZOHO_REFERENCE_MAX:
            raise ValueError(f"a reference number holds at most {ZOHO_REFERENCE_MAX} characters")
        line = {"amount": _money(amount), "description": notes[:ZOHO_REFERENCE_MAX]}
        body = self._request(
            "POST",
            "/books/v3/journals",
            body={
                "journal_date": date,
                "reference_number": reference_number,
                "notes": notes,
                "status": "published",
                "line_items": [
                    {**line, "account_id": debit_account_id, "debit_or_credit": "debit"},
                    {**line, "account_id": credit_account_id, "debit_or_credit": "credit"},
                ],
            },
        )
        return entity_id(entity_of(body, "journal"), "journal_id")

    def create_invoice_from_salesorder(self, salesorder_id: str) -> str:
        """Invoices what is left of the order and marks it sent (Zoho creates drafts); returns the invoice id."""
        body = self._request(
            "POST", "/books/v3/invoices/fromsalesorder", params={"salesorder_id": salesorder_id}, body={}
        )
        invoice_id = entity_id(entity_of(body, "invoice"), "invoice_id")
        self._request("POST", "/books/v3/invoices/{invoice_id}/status/sent", invoice_id=invoice_id)
        return invoice_id


def _payment_body(
    *,
    # Optional only as a fetched payment types them: Zoho always answers both.
    customer_id: str | None,
    payment_mode: str,
    amount: Decimal,
    date: str | None,
    reference_number: str,
    description: str,
    bank_charges: Decimal,
    applied: Sequence[tuple[str, Decimal]],
    account_id: str | None,
    custom_fields: Mapping[str, str] | None,
) -> dict[str, Any]:
    """A customer payment as both its create and its update take it (docs/providers/zoho.md §9)."""
    body: dict[str, Any] = {
        "customer_id": customer_id,
        "payment_mode": payment_mode,
        "amount": _money(amount),
        "date": date,
        "reference_number": reference_number,
        "description": description,
        "bank_charges": _money(bank_charges),
        "invoices": [{"invoice_id": invoice_id, "amount_applied": _money(share)} for invoice_id, share in applied],
    }
    if account_id:
        body["account_id"] = account_id
    if custom_fields:
        body["custom_fields"] = custom_fields_body(custom_fields)
    return body


def _money(amount: Decimal) -> float:
    """Rupees to two decimals as a JSON number: the float only carries an already-rounded Decimal."""
    return float(amount.quantize(_PAISA, rounding=ROUND_HALF_UP))


def _payment(entity: Mapping[str, Any]) -> ZohoCustomerPayment:
    """A payment from a detail answer or a list row (comma-separated ``invoice_numbers``, flattened ``cf_`` keys)."""
    custom_fields = {key: str(value) for key, value in entity.items() if key.startswith("cf_") and value is not None}
    for field in dicts(entity.get("custom_fields")):
        name = field.get("api_name") or field.get("placeholder")
        if name and field.get("value") is not None:
            custom_fields[str(name)] = str(field["value"])
    invoices = dicts(entity.get("invoices"))
    # List rows name the invoices paid as ``invoice_numbers`` (comma-separated) or, in Books' spec, ``invoice_number``.
    raw_numbers = entity.get("invoice_numbers") or entity.get("invoice_number")
    if isinstance(raw_numbers, str) and raw_numbers.strip():
        numbers = [number.strip() for number in raw_numbers.split(",") if number.strip()]
    else:
        numbers = [str(entry["invoice_number"]) for entry in invoices if entry.get("invoice_number")]
    data = {
        **{
            key: value
            for key, value in entity.items()
            if key not in ("custom_fields", "invoices", "invoice_numbers", "invoice_number")
        },
        "invoices": invoices,
        "invoice_numbers": numbers,
        "custom_fields": custom_fields,
    }
    if data.get("bank_charges") in (None, ""):
        data["bank_charges"] = "0"
    return parse_answer(ZohoCustomerPayment, data)
