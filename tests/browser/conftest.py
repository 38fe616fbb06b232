"""Browser tier: the citizen's pages in headless Chromium (Debian's build) against the twin."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin, env_for_clients
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import ROOT, TEMPLATE
from tests.least_privilege import recording_iam_usage

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DEMO_REGISTRY = ROOT / "infra" / "registry" / "demo-640100" / "registry.yaml"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--disable-component-update",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session", autouse=True)
def iam_usage_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The twins record their functions' IAM usage in the session's directory, with the integration
    tier's: its least-privilege check, run last, reads both."""
    with recording_iam_usage(tmp_path_factory) as directory:
        yield directory


@pytest.fixture(scope="session")
def demo_twin() -> Iterator[LocalTwin]:
    """The demo division with its demo registry loaded through the admin command line."""
    with demo_division("haochaping-640100") as twin:
        yield twin


@contextmanager
def demo_division(stack_name: str) -> Iterator[LocalTwin]:
    """A twin of the demo division serving on a free port, its registry loaded as an admin would."""
    port = _free_port()
    parameters = division_parameters("640100")
    parameters["PublicBaseUrl"] = f"http://127.0.0.1:{port}"
    twin = LocalTwin(TEMPLATE, parameters, stack_name, http_port=port, clock_hook=CLOCK_HOOK)
    twin.start()
    try:
        cli = Path(sys.executable).parent / "haochaping"
        subprocess.run(
            [str(cli), "registry", "load", str(DEMO_REGISTRY), "--stack", twin.stack_name],
            env={**os.environ, **env_for_clients(twin.endpoints)},
            check=True,
            capture_output=True,
        )
        yield twin
    finally:
        twin.stop()


def plate_url(twin: LocalTwin, window_code: str) -> str:
    cli = Path(sys.executable).parent / "haochaping"
    result = subprocess.run(
        [str(cli), "qr", "url", window_code, "--stack", twin.stack_name],
        env={**os.environ, **env_for_clients(twin.endpoints)},
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip().split()[-1]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `bash infra/system-deps.sh` (Debian package chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def signing_secret(twin: LocalTwin) -> bytes:
    client = boto3.client(
        "secretsmanager",
        **{
            "endpoint_url": twin.endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "x",
            "aws_secret_access_key": "x",
        },
    )
    value = client.get_secret_value(SecretId=f"haochaping/{twin.parameters['DivisionCode']}/signing")
    return str(value["SecretString"]).encode()
