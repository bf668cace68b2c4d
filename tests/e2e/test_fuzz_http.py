"""The HTTP fuzz (``python -m local.fuzz``, ``make fuzz``) in a small run: hostile requests over the six routes
that take a body, of a real local stack, its own process, as an outside client sends them. ~15 s; ``make fuzz``
sends 6,000."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_hostile_requests_over_http_get_no_5xx_and_a_valid_order_still_ships(tmp_path: Path) -> None:
    report_path = tmp_path / "fuzz.json"
    done = subprocess.run(
        [sys.executable, "-m", "local.fuzz", "--requests", "500", "--seed", "11", "--report", str(report_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["requests"] == 500, done.stdout + done.stderr
    assert report["five_xx"] == 0, report["server_errors"]
    assert report["transport_errors"] == {}
    assert report["provider_writes"] == {}
    assert set(report["by_route"]) == {
        "zoho-salesorders",
        "shipment-status",
        "cod-remittance",
        "returns",
        "tokens-refresh",
        "wallet-statement",
    }
    # Both sides were tried: valid requests accepted, hostile ones refused.
    statuses = {int(status) for counts in report["by_route"].values() for status in counts}
    assert {200, 202, 400, 413, 415} <= statuses
    assert report["valid_order"]["cf_shipment_status"] == "Pickup Scheduled"
    assert done.returncode == 0, done.stdout
