"""A bad review's whole life on the twin: queue, task, staff sign-in (Cognito), every outcome,
the citizen's verdict and appeal (with the key from their receipt, which staff never have)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from localtwin.twin import LocalTwin

from tests.integration.conftest import (
    DEMO_PASSWORD,
    admin,
    demo_staff,
    device_cookie,
    http,
    post_json,
    rate,
    staff_act,
    staff_sign_in,
    staff_task,
    wait_for,
)

pytestmark = pytest.mark.integration

WINDOW = "YC01-A001"
PHONE = "13955556666"
NAME = "回访测试人"


@pytest.fixture(scope="module")
def staff_ready(district_twin: LocalTwin) -> LocalTwin:
    admin(district_twin, "staff", "users", "--password", DEMO_PASSWORD)
    return district_twin


@pytest.fixture(scope="module")
def sign_in(staff_ready: LocalTwin) -> Callable[[str], str]:
    tokens: dict[str, str] = {}

    def token(job_number: str) -> str:
        if job_number not in tokens:
            tokens[job_number] = staff_sign_in(staff_ready, job_number)
        return tokens[job_number]

    return token


# Each rating's citizen's key, from its receipt: what the citizen's link carries.
CITIZEN_KEYS: dict[str, str] = {}


def _rate(twin: LocalTwin, sig: str, real_name: bool) -> str:
    fields: dict[str, Any] = {"evaluator": {"name": NAME, "phone": PHONE, "consent": True}} if real_name else {}
    status, receipt = rate(twin, WINDOW, sig, **fields)
    assert status == 201, receipt
    CITIZEN_KEYS[receipt["tracking_code"]] = receipt["citizen_key"]
    return str(receipt["tracking_code"])


def _as_citizen(twin: LocalTwin, code: str, what: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The citizen's verdict or appeal, with the key their receipt gave."""
    return post_json(f"{twin.url}/ratings/{code}/{what}", {**body, "citizen_key": CITIZEN_KEYS[code]})


def _status(twin: LocalTwin, code: str) -> dict[str, Any]:
    _, _, raw = http("GET", f"{twin.url}/ratings/{code}?format=json")
    return json.loads(raw)


def _opened(twin: LocalTwin, code: str, timeout: float = 30.0) -> None:
    """Wait for the task to open. The pace of opening tasks is measured by `make bench-load` (how
    soon the queues drain after the last rating), not here: on a busy machine a bound of a few
    seconds fails for the machine, not for the code."""
    wait_for(lambda: _status(twin, code)["follow_up_status"] == "verifying", timeout=timeout)


def test_real_name_bad_review_is_rectified_called_back_after_the_fix_and_closed(staff_ready, sign_in, plate_sig):
    # Given a real-name 非常不满意 rating
    code = _rate(staff_ready, plate_sig(WINDOW), real_name=True)
    # Then its task opens
    _opened(staff_ready, code)
    officer = sign_in(demo_staff("officer")[0])
    status, task = staff_task(staff_ready, officer, code)
    assert status == 200
    assert task["evaluator"] == {"name": NAME, "phone": PHONE}
    # When the officer contacts the citizen to verify, rectifies and gives feedback
    for action, fields in (
        ("record_contact", {}),
        ("start_rectification", {"text": "窗口调整叫号顺序"}),
        ("mark_rectified", {"text": "已增设引导员"}),
        ("give_feedback", {"text": "已整改：增设引导员，缩短等候"}),
    ):
        status, task = staff_act(staff_ready, officer, code, action, **fields)
        assert status == 200, task
    # Then the citizen sees the outcome and gives a verdict; the contact made to verify is no
    # call-back after the fix, so the real-name task waits for one
    seen = _status(staff_ready, code)
    assert seen["feedback"] == "已整改：增设引导员，缩短等候"
    assert seen["citizen_actions"] == ["give_verdict"]
    status, _ = _as_citizen(staff_ready, code, "verdict", {"verdict": "satisfied"})
    assert status == 200
    assert _status(staff_ready, code)["follow_up_status"] == "called_back"
    # And the officer's call-back after the fix lets it close
    for action, fields in (("record_call_back", {"verdict": "satisfied"}), ("close", {})):
        status, task = staff_act(staff_ready, officer, code, action, **fields)
        assert status == 200, task
    assert _status(staff_ready, code)["follow_up_status"] == "closed"
    assert [e["action"] for e in task["audit"]] == [
        "open",
        "record_contact",
        "start_rectification",
        "mark_rectified",
        "give_feedback",
        "give_verdict",
        "record_call_back",
        "close",
    ]


