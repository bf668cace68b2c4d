"""Shared contract-test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from local.sim.base import SimServer
from local.sim.shiprocket import ShiprocketSim
from local.sim.zoho import ZohoSim


@pytest.fixture(scope="module")
def zoho_server() -> Iterator[SimServer]:
    # One server per module: stopping a stdlib server costs up to half a second of polling.
    server = SimServer(ZohoSim()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shiprocket_server() -> Iterator[SimServer]:
    server = SimServer(ShiprocketSim()).start()
    yield server
    server.stop()


@pytest.fixture
def shiprocket_sim(shiprocket_server: SimServer) -> SimServer:
    """The module's Shiprocket simulator, reset."""
    requests.post(f"{shiprocket_server.url}/_sim/reset", json={}, timeout=5).raise_for_status()
    return shiprocket_server
