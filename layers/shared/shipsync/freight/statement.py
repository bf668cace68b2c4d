"""Shiprocket's wallet statement, read (docs/providers/shiprocket.md §17): each row a debit or a credit in paise, of
a kind, naming the shipment it belongs to.

Pure. The statement (the API's or the panel's export) gives ``transaction_id``, the Shiprocket ``order_id``, our
``channel_order_id``, ``awb_code``, the three weights, ``charge`` / ``description`` and ``debit_amount`` /
``credit_amount`` as text. Which texts ``charge`` takes is not published: ``kind_of`` reads the words integrators
match (freight, COD, RTO, weight / discrepancy, reversal / refund) and calls anything else ``OTHER``, which is
listed for ops, never guessed into an account.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from shipsync.remittance.money import Paise, parse_paise

# The published example's first row: the balance, with every other field empty.
OPENING_ROW = "wallet balance"
_TRANSACTION_ID = re.compile(r"^[A-Za-z0-9._:/-]{1,64}$")


class RowKind(StrEnum):
    FREIGHT = "freight"
    COD_FEE = "cod_fee"
    RTO_FREIGHT = "rto_freight"
    WEIGHT_ADJUSTMENT = "weight_adjustment"
    # Money back: an AWB cancelled or reassigned, a dispute won.
    REVERSAL = "reversal"
    # Money in that belongs to no shipment: a wallet recharge.
    RECHARGE = "recharge"
    OTHER = "other"


# First match wins: "RTO freight" is RTO, "COD charges reversal" a reversal.
_KINDS: tuple[tuple[RowKind, re.Pattern[str]], ...] = (
    (RowKind.REVERSAL, re.compile(r"revers|refund|dispute (?:won|accepted in your favour)|cancel", re.I)),
    (RowKind.RECHARGE, re.compile(r"recharge|wallet (?:top.?up|load)|amount added", re.I)),
    (RowKind.WEIGHT_ADJUSTMENT, re.compile(r"weight|discrepanc", re.I)),
    (RowKind.RTO_FREIGHT, re.compile(r"\brto\b|return to origin", re.I)),
    (RowKind.COD_FEE, re.compile(r"\bcod\b|cash on delivery", re.I)),
    (RowKind.FREIGHT, re.compile(r"freight|forward|shipping charge", re.I)),
)


@dataclass(frozen=True)
class WalletRow:
    transaction_id: str
    kind: RowKind
    # Positive: the wallet was debited; negative: credited.
    amount_paise: Paise
    awb: str | None
    sr_order_id: str | None
    channel_order_id: str | None
    charge: str
    description: str
    created_at: str
    applied_weight_kg: float | None
    charged_weight_kg: float | None

    @property
    def shipment_key(self) -> str | None:
        """What names the row's shipment, best first: the AWB, our order id, Shiprocket's."""
        return self.awb or self.channel_order_id or self.sr_order_id

    @property
    def day(self) -> date | None:
        """The row's day; None when ``created_at`` does not start with one (its format is not published)."""
        try:
            return date.fromisoformat(self.created_at[:10])
        except ValueError:
            return None

    @property
    def extra_weight_kg(self) -> float | None:
        if self.applied_weight_kg is None or self.charged_weight_kg is None:
            return None
        extra = round(self.charged_weight_kg - self.applied_weight_kg, 3)
        return extra if extra > 0 else None


@dataclass(frozen=True)
class RefusedRow:
    """A row that cannot be booked, named by what identifies it (its transaction id, else its position)."""

    name: str
    reason: str


@dataclass(frozen=True)
class Statement:
    rows: list[WalletRow]
    refused: list[RefusedRow]


def read_statement(raw_rows: Iterable[Any]) -> Statement:
    rows: list[WalletRow] = []
    refused: list[RefusedRow] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_rows, start=1):
        if not isinstance(raw, Mapping):
            refused.append(RefusedRow(f"row {position}", "is not an object"))
            continue
        if is_opening_row(raw):
            continue
        name = _text(raw.get("transaction_id")) or f"row {position}"
        try:
            row = read_row(raw)
        except ValueError as unusable:
            refused.append(RefusedRow(name, str(unusable)))
            continue
        # The same transaction twice (two pages overlapping, the CSV and the API): one row.
        if row.transaction_id not in seen:
            seen.add(row.transaction_id)
            rows.append(row)
    return Statement(rows, refused)


def read_row(raw: Mapping[str, Any]) -> WalletRow:
    """One statement row; ``ValueError`` says what makes it unusable."""
    transaction_id = _text(raw.get("transaction_id"))
    if not transaction_id:
        raise ValueError("has no transaction_id: it cannot be booked exactly once")
    if not _TRANSACTION_ID.match(transaction_id):
        raise ValueError("transaction_id is not an id")
    debit = _amount(raw.get("debit_amount"), "debit_amount")
    credit = _amount(raw.get("credit_amount"), "credit_amount")
    if bool(debit) == bool(credit):
        raise ValueError("needs exactly one of debit_amount and credit_amount")
    charge, description = _text(raw.get("charge")), _text(raw.get("description"))
    return WalletRow(
        transaction_id=transaction_id,
        kind=kind_of(charge, description, credit=bool(credit)),
        amount_paise=debit or -credit,
        awb=_text(raw.get("awb_code")) or None,
        sr_order_id=_text(raw.get("order_id")) or None,
        channel_order_id=_text(raw.get("channel_order_id")) or None,
        charge=charge,
        description=description,
        created_at=_text(raw.get("created_at")),
        applied_weight_kg=_weight(raw.get("applied_weight")),
        charged_weight_kg=_weight(raw.get("charged_weight")),
    )


def kind_of(charge: str, description: str, *, credit: bool) -> RowKind:
    text = f"{charge} {description}"
    for kind, pattern in _KINDS:
        if pattern.search(text):
            # A credit that names a charge is that charge given back.
            if credit and kind not in (RowKind.RECHARGE, RowKind.REVERSAL):
                return RowKind.REVERSAL
            return kind
    return RowKind.OTHER


def is_opening_row(raw: Mapping[str, Any]) -> bool:
    """The published statement's "Wallet Balance" row: the balance, no movement."""
    return (
        _text(raw.get("description")).lower() == OPENING_ROW
        and not _text(raw.get("transaction_id"))
        and not _text(raw.get("debit_amount"))
        and not _text(raw.get("credit_amount"))
    )


def _amount(value: Any, field: str) -> Paise:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    try:
        return parse_paise(value)
    except ValueError as err:
        raise ValueError(f"{field} {err}") from None


def _weight(value: Any) -> float | None:
    text = _text(value)
    try:
        weight = float(text) if text else None
    except ValueError:
        return None
    return weight if weight is not None and weight > 0 else None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
