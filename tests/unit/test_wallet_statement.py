"""Reading Shiprocket's wallet statement (freight.statement): paise, the kind of each row, its shipment, and the
rows that cannot be booked, named."""

from __future__ import annotations

from typing import Any

import pytest

from shipsync.freight.statement import RefusedRow, RowKind, kind_of, read_row, read_statement
from tests.fixtures import published

OPENING = published.body("shiprocket", "account_details_statement")["data"][0]


def row(**fields: Any) -> dict[str, Any]:
    """A published row with values, as the simulator fills it."""
    return {
        **OPENING,
        "transaction_id": "7100001",
        "order_id": "612345678",
        "channel_order_id": "SO-00042",
        "awb_code": "19041234567890",
        "applied_weight": "0.50",
        "charged_weight": "0.50",
        "charge": "Freight Charges",
        "description": "Freight Charges for AWB 19041234567890",
        "debit_amount": "85.50",
        "balance_amount": "99914.50",
        "created_at": "2025-06-11 10:15:00",
        **fields,
    }


def test_a_debit_row_is_paise_of_its_kind_for_its_shipment() -> None:
    read = read_row(row())

    assert (read.transaction_id, read.kind, read.amount_paise, read.shipment_key) == (
        "7100001",
        RowKind.FREIGHT,
        8550,
        "19041234567890",
    )
    assert (read.sr_order_id, read.channel_order_id, read.extra_weight_kg) == ("612345678", "SO-00042", None)


def test_a_credit_row_is_negative_and_a_credit_naming_a_charge_is_its_reversal() -> None:
    credit = read_row(row(debit_amount="", credit_amount="1,085.50", charge="Freight Charges"))

    assert (credit.amount_paise, credit.kind) == (-108550, RowKind.REVERSAL)


@pytest.mark.parametrize(
    ("charge", "description", "credit", "kind"),
    [
        ("COD Charges", "", False, RowKind.COD_FEE),
        ("RTO Freight Charges", "", False, RowKind.RTO_FREIGHT),
        ("", "Weight Discrepancy Charges for AWB 1904", False, RowKind.WEIGHT_ADJUSTMENT),
        ("Freight Reversal", "", True, RowKind.REVERSAL),
        ("", "Wallet recharge via UPI", True, RowKind.RECHARGE),
        ("", "Forward charges", False, RowKind.FREIGHT),
        ("Insurance", "Secure shipment premium", False, RowKind.OTHER),
    ],
)
def test_kinds_follow_the_words_integrators_match(charge: str, description: str, credit: bool, kind: RowKind) -> None:
    assert kind_of(charge, description, credit=credit) is kind


def test_a_reweighed_row_names_the_extra_weight() -> None:
    read = read_row(row(charge="Weight Discrepancy Charges", applied_weight="0.50", charged_weight="2.00"))

    assert (read.kind, read.extra_weight_kg) == (RowKind.WEIGHT_ADJUSTMENT, 1.5)


def test_the_opening_row_is_skipped_duplicates_kept_once_and_unusable_rows_named() -> None:
    statement = read_statement(
        [
            OPENING,
            row(),
            row(),  # the same transaction on two pages
            row(transaction_id="7100002", debit_amount="85.505"),
            row(transaction_id="", debit_amount="10.00"),
            row(transaction_id="7100004", debit_amount="5.00", credit_amount="5.00"),
            row(transaction_id="7100005", debit_amount="", credit_amount=""),
            "not a row",
        ]
    )

    assert [r.transaction_id for r in statement.rows] == ["7100001"]
    assert statement.refused == [
        RefusedRow("7100002", "debit_amount more than 2 decimal places in '85.505'"),
        RefusedRow("row 5", "has no transaction_id: it cannot be booked exactly once"),
        RefusedRow("7100004", "needs exactly one of debit_amount and credit_amount"),
        RefusedRow("7100005", "needs exactly one of debit_amount and credit_amount"),
        RefusedRow("row 8", "is not an object"),
    ]
