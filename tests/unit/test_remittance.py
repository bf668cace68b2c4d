"""COD remittance arithmetic (shipsync.remittance: money, batches, csv_upload, balance, payment_plan, aging)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipsync.domain.india import IST
from shipsync.errors import PermanentError
from shipsync.remittance.aging import aging, describe_aging
from shipsync.remittance.balance import BalanceLine, check_balance, describe_mismatch
from shipsync.remittance.batches import (
    InvalidRemittance,
    PolledRemittance,
    RemittanceBatch,
    RemittanceLine,
    batches_from_poll,
    net,
    parse_batch,
    parse_remittance_date,
)
from shipsync.remittance.csv_upload import ColumnMapping, parse_csv, parse_csv_batches
from shipsync.remittance.money import format_inr, parse_paise, rupees
from shipsync.remittance.payment_plan import PaymentRefused, charges_still_to_book, payment_plan, remittance_key

BATCH: dict[str, Any] = {
    "remittance_id": "UTR-HDFC-0001",
    "remittance_date": "2025-01-20",
    "bank_transfer_amount": "2,337.10",
    "orders": [
        {"awb": "1411220456789", "order_id": "ZI-SO-00042", "cod_amount": 1499.5, "deducted_charges": "61.40"},
        {"awb": "1411220456790", "order_id": "ZI-SO-00043", "cod_amount": "₹999", "deducted_charges": 100},
    ],
}


def batch_doc(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(BATCH)
    document.update(changes)
    return document


def line(awb: str = "A1", cod: int = 10000, deductions: int = 0, order_id: str | None = None) -> RemittanceLine:
    return RemittanceLine(awb=awb, order_id=order_id, cod_amount=cod, deducted_charges=deductions)


def paise_text(paise: int) -> str:
    return f"{paise // 100}.{paise % 100:02d}"


# ------------------------------------------------------------------------------ money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,499.50", 149950),
        ("₹1499.5", 149950),
        ("₹ 1,49,950.00", 14995000),
        ("Rs. 12", 1200),
        ("INR 0.05", 5),
        (1499.5, 149950),
        (1499.1, 149910),
        (0.29, 29),
        ("1499", 149900),
        (1499, 149900),
        ("  7.5 ", 750),
        (".5", 50),
        ("1499.500", 149950),
        (0, 0),
        ("-0", 0),
    ],
)
def test_parse_paise_accepts_rupee_numbers_and_text(value: Any, expected: int) -> None:
    assert parse_paise(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("-5", "negative"),
        ("₹-5", "negative"),
        ("-₹5.00", "negative"),
        (-0.01, "negative"),
        (-1, "negative"),
        ("1.234", "more than 2 decimal places"),
        (0.30000000000000004, "more than 2 decimal places"),
        ("abc", "not an amount"),
        ("1,,499", "not an amount"),
        ("1e3", "not an amount"),
        ("-+5", "not an amount"),
        ("", "is empty"),
        (None, "is required"),
        (True, "expected an amount"),
        ([1], "expected an amount"),
        (float("inf"), "expected an amount"),
        (float("nan"), "expected an amount"),
        ("1" * 16, "implausibly large"),
    ],
)
def test_parse_paise_rejects(value: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_paise(value)


@given(st.integers(min_value=0, max_value=10**15))
def test_two_decimal_text_parses_to_exact_decimal_paise(paise: int) -> None:
    text = paise_text(paise)
    assert parse_paise(text) == int(Decimal(text) * 100) == paise


@given(st.integers(min_value=0, max_value=10**13))
def test_json_floats_with_two_decimals_parse_without_drift(paise: int) -> None:
    assert parse_paise(float(paise_text(paise))) == paise


@given(st.integers(min_value=0, max_value=10**15))
def test_format_inr_round_trips_and_rupees_is_exact(paise: int) -> None:
    assert parse_paise(format_inr(paise)) == paise
    assert rupees(paise) == Decimal(paise_text(paise))
    assert str(rupees(paise)) == paise_text(paise)


@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**9)), min_size=1, max_size=40))
def test_sum_of_nets_never_drifts(amounts: list[tuple[int, int]]) -> None:
    pairs = [(max(a, b), min(a, b)) for a, b in amounts]
    expected = sum(Decimal(paise_text(cod)) - Decimal(paise_text(ded)) for cod, ded in pairs)
    document = {
        "remittance_id": "U",
        "remittance_date": "2025-01-20",
        "bank_transfer_amount": str(expected),
        "orders": [
            {"awb": f"A{i}", "cod_amount": paise_text(cod), "deducted_charges": float(paise_text(ded))}
            for i, (cod, ded) in enumerate(pairs)
        ],
    }
    batch = parse_batch(document)
    result = check_balance(batch)
    assert result.expected_paise == batch.total_net == int(expected * 100)
    assert result.balanced
    assert batch.total_cod - batch.total_deductions == batch.total_net


def test_format_inr_groups_indian_style() -> None:
    assert format_inr(123450) == "₹1,234.50"
    assert format_inr(1234567890) == "₹1,23,45,678.90"
    assert format_inr(99999) == "₹999.99"
    assert format_inr(5) == "₹0.05"
    assert format_inr(-100) == "-₹1.00"


# ------------------------------------------------------------------------- JSON batch


def test_parse_batch_reads_the_integrator_shape_in_paise() -> None:
    batch = parse_batch(BATCH)
    assert batch.remittance_id == "UTR-HDFC-0001"
    assert batch.remittance_date == date(2025, 1, 20)
    assert batch.bank_transfer_amount == 233710
    assert batch.source == "json"
    assert batch.balance_known is True
    assert [(x.awb, x.order_id, x.cod_amount, x.deducted_charges) for x in batch.orders] == [
        ("1411220456789", "ZI-SO-00042", 149950, 6140),
        ("1411220456790", "ZI-SO-00043", 99900, 10000),
    ]
    assert (batch.total_cod, batch.total_deductions, batch.total_net) == (249850, 16140, 233710)


def test_parse_batch_normalises_loose_values_and_ignores_unknown_keys() -> None:
    document = batch_doc(
        remittance_id=987654,
        extra="ignored",
        orders=[{"awb": 1411220456789, "order_id": "", "cod_amount": "100", "deducted_charges": None, "x": 1}],
    )
    batch = parse_batch(document)
    assert batch.remittance_id == "987654"
    assert batch.orders == [RemittanceLine(awb="1411220456789", order_id=None, cod_amount=10000, deducted_charges=0)]


def test_parse_batch_source_is_ours_not_the_senders() -> None:
    assert parse_batch(batch_doc(source="poll", balance_known=False)).source == "json"
    batch = parse_batch(batch_doc(source="poll", balance_known=False), source="csv")
    assert (batch.source, batch.balance_known) == ("csv", True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-03-12", date(2021, 3, 12)),
        ("12-03-2021", date(2021, 3, 12)),
        ("12/03/2021", date(2021, 3, 12)),
        ("12 Mar 2021", date(2021, 3, 12)),
        ("12 March 2021", date(2021, 3, 12)),
        ("12-Mar-2021", date(2021, 3, 12)),
        ("2021-03-12 23:10:00", date(2021, 3, 12)),
        ("12 03 2021 10:00:00", date(2021, 3, 12)),
        ("12 Mar 2021, 04:16 PM", date(2021, 3, 12)),
        ("2021-03-11T20:00:00+00:00", date(2021, 3, 12)),
        (datetime(2021, 3, 11, 20, 0, tzinfo=UTC), date(2021, 3, 12)),
        (date(2021, 3, 12), date(2021, 3, 12)),
    ],
)
def test_remittance_dates_in_every_shape(value: Any, expected: date) -> None:
    assert parse_remittance_date(value) == expected
    assert parse_batch(batch_doc(remittance_date=value)).remittance_date == expected


def _without(document: dict[str, Any], *path: Any) -> dict[str, Any]:
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return document


def _with(document: dict[str, Any], value: Any, *path: Any) -> dict[str, Any]:
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("document", "field", "reason"),
    [
        ([BATCH], "body", "expected a JSON object"),
        ("text", "body", "expected a JSON object"),
        (None, "body", "expected a JSON object"),
        (_without(batch_doc(), "remittance_id"), "remittance_id", "is required"),
        (batch_doc(remittance_id="  "), "remittance_id", "must not be empty"),
        (batch_doc(remittance_id=None), "remittance_id", "is required"),
        (batch_doc(remittance_id="U" * 101), "remittance_id", "longer than 100"),
        (_without(batch_doc(), "remittance_date"), "remittance_date", "is required"),
        (batch_doc(remittance_date="31/02/2025"), "remittance_date", "unrecognised date"),
        (_without(batch_doc(), "bank_transfer_amount"), "bank_transfer_amount", "is required"),
        (batch_doc(bank_transfer_amount="-1"), "bank_transfer_amount", "negative"),
        (batch_doc(bank_transfer_amount="1.001"), "bank_transfer_amount", "more than 2 decimal places"),
        (_without(batch_doc(), "orders"), "orders", "is required"),
        (batch_doc(orders=[]), "orders", "at least one order"),
        (batch_doc(orders={"awb": "1"}), "orders", "must be a list"),
        (batch_doc(orders=["x"]), "orders.0", "must be an object"),
        (_without(batch_doc(), "orders", 1, "awb"), "orders.1.awb", "is required"),
        (_with(batch_doc(), "", "orders", 0, "awb"), "orders.0.awb", "must not be empty"),
        (_with(batch_doc(), -1499.5, "orders", 0, "cod_amount"), "orders.0.cod_amount", "negative"),
        (_without(batch_doc(), "orders", 0, "cod_amount"), "orders.0.cod_amount", "is required"),
        (_with(batch_doc(), "-10", "orders", 1, "deducted_charges"), "orders.1.deducted_charges", "negative"),
        (_with(batch_doc(), "1000", "orders", 1, "deducted_charges"), "orders.1.deducted_charges", "exceed"),
        (_with(batch_doc(), "1411220456789", "orders", 1, "awb"), "orders.1.awb", "already listed at orders.0"),
        (_with(batch_doc(), {"a": 1}, "orders", 1, "order_id"), "orders.1.order_id", "expected text"),
        # An AWB and a remittance id become SQS message group ids: bounded, and no spaces or other characters.
        (_with(batch_doc(), "9" * 41, "orders", 0, "awb"), "orders.0.awb", "longer than 40"),
        (_with(batch_doc(), "1411 2204", "orders", 0, "awb"), "orders.0.awb", "only letters, digits"),
        (_with(batch_doc(), "AWB\u00e9", "orders", 0, "awb"), "orders.0.awb", "only letters, digits"),
        (batch_doc(remittance_id="UTR 0619"), "remittance_id", "only letters, digits"),
        # One remittance is one SQS message: its size is bounded by its lines and their fields.
        (_with(batch_doc(), "SO-" + "1" * 60, "orders", 0, "order_id"), "orders.0.order_id", "longer than 50"),
        (
            batch_doc(orders=[{"awb": f"A{i}", "cod_amount": 1} for i in range(1001)]),
            "orders",
            "more than 1000 orders",
        ),
    ],
)
def test_every_bad_batch_names_its_field(document: Any, field: str, reason: str) -> None:
    with pytest.raises(InvalidRemittance, match=reason) as caught:
        parse_batch(document)
    assert caught.value.field == field
    assert isinstance(caught.value, PermanentError)
    assert isinstance(caught.value, ValueError)


def test_duplicate_awbs_compare_without_case_or_spaces() -> None:
    document = _with(batch_doc(), " 1411220456789 ", "orders", 1, "awb")
    with pytest.raises(InvalidRemittance) as caught:
        parse_batch(document)
    assert caught.value.field == "orders.1.awb"
    document = batch_doc(orders=[{"awb": "ab12", "cod_amount": 1}, {"awb": "AB12", "cod_amount": 1}])
    with pytest.raises(InvalidRemittance, match="already listed"):
        parse_batch(document)


def test_net_refuses_deductions_above_the_cod_amount() -> None:
    assert net(line(cod=10000, deductions=2500)) == 7500
    assert net(line(cod=10000, deductions=10000)) == 0
    over = RemittanceLine.model_construct(awb="A", order_id=None, cod_amount=100, deducted_charges=101)
    with pytest.raises(InvalidRemittance, match="exceed") as caught:
        net(over)
    assert caught.value.field == "deducted_charges"


# --------------------------------------------------------------------------------- CSV

CSV_SIMPLE = (
    "AWB Code,Order ID,COD Amount,Deductions,UTR,Remittance Date,Bank Transfer Amount\n"
    "1411220456789,ZI-SO-00042,1499.50,61.40,UTR-1,20-01-2025,2337.10\n"
    "1411220456790,ZI-SO-00043,999.00,100.00,UTR-1,20-01-2025,2337.10\n"
)


def test_parse_csv_reads_a_single_remittance_export() -> None:
    batch = parse_csv(CSV_SIMPLE)
    assert batch.source == "csv"
    assert batch.balance_known is True
    assert batch.remittance_id == "UTR-1"
    assert batch.remittance_date == date(2025, 1, 20)
    assert batch.bank_transfer_amount == 233710
    assert [(x.awb, x.order_id, x.cod_amount, x.deducted_charges) for x in batch.orders] == [
        ("1411220456789", "ZI-SO-00042", 149950, 6140),
        ("1411220456790", "ZI-SO-00043", 99900, 10000),
    ]
    assert check_balance(batch).balanced


def test_csv_with_bom_crlf_quotes_and_blank_trailing_lines() -> None:
    text = (
        '\ufeff"AWB No.","Channel Order ID","COD Value (Rs.)","Freight + COD Charges","UTR No","Remitted On"\r\n'
        '1411220456789,"SO, 42","1,499.50","61.40",UTR-1,"12 Mar 2021"\r\n'
        '1411220456790,"SO ""43""","₹1,00,000",0,UTR-1,12 Mar 2021\r\n'
        "\r\n"
        ",,,,,\r\n"
        "\r\n"
    )
    batch = parse_csv(text)
    assert [(x.awb, x.order_id, x.cod_amount, x.deducted_charges) for x in batch.orders] == [
        ("1411220456789", "SO, 42", 149950, 6140),
        ("1411220456790", 'SO "43"', 10000000, 0),
    ]
    assert batch.remittance_date == date(2021, 3, 12)


