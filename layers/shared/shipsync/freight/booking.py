"""Booking the wallet statement in Zoho Books (issue 14): each shipping debit one expense, paid from the account
that stands for the Shiprocket wallet, and each reversal (freight given back for a cancelled or reassigned AWB) one
journal that reverses it (the wallet debited, the freight account credited), exactly once per statement
transaction.

Exactly once without a Zoho look-up per row: the ledger claims each transaction (``WALLET#<id>``) before the
write and marks it booked after. Only a claim left in flight by an earlier attempt (stopped between the two) asks
Zoho first, by the expense's reference (``SRW-<transaction id>``); an answer we cannot read raises, never "not
there". A claim younger than any function's timeout is another attempt's, perhaps writing now (the upload and the
schedule at once): the row waits for the next run. A row whose shipment the ledger does not know is not booked: it
is listed for ops. A recharge is money the seller moved, not a shipment's: it is not booked (nor is a row of an
unknown kind), docs/providers/zoho.md §16.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from aws_lambda_powertools import Logger

from shipsync.freight.statement import RowKind, WalletRow
from shipsync.ledger.records import WalletClaim
from shipsync.ports import ZohoFreightApi
from shipsync.remittance.money import rupees

logger = Logger(child=True)

# Zoho's limit on an expense's reference and description (docs/providers/zoho.md §16).
ZOHO_TEXT_MAX = 100
REFERENCE_PREFIX = "SRW-"
# Entries one run creates at most: ~40 Zoho writes fit a minute of Zoho's pace and the function's time.
DEFAULT_MAX_WRITES = 40
EXPENSE_KINDS = frozenset({RowKind.FREIGHT, RowKind.COD_FEE, RowKind.RTO_FREIGHT, RowKind.WEIGHT_ADJUSTMENT})
BOOKED_KINDS = EXPENSE_KINDS | {RowKind.REVERSAL}
_LABELS = {
    RowKind.REVERSAL: "Shiprocket freight reversal",
    RowKind.FREIGHT: "Shiprocket freight",
    RowKind.COD_FEE: "Shiprocket COD fee",
    RowKind.RTO_FREIGHT: "Shiprocket RTO freight",
    RowKind.WEIGHT_ADJUSTMENT: "Shiprocket weight adjustment",
}


class ShipmentOf(Protocol):
    def __call__(self, row: WalletRow) -> str | None:
        """The sales order number of the row's shipment, or None when the ledger does not know it."""


class WalletBookings(Protocol):
    def claim_wallet_row(self, transaction_id: str) -> WalletClaim: ...
    def mark_wallet_row_booked(self, transaction_id: str, entry_id: str) -> None: ...


@dataclass(frozen=True)
class BookingAccounts:
    """Books account ids: the expense accounts, and the account the wallet's money is paid through."""

    freight: str
    wallet: str
    rto: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.freight and self.wallet)

    def for_kind(self, kind: RowKind) -> str:
        return (self.rto or self.freight) if kind is RowKind.RTO_FREIGHT else self.freight


@dataclass
class BookingResult:
    # Expense and journal ids written by this run.
    booked: list[str] = field(default_factory=list)
    already: int = 0
    unmatched: list[WalletRow] = field(default_factory=list)
    # Recharges and rows of an unknown kind: nothing to book.
    not_expenses: list[WalletRow] = field(default_factory=list)
    # Left for the next run: this run wrote its share.
    deferred: int = 0
    # Left for a later run: another attempt claimed them moments ago (WALLET_CLAIM_SETTLE_S).
    busy: int = 0
    # The day's Zoho calls fell to the reserve: the deferred rows wait for a later run (after Zoho's reset).
    budget_reached: bool = False


def reference_of(row: WalletRow) -> str:
    return f"{REFERENCE_PREFIX}{row.transaction_id}"


def description_of(row: WalletRow, salesorder_number: str) -> str:
    text = f"{_LABELS[row.kind]}, {salesorder_number}, AWB {row.awb or '-'}"
    return text[:ZOHO_TEXT_MAX]


class FreightBooker:
    def __init__(
        self,
        zoho: ZohoFreightApi,
        bookings: WalletBookings,
        shipment_of: ShipmentOf,
        accounts: BookingAccounts,
        today: date,
        *,
        max_writes: int = DEFAULT_MAX_WRITES,
        calls_left: Callable[[], int | None] = lambda: None,
        reserve: int = 0,
    ) -> None:
        """``max_writes``: entries (expenses and journals) created in one run at most (the rest wait for the next
        run, which reads the same statement window), so a busy day's rows fit the function's time at Zoho's
        per-minute pace. ``calls_left``: what is left of Zoho's daily cap (None: not known yet); with ``reserve``
        or fewer left, the booking stops and leaves the rest for a later run: the seller's books can wait a day,
        a confirmation, a payment or a restock cannot (docs/providers/zoho.md §4)."""
        self._calls_left = calls_left
        self._reserve = reserve
        self._max_writes = max_writes
        self._zoho = zoho
        self._bookings = bookings
        self._shipment_of = shipment_of
        self._accounts = accounts
        self._today = today

    def book(self, rows: list[WalletRow]) -> BookingResult:
        result = BookingResult()
        for row in rows:
            if row.kind not in BOOKED_KINDS or (row.amount_paise < 0) != (row.kind is RowKind.REVERSAL):
                result.not_expenses.append(row)
                continue
            number = self._shipment_of(row)
            if number is None:
                result.unmatched.append(row)
                continue
            if len(result.booked) >= self._max_writes or self._budget_spent(result):
                result.deferred += 1
                continue
            claim = self._bookings.claim_wallet_row(row.transaction_id)
            if claim == "booked":
                result.already += 1
                continue
            if claim == "busy":
                # Another attempt claimed it moments ago and may be writing it: asking Zoho now could find nothing
                # yet and write it twice. A later run finds it booked, or left in flight and safe to look up.
                result.busy += 1
                continue
            found = self._find(row) if claim == "in_flight" else []
            entry_id = found[0] if found else self._create(row, number)
            self._bookings.mark_wallet_row_booked(row.transaction_id, entry_id)
            if found:
                result.already += 1
            else:
                result.booked.append(entry_id)
        return result

    def _budget_spent(self, result: BookingResult) -> bool:
        left = self._calls_left()
        if left is None or left > self._reserve:
            return False
        if not result.budget_reached:
            result.budget_reached = True
            logger.warning("zoho daily budget at its reserve: booking waits", extra={"left": left})
        return True

    def _find(self, row: WalletRow) -> list[str]:
        if row.kind is RowKind.REVERSAL:
            return self._zoho.find_journals_by_reference(reference_of(row))
        return self._zoho.find_expenses_by_reference(reference_of(row))

    def _create(self, row: WalletRow, salesorder_number: str) -> str:
        day = (row.day or self._today).isoformat()
        if row.kind is RowKind.REVERSAL:
            entry_id = self._zoho.create_journal(
                date=day,
                reference_number=reference_of(row),
                notes=description_of(row, salesorder_number),
                debit_account_id=self._accounts.wallet,
                credit_account_id=self._accounts.freight,
                amount=rupees(-row.amount_paise),
            )
        else:
            entry_id = self._zoho.create_expense(
                account_id=self._accounts.for_kind(row.kind),
                paid_through_account_id=self._accounts.wallet,
                amount=rupees(row.amount_paise),
                date=day,
                reference_number=reference_of(row),
                description=description_of(row, salesorder_number),
            )
        logger.info(
            "wallet row booked",
            extra={"transaction_id": row.transaction_id, "awb": row.awb, "kind": row.kind.value},
        )
        return entry_id
