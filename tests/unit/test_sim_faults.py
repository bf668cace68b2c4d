"""The simulators' fault rules (local.sim.base): a seeded probability, a method filter, pass-through rules,
the count of faults applied, and /_sim/* never faulted: what the chaos day's storm is made of."""

from __future__ import annotations

import json
from typing import Any

from local.sim.base import Response, SimApp


class EchoSim(SimApp):
    name = "echo"

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", "/things/{id}")(lambda request: Response(200, {"id": request.params["id"]}))
        self.route("POST", "/things")(lambda request: Response(201, {"made": True}))
        self.route("POST", "/auth")(lambda request: Response(200, {"token": "t"}))

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {}

    def snapshot(self) -> dict[str, Any]:
        return {}

    def reset(self) -> None:
        return None


def faults(sim: SimApp, body: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = sim.handle("POST", "/_sim/faults", {}, json.dumps(body).encode()).body
    return answer


def statuses(sim: SimApp, calls: int, method: str = "GET", path: str = "/things/1") -> list[int]:
    return [sim.handle(method, path, {}, b"{}").status for _ in range(calls)]


def test_a_probability_faults_about_that_share_of_calls_and_a_seed_repeats_the_storm() -> None:
    sim = EchoSim()
    faults(sim, {"seed": 7, "rules": [{"endpoint": "*", "status": 503, "probability": 0.1}]})
    first = statuses(sim, 2000)
    assert 150 <= first.count(503) <= 250
    assert set(first) == {200, 503}

    faults(sim, {"clear": True, "seed": 7, "rules": [{"endpoint": "*", "status": 503, "probability": 0.1}]})
    assert statuses(sim, 2000) == first
    faults(sim, {"clear": True, "seed": 8, "rules": [{"endpoint": "*", "status": 503, "probability": 0.1}]})
    assert statuses(sim, 2000) != first


def test_methods_pass_through_rules_and_the_applied_count() -> None:
    sim = EchoSim()
    answer = faults(
        sim,
        {
            "rules": [
                {"endpoint": "POST /auth"},  # kept out of the storm below
                {"endpoint": "*", "status": 500, "methods": ["POST"]},
            ]
        },
    )
    assert answer["applied"] == {}
    assert statuses(sim, 3, "POST", "/auth") == [200, 200, 200]
    assert statuses(sim, 2, "GET") == [200, 200]
    assert statuses(sim, 2, "POST", "/things") == [500, 500]
    applied = sim.handle("GET", "/_sim/faults", {}, b"").body["applied"]
    assert applied == {"500": 2}


def test_the_simulator_s_own_routes_are_never_faulted() -> None:
    sim = EchoSim()
    faults(sim, {"rules": [{"endpoint": "*", "status": 503}]})
    assert sim.handle("GET", "/_sim/state", {}, b"").status == 200
    assert sim.handle("POST", "/_sim/faults", {}, b'{"clear": true}').status == 200
    assert statuses(sim, 1) == [200]
