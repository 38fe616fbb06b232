"""Follow-up a citizen and an auditor can trust, on the twin, each as a person would act.

- The staff member who was rated finds their own bad review nowhere: not in the hall's list by any
  filter, not as a task, not in the reports, not in the notices addressed to them.
- The supervisor who approved "not adopted" cannot decide the citizen's appeal against it (403);
  a supervisor who took no part can, one of the hall's, or the division's when the hall has none.
- A real-name task closes only after the call-back after the fix, or after the attempts to reach
  the citizen on two working days; the contact made to verify does not count.

A twin of its own: its registry puts a follow-up officer on duty at a window round the clock and
gives the first hall a second supervisor, and one test moves the clock on by working days.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from haochaping.admin.registry_files import read_registry_files, write_registry_yaml
from haochaping.domain.calendar import WorkingCalendar
from haochaping.domain.rating import CHINA_TIME
from haochaping.domain.registry import Shift, Staff, StaffRole
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin

from tests.conftest import TEMPLATE
from tests.integration.conftest import (
    DEMO_PASSWORD,
    DEMO_REGISTRY,
    admin,
    http,
    plate_sig_of,
    post_json,
    staff_act,
    staff_sign_in,
    staff_task,
    wait_for,
)

pytestmark = pytest.mark.integration

RATED_WINDOW = "YC01-A003"  # where the follow-up officer RATED_OFFICER also serves, round the clock
WINDOW = "YC01-A004"
OTHER_HALL_WINDOW = "YC02-A001"
RATED_OFFICER = "YC018002"
COLLEAGUE = "YC018001"
SUPERVISOR = "YC019001"
SECOND_SUPERVISOR = "YC019002"  # added to the demo registry here
OTHER_HALL_OFFICER = "YC028001"
OTHER_HALL_SUPERVISOR = "YC029001"  # the only supervisor of YC02
NAME, PHONE = "回访信任测试人", "13955550013"


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTwin]:
    # The demo registry, but for RATED_WINDOW, where the follow-up officer RATED_OFFICER now serves
    # round the clock instead of the demo clerks, and a second supervisor for the first hall.
    registry = read_registry_files(DEMO_REGISTRY)
    registry = registry.model_copy(
        update={
            "staff": (
                *registry.staff,
                Staff(job_number=SECOND_SUPERVISOR, name="演示督办员甲2", role=StaffRole.SUPERVISOR, hall_code="YC01"),
            ),
            "shifts": (
                *(shift for shift in registry.shifts if shift.window_code != RATED_WINDOW),
                Shift(
                    window_code=RATED_WINDOW,
                    job_number=RATED_OFFICER,
                    weekdays=(1, 2, 3, 4, 5, 6, 7),
                    start=time(0, 0),
                    end=time(23, 59, 59, 999999),
                    valid_from=date(2020, 1, 1),
                ),
            ),
        }
    )
    path = write_registry_yaml(registry, tmp_path_factory.mktemp("registry") / "registry.yaml")
    twin = LocalTwin(
        TEMPLATE, division_parameters("640100"), "haochaping-640100-trust", warm=True, clock_hook=CLOCK_HOOK
    )
    twin.start()
    try:
        admin(twin, "registry", "load", str(path))
        admin(twin, "staff", "users", "--password", DEMO_PASSWORD)
        yield twin
    finally:
        twin.stop()


@pytest.fixture(scope="module")
def plate_of(twin: LocalTwin) -> Callable[[str], str]:
    return lambda window_code: plate_sig_of(twin, window_code)


@pytest.fixture(scope="module")
def token(twin: LocalTwin) -> Callable[[str], str]:
    """A staff member's id token, signed in as the console does (again after the clock moved)."""
    return lambda job_number: staff_sign_in(twin, job_number)


class Inbox:
    """An SQS queue subscribed to the officers' topic as one person subscribes: by their job number."""

    def __init__(self, twin: LocalTwin, job_number: str) -> None:
        self.sqs = twin.client("sqs")
        self.url = self.sqs.create_queue(QueueName=f"officer-{job_number}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        twin.client("sns").subscribe(
            TopicArn=twin.function_environment("OpenFollowupFunction")["OFFICER_TOPIC_ARN"],
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"FilterPolicy": json.dumps({"officers": [job_number]})},
        )
        self.received: list[str] = []

    def notices(self) -> list[str]:
        """Every notice received so far, as its raw text."""
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                self.received.append(message["Body"])
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return self.received


