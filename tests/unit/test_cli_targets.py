"""Where ``python -m shipsync_cli`` finds its stack: a deployed stack's order function, or a local state file."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from shipsync_cli.app import CANNOT_RUN, main
from shipsync_cli.targets import ORDER_FUNCTION, TargetError, deployed_environment, local_environment


class FakeCloudFormation:
    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    def describe_stack_resource(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(kwargs)
        if kwargs["StackName"] != "shipsync-prod":
            raise RuntimeError("Stack with id shipsync-dev does not exist")
        return {"StackResourceDetail": {"PhysicalResourceId": "shipsync-prod-OrderConfirmed-Ab12"}}


class FakeLambda:
    def get_function_configuration(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs == {"FunctionName": "shipsync-prod-OrderConfirmed-Ab12"}
        return {"Environment": {"Variables": {"LEDGER_TABLE": "shipsync-prod-ledger", "PICKUP_POSTCODE": "411001"}}}


def test_a_deployed_stack_lends_its_order_functions_environment() -> None:
    cloudformation = FakeCloudFormation()

    environment = deployed_environment("shipsync-prod", cloudformation, FakeLambda())

    assert environment == {"LEDGER_TABLE": "shipsync-prod-ledger", "PICKUP_POSTCODE": "411001"}
    assert cloudformation.asked == [{"StackName": "shipsync-prod", "LogicalResourceId": ORDER_FUNCTION}]


def test_a_stack_that_cannot_be_read_is_named() -> None:
    with pytest.raises(TargetError, match="stack shipsync-dev: Stack with id shipsync-dev does not exist"):
        deployed_environment("shipsync-dev", FakeCloudFormation(), FakeLambda())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "start the local stack with `make serve`"),
        ("{not json", "is not JSON"),
        (json.dumps({"api": "http://127.0.0.1:3000"}), "has no environment"),
    ],
)
def test_a_local_state_file_that_is_missing_or_old_is_named(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / ".local-stack.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(TargetError, match=message):
        local_environment(path)
    assert main(["--local-stack", str(path), "pickups"], io.StringIO(), err) == CANNOT_RUN
    assert message in err.getvalue()


def test_a_local_state_files_environment_is_taken_as_strings(tmp_path: Path) -> None:
    path = tmp_path / ".local-stack.json"
    path.write_text(json.dumps({"environment": {"QUIET_AFTER_MINUTES": 360, "STAGE": "local"}}), encoding="utf-8")

    assert local_environment(path) == {"QUIET_AFTER_MINUTES": "360", "STAGE": "local"}
