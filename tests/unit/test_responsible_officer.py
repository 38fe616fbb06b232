"""The officer responsible for a task 专人 (谁办理、谁负责), without AWS: whom a bad review goes to,
who takes it on, who may then work it, how a supervisor hands it to someone else; and the
management office 管理办公室, which reads the division's reports and makes no move."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from haochaping.domain.errors import Conflict, Forbidden, InvalidFields, NotFound
from haochaping.domain.followup import (
    Action,
    Actor,
    NotHolder,
    Role,
    TransitionRefused,
    allowed_actions,
    apply,
    check_access,
    holder_role,
    may_see_evaluator,
    open_task,
)
from haochaping.domain.rating import Channel, Level, Rating, tracking_code_for
from haochaping.domain.registry import Department, Hall, Registry, Staff, StaffRole, Tag, TagSet, Window
from haochaping.domain.task import Task, TaskState
from haochaping.operations import escalation, followup
from haochaping.operations.rules import Rules, rules_from
from haochaping.settings import settings_from

from tests.unit.conftest import SETTINGS_VARIABLES
from tests.unit.fakes import MemoryStores

pytestmark = pytest.mark.unit

DIVISION, HALL, OTHER_HALL = "640104", "XQZWFW", "XQBDC"
TAX, MARKET = "11640104MB0000001X", "11640104MB0000002X"  # departments 部门 by their credit codes
OPENED_AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in China

OFFICER = Actor("XQ2001", frozenset({Role.OFFICER}), HALL, DIVISION)
SECOND_OFFICER = Actor("XQ2002", frozenset({Role.OFFICER}), HALL, DIVISION)
MARKET_OFFICER = Actor("XQ2003", frozenset({Role.OFFICER}), HALL, DIVISION)  # of the market department
SUPERVISOR = Actor("XQ3001", frozenset({Role.SUPERVISOR}), HALL, DIVISION)
OFFICER_AND_SUPERVISOR = Actor("XQ3009", frozenset({Role.OFFICER, Role.SUPERVISOR}), HALL, DIVISION)
OTHER_HALL_SUPERVISOR = Actor("XQ3101", frozenset({Role.SUPERVISOR}), OTHER_HALL, DIVISION)
OVERSEER = Actor("XQ9801", frozenset({Role.OVERSEER}), HALL, DIVISION)
OTHER_DIVISION_OVERSEER = Actor("XF9801", frozenset({Role.OVERSEER}), HALL, "640105")
CITIZEN = Actor.citizen()
RATED = "XQ1017"
HALL_OFFICERS = ("XQ2001", "XQ2002", "XQ2003", "XQ3009")


def new_task(officers: tuple[str, ...] = ("XQ2001", "XQ2002", "XQ3009"), real_name: bool = False) -> Task:
    return open_task(
        tracking_code="RCSXGQR2YCAK",
        division_code=DIVISION,
        hall_code=HALL,
        window_code="640104-A017",
        rated_staff=RATED,
        real_name=real_name,
        opened_at=OPENED_AT,
        first_contact_due=OPENED_AT + timedelta(days=1),
        rectification_due=OPENED_AT + timedelta(days=7),
        provisional=False,
        officers=officers,
    )


def move(task: Task, actor: Actor, action: Action, **kwargs: Any) -> Task:
    """A move on the version the actor sees now, an hour after the task's last line."""
    now = task.audit[-1].at + timedelta(hours=1)
    return apply(task, actor, action, task.version, now, **kwargs)


def names(actions: list[Action]) -> list[str]:
    return [a.value for a in actions]


# ---------------------------------------------------------------- whom a bad review goes to


def registry_of(staff: list[Staff]) -> Registry:
    return Registry(
        division_code=DIVISION,
        halls=(Hall(code=HALL, name="政务服务中心"), Hall(code=OTHER_HALL, name="不动产大厅")),
        departments=(Department(code=TAX, name="税务局"), Department(code=MARKET, name="市场监管局")),
        windows=(
            Window(code="XQZWFW-A001", hall_code=HALL, number="A001", name="税务窗口", department_code=TAX),
            Window(code="XQZWFW-B001", hall_code=HALL, number="B001", name="企业开办", department_code=MARKET),
            Window(code="XQBDC-A001", hall_code=OTHER_HALL, number="A001", name="登记", department_code=MARKET),
        ),
        staff=tuple(staff),
        tag_set=TagSet(version="1", tags=(Tag(code="101", name="态度差"),)),
    )


