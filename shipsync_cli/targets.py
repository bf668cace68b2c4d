"""Where the command's stack is: the environment one of its functions runs with.

A deployed stack: the order-confirmed function's configuration, read with boto3 (the caller's own AWS
credentials reach the secrets and tables; the function's names and settings come from its environment). A local
stack (``make serve``): the ``environment`` of its ``.local-stack.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

# The function whose environment the command borrows: it has the provider clients and the warehouse mapping.
ORDER_FUNCTION = "OrderConfirmedFunction"


class TargetError(Exception):
    """The stack cannot be found or read."""


class CloudFormation(Protocol):
    def describe_stack_resource(self, **kwargs: Any) -> dict[str, Any]: ...


class Lambda(Protocol):
    def get_function_configuration(self, **kwargs: Any) -> dict[str, Any]: ...


def local_environment(state_file: Path) -> dict[str, str]:
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetError(f"{state_file} not found: start the local stack with `make serve`") from None
    except ValueError as err:
        raise TargetError(f"{state_file} is not JSON: {err}") from err
    environment = state.get("environment") if isinstance(state, dict) else None
    if not isinstance(environment, dict):
        raise TargetError(f"{state_file} has no environment: restart `make serve` with this checkout")
    return {str(name): str(value) for name, value in environment.items()}


def deployed_environment(stack: str, cloudformation: CloudFormation, lambda_: Lambda) -> dict[str, str]:
    try:
        resource = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=ORDER_FUNCTION)
        name = resource["StackResourceDetail"]["PhysicalResourceId"]
        configuration = lambda_.get_function_configuration(FunctionName=name)
    except Exception as err:  # botocore's errors carry the reason (no stack, no access): say it as it is
        raise TargetError(f"stack {stack}: {err}") from err
    variables = configuration.get("Environment", {}).get("Variables", {})
    if not variables:
        raise TargetError(f"stack {stack}: function {name} has no environment")
    return {str(key): str(value) for key, value in variables.items()}


class StackDescriptions(Protocol):
    def describe_stacks(self, **kwargs: Any) -> dict[str, Any]: ...


def stack_outputs(stack: str, cloudformation: StackDescriptions) -> dict[str, str]:
    """The deployed stack's outputs by key: the DLQ commands find every queue there, where the order function's
    environment names only its own (``cloudformation:DescribeStacks``)."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except Exception as err:  # botocore's errors carry the reason (no stack, no access): say it as it is
        raise TargetError(f"stack {stack}: {err}") from err
    outputs = stacks[0].get("Outputs", []) if stacks else []
    return {str(output["OutputKey"]): str(output["OutputValue"]) for output in outputs}