@pytest.mark.parametrize(
    ("steps", "final"),
    [
        ([("resolve_on_spot", {"text": "当场补办"}), ("give_feedback", {"text": "已当场解决"})], "feedback_given"),
        ([("explain", {"text": "超出本窗口职权"}), ("give_feedback", {"text": "已解释"})], "feedback_given"),
    ],
    ids=["resolved-on-the-spot", "explained"],
)
def test_anonymous_outcomes_reach_feedback_and_close(staff_ready, sign_in, plate_sig, steps, final):
    code = _rate(staff_ready, plate_sig(WINDOW), real_name=False)
    _opened(staff_ready, code)
    officer = sign_in(demo_staff("officer")[0])
    for action, fields in steps:
        status, task = staff_act(staff_ready, officer, code, action, **fields)
        assert status == 200, task
    assert task["state"] == final
    status, task = staff_act(staff_ready, officer, code, "close")
    assert (status, task["state"]) == (200, "closed")


def test_not_adopted_needs_a_second_person_and_an_upheld_appeal_restores_the_rating(staff_ready, sign_in, plate_sig):
    code = _rate(staff_ready, plate_sig(WINDOW), real_name=False)
    _opened(staff_ready, code)
    officer = sign_in(demo_staff("officer")[0])
    supervisor = sign_in(demo_staff("supervisor")[0])
    status, task = staff_act(
        staff_ready, officer, code, "propose_not_adopted", reason="malicious", text="监控显示未办理业务"
    )
    assert status == 200, task
    # the proposer cannot approve; the supervisor can
    status, _ = staff_act(staff_ready, officer, code, "approve_not_adopted")
    assert status == 403
    status, task = staff_act(staff_ready, supervisor, code, "approve_not_adopted")
    assert (status, task["state"], task["rating_void"]) == (200, "not_adopted", True)
    _, _, raw = http("GET", f"{staff_ready.url}/staff/reports", headers={"Authorization": f"Bearer {supervisor}"})
    assert code in [r["tracking_code"] for r in json.loads(raw)["reports"]]
    staff_act(staff_ready, officer, code, "give_feedback", text="经核实为恶意差评，不予采纳")
    # the citizen appeals; the hall's only supervisor approved the decision, so a supervisor of
    # another hall of the division upholds it; the rating counts again
    assert "appeal" in _status(staff_ready, code)["citizen_actions"]
    status, _ = _as_citizen(staff_ready, code, "appeal", {"text": "我确实办理了业务"})
    assert status == 200
    status, refused = staff_act(staff_ready, supervisor, code, "uphold_appeal")
    assert (status, refused["error"]["code"]) == (403, "not_independent")
    division_supervisor = sign_in(demo_staff("supervisor", "YC02")[0])
    status, task = staff_act(staff_ready, division_supervisor, code, "uphold_appeal")
    assert (status, task["state"], task["rating_void"]) == (200, "verifying", False)
    assert _status(staff_ready, code)["not_adopted"] is False