def person(job_number: str, role: StaffRole, hall: str = HALL, department: str | None = None) -> Staff:
    return Staff(job_number=job_number, name="演示", role=role, hall_code=hall, department_code=department)


@pytest.mark.parametrize(
    ("staff", "department", "expected"),
    [
        # the department's own officers in the hall, and only they
        (
            [
                person("XQ2001", StaffRole.OFFICER),
                person("XQ2003", StaffRole.OFFICER, department=MARKET),
                person("XQ2004", StaffRole.OFFICER, department=MARKET),
            ],
            MARKET,
            ["XQ2003", "XQ2004"],
        ),
        # a department with none: the hall's own officers (not another department's)
        (
            [person("XQ2001", StaffRole.OFFICER), person("XQ2003", StaffRole.OFFICER, department=MARKET)],
            TAX,
            ["XQ2001"],
        ),
        # no officer of the hall's own either: every officer of the hall, so no bad review is left with no one
        ([person("XQ2003", StaffRole.OFFICER, department=MARKET)], TAX, ["XQ2003"]),
        # an officer of the department in another hall, a supervisor, an overseer: none of them
        (
            [
                person("XQ2101", StaffRole.OFFICER, hall=OTHER_HALL, department=MARKET),
                person("XQ3001", StaffRole.SUPERVISOR, department=MARKET),
                person("XQ9801", StaffRole.OVERSEER, department=MARKET),
                person("XQ2001", StaffRole.OFFICER),
            ],
            MARKET,
            ["XQ2001"],
        ),
    ],
    ids=[
        "the-departments-own",
        "the-halls-when-the-department-has-none",
        "every-officer-as-a-last-resort",
        "not-others",
    ],
)
def test_a_bad_review_goes_to_the_officers_of_the_rated_windows_department(
    staff: list[Staff], department: str, expected: list[str]
) -> None:
    assert registry_of(staff).followup_officers(HALL, department) == expected


def test_a_staff_member_of_an_unknown_department_is_refused() -> None:
    with pytest.raises(ValueError, match="staff XQ2001: unknown department 11640104MB0000003X"):
        registry_of([person("XQ2001", StaffRole.OFFICER, department="11640104MB0000003X")])


def test_the_units_a_bad_review_can_come_from_are_the_halls_departments_with_windows() -> None:
    assert registry_of([]).responsible_units() == [(OTHER_HALL, MARKET), (HALL, TAX), (HALL, MARKET)]


def test_the_rated_staff_member_is_not_among_the_officers_a_task_goes_to() -> None:
    assert new_task(officers=("XQ2001", RATED, "XQ2002")).officers == ("XQ2001", "XQ2002")


# ---------------------------------------------------------------- taking a task on


def test_an_officer_claims_a_task_and_then_only_they_work_it() -> None:
    # Given a new task that went to three officers
    task = new_task()
    assert task.holder is None
    # When one of them claims it
    claimed = move(task, OFFICER, Action.CLAIM)
    # Then they hold it, in one audit line that changes no state
    assert (claimed.holder, claimed.state, claimed.version) == ("XQ2001", TaskState.VERIFYING, 2)
    line = claimed.audit[-1]
    assert (line.actor, line.action, line.from_state, line.to_state) == ("XQ2001", "claim", "verifying", "verifying")
    assert Action.RECORD_CONTACT in allowed_actions(claimed, OFFICER)
    assert Action.CLAIM not in allowed_actions(claimed, OFFICER)
    # And another officer it went to may neither work it nor claim it: a 403 naming what they may do (nothing)
    assert allowed_actions(claimed, SECOND_OFFICER) == []
    for action in (Action.RECORD_CONTACT, Action.CLAIM, Action.RESOLVE_ON_SPOT):
        with pytest.raises(NotHolder) as refused:
            move(claimed, SECOND_OFFICER, action, text="当场解决")
        assert isinstance(refused.value, Forbidden)
        assert refused.value.code == "not_holder"
        assert refused.value.allowed == []
        assert "held by another officer" in refused.value.message
    # But they still read it: the hall knows its work
    assert check_access(claimed, SECOND_OFFICER) is claimed


