"""The panel's wallet statement export (freight.statement_csv) read into the API's raw rows, refused whole when any
row is unusable; its chunks on the RemittanceQueue (remittance.messages); one pass of the worker over a chunk."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from shipsync.errors import PermanentError, TransientError
from shipsync.freight.booking import FreightBooker
from shipsync.freight.statement import RowKind, read_statement
from shipsync.freight.statement_csv import MAX_CELL_CHARS, MAX_ROWS, InvalidStatement, read_statement_csv
from shipsync.freight.watch import WalletWatch, WatchSettings
from shipsync.remittance.messages import (
    WALLET_GROUP,
    WALLET_ROWS_PER_MESSAGE,
    RemittanceQueueMessage,
    WalletRowsMessage,
    wallet_rows_messages,
)
from shipsync.remittance.wiring import TakeWalletRows
from tests.unit.memory_ledger import MemoryLedger
from tests.unit.test_freight_booking import ACCOUNTS, FakeBooks, shipment_of

UPLOADED = date(2025, 6, 14)
KNOWN = {"19041234567890": "SO-00042"}
# Panel-like titles with unit suffixes, in an order of their own, and a column shipsync does not read.
PANEL_HEADER = (
    "Date,Transaction ID,AWB,Order ID,Channel Order ID,Charge Type,Description,Applied Weight (kg),"
    "Charged Weight (kg),Debit (Rs.),Credit (Rs.),Closing Balance"
)
FREIGHT = (
    "2025-06-11 10:15:00,7100001,19041234567890,612345678,SO-00042,Freight Charges,"
    "Freight Charges for AWB 19041234567890,0.50,0.50,85.50,,99914.50"
)
REWEIGHED = (
    "2025-06-12 18:40:00,7100002,19041234567890,612345678,SO-00042,Weight Discrepancy Charges,"
    "Weight Discrepancy Charges for AWB 19041234567890,0.50,2.00,62.00,,99852.50"
)
REVERSAL = (
    "2025-06-13 09:00:00,7100003,19041234567890,612345678,SO-00042,Freight Reversal,"
    'Freight Reversal for AWB 19041234567890,0.50,0.50,,"1,085.50",100938.00'
)


def panel_csv(*lines: str, header: str = PANEL_HEADER, newline: str = "\r\n") -> str:
    return newline.join((header, *lines)) + newline


def refusal(text: str) -> InvalidStatement:
    with pytest.raises(InvalidStatement) as refused:
        read_statement_csv(text)
    return refused.value


# ----------------------------------------------------------------------------------------------- headers


def test_panel_titles_become_the_api_keys_and_read_as_the_api_rows_do() -> None:
    rows = read_statement_csv(panel_csv(FREIGHT, REWEIGHED, REVERSAL))

    assert rows[0] == {
        "created_at": "2025-06-11 10:15:00",
        "transaction_id": "7100001",
        "awb_code": "19041234567890",
        "order_id": "612345678",
        "channel_order_id": "SO-00042",
        "charge": "Freight Charges",
        "description": "Freight Charges for AWB 19041234567890",
        "applied_weight": "0.50",
        "charged_weight": "0.50",
        "debit_amount": "85.50",
        "credit_amount": "",
    }
    statement = read_statement(rows)
    assert statement.refused == []
    assert [(r.transaction_id, r.kind, r.amount_paise) for r in statement.rows] == [
        ("7100001", RowKind.FREIGHT, 8550),
        ("7100002", RowKind.WEIGHT_ADJUSTMENT, 6200),
        ("7100003", RowKind.REVERSAL, -108550),
    ]
    assert statement.rows[1].extra_weight_kg == 1.5
    assert statement.rows[0].sr_order_id == "612345678"
    assert statement.rows[0].channel_order_id == "SO-00042"


@pytest.mark.parametrize(
    "header",
    [
        "transaction_id,awb_code,debit_amount,credit_amount,created_at",
        "Transaction ID,AWB Code,Debit Amount,Credit Amount,Created At",
        " TRANSACTION-ID ,awb no,Debit Amount (INR),credit amount (₹),Transaction Date",
        "Txn ID,AWB Number,Debited,Credited,Date & Time",
    ],
)
def test_headers_match_without_case_spaces_punctuation_or_units(header: str) -> None:
    [raw] = read_statement_csv(panel_csv("7100001,19041234567890,85.50,,2025-06-11", header=header))

    assert raw == {
        "transaction_id": "7100001",
        "awb_code": "19041234567890",
        "debit_amount": "85.50",
        "credit_amount": "",
        "created_at": "2025-06-11",
    }


def test_each_column_serves_one_field_the_api_name_first() -> None:
    header = "Transaction ID,Date,Created At,Debit,Credit"
    [raw] = read_statement_csv(panel_csv("7100001,11-06-2025,2025-06-11 10:15:00,1.00,", header=header))

    # "Created At" is the API's own name: it wins over the looser "Date".
    assert raw["created_at"] == "2025-06-11 10:15:00"


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("AWB,Debit,Credit", "Transaction ID"),
        ("Transaction ID,AWB,Debit", "Credit Amount"),
        ("Transaction ID,AWB,Amount", "Debit Amount, Credit Amount"),
    ],
)
def test_a_file_without_a_required_column_is_refused_naming_it(header: str, missing: str) -> None:
    refused = refusal(panel_csv("7100001,19041234567890,1.00", header=header))

    assert refused.field == "columns"
    assert f"cannot map: {missing} (found: {header.replace(',', ', ')})" in str(refused)


# ----------------------------------------------------------------------------------------------- the file


def test_a_bom_crlf_and_empty_trailing_lines_are_fine() -> None:
    text = "\ufeff" + panel_csv(FREIGHT) + "\r\n\r\n,,,\r\n"

    assert [r["transaction_id"] for r in read_statement_csv(text)] == ["7100001"]
    assert read_statement_csv(panel_csv(FREIGHT, newline="\n")) == read_statement_csv(text)


def test_the_wallet_balance_row_is_skipped_not_refused() -> None:
    opening = ",,,,,,Wallet Balance,,,,,100000.00"

    assert [r["transaction_id"] for r in read_statement_csv(panel_csv(opening, FREIGHT))] == ["7100001"]


@pytest.mark.parametrize("text", ["", "\ufeff\r\n\r\n", panel_csv(), panel_csv(",,,,,,Wallet Balance,,,,,0")])
def test_a_file_without_movements_is_refused(text: str) -> None:
    assert refusal(text).field in ("body", "rows")


def test_an_unclosed_quote_is_refused_naming_its_line() -> None:
    refused = refusal(panel_csv(FREIGHT, '2025-06-12,7100002,"19041234567890,x'))

    assert refused.field == "rows.3"
    assert "unreadable CSV" in str(refused)


# ----------------------------------------------------------------------------------------------- rows


def test_a_bad_amount_refuses_the_whole_file_naming_line_transaction_and_column() -> None:
    bad = REWEIGHED.replace("62.00", "62.005")

    refused = refusal(panel_csv(FREIGHT, bad, REVERSAL))

    assert refused.field == "rows.3.debit_amount"
    assert str(refused) == (
        "rows.3.debit_amount: line 3 (transaction 7100002), column 'Debit (Rs.)': "
        "debit_amount more than 2 decimal places in '62.005'"
    )


@pytest.mark.parametrize(
    ("debit", "credit", "field", "reason"),
    [
        ("85.50", "85.50", "rows.2", "needs exactly one of debit_amount and credit_amount"),
        ("", "", "rows.2", "needs exactly one of debit_amount and credit_amount"),
        ("-85.50", "", "rows.2.debit_amount", "negative amount"),
        ("Rs eighty", "", "rows.2.debit_amount", "not an amount"),
    ],
)
def test_a_row_read_row_refuses_refuses_the_file(debit: str, credit: str, field: str, reason: str) -> None:
    line = f"2025-06-11,7100001,19041234567890,612345678,SO-00042,Freight Charges,x,0.50,0.50,{debit},{credit},0"

    refused = refusal(panel_csv(line))

    assert refused.field == field
    assert "line 2 (transaction 7100001)" in str(refused)
    assert reason in str(refused)


def test_a_row_without_a_transaction_id_is_named_by_its_line() -> None:
    refused = refusal(panel_csv(FREIGHT, FREIGHT.replace(",7100001,", ",,")))

    assert refused.field == "rows.3.transaction_id"
    assert "line 3 (no transaction id)" in str(refused)
    assert "cannot be booked exactly once" in str(refused)


def test_a_transaction_listed_twice_alike_is_kept_once() -> None:
    rows = read_statement_csv(panel_csv(FREIGHT, REWEIGHED, FREIGHT))

    assert [r["transaction_id"] for r in rows] == ["7100001", "7100002"]


def test_a_transaction_listed_twice_differently_refuses_the_file_naming_both_lines() -> None:
    refused = refusal(panel_csv(FREIGHT, REWEIGHED, FREIGHT.replace("85.50", "95.50")))

    assert refused.field == "rows.4.transaction_id"
    assert "line 4: transaction 7100001 is also on line 2, with other values" in str(refused)


def test_a_cell_too_long_for_a_statement_is_refused() -> None:
    long_text = "x" * (MAX_CELL_CHARS + 1)

    refused = refusal(panel_csv(FREIGHT.replace("Freight Charges for AWB 19041234567890", long_text)))

    assert refused.field == "rows.2.description"
    assert f"column 'Description' is over {MAX_CELL_CHARS} characters" in str(refused)
    # Columns shipsync does not read are not its business.
    assert read_statement_csv(panel_csv(FREIGHT.replace("99914.50", long_text)))


def test_more_movements_than_one_upload_takes_are_refused() -> None:
    lines = [f"2025-06-11,{7_100_000 + n},19041234567890,,,Freight Charges,x,,,1.00,,0" for n in range(MAX_ROWS + 1)]

    assert len(read_statement_csv(panel_csv(*lines[:MAX_ROWS]))) == MAX_ROWS
    refused = refusal(panel_csv(*lines))
    assert refused.field == "rows"
    assert f"more than {MAX_ROWS} movements" in str(refused)


# ----------------------------------------------------------------------------------------------- messages


def raw_rows(count: int, **fields: str) -> list[dict[str, str]]:
    return [
        {"transaction_id": str(7_100_000 + n), "awb_code": "19041234567890", "debit_amount": "1.00", **fields}
        for n in range(count)
    ]


def test_rows_go_in_chunks_of_at_most_25_in_file_order() -> None:
    rows = raw_rows(2 * WALLET_ROWS_PER_MESSAGE + 3)

    messages = wallet_rows_messages(rows, UPLOADED)

    assert [len(m.rows) for m in messages] == [25, 25, 3]
    assert [row for m in messages for row in m.rows] == rows
    assert {(m.kind, m.group, m.received_on, m.pass_number) for m in messages} == {
        ("wallet_rows", WALLET_GROUP, UPLOADED, 1)
    }


def test_long_rows_make_smaller_chunks_so_every_body_fits_sqs() -> None:
    # Every cell at its longest, in a script JSON escapes six bytes a character.
    long_cells = dict.fromkeys(("charge", "description", "created_at", "order_id"), "क" * MAX_CELL_CHARS)
    rows = raw_rows(WALLET_ROWS_PER_MESSAGE, **long_cells)
    assert len(json.dumps(rows)) > 256 * 1024  # 25 such rows in one body would be refused by SQS

    messages = wallet_rows_messages(rows, UPLOADED)

    assert len(messages) > 1
    assert [row for m in messages for row in m.rows] == rows
    assert max(len(json.dumps(m.model_dump(mode="json"), sort_keys=True)) for m in messages) < 256 * 1024


def test_the_same_file_gives_the_same_bodies_and_a_next_pass_a_new_one() -> None:
    first = wallet_rows_messages(raw_rows(30), UPLOADED)
    again = wallet_rows_messages(raw_rows(30), UPLOADED)

    # SQS's deduplication id is the body's hash: a file posted twice within five minutes is queued once.
    assert [m.model_dump_json() for m in first] == [m.model_dump_json() for m in again]
    later = first[0].next_pass()
    assert (later.pass_number, later.rows) == (2, first[0].rows)
    assert later.model_dump_json() != first[0].model_dump_json()


def test_the_worker_model_reads_a_chunk_and_still_reads_the_remittance_messages() -> None:
    [chunk] = wallet_rows_messages(raw_rows(2), UPLOADED)

    read = RemittanceQueueMessage.model_validate_json(chunk.model_dump_json()).root

    assert read == chunk
    assert read.log_keys() == {"transactions": "7100000..7100001", "pass": "1"}
    order = {
        "kind": "order",
        "remittance_id": "U",
        "remittance_date": "2025-06-12",
        "line": {"awb": "A", "cod_amount": 1},
    }
    assert RemittanceQueueMessage.model_validate(order).root.kind == "order"
    with pytest.raises(ValueError, match="rows"):
        WalletRowsMessage(received_on=UPLOADED, rows=raw_rows(WALLET_ROWS_PER_MESSAGE + 1))


# ----------------------------------------------------------------------------------------------- the worker's pass


class Pages:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def page(self, subject: str, message: str, *, kind: str, correlation_id: str | None = None) -> None:
        self.sent.append((kind, subject))


class Counts:
    def count(self, name: str, value: int = 1) -> None:
        pass


class NoWallet:
    """The uploaded rows' pass never reads Shiprocket."""

    def wallet_statement(self, start: date, end: date) -> list[dict[str, Any]]:
        raise AssertionError("the statement is the upload's")

    def wallet_balance(self) -> Any:
        raise AssertionError("the balance is the schedule's")


