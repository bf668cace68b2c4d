"""Zoho's daily budget on the local stack (issue 16): once the organisation's calls left fall below the reserve,
ops get one page with the forecast, and confirmations go on."""

from __future__ import annotations

import pytest
import requests
from test_cancel_flow import pages
from test_order_flow import custom_fields, sim_state, zoho_order
from test_status_flow import ship

from local.stack import LocalStack

pytestmark = pytest.mark.e2e


def test_a_low_budget_pages_once_and_the_orders_still_ship(fresh: LocalStack) -> None:
    ship(fresh, 171)
    used = sim_state(fresh.zoho_url)["daily_calls"]["used"]
    # 250 calls left: under the reserve of 300 from the next answer on.
    requests.post(f"{fresh.zoho_url}/_sim/seed", json={"daily_cap": used + 250}, timeout=10).raise_for_status()

    second, _ = ship(fresh, 172)
    third, _ = ship(fresh, 173)

    low = [page for page in pages(fresh) if page["kind"] == "ZohoBudgetLow"]
    assert len(low) == 1
    assert low[0]["subject"].startswith("Zoho daily budget low: 24")
    assert f"of {used + 250:,} Zoho calls are left today, fewer than the 300" in low[0]["message"]
    assert "At today's rate" in low[0]["message"]
    for so in (second, third):
        assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_awb_number"]