def test_the_first_move_of_an_officer_takes_the_task_on() -> None:
    # Given a task nobody holds
    task = new_task()
    # When an officer it went to makes the first move
    contacted = move(task, SECOND_OFFICER, Action.RECORD_CONTACT)
    # Then they hold it: the move's own line says who, and no other line is written
    assert contacted.holder == "XQ2002"
    assert [(e.actor, e.action) for e in contacted.audit] == [("system", "open"), ("XQ2002", "record_contact")]
    with pytest.raises(NotHolder):
        move(contacted, OFFICER, Action.RESOLVE_ON_SPOT, text="已解决")


def test_claiming_a_task_one_holds_is_a_conflict_not_a_refusal_of_the_person() -> None:
    claimed = move(new_task(), OFFICER, Action.CLAIM)
    with pytest.raises(TransitionRefused, match="you hold the task already") as refused:
        move(claimed, OFFICER, Action.CLAIM)
    assert isinstance(refused.value, Conflict)


def test_a_task_of_a_department_with_its_own_officers_is_theirs_only() -> None:
    # Given a bad review of the market department's window: it went to the department's officer
    task = new_task(officers=("XQ2003",))
    # Then the hall's other officers may not take it on, by a claim or by a move
    assert allowed_actions(task, OFFICER) == []
    for action in (Action.CLAIM, Action.RECORD_CONTACT):
        with pytest.raises(NotHolder, match="went to other follow-up officers"):
            move(task, OFFICER, action)
    # And the department's officer may
    assert names(allowed_actions(task, MARKET_OFFICER))[-1] == "claim"
    assert move(task, MARKET_OFFICER, Action.RECORD_CONTACT).holder == "XQ2003"


def test_a_task_that_went_to_no_one_by_name_may_be_taken_on_by_any_officer_of_the_hall() -> None:
    # Given a task opened before tasks named their officers
    task = new_task(officers=())
    # Then any officer of the hall may take it on, never the staff member who was rated
    assert move(task, MARKET_OFFICER, Action.CLAIM).holder == "XQ2003"
    rated = Actor(RATED, frozenset({Role.OFFICER}), HALL, DIVISION)
    with pytest.raises(NotFound):
        move(task, rated, Action.CLAIM)


# ---------------------------------------------------------------- a supervisor hands it on


def test_a_supervisor_reassigns_a_held_task_and_the_trail_says_from_whom_to_whom_and_why() -> None:
    # Given a task the first officer holds and started on
    task = move(move(new_task(), OFFICER, Action.CLAIM), OFFICER, Action.RECORD_CONTACT)
    # When the supervisor gives it to the second officer, saying why
    assigned = move(task, SUPERVISOR, Action.ASSIGN, assignee="XQ2002", text="原回访专员休假", assignable=HALL_OFFICERS)
    # Then the second officer holds it, one line records the reassignment, and nothing else changed
    assert (assigned.holder, assigned.state, assigned.version) == ("XQ2002", TaskState.VERIFYING, task.version + 1)
    line = assigned.audit[-1]
    assert (line.actor, line.role, line.action) == ("XQ3001", "supervisor", "assign")
    assert (line.reason, dict(line.codes)) == ("原回访专员休假", {"holder_from": "XQ2001", "holder_to": "XQ2002"})
    assert assigned.contacted_at == task.contacted_at
    # And the work is now the second officer's, not the first's
    assert Action.START_RECTIFICATION in allowed_actions(assigned, SECOND_OFFICER)
    with pytest.raises(NotHolder):
        move(assigned, OFFICER, Action.START_RECTIFICATION, text="整改")


def test_a_supervisor_may_assign_an_officer_of_the_hall_the_task_did_not_go_to() -> None:
    # Given the market department's task, whose only officer is away
    task = new_task(officers=("XQ2003",))
    # When the supervisor assigns it to an officer of the hall's own
    assigned = move(task, SUPERVISOR, Action.ASSIGN, assignee="xq2001", assignable=HALL_OFFICERS)
    # Then that officer holds it and works it
    assert assigned.holder == "XQ2001"
    assert dict(assigned.audit[-1].codes) == {"holder_to": "XQ2001"}  # nobody held it before
    assert move(assigned, OFFICER, Action.RECORD_CONTACT).contacted_at is not None


