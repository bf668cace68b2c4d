"""The panel's wallet statement export (a CSV the seller downloads and uploads) -> the raw rows
``freight.statement.read_statement`` takes, keyed by the API's field names.

Pure: no I/O. The panel's column titles are not published (docs/providers/shiprocket.md §17, "The panel's CSV
export"): headers are matched case-, space- and punctuation-insensitively against the API's own field names and
the titles such exports commonly use, each column serving one field. Every row is read as the wallet watch will read
it (``read_row``) before anything is queued, and one row it would refuse refuses the whole file, named by its line
and transaction id: a file the seller must fix is never half booked (the remittance CSV's stance).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Final

from shipsync.freight.statement import is_opening_row, read_row
from shipsync.remittance.csv_upload import claim_columns, csv_rows, unmapped

__all__ = ["FIELD_ALIASES", "MAX_CELL_CHARS", "MAX_ROWS", "InvalidStatement", "read_statement_csv"]

# The API's keys, each with the header titles tried for it, in order. The API's name comes first: "Order ID" and
# "AWB Code" are the same header as ``order_id`` and ``awb_code`` once punctuation is ignored, so "Order ID" is
# Shiprocket's order id as in the API (§17), and our own order number is "Channel Order ID". None of the titles
# is published: GUESSES, each refused loudly rather than read as another field when wrong.
FIELD_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "transaction_id": ("transaction_id", "Transaction ID", "Transaction No", "Transaction Number", "Txn ID"),
    "order_id": ("order_id", "Order ID", "Shiprocket Order ID", "SR Order ID"),
    "channel_order_id": ("channel_order_id", "Channel Order ID", "Channel Order No", "Channel Order Number"),
    "awb_code": ("awb_code", "AWB Code", "AWB", "AWB No", "AWB Number"),
    "applied_weight": ("applied_weight", "Applied Weight"),
    "charged_weight": ("charged_weight", "Charged Weight"),
    "charge": ("charge", "Charge", "Charge Type", "Charges Type", "Transaction Type"),
    "description": ("description", "Description", "Remarks", "Narration", "Particulars"),
    "debit_amount": ("debit_amount", "Debit Amount", "Debit", "Debited", "Debited Amount"),
    "credit_amount": ("credit_amount", "Credit Amount", "Credit", "Credited", "Credited Amount"),
    "created_at": ("created_at", "Created At", "Date", "Transaction Date", "Date Time", "Date & Time"),
}
# Without an id a row cannot be booked exactly once; the debits and credits are two columns (§17), and a file
# without one of them would read every row of the other kind as having no amount.
REQUIRED: Final = ("transaction_id", "debit_amount", "credit_amount")
_LABELS: Final = {"transaction_id": "Transaction ID", "debit_amount": "Debit Amount", "credit_amount": "Credit Amount"}
# Each new row costs one Zoho Books call and the organisation's daily budget (1,000 on the smallest plan,
# docs/providers/zoho.md §4) is shared with order sync: a larger export is split by date range.
MAX_ROWS: Final = 1000
# Ids, amounts, dates and one line of text: longer is not a statement cell, and the bound keeps a row well inside
# a queue message.
MAX_CELL_CHARS: Final = 500
_UNIT_SUFFIX: Final = re.compile(r"\((?:rs\.?|inr|₹|kgs?|in kgs?|in rs\.?|in inr)\)", re.IGNORECASE)
_NOT_ALNUM: Final = re.compile(r"[^0-9a-z]+")


class InvalidStatement(ValueError):
    """An upload we will not queue; ``field`` names the culprit (``rows.4.debit_amount``) for the 400 answer."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def header_key(header: str) -> str:
    """``"Debit Amount (Rs.)"``, ``"debit_amount"`` and ``" Debit-Amount "`` all become ``"debitamount"``."""
    return _NOT_ALNUM.sub("", _UNIT_SUFFIX.sub("", header.lower()))


def read_statement_csv(text: str) -> list[dict[str, str]]:
    """The export's movements, in file order, as raw rows with the API's keys (only the columns found).

    The "Wallet Balance" row is skipped (it moves nothing); a transaction listed twice alike is kept once, listed
    twice differently refuses the file. Field paths name the file line: ``rows.4`` is line 4, the header line 1.
    Raises InvalidStatement.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    lines = csv_rows(reader, InvalidStatement)
    first = next(lines, None)
    if first is None:
        raise InvalidStatement("body", "the CSV is empty")
    headers = first[1]
    columns = _resolve(headers)
    rows: list[dict[str, str]] = []
    seen: dict[str, tuple[int, dict[str, str]]] = {}
    for line_no, cells in lines:
        raw = _raw_row(columns, headers, line_no, cells)
        if is_opening_row(raw):
            continue
        transaction = raw["transaction_id"]
        try:
            read_row(raw)
        except ValueError as refused:
            raise _refusal(line_no, transaction, str(refused), columns, headers) from None
        earlier = seen.get(transaction)
        if earlier is not None:
            if earlier[1] != raw:
                raise InvalidStatement(
                    f"rows.{line_no}.transaction_id",
                    f"line {line_no}: transaction {transaction} is also on line {earlier[0]}, with other values",
                )
            continue
        seen[transaction] = (line_no, raw)
        rows.append(raw)
        if len(rows) > MAX_ROWS:
            raise InvalidStatement("rows", f"more than {MAX_ROWS} movements: upload the export in shorter date ranges")
    if not rows:
        raise InvalidStatement("rows", "the CSV has no movements")
    return rows


def _resolve(headers: Sequence[str]) -> dict[str, int]:
    """API field -> column index, each column serving one field. Raises InvalidStatement("columns", ...)."""
    columns = claim_columns(headers, FIELD_ALIASES.items(), header_key)
    missing = [_LABELS[field] for field in REQUIRED if field not in columns]
    if missing:
        raise InvalidStatement("columns", unmapped(missing, headers))
    return columns


def _raw_row(columns: Mapping[str, int], headers: Sequence[str], line_no: int, cells: list[str]) -> dict[str, str]:
    raw: dict[str, str] = {}
    for field, index in columns.items():
        value = cells[index].strip() if index < len(cells) else ""
        if len(value) > MAX_CELL_CHARS:
            column = headers[index].strip()
            raise InvalidStatement(
                f"rows.{line_no}.{field}", f"line {line_no}: column {column!r} is over {MAX_CELL_CHARS} characters"
            )
        raw[field] = value
    return raw


def _refusal(
    line_no: int, transaction: str, reason: str, columns: Mapping[str, int], headers: Sequence[str]
) -> InvalidStatement:
    """``read_row``'s refusal, named by line, transaction id and, when it is about one field, the seller's column."""
    named = f"transaction {transaction}" if transaction else "no transaction id"
    for field in REQUIRED:
        if reason.startswith((field, f"has no {field}")):
            column = headers[columns[field]].strip()
            return InvalidStatement(f"rows.{line_no}.{field}", f"line {line_no} ({named}), column {column!r}: {reason}")
    return InvalidStatement(f"rows.{line_no}", f"line {line_no} ({named}): {reason}")
