"""The warehouse setup check on the local stack (issue 13): ``python -m shipsync_cli pickups`` reads Zoho's
locations and Shiprocket's pickup locations as a deployed function would (the stack's environment, its secrets and
tokens), reports what is wrong with each, and registers the missing ones when asked.

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

from local.sample_data.catalogue import WAREHOUSES
from local.stack import REPO_ROOT, LocalStack
from tests.e2e.test_cancel_flow import provider_calls, spent
from tests.e2e.test_order_flow import sim_state

pytestmark = pytest.mark.e2e

BHIWANDI = "1947583000000200003"
NAGPUR = "1947583000000200004"
KOCHI = "1947583000000200005"


def warehouse(location_id: str, name: str, line_1: str, city: str, state: str, pincode: str) -> dict[str, Any]:
    address = {"street_address1": line_1, "city": city, "state": state, "country": "India"}
    return {
        "location_id": location_id,
        "location_name": name,
        "address": address | {"zip": pincode},
        "phone": "+91 98220 11223",
        "email": "dispatch@seller.example",
        "is_location_active": True,
    }


def state_file(stack: LocalStack, tmp_path: Path, mapping: dict[str, dict[str, str]] | None = None) -> Path:
    """The stack's ``.local-stack.json``, its warehouse mapping extended by ``mapping`` (the seller's edit)."""
    state = stack.state()
    if mapping:
        configured = json.loads(state["environment"]["PICKUP_LOCATIONS_JSON"])
        configured["locations"] |= mapping
        state["environment"]["PICKUP_LOCATIONS_JSON"] = json.dumps(configured)
    path = tmp_path / "local-stack.json"
    path.write_text(json.dumps(state), encoding="utf-8")
    return path


def pickups(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    run = subprocess.run(
        [sys.executable, "-m", "shipsync_cli", "--local-stack", str(path), "pickups", "--json", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(run.stdout)


def problems(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    return sorted((finding["problem"], finding["pickup_location"]) for finding in result["findings"])


def test_the_sample_sellers_two_warehouses_check_clean(fresh: LocalStack, tmp_path: Path) -> None:
    before = provider_calls(fresh)

    code, result = pickups(state_file(fresh, tmp_path))

    assert (code, result["ok"], result["findings"]) == (0, True, [])
    points = {point["pickup_location"]: point for point in result["points"]}
    assert {name: (p["pincode"], p["location_ids"]) for name, p in points.items()} == {
        entry["pickup_location"]: (entry["pincode"], [location_id]) for location_id, entry in WAREHOUSES.items()
    }
    # One list at each provider, and one read per Zoho location (the list does not say which are active).
    assert spent(before, provider_calls(fresh)) == {
        "GET /inventory/v1/locations": 1,
        "GET /inventory/v1/locations/{location_id}": 2,
        "GET /settings/company/pickup": 1,
    }


def test_missing_pickups_are_reported_then_registered_once_and_a_bad_address_is_named(
    fresh: LocalStack, tmp_path: Path
) -> None:
    requests.post(
        f"{fresh.zoho_url}/_sim/seed",
        json={
            "locations": [
                warehouse(
                    BHIWANDI, "Bhiwandi Warehouse", "Unit 7, 45 Kalher Road", "Bhiwandi", "Maharashtra", "421302"
                ),
                # Shiprocket wants a house / flat / road number in address line 1.
                warehouse(NAGPUR, "Nagpur Depot", "Near Old Bus Stand", "Nagpur", "Maharashtra", "440001"),
                warehouse(KOCHI, "Kochi Store", "12 Marine Drive", "Kochi", "Kerala", "682031"),
            ]
        },
        timeout=10,
    ).raise_for_status()
    path = state_file(
        fresh,
        tmp_path,
        {
            BHIWANDI: {"pickup_location": "Bhiwandi-WH", "pincode": "421302"},
            NAGPUR: {"pickup_location": "Nagpur-Depot", "pincode": "440001"},
        },
    )

    code, checked = pickups(path)

    assert code == 1
    assert problems(checked) == [
        ("not_registered", "Bhiwandi-WH"),
        ("not_registered", "Nagpur-Depot"),
        ("unmapped", None),
    ]
    (unmapped,) = (finding for finding in checked["findings"] if finding["problem"] == "unmapped")
    assert unmapped["location_id"] == KOCHI
    assert '{"1947583000000200005": {"pickup_location": "Kochi-Store", "pincode": "682031"}}' in unmapped["fix"]
    assert sorted(checked["registrable"]) == ["Bhiwandi-WH", "Nagpur-Depot"]
    assert "POST /settings/company/addpickup" not in sim_state(fresh.shiprocket_url)["calls"]

    code, registered = pickups(path, "--register")

    assert code == 1
    assert list(registered["registered"]) == ["Bhiwandi-WH"]
    # Registered from Zoho's address and the mapping's pincode; a fresh pickup's phone awaits Shiprocket's OTP.
    assert problems(registered) == [
        ("register_refused", "Nagpur-Depot"),
        ("unmapped", None),
        ("unverified", "Bhiwandi-WH"),
    ]
    (refused,) = (finding for finding in registered["findings"] if finding["problem"] == "register_refused")
    assert "House no / Flat no / Road no" in refused["detail"]
    assert "'Near Old Bus Stand'" in refused["detail"]
    assert "house / flat / plot or road number" in refused["fix"]
    bhiwandi = next(
        location
        for location in sim_state(fresh.shiprocket_url)["pickup_locations"]
        if location["pickup_location"] == "Bhiwandi-WH"
    )
    assert (bhiwandi["pin_code"], bhiwandi["address"], bhiwandi["phone"], bhiwandi["name"]) == (
        "421302",
        "Unit 7, 45 Kalher Road",
        "9822011223",
        "Bhiwandi Warehouse",
    )
    sends = sim_state(fresh.shiprocket_url)["calls"]["POST /settings/company/addpickup"]
    assert sends == 2

    code, again = pickups(path, "--register")

    # Bhiwandi is listed now: never sent again; only Nagpur's refused address is tried once more.
    assert sim_state(fresh.shiprocket_url)["calls"]["POST /settings/company/addpickup"] == sends + 1
    assert (code, again["registered"]) == (1, {})
    assert ("not_registered", "Bhiwandi-WH") not in problems(again)


def test_without_a_running_stack_the_command_says_so(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "shipsync_cli", "--local-stack", str(tmp_path / "none.json"), "pickups"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 2
    assert "make serve" in run.stderr
    assert run.stdout == ""