@pytest.mark.parametrize(
    ("awb", "order", "cod", "deductions", "utr", "when"),
    [
        ("AWB", "Order ID", "COD Amount", "Deductions", "UTR", "Remittance Date"),
        ("awb code", "channel_order_id", "cod-value", "deducted charges", "remittance id", "remitted on"),
        ("Tracking Number", "Order Number", "Collectable Amount", "Charges", "CRF ID", "Date"),
        ("AWB_NO", "ORDER NUMBER", "Amount", "FREIGHT + COD CHARGES", "Remittance Reference", "DATE"),
    ],
)
def test_default_mapping_accepts_header_variants(
    awb: str, order: str, cod: str, deductions: str, utr: str, when: str
) -> None:
    text = f"{when},{utr},{awb},{order},{cod},{deductions}\n2025-01-20,U9,A1,SO-1,100.00,10\n"
    batch = parse_csv(text)
    assert batch.remittance_id == "U9"
    assert batch.orders == [RemittanceLine(awb="A1", order_id="SO-1", cod_amount=10000, deducted_charges=1000)]


def test_csv_without_deductions_or_order_columns_defaults_them() -> None:
    batch = parse_csv("AWB,COD Amount,UTR,Date\nA1,100,U1,2025-01-20\n")
    assert batch.orders == [RemittanceLine(awb="A1", order_id=None, cod_amount=10000, deducted_charges=0)]


