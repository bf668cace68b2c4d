"""Invoices: seeds, made from a sales order, marked sent, and settled by payments and credits
(docs/providers/zoho.md §9)."""

from __future__ import annotations

import copy
from typing import Any

from local.sim.base import Request, Response
from local.sim.zoho.common import ZohoError, _as_number, _cents, _line_amount, _totals, _upsert
from local.sim.zoho.state import ZohoState


class InvoicesMixin(ZohoState):
    def _normalise_invoice(self, invoice: dict[str, Any]) -> dict[str, Any]:
        invoice["invoice_id"] = str(invoice.get("invoice_id") or self._new_id())
        order = self.records["salesorders"].get(str(invoice.get("salesorder_id") or ""))
        if order is not None:
            for key in ("customer_id", "customer_name", "salesorder_number"):
                invoice.setdefault(key, order.get(key))
            if not invoice.get("line_items"):
                # A seeded invoice without lines bills the whole order, as fromsalesorder would.
                invoice["line_items"] = [
                    self._invoice_line(line, float(line.get("quantity", 0))) for line in order["line_items"]
                ]
        for line in invoice.setdefault("line_items", []):
            line["line_item_id"] = str(line.get("line_item_id") or self._new_id())
            line.setdefault("discount", 0)
            line.setdefault("item_total", _line_amount(line))
        sub_total, tax_total = _totals(invoice["line_items"])
        invoice.setdefault("sub_total", sub_total)
        invoice.setdefault("tax_total", tax_total)
        total = invoice.setdefault("total", round(sub_total + tax_total + float(invoice.get("shipping_charge", 0)), 2))
        status = invoice.setdefault("status", "sent")
        for key, default in (
            ("invoice_number", f"INV-{invoice['invoice_id'][-5:]}"),
            ("date", self._today()),
            ("balance", 0.0 if status == "paid" else total),
            ("credits_applied", 0.0),
            ("currency_code", "INR"),
            ("custom_fields", []),
            ("last_modified_time", self._modified_stamp()),
        ):
            invoice.setdefault(key, default)
        return invoice

    @staticmethod
    def _invoice_line(so_line: dict[str, Any], quantity: float) -> dict[str, Any]:
        """An invoice line billing ``quantity`` of a sales order line, at the order line's discount."""
        line = {key: so_line.get(key) for key in ("item_id", "sku", "name", "rate", "unit", "hsn_or_sac")}
        line["salesorder_item_id"] = so_line["line_item_id"]
        line["quantity"] = _as_number(quantity)
        for key in ("tax_id", "tax_name", "tax_type", "tax_percentage"):
            if key in so_line:
                line[key] = so_line[key]
        discount = so_line.get("discount") or 0
        if isinstance(discount, str) and discount.strip().endswith("%"):
            line["discount"] = discount
        elif float(discount) and float(so_line.get("quantity") or 0) > 0:
            # An amount discount covers the order line's whole quantity: bill its share.
            line["discount"] = round(float(discount) * quantity / float(so_line["quantity"]), 2)
        else:
            # Every published invoice line carries ``discount`` (0 when there is none).
            line["discount"] = 0
        return line

    def _link_invoice(self, invoice: dict[str, Any]) -> None:
        """Show an invoice under its sales order's ``invoices[]`` and derive the order's invoiced/paid state."""
        order = self.records["salesorders"].get(str(invoice.get("salesorder_id", "")))
        if order is None:
            return
        ref = {key: invoice[key] for key in ("invoice_id", "invoice_number", "status", "date", "total", "balance")}
        _upsert(order["invoices"], "invoice_id", ref)
        live = [
            i
            for i in self.records["invoices"].values()
            if i.get("salesorder_id") == order["salesorder_id"] and i["status"] != "void"
        ]
        invoiced: dict[str, float] = {}
        for billed in live:
            for line in billed["line_items"]:
                key = str(line.get("salesorder_item_id", ""))
                invoiced[key] = invoiced.get(key, 0.0) + float(line.get("quantity", 0))
        for line in order["line_items"]:
            line["quantity_invoiced"] = _as_number(invoiced.get(line["line_item_id"], 0))
        if not live:
            order["invoiced_status"] = "not_invoiced"
        elif all(float(line["quantity_invoiced"]) >= float(line.get("quantity", 0)) for line in order["line_items"]):
            order["invoiced_status"] = "invoiced"
        else:
            order["invoiced_status"] = "partially_invoiced"
        if live and all(i["status"] == "paid" for i in live):
            order["paid_status"] = "paid"
        elif any(i["status"] in ("paid", "partially_paid") for i in live):
            order["paid_status"] = "partially_paid"
        else:
            order["paid_status"] = "unpaid"
        order["last_modified_time"] = self._modified_stamp()

    def _get_invoice(self, request: Request) -> Response:
        invoice = self._get("invoices", request.params["invoice_id"], "Invoice")
        return Response(200, {"code": 0, "message": "success", "invoice": copy.deepcopy(invoice)})

    def _invoice_from_salesorder(self, request: Request) -> Response:
        order = self._get("salesorders", self._required_query(request, "salesorder_id"), "Sales Order")
        if order["order_status"] in ("draft", "void"):
            raise ZohoError(400, 2, f"Sales order {order['salesorder_number']} is {order['order_status']}.")
        lines = []
        for so_line in order["line_items"]:
            remaining = float(so_line.get("quantity", 0)) - float(so_line.get("quantity_invoiced", 0))
            if remaining > 0:
                lines.append(self._invoice_line(so_line, remaining))
        if not lines:
            raise ZohoError(400, 2, "All the items in this sales order have already been invoiced.")
        billed_before = any(
            i.get("salesorder_id") == order["salesorder_id"] and i["status"] != "void"
            for i in self.records["invoices"].values()
        )
        used = {i["invoice_number"] for i in self.records["invoices"].values()}
        number = next(n for n in (f"INV-{k:06d}" for k in self._invoice_numbers) if n not in used)
        invoice = self._normalise_invoice(
            {
                "invoice_number": number,
                "salesorder_id": order["salesorder_id"],
                "date": self._today(),
                # Zoho creates the invoice as a draft; POST /invoices/{id}/status/sent opens it
                # (docs/providers/zoho.md §9).
                "status": "draft",
                "line_items": lines,
                # The order's shipping charge is billed once, on its first invoice.
                "shipping_charge": 0.0 if billed_before else float(order.get("shipping_charge") or 0),
                "created_time": self._now_text(),
            }
        )
        self.records["invoices"][invoice["invoice_id"]] = invoice
        self._link_invoice(invoice)
        message = "The invoice has been created."
        return Response(201, {"code": 0, "message": message, "invoice": copy.deepcopy(invoice)})

    def _mark_invoice_sent(self, request: Request) -> Response:
        invoice = self._get("invoices", request.params["invoice_id"], "Invoice")
        if invoice["status"] == "void":
            raise ZohoError(400, 2, f"Invoice {invoice['invoice_number']} is void.")
        if invoice["status"] == "draft":
            invoice["status"] = "sent"
            invoice["last_modified_time"] = self._modified_stamp()
            self._link_invoice(invoice)
        return Response(200, {"code": 0, "message": "Invoice status has been changed to Sent."})

    def _settle_invoice(self, invoice: dict[str, Any], cents: int, *, settled_by: str = "payment_made") -> None:
        """Applies ``cents`` of a payment (or, ``settled_by="credits_applied"``, of credits) to an invoice;
        negative cents take an application back."""
        invoice["balance"] = (_cents(invoice["balance"]) - cents) / 100
        invoice[settled_by] = (_cents(invoice.get(settled_by, 0)) + cents) / 100
        if invoice["balance"] == 0:
            invoice["status"] = "paid"
        elif invoice.get("payment_made") or invoice.get("credits_applied"):
            invoice["status"] = "partially_paid"
        elif invoice["status"] in ("paid", "partially_paid"):
            invoice["status"] = "sent"
        invoice["last_modified_time"] = self._modified_stamp()
        self._link_invoice(invoice)
