"""An order's story on the local stack (issue 15): ``GET /admin/orders/{number}`` and ``shipsync status`` tell what
the ledger holds of an order's life, with no provider call."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from test_cancel_flow import provider_calls, spent
from test_order_flow import sim_state
from test_status_flow import advance, ship

from local.stack import REPO_ROOT, LocalStack
from tests.e2e.test_pickup_setup_flow import state_file

pytestmark = pytest.mark.e2e


def story(stack: LocalStack, key: str) -> requests.Response:
    return requests.get(
        f"{stack.api_url}/admin/orders/{key}", headers={"Authorization": f"Bearer {stack.tokens['admin']}"}, timeout=30
    )


def test_a_delivered_order_s_story_has_its_steps_statuses_and_links_and_costs_no_provider_call(
    fresh: LocalStack,
) -> None:
    so, awb = ship(fresh, 81)
    advance(fresh, {"awb": awb})
    fresh.wait_idle(60)
    before = provider_calls(fresh)

    answer = story(fresh, so["salesorder_number"])

    assert answer.status_code == 200, answer.text
    told = answer.json()
    assert spent(before, provider_calls(fresh)) == {}
    sr_order = next(o for o in sim_state(fresh.shiprocket_url)["orders"] if o["awb_code"] == awb)
    assert (told["state"], told["shiprocket"]["awb"], told["shiprocket"]["sr_order_id"]) == (
        "synced",
        awb,
        sr_order["sr_order_id"],
    )
    steps = [step["what"] for step in told["steps"]]
    assert any(step.startswith(f"AWB {awb} with ") for step in steps)
    assert any(step.startswith("Zoho package ") for step in steps)
    [shipment] = told["shipments"]
    assert (shipment["awb"], shipment["status"]) == (awb, "Delivered")
    assert any(step["what"].endswith("-> Delivered") for step in shipment["steps"])
    assert told["links"]["zoho_salesorder"].endswith(f"#/salesorders/{so['salesorder_id']}")
    assert told["problems"] == []
    assert story(fresh, awb).json() == told
    assert "98450" not in answer.text  # the buyer's phone is in the ledger's snapshot, never in the story


def test_an_unknown_order_is_404_and_a_caller_without_credentials_is_refused(fresh: LocalStack) -> None:
    missing = story(fresh, "SO-99999")
    assert (missing.status_code, missing.json()["field"]) == (404, "salesorder_number")
    assert requests.get(f"{fresh.api_url}/admin/orders/SO-00001", timeout=30).status_code in (401, 403)


def test_the_command_tells_the_same_story_and_exits_by_its_open_problems(fresh: LocalStack, tmp_path: Path) -> None:
    so, _ = ship(fresh, 82)
    path = state_file(fresh, tmp_path)

    def status(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shipsync_cli", "--local-stack", str(path), "status", *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    as_json = status(so["salesorder_number"], "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == story(fresh, so["salesorder_number"]).json()
    text = status(so["salesorder_number"])
    assert f"{so['salesorder_number']} (Zoho {so['salesorder_id']}): synced" in text.stdout
    assert "No open problems." in text.stdout
    assert status("SO-99999").returncode == 3
