"""``python -m local.sample_day --report run.json`` writes ``run.html`` beside it, with the JSON's numbers.

The rule-path day in its own process, as tests/e2e/test_sample_day.py's ``replay`` fixture runs it (that fixture is
module-scoped there, so it is not shared): ~20 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_run_html import numbers_differing, read_page

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_the_sample_day_writes_its_page_beside_the_report(tmp_path: Path) -> None:
    report_path = tmp_path / "run.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "local.sample_day",
            "--rule-paths",
            "--port",
            "0",
            "--timeout",
            "120",
            "--report",
            str(report_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    page_path = tmp_path / "run.html"
    assert page_path.exists(), done.stderr[-2000:]
    assert str(page_path) in done.stdout
    report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    page = page_path.read_text(encoding="utf-8")
    assert numbers_differing(page, report) == []
    keys = {attrs["data-key"] for attrs, _ in read_page(page).numbers}
    assert {"orders.shipped", "dlq.OrderDLQ", "remittance.cod_collected", "wallet.margin.total.net"} <= keys
    assert all(f"shipped_by_courier.{courier}" in keys for courier in report["shipped_by_courier"])
    assert "<script" not in page.lower()
