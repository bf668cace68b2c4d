"""The panel's remittance CSV export -> one ``RemittanceBatch`` per UTR.

Pure: no I/O (docs/providers/shiprocket.md §11).

The panel's CSV columns are undocumented (§11), so ``ColumnMapping`` matches common header
variants (case, spaces and punctuation ignored) and a seller can override it. A CSV with no
bank transfer total column cannot be checked for balance: its batches carry
``balance_known=False`` and a transfer amount equal to the computed net.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Final, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

from shipsync.remittance.batches import (
    InvalidRemittance,
    RemittanceBatch,
    RemittanceLine,
    net,
    optional_text,
    parse_remittance_date,
    required_text,
    validated,
)
from shipsync.remittance.money import Paise, format_inr, parse_deduction, parse_paise

__all__ = ["ColumnMapping", "claim_columns", "csv_rows", "parse_csv", "parse_csv_batches", "unmapped"]

_Role = Literal[
    "awb", "order_id", "cod_amount", "deducted_charges", "remittance_id", "remittance_date", "bank_transfer_amount"
]
_REQUIRED_ROLES: Final[tuple[_Role, ...]] = ("awb", "cod_amount", "remittance_id", "remittance_date")
# Most specific roles claim their column first, so "Amount" (a COD alias) never takes a column
# a more specific alias names, and each column serves one role.
_ROLE_ORDER: Final[tuple[_Role, ...]] = (
    "awb",
    "order_id",
    "bank_transfer_amount",
    "cod_amount",
    "deducted_charges",
    "remittance_id",
    "remittance_date",
)
_ROLE_LABELS: Final[dict[_Role, str]] = {
    "awb": "AWB",
    "order_id": "Order ID",
    "cod_amount": "COD Amount",
    "deducted_charges": "Deductions",
    "remittance_id": "UTR",
    "remittance_date": "Remittance Date",
    "bank_transfer_amount": "Bank Transfer Amount",
}
_UNIT_SUFFIX: Final = re.compile(r"\((?:rs\.?|inr|₹)\)", re.IGNORECASE)
_Field = TypeVar("_Field")
_NOT_ALNUM: Final = re.compile(r"[^0-9a-z]+")


def _header_key(header: str) -> str:
    """``"COD Amount (Rs.)"``, ``"cod_amount"`` and ``" COD-Amount "`` all become ``"codamount"``."""
    return _NOT_ALNUM.sub("", _UNIT_SUFFIX.sub("", header.lower()))


def _aliases(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


_Aliases = Annotated[tuple[str, ...], BeforeValidator(_aliases)]


class ColumnMapping(BaseModel):
    """Which CSV header serves which role; each role lists the headers tried in order.

    The defaults cover the header variants seen in Shiprocket exports and integrators' sheets.
    A seller override (``from_json``) replaces the aliases of the roles it names rather than
    adding to them, so a misspelt override fails loudly instead of falling back to a default
    column that might mean something else. An empty list for an optional role ignores it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    awb: _Aliases = ("AWB", "AWB Code", "AWB No", "AWB Number", "Tracking Number", "Tracking No")
    order_id: _Aliases = ("Order ID", "Channel Order ID", "Order Number", "Order No")
    cod_amount: _Aliases = ("COD Amount", "COD Value", "Collectable Amount", "Amount")
    deducted_charges: _Aliases = ("Deductions", "Deducted Charges", "Charges", "Freight + COD Charges")
    remittance_id: _Aliases = ("UTR", "UTR No", "UTR Number", "Remittance ID", "CRF ID", "Remittance Reference")
    remittance_date: _Aliases = ("Remittance Date", "Remitted On", "Date")
    bank_transfer_amount: _Aliases = ("Bank Transfer Amount", "Remitted Amount")

    @model_validator(mode="after")
    def _required_roles_named(self) -> ColumnMapping:
        for role in _REQUIRED_ROLES:
            if not any(_header_key(alias) for alias in getattr(self, role)):
                raise ValueError(f"{role} needs at least one column name")
        return self

    @classmethod
    def from_json(cls, text: str) -> ColumnMapping:
        """``{"awb": "Waybill", "cod_amount": ["Net COD", "COD"]}`` (an SSM parameter / env string).

        Raises InvalidRemittance(``column_mapping``...) on a malformed override.
        """
        try:
            override = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidRemittance("column_mapping", f"not JSON: {exc.msg}") from None
        if not isinstance(override, dict):
            raise InvalidRemittance("column_mapping", "expected a JSON object of role -> column name(s)")
        try:
            return cls.model_validate({**cls().model_dump(), **override})
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in ("column_mapping", *error["loc"]))
            if error["type"] == "extra_forbidden":
                raise InvalidRemittance(field, f"unknown role; expected one of {', '.join(_ROLE_ORDER)}") from None
            raise InvalidRemittance(field, str(error["msg"]).removeprefix("Value error, ")) from None

    def resolve(self, headers: Sequence[str]) -> dict[_Role, int]:
        """Role -> column index. Raises InvalidRemittance("columns", ...) naming what is missing."""
        columns = claim_columns(headers, ((role, getattr(self, role)) for role in _ROLE_ORDER), _header_key)
        missing = [_ROLE_LABELS[role] for role in _REQUIRED_ROLES if role not in columns]
        if missing:
            raise InvalidRemittance("columns", unmapped(missing, headers))
        return columns


@dataclass
class _CsvGroup:
    remittance_id: str
    remittance_date: date
    date_line: int
    transfer: Paise | None
    transfer_line: int
    lines: list[RemittanceLine]
    awb_lines: dict[str, int]


