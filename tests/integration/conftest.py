"""Integration tier: the local twin over HTTP, started from the real template.

Every twin the session starts records what its functions' allowed AWS calls did in one directory
(``iam_usage_dir``); the least-privilege check (test_least_privilege_by_use.py) reads it, so it is
moved after every other test of the session, and judges only when the whole tier ran.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from haochaping.adapters import keys
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin, env_for_clients
from samtranslator.yaml_helper import yaml_parse

from tests.conftest import ROOT, TEMPLATE
from tests.least_privilege import recording_iam_usage

pytestmark = pytest.mark.integration


DEMO_REGISTRY = ROOT / "infra" / "registry" / "demo-640100" / "registry.yaml"
DEMO_STAFF = ROOT / "infra" / "registry" / "demo-640100" / "csv" / "staff.csv"
# The demo staff's console password, as `make run` gives them (`haochaping staff users`): on the twin only.
DEMO_PASSWORD = "Demo-Console-2026"
HERE = Path(__file__).resolve().parent
LEAST_PRIVILEGE_CHECK = "test_least_privilege_by_use.py"
# Whether this session runs every test of the tier: the least-privilege check judges only then.
WHOLE_TIER = pytest.StashKey[bool]()
_DESELECTED_HERE = pytest.StashKey[bool]()


def pytest_deselected(items: list[pytest.Item]) -> None:
    if any(item.path.resolve().is_relative_to(HERE) for item in items):
        items[0].config.stash[_DESELECTED_HERE] = True


@pytest.hookimpl(trylast=True)  # after -k, -m and --deselect have taken their items out
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The least-privilege check runs last in the session (after the browser tier too), when every
    twin has recorded what its functions used."""
    checks = [item for item in items if item.path.name == LEAST_PRIVILEGE_CHECK]
    items[:] = [item for item in items if item.path.name != LEAST_PRIVILEGE_CHECK] + checks
    config.stash[WHOLE_TIER] = _whole_tier(config, items)


def _whole_tier(config: pytest.Config, items: list[pytest.Item]) -> bool:
    if config.stash.get(_DESELECTED_HERE, False):
        return False
    start = config.invocation_params.dir
    for argument in config.args:
        path, _, test = argument.partition("::")
        if test and (start / path).resolve().is_relative_to(HERE):
            return False  # some tests of a file only
    collected = {item.path.resolve() for item in items}
    return all(path.resolve() in collected for path in HERE.glob("test_*.py"))


@pytest.fixture(scope="session", autouse=True)
def iam_usage_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's directory where every twin records its functions' IAM usage (localtwin.iam_usage)."""
    with recording_iam_usage(tmp_path_factory) as directory:
        yield directory


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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the redirect is the answer, as a browser's network log shows it


_NOT_FOLLOWING = urllib.request.build_opener(_NoRedirect)


def http(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    follow_redirects: bool = True,
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = urllib.request.urlopen if follow_redirects else _NOT_FOLLOWING.open
    try:
        with opener(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def post_json(url: str, payload: Any) -> tuple[int, dict[str, Any]]:
    status, _, body = http("POST", url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    return status, json.loads(body)


def device_cookie(twin: LocalTwin, window_code: str, sig: str) -> str:
    """The device cookie a citizen's phone gets when it opens the form a plate links to (as ``name=value``)."""
    status, headers, body = http(
        "GET", f"{twin.url}/r/{window_code}?{urlencode({'sig': sig})}", headers={"Accept": "text/html"}
    )
    assert status == 200, body[:300]
    cookie = headers.get("Set-Cookie")
    assert cookie, "the form set no device cookie"
    return cookie.split(";", 1)[0]


def post_rating(twin: LocalTwin, body: dict[str, Any], cookie: str | None = None) -> tuple[int, dict[str, Any]]:
    """POST /ratings as a citizen's phone sends it as JSON: with the device cookie of the form the
    plate opens (opened first, unless the phone already holds ``cookie``). (status, receipt or error)."""
    cookie = cookie or device_cookie(twin, str(body["window_code"]), str(body["sig"]))
    headers = {"Content-Type": "application/json", "Cookie": cookie}
    status, _, raw = http("POST", f"{twin.url}/ratings", json.dumps(body, ensure_ascii=False).encode(), headers)
    return status, json.loads(raw)


def rate(twin: LocalTwin, window_code: str, sig: str, level: int = 1, **fields: Any) -> tuple[int, dict[str, Any]]:
    """A new rating from a new phone (the plate's form opened, then the rating sent as JSON)."""
    body = {"window_code": window_code, "sig": sig, "level": level, "submission_id": uuid.uuid4().hex, **fields}
    return post_rating(twin, body)


def demo_staff(role: str, hall: str = "YC01") -> list[str]:
    """The job numbers of the demo registry's staff with this role in this hall."""
    with DEMO_STAFF.open(encoding="utf-8") as rows:
        return [r["job_number"] for r in csv.DictReader(rows) if r["role"] == role and r["hall_code"] == hall]


def staff_sign_in(twin: LocalTwin, job_number: str, password: str = DEMO_PASSWORD) -> str:
    """The staff member's id token, signed in with a password as the console does (POST /staff/session)."""
    status, body = post_json(f"{twin.url}/staff/session", {"username": job_number, "password": password})
    assert status == 200, body
    return str(body["id_token"])


def staff_task(twin: LocalTwin, token: str, code: str) -> tuple[int, dict[str, Any]]:
    """The follow-up task of a rating, as the staff member with this token sees it: (status, body)."""
    status, _, raw = http("GET", f"{twin.url}/staff/tasks/{code}", headers={"Authorization": f"Bearer {token}"})
    return status, json.loads(raw)


def staff_act(twin: LocalTwin, token: str, code: str, action: str, **fields: Any) -> tuple[int, dict[str, Any]]:
    """Take an action on the task at the version it has now (read first): (status, body)."""
    _, task = staff_task(twin, token, code)
    status, _, raw = http(
        "POST",
        f"{twin.url}/staff/tasks/{code}/actions",
        json.dumps({"action": action, "version": task["version"], **fields}).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    return status, json.loads(raw)


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
        TableName=table, Key={"pk": {"S": keys.task_key(code)}, "sk": {"S": keys.TASK_SORT_KEY}}, ConsistentRead=True
    )["Item"]
    if "next_step_at" not in item:
        return None
    return datetime.fromisoformat(item["next_step_at"]["S"]).astimezone(UTC)
