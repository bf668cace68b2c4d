"""The credit note lines for returned units: each at the invoiced rate, discount and tax, so the credit
reverses exactly what was billed (docs/providers/zoho.md §8)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from shipsync.domain.models import CreditNoteLine, ReturnLine, ZohoInvoice, ZohoSalesReturn, discount_number
from shipsync.errors import ProviderRequestError

# Zoho's invoice and return cannot make the request: the same permanent error as Zoho refusing it.
_PROVIDER = "zoho"
_PAISA = Decimal("0.01")


def creditnote_lines(
    lines: Sequence[ReturnLine], salesreturn: ZohoSalesReturn, invoice: ZohoInvoice
) -> list[CreditNoteLine]:
    """One credit note line per returned line, against ``invoice`` and the return's own lines.

    A line missing from the return or the invoice, or an invoiced discount that cannot be read, raises
    ``ProviderRequestError``: a credit is never built on a guess."""
    return [_creditnote_line(line, salesreturn, invoice) for line in lines]


def _creditnote_line(line: ReturnLine, salesreturn: ZohoSalesReturn, invoice: ZohoInvoice) -> CreditNoteLine:
    so_item_id = line.salesorder_item_id
    invoice_item_id = invoice.line_item_ids.get(so_item_id)
    salesreturn_item_id = salesreturn.line_item_ids.get(so_item_id)
    if invoice_item_id is None or salesreturn_item_id is None:
        missing = "invoice" if invoice_item_id is None else "sales return"
        raise ProviderRequestError(_PROVIDER, f"sales order line {so_item_id} is not on the {missing}")
    return CreditNoteLine(
        invoice_item_id=invoice_item_id,
        salesreturn_item_id=salesreturn_item_id,
        item_id=line.item_id or None,
        quantity=line.quantity,
        rate=invoice.line_rates.get(so_item_id),
        discount=_credited_discount(invoice, so_item_id, line.quantity),
        tax_id=invoice.line_tax_ids.get(so_item_id),
    )


def _credited_discount(invoice: ZohoInvoice, so_item_id: str, quantity: float) -> str | float | None:
    """The invoice line's discount for the credited quantity, in the form the invoice used.

    Zoho's credit-notes docs describe a line ``discount`` as a percentage, its invoice docs as "12.5%" or an
    amount (UNCERTAIN which credit notes take): it is sent in the invoice's own form. A percentage holds for
    any quantity; an amount covers the whole invoiced quantity, so a partial credit takes its share.
    """
    discount = invoice.line_discounts.get(so_item_id)
    if discount is None:
        return None
    amount = discount_number(discount)
    if amount is None:
        # Guessing an unreadable discount would credit more or less than was billed.
        raise ProviderRequestError(_PROVIDER, "unreadable discount on an invoice line")
    if discount.endswith("%"):
        return discount
    invoiced = invoice.line_quantities.get(so_item_id)
    if invoiced is None or invoiced <= 0:
        raise ProviderRequestError(_PROVIDER, f"invoice line {so_item_id} has an amount discount but no quantity")
    share = amount * Decimal(str(quantity)) / Decimal(str(invoiced))
    # Rupees to the paisa as a JSON number: the float only carries an already-rounded Decimal.
    return float(share.quantize(_PAISA, rounding=ROUND_HALF_UP))
