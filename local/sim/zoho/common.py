"""The error envelope and the value checks every Zoho concern shares: quantities, money, dates, lines."""

from __future__ import annotations

import math
import re
from typing import Any

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ZohoError(Exception):
    """An error answer in Zoho's envelope."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _invalid(param: str) -> ZohoError:
    return ZohoError(400, 2, f"Invalid value passed for {param}")


def _not_found(entity: str) -> ZohoError:
    # 1002 is documented for "Invoice does not exist."; assumed to be the generic code for
    # every entity (no other not-found code is known), answered with 404: GUESS (docs/providers/zoho.md §3).
    return ZohoError(404, 1002, f"{entity} does not exist.")


def _already_exists(what: str) -> ZohoError:
    # 1001 is Zoho's "already exists" code for duplicate document numbers (UNCERTAIN for
    # packages and shipment orders; GUESS in docs/providers/zoho.md §3).
    return ZohoError(400, 1001, f"{what} already exists.")


def _num(value: Any, param: str) -> int | float:
    """A positive quantity as JSON would show it (2, not 2.0)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _invalid(param) from None
    if number <= 0:
        raise _invalid(param)
    return int(number) if number.is_integer() else number


def _as_number(value: Any) -> int | float:
    number = float(value or 0)
    return int(number) if number.is_integer() else number


def _line_amount(line: dict[str, Any]) -> float:
    """rate x quantity less the line's discount, which Zoho takes as an amount or as "10%"."""
    gross = float(line.get("rate", 0)) * float(line.get("quantity", 0))
    discount = line.get("discount") or 0
    if isinstance(discount, str) and discount.strip().endswith("%"):
        discount = round(gross * float(discount.strip()[:-1]) / 100, 2)
    return round(gross - float(discount), 2)


def _totals(lines: list[dict[str, Any]]) -> tuple[float, float]:
    """(sub total, tax total) of document lines, tax from each line's ``tax_percentage``."""
    sub_total = round(sum(float(line.get("item_total", 0)) for line in lines), 2)
    tax_total = round(
        sum(float(line.get("item_total", 0)) * float(line.get("tax_percentage") or 0) / 100 for line in lines), 2
    )
    return sub_total, tax_total


def _upsert(refs: list[dict[str, Any]], key: str, ref: dict[str, Any]) -> None:
    """Replace the entry with ref's id in place (keeping the list's order), or append it."""
    for index, existing in enumerate(refs):
        if existing.get(key) == ref[key]:
            refs[index] = ref
            return
    refs.append(ref)


def _custom_field_entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    """A body's ``custom_fields``: a list of objects, or none."""
    entries = body.get("custom_fields") or []
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise _invalid("custom_fields")
    return entries


def _body_date(body: dict[str, Any]) -> str:
    date = str(body.get("date", ""))
    if not _DATE.match(date):
        raise _invalid("date")
    return date


def _line_entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    lines = body.get("line_items")
    if not isinstance(lines, list) or not lines or not all(isinstance(line, dict) for line in lines):
        raise _invalid("line_items")
    return lines


def _money(value: Any, param: str, *, positive: bool) -> float:
    try:
        amount = round(float(value), 2)
    except (TypeError, ValueError):
        raise _invalid(param) from None
    if not math.isfinite(amount) or not (amount > 0 if positive else amount >= 0):
        raise _invalid(param)
    return amount


def _cents(value: Any) -> int:
    # Money is compared in whole paise so that 1341.76 - 1341.76 is exactly zero.
    return round(float(value) * 100)