@pytest.mark.parametrize(
    ("assignee", "problem"),
    [
        (None, "the job number of a follow-up officer of the hall"),
        ("  ", "the job number of a follow-up officer of the hall"),
        (RATED, "the staff member who was rated never follows up their own bad review"),
        ("XQ3001", "XQ3001 is not a follow-up officer of the hall"),  # the supervisor, no officer
        ("XQ2101", "XQ2101 is not a follow-up officer of the hall"),  # another hall's officer
        ("XQ2001", "XQ2001 already holds the task"),
    ],
)
def test_an_assignment_names_an_officer_of_the_hall_who_does_not_hold_it_yet(
    assignee: str | None, problem: str
) -> None:
    task = move(new_task(), OFFICER, Action.CLAIM)
    with pytest.raises(InvalidFields) as refused:
        move(task, SUPERVISOR, Action.ASSIGN, assignee=assignee, assignable=(*HALL_OFFICERS, RATED))
    assert refused.value.problems == {"assignee": problem}


def test_only_a_supervisor_of_the_hall_assigns_and_only_while_the_task_is_open() -> None:
    task = move(new_task(), OFFICER, Action.CLAIM)
    with pytest.raises(Forbidden, match="needs the role supervisor"):
        move(task, SECOND_OFFICER, Action.ASSIGN, assignee="XQ2002")
    with pytest.raises(NotFound):
        move(task, OTHER_HALL_SUPERVISOR, Action.ASSIGN, assignee="XQ2002")
    closed = replace(task, state=TaskState.CLOSED)
    assert allowed_actions(closed, SUPERVISOR) == []
    with pytest.raises(TransitionRefused):
        move(closed, SUPERVISOR, Action.ASSIGN, assignee="XQ2002")


def test_a_supervisors_own_moves_are_theirs_whoever_holds_the_task() -> None:
    # Given a not-adopted proposal by the officer who holds the task
    task = move(new_task(), OFFICER, Action.PROPOSE_NOT_ADOPTED, reason="mistaken", text="监控为证")
    assert task.holder == "XQ2001"
    # Then a supervisor approves it, and a head of section who is officer and supervisor may close it
    approved = move(task, SUPERVISOR, Action.APPROVE_NOT_ADOPTED)
    fed_back = move(approved, OFFICER, Action.GIVE_FEEDBACK, text="经核实为误评")
    assert move(fed_back, OFFICER_AND_SUPERVISOR, Action.CLOSE).state == TaskState.CLOSED
    # But as an officer, the head of section does not do the holder's work
    with pytest.raises(NotHolder):
        move(approved, OFFICER_AND_SUPERVISOR, Action.GIVE_FEEDBACK, text="x")


# ---------------------------------------------------------------- who sees the evaluator


def test_the_evaluators_contact_is_for_whoever_calls_them() -> None:
    task = new_task(officers=("XQ2001", "XQ2002"), real_name=True)
    # Before anyone holds it: the officers it went to, and the hall's supervisors
    assert [may_see_evaluator(task, a) for a in (OFFICER, SECOND_OFFICER, MARKET_OFFICER, SUPERVISOR)] == [
        True,
        True,
        False,
        True,
    ]
    # Once held: the holder and the hall's supervisors only; never the office, another hall, a citizen
    held = move(task, SECOND_OFFICER, Action.CLAIM)
    assert [may_see_evaluator(held, a) for a in (OFFICER, SECOND_OFFICER, SUPERVISOR)] == [False, True, True]
    for outsider in (OVERSEER, OTHER_HALL_SUPERVISOR, CITIZEN):
        assert may_see_evaluator(held, outsider) is False


def test_a_notice_names_the_holders_role_never_who_they_are() -> None:
    assert holder_role(new_task()) is None
    assert holder_role(move(new_task(), OFFICER, Action.CLAIM)) == "officer"


# ---------------------------------------------------------------- the management office 管理办公室


