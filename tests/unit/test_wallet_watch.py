"""The wallet watch (freight.watch): each weight discrepancy paged once with its deadline, a low wallet paged once
a day, the need taken from the statement when none is configured."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from shipsync.freight.statement import read_row
from shipsync.freight.watch import Discrepancy, WalletWatch, WatchSettings, daily_need, discrepancy_of
from tests.unit.memory_ledger import MemoryLedger
from tests.unit.test_wallet_statement import row

TODAY = date(2025, 6, 14)


def freight(number: int, amount: str, **fields: Any) -> dict[str, Any]:
    return row(transaction_id=str(7_100_000 + number), debit_amount=amount, **fields)


def reweighed(number: int, **fields: Any) -> dict[str, Any]:
    weighed = {
        "charge": "Weight Discrepancy Charges",
        "applied_weight": "0.50",
        "charged_weight": "2.00",
        "created_at": "2025-06-12 18:40:00",
    }
    return freight(number, "62.00", **(weighed | fields))


class FakeWallet:
    def __init__(self, rows: list[dict[str, Any]], balance: str) -> None:
        self.rows, self.balance, self.asked = rows, Decimal(balance), []

    def wallet_statement(self, start: date, end: date) -> list[dict[str, Any]]:
        self.asked.append((start, end))
        return self.rows

    def wallet_balance(self) -> Decimal:
        return self.balance


class Pages:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def page(self, subject: str, message: str, *, kind: str, correlation_id: str | None = None) -> None:
        self.sent.append((kind, subject, message))


class Counts:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def count(self, name: str, value: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + value


def watch(wallet: FakeWallet, ledger: MemoryLedger, **settings: Any) -> tuple[WalletWatch, Pages, Counts]:
    pages, counts = Pages(), Counts()
    return WalletWatch(wallet, ledger, pages, counts, WatchSettings(**settings), lambda: TODAY), pages, counts


def test_a_discrepancy_is_paged_once_with_its_weights_extra_and_deadline() -> None:
    ledger = MemoryLedger()
    wallet = FakeWallet([freight(1, "85.00"), reweighed(2)], "5000.00")
    job, pages, counts = watch(wallet, ledger)

    first = job.run()
    again = job.run()

    assert wallet.asked == [(date(2025, 6, 7), TODAY)] * 2
    assert (first["discrepancies_paged"], again["discrepancies_paged"]) == (1, 0)
    assert first["item_weights_paged"] is None  # no advisor configured
    [(kind, subject, message)] = pages.sent
    assert (kind, subject) == ("WeightDiscrepancy", "1 weight discrepancy(ies) to dispute, first deadline 2025-06-16")
    assert (
        "AWB 19041234567890 (SO-00042): declared 0.5 kg, charged 2 kg, ₹62.00 extra; dispute by 2025-06-16" in message
    )
    assert counts.counts == {"WeightDiscrepancy": 1}


def test_only_a_reweighed_debit_with_more_weight_charged_is_a_discrepancy() -> None:
    found = discrepancy_of(read_row(reweighed(1)), 7, TODAY)
    assert found is not None
    assert (found.deadline, found.sr_order_id) == (date(2025, 6, 19), 612345678)
    assert discrepancy_of(read_row(reweighed(1, order_id="")), 4, TODAY).sr_order_id is None  # type: ignore[union-attr]
    assert discrepancy_of(read_row(reweighed(1, charged_weight="0.50")), 4, TODAY) is None
    assert discrepancy_of(read_row(freight(1, "85.00")), 4, TODAY) is None
    unreadable_day = discrepancy_of(read_row(reweighed(1, created_at="12 Jun 2025")), 4, TODAY)
    assert unreadable_day is not None
    assert unreadable_day.deadline == date(2025, 6, 18)


def test_the_need_is_the_average_days_shipping_cost_less_reversals() -> None:
    rows = [
        read_row(freight(1, "700.00")),
        read_row(freight(2, "70.00", charge="COD Charges")),
        read_row(freight(3, "", credit_amount="70.00", charge="Freight Reversal")),
        read_row(freight(4, "", credit_amount="10000.00", charge="", description="Wallet recharge")),
    ]

    assert daily_need(rows, 7) == 10000  # (700 + 70 - 70) / 7 days = ₹100.00


@pytest.mark.parametrize(
    ("balance", "configured", "paged"),
    [("99.99", 0, True), ("100.00", 0, False), ("-25.00", 0, True), ("400.00", 50000, True)],
)
def test_a_wallet_below_the_need_is_paged_once_a_day(balance: str, configured: int, paged: bool) -> None:
    ledger = MemoryLedger()
    job, pages, counts = watch(FakeWallet([freight(1, "700.00")], balance), ledger, min_balance_paise=configured)

    job.run()
    job.run()

    assert [kind for kind, _, _ in pages.sent] == (["WalletLow"] if paged else [])
    assert counts.counts.get("WalletLow", 0) == int(paged)
    if paged:
        assert "below a day's need of ₹" in pages.sent[0][1]


def test_unusable_rows_are_counted_not_booked() -> None:
    job, _, counts = watch(FakeWallet([freight(1, "85.555"), reweighed(2)], "5000.00"), MemoryLedger())

    summary = job.run()

    assert (summary["rows"], summary["refused"]) == (1, 1)
    assert counts.counts == {"WeightDiscrepancy": 1, "StatementRowsRefused": 1}


def test_debits_of_unknown_shipments_are_paged_once_and_booked_ones_counted() -> None:
    from shipsync.freight.booking import BookingResult

    def book(rows: list[Any], today: date) -> BookingResult:
        known = [r for r in rows if r.awb == "19041234567890"]
        return BookingResult(
            booked=[f"EXP-{r.transaction_id}" for r in known], unmatched=[r for r in rows if r not in known]
        )

    ledger, pages, counts = MemoryLedger(), Pages(), Counts()
    wallet = FakeWallet([freight(1, "85.00"), freight(2, "90.00", awb_code="19049999999999")], "5000.00")
    job = WalletWatch(wallet, ledger, pages, counts, WatchSettings(), lambda: TODAY, book=book)

    first = job.run()
    job.run()

    assert (first["booked"], first["unmatched"]) == (1, 1)
    [(kind, subject, message)] = pages.sent
    assert (kind, subject) == ("FreightUnmatched", "1 Shiprocket wallet debit(s) match no shipment shipsync knows")
    assert "transaction 7100002: freight ₹90.00, AWB 19049999999999, order SO-00042" in message
    assert counts.counts == {"FreightBooked": 2, "FreightUnmatched": 1}


def test_a_booking_that_fails_does_not_hold_back_the_pages() -> None:
    from shipsync.errors import TransientError

    def book(rows: list[Any], today: date) -> Any:
        raise TransientError("zoho: HTTP 503")

    ledger, pages, counts = MemoryLedger(), Pages(), Counts()
    job = WalletWatch(
        FakeWallet([reweighed(1)], "1.00"), ledger, pages, counts, WatchSettings(), lambda: TODAY, book=book
    )

    with pytest.raises(TransientError):
        job.run()
    assert sorted(kind for kind, _, _ in pages.sent) == ["WalletLow", "WeightDiscrepancy"]


def test_the_advice_gets_the_whole_window_only_when_a_discrepancy_is_new_after_its_page() -> None:
    ledger, pages, counts = MemoryLedger(), Pages(), Counts()
    wallet = FakeWallet([reweighed(1), freight(2, "85.00")], "5000.00")
    asked: list[tuple[list[str], int]] = []

    def advise(discrepancies: list[Discrepancy]) -> int:
        asked.append(([d.awb for d in discrepancies], len(pages.sent)))
        return 1

    job = WalletWatch(wallet, ledger, pages, counts, WatchSettings(), lambda: TODAY, advise=advise)

    first = job.run()
    quiet = job.run()
    wallet.rows.append(reweighed(3, awb_code="19049999999999"))
    third = job.run()

    # After the discrepancy page went out; an hour with nothing new costs the advice nothing.
    assert asked == [(["19041234567890"], 1), (["19041234567890", "19049999999999"], 2)]
    assert [summary["item_weights_paged"] for summary in (first, quiet, third)] == [1, 0, 1]


def test_an_advice_that_fails_does_not_hold_back_the_discrepancy_page() -> None:
    from shipsync.errors import TransientError

    def advise(discrepancies: list[Discrepancy]) -> int:
        raise TransientError("shiprocket: HTTP 503")

    ledger, pages, counts = MemoryLedger(), Pages(), Counts()
    job = WalletWatch(
        FakeWallet([reweighed(1)], "5000.00"), ledger, pages, counts, WatchSettings(), lambda: TODAY, advise=advise
    )

    with pytest.raises(TransientError):
        job.run()
    assert [kind for kind, _, _ in pages.sent] == ["WeightDiscrepancy"]
