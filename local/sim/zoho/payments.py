"""Books money: customer payments applied to invoices, and expenses (docs/providers/zoho.md §9)."""

from __future__ import annotations

import copy
from typing import Any

from local.sim.base import Request, Response
from local.sim.zoho.common import (
    ZohoError,
    _body_date,
    _cents,
    _custom_field_entries,
    _invalid,
    _money,
)
from local.sim.zoho.invoices import InvoicesMixin

# Books' payment modes (docs/providers/zoho.md §9).
PAYMENT_MODES = frozenset(
    {"cash", "check", "creditcard", "banktransfer", "bankremittance", "autotransaction", "others"}
)
MAX_REFERENCE_LENGTH = 100


class PaymentsMixin(InvoicesMixin):
    # ------------------------------------------------------------------ customer payments (docs/providers/zoho.md §9)
    def _create_customerpayment(self, request: Request) -> Response:
        payment = self._record_payment(self._body(request), replacing=None)
        # No duplicate check on reference_number: none is documented (docs/providers/zoho.md §9); a repeat pays twice.
        message = "The payment has been created."
        return Response(201, {"code": 0, "message": message, "payment": copy.deepcopy(payment)})

    def _update_customerpayment(self, request: Request) -> Response:
        # PUT /customerpayments/{payment_id} takes the whole payment (customer_id, payment_mode, amount and
        # invoices required, per [OAS-B] customer-payments.yml) and re-applies it to its invoices.
        old = self._get("customerpayments", request.params["payment_id"], "Payment")
        payment = self._record_payment(self._body(request), replacing=old)
        message = "The payment details have been updated."
        return Response(200, {"code": 0, "message": message, "payment": copy.deepcopy(payment)})

    def _record_payment(self, body: dict[str, Any], *, replacing: dict[str, Any] | None) -> dict[str, Any]:
        """Validates a payment body, applies it to its invoices (undoing what ``replacing`` applied) and stores it."""
        customer_id = str(body.get("customer_id") or "").strip()
        if not customer_id:
            raise _invalid("customer_id")
        payment_mode = str(body.get("payment_mode") or "")
        if payment_mode not in PAYMENT_MODES:
            raise _invalid("payment_mode")
        amount = _cents(_money(body.get("amount"), "amount", positive=True))
        date = _body_date(body) if replacing is None or "date" in body else str(replacing["date"])
        bank_charges = _cents(_money(body.get("bank_charges") or 0, "bank_charges", positive=False))
        if bank_charges > amount:
            raise _invalid("bank_charges")
        reference_number = str(body.get("reference_number") or "")
        if len(reference_number) > MAX_REFERENCE_LENGTH:
            raise _invalid("reference_number")
        custom_fields = _custom_field_entries(body)
        entries = body.get("invoices")
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise _invalid("invoices")
        applied_before = {
            str(entry["invoice_id"]): _cents(entry["amount_applied"]) for entry in (replacing or {}).get("invoices", [])
        }
        per_invoice: dict[str, int] = {}
        for entry in entries:
            invoice = self.records["invoices"].get(str(entry.get("invoice_id") or ""))
            if invoice is None:
                raise _invalid("invoice_id")
            if invoice["status"] in ("draft", "void"):
                # Wording and code UNCERTAIN; refusing drafts catches a client that forgets to mark an invoice sent.
                raise ZohoError(
                    400,
                    2,
                    f"Payments cannot be recorded for the {invoice['status']} invoice {invoice['invoice_number']}.",
                )
            if invoice.get("customer_id") not in (None, customer_id):
                # 3004 comes from the Zoho Invoice docs; UNCERTAIN for Books (docs/providers/zoho.md §3, §9).
                raise ZohoError(400, 3004, "The customer of the payment does not match the customer of the invoice.")
            cents = _cents(_money(entry.get("amount_applied"), "amount_applied", positive=True))
            per_invoice[invoice["invoice_id"]] = per_invoice.get(invoice["invoice_id"], 0) + cents
        for invoice_id, cents in per_invoice.items():
            if cents > _cents(self.records["invoices"][invoice_id]["balance"]) + applied_before.get(invoice_id, 0):
                raise ZohoError(
                    400, 24016, "The amount entered is more than the balance due for the selected invoices."
                )
        applied_total = sum(per_invoice.values())
        if applied_total > amount:
            # The real code for applying more than was received is not published: GUESS.
            raise ZohoError(400, 2, "The amount applied to invoices exceeds the amount received.")
        for invoice_id, cents in applied_before.items():
            self._settle_invoice(self.records["invoices"][invoice_id], -cents)
        first_invoice = self.records["invoices"][next(iter(per_invoice))]
        applied = []
        for invoice_id, cents in per_invoice.items():
            invoice = self.records["invoices"][invoice_id]
            self._settle_invoice(invoice, cents)
            applied.append(
                {
                    "invoice_payment_id": self._new_id(),
                    "invoice_id": invoice_id,
                    "invoice_number": invoice["invoice_number"],
                    "date": invoice["date"],
                    "total": invoice["total"],
                    "amount_applied": cents / 100,
                    "balance_amount": invoice["balance"],
                }
            )
        if replacing is None:
            used = {p["payment_number"] for p in self.records["customerpayments"].values()}
            number = next(n for n in (str(k) for k in self._payment_numbers) if n not in used)
            identity = {"payment_id": self._new_id(), "payment_number": number, "created_time": self._now_text()}
        else:
            identity = {key: replacing[key] for key in ("payment_id", "payment_number", "created_time")}
        payment = {
            "payment_id": identity["payment_id"],
            "payment_number": identity["payment_number"],
            "payment_mode": payment_mode,
            "date": date,
            # The published status of a recorded payment (docs/providers/zoho.md §9); no other value is modelled.
            "status": "success",
            "amount": amount / 100,
            "bank_charges": bank_charges / 100,
            "unused_amount": (amount - applied_total) / 100,
            "reference_number": reference_number,
            "description": str(body.get("description") or ""),
            "customer_id": customer_id,
            "customer_name": first_invoice.get("customer_name", ""),
            "account_id": str(body.get("account_id") or ""),
            "currency_code": "INR",
            "invoices": applied,
            "custom_fields": [self._custom_field(entry) for entry in custom_fields],
            "created_time": identity["created_time"],
            "last_modified_time": self._now_text(),
        }
        self.records["customerpayments"][payment["payment_id"]] = payment
        return payment

    def _get_customerpayment(self, request: Request) -> Response:
        payment = self._get("customerpayments", request.params["payment_id"], "Payment")
        return Response(200, {"code": 0, "message": "success", "payment": copy.deepcopy(payment)})

    def _list_customerpayments(self, request: Request) -> Response:
        columns = (
            "payment_id",
            "payment_number",
            "payment_mode",
            "date",
            "amount",
            "bank_charges",
            "unused_amount",
            "reference_number",
            "description",
            "customer_id",
            "customer_name",
            "account_id",
            "created_time",
            "last_modified_time",
        )
        rows = (
            {
                **{key: payment[key] for key in columns},
                # Both specs name the invoice paid ``invoice_number`` (several joined by commas: GUESS); custom
                # fields are flattened as on the sales order list ([ZTS]).
                "invoice_number": ",".join(entry["invoice_number"] for entry in payment["invoices"]),
                **{field["api_name"]: field["value"] for field in payment["custom_fields"]},
            }
            for payment in self.records["customerpayments"].values()
            if _reference_matches(payment, request.query) and _equals(payment, request.query, "customer_id")
        )
        # Books' spec lists payments under ``customer_payments``, Inventory's under ``customerpayments``
        # (docs/providers/zoho.md §9).
        key = "customer_payments" if request.path.startswith("/books/") else "customerpayments"
        return self._page(request, key, rows, "Customer Payments")

    # ------------------------------------------------------------------ expenses (Books, docs/providers/zoho.md §9)
    def _create_expense(self, request: Request) -> Response:
        body = self._body(request)
        for field in ("account_id", "paid_through_account_id"):
            if not str(body.get(field) or "").strip():
                raise _invalid(field)
        date = _body_date(body)
        amount = _money(body.get("amount"), "amount", positive=True)
        reference_number = str(body.get("reference_number") or "")
        if len(reference_number) > MAX_REFERENCE_LENGTH:
            raise _invalid("reference_number")
        expense: dict[str, Any] = {
            "expense_id": self._new_id(),
            # The expense's own ledger transaction (published as " ": blank until Books posts it, GUESS).
            "transaction_id": self._new_id(),
            "account_id": str(body["account_id"]),
            "paid_through_account_id": str(body["paid_through_account_id"]),
            "date": date,
            "amount": amount,
            "total": amount,
            "reference_number": reference_number,
            "description": str(body.get("description") or ""),
            "vendor_id": str(body.get("vendor_id") or ""),
            "currency_code": "INR",
            "status": "nonbillable",
            "created_time": self._now_text(),
            "last_modified_time": self._now_text(),
        }
        self.records["expenses"][expense["expense_id"]] = expense
        message = "The expense has been recorded."
        # Books' create-an-expense-response is a 200, unlike its other creates (docs/providers/zoho.md §3, §9).
        return Response(200, {"code": 0, "message": message, "expense": copy.deepcopy(expense)})

    def _get_expense(self, request: Request) -> Response:
        expense = self._get("expenses", request.params["expense_id"], "Expense")
        return Response(200, {"code": 0, "message": "success", "expense": copy.deepcopy(expense)})

    def _list_expenses(self, request: Request) -> Response:
        rows = (
            copy.deepcopy(expense)
            for expense in self.records["expenses"].values()
            if _reference_matches(expense, request.query)
        )
        return self._page(request, "expenses", rows, "Expenses")

    def _create_journal(self, request: Request) -> Response:
        """``POST /books/v3/journals`` (docs/providers/zoho.md §16): 201 as published. Lines that do not balance
        are taken, as the published request itself (one credit line) is: whether Books refuses them is not stated."""
        body = self._body(request)
        date = _body_date({"date": body.get("journal_date")})
        reference_number = str(body.get("reference_number") or "")
        if len(reference_number) > MAX_REFERENCE_LENGTH:
            raise _invalid("reference_number")
        given = body.get("line_items")
        if not isinstance(given, list) or not given:
            raise _invalid("line_items")
        lines: list[dict[str, Any]] = []
        for raw in given:
            line = raw if isinstance(raw, dict) else {}
            side = str(line.get("debit_or_credit") or "")
            if side not in ("debit", "credit") or not str(line.get("account_id") or "").strip():
                raise _invalid("line_items")
            amount = _money(line.get("amount"), "amount", positive=True)
            lines.append(
                {
                    "line_id": self._new_id(),
                    "account_id": str(line["account_id"]),
                    "description": str(line.get("description") or ""),
                    "debit_or_credit": side,
                    "amount": amount,
                }
            )
        total = round(
            max(
                sum(line["amount"] for line in lines if line["debit_or_credit"] == side) for side in ("debit", "credit")
            ),
            2,
        )
        journal_id = self._new_id()
        journal: dict[str, Any] = {
            "journal_id": journal_id,
            "entry_number": str(len(self.records["journals"]) + 1),
            "reference_number": reference_number,
            "notes": str(body.get("notes") or ""),
            "journal_date": date,
            "journal_type": str(body.get("journal_type") or "both"),
            "line_items": lines,
            "line_item_total": total,
            "total": total,
            "status": "published" if body.get("status") == "published" else "draft",
        }
        self.records["journals"][journal_id] = journal
        return Response(
            201, {"code": 0, "message": "The journal entry has been created.", "journal": copy.deepcopy(journal)}
        )

    def _get_journal(self, request: Request) -> Response:
        journal = self._get("journals", request.params["journal_id"], "Journal")
        return Response(200, {"code": 0, "message": "success", "journal": copy.deepcopy(journal)})

    def _list_journals(self, request: Request) -> Response:
        keys = ("journal_id", "journal_date", "entry_number", "reference_number", "notes", "total")
        rows = (
            {key: journal[key] for key in keys}
            for journal in self.records["journals"].values()
            if _reference_matches(journal, request.query)
        )
        return self._page(request, "journals", rows, "Journals")


def _reference_matches(record: dict[str, Any], query: dict[str, str]) -> bool:
    """The list filters ``reference_number``, ``reference_number_startswith`` and ``reference_number_contains``."""
    reference = str(record.get("reference_number") or "")
    exact = query.get("reference_number")
    starts = query.get("reference_number_startswith")
    contains = query.get("reference_number_contains")
    return (
        (not exact or reference == exact)
        and (not starts or reference.startswith(starts))
        and (not contains or contains in reference)
    )


def _equals(record: dict[str, Any], query: dict[str, str], key: str) -> bool:
    return not query.get(key) or str(record.get(key)) == query[key]
