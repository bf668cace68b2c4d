"""The bench's Zoho calls per lifecycle (local.bench.zoho_lifecycles): read from the sample day's report, a
delivered COD order's lifecycle adds its remittance's calls, each figure beside issue 16's goal."""

from __future__ import annotations

from typing import Any

from local.bench import ZOHO_LIFECYCLE_GOALS, zoho_lifecycles


def report(remitted: float | None) -> dict[str, Any]:
    return {
        "zoho_calls_per_lifecycle": {
            "confirm": 3.35,
            "delivered": {"confirm": 3.35, "tracking": 2.0, "total": 5.35},
            "rto": {"confirm": 3.35, "tracking_to_last_leg": 0.83, "rto_delivered_and_restock": 7.0, "total": 11.18},
        },
        "remittance": {"zoho_calls_per_remitted_order": remitted},
    }


def test_each_lifecycle_is_set_beside_its_goal() -> None:
    figures = zoho_lifecycles(report(4.73))

    assert {name: row["calls"] for name, row in figures.items()} == {
        "confirm": 3.35,
        "delivered_prepaid": 5.35,
        "delivered_and_remitted_cod": 10.08,
        "rto": 11.18,
    }
    assert {name: row["met"] for name, row in figures.items()} == {
        "confirm": False,
        "delivered_prepaid": True,
        "delivered_and_remitted_cod": False,
        "rto": True,
    }
    assert {name: row["goal"] for name, row in figures.items()} == ZOHO_LIFECYCLE_GOALS


def test_a_day_without_a_remittance_has_no_cod_figure_and_does_not_meet_it() -> None:
    cod = zoho_lifecycles(report(None))["delivered_and_remitted_cod"]

    assert (cod["calls"], cod["met"]) == (None, False)
