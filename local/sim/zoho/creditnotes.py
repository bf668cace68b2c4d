"""Credit notes, of returned units or not, and applying their balance to invoices (docs/providers/zoho.md §8)."""

from __future__ import annotations

import copy
from typing import Any

from local.sim.base import Request, Response
from local.sim.zoho.common import (
    ZohoError,
    _already_exists,
    _as_number,
    _body_date,
    _cents,
    _custom_field_entries,
    _invalid,
    _line_amount,
    _line_entries,
    _money,
    _num,
    _totals,
    _upsert,
)
from local.sim.zoho.invoices import InvoicesMixin


class CreditNotesMixin(InvoicesMixin):
    def _create_creditnote(self, request: Request) -> Response:
        body = self._body(request)
        customer_id = str(body.get("customer_id") or "").strip()
        if not customer_id:
            raise _invalid("customer_id")
        date = _body_date(body)
        entries = _line_entries(body)
        custom_fields = _custom_field_entries(body)
        invoice: dict[str, Any] | None = None
        if request.query.get("invoice_id", "").strip():
            invoice = self.records["invoices"].get(request.query["invoice_id"].strip())
            if invoice is None:
                raise _invalid("invoice_id")
        used = {c["creditnote_number"] for c in self.records["creditnotes"].values()}
        number = body.get("creditnote_number")
        if number:
            if request.query.get("ignore_auto_number_generation") != "true":
                raise _invalid("creditnote_number")
            if number in used:
                raise _already_exists(f'Credit Note Number "{number}"')
        lines = [self._creditnote_line(entry, invoice) for entry in entries]
        invoices = [self.records["invoices"][line["invoice_id"]] for line in lines if line["invoice_id"]]
        if any(i.get("customer_id") not in (None, customer_id) for i in [*invoices, *filter(None, [invoice])]):
            raise _invalid("customer_id")
        self._check_credited_quantities(lines)
        invoice = invoice or (invoices[0] if invoices else None)
        # Numbered only once valid, so a refused request leaves no gap in the series.
        number = number or next(n for n in (f"CN-{k:05d}" for k in self._creditnote_numbers) if n not in used)
        sub_total, tax_total = _totals(lines)
        total = round(sub_total + tax_total, 2)
        return_ids = sorted(
            {self._salesreturn_of(line["salesreturn_item_id"])[0] for line in lines if line["salesreturn_item_id"]}
        )
        creditnote = {
            "creditnote_id": self._new_id(),
            "creditnote_number": number,
            "date": date,
            "status": "open",
            "customer_id": customer_id,
            "customer_name": (invoice or {}).get("customer_name", ""),
            "reference_number": body.get("reference_number", ""),
            "invoice_id": (invoice or {}).get("invoice_id", ""),
            "invoice_number": (invoice or {}).get("invoice_number", ""),
            "salesreturn_id": return_ids[0] if return_ids else "",
            "currency_code": "INR",
            "line_items": lines,
            "sub_total": sub_total,
            "tax_total": tax_total,
            "total": total,
            # An unapplied credit note's whole total is available credit.
            "balance": total,
            "custom_fields": [self._custom_field(entry) for entry in custom_fields],
            "invoices_credited": [],
            "created_time": self._now_text(),
            "last_modified_time": self._now_text(),
        }
        self.records["creditnotes"][creditnote["creditnote_id"]] = creditnote
        self._link_creditnote(creditnote)
        message = "The credit note has been created."
        return Response(201, {"code": 0, "message": message, "creditnote": copy.deepcopy(creditnote)})

    def _creditnote_line(self, entry: dict[str, Any], default_invoice: dict[str, Any] | None) -> dict[str, Any]:
        invoice_id = str(entry.get("invoice_id") or (default_invoice or {}).get("invoice_id") or "")
        invoice = self.records["invoices"].get(invoice_id) if invoice_id else None
        if invoice_id and invoice is None:
            raise _invalid("invoice_id")
        invoice_item_id = str(entry.get("invoice_item_id") or "")
        invoice_line: dict[str, Any] | None = None
        if invoice_item_id:
            lines = invoice["line_items"] if invoice is not None else []
            invoice_line = next((line for line in lines if line["line_item_id"] == invoice_item_id), None)
            if invoice_line is None:
                raise _invalid("invoice_item_id")
        salesreturn_item_id = str(entry.get("salesreturn_item_id") or "")
        return_line = self._salesreturn_of(salesreturn_item_id)[1] if salesreturn_item_id else None
        item_id = str(entry.get("item_id") or (invoice_line or {}).get("item_id") or "")
        if not item_id or any(
            ref is not None and str(ref.get("item_id")) != item_id for ref in (invoice_line, return_line)
        ):
            raise _invalid("item_id")
        quantity = _num(entry.get("quantity"), "quantity")
        rate = _money(entry.get("rate", (invoice_line or {}).get("rate")), "rate", positive=False)
        # Like tax_id, the discount is only what the request sends (UNCERTAIN whether Zoho copies the invoice
        # line's discount by itself): leaving it out credits the undiscounted amount.
        discount = _creditnote_discount(entry.get("discount"), quantity * rate)
        tax_id = str(entry.get("tax_id") or "")
        named = invoice_line or return_line or self.records["items"].get(item_id) or {}
        return {
            "line_item_id": self._new_id(),
            "item_id": item_id,
            "sku": named.get("sku"),
            "name": named.get("name"),
            "unit": named.get("unit", ""),
            "hsn_or_sac": named.get("hsn_or_sac", ""),
            "quantity": quantity,
            "rate": rate,
            "discount": discount,
            "item_total": _line_amount({"rate": rate, "quantity": quantity, "discount": discount}),
            # Tax follows the line's tax_id only: leaving it out credits the pre-tax amount (UNCERTAIN
            # whether Zoho copies the invoice line's tax by itself; sending tax_id is right either way).
            "tax_id": tax_id,
            "tax_percentage": self._tax_percentage(tax_id) if tax_id else 0,
            "invoice_id": invoice_id,
            "invoice_item_id": invoice_item_id,
            "salesreturn_item_id": salesreturn_item_id,
            "is_item_shipped": _flag(entry.get("is_item_shipped")),
            "is_returned_to_stock": _flag(entry.get("is_returned_to_stock")),
        }

    def _salesreturn_of(self, salesreturn_item_id: str) -> tuple[str, dict[str, Any]]:
        """(sales return id, return line) for a return line id."""
        for salesreturn in self.records["salesreturns"].values():
            for line in salesreturn["line_items"]:
                if line["line_item_id"] == salesreturn_item_id:
                    return salesreturn["salesreturn_id"], line
        raise _invalid("salesreturn_item_id")

    def _tax_percentage(self, tax_id: str) -> float:
        """The org's rate for a tax id, as the seeded orders and invoices carry it."""
        documents = [*self.records["salesorders"].values(), *self.records["invoices"].values()]
        for document in documents:
            for line in document["line_items"]:
                if str(line.get("tax_id", "")) == tax_id and line.get("tax_percentage") is not None:
                    return float(line["tax_percentage"])
        raise _invalid("tax_id")

    def _check_credited_quantities(self, lines: list[dict[str, Any]]) -> None:
        # Zoho tracks what of a return has been credited; its error for over-crediting is UNCERTAIN.
        credited: dict[str, float] = {}
        for note in self.records["creditnotes"].values():
            if note["status"] != "void":
                for line in note["line_items"]:
                    if line["salesreturn_item_id"]:
                        key = line["salesreturn_item_id"]
                        credited[key] = credited.get(key, 0.0) + float(line["quantity"])
        for line in lines:
            key = line["salesreturn_item_id"]
            if not key:
                continue
            credited[key] = credited.get(key, 0.0) + float(line["quantity"])
            returned = float(self._salesreturn_of(key)[1]["quantity"])
            if credited[key] > returned:
                raise ZohoError(
                    400, 2, f"Quantity to be credited for {line.get('name') or key} exceeds the returned quantity."
                )

    def _link_creditnote(self, creditnote: dict[str, Any]) -> None:
        """Show the credit note on its sales return and on the sales order it credits."""
        ref = {
            key: creditnote[key] for key in ("creditnote_id", "creditnote_number", "date", "status", "total", "balance")
        }
        salesreturn = self.records["salesreturns"].get(creditnote["salesreturn_id"])
        if salesreturn is not None:
            _upsert(salesreturn["creditnotes"], "creditnote_id", ref)
        invoice = self.records["invoices"].get(creditnote["invoice_id"], {})
        salesorder_id = (salesreturn or {}).get("salesorder_id") or invoice.get("salesorder_id")
        order = self.records["salesorders"].get(str(salesorder_id or ""))
        if order is not None:
            _upsert(order["creditnotes"], "creditnote_id", ref)

    def _get_creditnote(self, request: Request) -> Response:
        creditnote = self._get("creditnotes", request.params["creditnote_id"], "Credit Note")
        return Response(200, {"code": 0, "message": "success", "creditnote": copy.deepcopy(creditnote)})

    def _list_creditnotes(self, request: Request) -> Response:
        columns = (
            "creditnote_id",
            "creditnote_number",
            "status",
            "date",
            "reference_number",
            "customer_id",
            "customer_name",
            "invoice_id",
            "total",
            "balance",
            "currency_code",
            "created_time",
            "last_modified_time",
        )
        filters = {
            key: request.query[key]
            for key in ("reference_number", "customer_id", "creditnote_number", "status")
            if request.query.get(key)
        }
        rows = (
            {key: note.get(key) for key in columns}
            for note in self.records["creditnotes"].values()
            if all(str(note.get(key)) == value for key, value in filters.items())
        )
        return self._page(request, "creditnotes", rows, "Credit Notes")

    def _apply_creditnote(self, request: Request) -> Response:
        creditnote = self._get("creditnotes", request.params["creditnote_id"], "Credit Note")
        body = self._body(request)
        entries = body.get("invoices")
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise _invalid("invoices")
        if creditnote["status"] not in ("open", "closed"):
            raise ZohoError(400, 2, f"Credit note {creditnote['creditnote_number']} is {creditnote['status']}.")
        per_invoice: dict[str, int] = {}
        for entry in entries:
            invoice = self.records["invoices"].get(str(entry.get("invoice_id") or ""))
            if invoice is None:
                raise _invalid("invoice_id")
            if invoice["status"] in ("draft", "void"):
                # Credits go to open invoices only (UNCERTAIN wording and code).
                raise ZohoError(
                    400, 2, f"Credits cannot be applied to the {invoice['status']} invoice {invoice['invoice_number']}."
                )
            if invoice.get("customer_id") not in (None, creditnote["customer_id"]):
                raise ZohoError(400, 2, "Credits can be applied only to invoices of the same customer.")
            cents = _cents(_money(entry.get("amount_applied"), "amount_applied", positive=True))
            per_invoice[invoice["invoice_id"]] = per_invoice.get(invoice["invoice_id"], 0) + cents
        for invoice_id, cents in per_invoice.items():
            invoice = self.records["invoices"][invoice_id]
            if cents > _cents(invoice["balance"]):
                raise ZohoError(
                    400,
                    2,
                    f"The amount applied to invoice {invoice['invoice_number']} exceeds its balance due "
                    f"({invoice['balance']}).",
                )
        if sum(per_invoice.values()) > _cents(creditnote["balance"]):
            raise ZohoError(
                400, 2, f"The amount applied exceeds the credit note's available balance ({creditnote['balance']})."
            )
        for invoice_id, cents in per_invoice.items():
            invoice = self.records["invoices"][invoice_id]
            amount = cents / 100
            # Zoho shows an invoice settled by credits as paid (closed) at zero balance.
            self._settle_invoice(invoice, cents, settled_by="credits_applied")
            creditnote["invoices_credited"].append(
                {
                    "creditnote_invoice_id": self._new_id(),
                    "invoice_id": invoice_id,
                    "invoice_number": invoice["invoice_number"],
                    "date": self._today(),
                    "amount_applied": amount,
                }
            )
        creditnote["balance"] = (_cents(creditnote["balance"]) - sum(per_invoice.values())) / 100
        creditnote["status"] = "closed" if creditnote["balance"] == 0 else "open"
        creditnote["last_modified_time"] = self._modified_stamp()
        self._link_creditnote(creditnote)
        applied = [{"invoice_id": key, "amount_applied": cents / 100} for key, cents in per_invoice.items()]
        message = "Credits have been applied to the invoice(s)."
        # The spec's answer is the envelope alone; the ``apply_to_invoices`` echo follows Zoho's Books docs page
        # (UNCERTAIN) and nothing reads it.
        return Response(200, {"code": 0, "message": message, "apply_to_invoices": {"invoices": applied}})


def _creditnote_discount(value: Any, gross: float) -> str | float:
    """A credit note line's discount as sent: "10%" kept as text, an amount as a number; 0 when none."""
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        raise _invalid("discount")
    text = str(value).strip()
    if text.endswith("%"):
        if _money(text[:-1], "discount", positive=False) > 100:
            raise _invalid("discount")
        return text
    amount = _money(value, "discount", positive=False)
    if amount > round(gross, 2):
        raise _invalid("discount")
    return _as_number(amount)


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
