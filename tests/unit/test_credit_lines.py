"""returns.credit: credit note lines at the invoiced rate, discount and tax (docs/providers/zoho.md §8)."""

from __future__ import annotations

from typing import Any

import pytest

from shipsync.domain.models import CreditNoteLine, ReturnLine, ZohoInvoice, ZohoSalesReturn
from shipsync.errors import ProviderRequestError
from shipsync.returns.credit import creditnote_lines

CUSTOMER_ID = "1947583000000098011"
TEE_ITEM, CAP_ITEM = "1947583000000045021", "1947583000000045022"
TEE_SO_LINE, CAP_SO_LINE = "1947583000000123005", "1947583000000123006"
TEE_RETURN_LINE, CAP_RETURN_LINE = "1947583000000161005", "1947583000000161006"
TEE_INVOICE_LINE, CAP_INVOICE_LINE = "1947583000000131081", "1947583000000131082"
SALESRETURN_ID = "1947583000000161001"
INVOICE_ID = "1947583000000131077"
TAX_ID = "1947583000000012345"

LINES = [
    ReturnLine(salesorder_item_id=TEE_SO_LINE, item_id=TEE_ITEM, quantity=2),
    ReturnLine(salesorder_item_id=CAP_SO_LINE, item_id=CAP_ITEM, quantity=1),
]


def _salesreturn() -> ZohoSalesReturn:
    return ZohoSalesReturn(
        salesreturn_id=SALESRETURN_ID,
        line_item_ids={TEE_SO_LINE: TEE_RETURN_LINE, CAP_SO_LINE: CAP_RETURN_LINE},
    )


def _invoice(**overrides: Any) -> ZohoInvoice:
    fields: dict[str, Any] = {
        "invoice_id": INVOICE_ID,
        "customer_id": CUSTOMER_ID,
        "balance": 1341.76,
        "line_item_ids": {TEE_SO_LINE: TEE_INVOICE_LINE, CAP_SO_LINE: CAP_INVOICE_LINE},
        "line_rates": {TEE_SO_LINE: 599.0},
        "line_tax_ids": {TEE_SO_LINE: TAX_ID},
        **overrides,
    }
    return ZohoInvoice(**fields)


def test_each_returned_line_credits_its_invoice_line_at_the_invoiced_rate_and_tax() -> None:
    lines = creditnote_lines(LINES, _salesreturn(), _invoice())

    assert lines == [
        CreditNoteLine(
            invoice_item_id=TEE_INVOICE_LINE,
            salesreturn_item_id=TEE_RETURN_LINE,
            item_id=TEE_ITEM,
            quantity=2,
            rate=599.0,
            tax_id=TAX_ID,
        ),
        # No invoiced rate or tax known: left out, so Zoho's defaults apply.
        CreditNoteLine(
            invoice_item_id=CAP_INVOICE_LINE, salesreturn_item_id=CAP_RETURN_LINE, item_id=CAP_ITEM, quantity=1
        ),
    ]


def test_a_line_without_its_item_names_none() -> None:
    (line,) = creditnote_lines(
        [ReturnLine(salesorder_item_id=TEE_SO_LINE, item_id="", quantity=1)], _salesreturn(), _invoice()
    )

    assert line.item_id is None


@pytest.mark.parametrize(
    ("discounts", "quantities", "credited", "expected"),
    [
        # A percentage holds for any quantity: kept as Zoho wrote it on the invoice.
        ({TEE_SO_LINE: "10%"}, {TEE_SO_LINE: 2.0}, 1, "10%"),
        # An amount covers the invoiced quantity: 99.96 over 3 units, 2 credited.
        ({TEE_SO_LINE: "99.96"}, {TEE_SO_LINE: 3.0}, 2, 66.64),
        ({TEE_SO_LINE: "100"}, {TEE_SO_LINE: 3.0}, 1, 33.33),
        ({TEE_SO_LINE: "0.05"}, {TEE_SO_LINE: 2.0}, 1, 0.03),
        ({TEE_SO_LINE: "190"}, {TEE_SO_LINE: 2.0}, 2, 190.0),
        ({}, {TEE_SO_LINE: 2.0}, 2, None),
    ],
)
def test_the_invoiced_discount_is_credited_for_the_credited_quantity(
    discounts: dict[str, str], quantities: dict[str, float], credited: int, expected: str | float | None
) -> None:
    invoice = _invoice(line_discounts=discounts, line_quantities=quantities)

    (line,) = creditnote_lines(
        [ReturnLine(salesorder_item_id=TEE_SO_LINE, item_id=TEE_ITEM, quantity=credited)], _salesreturn(), invoice
    )

    assert (line.quantity, line.rate, line.tax_id) == (credited, 599.0, TAX_ID)
    assert line.discount == expected
    assert type(line.discount) is type(expected)


@pytest.mark.parametrize("quantities", [{}, {TEE_SO_LINE: 0.0}], ids=["absent", "zero"])
def test_an_amount_discount_cannot_be_shared_out_without_the_invoiced_quantity(quantities: dict[str, float]) -> None:
    invoice = _invoice(line_discounts={TEE_SO_LINE: "99.96"}, line_quantities=quantities)

    with pytest.raises(ProviderRequestError, match="no quantity"):
        creditnote_lines(LINES, _salesreturn(), invoice)


@pytest.mark.parametrize("discount", ["ten%", "-5", "NaN", "%"])
def test_an_unreadable_discount_cannot_be_credited(discount: str) -> None:
    invoice = _invoice(line_discounts={TEE_SO_LINE: discount}, line_quantities={TEE_SO_LINE: 2.0})

    with pytest.raises(ProviderRequestError, match="unreadable discount"):
        creditnote_lines(LINES, _salesreturn(), invoice)


@pytest.mark.parametrize(
    ("salesreturn", "invoice", "missing"),
    [
        (
            ZohoSalesReturn(salesreturn_id=SALESRETURN_ID, line_item_ids={TEE_SO_LINE: TEE_RETURN_LINE}),
            _invoice(),
            "sales return",
        ),
        (_salesreturn(), _invoice(line_item_ids={TEE_SO_LINE: TEE_INVOICE_LINE}), "invoice"),
    ],
)
def test_a_line_missing_from_return_or_invoice_is_refused(
    salesreturn: ZohoSalesReturn, invoice: ZohoInvoice, missing: str
) -> None:
    with pytest.raises(ProviderRequestError, match=f"{CAP_SO_LINE} is not on the {missing}"):
        creditnote_lines(LINES, salesreturn, invoice)
