"""The wallet watch on the local stack (issue 14): the cod-remittance function's hourly schedule reads Shiprocket's
wallet statement and balance, pages each weight discrepancy once with its dispute deadline, and pages a wallet
that will not last a day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests
from test_cancel_flow import pages, post_order_webhook, seller_edits
from test_order_flow import sim_state
from test_status_flow import advance, ship

from local.stack import LocalStack

pytestmark = pytest.mark.e2e


def watch(stack: LocalStack) -> dict[str, object]:
    result: dict[str, object] = stack.fire_schedule("CodRemittanceFunction", "WalletWatch")
    return result


def test_a_reweighed_parcel_is_paged_once_with_its_deadline(fresh: LocalStack) -> None:
    requests.post(
        f"{fresh.shiprocket_url}/_sim/seed", json={"weight_discrepancies": {"SO-00095": 3.0}}, timeout=10
    ).raise_for_status()
    so, awb = ship(fresh, 95)
    advance(fresh, {"awb": awb, "steps": 2})
    fresh.wait_idle(60)

    first = watch(fresh)
    again = watch(fresh)

    assert (first["discrepancies_paged"], again["discrepancies_paged"], first["low"]) == (1, 0, False)
    [page] = [p for p in pages(fresh) if p["kind"] == "WeightDiscrepancy"]
    row = next(r for r in sim_state(fresh.shiprocket_url)["wallet_rows"] if r["charge"].startswith("Weight"))
    deadline = date.fromisoformat(row["created_at"][:10]) + timedelta(days=4)
    assert (page["correlation_id"], row["awb_code"]) == (awb, awb)
    assert (
        f"AWB {awb} ({so['salesorder_number']}): declared {float(row['applied_weight']):g} kg, charged 3 kg"
        in (page["message"])
    )
    assert f"dispute by {deadline}" in page["message"]


def test_a_wallet_below_a_days_shipping_is_paged_once(fresh: LocalStack) -> None:
    ship(fresh, 96)
    requests.post(f"{fresh.shiprocket_url}/_sim/seed", json={"wallet_balance": 5.0}, timeout=10).raise_for_status()

    first = watch(fresh)
    watch(fresh)

    assert first["low"] is True
    assert first["balance_paise"] == 500
    [page] = [p for p in pages(fresh) if p["kind"] == "WalletLow"]
    assert page["subject"].startswith("Shiprocket wallet at ₹5.00, below a day's need of ₹")


def test_each_shipping_debit_is_booked_in_zoho_books_once(fresh: LocalStack) -> None:
    so, awb = ship(fresh, 97)
    before = dict(sim_state(fresh.zoho_url)["calls"])

    first = watch(fresh)
    second = watch(fresh)

    debits = [r for r in sim_state(fresh.shiprocket_url)["wallet_rows"] if r["debit_amount"]]
    assert [r["charge"] for r in debits] == ["Freight Charges", "COD Charges"]
    expenses = {e["reference_number"]: e for e in sim_state(fresh.zoho_url)["expenses"]}
    assert sorted(expenses) == sorted(f"SRW-{r['transaction_id']}" for r in debits)
    for debit in debits:
        expense = expenses[f"SRW-{debit['transaction_id']}"]
        assert expense["amount"] == float(debit["debit_amount"])  # to the paisa
        assert expense["paid_through_account_id"] == "1947583000000000530"
        assert expense["description"].endswith(f"{so['salesorder_number']}, AWB {awb}")
    assert (first["booked"], second["booked"], second["already_booked"]) == (2, 0, 2)
    calls = sim_state(fresh.zoho_url)["calls"]
    # One Zoho call per row booked, none for a row booked before.
    assert calls["POST /books/v3/expenses"] - before.get("POST /books/v3/expenses", 0) == 2
    assert calls.get("GET /books/v3/expenses", 0) == before.get("GET /books/v3/expenses", 0)


def test_a_cancelled_awbs_freight_comes_back_as_a_journal_and_the_books_equal_the_wallet(fresh: LocalStack) -> None:
    so, _ = ship(fresh, 98)
    action = [{"api_name": "cf_shipment_action", "value": "Cancel"}]
    seller_edits(fresh, salesorder_id=so["salesorder_id"], custom_fields=action)
    assert post_order_webhook(fresh, so["salesorder_id"]).status_code == 202
    fresh.wait_idle(60)

    result = watch(fresh)

    wallet = sim_state(fresh.shiprocket_url)["wallet_rows"]
    assert [r["charge"] for r in wallet] == ["Freight Charges", "COD Charges", "Freight Reversal"]
    zoho = sim_state(fresh.zoho_url)
    [journal] = zoho["journals"]
    reversal = wallet[2]
    assert journal["reference_number"] == f"SRW-{reversal['transaction_id']}"
    assert [(line["account_id"], line["debit_or_credit"], line["amount"]) for line in journal["line_items"]] == [
        ("1947583000000000530", "debit", float(reversal["credit_amount"])),
        ("1947583000000000520", "credit", float(reversal["credit_amount"])),
    ]
    assert result["booked"] == 3
    # To the paisa: what the books charged the freight account is what the wallet lost.
    booked = sum(round(e["amount"] * 100) for e in zoho["expenses"]) - round(journal["total"] * 100)
    moved = sum(
        round(float(r["debit_amount"] or 0) * 100) - round(float(r["credit_amount"] or 0) * 100) for r in wallet
    )
    assert booked == moved == 0


def test_the_booking_waits_when_zoho_s_day_is_down_to_its_reserve(fresh: LocalStack) -> None:
    """ZOHO_RESERVE (300 by default): with 301 calls left today the first expense is written, Zoho's answer
    says 300 are left, and the other row waits for a later run; nothing is refused by Zoho on the way."""
    ship(fresh, 99)
    used = sim_state(fresh.zoho_url)["daily_calls"]["used"]
    requests.post(f"{fresh.zoho_url}/_sim/seed", json={"daily_cap": used + 301}, timeout=10).raise_for_status()

    result = watch(fresh)

    assert (result["booked"], result["deferred"], result["budget_reached"]) == (1, 1, True)
    zoho = sim_state(fresh.zoho_url)
    assert len(zoho["expenses"]) == 1
    assert zoho["daily_calls"] == {"cap": used + 301, "used": used + 1}
