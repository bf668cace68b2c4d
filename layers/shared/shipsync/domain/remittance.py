"""COD remittance arithmetic: batches in, balance checks and payment plans out.

Pure: no I/O (docs/providers/shiprocket.md §11, docs/providers/zoho.md §9).

Shiprocket has no remittance API or webhook, so a remittance reaches us three ways, all parsed
here into one ``RemittanceBatch``: a JSON batch an integrator posts, the CSV a seller exports
from the panel, or a poll of ``remittance_utr`` on delivered COD orders.

Money is integer paise everywhere inside (``Paise``). Amounts are parsed with ``Decimal`` from
JSON numbers or text ("1,499.50", "₹1499.5", 1499.5, "1499"); floats are read through their
shortest ``repr`` so ``1499.1`` is exactly 149910 paise. Negative amounts and sub-paisa
precision are rejected, never rounded: a remittance that does not add up to the paisa must
page ops, not be smoothed over.

The panel's CSV columns are undocumented (§11), so ``ColumnMapping`` matches common header
variants (case, spaces and punctuation ignored) and a seller can override it. A CSV with no
bank transfer total column cannot be checked for balance: its batches carry
``balance_known=False`` and a transfer amount equal to the computed net. The same holds for
polled batches (``orders/show`` carries the UTR but no transfer total).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Final, Literal, NamedTuple, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shipsync.domain.india import IST, SHIPROCKET_TIMESTAMP_FORMATS
from shipsync.domain.models import ZOHO_REFERENCE_MAX
from shipsync.errors import PermanentError

__all__ = [
    "AgingEntry",
    "BalanceLine",
    "BalanceResult",
    "ChargesMode",
    "ColumnMapping",
    "InvalidRemittance",
    "Paise",
    "PaymentPlan",
    "PaymentRefused",
    "PolledRemittance",
    "RemittanceBatch",
    "RemittanceLine",
    "Source",
    "aging",
    "batches_from_poll",
    "charges_still_to_book",
    "check_balance",
    "describe_aging",
    "describe_mismatch",
    "format_inr",
    "net",
    "parse_batch",
    "parse_csv",
    "parse_csv_batches",
    "parse_paise",
    "parse_remittance_date",
    "payment_plan",
    "remittance_key",
    "rupees",
]

Paise = int
Source = Literal["json", "csv", "poll"]
ChargesMode = Literal["bank_charges", "expense"]


class InvalidRemittance(PermanentError, ValueError):
    """A remittance we cannot use; ``field`` names the culprit (``orders.3.awb``) for the 400 answer."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class PaymentRefused(PermanentError):
    """No payment may be recorded for this line (overpayment, nothing collected): alert instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------------------ money

# Sign may sit before or after the currency mark ("-₹5", "₹-5"); commas only between digits.
_AMOUNT_TEXT: Final = re.compile(
    r"(?P<sign>[-+]?)\s*(?:₹|rs\.?|inr)?\s*(?P<sign2>[-+]?)\s*(?P<num>\d+(?:,\d+)*(?:\.\d*)?|\.\d+)",
    re.IGNORECASE,
)
# ₹10^15: far beyond any remittance, and keeps Decimal arithmetic inside its 28-digit context.
_MAX_INTEGER_DIGITS: Final = 15
_ONE_PAISA: Final = Decimal("0.01")


def parse_paise(value: Any) -> Paise:
    """A JSON number or amount text in rupees -> paise. Raises ValueError (reason only) when unusable."""
    if value is None:
        raise ValueError("is required")
    if isinstance(value, bool):
        raise ValueError(f"expected an amount, got {value!r}")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        # repr is the shortest text that round-trips, i.e. what the sender wrote in the JSON.
        amount = Decimal(repr(value))
        if not amount.is_finite():
            raise ValueError(f"expected an amount, got {value!r}")
    elif isinstance(value, str):
        amount = _amount_from_text(value)
    else:
        raise ValueError(f"expected an amount, got {type(value).__name__}")
    if amount < 0:
        raise ValueError(f"negative amount {value!r}")
    if amount.adjusted() >= _MAX_INTEGER_DIGITS:
        raise ValueError(f"implausibly large amount {value!r}")
    if amount != amount.quantize(_ONE_PAISA):
        raise ValueError(f"more than 2 decimal places in {value!r}")
    return int(amount * 100)


def _amount_from_text(text: str) -> Decimal:
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("is empty")
    match = _AMOUNT_TEXT.fullmatch(cleaned)
    if match is None or (match["sign"] and match["sign2"]):
        raise ValueError(f"not an amount: {text!r}")
    amount = Decimal(match["num"].replace(",", ""))
    return -amount if "-" in (match["sign"], match["sign2"]) else amount


def rupees(paise: Paise) -> Decimal:
    """Paise -> rupees with exactly two decimals (``Decimal('1499.50')``), for API bodies."""
    return Decimal(paise).scaleb(-2)


def format_inr(paise: Paise) -> str:
    """``₹1,23,456.50``: Indian digit grouping (lakh, crore), as an Indian accountant reads it."""
    sign = "-" if paise < 0 else ""
    whole, fraction = divmod(abs(paise), 100)
    digits = str(whole)
    if len(digits) > 3:
        head, tail = digits[:-3], digits[-3:]
        groups = [head[max(0, i - 2) : i] for i in range(len(head), 0, -2)]
        digits = ",".join(reversed(groups)) + "," + tail
    return f"{sign}₹{digits}.{fraction:02d}"


# ------------------------------------------------------------------------------- dates

# Day-first throughout: Indian exports never put the month first.
_DATE_FORMATS: Final = (
    "%Y-%m-%d",
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%b %d, %Y",
    *SHIPROCKET_TIMESTAMP_FORMATS,
)


def parse_remittance_date(value: Any) -> date:
    """YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY, "12 Mar 2021", a Shiprocket timestamp or ISO -> date.

    Raises ValueError (reason only) for anything else.
    """
    if isinstance(value, datetime):
        return value.astimezone(IST).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("is required" if value is None else f"expected a date, got {type(value).__name__}")
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError("is empty")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"unrecognised date {value!r}") from None
    return parsed.astimezone(IST).date() if parsed.tzinfo else parsed.date()


# ------------------------------------------------------------------------------ models


def _required_text(value: Any) -> str:
    if value is None:
        raise ValueError("is required")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"expected text, got {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def _optional_text(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _required_text(value)


def _deduction(value: Any) -> Paise:
    """Integrators send null or "" for "no deductions"; both mean zero."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    return parse_paise(value)