def test_the_management_office_reads_its_divisions_tasks_and_makes_no_move() -> None:
    task = new_task()
    assert check_access(task, OVERSEER) is task
    with pytest.raises(NotFound):
        check_access(task, OTHER_DIVISION_OVERSEER)
    assert allowed_actions(task, OVERSEER) == []
    for action in (Action.CLAIM, Action.ASSIGN, Action.RECORD_CONTACT, Action.CLOSE):
        with pytest.raises(Forbidden, match="needs the role"):
            move(task, OVERSEER, action, assignee="XQ2001")


# ---------------------------------------------------------------- the operations, on in-memory stores


@pytest.fixture
def rules() -> Rules:
    return rules_from(settings_from(SETTINGS_VARIABLES))


@pytest.fixture
def stores() -> MemoryStores:
    stores = MemoryStores()
    stores.registry.officers[HALL] = ["XQ2001", "XQ2002", "XQ2003"]
    stores.registry.department_officers[(HALL, MARKET)] = ["XQ2003"]
    stores.registry.department_officers[(HALL, TAX)] = ["XQ2001", "XQ2002"]
    return stores


def rate(stores: MemoryStores, department: str, staff: str = RATED, real_name: bool = False) -> str:
    code = tracking_code_for(f"unit-{len(stores.ratings.ratings)}", b"unit-secret")
    stores.ratings.ratings[code] = Rating(
        tracking_code=code,
        submission_id=f"unit-{code}",
        division_code=DIVISION,
        window_code="XQZWFW-B001" if department == MARKET else "XQZWFW-A001",
        hall_code=HALL,
        department_code=department,
        staff_job_number=staff,
        level=Level.VERY_DISSATISFIED,
        channel=Channel.QR,
        tags=("101",),
        tag_version="1",
        comment="",
        case_no=None,
        item_code=None,
        real_name=real_name,
        assess_number=1,
        rated_at=OPENED_AT,
    )
    if real_name:
        stores.ratings.sealed[code] = stores.evaluators.seal(code, "张三", "13900000000")
    return code


def opened(stores: MemoryStores, rules: Rules, department: str, staff: str = RATED, real_name: bool = False) -> str:
    code = rate(stores, department, staff, real_name)
    assert followup.open_followup(code, stores, rules, now=OPENED_AT + timedelta(seconds=5))
    return code


def test_a_task_opens_for_the_departments_officers_or_the_halls(stores: MemoryStores, rules: Rules) -> None:
    # Given bad reviews of the market department's window and of the tax department's
    market = opened(stores, rules, MARKET)
    tax = opened(stores, rules, TAX)
    # Then each task went to its department's officers, and its store row says so too
    assert stores.tasks.rows[market].task.officers == ("XQ2003",)
    assert stores.tasks.rows[market].officers == ["XQ2003"]
    assert stores.tasks.rows[tax].task.officers == ("XQ2001", "XQ2002")


def test_when_the_departments_only_officer_was_rated_the_task_goes_to_the_halls(
    stores: MemoryStores, rules: Rules
) -> None:
    code = opened(stores, rules, MARKET, staff="XQ2003")
    assert stores.tasks.rows[code].task.officers == ("XQ2001", "XQ2002")


