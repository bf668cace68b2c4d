"""Shared unit-test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from moto import mock_aws

from tests.fixtures.aws import reset_aws_caches


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in ap-south-1 with dummy keys; AWS_ENDPOINT_URL removed so nothing escapes to a local stack."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        reset_aws_caches()
        yield
        reset_aws_caches()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """Mocked HTTP that fails the test on an unregistered request or on a registered one never made."""
    with responses.RequestsMock() as mock:
        yield mock
