"""The officer responsible for a bad review 专人 (谁办理、谁负责), on the twin as people act: an officer
takes a task on and works it alone, a supervisor hands it to another, each officer lists what they
hold, a department with officers of its own gets its bad reviews; and the management office
管理办公室 reads the division's not-adopted reports.

The demo registry gives 综合服务大厅 (YC01) two officers of the hall's own (YC018001, YC018002) and one
of market regulation (YC018003), whose windows are the B row (企业开办综合窗口); its overseer is YC019801.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from localtwin.twin import LocalTwin

from tests.integration.conftest import (
    DEMO_PASSWORD,
    admin,
    demo_staff,
    http,
    post_json,
    staff_act,
    staff_sign_in,
    staff_task,
    wait_for,
)

pytestmark = pytest.mark.integration

HALL_WINDOW = "YC01-A001"  # 审批服务管理局: no officer of its own, so the hall's officers
MARKET_WINDOW = "YC01-B003"  # 市场监督管理局, whose follow-up officer is YC018003
FIRST, SECOND = demo_staff("officer")[:2]  # the hall's own officers
MARKET_OFFICER = "YC018003"
SUPERVISOR = demo_staff("supervisor")[0]
OVERSEER = demo_staff("overseer")[0]
OTHER_HALL_OFFICER, OTHER_HALL_SUPERVISOR = demo_staff("officer", "YC02")[0], demo_staff("supervisor", "YC02")[0]


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


def bad_review(twin: LocalTwin, sig: Callable[[str], str], window: str, token: str) -> str:
    """A citizen's 非常不满意 rating of the window; returns its tracking code once its task is open."""
    body = {"window_code": window, "sig": sig(window), "level": 1, "submission_id": uuid.uuid4().hex}
    status, receipt = post_json(f"{twin.url}/ratings", body)
    assert status == 201, receipt
    code = str(receipt["tracking_code"])
    wait_for(lambda: staff_task(twin, token, code)[0] == 200, timeout=15)
    return code


def listed(twin: LocalTwin, token: str, query: str = "") -> list[dict[str, Any]]:
    status, _, raw = http("GET", f"{twin.url}/staff/tasks{query}", headers={"Authorization": f"Bearer {token}"})
    assert status == 200, raw
    return list(json.loads(raw)["tasks"])


def test_a_task_is_held_by_one_officer_another_cannot_work_it_and_a_supervisor_reassigns_it(
    staff_ready, sign_in, plate_sig
):
    # Given a bad review of a window of the hall's own officers, and its task as the first officer sees it
    code = bad_review(staff_ready, plate_sig, HALL_WINDOW, sign_in(FIRST))
    _, task = staff_task(staff_ready, sign_in(FIRST), code)
    assert (task["holder"], task["officers"]) == (None, [FIRST, SECOND])
    assert "claim" in task["allowed_actions"]
    # When the first officer claims it
    status, task = staff_act(staff_ready, sign_in(FIRST), code, "claim")
    assert (status, task["holder"], task["state"]) == (200, FIRST, "verifying")
    # Then the second officer reads it but can neither work it nor claim it
    status, seen = staff_task(staff_ready, sign_in(SECOND), code)
    assert (status, seen["holder"], seen["allowed_actions"]) == (200, FIRST, [])
    for action, fields in (("record_contact", {}), ("resolve_on_spot", {"text": "当场解决"}), ("claim", {})):
        status, refused = staff_act(staff_ready, sign_in(SECOND), code, action, **fields)
        assert (status, refused["error"]["code"]) == (403, "not_holder"), refused
        assert refused["error"]["allowed"] == []
    # And the holder works it
    status, task = staff_act(staff_ready, sign_in(FIRST), code, "record_contact")
    assert status == 200, task
    # When the supervisor reassigns it to the second officer, saying why
    why = "原回访专员外出培训"
    status, task = staff_act(staff_ready, sign_in(SUPERVISOR), code, "assign", assignee=SECOND, text=why)
    assert (status, task["holder"]) == (200, SECOND), task
    # Then the reassignment is in the audit trail: who, from whom, to whom, why
    assign = [line for line in task["audit"] if line["action"] == "assign"]
    assert [(line["actor"], line["role"], line["reason"]) for line in assign] == [
        (SUPERVISOR, "supervisor", f"{FIRST} → {SECOND} {why}")
    ]
    assert [line["action"] for line in task["audit"]] == ["open", "claim", "record_contact", "assign"]
    # And the work is the second officer's now, no longer the first's
    status, refused = staff_act(staff_ready, sign_in(FIRST), code, "start_rectification", text="调整叫号")
    assert (status, refused["error"]["code"]) == (403, "not_holder")
    status, task = staff_act(staff_ready, sign_in(SECOND), code, "start_rectification", text="调整叫号")
    assert (status, task["state"], task["holder"]) == (200, "rectifying", SECOND)


