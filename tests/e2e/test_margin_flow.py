"""The margin per order on the local stack (issue 14): ``GET /admin/margin`` and ``shipsync margin`` join the
Shiprocket wallet statement to the ledger's shipments; every rupee the wallet moved is an order's or listed."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from test_order_flow import sim_state
from test_status_flow import advance, ship

from local.stack import REPO_ROOT, LocalStack
from tests.e2e.test_pickup_setup_flow import state_file

pytestmark = pytest.mark.e2e


def margin(stack: LocalStack, **params: str) -> requests.Response:
    return requests.get(
        f"{stack.api_url}/admin/margin",
        params=params,
        headers={"Authorization": f"Bearer {stack.tokens['admin']}"},
        timeout=60,
    )


def moved(rows: list[dict[str, Any]]) -> int:
    return sum(round(float(r["debit_amount"] or 0) * 100) - round(float(r["credit_amount"] or 0) * 100) for r in rows)


def test_each_order_s_freight_fees_and_rto_add_up_to_the_wallet_to_the_paisa(fresh: LocalStack) -> None:
    delivered, delivered_awb = ship(fresh, 71)
    returned, returned_awb = ship(fresh, 72, payment="Prepaid", city="Jaipur", pincode="302001")
    requests.post(
        f"{fresh.shiprocket_url}/_sim/seed", json={"lifecycles": {returned_awb: "rto"}}, timeout=10
    ).raise_for_status()
    advance(fresh, {"awb": delivered_awb})
    advance(fresh, {"awb": returned_awb})
    fresh.wait_idle(60)

    answer = margin(fresh, days="2")

    assert answer.status_code == 200, answer.text
    report = answer.json()
    rows = sim_state(fresh.shiprocket_url)["wallet_rows"]
    assert report["reconciliation"] == {
        "wallet_movement": moved(rows),
        "attributed": moved(rows),
        "unattributed": 0,
        "recharges": 0,
        "balanced": True,
    }
    by_number = {order["salesorder_number"]: order for order in report["orders"]}
    cod = by_number[delivered["salesorder_number"]]
    assert (cod["payment_method"], cod["outcomes"], cod["tier"]) == ("COD", ["delivered"], "tier-1")
    assert cod["cod_collected"] == cod["invoice"] == cod["earned"] > 0
    assert cod["freight"] == moved(
        [r for r in rows if r["awb_code"] == delivered_awb and r["charge"] == "Freight Charges"]
    )
    assert cod["cod_fee"] > 0
    assert cod["net"] == cod["earned"] - cod["shipping_cost"] - cod["cod_deductions"]
    rto = by_number[returned["salesorder_number"]]
    assert (rto["outcomes"], rto["earned"], rto["tier"]) == (["rto"], 0, "tier-2/3")
    assert rto["rto_freight"] == moved(
        [r for r in rows if r["awb_code"] == returned_awb and r["charge"].startswith("RTO")]
    )
    assert rto["rto_freight"] > 0
    assert rto["net"] == -rto["shipping_cost"]
    assert report["total"]["shipping_cost"] == moved(rows)
    couriers = report["by_courier"]
    assert (sum(c["shipments"] for c in couriers.values()), sum(c["rtos"] for c in couriers.values())) == (2, 1)
    assert {name: (h["shipments"], h["rto_rate"]) for name, h in report["courier_history"].items()} == {
        name: (c["shipments"], round(c["rtos"] / c["shipments"], 4)) for name, c in couriers.items()
    }
    assert report["by_payment"]["Prepaid"]["rtos"] == 1

    csv_answer = margin(fresh, days="2", format="csv")
    assert csv_answer.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(csv_answer.text)))
    assert {line["salesorder_number"] for line in lines} == set(by_number)
    assert next(line for line in lines if line["salesorder_number"] == rto["salesorder_number"])["net"] == (
        f"{rto['net'] / 100:.2f}"
    )


def test_the_route_refuses_a_bad_period_and_a_caller_without_credentials(fresh: LocalStack) -> None:
    assert margin(fresh, days="0").json()["field"] == "days"
    assert margin(fresh, days="0").status_code == 400
    assert margin(fresh, format="xlsx").status_code == 400
    assert requests.get(f"{fresh.api_url}/admin/margin", timeout=30).status_code in (401, 403)


def test_the_command_prints_the_same_report_and_the_courier_rules_history(fresh: LocalStack, tmp_path: Path) -> None:
    ship(fresh, 73)
    fresh.wait_idle(60)
    path = state_file(fresh, tmp_path)

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shipsync_cli", "--local-stack", str(path), "margin", *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    as_json = command("--json", "--days", "2", "--csv", str(tmp_path / "margin.csv"))
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["reconciliation"]["balanced"] is True
    assert report == margin(fresh, days="2").json()
    assert "SO-00073" in (tmp_path / "margin.csv").read_text(encoding="utf-8")
    history = json.loads(command("--rules-history").stdout)["history"]
    assert set(history) == set(report["by_courier"])
    text = command()
    assert "Margin of 1 order(s)" in text.stdout
    assert "unattributed" not in text.stdout
