"""Remittance batches: one UTR, many orders, however the remittance reached us.

Pure: no I/O (docs/providers/shiprocket.md §11).

Shiprocket has no remittance API or webhook, so a remittance reaches us three ways, all parsed
into one ``RemittanceBatch``: a JSON batch an integrator posts (``parse_batch``), the CSV a seller
exports from the panel (``csv_upload``), or a poll of ``remittance_utr`` on delivered COD orders
(``batches_from_poll``). A source with no bank transfer total (a CSV without that column, the poll:
``orders/show`` carries the UTR but no transfer total) yields batches with ``balance_known=False``
and a transfer amount equal to the computed net.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
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

from shipsync.domain.identifiers import SQS_GROUP_SAFE, awb_problem
from shipsync.domain.india import IST, SHIPROCKET_TIMESTAMP_FORMATS
from shipsync.domain.models import ZOHO_REFERENCE_MAX
from shipsync.errors import PermanentError
from shipsync.remittance.money import Paise, format_inr, parse_deduction, parse_paise

__all__ = [
    "InvalidRemittance",
    "PolledRemittance",
    "RemittanceBatch",
    "RemittanceLine",
    "Source",
    "batches_from_poll",
    "net",
    "optional_text",
    "parse_batch",
    "parse_remittance_date",
    "required_text",
    "validated",
]

Source = Literal["json", "csv", "poll"]

# One remittance is one queue message: this many lines of bounded fields stay far inside SQS's 256 KiB.
MAX_ORDERS_PER_BATCH: Final = 1000
# A sales order number (Zoho's salesorder_number, our Shiprocket order id) or Shiprocket's own id.
ORDER_ID_MAX: Final = 50


class InvalidRemittance(PermanentError, ValueError):
    """A remittance we cannot use; ``field`` names the culprit (``orders.3.awb``) for the 400 answer."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


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


def required_text(value: Any) -> str:
    """A text field (ids may come as JSON numbers) -> stripped text. Raises ValueError (reason only)."""
    if value is None:
        raise ValueError("is required")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"expected text, got {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def optional_text(value: Any) -> str | None:
    """``required_text``, but null or blank means absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return required_text(value)


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
    return parse_deduction(value) if _from_rupees(info) else _paise(value)


_RUPEES: Final = {"rupees": True}
_Amount = Annotated[int, BeforeValidator(_amount)]
_Deduction = Annotated[int, BeforeValidator(_deducted)]
_Text = Annotated[str, BeforeValidator(required_text)]
_OptionalText = Annotated[str | None, BeforeValidator(optional_text)]
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

    @field_validator("awb")
    @classmethod
    def _is_an_awb(cls, value: str) -> str:
        problem = awb_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("order_id")
    @classmethod
    def _fits_an_order_id(cls, value: str | None) -> str | None:
        if value is not None and len(value) > ORDER_ID_MAX:
            raise ValueError(f"longer than {ORDER_ID_MAX} characters")
        return value

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
        if not SQS_GROUP_SAFE.fullmatch(value):
            raise ValueError("only letters, digits and . _ / - (starting with a letter or digit)")
        return value

    @field_validator("orders")
    @classmethod
    def _not_empty(cls, value: list[RemittanceLine]) -> list[RemittanceLine]:
        if not value:
            raise ValueError("must list at least one order")
        if len(value) > MAX_ORDERS_PER_BATCH:
            raise ValueError(f"more than {MAX_ORDERS_PER_BATCH} orders in one remittance; split it")
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


def validated(
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
    return validated(RemittanceBatch, {**data, "source": source}, rupees=True)


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
        lines = [validated(RemittanceLine, order._asdict(), ("orders", index)) for index, order in enumerate(orders)]
        document = {
            "remittance_id": utr,
            "remittance_date": orders[0].remittance_date,
            "bank_transfer_amount": sum(net(line) for line in lines),
            "orders": lines,
            "source": "poll",
            "balance_known": False,
        }
        batches.append(validated(RemittanceBatch, document))
    return batches
