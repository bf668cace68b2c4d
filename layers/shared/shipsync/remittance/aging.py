"""Remittance aging: delivered COD orders still unremitted after a number of days, and the ops alert."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from shipsync.domain.india import IST

__all__ = ["AgingEntry", "aging", "describe_aging"]


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