def test_forbidden_moves(staff_ready, sign_in, plate_sig):
    code = _rate(staff_ready, plate_sig(WINDOW), real_name=True)
    _opened(staff_ready, code)
    officer = sign_in(demo_staff("officer")[0])
    other_hall_officer = sign_in(demo_staff("officer", "YC02")[0])
    # unauthenticated: the gateway refuses
    status, _, _ = http("GET", f"{staff_ready.url}/staff/tasks/{code}")
    assert status == 401
    # another hall: as if it did not exist
    status, _ = staff_task(staff_ready, other_hall_officer, code)
    assert status == 404
    # a stale version
    _, task = staff_task(staff_ready, officer, code)
    status, _, raw = http(
        "POST",
        f"{staff_ready.url}/staff/tasks/{code}/actions",
        json.dumps({"action": "resolve_on_spot", "version": task["version"] + 5, "text": "x"}).encode(),
        {"Authorization": f"Bearer {officer}", "Content-Type": "application/json"},
    )
    assert status == 409 and json.loads(raw)["error"]["code"] == "stale_version"
    # a real-name task cannot close without a recorded call
    staff_act(staff_ready, officer, code, "resolve_on_spot", text="当场解决")
    staff_act(staff_ready, officer, code, "give_feedback", text="已解决")
    status, refused = staff_act(staff_ready, officer, code, "close")
    assert status == 409
    assert "record_call_back" in refused["error"]["allowed"]


def test_the_phone_number_reaches_only_the_assigned_halls_task_view(staff_ready, sign_in, plate_sig):
    code = _rate(staff_ready, plate_sig(WINDOW), real_name=True)
    _opened(staff_ready, code)
    other = sign_in(demo_staff("officer", "YC02")[0])
    _, _, other_view = http(
        "GET", f"{staff_ready.url}/staff/tasks/{code}", headers={"Authorization": f"Bearer {other}"}
    )
    _, _, status_page = http("GET", f"{staff_ready.url}/ratings/{code}")
    _, _, status_json = http("GET", f"{staff_ready.url}/ratings/{code}?format=json")
    for body in (other_view, status_page, status_json):
        assert PHONE.encode() not in body
    assert not [line for line in staff_ready.logs() if PHONE in line or NAME in line]


# ---------------------------------------------------------------- the citizen's key


def _rate_with_the_form(twin: LocalTwin, sig: str) -> str:
    """A citizen rates 非常不满意 through the form the plate opens; returns the receipt page's link."""
    cookie = device_cookie(twin, WINDOW, sig)
    _, _, page = http("GET", f"{twin.url}/r/{WINDOW}?{urlencode({'sig': sig, 'level': 1})}", headers={"Cookie": cookie})
    submission_id = re.search(r'name="submission_id" value="([^"]+)"', page.decode())
    assert submission_id
    form = {"window_code": WINDOW, "sig": sig, "submission_id": submission_id.group(1), "lang": "zh", "level": "1"}
    status, headers, body = http(
        "POST",
        f"{twin.url}/ratings",
        urlencode(form).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", "Cookie": cookie},
        follow_redirects=False,
    )
    assert status == 303, body[:300]
    return str(headers["Location"])


def _form_on(page: bytes, action: str) -> tuple[str, dict[str, str]]:
    """The page's form posting to .../<action>: its address and hidden fields."""
    match = re.search(rf'<form method="post" action="([^"]+/{action})"[^>]*>(.*?)</form>', page.decode(), re.S)
    assert match, f"no {action} form on the page"
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', match.group(2)))
    return match.group(1), hidden


def _post_form(twin: LocalTwin, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str]]:
    status, headers, _ = http(
        "POST",
        f"{twin.url}{path}",
        urlencode(fields).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
        follow_redirects=False,
    )
    return status, headers


def _code_in_the_staff_list(twin: LocalTwin, token: str, known: set[str]) -> str:
    """The tracking code of the newest task of the hall that was not there before: as staff find it."""
    _, _, raw = http("GET", f"{twin.url}/staff/tasks", headers={"Authorization": f"Bearer {token}"})
    codes = [task["tracking_code"] for task in json.loads(raw)["tasks"] if task["tracking_code"] not in known]
    assert codes, "the task is not on the hall's list"
    return str(codes[0])


def _hall_codes(twin: LocalTwin, token: str) -> set[str]:
    _, _, raw = http("GET", f"{twin.url}/staff/tasks", headers={"Authorization": f"Bearer {token}"})
    return {task["tracking_code"] for task in json.loads(raw)["tasks"]}