def test_csv_without_transfer_total_cannot_be_balance_checked() -> None:
    batch = parse_csv("AWB,COD Amount,Deductions,UTR,Date\nA1,100,10,U1,2025-01-20\nA2,50.50,0.50,U1,2025-01-20\n")
    assert batch.balance_known is False
    assert batch.bank_transfer_amount == 9000 + 5000
    result = check_balance(batch)
    assert (result.balanced, result.balance_known) == (True, False)


def test_csv_with_several_utrs_becomes_one_batch_per_utr() -> None:
    text = (
        "AWB,COD Amount,Deductions,UTR,Date,Remitted Amount\n"
        "A1,100,10,U1,2025-01-20,90\n"
        "B1,200,20,U2,2025-01-22,370\n"
        "B2,200,10,U2,2025-01-22,370\n"
    )
    batches = parse_csv_batches(text)
    assert [(b.remittance_id, b.remittance_date, b.bank_transfer_amount, len(b.orders)) for b in batches] == [
        ("U1", date(2025, 1, 20), 9000, 1),
        ("U2", date(2025, 1, 22), 37000, 2),
    ]
    assert all(check_balance(b).balanced for b in batches)
    with pytest.raises(InvalidRemittance, match=r"holds 2 remittances \(U1, U2\)") as caught:
        parse_csv(text)
    assert caught.value.field == "remittance_id"