def _paise(value: Any) -> Paise:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected whole paise, got {value!r}")
    if value < 0:
        raise ValueError(f"negative amount {value!r}")
    return value


def _from_rupees(info: ValidationInfo) -> bool:
    return isinstance(info.context, Mapping) and info.context.get("rupees") is True


def _amount(value: Any, info: ValidationInfo) -> Paise:
    """Rupees (any shape ``parse_paise`` reads) when validating a document, paise when built in code."""
    return parse_paise(value) if _from_rupees(info) else _paise(value)


def _deducted(value: Any, info: ValidationInfo) -> Paise:
    return _deduction(value) if _from_rupees(info) else _paise(value)


_RUPEES: Final = {"rupees": True}
_Amount = Annotated[int, BeforeValidator(_amount)]
_Deduction = Annotated[int, BeforeValidator(_deducted)]
_Text = Annotated[str, BeforeValidator(_required_text)]
_OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
_Date = Annotated[date, BeforeValidator(parse_remittance_date)]


class RemittanceLine(BaseModel):
    """One remitted order: what the buyer paid (gross) and what Shiprocket kept, in paise.

    Built in code, amounts are paise (ints); ``parse_batch`` reads a document's amounts as rupees.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    awb: _Text
    order_id: _OptionalText = None
    cod_amount: _Amount
    deducted_charges: _Deduction = 0

    @model_validator(mode="after")
    def _net_not_negative(self) -> RemittanceLine:
        net(self)
        return self


class RemittanceBatch(BaseModel):
    """One remittance (one UTR, many buyers)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    remittance_id: _Text
    remittance_date: _Date
    bank_transfer_amount: _Amount
    orders: list[RemittanceLine]
    source: Source = "json"
    # False when the source carried no transfer total (CSV without one, poll): the balance
    # check then has nothing to compare against, and bank_transfer_amount is the computed net.
    balance_known: bool = True

    @field_validator("remittance_id")
    @classmethod
    def _fits_zoho_reference(cls, value: str) -> str:
        if len(value) > ZOHO_REFERENCE_MAX:
            raise ValueError(f"longer than {ZOHO_REFERENCE_MAX} characters (Zoho reference_number)")
        return value

    @field_validator("orders")
    @classmethod
    def _not_empty(cls, value: list[RemittanceLine]) -> list[RemittanceLine]:
        if not value:
            raise ValueError("must list at least one order")
        return value

    @model_validator(mode="after")
    def _awbs_unique(self) -> RemittanceBatch:
        seen: dict[str, int] = {}
        for index, line in enumerate(self.orders):
            key = line.awb.upper()
            if key in seen:
                raise InvalidRemittance(f"orders.{index}.awb", f"AWB {line.awb} already listed at orders.{seen[key]}")
            seen[key] = index
        return self

    @property
    def total_cod(self) -> Paise:
        return sum(line.cod_amount for line in self.orders)

    @property
    def total_deductions(self) -> Paise:
        return sum(line.deducted_charges for line in self.orders)

    @property
    def total_net(self) -> Paise:
        return sum(net(line) for line in self.orders)


