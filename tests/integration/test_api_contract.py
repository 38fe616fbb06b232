"""The API does what its OpenAPI document says: schemathesis over every operation of the twin, every
check on, with and without a staff token; and the real successes of a bad review's life, each held
against its documented answer.

`make test` runs a bounded run (CONTRACT_EXAMPLES test cases per operation and phase, 25 by default);
`make fuzz` runs the same tests longer.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from localtwin.twin import LocalTwin

from tests.integration.conftest import (
    DEMO_PASSWORD,
    admin,
    demo_staff,
    http,
    plate_sig_of,
    post_rating,
    staff_sign_in,
    wait_for,
)

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "25"))
WINDOW = "YC01-A001"
# The operations behind the staff authorizer; the other operations take no token.
OFFICER_PATHS = r"^/staff/(tasks|reports)"
SUPERVISOR_PATHS = r"^/staff/(suspected-ratings|assessment)"  # the held ratings and the internal lists: a supervisor's
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def twin(district_twin: LocalTwin) -> LocalTwin:
    admin(district_twin, "staff", "users", "--password", DEMO_PASSWORD)
    return district_twin


@pytest.fixture(scope="module")
def officer_token(twin: LocalTwin) -> str:
    # An officer of the hall of the window rated (YC01).
    return staff_sign_in(twin, demo_staff("officer")[0])


@pytest.fixture(scope="module")
def bad_review(twin: LocalTwin) -> str:
    """A real-name bad review whose follow-up task is open: the tracking code the runs may pick."""
    body = {
        "window_code": WINDOW,
        "sig": plate_sig_of(twin, WINDOW),
        "level": 1,
        "submission_id": uuid.uuid4().hex,
        "evaluator": {"name": "契约测试", "phone": "13900001111", "consent": True},
    }
    status, receipt = post_rating(twin, body)  # from a phone that opened the plate's form
    assert status == 201, receipt
    code = str(receipt["tracking_code"])

    def opened() -> bool:
        _, _, raw = http("GET", f"{twin.url}/ratings/{code}?format=json")
        return json.loads(raw)["follow_up_status"] == "verifying"

    wait_for(opened, timeout=60)  # the stream, the queue and the consumer: slow on a busy machine
    return code


def _toml(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string or list of strings is TOML too


@pytest.fixture(scope="module")
def config(twin: LocalTwin, bad_review: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real identifiers beside the generated ones, so that half the cases reach past the 404s: a
    window and its plate signature, and the tracking code of an open task. A rating's body gets the
    window but not the signature: which tags and items a window takes is the registry's data, which
    no schema can hold (a schema-valid rating of a real window may name a tag it does not have)."""
    path = tmp_path_factory.mktemp("schemathesis") / "schemathesis.toml"
    dictionaries = {"windows": [WINDOW], "sigs": [plate_sig_of(twin, WINDOW)], "tracking_codes": [bad_review]}
    bindings = {
        "path.window_code": "windows",
        "query.sig": "sigs",
        "body.window_code": "windows",
        "path.tracking_code": "tracking_codes",
    }
    lines = [
        # Codes, names and free text arrive from phones and PCs in any script.
        'generation.codec = "utf-8"',
        "",
        "[dictionaries]",
        *(f"{name} = {{ values = {_toml(values)} }}" for name, values in dictionaries.items()),
        "",
        "[parameters]",
        *(f"{_toml(key)} = {{ dictionary = {_toml(name)}, probability = 0.5 }}" for key, name in bindings.items()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_schemathesis(twin: LocalTwin, config: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """schemathesis's command line over the twin's document, every check but one (below)."""
    command = [
        str(Path(sys.executable).parent / "st"),
        "--no-color",
        "--config-file",
        str(config),
        "run",
        f"{twin.url}/openapi.json",
        "--checks",
        "all",
        # A method no route declares (TRACE, PUT, …) never reaches a function: API Gateway HTTP
        # APIs answer it 404 {"message":"Not Found"}, not the 405 this check asks for, and no
        # template setting changes that.
        "--exclude-checks",
        "unsupported_method",
        "--max-examples",
        str(EXAMPLES),
        "--generation-database",
        "none",
        # One worker: with threads, Python 3.11's ast module can fail while Hypothesis describes a
        # strategy ("AST constructor recursion depth mismatch"), an error of the tool, not the API.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        *options,
    ]
    # Run beside its configuration: schemathesis keeps a cache in the directory it runs in.
    return subprocess.run(
        command, cwd=config.parent, capture_output=True, text=True, timeout=600 + 3 * EXAMPLES, check=False
    )


def assert_passed(result: subprocess.CompletedProcess[str], operations: int) -> None:
    """The run tested every operation it selected, and no test case failed (the failures listed)."""
    output = result.stdout
    failures = output[output.find("=== FAILURES ===") :] if "=== FAILURES ===" in output else output
    assert result.returncode == 0, f"schemathesis found failures:\n{failures}\n{result.stderr}"
    assert f"Selected: {operations}/" in output, output
    assert f"Tested: {operations}" in output, output
    generated = re.search(r"(\d+) generated, (\d+) passed", output)
    assert generated is not None, output
    assert int(generated[1]) >= 2 * EXAMPLES, output  # an operation without parameters has one case


def operations(twin: LocalTwin, paths: str | None = None) -> int:
    """How many operations the twin's document describes (those behind the staff authorizer whose
    path matches ``paths``, or all), leaving out GET /openapi.json, which schemathesis leaves out as
    the document's own."""
    _, _, raw = http("GET", f"{twin.url}/openapi.json")
    return sum(
        1
        for path, methods in json.loads(raw)["paths"].items()
        for operation in methods.values()
        if path != "/openapi.json" and (paths is None or (operation.get("security") and re.match(paths, path)))
    )


def test_every_operation_without_a_token_does_what_the_document_says(twin: LocalTwin, config: Path) -> None:
    # Given the twin's document, and no staff token (the staff routes answer the gateway's 401)
    # When schemathesis tests every operation with every check
    result = run_schemathesis(twin, config)
    # Then no case fails: no 5xx, every status, body, content type and header as documented
    assert_passed(result, operations(twin))


def test_every_staff_operation_with_a_token_does_what_the_document_says(
    twin: LocalTwin, config: Path, officer_token: str
) -> None:
    # Given an officer's token of the hall of the open task
    # When schemathesis tests the staff operations with it, every check on
    result = run_schemathesis(
        twin, config, "--include-path-regex", OFFICER_PATHS, "--header", f"Authorization: Bearer {officer_token}"
    )
    # Then no case fails, and the token was taken: not every answer was the gateway's 401
    assert_passed(result, operations(twin, OFFICER_PATHS))
    assert "Authentication failed" not in result.stdout, result.stdout


def test_every_supervisor_operation_with_a_token_does_what_the_document_says(twin: LocalTwin, config: Path) -> None:
    # Given a supervisor's token of the hall (the held ratings are theirs to judge)
    token = staff_sign_in(twin, demo_staff("supervisor")[0])
    # When schemathesis tests the supervisors' operations with it, every check on
    result = run_schemathesis(
        twin, config, "--include-path-regex", SUPERVISOR_PATHS, "--header", f"Authorization: Bearer {token}"
    )
    # Then no case fails, and the token was taken
    assert_passed(result, operations(twin, SUPERVISOR_PATHS))
    assert "Authentication failed" not in result.stdout, result.stdout


@pytest.fixture(scope="module")
def document(twin: LocalTwin) -> Any:
    return schemathesis.openapi.from_url(f"{twin.url}/openapi.json")


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as opened:
        yield opened


def test_a_bad_reviews_successes_are_as_documented(twin: LocalTwin, document: Any, session: requests.Session) -> None:
    # Given a window's plate and an officer of its hall
    sig = plate_sig_of(twin, WINDOW)
    submission = {"window_code": WINDOW, "sig": sig, "level": 2, "submission_id": uuid.uuid4().hex}

    def call(path: str, method: str, expected: int, headers: dict[str, str] | None = None, **case: Any) -> Any:
        # Redirects are answers of their own: the 303 is held against the form post's documentation.
        response = (
            document[path][method]
            .Case(**case)
            .call_and_validate(base_url=twin.url, session=session, headers=headers or {}, allow_redirects=False)
        )
        assert response.status_code == expected, response.text
        return response

    # When a citizen opens the form, rates from it (its device cookie sent back), rates the same again and
    # reads the receipt as JSON and as a page
    opened = call("/r/{window_code}", "GET", 200, path_parameters={"window_code": WINDOW}, query={"sig": sig})
    (set_cookie,) = opened.headers["set-cookie"]  # its headers by lower-case name, each a list
    phone = {"Cookie": set_cookie.split(";", 1)[0]}
    receipt = call("/ratings", "POST", 201, headers=phone, body=submission, media_type=JSON).json()
    code, citizen_key = receipt["tracking_code"], receipt["citizen_key"]
    call("/ratings", "POST", 200, headers=phone, body=submission, media_type=JSON)
    wait_for(lambda: session.get(f"{twin.url}/ratings/{code}?format=json").json()["follow_up_status"] != "received", 60)
    for shown in ("json", "html"):
        call("/ratings/{tracking_code}", "GET", 200, path_parameters={"tracking_code": code}, query={"format": shown})
    # And an officer signs in on the console, lists, reads and works the task, then reads the reports
    call("/console", "GET", 200)
    job_number = demo_staff("officer")[0]
    signed_in = call(
        "/staff/session", "POST", 200, body={"username": job_number, "password": DEMO_PASSWORD}, media_type=JSON
    )
    staff = {"Authorization": f"Bearer {signed_in.json()['id_token']}"}
    task = {"tracking_code": code}
    call("/staff/tasks", "GET", 200, headers=staff)
    version = call("/staff/tasks/{tracking_code}", "GET", 200, headers=staff, path_parameters=task).json()["version"]
    move = {"action": "explain", "version": version, "text": "窗口当日系统故障，已说明"}
    call(
        "/staff/tasks/{tracking_code}/actions",
        "POST",
        200,
        headers=staff,
        path_parameters=task,
        body=move,
        media_type=JSON,
    )
    move = {"action": "give_feedback", "version": version + 1, "text": "已向您说明原因"}
    call(
        "/staff/tasks/{tracking_code}/actions",
        "POST",
        200,
        headers=staff,
        path_parameters=task,
        body=move,
        media_type=JSON,
    )
    call("/staff/reports", "GET", 200, headers=staff)
    # And the citizen gives a verdict from the status page's form
    call(
        "/ratings/{tracking_code}/verdict",
        "POST",
        303,
        path_parameters=task,
        body={"verdict": "satisfied", "lang": "zh", "citizen_key": citizen_key},
        media_type=FORM,
    )
    # Then every answer matched its documented status, content type, headers and body (call_and_validate)


def test_a_body_the_api_does_not_read_is_415_in_the_documented_shape(twin: LocalTwin) -> None:
    # Given the reproducer of the multipart 500: a multipart body without its boundary
    # When posting it to POST /ratings
    status, headers, raw = http("POST", f"{twin.url}/ratings", b"{}", {"Content-Type": "multipart/form-data"})
    # Then it is refused with 415, in the error shape the document gives for it
    _, _, document = http("GET", f"{twin.url}/openapi.json")
    answer = json.loads(document)["paths"]["/ratings"]["post"]["responses"]["415"]
    assert status == 415
    assert headers["Content-Type"] == JSON
    assert answer["content"][JSON]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    assert json.loads(raw)["error"]["code"] == "unsupported_content_type"