def parse_csv(text: str, mapping: ColumnMapping | None = None) -> RemittanceBatch:
    """A panel remittance export holding one remittance -> RemittanceBatch.

    Raises InvalidRemittance; a file holding several UTRs is refused here (``parse_csv_batches``).
    """
    batches = parse_csv_batches(text, mapping)
    if len(batches) > 1:
        ids = ", ".join(batch.remittance_id for batch in batches)
        raise InvalidRemittance("remittance_id", f"the file holds {len(batches)} remittances ({ids})")
    return batches[0]


def parse_csv_batches(text: str, mapping: ColumnMapping | None = None) -> list[RemittanceBatch]:
    """A panel remittance export -> one batch per distinct UTR, in order of first appearance.

    Field paths name the file line: ``rows.4.cod_amount`` is line 4 (the header is line 1 when
    the file starts with it). Raises InvalidRemittance.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    rows = csv_rows(reader, InvalidRemittance)
    first = next(rows, None)
    if first is None:
        raise InvalidRemittance("body", "the CSV is empty")
    headers = first[1]
    columns = (mapping or ColumnMapping()).resolve(headers)
    groups: dict[str, _CsvGroup] = {}
    for line_no, row in rows:
        _add_csv_row(groups, columns, headers, line_no, row)
    if not groups:
        raise InvalidRemittance("orders", "the CSV has no data rows")
    return [_csv_batch(group) for group in groups.values()]


def claim_columns(
    headers: Sequence[str], aliases: Iterable[tuple[_Field, Iterable[str]]], key: Callable[[str], str]
) -> dict[_Field, int]:
    """Field -> column index, the fields in the order given and each column serving one field (a panel export's
    columns matched by ``key``, which folds case, spaces, punctuation and unit suffixes; the remittance and the
    wallet statement alike). A field none of whose aliases names a free column is left out."""
    keys = [key(header) for header in headers]
    claimed: set[int] = set()
    columns: dict[_Field, int] = {}
    for field, names in aliases:
        for alias in names:
            wanted = key(alias)
            index = next((i for i, found in enumerate(keys) if found == wanted and i not in claimed), None)
            if wanted and index is not None:
                columns[field] = index
                claimed.add(index)
                break
    return columns


def unmapped(missing: Sequence[str], headers: Sequence[str]) -> str:
    """Why a CSV is refused for its columns: what is missing, and what the file has instead."""
    found = ", ".join(header.strip() for header in headers if header.strip()) or "no columns"
    return f"cannot map: {', '.join(missing)} (found: {found})"


def csv_rows(reader: Any, refused: Callable[[str, str], Exception]) -> Iterator[tuple[int, list[str]]]:
    """The non-blank rows of a ``csv.reader`` with their line numbers; a row ``csv`` cannot read (an unclosed
    quote, a cell over its 128 KiB limit) raises ``refused(field, reason)`` naming its line (the panel's
    remittance and wallet statement exports alike)."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise refused(f"rows.{reader.line_num}", f"unreadable CSV: {err}") from None
        if any(cell.strip() for cell in row):
            yield reader.line_num, row


def _add_csv_row(
    groups: dict[str, _CsvGroup], columns: Mapping[_Role, int], headers: Sequence[str], line_no: int, row: list[str]
) -> None:
    def cell(role: _Role) -> str | None:
        index = columns.get(role)
        if index is None:
            return None
        return row[index] if index < len(row) else ""

    def convert(role: _Role, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(cell(role))
        except ValueError as exc:
            column = headers[columns[role]].strip()
            raise InvalidRemittance(f"rows.{line_no}.{role}", f"column {column!r} {exc}") from None

    utr: str = convert("remittance_id", required_text)
    remitted_on: date = convert("remittance_date", parse_remittance_date)
    transfer: Paise | None = convert("bank_transfer_amount", parse_paise) if "bank_transfer_amount" in columns else None
    line_values = {
        "awb": convert("awb", required_text),
        "order_id": convert("order_id", optional_text),
        "cod_amount": convert("cod_amount", parse_paise),
        "deducted_charges": convert("deducted_charges", parse_deduction),
    }
    line = validated(RemittanceLine, line_values, ("rows", line_no))

    group = groups.get(utr)
    if group is None:
        group = groups[utr] = _CsvGroup(utr, remitted_on, line_no, transfer, line_no, [], {})
    if remitted_on != group.remittance_date:
        raise InvalidRemittance(
            f"rows.{line_no}.remittance_date",
            f"{remitted_on} differs from {group.remittance_date} (line {group.date_line}) for UTR {utr}",
        )
    if transfer != group.transfer:
        raise InvalidRemittance(
            f"rows.{line_no}.bank_transfer_amount",
            f"{format_inr(transfer or 0)} differs from {format_inr(group.transfer or 0)} "
            f"(line {group.transfer_line}) for UTR {utr}",
        )
    key = line.awb.upper()
    if key in group.awb_lines:
        raise InvalidRemittance(f"rows.{line_no}.awb", f"AWB {line.awb} already listed on line {group.awb_lines[key]}")
    group.awb_lines[key] = line_no
    group.lines.append(line)


def _csv_batch(group: _CsvGroup) -> RemittanceBatch:
    known = group.transfer is not None
    return RemittanceBatch(
        remittance_id=group.remittance_id,
        remittance_date=group.remittance_date,
        bank_transfer_amount=group.transfer if group.transfer is not None else sum(net(x) for x in group.lines),
        orders=group.lines,
        source="csv",
        balance_known=known,
    )
