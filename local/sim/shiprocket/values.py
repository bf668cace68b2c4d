"""India Standard Time, reading request values and writing Shiprocket's date formats: shared by every concern."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

IST = timezone(timedelta(hours=5, minutes=30), "Asia/Kolkata")


def _field_name(key: str) -> str:
    return key.replace("_", " ")


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None


def _flag(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() in {"1", "true", "yes"}


def _amount(value: Any) -> float | int:
    """A number as the request gave it (a numeric string as a float; 0 when it is none)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return _number(value) or 0.0


def _laravel_datetime(moment: datetime) -> dict[str, Any]:
    return {"date": moment.strftime("%Y-%m-%d %H:%M:%S.000000"), "timezone_type": 3, "timezone": "Asia/Kolkata"}


def _sr_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date_bounds(query: Mapping[str, str]) -> tuple[dict[str, date | None], dict[str, list[str]]]:
    """A list's ``from`` / ``to`` (``YYYY-MM-DD``, each optional) and, for a malformed one, its refusal text."""
    bounds: dict[str, date | None] = {}
    problems: dict[str, list[str]] = {}
    for key in ("from", "to"):
        raw = query.get(key, "").strip()
        try:
            bounds[key] = date.fromisoformat(raw) if raw and _DATE.fullmatch(raw) else None
        except ValueError:
            bounds[key] = None
        if raw and bounds[key] is None:
            # GUESS: the refusal of a bad date is not published; a Laravel validation answer, as elsewhere.
            problems[key] = [f"The {key} does not match the format Y-m-d."]
    return bounds, problems
