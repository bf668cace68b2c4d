"""Money: integer paise everywhere inside (``Paise``), rupees only at the edges.

Amounts are parsed with ``Decimal`` from JSON numbers or text ("1,499.50", "₹1499.5", 1499.5, "1499");
floats are read through their shortest ``repr`` so ``1499.1`` is exactly 149910 paise. Negative amounts
and sub-paisa precision are rejected, never rounded: a remittance that does not add up to the paisa must
page ops, not be smoothed over.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Final

__all__ = ["Paise", "format_inr", "parse_deduction", "parse_paise", "rupees"]

Paise = int

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


def parse_deduction(value: Any) -> Paise:
    """Integrators send null or "" for "no deductions"; both mean zero."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    return parse_paise(value)


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
