"""The panel's wallet statement upload on the local stack (issue 14): the simulator's statement exported as the
panel's CSV and posted to POST /webhooks/wallet-statement is paged and booked in Zoho Books by the cod-remittance
worker, one entry per bookable row; the hourly WalletWatch schedule reading the same rows, and the same file
uploaded again, book nothing more."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import requests
from test_cancel_flow import pages, post_order_webhook, seller_edits
from test_order_flow import sim_state
from test_status_flow import advance, ship

from local.stack import LocalStack

pytestmark = pytest.mark.e2e

# The panel's titles (GUESSES, docs/providers/shiprocket.md §17) for the API's row keys, plus a column not read.
PANEL_TITLES = {
    "created_at": "Date",
    "transaction_id": "Transaction ID",
    "order_id": "Order ID",
    "channel_order_id": "Channel Order ID",
    "awb_code": "AWB Code",
    "charge": "Charge Type",
    "description": "Description",
    "applied_weight": "Applied Weight (kg)",
    "charged_weight": "Charged Weight (kg)",
    "debit_amount": "Debit Amount (Rs.)",
    "credit_amount": "Credit Amount (Rs.)",
    "balance_amount": "Closing Balance",
}


def panel_export(rows: list[dict[str, Any]]) -> str:
    """The statement as the seller downloads it: a BOM, CRLF, the "Wallet Balance" row first, a blank line last."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PANEL_TITLES.values())
    writer.writerow(["Wallet Balance" if key == "description" else "" for key in PANEL_TITLES])
    for row in rows:
        writer.writerow(["" if row.get(key) is None else row[key] for key in PANEL_TITLES])
    return "\ufeff" + out.getvalue() + "\r\n"


def upload(stack: LocalStack, text: str) -> requests.Response:
    return requests.post(
        f"{stack.api_url}/webhooks/wallet-statement",
        data=text.encode("utf-8"),
        headers={"x-api-key": stack.tokens["remittance_webhook"], "content-type": "text/csv"},
        timeout=30,
    )


def books_writes(stack: LocalStack) -> dict[str, int]:
    calls = sim_state(stack.zoho_url)["calls"]
    return {
        endpoint: int(calls.get(endpoint, 0)) for endpoint in ("POST /books/v3/expenses", "POST /books/v3/journals")
    }


def test_an_uploaded_statement_is_booked_once_across_the_schedule_and_a_second_upload(fresh: LocalStack) -> None:
    requests.post(
        f"{fresh.shiprocket_url}/_sim/seed", json={"weight_discrepancies": {"SO-00111": 3.0}}, timeout=10
    ).raise_for_status()
    kept, kept_awb = ship(fresh, 111)
    advance(fresh, {"awb": kept_awb, "steps": 2})
    cancelled, _ = ship(fresh, 112)
    action = [{"api_name": "cf_shipment_action", "value": "Cancel"}]
    seller_edits(fresh, salesorder_id=cancelled["salesorder_id"], custom_fields=action)
    assert post_order_webhook(fresh, cancelled["salesorder_id"]).status_code == 202
    fresh.wait_idle(60)
    wallet = sim_state(fresh.shiprocket_url)["wallet_rows"]
    debits = [r for r in wallet if r["debit_amount"]]
    reversals = [r for r in wallet if r["credit_amount"]]
    # The kept order: freight, COD fee, the re-weighed freight; the cancelled one: freight, COD fee, the reversal.
    charges = ["Freight Charges", "COD Charges", "Weight Discrepancy Charges", "Freight Charges", "COD Charges"]
    assert sorted(r["charge"] for r in wallet) == sorted([*charges, "Freight Reversal"])
    export = panel_export(wallet)
    before = books_writes(fresh)
    look_ups = sim_state(fresh.zoho_url)["calls"].get("GET /books/v3/expenses", 0)

    answer = upload(fresh, export)
    fresh.wait_idle(120)

    assert answer.status_code == 202
    assert (answer.json()["status"], answer.json()["rows"]) == ("queued", 6)
    zoho = sim_state(fresh.zoho_url)
    expenses = [e["reference_number"] for e in zoho["expenses"]]
    journals = [j["reference_number"] for j in zoho["journals"]]
    # One entry per bookable row, each exactly once: six rows are more than one pass books (4), so this also
    # covers a chunk going round again.
    assert sorted(expenses) == sorted(f"SRW-{r['transaction_id']}" for r in debits)
    assert journals == [f"SRW-{r['transaction_id']}" for r in reversals]
    by_reference = {e["reference_number"]: e for e in zoho["expenses"]}
    for debit in debits:
        expense = by_reference[f"SRW-{debit['transaction_id']}"]
        assert round(expense["amount"] * 100) == round(float(debit["debit_amount"]) * 100)  # to the paisa
        assert expense["date"] == debit["created_at"][:10]
    assert books_writes(fresh) == {
        "POST /books/v3/expenses": before["POST /books/v3/expenses"] + len(debits),
        "POST /books/v3/journals": before["POST /books/v3/journals"] + len(reversals),
    }
    [page] = [p for p in pages(fresh) if p["kind"] == "WeightDiscrepancy"]
    assert page["correlation_id"] == kept_awb
    assert f"AWB {kept_awb} ({kept['salesorder_number']}): declared" in page["message"]

    scheduled = fresh.fire_schedule("CodRemittanceFunction", "WalletWatch")
    again = upload(fresh, export)
    fresh.wait_idle(120)

    assert (scheduled["booked"], scheduled["already_booked"], scheduled["discrepancies_paged"]) == (0, 6, 0)
    assert again.status_code == 202
    assert books_writes(fresh) == {
        "POST /books/v3/expenses": before["POST /books/v3/expenses"] + len(debits),
        "POST /books/v3/journals": before["POST /books/v3/journals"] + len(reversals),
    }
    zoho = sim_state(fresh.zoho_url)
    assert (len(zoho["expenses"]), len(zoho["journals"])) == (len(debits), len(reversals))
    assert len([p for p in pages(fresh) if p["kind"] == "WeightDiscrepancy"]) == 1
    # No claim was left in flight, so nothing asked Zoho whether a row was there already.
    assert sim_state(fresh.zoho_url)["calls"].get("GET /books/v3/expenses", 0) == look_ups
    assert fresh.queue_depths().get("RemittanceDLQ", 0) == 0


def test_a_statement_with_a_bad_row_is_refused_whole_and_books_nothing(fresh: LocalStack) -> None:
    ship(fresh, 113)
    wallet = sim_state(fresh.shiprocket_url)["wallet_rows"]
    bad = [dict(wallet[0]), {**wallet[1], "debit_amount": "12.345"}]

    answer = upload(fresh, panel_export(bad))
    fresh.wait_idle(60)

    assert answer.status_code == 400
    assert answer.json()["field"] == "rows.4.debit_amount"  # the header, the "Wallet Balance" row, then the rows
    assert f"line 4 (transaction {wallet[1]['transaction_id']})" in answer.json()["error"]
    assert sim_state(fresh.zoho_url)["expenses"] == []
