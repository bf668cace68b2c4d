"""Accepted but impossible work through the local stack (issue 11, item 2): a confirmation naming a sales order
Zoho does not have is accepted, then dead-lettered on its first receive with a page, after one Zoho call."""

from __future__ import annotations

import json

import pytest
import requests

from local.aws import client
from local.stack import LocalStack

pytestmark = pytest.mark.e2e

MISSING = {"salesorder_id": "1947583000000199999", "salesorder_number": "SO-99999", "order_status": "confirmed"}


def zoho_api_calls(stack: LocalStack) -> dict[str, int]:
    calls = requests.get(f"{stack.zoho_url}/_sim/state", timeout=10).json()["calls"]
    return {endpoint: count for endpoint, count in calls.items() if "/oauth/" not in endpoint}


def test_an_order_for_a_sales_order_zoho_does_not_have_is_dead_lettered_after_one_receive(fresh: LocalStack) -> None:
    before = zoho_api_calls(fresh)

    answer = requests.post(
        f"{fresh.api_url}/webhooks/zoho/salesorders",
        json={"salesorder": MISSING},
        headers={"x-api-key": fresh.tokens["zoho_webhook"]},
        timeout=10,
    )
    assert answer.status_code == 202
    fresh.wait_idle(30)

    after = zoho_api_calls(fresh)
    spent = {endpoint: after[endpoint] - before.get(endpoint, 0) for endpoint in after}
    assert {endpoint: n for endpoint, n in spent.items() if n} == {"GET /inventory/v1/salesorders/{salesorder_id}": 1}
    assert fresh.runner.metrics.snapshot()["invocations"]["OrderConfirmedFunction"] == 2  # the route, one receive
    depths = fresh.queue_depths()
    assert depths["OrderDLQ"] == 1
    assert depths["OrderQueue"] == 0
    # A peek (visibility 0): a message left in flight would outlive the next test's reset.
    [moved] = client("sqs").receive_message(QueueUrl=fresh.queue_url("OrderDLQ"), VisibilityTimeout=0)["Messages"]
    assert json.loads(moved["Body"])["salesorder_id"] == MISSING["salesorder_id"]
    [alert] = [a for a in fresh.alerts() if "SO-99999" in str(a.get("subject"))]
    body = json.loads(alert["message"])
    assert body["kind"] == "NamedRecordMissing"
    assert "sales order SO-99999 does not exist" in body["message"]