def upload_watch(books: FakeBooks, ledger: MemoryLedger, pages: Pages, max_writes: int) -> WalletWatch:
    def book(rows: Any, today: date) -> Any:
        return FreightBooker(books, ledger, shipment_of(KNOWN), ACCOUNTS, today, max_writes=max_writes).book(rows)

    return WalletWatch(NoWallet(), ledger, pages, Counts(), WatchSettings(), lambda: date(2099, 1, 1), book=book)


def test_a_chunk_books_its_share_goes_round_for_the_rest_and_books_nothing_twice() -> None:
    books, ledger, pages, sent = FakeBooks(), MemoryLedger(), Pages(), []
    [chunk] = wallet_rows_messages(read_statement_csv(panel_csv(FREIGHT, REWEIGHED, REVERSAL)), UPLOADED)
    watch = upload_watch(books, ledger, pages, max_writes=2)

    first = TakeWalletRows(watch, chunk, sent.append).run()
    [second_pass] = sent
    second = TakeWalletRows(watch, second_pass, sent.append).run()
    replay = TakeWalletRows(watch, chunk, sent.append).run()

    assert (first["booked"], first["deferred"], second["booked"], second["already_booked"]) == (2, 1, 1, 2)
    assert second_pass.pass_number == 2
    assert (replay["booked"], replay["already_booked"], len(sent)) == (0, 3, 1)
    assert [entry["reference_number"] for entry in books.created] == ["SRW-7100001", "SRW-7100002", "SRW-7100003"]
    # The row's own day, not the upload's nor the worker's clock.
    assert [entry["date"] for entry in books.created] == ["2025-06-11", "2025-06-12", "2025-06-13"]
    assert [kind for kind, _ in pages.sent] == ["WeightDiscrepancy"]
    assert "first deadline 2025-06-16" in pages.sent[0][1]


