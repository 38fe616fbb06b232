"""The follow-up, escalation and retention operations on in-memory stores: each write happens once,
each notice goes out at least once, and a move worked out on a stale task is worked out again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from haochaping.domain.errors import NotFound
from haochaping.domain.followup import Action, Actor, CallBackRules, ChangedMeanwhile, Role, StaleVersion
from haochaping.domain.rating import Channel, Level, Rating, tracking_code_for
from haochaping.domain.task import Rung, TaskState
from haochaping.operations import escalation, followup, retention
from haochaping.operations.escalation import Outcome
from haochaping.operations.rules import Rules, rules_from
from haochaping.settings import settings_from

from tests.unit.conftest import SETTINGS_VARIABLES
from tests.unit.fakes import MemoryStores, SendFailed

pytestmark = pytest.mark.unit

DIVISION, HALL, WINDOW = "640104", "XQZWFW", "640104-A017"
RATED_STAFF = "XQ1001"
OFFICER = Actor("XQ2001", frozenset({Role.OFFICER}), HALL, DIVISION)
SUPERVISOR = Actor("XQ3001", frozenset({Role.SUPERVISOR}), HALL, DIVISION)
SECOND_SUPERVISOR = Actor("XQ3002", frozenset({Role.SUPERVISOR}), HALL, DIVISION)
RATED_AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in China


@pytest.fixture
def rules() -> Rules:
    return rules_from(settings_from(SETTINGS_VARIABLES))


@pytest.fixture
def stores() -> MemoryStores:
    stores = MemoryStores()
    stores.registry.officers[HALL] = [RATED_STAFF, "XQ2001", "XQ2002"]
    stores.registry.supervisors[HALL] = ["XQ3001", "XQ3002"]
    return stores


def a_rating(stores: MemoryStores, level: Level = Level.DISSATISFIED, real_name: bool = False) -> Rating:
    code = tracking_code_for(f"unit-{len(stores.ratings.ratings)}", b"unit-secret")
    rating = Rating(
        tracking_code=code,
        submission_id=f"unit-{code}",
        division_code=DIVISION,
        window_code=WINDOW,
        hall_code=HALL,
        department_code="XQ-SWJ",
        staff_job_number=RATED_STAFF,
        level=level,
        channel=Channel.QR,
        tags=("101",),
        tag_version="2026-1",
        comment="",
        case_no=None,
        item_code=None,
        real_name=real_name,
        assess_number=1,
        rated_at=RATED_AT,
    )
    stores.ratings.ratings[code] = rating
    if real_name:
        stores.ratings.sealed[code] = stores.evaluators.seal(code, "张三", "13900000000")
        stores.tasks.personal_data.add(code)
    return rating


def opened(stores: MemoryStores, rules: Rules, real_name: bool = False) -> str:
    code = a_rating(stores, real_name=real_name).tracking_code
    assert followup.open_followup(code, stores, rules, now=RATED_AT + timedelta(seconds=5))
    return code


# -- opening a task -------------------------------------------------------------------------------


def test_a_bad_review_opens_one_task_for_the_halls_officers_but_the_rated_one(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given a bad review of XQ1001
    code = a_rating(stores).tracking_code
    # When its message is handled, and handled again (redelivered)
    first = followup.open_followup(code, stores, rules)
    again = followup.open_followup(code, stores, rules)
    # Then one task was written, with its deadlines and next step, for the officers other than XQ1001
    assert (first, again) == (True, False)
    assert stores.tasks.writes == 1
    row = stores.tasks.rows[code]
    assert row.officers == ["XQ2001", "XQ2002"]
    assert row.task.state == TaskState.VERIFYING and row.task.rated_staff == RATED_STAFF
    assert row.step_ahead is not None and row.step_ahead.rung == Rung.REMINDER
    # And the officers were told once, with codes and a link only
    (notice,) = stores.notices.officers.sent
    assert notice == {
        "type": "followup_opened",
        "tracking_code": code,
        "hall_code": HALL,
        "window_code": WINDOW,
        "real_name": "no",
        "rectification_due": "2026-03-17",
        "link": f"{SETTINGS_VARIABLES['PUBLIC_BASE_URL']}/console#task={code}",
    }
    assert row.task.officers_notified_at is not None
    # And the notice is addressed to them by job number, so that XQ1001 is never told of it
    assert stores.notices.addressed == [["XQ2001", "XQ2002"]]


def test_a_notice_that_failed_is_sent_when_the_message_comes_back_and_the_task_is_not_written_again(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given the officers' topic fails once, right after the task was written
    code = a_rating(stores).tracking_code
    stores.notices.officers.fail_next = 1
    with pytest.raises(SendFailed):
        followup.open_followup(code, stores, rules)
    assert stores.tasks.writes == 1 and stores.notices.officers.sent == []
    # When the queue delivers the message again
    created = followup.open_followup(code, stores, rules)
    # Then the task is not opened twice, and the notice goes out now, once
    assert created is False and stores.tasks.writes == 1
    assert [n["tracking_code"] for n in stores.notices.officers.sent] == [code]  # type: ignore[index]
    followup.open_followup(code, stores, rules)
    assert len(stores.notices.officers.sent) == 1


def test_a_good_rating_opens_nothing(stores: MemoryStores, rules: Rules) -> None:
    code = a_rating(stores, level=Level.SATISFIED).tracking_code
    assert followup.open_followup(code, stores, rules) is False
    assert stores.tasks.rows == {} and stores.notices.officers.sent == []


# -- staff's moves --------------------------------------------------------------------------------


def test_a_move_that_raced_a_system_write_is_worked_again_on_the_task_as_it_is(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given the officer saw version 1, and the system notes a step's notice between the
    # move's read and its write
    code = opened(stores, rules)
    stores.tasks.meanwhile.append(lambda: stores.tasks.mark_step_notified(code, "a-step"))
    # When the officer records the first contact
    after = followup.act(OFFICER, code, Action.RECORD_CONTACT, 1, stores, rules)
    # Then the move was written once, over the system's write, which it kept
    assert after.contacted_at is not None and after.version == 2
    stored = stores.tasks.get(code)
    assert stored == after and stored is not None and stored.notified_step == "a-step"
    assert stores.tasks.writes == 2  # the open and this move


def test_a_move_that_keeps_losing_the_race_is_refused_as_stale(stores: MemoryStores, rules: Rules) -> None:
    # Given two system writes, each between a read of the move and its write
    code = opened(stores, rules)
    for n in range(2):
        stores.tasks.meanwhile.append(lambda n=n: stores.tasks.mark_step_notified(code, f"step-{n}"))
    # When the officer acts
    # Then the move is refused, and nothing of it was written
    with pytest.raises(StaleVersion):
        followup.act(OFFICER, code, Action.RECORD_CONTACT, 1, stores, rules)
    task = stores.tasks.get(code)
    assert task is not None and task.contacted_at is None and task.version == 1


def test_not_adopted_voids_the_rating_and_reports_it_once_and_an_upheld_appeal_restores_it(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given a proposal that the bad review was malicious
    code = opened(stores, rules)
    followup.act(OFFICER, code, Action.PROPOSE_NOT_ADOPTED, 1, stores, rules, text="录像为证", reason="malicious")
    # When a supervisor approves it
    approved = followup.act(SUPERVISOR, code, Action.APPROVE_NOT_ADOPTED, 2, stores, rules)
    # Then the rating is void, one report is written and the same one sent, naming no evaluator
    assert approved.state == TaskState.NOT_ADOPTED and stores.tasks.voided == {code: True}
    (report,) = stores.tasks.reports_written
    assert stores.notices.reports.sent == [report]
    assert (report.proposed_by, report.approved_by, report.reason) == ("XQ2001", "XQ3001", "malicious")
    assert followup.reports(SUPERVISOR, stores) == [report]
    # When the citizen, told of the decision, appeals and a supervisor who took no part upholds the appeal
    followup.act(OFFICER, code, Action.GIVE_FEEDBACK, 3, stores, rules, text="经核实不予采纳")
    followup.act(Actor.citizen(), code, Action.APPEAL, None, stores, rules, text="我没有恶意")
    now = datetime(2027, 3, 19, 2, 0, tzinfo=UTC)  # a Friday
    upheld = followup.act(SECOND_SUPERVISOR, code, Action.UPHOLD_APPEAL, 5, stores, rules, now=now)
    # Then the rating counts again and the deadlines run anew from the decision
    assert stores.tasks.voided == {code: False}
    assert upheld.counted_from == now
    assert upheld.rectification_due == datetime(2027, 3, 26, 16, 0, tzinfo=UTC)  # 5 working days: Fri 03-26


def test_closing_a_real_name_task_dates_the_removal_of_its_personal_data(stores: MemoryStores, rules: Rules) -> None:
    # Given a real-name task worked to its call-back
    code = opened(stores, rules, real_name=True)
    moves = [
        (Action.RECORD_CONTACT, {}),
        (Action.EXPLAIN, {"text": "已说明"}),
        (Action.GIVE_FEEDBACK, {"text": "已答复"}),
        (Action.RECORD_CALL_BACK, {"verdict": "satisfied"}),
    ]
    for version, (action, fields) in enumerate(moves, start=1):
        followup.act(OFFICER, code, action, version, stores, rules, **fields)  # type: ignore[arg-type]
    # When it is closed
    closed_at = datetime(2026, 3, 12, 8, 0, tzinfo=UTC)
    followup.act(OFFICER, code, Action.CLOSE, 5, stores, rules, now=closed_at)
    # Then the evaluator's data is due for removal a retention period later, and goes then, once
    assert stores.tasks.purge_at == {code: closed_at + rules.personal_data_retention}
    assert retention.purge_personal_data(stores, now=closed_at + rules.personal_data_retention - timedelta(1)) == 0
    assert retention.purge_personal_data(stores, now=closed_at + rules.personal_data_retention) == 1
    assert retention.purge_personal_data(stores, now=closed_at + rules.personal_data_retention) == 0
    assert code not in stores.tasks.personal_data


def test_the_evaluator_is_shown_to_the_halls_own_staff_only(stores: MemoryStores, rules: Rules) -> None:
    code = opened(stores, rules, real_name=True)
    other_hall = Actor("YC2001", frozenset({Role.OFFICER}), "YC01", DIVISION)
    admin = Actor("XQ9001", frozenset({Role.ADMIN}), HALL, DIVISION)
    assert followup.view_task(OFFICER, code, stores).evaluator == {"name": "张三", "phone": "13900000000"}
    assert followup.view_task(admin, code, stores).evaluator is None
    with pytest.raises(NotFound):
        followup.view_task(other_hall, code, stores)


# -- the staff member rated, the appeal, the call-back -------------------------------------------

RATED_AS_OFFICER = Actor(RATED_STAFF, frozenset({Role.OFFICER, Role.SUPERVISOR}), HALL, DIVISION)
OTHER_HALL_SUPERVISOR = Actor("XQ3101", frozenset({Role.SUPERVISOR}), "XQBDC", DIVISION)


def not_adopted(stores: MemoryStores, rules: Rules, approver: Actor = SUPERVISOR) -> str:
    code = opened(stores, rules)
    followup.act(OFFICER, code, Action.PROPOSE_NOT_ADOPTED, 1, stores, rules, text="录像为证", reason="malicious")
    followup.act(approver, code, Action.APPROVE_NOT_ADOPTED, 2, stores, rules)
    return code


def test_the_staff_member_rated_finds_their_bad_review_in_no_list_and_no_report(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given two bad reviews of XQ1001, who is also follow-up staff of the hall; one not adopted
    code = opened(stores, rules)
    decided = not_adopted(stores, rules)
    # When XQ1001 lists the hall's tasks, by every filter, and its reports
    lists = [
        followup.list_tasks(RATED_AS_OFFICER, stores, state=state, due=due, real_name=real_name, now=RATED_AT)
        for state in (None, "verifying", "not_adopted")
        for due in (None, "soon", "overdue")
        for real_name in (None, False)
    ]
    # Then neither is there, while a colleague sees both
    assert all(tasks == [] for tasks in lists)
    assert followup.reports(RATED_AS_OFFICER, stores) == []
    assert {t.tracking_code for t in followup.list_tasks(OFFICER, stores, now=RATED_AT)} == {code, decided}
    assert [r.tracking_code for r in followup.reports(OFFICER, stores)] == [decided]
    with pytest.raises(NotFound):
        followup.view_task(RATED_AS_OFFICER, code, stores)


def test_an_approval_by_the_halls_only_independent_supervisor_sends_the_appeal_to_the_division(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given a hall whose registry lists one supervisor, who approves a not-adopted decision
    stores.registry.supervisors[HALL] = ["XQ3001"]
    code = not_adopted(stores, rules)
    # Then the approver is recorded, the appeal goes to the division, and the report says both
    task = stores.tasks.get(code)
    assert task is not None and (task.approved_by, task.appeal_to_division) == ("XQ3001", True)
    (report,) = stores.tasks.reports_written
    assert (report.rated_staff, report.appeal_to_division) == (RATED_STAFF, True)
    # And a supervisor of another hall of the division reads the report and decides the appeal
    assert followup.reports(OTHER_HALL_SUPERVISOR, stores) == [report]
    followup.act(OFFICER, code, Action.GIVE_FEEDBACK, 3, stores, rules, text="经核实不予采纳")
    followup.act(Actor.citizen(), code, Action.APPEAL, None, stores, rules, text="我没有恶意")
    assert followup.view_task(SUPERVISOR, code, stores).allowed == ["close", "assign"]  # and decides no appeal
    assert followup.view_task(OTHER_HALL_SUPERVISOR, code, stores).allowed == ["uphold_appeal", "dismiss_appeal"]
    dismissed = followup.act(OTHER_HALL_SUPERVISOR, code, Action.DISMISS_APPEAL, 5, stores, rules, text="维持")
    assert dismissed.appeal_decided and dismissed.audit[-1].actor == "XQ3101"


def test_with_another_supervisor_in_the_hall_the_appeal_stays_there(stores: MemoryStores, rules: Rules) -> None:
    code = not_adopted(stores, rules)
    task = stores.tasks.get(code)
    assert task is not None and task.appeal_to_division is False
    assert followup.reports(OTHER_HALL_SUPERVISOR, stores) == []


def test_a_dissatisfied_call_back_reopens_the_fix_with_its_deadline_counted_anew(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given a real-name task whose fix was told to the citizen
    code = opened(stores, rules, real_name=True)
    for version, (action, fields) in enumerate(
        [(Action.EXPLAIN, {"text": "已说明"}), (Action.GIVE_FEEDBACK, {"text": "已答复"})], start=1
    ):
        followup.act(OFFICER, code, action, version, stores, rules, **fields)  # type: ignore[arg-type]
    # When the call-back on Thu 2027-03-18 records 不满意
    now = datetime(2027, 3, 18, 2, 0, tzinfo=UTC)
    reopened = followup.act(OFFICER, code, Action.RECORD_CALL_BACK, 3, stores, rules, verdict="dissatisfied", now=now)
    # Then the task is rectified again, against a deadline counted from the call-back: 5 working days
    assert (reopened.state, reopened.reopenings) == (TaskState.RECTIFYING, 1)
    assert reopened.counted_from == now
    assert reopened.rectification_due == datetime(2027, 3, 25, 16, 0, tzinfo=UTC)
    assert stores.tasks.get(code) == reopened
    assert [e.action for e in reopened.audit][-2:] == ["record_call_back", "reopen"]


def test_the_call_back_rules_are_the_districts_settings(rules: Rules) -> None:
    assert rules.call_back == CallBackRules(attempts=3, attempt_working_days=2, reopenings=1)


# -- escalation -----------------------------------------------------------------------------------


def due_step(stores: MemoryStores, code: str) -> tuple[str, datetime]:
    step = stores.tasks.rows[code].step_ahead
    assert step is not None
    return step.key, step.at


def test_the_sweep_queues_each_step_whose_time_has_come(stores: MemoryStores, rules: Rules) -> None:
    code = opened(stores, rules)
    key, at = due_step(stores, code)
    assert escalation.sweep(stores, now=at - timedelta(seconds=1)).queued == 0
    result = escalation.sweep(stores, now=at)
    assert (result.queued, stores.queues.queued_steps.sent) == (1, [(code, key)])


def test_a_step_is_taken_once_and_told_once_however_often_it_is_delivered(stores: MemoryStores, rules: Rules) -> None:
    # Given the reminder's time has come
    code = opened(stores, rules)
    key, at = due_step(stores, code)
    # When its message is delivered twice
    first = escalation.escalate(code, key, stores, rules, now=at)
    second = escalation.escalate(code, key, stores, rules, now=at + timedelta(minutes=1))
    # Then it was recorded once and the officers were reminded once, never the staff member rated
    assert (first.outcome, second.outcome) == (Outcome.TAKEN, Outcome.ALREADY_TAKEN)
    task = stores.tasks.get(code)
    assert task is not None and [e.rung for e in task.escalations] == [Rung.REMINDER]
    assert [n["rung"] for n in stores.notices.officers.sent[1:]] == ["reminder"]  # type: ignore[index]
    assert stores.notices.addressed[1:] == [["XQ2001", "XQ2002"]]
    # And the task's next step is the hall supervisor's, after the deadline
    next_key, next_at = due_step(stores, code)
    assert next_key != key and Rung.HALL_SUPERVISOR.value in next_key and next_at > at


def test_a_steps_notice_that_failed_goes_out_on_redelivery_without_taking_the_step_again(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given the reminder recorded, and its notice failing once
    code = opened(stores, rules)
    key, at = due_step(stores, code)
    stores.notices.officers.fail_next = 1
    with pytest.raises(SendFailed):
        escalation.escalate(code, key, stores, rules, now=at)
    writes = stores.tasks.writes
    # When the message comes back
    result = escalation.escalate(code, key, stores, rules, now=at)
    # Then the step is not taken again, and its notice goes out now
    assert result.outcome == Outcome.ALREADY_TAKEN and stores.tasks.writes == writes
    assert [n.get("rung") for n in stores.notices.officers.sent] == [None, "reminder"]  # type: ignore[union-attr]


def test_a_step_that_raced_a_write_fails_its_message_and_is_taken_on_the_retry(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given the reminder's time, and a write to the task between the step's read and its write
    code = opened(stores, rules)
    key, at = due_step(stores, code)
    stores.tasks.meanwhile.append(lambda: stores.tasks.mark_officers_notified(code, at))
    # When the step is taken: the message fails (the queue delivers it again)
    with pytest.raises(ChangedMeanwhile):
        escalation.escalate(code, key, stores, rules, now=at)
    assert len(stores.notices.officers.sent) == 1  # the opening notice only
    # Then on the retry it is taken, and told, once
    assert escalation.escalate(code, key, stores, rules, now=at).outcome == Outcome.TAKEN
    assert escalation.escalate(code, key, stores, rules, now=at).outcome == Outcome.ALREADY_TAKEN
    assert len(stores.notices.officers.sent) == 2


def test_a_step_of_a_task_that_moved_on_is_not_taken(stores: MemoryStores, rules: Rules) -> None:
    # Given the first contact was made before the reminder came
    code = opened(stores, rules)
    key, at = due_step(stores, code)
    followup.act(OFFICER, code, Action.RECORD_CONTACT, 1, stores, rules, now=at - timedelta(hours=1))
    # When the reminder's message arrives
    result = escalation.escalate(code, key, stores, rules, now=at)
    # Then nothing is taken or told, and no task is missing
    assert result.outcome == Outcome.NOT_DUE
    task = stores.tasks.get(code)
    assert task is not None and task.escalations == () and len(stores.notices.officers.sent) == 1
    assert escalation.escalate("NOSUCHTASK00", key, stores, rules, now=at).outcome == Outcome.NO_TASK