def test_mine_lists_exactly_the_tasks_i_hold_and_nobody_lists_those_i_may_take_on(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given three tax tasks and one market task; the first officer holds one, the second another
    first, second, free = (opened(stores, rules, TAX) for _ in range(3))
    market = opened(stores, rules, MARKET)
    followup.act(OFFICER, first, Action.CLAIM, 1, stores, rules)
    followup.act(SECOND_OFFICER, second, Action.RECORD_CONTACT, 1, stores, rules)
    # Then each officer's "mine" is exactly what they hold
    assert [t.tracking_code for t in followup.list_tasks(OFFICER, stores, holder="me")] == [first]
    assert [t.tracking_code for t in followup.list_tasks(SECOND_OFFICER, stores, holder="me")] == [second]
    assert followup.list_tasks(MARKET_OFFICER, stores, holder="me") == []
    # And "nobody" is what no one holds yet, that the officer may take on (all of it, for a supervisor)
    assert [t.tracking_code for t in followup.list_tasks(OFFICER, stores, holder="nobody")] == [free]
    assert [t.tracking_code for t in followup.list_tasks(MARKET_OFFICER, stores, holder="nobody")] == [market]
    assert {t.tracking_code for t in followup.list_tasks(SUPERVISOR, stores, holder="nobody")} == {free, market}
    # And without the filter the hall's list is whole
    assert len(followup.list_tasks(OFFICER, stores)) == 4


def test_a_supervisor_assigns_any_officer_of_the_hall_from_the_registry(stores: MemoryStores, rules: Rules) -> None:
    # Given a tax task the first officer holds
    code = opened(stores, rules, TAX)
    followup.act(OFFICER, code, Action.CLAIM, 1, stores, rules)
    # When the supervisor gives it to the market department's officer (an officer of the hall)
    task = followup.act(SUPERVISOR, code, Action.ASSIGN, 2, stores, rules, assignee="XQ2003", text="熟悉该业务")
    # Then they hold it, and the trail says who reassigned it, from whom, to whom and why
    assert task.holder == "XQ2003"
    stored = stores.tasks.get(code)
    assert stored is not None and stored.holder == "XQ2003"
    line = stored.audit[-1]
    assert (line.actor, line.reason, dict(line.codes)) == (
        "XQ3001",
        "熟悉该业务",
        {"holder_from": "XQ2001", "holder_to": "XQ2003"},
    )


def test_the_evaluator_is_shown_to_the_holder_not_to_the_other_officers(stores: MemoryStores, rules: Rules) -> None:
    code = opened(stores, rules, TAX, real_name=True)
    assert followup.view_task(SECOND_OFFICER, code, stores).evaluator is not None
    followup.act(OFFICER, code, Action.CLAIM, 1, stores, rules)
    assert followup.view_task(OFFICER, code, stores).evaluator == {"name": "张三", "phone": "13900000000"}
    assert followup.view_task(SECOND_OFFICER, code, stores).evaluator is None
    assert followup.view_task(SUPERVISOR, code, stores).evaluator is not None
    assert followup.view_task(OVERSEER, code, stores).evaluator is None


def test_an_escalation_says_whether_the_task_is_held_and_the_holders_role_only(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given a held task and a task no one holds, both past their first-contact deadline's reminder
    held = opened(stores, rules, TAX)
    followup.act(OFFICER, held, Action.CLAIM, 1, stores, rules)
    free = opened(stores, rules, MARKET)
    for code in (held, free):
        step = stores.tasks.rows[code].step_ahead
        assert step is not None
        escalation.escalate(code, step.key, stores, rules, now=step.at)
    # Then each reminder says whether someone answers for it, by role, never by job number
    sent = [n for n in stores.notices.officers.sent if isinstance(n, dict) and n.get("type") == "reminder"]
    reminders = {n["tracking_code"]: n for n in sent}
    assert (reminders[held]["held"], reminders[held]["holder_role"]) == ("yes", "officer")
    assert reminders[free]["held"] == "no" and "holder_role" not in reminders[free]
    assert not any("XQ2001" in str(value) for value in reminders[held].values())


def test_the_management_office_reads_every_report_of_the_division(stores: MemoryStores, rules: Rules) -> None:
    # Given a not-adopted decision in this hall and one in another hall
    code = opened(stores, rules, TAX)
    followup.act(OFFICER, code, Action.PROPOSE_NOT_ADOPTED, 1, stores, rules, reason="malicious", text="监控为证")
    followup.act(SUPERVISOR, code, Action.APPROVE_NOT_ADOPTED, 2, stores, rules)
    (report,) = stores.tasks.reports_written
    stores.tasks.reports_written.append(
        replace(report, tracking_code="OTHERHALL234", hall_code=OTHER_HALL, appeal_to_division=False)
    )
    # Then the office reads both, the hall's supervisor their hall's, another division's office none
    assert {r.tracking_code for r in followup.reports(OVERSEER, stores)} == {code, "OTHERHALL234"}
    assert [r.tracking_code for r in followup.reports(SUPERVISOR, stores)] == [code]
    assert followup.reports(OTHER_DIVISION_OVERSEER, stores) == []
    # And the office has no hall's work list of its own
    assert followup.list_tasks(OVERSEER, stores) == []