def rate(twin: LocalTwin, sig: str, window: str, real_name: bool) -> str:
    body: dict[str, Any] = {"window_code": window, "sig": sig, "level": 1, "submission_id": uuid.uuid4().hex}
    if real_name:
        body["evaluator"] = {"name": NAME, "phone": PHONE, "consent": True}
    status, receipt = post_json(f"{twin.url}/ratings", body)
    assert status == 201, receipt
    return str(receipt["tracking_code"])


def opened(twin: LocalTwin, token: str, code: str) -> None:
    wait_for(lambda: staff_task(twin, token, code)[0] == 200, timeout=10)


def acted(twin: LocalTwin, token: str, code: str, action: str, **fields: Any) -> dict[str, Any]:
    status, body = staff_act(twin, token, code, action, **fields)
    assert status == 200, body
    return body


def get(twin: LocalTwin, token: str, path: str) -> tuple[int, str]:
    status, _, raw = http("GET", f"{twin.url}{path}", headers={"Authorization": f"Bearer {token}"})
    return status, raw.decode()


def citizen_status(twin: LocalTwin, code: str) -> dict[str, Any]:
    _, _, raw = http("GET", f"{twin.url}/ratings/{code}?format=json")
    return dict(json.loads(raw))


def not_adopted_and_appealed(twin: LocalTwin, code: str, officer: str, approver: str) -> dict[str, Any]:
    """The officer proposes not adopting the bad review, the approver approves, the citizen appeals."""
    acted(twin, officer, code, "propose_not_adopted", reason="malicious", text="监控显示评价人未在窗口办理")
    decided = acted(twin, approver, code, "approve_not_adopted")
    acted(twin, officer, code, "give_feedback", text="经核实为恶意差评，不予采纳")
    status, _ = post_json(f"{twin.url}/ratings/{code}/appeal", {"text": "我确实在该窗口办理过业务"})
    assert status == 200
    return decided


# ---------------------------------------------------------------- the staff member rated


def test_the_staff_member_rated_finds_their_own_bad_review_nowhere(
    twin: LocalTwin, plate_of: Callable[[str], str], token: Callable[[str], str]
) -> None:
    rated_inbox, colleague_inbox = Inbox(twin, RATED_OFFICER), Inbox(twin, COLLEAGUE)
    rated, colleague, supervisor = token(RATED_OFFICER), token(COLLEAGUE), token(SUPERVISOR)
    # Given two bad reviews of the window where officer YC018002 was on duty, one real-name, and
    # the other one not adopted and reported
    codes = [rate(twin, plate_of(RATED_WINDOW), RATED_WINDOW, real_name) for real_name in (True, False)]
    for code in codes:
        opened(twin, colleague, code)
    not_adopted_and_appealed(twin, codes[1], colleague, supervisor)
    # When the officer rated looks where the console looks: the hall's list by every filter, each
    # task, a move on it, the reports, and the console page itself
    seen = [
        get(twin, rated, path)
        for path in (
            "/staff/tasks",
            "/staff/tasks?real_name=true",
            "/staff/tasks?real_name=false",
            "/staff/tasks?state=verifying",
            "/staff/tasks?state=feedback_given",
            "/staff/tasks?due=soon",
            "/staff/tasks?due=overdue",
            "/staff/reports",
            "/console",
        )
    ]
    opened_each = [staff_task(twin, rated, code) for code in codes]
    status, _, raw = http(
        "POST",
        f"{twin.url}/staff/tasks/{codes[0]}/actions",
        json.dumps({"action": "record_contact", "version": 1}).encode(),
        {"Authorization": f"Bearer {rated}", "Content-Type": "application/json"},
    )
    moved = (status, json.loads(raw))
    # Then neither bad review is anywhere, and each task is as if it did not exist
    assert all(status == 200 for status, _ in seen)
    for code in codes:
        assert not [body for _, body in seen if code in body]
    for status, body in (*opened_each, moved):
        assert (status, body["error"]["code"]) == (404, "not_found")
        assert PHONE not in json.dumps(body) and NAME not in json.dumps(body, ensure_ascii=False)
    # And no notice addressed to them by job number told them of it, while their colleague was told of both
    assert [code for code in codes if any(code in notice for notice in colleague_inbox.notices())] == codes
    assert not [notice for notice in rated_inbox.notices() if any(code in notice for code in codes)]
    # While their colleague finds both in the list and the decided one in the reports
    status, listed = get(twin, colleague, "/staff/tasks")
    assert status == 200 and all(code in listed for code in codes)
    assert codes[1] in get(twin, colleague, "/staff/reports")[1]


# ---------------------------------------------------------------- the appeal, decided by someone who took no part