def test_csv_unmappable_columns_name_the_missing_and_the_found() -> None:
    with pytest.raises(InvalidRemittance) as caught:
        parse_csv("Waybill,Value,UTR,Date\nA1,100,U1,2025-01-20\n")
    assert caught.value.field == "columns"
    assert caught.value.reason == "cannot map: AWB, COD Amount (found: Waybill, Value, UTR, Date)"


def test_csv_missing_every_required_column() -> None:
    with pytest.raises(InvalidRemittance) as caught:
        parse_csv("Foo\n1\n")
    assert caught.value.reason == "cannot map: AWB, COD Amount, UTR, Remittance Date (found: Foo)"


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("", "body", "empty"),
        ("\ufeff\r\n\r\n", "body", "empty"),
        ("AWB,COD Amount,UTR,Date\r\n\r\n", "orders", "no data rows"),
        ("AWB,COD Amount,UTR,Date\nA1,-5,U1,2025-01-20\n", "rows.2.cod_amount", "column 'COD Amount' negative"),
        ("AWB,COD Amount,UTR,Date\n,5,U1,2025-01-20\n", "rows.2.awb", "column 'AWB' must not be empty"),
        ("AWB,COD Amount,UTR,Date\nA1,5,,2025-01-20\n", "rows.2.remittance_id", "must not be empty"),
        ("AWB,COD Amount,UTR,Date\nA1,5,U1\n", "rows.2.remittance_date", "is empty"),
        ("AWB,COD Amount,UTR,Date\nA1,5,U1,tomorrow\n", "rows.2.remittance_date", "unrecognised date"),
        ("AWB,COD Amount,Charges,UTR,Date\nA1,5,6,U1,2025-01-20\n", "rows.2.deducted_charges", "exceed"),
        (
            "AWB,COD Amount,UTR,Date\n\nA1,5,U1,2025-01-20\nA1,5,U1,2025-01-20\n",
            "rows.4.awb",
            "already listed on line 3",
        ),
        (
            "AWB,COD Amount,UTR,Date\nA1,5,U1,2025-01-20\nA2,5,U1,2025-01-21\n",
            "rows.3.remittance_date",
            "differs from 2025-01-20 \\(line 2\\)",
        ),
        (
            "AWB,COD Amount,UTR,Date,Bank Transfer Amount\nA1,5,U1,2025-01-20,10\nA2,5,U1,2025-01-20,9\n",
            "rows.3.bank_transfer_amount",
            "differs",
        ),
    ],
)
def test_bad_csv_rows_name_the_line_and_role(text: str, field: str, reason: str) -> None:
    with pytest.raises(InvalidRemittance, match=reason) as caught:
        parse_csv_batches(text)
    assert caught.value.field == field