def net(line: RemittanceLine) -> Paise:
    """What reaches the bank for this order: COD collected minus Shiprocket's deductions."""
    amount = line.cod_amount - line.deducted_charges
    if amount < 0:
        raise InvalidRemittance(
            "deducted_charges",
            f"deductions {format_inr(line.deducted_charges)} exceed the COD amount {format_inr(line.cod_amount)}",
        )
    return amount


_REASONS: Final = {"missing": "is required", "list_type": "must be a list", "model_type": "must be an object"}


_M = TypeVar("_M", bound=BaseModel)


def _validated(
    model: type[_M], data: Mapping[str, Any], prefix: tuple[str | int, ...] = (), *, rupees: bool = False
) -> _M:
    """Validate, turning pydantic's first error into InvalidRemittance with a dotted field path."""
    try:
        return model.model_validate(data, context=_RUPEES if rupees else None)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = (*prefix, *error["loc"])
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, InvalidRemittance):
            raise InvalidRemittance(".".join(str(p) for p in (*loc, cause.field)), cause.reason) from None
        reason = _REASONS.get(error["type"]) or str(error["msg"]).removeprefix("Value error, ")
        raise InvalidRemittance(".".join(str(p) for p in loc) or "body", reason) from None


def parse_batch(document: Any, *, source: Source = "json") -> RemittanceBatch:
    """The JSON batch integrators post -> RemittanceBatch. Raises InvalidRemittance naming the field.

    ``source`` is ours to set: a posted document cannot claim to be a poll.
    """
    if not isinstance(document, Mapping):
        raise InvalidRemittance("body", f"expected a JSON object, got {type(document).__name__}")
    data = {key: value for key, value in document.items() if key not in {"source", "balance_known"}}
    return _validated(RemittanceBatch, {**data, "source": source}, rupees=True)


# --------------------------------------------------------------------------------- CSV

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
        keys = [_header_key(header) for header in headers]
        claimed: set[int] = set()
        columns: dict[_Role, int] = {}
        for role in _ROLE_ORDER:
            for alias in getattr(self, role):
                wanted = _header_key(alias)
                index = next((i for i, key in enumerate(keys) if key == wanted and i not in claimed), None)
                if wanted and index is not None:
                    columns[role] = index
                    claimed.add(index)
                    break
        missing = [_ROLE_LABELS[role] for role in _REQUIRED_ROLES if role not in columns]
        if missing:
            found = ", ".join(header.strip() for header in headers if header.strip()) or "no columns"
            raise InvalidRemittance("columns", f"cannot map: {', '.join(missing)} (found: {found})")
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
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows = ((reader.line_num, row) for row in reader if any(cell.strip() for cell in row))
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

    utr: str = convert("remittance_id", _required_text)
    remitted_on: date = convert("remittance_date", parse_remittance_date)
    transfer: Paise | None = convert("bank_transfer_amount", parse_paise) if "bank_transfer_amount" in columns else None
    line_values = {
        "awb": convert("awb", _required_text),
        "order_id": convert("order_id", _optional_text),
        "cod_amount": convert("cod_amount", parse_paise),
        "deducted_charges": convert("deducted_charges", _deduction),
    }
    line = _validated(RemittanceLine, line_values, ("rows", line_no))

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


