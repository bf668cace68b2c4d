"""The Shiprocket simulator's wallet (issue 14): every movement a statement row in the published form, the
balance moving with them (docs/providers/shiprocket.md §17). The published form itself is held by
test_published_shiprocket_sim.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.contract.test_published_shiprocket_sim import (  # noqa: F401 (fixtures)
    Api,
    api,
    assign,
    create,
    module_clock,
    module_receiver,
    module_server,
    pickup,
    ship,
)

WALLET = Decimal("100000.00")


@pytest.fixture
def sim(request: pytest.FixtureRequest) -> Api:
    """The published examples' driver (and its simulator, clock and webhook receiver), reset for each test."""
    driver: Api = request.getfixturevalue("api")
    return driver


def statement(sim: Api, **params: Any) -> list[dict[str, Any]]:
    answer = sim.get("/account/details/statement?" + "&".join(f"{k}={v}" for k, v in params.items()))
    assert answer.status == 200, answer.text
    rows: list[dict[str, Any]] = answer.body["data"]
    return rows


def money(row: dict[str, Any], key: str) -> Decimal:
    return Decimal(row[key] or "0")


def test_a_cod_rto_with_a_reweighed_parcel_moves_the_wallet_row_by_row(sim: Api) -> None:
    sim.seed({"weight_discrepancies": {"ZI-SO-00042": 2.0}})
    awb = ship(sim, lifecycle="rto")

    opening, *rows = statement(sim)

    assert (opening["description"], opening["transaction_id"], opening["balance_amount"]) == (
        "Wallet Balance",
        "",
        "100000.00",
    )
    assert [(row["charge"], row["awb_code"], row["channel_order_id"]) for row in rows] == [
        ("Freight Charges", awb, "ZI-SO-00042"),
        ("COD Charges", awb, "ZI-SO-00042"),
        ("Weight Discrepancy Charges", awb, "ZI-SO-00042"),
        ("RTO Freight Charges", awb, "ZI-SO-00042"),
    ]
    reweighed = rows[2]
    assert (reweighed["applied_weight"], reweighed["charged_weight"]) == (rows[0]["applied_weight"], "2.00")
    assert Decimal(rows[0]["applied_weight"]) < 2
    assert all(money(row, "debit_amount") > 0 and row["credit_amount"] == "" for row in rows)
    assert len({row["transaction_id"] for row in rows}) == 4
    # A running balance, and the account's balance is where the last row leaves it.
    balance = WALLET
    for row in rows:
        balance -= money(row, "debit_amount")
        assert Decimal(row["balance_amount"]) == balance
    assert sim.get("/account/details/wallet-balance").body == {"data": {"balance_amount": f"{balance:.2f}"}}


def test_a_cancelled_awb_gives_its_freight_back_as_a_credit_row(sim: Api) -> None:
    created = create(sim, payment_method="Prepaid")
    awb = assign(sim, created["shipment_id"])
    assert sim.post("/orders/cancel", {"ids": [created["order_id"]]}).status == 204

    _, freight, reversal = statement(sim)

    assert (freight["charge"], reversal["charge"], reversal["awb_code"]) == ("Freight Charges", "Freight Reversal", awb)
    assert money(reversal, "credit_amount") == money(freight, "debit_amount")
    assert reversal["debit_amount"] == ""
    assert Decimal(sim.get("/account/details/wallet-balance").body["data"]["balance_amount"]) == WALLET


def test_the_statement_pages_and_filters_by_day_and_refuses_a_bad_date(sim: Api) -> None:
    for number in range(3):
        created = create(sim, f"ZI-SO-0010{number}", payment_method="Prepaid")
        assign(sim, created["shipment_id"])

    first = statement(sim, per_page=2, page=1)
    second = statement(sim, per_page=2, page=2)
    assert [row["description"] for row in first][:1] == ["Wallet Balance"]
    assert [row["channel_order_id"] for row in first[1:] + second] == ["ZI-SO-00100", "ZI-SO-00101", "ZI-SO-00102"]
    assert statement(sim, per_page=2, page=3) == []
    assert statement(sim, **{"from": "2025-01-12", "to": "2025-01-31"})[1:] == []
    assert len(statement(sim, **{"from": "2025-01-11", "to": "2025-01-11"})) == 4

    refused = sim.get("/account/details/statement?from=11-01-2025")
    assert (refused.status, list(refused.body["errors"])) == (422, ["from"])
