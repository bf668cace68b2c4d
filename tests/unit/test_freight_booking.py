"""Booking the wallet statement's shipping debits in Zoho Books (freight.booking): one expense per transaction,
exactly once, on the right account, and nothing guessed for a row whose shipment is unknown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from shipsync.errors import ProviderRequestError
from shipsync.freight.booking import BookingAccounts, FreightBooker
from shipsync.freight.statement import WalletRow, read_row
from tests.unit.memory_ledger import MemoryLedger
from tests.unit.test_wallet_statement import row

ACCOUNTS = BookingAccounts(freight="520", wallet="530", rto="540")
TODAY = date(2025, 6, 14)


class FakeBooks:
    def __init__(self, existing: dict[str, list[str]] | None = None, *, unreadable: bool = False) -> None:
        self.existing = existing or {}
        self.unreadable = unreadable
        self.created: list[dict[str, Any]] = []
        self.looked_up: list[str] = []

    def find_expenses_by_reference(self, reference_number: str) -> list[str]:
        self.looked_up.append(reference_number)
        if self.unreadable:
            raise ProviderRequestError("zoho", "list answer has none of ['expenses']")
        return self.existing.get(reference_number, [])

    def create_expense(self, **fields: Any) -> str:
        self.created.append(fields)
        return f"EXP-{len(self.created)}"

    def find_journals_by_reference(self, reference_number: str) -> list[str]:
        self.looked_up.append(f"journal {reference_number}")
        return self.existing.get(reference_number, [])

    def create_journal(self, **fields: Any) -> str:
        self.created.append({"journal": True, **fields})
        return f"JNL-{len(self.created)}"


def shipment_of(known: dict[str, str]) -> Any:
    return lambda wallet_row: known.get(wallet_row.awb or "")


def booker(books: FakeBooks, ledger: MemoryLedger, known: dict[str, str] | None = None) -> FreightBooker:
    return FreightBooker(books, ledger, shipment_of(known or {"19041234567890": "SO-00042"}), ACCOUNTS, TODAY)


def stopped_after_its_claim(ledger: MemoryLedger, transaction_id: str) -> None:
    """An earlier attempt claimed the row and stopped, longer ago than any attempt runs."""
    ledger.claim_wallet_row(transaction_id)
    ledger.wallet_rows[transaction_id]["claimed_at"] -= 3600


def rows(*raw: dict[str, Any]) -> list[WalletRow]:
    return [read_row(entry) for entry in raw]


def test_each_shipping_debit_is_one_expense_on_its_account_paid_from_the_wallet() -> None:
    books, ledger = FakeBooks(), MemoryLedger()
    statement = rows(
        row(),
        row(transaction_id="7100002", charge="COD Charges", debit_amount="35.40"),
        row(transaction_id="7100003", charge="RTO Freight Charges", debit_amount="68.40"),
    )

    result = booker(books, ledger).book(statement)

    assert result.booked == ["EXP-1", "EXP-2", "EXP-3"]
    assert books.created[0] == {
        "account_id": "520",
        "paid_through_account_id": "530",
        "amount": Decimal("85.50"),
        "date": "2025-06-11",
        "reference_number": "SRW-7100001",
        "description": "Shiprocket freight, SO-00042, AWB 19041234567890",
    }
    assert [(c["account_id"], c["amount"]) for c in books.created[1:]] == [
        ("520", Decimal("35.40")),
        ("540", Decimal("68.40")),
    ]
    # Nothing was looked up: the ledger's claims say these are new.
    assert books.looked_up == []
    assert ledger.wallet_rows["7100003"] == {"state": "booked", "entry_id": "EXP-3"}


def test_a_row_booked_before_is_not_booked_again_and_costs_no_zoho_call() -> None:
    books, ledger = FakeBooks(), MemoryLedger()
    booker(books, ledger).book(rows(row()))

    again = booker(books, ledger).book(rows(row()))

    assert (again.booked, again.already, len(books.created), books.looked_up) == ([], 1, 1, [])


@pytest.mark.parametrize(("in_zoho", "created"), [(["EXP-9"], 0), ([], 1)])
def test_a_claim_left_in_flight_asks_zoho_by_reference_before_writing(in_zoho: list[str], created: int) -> None:
    books, ledger = FakeBooks({"SRW-7100001": in_zoho}), MemoryLedger()
    stopped_after_its_claim(ledger, "7100001")

    result = booker(books, ledger).book(rows(row()))

    assert books.looked_up == ["SRW-7100001"]
    assert len(books.created) == created
    assert ledger.wallet_rows["7100001"]["state"] == "booked"
    assert (result.already, len(result.booked)) == (1 - created, created)


def test_an_unreadable_look_up_raises_and_books_nothing() -> None:
    books, ledger = FakeBooks(unreadable=True), MemoryLedger()
    stopped_after_its_claim(ledger, "7100001")

    with pytest.raises(ProviderRequestError):
        booker(books, ledger).book(rows(row()))
    assert (books.created, ledger.wallet_rows["7100001"]["state"]) == ([], "in_flight")


def test_a_reversal_is_a_journal_back_from_the_freight_account_to_the_wallet() -> None:
    books, ledger = FakeBooks(), MemoryLedger()
    reversal = row(transaction_id="7100002", debit_amount="", credit_amount="120.90", charge="Freight Reversal")

    result = booker(books, ledger).book(rows(reversal))
    stopped_after_its_claim(ledger, "7100009")
    booker(books, ledger).book(rows({**reversal, "transaction_id": "7100009"}))

    assert result.booked == ["JNL-1"]
    assert books.created[0] == {
        "journal": True,
        "date": "2025-06-11",
        "reference_number": "SRW-7100002",
        "notes": "Shiprocket freight reversal, SO-00042, AWB 19041234567890",
        "debit_account_id": "530",
        "credit_account_id": "520",
        "amount": Decimal("120.90"),
    }
    # A reversal's claim left in flight is looked for among journals, not expenses.
    assert books.looked_up == ["journal SRW-7100009"]


def test_unknown_shipments_recharges_and_unknown_kinds_are_left_for_ops_not_guessed() -> None:
    books, ledger = FakeBooks(), MemoryLedger()
    statement = rows(
        row(awb_code="19049999999999"),
        row(transaction_id="7100003", debit_amount="", credit_amount="5000.00", charge="", description="Recharge"),
        row(transaction_id="7100004", charge="Insurance", description="Secure shipment premium"),
    )

    result = booker(books, ledger).book(statement)

    assert books.created == []
    assert [r.transaction_id for r in result.unmatched] == ["7100001"]
    assert [r.transaction_id for r in result.not_expenses] == ["7100003", "7100004"]
    assert ledger.wallet_rows == {}


def test_a_run_writes_at_most_its_share_and_the_next_run_books_the_rest() -> None:
    books, ledger = FakeBooks(), MemoryLedger()
    statement = rows(*(row(transaction_id=str(7_100_000 + n)) for n in range(5)))

    def limited() -> FreightBooker:
        return FreightBooker(books, ledger, shipment_of({"19041234567890": "SO-00042"}), ACCOUNTS, TODAY, max_writes=3)

    first = limited().book(statement)
    second = limited().book(statement)

    assert (len(first.booked), first.deferred) == (3, 2)
    assert (len(second.booked), second.already, second.deferred) == (2, 3, 0)
    assert len(books.created) == 5


def test_booking_is_off_until_both_accounts_are_set() -> None:
    assert not BookingAccounts(freight="520", wallet="").enabled
    assert BookingAccounts(freight="520", wallet="530").for_kind(read_row(row()).kind) == "520"


def test_a_row_another_attempt_claimed_moments_ago_waits_for_the_next_run() -> None:
    """The upload and the schedule at once: the second must not ask Zoho before the first has written."""
    books, ledger = FakeBooks(), MemoryLedger()
    ledger.claim_wallet_row("7100001")

    result = booker(books, ledger).book(rows(row()))

    assert (result.busy, result.deferred, result.booked, books.looked_up, books.created) == (1, 0, [], [], [])
    assert ledger.wallet_rows["7100001"]["state"] == "in_flight"


def test_the_booking_stops_at_zoho_s_daily_reserve_and_leaves_the_rest_for_a_later_run() -> None:
    books, ledger = FakeBooks(), MemoryLedger()
    left = iter([None, 302, 301, 300, 299])
    debits = rows(*(row(transaction_id=f"71000{n:02d}") for n in range(1, 6)))
    job = FreightBooker(
        books,
        ledger,
        shipment_of({"19041234567890": "SO-00042"}),
        ACCOUNTS,
        TODAY,
        calls_left=lambda: next(left),
        reserve=300,
    )

    result = job.book(debits)

    # Unknown (no answer yet), then 302 and 301 left: three written; at 300 the reserve is reached.
    assert (len(result.booked), result.deferred, result.budget_reached) == (3, 2, True)
    assert [entry["reference_number"] for entry in books.created] == ["SRW-7100001", "SRW-7100002", "SRW-7100003"]
    # What waits is unclaimed: the next run writes it as new, with no look-up.
    assert set(ledger.wallet_rows) == {"7100001", "7100002", "7100003"}
