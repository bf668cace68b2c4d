"""The item-weight advice on the local stack (issue 14): two parcels of the same item re-weighed after pickup, and
the wallet watch's hourly schedule pages "fix the item's weight in Zoho" once, with the weight per unit the couriers
charge, reading each parcel's order at Shiprocket once and making no Zoho call of its own.

Needs the advisor in the wallet watch's composition (``remittance.wiring``: ``advise=ItemWeightAdvisor(...)``)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from test_cancel_flow import pages
from test_order_flow import sim_state
from test_status_flow import advance, ship

from local.stack import LocalStack

pytestmark = pytest.mark.e2e

ORDERS_SHOW = "GET /orders/show/{id}"


def watch(stack: LocalStack) -> dict[str, Any]:
    result: dict[str, Any] = stack.fire_schedule("CodRemittanceFunction", "WalletWatch")
    return result


def reweighed(stack: LocalStack, number: int, kg: float) -> str:
    """Sales order ``number`` (2 x TEE-BLK-M) shipped, charged ``kg`` at pickup; its AWB."""
    requests.post(
        f"{stack.shiprocket_url}/_sim/seed", json={"weight_discrepancies": {f"SO-{number:05d}": kg}}, timeout=10
    ).raise_for_status()
    _, awb = ship(stack, number)
    advance(stack, {"awb": awb, "steps": 2})
    stack.wait_idle(60)
    return awb


def calls(stack: LocalStack, url: str) -> dict[str, int]:
    counted: dict[str, int] = sim_state(url)["calls"]
    return counted


def test_an_item_reweighed_twice_is_paged_once_with_the_couriers_weight_per_unit(fresh: LocalStack) -> None:
    first_awb, second_awb = reweighed(fresh, 111, 3.0), reweighed(fresh, 112, 3.0)
    shiprocket_before, zoho_before = calls(fresh, fresh.shiprocket_url), calls(fresh, fresh.zoho_url)

    first = watch(fresh)
    quiet = watch(fresh)

    assert (first["discrepancies_paged"], first["item_weights_paged"]) == (2, 1)
    assert (quiet["discrepancies_paged"], quiet["item_weights_paged"]) == (0, 0)
    [page] = [p for p in pages(fresh) if p["kind"] == "ItemWeight"]
    rows = [r for r in sim_state(fresh.shiprocket_url)["wallet_rows"] if r["charge"].startswith("Weight")]
    assert sorted(r["awb_code"] for r in rows) == sorted([first_awb, second_awb])
    declared = {float(r["applied_weight"]) / 2 for r in rows}
    charged = {float(r["charged_weight"]) / 2 for r in rows}
    assert len(declared) == len(charged) == 1
    assert page["subject"] == "Fix the item's weight in Zoho: SKU TEE-BLK-M (Cotton Tee Black M)"
    assert page["message"].startswith(
        "Fix the item's weight in Zoho: SKU TEE-BLK-M (Cotton Tee Black M) raised 2 weight discrepancies in the last "
        f"7 days; couriers charge ~{charged.pop():g} kg per unit, Zoho declares {declared.pop():g} kg."
    )
    assert f"AWBs: {first_awb}, {second_awb}" in page["message"]
    # One orders/show per parcel, in the run that found them new; nothing in the quiet hour.
    shiprocket_after = calls(fresh, fresh.shiprocket_url)
    assert shiprocket_after.get(ORDERS_SHOW, 0) - shiprocket_before.get(ORDERS_SHOW, 0) == 2
    # Zoho sees the booking's writes only: the advice reads nothing there.
    zoho_after = calls(fresh, fresh.zoho_url)
    assert {endpoint for endpoint, count in zoho_after.items() if count != zoho_before.get(endpoint, 0)} <= {
        "POST /books/v3/expenses"
    }

    third_awb = reweighed(fresh, 113, 3.0)
    before_third = calls(fresh, fresh.shiprocket_url).get(ORDERS_SHOW, 0)
    third = watch(fresh)

    # The new parcel is read, the two kept ones are not; the same weight per unit is not paged again.
    assert (third["discrepancies_paged"], third["item_weights_paged"]) == (1, 0)
    assert calls(fresh, fresh.shiprocket_url).get(ORDERS_SHOW, 0) - before_third == 1
    assert [p["kind"] for p in pages(fresh)].count("ItemWeight") == 1
    assert third_awb not in page["message"]