def test_each_column_serves_one_role() -> None:
    # "Amount" would match COD, but the transfer total claims "Remitted Amount" first and
    # the generic "Amount" column stays the COD amount.
    batch = parse_csv("AWB,Amount,Remitted Amount,UTR,Date\nA1,100,100,U1,2025-01-20\n")
    assert (batch.orders[0].cod_amount, batch.bank_transfer_amount, batch.balance_known) == (10000, 10000, True)
    # A header listed twice maps once; the second copy is ignored rather than reused.
    batch = parse_csv("AWB,AWB,COD Amount,UTR,Date\nA1,X9,100,U1,2025-01-20\n")
    assert batch.orders[0].awb == "A1"


def test_column_mapping_override_replaces_the_roles_it_names() -> None:
    mapping = ColumnMapping.from_json('{"awb": "Waybill", "cod_amount": ["Net COD", "Value"], "order_id": []}')
    assert mapping.awb == ("Waybill",)
    assert mapping.cod_amount == ("Net COD", "Value")
    assert mapping.remittance_id == ColumnMapping().remittance_id
    batch = parse_csv("Waybill,Value,Order ID,UTR,Date\nA1,100,SO-1,U1,2025-01-20\n", mapping)
    assert batch.orders == [RemittanceLine(awb="A1", order_id=None, cod_amount=10000)]
    with pytest.raises(InvalidRemittance, match=r"cannot map: AWB \(found: AWB, Value"):
        parse_csv("AWB,Value,UTR,Date\nA1,100,U1,2025-01-20\n", mapping)


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("{", "column_mapping", "not JSON"),
        ('["AWB"]', "column_mapping", "JSON object"),
        ('{"waybill": "AWB"}', "column_mapping.waybill", "unknown role"),
        ('{"awb": []}', "column_mapping", "awb needs at least one column name"),
        ('{"cod_amount": 5}', "column_mapping.cod_amount", "tuple"),
    ],
)
def test_column_mapping_override_rejects_bad_json(text: str, field: str, reason: str) -> None:
    with pytest.raises(InvalidRemittance, match=reason) as caught:
        ColumnMapping.from_json(text)
    assert caught.value.field == field


