"""The wallet watch (issue 14), on a schedule: page weight discrepancies while they can still be disputed, and a
wallet that will not last the next day, before AWB assignment starts failing.

Each weight discrepancy is paged once (a ledger marker per statement transaction), with the AWB, the declared and
charged weights, the extra amount and the dispute deadline: the row's date plus the dispute window (the shorter
of the windows Shiprocket's help pages give, docs/providers/shiprocket.md §17). A low balance is paged once a day.
The need is the configured minimum, or else the average day's debits of the look-back window. A run that pages a
new discrepancy then hands the window's discrepancies to the advice on items re-weighed again and again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from aws_lambda_powertools import Logger

from shipsync.freight.booking import BookingResult
from shipsync.freight.statement import RowKind, Statement, WalletRow, read_statement
from shipsync.ports import Alerts, MetricsSink
from shipsync.remittance.money import Paise, format_inr

logger = Logger(child=True)

# Debits that are the cost of shipping (what the next day's orders will need again).
SHIPPING_COSTS = frozenset({RowKind.FREIGHT, RowKind.COD_FEE, RowKind.RTO_FREIGHT, RowKind.WEIGHT_ADJUSTMENT})


class WalletApi(Protocol):
    def wallet_statement(self, start: date, end: date) -> list[dict[str, object]]: ...
    def wallet_balance(self) -> Decimal: ...


class OnceMarks(Protocol):
    def mark_once(self, key: str) -> bool:
        """True the first time ``key`` is marked, False ever after."""


@dataclass(frozen=True)
class WatchSettings:
    lookback_days: int = 7
    dispute_window_days: int = 4
    # In paise; 0: a day's average shipping cost over the look-back window.
    min_balance_paise: Paise = 0


@dataclass(frozen=True)
class Discrepancy:
    awb: str
    channel_order_id: str | None
    # The row's Shiprocket order (the statement's ``order_id``), whose ``orders/show`` lists what the parcel holds.
    sr_order_id: int | None
    declared_kg: float
    charged_kg: float
    extra_paise: Paise
    deadline: date

    def describe(self) -> str:
        return (
            f"AWB {self.awb} ({self.channel_order_id or 'order unknown'}): declared {self.declared_kg:g} kg, "
            f"charged {self.charged_kg:g} kg, {format_inr(self.extra_paise)} extra; dispute by {self.deadline}"
        )


def discrepancy_of(row: WalletRow, window_days: int, today: date) -> Discrepancy | None:
    """A weight-adjustment debit with both weights, and more charged than declared. The deadline runs from the
    row's day; a day we cannot read (its format is not published) counts as ``today``."""
    declared, charged = row.applied_weight_kg, row.charged_weight_kg
    if row.kind is not RowKind.WEIGHT_ADJUSTMENT or row.amount_paise <= 0 or declared is None or charged is None:
        return None
    if charged <= declared:
        return None
    return Discrepancy(
        awb=row.awb or row.shipment_key or "?",
        channel_order_id=row.channel_order_id,
        sr_order_id=int(row.sr_order_id) if row.sr_order_id and row.sr_order_id.isdigit() else None,
        declared_kg=declared,
        charged_kg=charged,
        extra_paise=row.amount_paise,
        deadline=(row.day or today) + timedelta(days=window_days),
    )


