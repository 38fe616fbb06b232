"""Integration tier: the local twin over HTTP, started from the real template."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin, env_for_clients
from samtranslator.yaml_helper import yaml_parse

from tests.conftest import ROOT, TEMPLATE

pytestmark = pytest.mark.integration


DEMO_REGISTRY = ROOT / "infra" / "registry" / "demo-640100" / "registry.yaml"


def template_copy() -> dict[str, Any]:
    """template.yaml as data with its code paths made absolute, for a test to change and run elsewhere."""
    template: dict[str, Any] = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    for resource in template["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if isinstance(resource.get("Properties", {}).get(key), str):
                resource["Properties"][key] = str(ROOT / resource["Properties"][key])
    return template


def admin(twin: LocalTwin, *args: str) -> str:
    """Run the `haochaping` admin command against the twin, as an admin would against AWS."""
    cli = Path(sys.executable).parent / "haochaping"
    result = subprocess.run(
        [str(cli), *args, "--stack", twin.stack_name],
        env={**os.environ, **env_for_clients(twin.endpoints)},
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


@pytest.fixture(scope="session")
def district_twin() -> Iterator[LocalTwin]:
    """The demo division, its demo registry loaded through the admin command line."""
    parameters = division_parameters("640100")
    # Execution environments started up front, as `make run` does: tests time the flow, not cold starts.
    twin = LocalTwin(TEMPLATE, parameters, "haochaping-640100", warm=True, clock_hook=CLOCK_HOOK)
    twin.start()
    try:
        admin(twin, "registry", "load", str(DEMO_REGISTRY))
        yield twin
    finally:
        twin.stop()


@pytest.fixture(scope="session")
def plate_sig(district_twin: LocalTwin) -> Callable[[str], str]:
    """The signature from a window's QR plate URL, as printed by `haochaping qr url`."""
    return lambda window_code: plate_sig_of(district_twin, window_code)


def plate_sig_of(twin: LocalTwin, window_code: str) -> str:
    """The `sig` of a window's plate URL on this twin, from `haochaping qr url`."""
    url = admin(twin, "qr", "url", window_code).strip()
    return parse_qs(urlparse(url).query)["sig"][0]


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


def next_step_at(twin: LocalTwin, code: str) -> datetime | None:
    """When the task's next step comes, as the EscalationDue index holds it (None: out of the index)."""
    table = twin.function_environment("EscalateFunction")["RATINGS_TABLE"]
    item = twin.client("dynamodb").get_item(
        TableName=table, Key={"pk": {"S": f"TASK#{code}"}, "sk": {"S": "TASK"}}, ConsistentRead=True
    )["Item"]
    if "next_step_at" not in item:
        return None
    return datetime.fromisoformat(item["next_step_at"]["S"]).astimezone(UTC)