# ------------------------------------------------------------------------------- poll


def test_poll_groups_remitted_orders_by_utr_and_skips_unremitted() -> None:
    polled = [
        PolledRemittance("A1", "SO-1", 10000, "U1", "2025-01-20 11:00:00"),
        PolledRemittance("A2", "SO-2", 5000, "", ""),
        PolledRemittance("A3", "SO-3", 7000, "U2", "21 01 2025 09:00:00", 500),
        PolledRemittance("A4", None, 3000, " U1 ", "2025-01-20 11:00:00"),
    ]
    batches = batches_from_poll(polled)
    assert [(b.remittance_id, b.remittance_date, [x.awb for x in b.orders]) for b in batches] == [
        ("U1", date(2025, 1, 20), ["A1", "A4"]),
        ("U2", date(2025, 1, 21), ["A3"]),
    ]
    assert all(b.source == "poll" and b.balance_known is False for b in batches)
    assert batches[1].bank_transfer_amount == 6500


def test_poll_line_errors_name_the_order() -> None:
    with pytest.raises(InvalidRemittance, match="exceed") as caught:
        batches_from_poll([PolledRemittance("A1", None, 100, "U1", "2025-01-20", 200)])
    assert caught.value.field == "orders.0.deducted_charges"
    with pytest.raises(InvalidRemittance) as caught:
        batches_from_poll([PolledRemittance("A1", None, 100, "U1", "someday")])
    assert caught.value.field == "remittance_date"