def test_an_officer_with_the_tracking_code_cannot_give_the_verdict_and_the_citizen_with_their_link_can(
    staff_ready, sign_in, plate_sig
):
    officer = sign_in(demo_staff("officer")[0])
    known = _hall_codes(staff_ready, officer)
    # Given a citizen's bad review through the form, their receipt page's link kept
    link = _rate_with_the_form(staff_ready, plate_sig(WINDOW))
    # And the officer finds its task on the hall's list, resolves it and replies
    code = wait_for(
        lambda: _hall_codes(staff_ready, officer) - known and _code_in_the_staff_list(staff_ready, officer, known),
        timeout=10.0,
    )
    assert link.startswith(f"/ratings/{code}?")
    for action, fields in (("resolve_on_spot", {"text": "当场补办"}), ("give_feedback", {"text": "已当场解决"})):
        status, task = staff_act(staff_ready, officer, code, action, **fields)
        assert status == 200, task
    # When the officer, who has the tracking code, posts the citizen's verdict as JSON and as the form
    as_json, refused = post_json(f"{staff_ready.url}/ratings/{code}/verdict", {"verdict": "satisfied"})
    as_form, _ = _post_form(staff_ready, f"/ratings/{code}/verdict", {"verdict": "satisfied", "lang": "zh"})
    # Then both are refused (403, the one error shape), and the page opened by code offers no form
    assert (as_json, as_form) == (403, 403)
    assert refused["error"]["code"] == "citizen_key_refused"
    _, _, by_code = http("GET", f"{staff_ready.url}/ratings/{code}", headers={"Accept": "text/html"})
    assert b"/verdict" not in by_code
    assert _status(staff_ready, code)["follow_up_status"] == "feedback_given"
    # When the citizen opens their link and sends the verdict form on it
    _, _, page = http("GET", f"{staff_ready.url}{link}", headers={"Accept": "text/html"})
    action, hidden = _form_on(page, "verdict")
    status, headers = _post_form(staff_ready, action, {**hidden, "verdict": "basically_satisfied"})
    # Then it is recorded, back to their page, and the task is closed by the citizen's verdict
    assert status == 303 and headers["Location"].startswith(f"/ratings/{code}?")
    seen = _status(staff_ready, code)
    assert (seen["follow_up_status"], seen["verdict"]) == ("closed", "basically_satisfied")
    _, task = staff_task(staff_ready, officer, code)
    assert (task["audit"][-1]["action"], task["audit"][-1]["actor"]) == ("give_verdict", "citizen")


def test_an_officer_cannot_appeal_for_the_citizen_and_the_citizen_with_their_link_can(staff_ready, sign_in, plate_sig):
    officer, supervisor = sign_in(demo_staff("officer")[0]), sign_in(demo_staff("supervisor")[0])
    known = _hall_codes(staff_ready, officer)
    # Given a citizen's bad review through the form, not adopted and replied to
    link = _rate_with_the_form(staff_ready, plate_sig(WINDOW))
    code = wait_for(
        lambda: _hall_codes(staff_ready, officer) - known and _code_in_the_staff_list(staff_ready, officer, known),
        timeout=10.0,
    )
    staff_act(staff_ready, officer, code, "propose_not_adopted", reason="mistaken", text="监控显示未在本窗口办理")
    staff_act(staff_ready, supervisor, code, "approve_not_adopted")
    staff_act(staff_ready, officer, code, "give_feedback", text="经核实为误评，不予采纳")
    # When the officer appeals with the tracking code
    status, refused = post_json(f"{staff_ready.url}/ratings/{code}/appeal", {"text": "代为申诉"})
    # Then it is refused, and no appeal is open
    assert status == 403 and refused["error"]["code"] == "citizen_key_refused"
    assert _status(staff_ready, code)["appeal_open"] is False
    # When the citizen opens their link and sends the appeal form on it
    _, _, page = http("GET", f"{staff_ready.url}{link}", headers={"Accept": "text/html"})
    action, hidden = _form_on(page, "appeal")
    status, _ = _post_form(staff_ready, action, {**hidden, "text": "我确实在该窗口办理过"})
    # Then the appeal is open, from the citizen
    assert status == 303
    assert _status(staff_ready, code)["appeal_open"] is True
    _, task = staff_task(staff_ready, supervisor, code)
    assert (task["audit"][-1]["action"], task["audit"][-1]["actor"]) == ("appeal", "citizen")