def test_an_assignment_names_an_officer_of_the_hall(staff_ready, sign_in, plate_sig):
    # Given a task of the hall
    code = bad_review(staff_ready, plate_sig, HALL_WINDOW, sign_in(FIRST))
    # When the supervisor names no one, a supervisor, another hall's officer
    for assignee, status_wanted in ((None, 422), (SUPERVISOR, 422), (OTHER_HALL_OFFICER, 422), ("yc01", 422)):
        status, refused = staff_act(staff_ready, sign_in(SUPERVISOR), code, "assign", assignee=assignee)
        # Then it is refused, naming the field
        assert status == status_wanted, refused
        assert "assignee" in json.dumps(refused["error"])
    # And another hall's supervisor cannot even see it; an officer may not assign
    assert staff_task(staff_ready, sign_in(OTHER_HALL_SUPERVISOR), code)[0] == 404
    status, _, _ = http(
        "POST",
        f"{staff_ready.url}/staff/tasks/{code}/actions",
        json.dumps({"action": "assign", "version": 1, "assignee": FIRST}).encode(),
        {"Authorization": f"Bearer {sign_in(OTHER_HALL_SUPERVISOR)}", "Content-Type": "application/json"},
    )
    assert status == 404
    assert staff_act(staff_ready, sign_in(FIRST), code, "assign", assignee=FIRST)[0] == 403
    _, task = staff_task(staff_ready, sign_in(FIRST), code)
    assert task["holder"] is None and [line["action"] for line in task["audit"]] == ["open"]


