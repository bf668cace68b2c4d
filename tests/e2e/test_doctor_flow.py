"""``python -m shipsync_cli doctor`` on the local stack (issue 15): a fresh stack checks clean but for what only a
person can check; a custom field taken out of the seller's Zoho and a pickup location whose phone Shiprocket has not
verified are each reported with the step that fixes it; a token Zoho no longer takes is reported without the doctor
asking token-refresh for a new one. Each run is a process of its own, with the stack's environment, as an operator
runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from local.sim.zoho import DEFAULT_SALESORDER_CUSTOM_FIELDS
from local.stack import REPO_ROOT, LocalStack
from tests.e2e.test_cancel_flow import provider_calls, spent
from tests.e2e.test_order_flow import sim_state
from tests.e2e.test_pickup_setup_flow import state_file
from tests.unit.test_doctor import ALL_OK

pytestmark = pytest.mark.e2e


def doctor(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shipsync_cli", "--local-stack", str(path), "doctor", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def doctor_json(path: Path) -> tuple[int, dict[str, Any]]:
    run = doctor(path, "--json")
    assert run.returncode in (0, 1, 2), run.stderr
    return run.returncode, json.loads(run.stdout)


def checks(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["check"]: check for check in result["checks"]}


def verdicts(result: dict[str, Any]) -> dict[str, str]:
    return {name: check["verdict"] for name, check in checks(result).items()}


def findings(result: dict[str, Any], name: str) -> list[tuple[str, str]]:
    return [(finding["subject"], finding["kind"]) for finding in checks(result)[name]["findings"]]


def test_a_fresh_stack_checks_clean_reading_only(fresh: LocalStack, tmp_path: Path) -> None:
    before = provider_calls(fresh)
    mints = sim_state(fresh.zoho_url)["token_mints"]

    code, result = doctor_json(state_file(fresh, tmp_path))

    assert (code, verdicts(result)) == (0, ALL_OK), json.dumps(result, indent=2)
    assert (result["ok"], result["problems"], result["unchecked"], result["by_hand"]) == (True, 0, 0, 2)
    # The local stack's topic delivers to the SQS inbox that `make run` reads its pages from (local/aws.py).
    assert checks(result)["alarms"]["summary"] == "1 confirmed: sqs local-ops-alerts-inbox"
    status_url = fresh.api_url + "/webhooks/shipment-status"
    assert checks(result)["shiprocket_webhook_url"]["summary"].startswith(status_url + ": none of")
    assert fresh.api_url + "/webhooks/zoho/salesorders" in checks(result)["zoho_webhook"]["by_hand"]
    # Reads only: a token probe at each provider, the custom fields, and the pickup check's own reads.
    assert spent(before, provider_calls(fresh)) == {
        "GET /inventory/v1/locations": 2,
        "GET /inventory/v1/locations/{location_id}": 2,
        "GET /inventory/v1/settings/preferences": 1,
        "GET /settings/company/pickup": 2,
    }
    fresh.wait_idle()
    assert sim_state(fresh.zoho_url)["token_mints"] == mints


def test_a_missing_custom_field_and_an_unverified_pickup_are_reported_with_their_fix(
    fresh: LocalStack, tmp_path: Path
) -> None:
    # The seller deleted the label field in Zoho; Shiprocket shows the Hadapsar pickup's phone unverified.
    kept = [field for field in DEFAULT_SALESORDER_CUSTOM_FIELDS if field["api_name"] != "cf_label_url"]
    requests.post(
        f"{fresh.zoho_url}/_sim/seed", json={"customfields": {"salesorder": kept}}, timeout=10
    ).raise_for_status()
    unverified = {"pickup_location": "Pune-WH1", "pin_code": "411028", "phone_verified": 0}
    requests.post(
        f"{fresh.shiprocket_url}/_sim/seed", json={"pickup_locations": [unverified]}, timeout=10
    ).raise_for_status()
    path = state_file(fresh, tmp_path)

    code, result = doctor_json(path)

    assert code == 1
    assert verdicts(result) == ALL_OK | {"zoho_custom_fields": "problem", "pickup_locations": "problem"}
    assert findings(result, "zoho_custom_fields") == [("cf_label_url", "missing")]
    assert findings(result, "pickup_locations") == [("Pune-WH1", "unverified")]
    (field,) = checks(result)["zoho_custom_fields"]["findings"]
    assert field["fix"].startswith("create a sales-order custom field with API name cf_label_url")
    (pickup,) = checks(result)["pickup_locations"]["findings"]
    assert "verify the phone with the OTP in the Shiprocket panel" in pickup["fix"]

    text = doctor(path)

    assert text.returncode == 1
    assert "  PROBLEM      Zoho custom fields (sales orders): 9 of 10 present and active" in text.stdout
    assert "      Pune-WH1 [unverified]: pickup location 'Pune-WH1'" in text.stdout
    assert "        fix: verify the phone with the OTP" in text.stdout
    assert text.stdout.rstrip().endswith("\n11 checks: 7 ok, 2 with problems, 0 not checked, 2 to check by hand.")


def test_a_token_zoho_refuses_is_reported_and_no_new_one_is_asked_for(fresh: LocalStack, tmp_path: Path) -> None:
    requests.post(f"{fresh.zoho_url}/_sim/expire-tokens", timeout=10).raise_for_status()
    mints = sim_state(fresh.zoho_url)["token_mints"]

    code, result = doctor_json(state_file(fresh, tmp_path))

    assert code == 1
    assert findings(result, "zoho_token") == [("GET /locations", "token_rejected")]
    # What needs Zoho is left unchecked, with its way to check by hand; Shiprocket's token still works.
    assert verdicts(result)["zoho_custom_fields"] == verdicts(result)["pickup_locations"] == "cannot_check"
    assert verdicts(result)["shiprocket_token"] == "ok"
    assert 'POST /tokens/refresh {"provider": "zoho"}' in checks(result)["zoho_token"]["findings"][0]["fix"]
    # Read-only: no refresh request reached token-refresh, so nothing was minted.
    fresh.wait_idle()
    assert sim_state(fresh.zoho_url)["token_mints"] == mints


def test_a_token_missing_from_the_store_is_reported_without_a_provider_call(fresh: LocalStack, tmp_path: Path) -> None:
    from local.aws import client

    # As before token-refresh's first run: the Zoho secret without its access token.
    secrets = client("secretsmanager")
    secret_id = fresh.runner.resources.ref("ZohoSecret")
    document = json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])
    document.pop("access_token")
    secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps(document))
    before, mints = provider_calls(fresh), sim_state(fresh.zoho_url)["token_mints"]

    code, result = doctor_json(state_file(fresh, tmp_path))

    assert code == 1
    assert findings(result, "zoho_token") == [("access_token", "token_missing")]
    # No Zoho call at all; the token providers would have asked token-refresh for a token (a queue write), the
    # doctor does not: nothing was minted once the stack went idle.
    assert not [endpoint for endpoint in spent(before, provider_calls(fresh)) if "/inventory/" in endpoint]
    fresh.wait_idle()
    assert sim_state(fresh.zoho_url)["token_mints"] == mints
