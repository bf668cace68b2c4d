"""Shared contract-test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.sim.base import SimServer
from local.sim.zoho import ZohoSim


@pytest.fixture(scope="module")
def zoho_server() -> Iterator[SimServer]:
    # One server per module: stopping a stdlib server costs up to half a second of polling.
    server = SimServer(ZohoSim()).start()
    yield server
    server.stop()