def test_a_task_of_a_department_with_its_own_officers_goes_to_them_only_and_mine_lists_exactly_my_tasks(
    staff_ready, sign_in, plate_sig
):
    # Given two bad reviews of a market regulation window, and one of a window of the hall's own officers
    first_market = bad_review(staff_ready, plate_sig, MARKET_WINDOW, sign_in(MARKET_OFFICER))
    second_market = bad_review(staff_ready, plate_sig, MARKET_WINDOW, sign_in(MARKET_OFFICER))
    hall_task = bad_review(staff_ready, plate_sig, HALL_WINDOW, sign_in(FIRST))
    # Then the market tasks went to the department's officer only, the other to the hall's officers
    assert staff_task(staff_ready, sign_in(FIRST), first_market)[1]["officers"] == [MARKET_OFFICER]
    assert staff_task(staff_ready, sign_in(FIRST), hall_task)[1]["officers"] == [FIRST, SECOND]
    # And the hall's officers may not take a market task on, by a claim or by working it
    for officer in (FIRST, SECOND):
        _, seen = staff_task(staff_ready, sign_in(officer), first_market)
        assert seen["allowed_actions"] == []
        for action in ("claim", "record_contact"):
            status, refused = staff_act(staff_ready, sign_in(officer), first_market, action)
            assert (status, refused["error"]["code"]) == (403, "not_holder")
    # Nor the market officer a task of the hall's own
    assert staff_act(staff_ready, sign_in(MARKET_OFFICER), hall_task, "claim")[0] == 403
    # When the market officer takes the first on, and the first hall officer the hall's task
    assert staff_act(staff_ready, sign_in(MARKET_OFFICER), first_market, "claim")[1]["holder"] == MARKET_OFFICER
    assert staff_act(staff_ready, sign_in(FIRST), hall_task, "record_contact")[1]["holder"] == FIRST
    # Then the market officer's "mine" is exactly the task they hold (no other test gives them any)
    mine = listed(staff_ready, sign_in(MARKET_OFFICER), "?holder=me")
    assert [(t["tracking_code"], t["holder"]) for t in mine] == [(first_market, MARKET_OFFICER)]
    # And the first officer's "mine" is exactly the hall's tasks they hold, this one among them
    everything = listed(staff_ready, sign_in(FIRST))
    theirs = {t["tracking_code"] for t in everything if t["holder"] == FIRST}
    assert hall_task in theirs and first_market not in theirs
    assert {t["tracking_code"] for t in listed(staff_ready, sign_in(FIRST), "?holder=me")} == theirs
    # And "nobody" lists, for each officer, what is still free for them to take on
    free = {t["tracking_code"] for t in listed(staff_ready, sign_in(MARKET_OFFICER), "?holder=nobody")}
    assert second_market in free and first_market not in free and hall_task not in free
    free = {t["tracking_code"] for t in listed(staff_ready, sign_in(FIRST), "?holder=nobody")}
    assert second_market not in free and hall_task not in free
    # And a filter other than me or nobody is refused, naming it
    status, _, raw = http(
        "GET", f"{staff_ready.url}/staff/tasks?holder=YC018001", headers={"Authorization": f"Bearer {sign_in(FIRST)}"}
    )
    assert status == 422 and b"holder" in raw


def _not_adopted(twin: LocalTwin, sign_in: Callable[[str], str], sig: Callable[[str], str], hall: str) -> str:
    officer, supervisor = demo_staff("officer", hall)[0], demo_staff("supervisor", hall)[0]
    code = bad_review(twin, sig, f"{hall}-A001", sign_in(officer))
    status, task = staff_act(
        twin, sign_in(officer), code, "propose_not_adopted", reason="malicious", text="同一设备连续差评"
    )
    assert status == 200, task
    status, task = staff_act(twin, sign_in(supervisor), code, "approve_not_adopted")
    assert (status, task["state"]) == (200, "not_adopted"), task
    return code


def test_the_management_office_reads_every_report_of_the_division_and_makes_no_move(staff_ready, sign_in, plate_sig):
    # Given not-adopted decisions in two halls, reported 通报
    here = _not_adopted(staff_ready, sign_in, plate_sig, "YC01")
    there = _not_adopted(staff_ready, sign_in, plate_sig, "YC02")

    def reports(job_number: str) -> set[str]:
        status, _, raw = http(
            "GET", f"{staff_ready.url}/staff/reports", headers={"Authorization": f"Bearer {sign_in(job_number)}"}
        )
        assert status == 200, raw
        return {r["tracking_code"] for r in json.loads(raw)["reports"]}

    # Then the management office reads both; a hall's supervisor the reports of their own hall
    assert {here, there} <= reports(OVERSEER)
    assert here in reports(SUPERVISOR) and there not in reports(SUPERVISOR)
    # And the office reads a reported task, with nothing it may do and no evaluator
    status, task = staff_task(staff_ready, sign_in(OVERSEER), there)
    assert (status, task["allowed_actions"], task["evaluator"]) == (200, [], None)
    assert staff_act(staff_ready, sign_in(OVERSEER), there, "give_feedback", text="x")[0] == 403
    assert staff_act(staff_ready, sign_in(OVERSEER), there, "assign", assignee=OTHER_HALL_OFFICER)[0] == 403
    # And it has no hall's work list of its own
    assert listed(staff_ready, sign_in(OVERSEER)) == []
