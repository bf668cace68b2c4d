"""What the day needs from a stack, and the simulators' control routes (``/_sim/...``) it seeds and reads."""

from __future__ import annotations

from typing import Any, Protocol

import requests


class Stack(Protocol):
    """What the sample day needs from a stack: ``local.stack.LocalStack`` or a running ``make serve``."""

    api_url: str
    shiprocket_url: str
    zoho_url: str
    tokens: dict[str, str]

    def wait_idle(self, timeout: float = 30.0) -> None: ...

    def queue_depths(self) -> dict[str, int]: ...

    def queue_url(self, logical_id: str) -> str: ...

    def alerts(self) -> list[dict[str, Any]]: ...


def sim_get(url: str, path: str) -> dict[str, Any]:
    response = requests.get(url.rstrip("/") + path, timeout=30)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def sim_post(url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(url.rstrip("/") + path, json=body, timeout=30)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def ours(zoho_state: dict[str, Any], numbers: set[str]) -> dict[str, dict[str, Any]]:
    return {so["salesorder_number"]: so for so in zoho_state["salesorders"] if so["salesorder_number"] in numbers}


def shipment_status(so: dict[str, Any] | None) -> str:
    if so is None:
        return ""
    return str((so.get("custom_field_hash") or {}).get("cf_shipment_status") or "")