# ---------------------------------------------------------------------------- balance


def test_balance_exact_to_the_paisa() -> None:
    batch = parse_batch(BATCH)
    result = check_balance(batch)
    assert result.balanced
    assert (result.expected_paise, result.received_paise, result.difference_paise) == (233710, 233710, 0)
    assert result.lines == [
        BalanceLine("1411220456789", 149950, 6140, 143810),
        BalanceLine("1411220456790", 99900, 10000, 89900),
    ]
    assert result.lines[0] == ("1411220456789", 149950, 6140, 143810)


@pytest.mark.parametrize(("transfer", "difference"), [("2,337.09", -1), ("2337.11", 1)])
def test_one_paisa_mismatch_is_detected(transfer: str, difference: int) -> None:
    result = check_balance(parse_batch(batch_doc(bank_transfer_amount=transfer)))
    assert not result.balanced
    assert result.difference_paise == difference
    assert result.balance_known


def test_describe_mismatch_names_remittance_totals_and_every_order() -> None:
    batch = parse_batch(batch_doc(bank_transfer_amount="2,300.00"))
    text = describe_mismatch(batch, check_balance(batch))
    assert "UTR-HDFC-0001" in text
    assert "2025-01-20" in text
    assert "Expected (sum of COD - deductions): ₹2,337.10" in text
    assert "Received (bank transfer):           ₹2,300.00" in text
    assert "Difference (received - expected):   -₹37.10" in text
    assert "AWB 1411220456789 (order ZI-SO-00042): COD ₹1,499.50 - deductions ₹61.40 = net ₹1,438.10" in text
    assert "AWB 1411220456790 (order ZI-SO-00043): COD ₹999.00 - deductions ₹100.00 = net ₹899.00" in text


def test_describe_mismatch_without_order_ids() -> None:
    batch = parse_batch(batch_doc(bank_transfer_amount=1, orders=[{"awb": "A1", "cod_amount": "10"}]))
    text = describe_mismatch(batch, check_balance(batch))
    assert "  AWB A1: COD ₹10.00 - deductions ₹0.00 = net ₹10.00" in text
    assert "Orders (1):" in text


# ---------------------------------------------------------------------------- payment


def test_payment_plan_books_deductions_as_bank_charges_by_default() -> None:
    plan = payment_plan(line("1411220456789", 149950, 6140), 149950, remittance_id="UTR-1")
    assert (plan.amount_paise, plan.bank_charges_paise, plan.expense_paise) == (149950, 6140, 0)
    assert plan.deposit_paise == 143810
    assert plan.reference_number == "UTR-1"
    assert remittance_key("UTR-1", "1411220456789") == "UTR-1:1411220456789"


def test_payment_plan_books_deductions_as_an_expense_when_configured() -> None:
    plan = payment_plan(line("A1", 149950, 6140), 200000, remittance_id="U", charges_mode="expense")
    assert (plan.amount_paise, plan.bank_charges_paise, plan.expense_paise) == (149950, 0, 6140)
    assert plan.deposit_paise == 143810


def test_payment_plan_refuses_overpayment_by_one_paisa() -> None:
    assert payment_plan(line(cod=10000), 10000, remittance_id="U").amount_paise == 10000
    with pytest.raises(PaymentRefused, match=r"COD ₹100.00 exceeds the invoice balance ₹99.99") as caught:
        payment_plan(line(cod=10000), 9999, remittance_id="U")
    assert isinstance(caught.value, PermanentError)


def test_payment_plan_refuses_a_line_with_nothing_collected() -> None:
    with pytest.raises(PaymentRefused, match="no COD collected"):
        payment_plan(line(cod=0), 10000, remittance_id="U")


# ------------------------------------------------------------------------------ aging

NOW = datetime(2025, 1, 30, 12, 0, tzinfo=IST)