# -------------------------------------------------------------------------------- poll


class PolledRemittance(NamedTuple):
    """A delivered COD order as ``GET /orders/show/{id}`` reports it (UTR empty until remitted)."""

    awb: str
    order_id: str | None
    cod_amount: Paise
    remittance_utr: str
    remittance_date: str
    deducted_charges: Paise = 0


def batches_from_poll(polled: Iterable[PolledRemittance]) -> list[RemittanceBatch]:
    """Group the polled orders that now carry a UTR into one batch per UTR (unbalanced-unknown).

    The UTR's first order supplies the batch date. Raises InvalidRemittance for an unusable date.
    """
    grouped: dict[str, list[PolledRemittance]] = {}
    for order in polled:
        utr = order.remittance_utr.strip()
        if utr:
            grouped.setdefault(utr, []).append(order)
    batches = []
    for utr, orders in grouped.items():
        lines = [_validated(RemittanceLine, order._asdict(), ("orders", index)) for index, order in enumerate(orders)]
        document = {
            "remittance_id": utr,
            "remittance_date": orders[0].remittance_date,
            "bank_transfer_amount": sum(net(line) for line in lines),
            "orders": lines,
            "source": "poll",
            "balance_known": False,
        }
        batches.append(_validated(RemittanceBatch, document))
    return batches


# ----------------------------------------------------------------------------- balance


class BalanceLine(NamedTuple):
    awb: str
    cod: Paise
    deductions: Paise
    net: Paise


@dataclass(frozen=True)
class BalanceResult:
    expected_paise: Paise
    received_paise: Paise
    # received - expected: negative when the bank got less than the orders add up to.
    difference_paise: Paise
    balanced: bool
    lines: list[BalanceLine]
    # False when the source had no transfer total: "balanced" then holds by construction.
    balance_known: bool = True


def check_balance(batch: RemittanceBatch) -> BalanceResult:
    """Sum of nets against the bank transfer, to the paisa."""
    lines = [BalanceLine(line.awb, line.cod_amount, line.deducted_charges, net(line)) for line in batch.orders]
    expected = sum(line.net for line in lines)
    received = batch.bank_transfer_amount
    return BalanceResult(
        expected_paise=expected,
        received_paise=received,
        difference_paise=received - expected,
        balanced=expected == received,
        lines=lines,
        balance_known=batch.balance_known,
    )


def describe_mismatch(batch: RemittanceBatch, result: BalanceResult) -> str:
    """The ops alert text for an unbalanced batch: totals, difference and every order's line."""
    by_awb = {line.awb: line.order_id for line in batch.orders}
    width = max(len(line.awb) for line in result.lines)
    rows = []
    for line in result.lines:
        order = f" (order {by_awb[line.awb]})" if by_awb.get(line.awb) else ""
        rows.append(
            f"  AWB {line.awb:<{width}}{order}: COD {format_inr(line.cod)}"
            f" - deductions {format_inr(line.deductions)} = net {format_inr(line.net)}"
        )
    return "\n".join(
        [
            f"COD remittance {batch.remittance_id} of {batch.remittance_date.isoformat()} ({batch.source})"
            " does not balance.",
            f"Expected (sum of COD - deductions): {format_inr(result.expected_paise)}",
            f"Received (bank transfer):           {format_inr(result.received_paise)}",
            f"Difference (received - expected):   {format_inr(result.difference_paise)}",
            f"Orders ({len(result.lines)}):",
            *rows,
        ]
    )


# ----------------------------------------------------------------------------- payment


