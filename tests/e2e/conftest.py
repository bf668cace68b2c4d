"""End-to-end fixtures: the whole local stack (moto + simulators + runner), started once per session.

``stack`` is session-scoped (each pytest-xdist worker starts its own on free ports);
``fresh`` resets it before a test that needs a clean slate (simulators, queues, tables,
secrets, alerts, metrics) and returns the same object.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.stack import LocalStack


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    with LocalStack(api_port=0) as local_stack:
        yield local_stack


@pytest.fixture
def fresh(stack: LocalStack) -> LocalStack:
    stack.reset()
    return stack