def test_a_row_without_a_readable_day_is_dated_the_day_of_the_upload() -> None:
    books, ledger, pages = FakeBooks(), MemoryLedger(), Pages()
    line = FREIGHT.replace("2025-06-11 10:15:00", "11/06/2025 10:15")
    [chunk] = wallet_rows_messages(read_statement_csv(panel_csv(line)), UPLOADED)

    TakeWalletRows(upload_watch(books, ledger, pages, max_writes=4), chunk, lambda message: None).run()

    assert [entry["date"] for entry in books.created] == [UPLOADED.isoformat()]


def test_giving_up_on_a_chunk_names_its_transactions_and_says_to_upload_again() -> None:
    [chunk] = wallet_rows_messages(raw_rows(3), UPLOADED)
    attempt = TakeWalletRows(upload_watch(FakeBooks(), MemoryLedger(), Pages(), 4), chunk, lambda message: None)

    failure = attempt.give_up(PermanentError("Zoho refused the expense account"))

    assert failure.metric == "StatementBookingFailed"
    assert failure.subject == "Uploaded wallet statement rows 7100000..7100002 not booked"
    assert "Zoho refused the expense account" in failure.message
    assert "upload the statement again" in failure.message
    assert attempt.correlation_id == "wallet-statement-7100000"


def test_a_chunk_whose_rows_the_schedule_is_booking_now_comes_back_later_and_books_the_rest() -> None:
    books, ledger, pages, sent = FakeBooks(), MemoryLedger(), Pages(), []
    [chunk] = wallet_rows_messages(read_statement_csv(panel_csv(FREIGHT, REWEIGHED, REVERSAL)), UPLOADED)
    ledger.claim_wallet_row("7100002")  # the hourly run claimed it a moment ago and is writing it

    with pytest.raises(TransientError, match="1 statement rows are being booked by another attempt"):
        TakeWalletRows(upload_watch(books, ledger, pages, max_writes=4), chunk, sent.append).run()

    assert [entry["reference_number"] for entry in books.created] == ["SRW-7100001", "SRW-7100003"]
    assert (books.looked_up, sent) == ([], [])
