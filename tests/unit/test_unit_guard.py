"""The unit tier's own guard: no network, no AWS endpoint."""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest

pytestmark = pytest.mark.unit


def test_connections_are_refused_and_recorded(no_network: list[Any]) -> None:
    # Given the unit tier's guard
    # When a test tries to open a connection
    with pytest.raises(RuntimeError, match="must not use the network"):
        socket.create_connection(("192.0.2.10", 443), timeout=1)
    # Then the attempt is refused and recorded (cleared here so this test itself passes)
    assert no_network != []
    no_network.clear()


def test_no_aws_endpoint_is_configured() -> None:
    # Given the unit tier's environment
    # When looking for an AWS endpoint override
    overrides = [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]
    # Then there is none
    assert overrides == []