def test_the_approver_cannot_decide_the_appeal_and_a_supervisor_of_the_hall_who_took_no_part_can(
    twin: LocalTwin, plate_of: Callable[[str], str], token: Callable[[str], str]
) -> None:
    colleague, approver, second = token(COLLEAGUE), token(SUPERVISOR), token(SECOND_SUPERVISOR)
    # Given a bad review proposed not adopted by an officer, approved by YC019001, and appealed
    code = rate(twin, plate_of(WINDOW), WINDOW, real_name=False)
    opened(twin, colleague, code)
    decided = not_adopted_and_appealed(twin, code, colleague, approver)
    assert (decided["proposed_by"], decided["approved_by"], decided["appeal_to_division"]) == (
        COLLEAGUE,
        SUPERVISOR,
        False,
    )
    # When the approver tries to decide the appeal, either way
    _, seen_by_approver = staff_task(twin, approver, code)
    refusals = [
        staff_act(twin, approver, code, action, text="维持原决定") for action in ("uphold_appeal", "dismiss_appeal")
    ]
    # Then it is 403 in the common error shape, naming why and what they may do instead
    for status, body in refusals:
        assert status == 403
        assert set(body) == {"error"}
        assert body["error"]["code"] == "not_independent"
        assert "neither proposed nor approved" in body["error"]["message"]
        assert body["error"]["allowed"] == seen_by_approver["allowed_actions"] == ["close"]
    # And the hall's other supervisor, who took no part, decides it
    _, seen_by_second = staff_task(twin, second, code)
    assert seen_by_second["allowed_actions"] == ["close", "uphold_appeal", "dismiss_appeal"]
    dismissed = acted(twin, second, code, "dismiss_appeal", text="监控无该评价人办理记录，维持原决定")
    assert (dismissed["appeal_open"], dismissed["audit"][-1]["actor"]) == (False, SECOND_SUPERVISOR)
    assert citizen_status(twin, code)["feedback"] == "监控无该评价人办理记录，维持原决定"


def test_an_appeal_against_a_halls_only_supervisor_goes_to_the_divisions_supervisors(
    twin: LocalTwin, plate_of: Callable[[str], str], token: Callable[[str], str]
) -> None:
    officer, approver = token(OTHER_HALL_OFFICER), token(OTHER_HALL_SUPERVISOR)
    division_supervisor, outsider = token(SECOND_SUPERVISOR), token(COLLEAGUE)
    # Given a bad review at YC02, not adopted with the approval of the hall's only supervisor, appealed
    code = rate(twin, plate_of(OTHER_HALL_WINDOW), OTHER_HALL_WINDOW, real_name=False)
    opened(twin, officer, code)
    decided = not_adopted_and_appealed(twin, code, officer, approver)
    # Then the task says the appeal goes to the division, and its trail says so too
    assert decided["appeal_to_division"] is True
    assert [e["action"] for e in decided["audit"]][-2:] == ["approve_not_adopted", "appeal_to_division"]
    # When the approver tries to uphold it
    status, refused = staff_act(twin, approver, code, "uphold_appeal")
    assert (status, refused["error"]["code"]) == (403, "not_independent")
    # And a supervisor of another hall of the division finds it among the reports, opens it and upholds it
    status, reports = get(twin, division_supervisor, "/staff/reports")
    assert status == 200 and code in [r["tracking_code"] for r in json.loads(reports)["reports"]]
    status, task = staff_task(twin, division_supervisor, code)
    assert (status, task["allowed_actions"], task["evaluator"]) == (200, ["uphold_appeal", "dismiss_appeal"], None)
    upheld = acted(twin, division_supervisor, code, "uphold_appeal", text="受理回执属实")
    # Then the rating counts again and the hall works the bad review anew
    assert (upheld["state"], upheld["rating_void"], upheld["audit"][-1]["actor"]) == (
        "verifying",
        False,
        SECOND_SUPERVISOR,
    )
    assert citizen_status(twin, code)["not_adopted"] is False
    assert staff_task(twin, officer, code)[1]["allowed_actions"][0] == "record_contact"
    # And the case is back with its hall alone: an officer of another hall never saw it
    assert staff_task(twin, outsider, code)[0] == 404
    assert staff_task(twin, division_supervisor, code)[0] == 404


# ---------------------------------------------------------------- the call-back after the fix