def test_aging_boundary_is_strictly_more_than_n_days() -> None:
    delivered = [
        ("A-exact", "SO-1", NOW - timedelta(days=10)),
        ("A-over", "SO-2", NOW - timedelta(days=10, seconds=1)),
        ("A-old", "SO-3", NOW - timedelta(days=25)),
        ("A-new", "SO-4", NOW - timedelta(days=2)),
    ]
    entries = aging(delivered, NOW)
    assert [(e.awb, e.so_number, e.days_outstanding) for e in entries] == [
        ("A-old", "SO-3", 25),
        ("A-over", "SO-2", 10),
    ]
    assert [e.awb for e in aging(delivered, NOW, days=1)] == ["A-old", "A-over", "A-exact", "A-new"]


def test_aging_reads_naive_times_as_ist() -> None:
    naive_now = datetime(2025, 1, 30, 12, 0)
    delivered = [("A1", "SO-1", datetime(2025, 1, 20, 6, 29, tzinfo=UTC))]  # 11:59 IST
    assert [e.awb for e in aging(delivered, naive_now)] == ["A1"]
    assert aging([("A1", "SO-1", datetime(2025, 1, 20, 12, 0))], naive_now) == []


def test_describe_aging_lists_every_order() -> None:
    entries = aging([("A1", "SO-1", NOW - timedelta(days=12)), ("A2", "SO-2", NOW - timedelta(days=30))], NOW)
    text = describe_aging(entries, 10)
    assert text.splitlines() == [
        "2 COD order(s) delivered more than 10 days ago, not remitted:",
        "  SO-2 AWB A2: delivered 31 Dec 2024, 30 days ago",
        "  SO-1 AWB A1: delivered 18 Jan 2025, 12 days ago",
    ]


def test_batch_model_rejects_direct_construction_with_duplicates() -> None:
    with pytest.raises(ValueError, match="already listed"):
        RemittanceBatch(
            remittance_id="U",
            remittance_date=date(2025, 1, 1),
            bank_transfer_amount=0,
            orders=[line("A"), line("A")],
            source="json",
        )


def test_models_built_in_code_take_paise_not_rupees() -> None:
    assert line(cod=149950, deductions=6140).cod_amount == 149950
    for bad in (-1, 1.5, "100", True):
        with pytest.raises(ValueError, match=r"paise|negative"):
            RemittanceLine(awb="A", cod_amount=bad)
    with pytest.raises(ValueError, match="paise"):
        RemittanceLine(awb="A", cod_amount=100, deducted_charges=None)


def test_batch_round_trips_through_a_queue_message_in_paise() -> None:
    for batch in (parse_batch(BATCH), parse_csv(CSV_SIMPLE)):
        message = batch.model_dump_json()
        assert '"bank_transfer_amount":233710' in message
        assert RemittanceBatch.model_validate_json(message) == batch
    single = parse_batch(BATCH).orders[0]
    assert RemittanceLine.model_validate_json(single.model_dump_json()) == single


@pytest.mark.parametrize(
    ("posted", "booked", "still_to_book"),
    [
        (6140, 0, 6140),  # the poll paid the gross: the post brings the deductions
        (6140, 6140, 0),  # booked already: a re-post adds nothing
        (0, 6140, 0),  # a line without deductions (the poll again) asks for nothing
        (0, 0, 0),
    ],
)
def test_charges_still_to_book(posted: int, booked: int, still_to_book: int) -> None:
    line = RemittanceLine(awb="1411220456789", cod_amount=149950, deducted_charges=posted)
    assert charges_still_to_book(line, booked, remittance_id="UTR-1") == still_to_book


def test_charges_that_disagree_with_the_booked_ones_are_refused() -> None:
    line = RemittanceLine(awb="1411220456789", cod_amount=149950, deducted_charges=7000)
    with pytest.raises(PaymentRefused, match=r"deductions of ₹70.00, but ₹61.40 are already booked"):
        charges_still_to_book(line, 6140, remittance_id="UTR-1")
