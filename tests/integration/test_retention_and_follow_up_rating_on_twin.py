"""Over HTTP on the twin: a case's one follow-up rating 追评 (a third is refused), and the daily
purge of an evaluator's name and phone a retention period after their task closed.

The purge runs on a twin of its own: advancing the clock by half a year would make every task on
the session's twin overdue.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from haochaping.adapters import keys
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin

from tests.conftest import TEMPLATE
from tests.integration.conftest import (
    DEMO_PASSWORD,
    DEMO_REGISTRY,
    admin,
    demo_staff,
    http,
    plate_sig_of,
    post_rating,
    rate,
    staff_act,
    staff_sign_in,
    staff_task,
    wait_for,
)

pytestmark = pytest.mark.integration

WINDOW = "YC01-A001"
NAME = "留存测试人"
PHONE = "13955558888"
PURGE = "PurgePersonalDataFunction"


# ---------------------------------------------------------------- follow-up rating 追评


def test_a_case_takes_one_follow_up_rating_and_refuses_a_third(
    district_twin: LocalTwin, plate_sig: Callable[[str], str]
) -> None:
    twin = district_twin
    case_no = f"CASE-{uuid.uuid4().hex[:20]}"
    sig = plate_sig(WINDOW)
    # Given a case rated once
    status, first = _submit(twin, sig, level=4, case_no=case_no)
    assert status == 201, first
    assert first["follow_up_rating"] is False
    # When the same case is rated again, under another submission id
    second_id = uuid.uuid4().hex
    status, second = _submit(twin, sig, level=5, case_no=case_no, submission_id=second_id)
    # Then it is recorded as the case's follow-up rating, with a tracking code of its own
    assert status == 201, second
    assert second["follow_up_rating"] is True
    assert second["tracking_code"] != first["tracking_code"]
    # And a retry of that follow-up gives the same receipt back rather than counting a third
    status, retried = _submit(twin, sig, level=5, case_no=case_no, submission_id=second_id)
    assert (status, retried) == (200, second)
    # When the case is rated a third time
    status, third = _submit(twin, sig, level=3, case_no=case_no)
    # Then it is refused in the common error shape
    assert status == 409, third
    assert set(third) == {"error"}
    assert third["error"]["status"] == 409
    assert third["error"]["code"] == "conflict"
    assert case_no in third["error"]["message"]
    # And the public status shows both stored ratings as they were recorded, one of them the follow-up
    shown = {code: _status(twin, code) for code in (first["tracking_code"], second["tracking_code"])}
    assert [(s["level"], s["window_code"], s["follow_up_rating"]) for s in shown.values()] == [
        (4, WINDOW, False),
        (5, WINDOW, True),
    ]
    assert all(s["follow_up_status"] == "none" for s in shown.values())  # good reviews: no follow-up task
    _, _, page = http("GET", f"{twin.url}/ratings/{second['tracking_code']}")
    assert "追评".encode() in page
    assert not _iam_refusals(twin, "SubmitRatingFunction")


# ---------------------------------------------------------------- the daily purge


@pytest.fixture(scope="module")
def retention_twin() -> Iterator[LocalTwin]:
    """The demo division on a twin of its own, whose clock this module moves half a year on.

    Its TTL deletes nothing: AWS's TTL deletes an expired item within about two days, on its own
    schedule, while the twin's deletes the moment its clock jumps past ``expires_at`` (which is
    the purge's own ``purge_at``), racing the daily purge for the same item. Held back, as
    AWS's may lag, it leaves the purge to remove the evaluator, so the purge's own calls are
    made (and recorded for the least-privilege check).
    """
    twin = LocalTwin(
        TEMPLATE,
        division_parameters("640100"),
        "haochaping-640100-retention",
        warm=True,
        clock_hook=CLOCK_HOOK,
        expire_items=False,
    )
    twin.start()
    try:
        admin(twin, "registry", "load", str(DEMO_REGISTRY))
        admin(twin, "staff", "users", "--password", DEMO_PASSWORD)
        yield twin
    finally:
        twin.stop()


def test_the_daily_purge_removes_the_evaluator_a_retention_period_after_the_task_closed(
    retention_twin: LocalTwin,
) -> None:
    twin = retention_twin
    retention = timedelta(days=int(twin.function_environment(PURGE)["PERSONAL_DATA_RETENTION_DAYS"]))
    officer = staff_sign_in(twin, demo_staff("officer")[0])
    # Given a real-name bad review whose task the officer worked, called back after the fix and closed
    code, _ = _rate_real_name(twin, plate_sig_of(twin, WINDOW))
    wait_for(lambda: _status(twin, code)["follow_up_status"] == "verifying", timeout=10)
    status, task = staff_task(twin, officer, code)
    assert (status, task["evaluator"]) == (200, {"name": NAME, "phone": PHONE})
    for action, fields in (
        ("record_contact", {}),
        ("start_rectification", {"text": "窗口调整叫号顺序"}),
        ("mark_rectified", {"text": "已增设引导员"}),
        ("give_feedback", {"text": "已整改：增设引导员，缩短等候"}),
        ("record_call_back", {"verdict": "satisfied"}),
    ):
        status, task = staff_act(twin, officer, code, action, **fields)
        assert status == 200, task
    closing = twin.now()
    status, task = staff_act(twin, officer, code, "close")
    assert status == 200, task
    assert _status(twin, code)["follow_up_status"] == "closed"
    # And its evaluator item waits in the Ratings table, due for removal a retention period after the close
    item = _item(twin, code, keys.EVALUATOR_SORT_KEY)
    assert item is not None
    assert item["purge_key"] == {"S": keys.PURGE_KEY}
    purge_at = datetime.fromisoformat(item["purge_at"]["S"])
    assert closing + retention - timedelta(seconds=1) <= purge_at <= twin.now() + retention
    # When the twin's clock reaches a day short of the period and the daily purge runs
    runs = _purge_runs(twin)
    twin.advance_to(purge_at - timedelta(days=1))
    # Then it removes nothing: the evaluator is still there
    assert _next_purge_run(twin, runs)["removed"] == 0
    assert _item(twin, code, keys.EVALUATOR_SORT_KEY) is not None
    # When the clock passes the end of the period and the daily purge runs again
    runs = _purge_runs(twin)
    twin.advance_to(purge_at + timedelta(days=1))
    # Then it removes the evaluator's item, and only that: the rating and its task stay
    assert _next_purge_run(twin, runs)["removed"] == 1
    assert _item(twin, code, keys.EVALUATOR_SORT_KEY) is None
    assert _item(twin, code, keys.RATING_SORT_KEY) is not None
    seen = _status(twin, code)
    assert (seen["level"], seen["follow_up_status"], seen["verdict"]) == (1, "closed", "satisfied")
    # And the hall's officer's task view no longer has a name or a phone to show
    status, task = staff_task(twin, officer, code)
    assert status == 200, task
    assert (task["real_name"], task["evaluator"]) == (True, None)
    _, _, raw = http("GET", f"{twin.url}/staff/tasks/{code}", headers={"Authorization": f"Bearer {officer}"})
    assert PHONE.encode() not in raw and NAME.encode() not in raw
    assert not _iam_refusals(twin)


# ---------------------------------------------------------------- helpers


def _submit(
    twin: LocalTwin, sig: str, level: int, case_no: str, submission_id: str | None = None
) -> tuple[int, dict[str, Any]]:
    body = {
        "window_code": WINDOW,
        "sig": sig,
        "level": level,
        "case_no": case_no,
        "submission_id": submission_id or uuid.uuid4().hex,
    }
    return post_rating(twin, body)


def _rate_real_name(twin: LocalTwin, sig: str) -> tuple[str, str]:
    """A real-name bad review from a citizen's phone: its tracking code and the citizen's key."""
    status, receipt = rate(twin, WINDOW, sig, evaluator={"name": NAME, "phone": PHONE, "consent": True})
    assert status == 201, receipt
    return str(receipt["tracking_code"]), str(receipt["citizen_key"])


def _status(twin: LocalTwin, code: str) -> dict[str, Any]:
    status, _, raw = http("GET", f"{twin.url}/ratings/{code}?format=json")
    assert status == 200, raw
    return dict(json.loads(raw))


def _item(twin: LocalTwin, code: str, sort_key: str) -> dict[str, Any] | None:
    """The Ratings table's item of this rating (RATING, EVALUATOR), read as the stack's owner would."""
    table = twin.function_environment(PURGE)["RATINGS_TABLE"]
    found = twin.client("dynamodb").get_item(
        TableName=table, Key={"pk": {"S": keys.rating_key(code)}, "sk": {"S": sort_key}}, ConsistentRead=True
    )
    return found.get("Item")


def _purge_runs(twin: LocalTwin) -> list[dict[str, Any]]:
    """What each finished run of the purge logged: its "personal data purged" line."""
    runs = []
    for line in twin.logs(PURGE):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("message") == "personal data purged":
            runs.append(record)
    return runs


def _next_purge_run(twin: LocalTwin, before: list[dict[str, Any]]) -> dict[str, Any]:
    """The one run of the purge that its daily schedule makes after a jump of the clock."""
    try:
        runs = wait_for(lambda: _purge_runs(twin)[len(before) :], timeout=20)
    except pytest.fail.Exception:
        pytest.fail("the daily purge did not finish a run; its log:\n" + "\n".join(twin.logs(PURGE)[-40:]))
    assert len(runs) == 1, runs
    return runs[0]


def _iam_refusals(twin: LocalTwin, function: str | None = None) -> list[str]:
    """The calls the twin refused as IAM would ("[localtwin IAM] <function>: AccessDenied: <action> on <resource>")."""
    return [line for line in twin.logs(function) if line.startswith("[localtwin IAM]") and ": AccessDenied: " in line]
