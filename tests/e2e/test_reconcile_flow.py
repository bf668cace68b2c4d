"""``shipsync reconcile`` on the local stack (issue 15): differences made on purpose in the simulators' state (a
delivered webhook lost, a Zoho shipment order deleted, an order made in Shiprocket's panel) are found by kind,
``--fix`` without ``--yes`` changes nothing, ``--fix --yes`` repairs the first two through the normal path, and a
second run finds only the panel order, which is listed for a person. The nightly
schedule pages such a difference once and repairs nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from test_cancel_flow import pages, provider_calls, spent
from test_order_flow import custom_fields, panel_order, sim_state, zoho_order
from test_status_flow import advance, ship

from local.sim.zoho import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORGANIZATION_ID, DEFAULT_REFRESH_TOKEN
from local.stack import REPO_ROOT, LocalStack
from shipsync.orders.wiring import STORED_RESULT_SECONDS
from tests.e2e.test_pickup_setup_flow import state_file

pytestmark = pytest.mark.e2e


def delete_shipment_order(stack: LocalStack, shipment_id: str) -> None:
    """What a seller does in Zoho's screens: the shipment order is gone, its package stays."""
    token = requests.post(
        f"{stack.zoho_url}/oauth/v2/token",
        params={
            "refresh_token": DEFAULT_REFRESH_TOKEN,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "grant_type": "refresh_token",
        },
        timeout=10,
    ).json()["access_token"]
    requests.delete(
        f"{stack.zoho_url}/inventory/v1/shipmentorders/{shipment_id}",
        params={"organization_id": DEFAULT_ORGANIZATION_ID},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
        timeout=10,
    ).raise_for_status()


def reconcile(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "shipsync_cli",
            "--local-stack",
            str(path),
            "reconcile",
            "--since",
            "1d",
            "--json",
            *args,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(run.stdout)


def found(result: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((d["kind"], d["awb"]) for d in result["differences"])


def test_a_lost_delivery_and_a_deleted_shipment_order_are_found_and_repaired_once(
    fresh: LocalStack, tmp_path: Path
) -> None:
    delivered, delivered_awb = ship(fresh, 85)
    advance(fresh, {"awb": delivered_awb, "deliver_webhooks": False})
    gone, gone_awb = ship(fresh, 86)
    [shipment] = [s for s in sim_state(fresh.zoho_url)["shipmentorders"] if s["salesorder_number"] == "SO-00086"]
    delete_shipment_order(fresh, shipment["shipment_id"])
    # An order made in Shiprocket's panel, which no sales order accounts for: listed, never "fixed".
    panel_order(fresh, "PANEL-0001")
    fresh.wait_idle(60)
    path = state_file(fresh, tmp_path)

    code, listed = reconcile(path)
    assert code == 1
    orphan = ("shiprocket_order_without_salesorder", "")
    assert found(listed) == [
        ("delivered_not_recorded", delivered_awb),
        ("shipment_order_missing", gone_awb),
        orphan,
    ]
    fixable = {d["kind"]: d["fixable"] for d in listed["differences"]}
    assert fixable == {"delivered_not_recorded": True, "shipment_order_missing": True, orphan[0]: False}
    assert [d["salesorder_number"] for d in listed["differences"] if d["kind"] == orphan[0]] == ["PANEL-0001"]

    before = provider_calls(fresh)
    code, dry = reconcile(path, "--fix")
    fresh.wait_idle(60)
    assert (code, dry["fixed"]) == (1, [])
    # Reads only (tracking is asked by POST): nothing written at either provider.
    reads = ("GET ", "POST /courier/track/awbs")
    assert {k: v for k, v in spent(before, provider_calls(fresh)).items() if not k.startswith(reads)} == {}

    # The order worker answers a repeat of a job handled in the last seconds with its stored result (its lock,
    # orders.wiring): a reconcile comes hours later, this test seconds later.
    time.sleep(STORED_RESULT_SECONDS + 1)
    code, fixed = reconcile(path, "--fix", "--yes")
    fresh.wait_idle(60)
    assert found({"differences": fixed["fixed"]}) == [d for d in found(listed) if d != orphan]
    assert custom_fields(zoho_order(fresh, delivered["salesorder_id"]))["cf_shipment_status"] == "Delivered"
    zoho = sim_state(fresh.zoho_url)
    remade = [s for s in zoho["shipmentorders"] if s["salesorder_number"] == "SO-00086"]
    assert [s["tracking_number"] for s in remade] == [gone_awb]
    assert [p["salesorder_number"] for p in zoho["packages"]].count("SO-00086") == 1
    assert gone["salesorder_number"] == "SO-00086"

    code, again = reconcile(path)
    assert (code, found(again)) == (1, [orphan])


def test_the_nightly_schedule_pages_a_lost_delivery_once_and_changes_nothing(fresh: LocalStack) -> None:
    _, delivered_awb = ship(fresh, 87)
    advance(fresh, {"awb": delivered_awb, "deliver_webhooks": False})
    _, quiet_awb = ship(fresh, 88)
    fresh.wait_idle(60)
    before = provider_calls(fresh)

    first = fresh.fire_schedule("ShipmentStatusFunction", "NightlyReconcile")
    second = fresh.fire_schedule("ShipmentStatusFunction", "NightlyReconcile")

    assert (first["total"], first["compared"], first["done"], first["paged"]) == (2, 2, True, 1)
    # The night's pass is done: a later run of the window compares nothing and pages nothing.
    assert (second["compared_now"], second["paged"]) == (0, 0)
    [page] = [p for p in pages(fresh) if p["kind"] == "ReconcileDifferences"]
    assert page["subject"].endswith("1 new difference(s)")
    assert f"[delivered_not_recorded] SO-00087 AWB {delivered_awb}" in page["message"]
    assert quiet_awb not in page["message"]
    # It lists, it does not fix: reads only at both providers.
    reads = ("GET ", "POST /courier/track/awbs")
    assert {k: v for k, v in spent(before, provider_calls(fresh)).items() if not k.startswith(reads)} == {}