def test_a_real_name_task_cannot_close_before_the_call_back_after_the_fix(
    twin: LocalTwin, plate_of: Callable[[str], str], token: Callable[[str], str]
) -> None:
    officer = token(COLLEAGUE)
    # Given a real-name bad review; the officer calls the citizen to verify it, fixes it and says so
    code = rate(twin, plate_of(WINDOW), WINDOW, real_name=True)
    opened(twin, officer, code)
    for action, fields in (
        ("record_contact", {"text": "已电话核实"}),
        ("start_rectification", {"text": "调整叫号顺序"}),
        ("mark_rectified", {"text": "已增设引导员"}),
        ("give_feedback", {"text": "已整改：增设引导员"}),
    ):
        task = acted(twin, officer, code, action, **fields)
    # When the officer closes it, the verifying call being the only call so far
    status, refused = staff_act(twin, officer, code, "close")
    # Then it is refused: it closes only after the call-back after the fix
    assert status == 409
    assert refused["error"]["allowed"] == ["record_call_back", "record_call_back_attempt"]
    assert "call-back after the fix" in refused["error"]["message"]
    assert task["called_back"] is False
    # When the call-back records 不满意
    reopened = acted(twin, officer, code, "record_call_back", verdict="dissatisfied", text="仍需排队")
    # Then the task goes back to rectification, once, the verdict and the reopening in the trail
    assert (reopened["state"], reopened["reopenings"], reopened["verdict"]) == ("rectifying", 1, None)
    assert [e["action"] for e in reopened["audit"]][-2:] == ["record_call_back", "reopen"]
    assert staff_act(twin, officer, code, "close")[0] == 409
    # When it is fixed again and the citizen, called back, is satisfied
    for action, fields in (
        ("mark_rectified", {"text": "已增设窗口"}),
        ("give_feedback", {"text": "已增设窗口"}),
        ("record_call_back", {"verdict": "satisfied"}),
    ):
        acted(twin, officer, code, action, **fields)
    closed = acted(twin, officer, code, "close")
    # Then it closes
    assert (closed["state"], closed["verdict"], closed["called_back"]) == ("closed", "satisfied", True)
    assert citizen_status(twin, code)["follow_up_status"] == "closed"


def _ten_on_the_next_working_day(after: datetime) -> datetime:
    """10:00 in China on the first working day after ``after``'s day, on the national calendar."""
    day = after.astimezone(CHINA_TIME).date() + timedelta(days=1)
    calendar = WorkingCalendar()
    while not calendar.is_working_day(day)[0]:
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=CHINA_TIME)


def test_a_real_name_citizen_not_reached_on_two_working_days_lets_the_task_close(
    twin: LocalTwin, plate_of: Callable[[str], str], token: Callable[[str], str]
) -> None:
    # Given a real-name bad review whose explanation was told to the citizen
    officer = token(COLLEAGUE)
    code = rate(twin, plate_of(WINDOW), WINDOW, real_name=True)
    opened(twin, officer, code)
    acted(twin, officer, code, "explain", text="该事项须本人到场")
    acted(twin, officer, code, "give_feedback", text="已说明须本人到场的规定")
    # When the officer tries to call them back three times on one working day, reaching nobody
    twin.advance_to(_ten_on_the_next_working_day(twin.now()))
    officer = token(COLLEAGUE)
    for outcome in ("no_answer", "unavailable", "no_answer"):
        task = acted(twin, officer, code, "record_call_back_attempt", reason=outcome, text="未接通")
    # Then the attempts are kept, but the task may not close yet
    assert [a["outcome"] for a in task["call_back_attempts"]] == ["no_answer", "unavailable", "no_answer"]
    assert task["unreachable"] is False
    assert staff_act(twin, officer, code, "close")[0] == 409
    # When they try once more the next working day
    twin.advance_to(_ten_on_the_next_working_day(twin.now()))
    officer = token(COLLEAGUE)
    task = acted(twin, officer, code, "record_call_back_attempt", reason="refused")
    # Then the citizen is marked unreachable in the trail, and the task closes without a verdict
    assert task["unreachable"] is True
    assert [e["action"] for e in task["audit"]][-2:] == ["record_call_back_attempt", "mark_unreachable"]
    assert task["allowed_actions"] == ["record_call_back", "close"]
    closed = acted(twin, officer, code, "close")
    assert (closed["state"], closed["verdict"]) == ("closed", None)


def test_an_attempt_needs_its_outcome(
    twin: LocalTwin, plate_of: Callable[[str], str], token: Callable[[str], str]
) -> None:
    officer = token(COLLEAGUE)
    code = rate(twin, plate_of(WINDOW), WINDOW, real_name=True)
    opened(twin, officer, code)
    acted(twin, officer, code, "explain", text="已解释")
    acted(twin, officer, code, "give_feedback", text="已答复")
    status, refused = staff_act(twin, officer, code, "record_call_back_attempt", reason="busy")
    assert status == 422
    assert refused["error"]["fields"] == [{"field": "reason", "problem": "no_answer, unavailable or refused"}]
