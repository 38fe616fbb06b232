"""Integration tier: the local twin over HTTP, started from the real template."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin

from tests.conftest import TEMPLATE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def district_twin() -> Iterator[LocalTwin]:
    parameters = division_parameters("640100")
    twin = LocalTwin(TEMPLATE, parameters, "haochaping-640100")
    twin.start()
    try:
        yield twin
    finally:
        twin.stop()


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def post_json(url: str, payload: Any) -> tuple[int, dict[str, Any]]:
    status, _, body = http("POST", url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    return status, json.loads(body)


def wait_for(condition: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """Poll until condition() is truthy; returns its value, or fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {timeout} s")
        time.sleep(interval)