@dataclass(frozen=True)
class PaymentPlan:
    """One Zoho Books customer payment for one remitted order (docs/providers/zoho.md §9)."""

    # Gross COD: what the buyer paid, applied to the invoice in full.
    amount_paise: Paise
    # Deductions on the payment itself (deposit = amount - bank charges)...
    bank_charges_paise: Paise
    # ...or as a separate expense against the deposit account; exactly one of the two is non-zero.
    expense_paise: Paise
    reference_number: str

    @property
    def deposit_paise(self) -> Paise:
        """What the bank account gains net of Shiprocket's deductions, whichever way they are booked."""
        return self.amount_paise - self.bank_charges_paise - self.expense_paise


def payment_plan(
    line: RemittanceLine,
    invoice_balance_paise: Paise,
    *,
    remittance_id: str,
    charges_mode: ChargesMode = "bank_charges",
) -> PaymentPlan:
    """The payment for ``line`` of remittance ``remittance_id`` against an invoice with that balance.

    Raises PaymentRefused when nothing was collected or the gross exceeds the invoice balance
    (a partial application would hide the excess; ops decide).
    """
    if line.cod_amount == 0:
        raise PaymentRefused(f"AWB {line.awb}: no COD collected in remittance {remittance_id}")
    if line.cod_amount > invoice_balance_paise:
        raise PaymentRefused(
            f"AWB {line.awb}: COD {format_inr(line.cod_amount)} exceeds the invoice balance "
            f"{format_inr(invoice_balance_paise)} (remittance {remittance_id})"
        )
    deductions = line.deducted_charges
    return PaymentPlan(
        amount_paise=line.cod_amount,
        bank_charges_paise=deductions if charges_mode == "bank_charges" else 0,
        expense_paise=deductions if charges_mode == "expense" else 0,
        reference_number=remittance_id,
    )


def remittance_key(remittance_id: str, awb: str) -> str:
    """What tells one order's payment or expense apart among the many that carry one UTR."""
    return f"{remittance_id}:{awb}"


def charges_still_to_book(line: RemittanceLine, booked_paise: Paise, *, remittance_id: str) -> Paise:
    """Deductions a line asks for that are not yet booked against its existing payment.

    A payment made from the poll carries none (``orders/show`` has no deductions): the remittance's
    later post or CSV supplies them, once. A line naming no deductions asks for nothing. Raises
    PaymentRefused when other deductions are already booked: the sources disagree and ops decide.
    """
    if line.deducted_charges == 0 or line.deducted_charges == booked_paise:
        return 0
    if booked_paise:
        raise PaymentRefused(
            f"AWB {line.awb}: remittance {remittance_id} now lists deductions of {format_inr(line.deducted_charges)}, "
            f"but {format_inr(booked_paise)} are already booked"
        )
    return line.deducted_charges


# ------------------------------------------------------------------------------- aging


class AgingEntry(NamedTuple):
    awb: str
    so_number: str
    delivered_at: datetime
    days_outstanding: int


def aging(delivered: Iterable[tuple[str, str, datetime]], now: datetime, days: int = 10) -> list[AgingEntry]:
    """COD orders delivered more than ``days`` ago, oldest first.

    ``delivered`` is the ledger's delivered COD orders with no remittance recorded. Naive
    times are IST (Shiprocket's own clock). Exactly ``days`` old is not yet overdue.
    """
    cutoff = timedelta(days=days)
    current = now if now.tzinfo else now.replace(tzinfo=IST)
    overdue = []
    for awb, so_number, delivered_at in delivered:
        at = delivered_at if delivered_at.tzinfo else delivered_at.replace(tzinfo=IST)
        waited = current - at
        if waited > cutoff:
            overdue.append(AgingEntry(awb, so_number, at, waited.days))
    return sorted(overdue, key=lambda entry: entry.delivered_at)


def describe_aging(entries: Sequence[AgingEntry], days: int) -> str:
    """The ops alert text listing COD orders still unremitted after ``days`` days."""
    rows = [
        f"  {entry.so_number} AWB {entry.awb}: delivered {entry.delivered_at.astimezone(IST):%d %b %Y}, "
        f"{entry.days_outstanding} days ago"
        for entry in entries
    ]
    return "\n".join([f"{len(entries)} COD order(s) delivered more than {days} days ago, not remitted:", *rows])
