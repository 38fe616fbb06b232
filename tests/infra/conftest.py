"""Template tier: what its tests share."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from moto import mock_aws


@pytest.fixture
def offline_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # mock_aws stops intercepting when any endpoint is set, DynamoDB Local's included.
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield
