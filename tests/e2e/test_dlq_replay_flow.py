"""Issue 15's DLQ commands on the local stack: a Zoho outage held until an order's job is dead-lettered (the
OrderQueue's ten receives spent), then cleared; ``shipsync dlq`` shows the message, ``shipsync replay OrderDLQ --all
--yes`` sends it back and the job carries on from the ledger: one Shiprocket order, one Zoho package and shipment
order. A second replay sends nothing. ``GET /admin/dlq`` lists what ``shipsync dlq`` lists.

Each run is a process of its own, as an operator runs it: its environment is the stack's, not this test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from local.stack import REPO_ROOT, LocalStack
from tests.e2e.test_order_flow import custom_fields, faults, post_webhook, salesorder, seed, sim_state, zoho_order
from tests.e2e.test_pickup_setup_flow import state_file

pytestmark = pytest.mark.e2e

PACKAGES = "POST /inventory/v1/packages"


def shipsync(path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    run = subprocess.run(
        [sys.executable, "-m", "shipsync_cli", "--local-stack", str(path), *args, "--json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(run.stdout), run.stdout


def test_an_order_dead_lettered_by_an_outage_is_listed_replayed_and_shipped_once(
    fresh: LocalStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A failed receive comes back at once: ten take seconds, not the minutes of the stack's doubling backoff.
    monkeypatch.setattr(fresh.runner, "retry_delay_s", 0)
    monkeypatch.setattr(fresh.runner, "retry_backoff", 1.0)
    so = salesorder(151, phone="+91 98450 12345")
    seed(fresh, so)
    # Zoho down for the write-back, after Shiprocket has the order: the replay must not make a second one.
    down = {"code": 9999, "message": "Service temporarily unavailable"}
    faults(fresh.zoho_url, {"endpoint": PACKAGES, "status": 503, "body": down, "times": 1000})

    assert post_webhook(fresh, so).status_code == 202
    fresh.wait_idle(120)

    depths = fresh.queue_depths()
    assert (depths["OrderQueue"], depths["OrderDLQ"]) == (0, 1)
    zoho = sim_state(fresh.zoho_url)
    assert zoho["calls"][PACKAGES] == 10  # the OrderQueue's maxReceiveCount
    assert zoho["packages"] == []
    [created] = sim_state(fresh.shiprocket_url)["orders"]
    requests.post(f"{fresh.zoho_url}/_sim/faults", json={"clear": True}, timeout=10).raise_for_status()
    path = state_file(fresh, tmp_path)

    code, listed, raw = shipsync(path, "dlq")

    assert (code, listed["ok"]) == (1, False)
    by_queue = {queue["queue"]: queue for queue in listed["queues"]}
    assert set(by_queue) == {"OrderDLQ", "StatusDLQ", "RtoDLQ", "RemittanceDLQ", "TokenRefreshDLQ"}
    assert {name: queue["depth"] for name, queue in by_queue.items() if queue["depth"]} == {"OrderDLQ": 1}
    [letter] = by_queue["OrderDLQ"]["messages"]
    assert letter["concerns"] == {"salesorder_number": "SO-00151", "salesorder_id": so["salesorder_id"]}
    assert letter["receive_count"] >= 10
    # A transient outage leaves no failure reason in the ledger, only how far the job got.
    assert letter["last_error"] is None
    assert letter["ledger_state"] == "awb_assigned"
    assert "98450" not in raw
    assert fresh.queue_depths()["OrderDLQ"] == 1  # still there, and visible

    # The admin read, for a support tool: the same listing from the order function, behind the admin credential.
    url = f"{fresh.api_url}/admin/dlq"
    admin = {"Authorization": f"Bearer {fresh.tokens['admin']}"}
    assert requests.get(url, timeout=30).status_code in (401, 403)
    assert requests.get(url, params={"limit": "0"}, headers=admin, timeout=30).status_code == 400
    served = requests.get(url, headers=admin, timeout=60)
    assert served.status_code == 200
    by_name = {queue["queue"]: queue for queue in served.json()["queues"]}
    assert set(by_name) == set(by_queue)
    [same] = by_name["OrderDLQ"]["messages"]
    assert {key: same[key] for key in ("message_id", "concerns", "ledger_state")} == {
        key: letter[key] for key in ("message_id", "concerns", "ledger_state")
    }
    assert "98450" not in served.text
    assert fresh.queue_depths()["OrderDLQ"] == 1

    code, planned, _ = shipsync(path, "replay", "OrderDLQ", "--all")

    assert (code, planned["applied"]) == (1, False)
    assert [sent["message_id"] for sent in planned["sent"]] == [letter["message_id"]]
    assert (fresh.queue_depths()["OrderDLQ"], fresh.queue_depths()["OrderQueue"]) == (1, 0)

    code, replayed, _ = shipsync(path, "replay", "OrderDLQ", "--all", "--yes")

    assert (code, replayed["applied"], replayed["ok"]) == (0, True, True)
    assert [sent["message_id"] for sent in replayed["sent"]] == [letter["message_id"]]
    assert replayed["source"] == Path(fresh.queue_url("OrderQueue")).name
    fresh.wait_idle(60)

    shiprocket = sim_state(fresh.shiprocket_url)
    assert [(order["order_id"], order["awb_code"]) for order in shiprocket["orders"]] == [
        ("SO-00151", created["awb_code"])
    ]
    zoho = sim_state(fresh.zoho_url)
    assert len(zoho["packages"]) == 1
    assert len(zoho["shipmentorders"]) == 1
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_awb_number"] == created["awb_code"]
    depths = fresh.queue_depths()
    assert (depths["OrderQueue"], depths["OrderDLQ"]) == (0, 0)

    code, again, _ = shipsync(path, "replay", "OrderDLQ", "--all", "--yes")

    assert (code, again["sent"], again["ok"]) == (0, [], True)
    assert shipsync(path, "dlq")[0] == 0
    fresh.wait_idle(30)
    assert len(sim_state(fresh.shiprocket_url)["orders"]) == 1
    assert len(sim_state(fresh.zoho_url)["packages"]) == 1
