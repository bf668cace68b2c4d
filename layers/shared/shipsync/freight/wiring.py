"""The margin report's reading: the wallet statement of a period from Shiprocket, each row's shipment from the
ledger (``freight.shipments``). Read-only: it writes nothing anywhere."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from shipsync import wiring

if TYPE_CHECKING:
    from shipsync.freight.margin import MarginReport
    from shipsync.freight.statement import RefusedRow

# A report reads the statement page by page (100 rows a call); a quarter is the most one run reads.
MAX_REPORT_DAYS = 92
DEFAULT_REPORT_DAYS = 7


def report_period(days: str | None, today: date) -> tuple[date, date]:
    """The last ``days`` days, today included; ValueError when ``days`` is not a whole number of 1 to 92."""
    text = (days or str(DEFAULT_REPORT_DAYS)).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_REPORT_DAYS:
        raise ValueError(f"days must be a whole number from 1 to {MAX_REPORT_DAYS}")
    return today - timedelta(days=int(text) - 1), today


def margin_document(start: date, end: date) -> dict[str, Any]:
    """The report as the admin route and ``shipsync margin --json`` give it (amounts in paise)."""
    report, refused = margin(start, end)
    return report.as_dict() | {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "refused": [{"row": row.name, "reason": row.reason} for row in refused],
    }


def margin(start: date, end: date) -> tuple[MarginReport, list[RefusedRow]]:
    """The report of the statement's rows from ``start`` to ``end`` (inclusive), and the rows it could not read."""
    from shipsync.freight.margin import margin_report
    from shipsync.freight.shipments import LedgerShipments
    from shipsync.freight.statement import read_statement

    if end < start or (end - start).days >= MAX_REPORT_DAYS:
        raise ValueError(f"a margin report covers 1 to {MAX_REPORT_DAYS} days, from its start to its end")
    statement = read_statement(wiring.shiprocket_client().wallet_statement(start, end))
    return margin_report(statement.rows, LedgerShipments(wiring.ledger())), statement.refused
