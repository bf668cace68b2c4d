"""The morning digest on the local stack (issue 15): the order function's schedule sends yesterday to OpsAlerts in
one message; asked for another day, that day's."""

from __future__ import annotations

from datetime import datetime

import pytest
from test_cancel_flow import pages
from test_order_flow import post_webhook, salesorder, seed
from test_status_flow import ship

from local.stack import LocalStack
from shipsync.domain.india import IST

pytestmark = pytest.mark.e2e


def test_the_day_s_orders_failures_and_dlqs_in_one_page(fresh: LocalStack) -> None:
    ship(fresh, 91)
    ship(fresh, 92, payment="Prepaid")
    invalid = salesorder(93, phone="12345")
    seed(fresh, invalid)
    assert post_webhook(fresh, invalid).status_code == 202
    fresh.wait_idle(60)
    today = datetime.now(IST).date().isoformat()

    answer = fresh.invoke("OrderConfirmedFunction", {"digest": "morning", "day": today})
    scheduled = fresh.fire_schedule("OrderConfirmedFunction", "MorningDigest")

    [page, yesterday] = [p for p in pages(fresh) if p["kind"] == "MorningDigest"]
    assert answer["orders"] == 3
    assert page["subject"].endswith(": 2 shipped, 1 failed")
    lines = page["message"].splitlines()
    assert lines[0].endswith("3 confirmed, 2 shipped, 1 failed")
    assert lines[1].startswith("  1 x invalid order: ")
    assert "DLQs: all empty" in lines
    assert "9845012345" not in page["message"]
    assert "12345" not in page["message"]
    # The schedule's own run is yesterday's: none of today's orders.
    assert (scheduled["orders"], yesterday["subject"].endswith(": 0 shipped, 0 failed")) == (0, True)
