"""``shipsync report --since 1d --html FILE`` on the local stack (issue 15): the day's orders, failures and
shipments from the ledger, the DLQs and Zoho's budget as the simulator counts it, and a page whose every number is
the JSON's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_order_flow import post_webhook, salesorder, seed, sim_state
from test_status_flow import ship

from local.stack import LocalStack
from tests.e2e.test_dlq_replay_flow import shipsync
from tests.e2e.test_pickup_setup_flow import state_file
from tests.unit.test_run_html import numbers_differing

pytestmark = pytest.mark.e2e


def test_the_days_report_and_its_page_come_from_the_ledger_the_dlqs_and_zoho(fresh: LocalStack, tmp_path: Path) -> None:
    ship(fresh, 161)
    ship(fresh, 162, payment="Prepaid")
    invalid = salesorder(163, phone="12345")
    seed(fresh, invalid)
    assert post_webhook(fresh, invalid).status_code == 202
    fresh.wait_idle(60)
    page_path = tmp_path / "ops.html"

    code, report, raw = shipsync(state_file(fresh, tmp_path), "report", "--since", "1d", "--html", str(page_path))

    assert code == 1  # an order failed
    orders = report["orders"]
    assert (orders["confirmed"], orders["shipped"], orders["failed"]) == (3, 2, 1)
    assert [reason.split(":")[0] for reason in report["failures"]] == ["invalid order"]
    assert report["shipments"]["total"] == 2
    assert report["period"]["days"] == 1
    assert set(report["dlq"]) == {"OrderDLQ", "StatusDLQ", "RtoDLQ", "RemittanceDLQ", "TokenRefreshDLQ"}
    assert sum(report["dlq"].values()) == 0
    zoho = sim_state(fresh.zoho_url)["daily_calls"]
    # The report's one Zoho read was the day's last call: what it heard left is the simulator's count now.
    assert report["zoho"] == {
        "daily_cap": zoho["cap"],
        "calls_left": zoho["cap"] - zoho["used"],
        "calls_used": zoho["used"],
    }
    assert "12345" not in raw
    page = page_path.read_text(encoding="utf-8")
    assert numbers_differing(page, json.loads(raw)) == []
    assert "12345" not in page
