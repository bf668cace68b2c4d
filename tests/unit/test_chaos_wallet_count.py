"""The chaos day's count of duplicates (local.sample_day.chaos) includes the wallet: a statement row booked twice in
Zoho Books, which a lost answer during the storm could cause."""

from __future__ import annotations

from local.sample_data import load
from local.sample_day.chaos import _duplicates


def test_a_wallet_row_booked_twice_is_a_duplicate() -> None:
    day = load().only(set())
    zoho = {
        "packages": [],
        "shipmentorders": [],
        "salesreturns": [],
        "salesreturnreceives": [],
        "creditnotes": [],
        "customerpayments": [],
        "invoices": [],
        "expenses": [{"reference_number": "SRW-7100001"}, {"reference_number": "SRW-7100001"}],
        "journals": [{"reference_number": "SRW-7100002"}, {"reference_number": "CN-1"}],
    }

    found = _duplicates(day, {}, zoho, {"orders": [], "returns": []})

    assert found == ["wallet SRW-7100001: 2 Books entries"]