def daily_need(rows: list[WalletRow], days: int) -> Paise:
    """The average day's shipping cost of ``rows`` (debits less reversals) over ``days`` days."""
    spent = sum(row.amount_paise for row in rows if row.kind in SHIPPING_COSTS or row.kind is RowKind.REVERSAL)
    return max(spent // max(days, 1), 0)


class WalletWatch:
    def __init__(
        self,
        shiprocket: WalletApi,
        marks: OnceMarks,
        alerts: Alerts,
        metrics: MetricsSink,
        settings: WatchSettings,
        today: Callable[[], date],
        book: Callable[[list[WalletRow], date], BookingResult] | None = None,
        advise: Callable[[list[Discrepancy]], int] | None = None,
    ) -> None:
        """``book``: the statement's debits and reversals into Zoho Books (``freight.booking``); None while the
        Books accounts are not configured. It runs last: a Zoho outage must not keep the pages from going out.
        ``advise``: given every discrepancy of the look-back window (paged before or not), tells ops which items
        keep causing them and returns how many it paged (``freight.item_weights``). Only a run that pages a new
        discrepancy asks: the answer can change only then, and an hour without one costs no call. It runs after
        the discrepancy page (which has a deadline) and before the booking."""
        self._book = book
        self._advise = advise
        self._shiprocket = shiprocket
        self._marks = marks
        self._alerts = alerts
        self._metrics = metrics
        self._settings = settings
        self._today = today

    def run(self) -> dict[str, object]:
        today = self._today()
        start = today - timedelta(days=self._settings.lookback_days)
        statement = read_statement(self._shiprocket.wallet_statement(start, today))
        need = self._settings.min_balance_paise or daily_need(statement.rows, self._settings.lookback_days)
        balance = int((self._shiprocket.wallet_balance() * 100).to_integral_value())
        low = balance < need
        if low and self._marks.mark_once(f"WALLETLOW#{today.isoformat()}"):
            self._metrics.count("WalletLow")
            self._alerts.page(
                f"Shiprocket wallet at {format_inr(balance)}, below a day's need of {format_inr(need)}",
                f"The wallet holds {format_inr(balance)}; the next day's orders need about {format_inr(need)} "
                f"(the average day's shipping cost of the last {self._settings.lookback_days} days, or the "
                "configured WalletMinBalance). Recharge it before AWB assignment starts failing (code 350).",
                kind="WalletLow",
            )
        # Before the booking: a Zoho outage must not hold back the page.
        summary = self.take(statement, today)
        summary.update({"balance_paise": balance, "need_paise": need, "low": low})
        logger.info("wallet watch", extra=summary)
        return summary

    def take(self, statement: Statement, today: date) -> dict[str, object]:
        """Statement rows from any source (the API's window, the panel's CSV): discrepancies paged, refusals
        counted and logged, the items re-weighed again and again advised on, then the rows booked. Each step is
        once per transaction id, so rows seen before cost no page, no advice and no booking."""
        window = [
            (row, discrepancy)
            for row in statement.rows
            if (discrepancy := discrepancy_of(row, self._settings.dispute_window_days, today)) is not None
        ]
        fresh = [found for row, found in window if self._marks.mark_once(f"WEIGHTDISPUTE#{row.transaction_id}")]
        self._page_discrepancies(fresh)
        if statement.refused:
            self._metrics.count("StatementRowsRefused", len(statement.refused))
            logger.warning(
                "statement rows refused",
                extra={"refused": [f"{row.name}: {row.reason}" for row in statement.refused]},
            )
        advised = self._advise([found for _, found in window]) if self._advise is not None and fresh else 0
        booking = self._book_rows(statement.rows, today) if self._book is not None else None
        return {
            "rows": len(statement.rows),
            "refused": len(statement.refused),
            "discrepancies_paged": len(fresh),
            "item_weights_paged": None if self._advise is None else advised,
            "booked": None if booking is None else len(booking.booked),
            "already_booked": None if booking is None else booking.already,
            "unmatched": None if booking is None else len(booking.unmatched),
            "deferred": None if booking is None else booking.deferred,
            "busy": None if booking is None else booking.busy,
            "budget_reached": None if booking is None else booking.budget_reached,
        }

    def _book_rows(self, rows: list[WalletRow], today: date) -> BookingResult:
        assert self._book is not None
        result = self._book(rows, today)
        if result.booked:
            self._metrics.count("FreightBooked", len(result.booked))
        if result.budget_reached:
            self._metrics.count("FreightBookingDeferred", result.deferred)
        fresh = [row for row in result.unmatched if self._marks.mark_once(f"WALLETUNMATCHED#{row.transaction_id}")]
        if fresh:
            self._metrics.count("FreightUnmatched", len(fresh))
            self._alerts.page(
                f"{len(fresh)} Shiprocket wallet debit(s) match no shipment shipsync knows",
                "Not booked in Zoho Books (nothing is guessed); book them by hand or tell us which order they are:\n"
                + "\n".join(
                    f"transaction {row.transaction_id}: {row.kind.value} {format_inr(row.amount_paise)}, "
                    f"AWB {row.awb or '-'}, order {row.channel_order_id or row.sr_order_id or '-'}, {row.created_at}"
                    for row in fresh
                ),
                kind="FreightUnmatched",
            )
        return result

    def _page_discrepancies(self, fresh: list[Discrepancy]) -> None:
        if not fresh:
            return
        self._metrics.count("WeightDiscrepancy", len(fresh))
        self._alerts.page(
            f"{len(fresh)} weight discrepancy(ies) to dispute, first deadline {min(d.deadline for d in fresh)}",
            "Couriers charged more weight than declared. Dispute in the Shiprocket panel (Billing > Weight "
            "Discrepancy) before each deadline, or it is accepted:\n" + "\n".join(d.describe() for d in fresh),
            kind="WeightDiscrepancy",
            correlation_id=fresh[0].awb,
        )
