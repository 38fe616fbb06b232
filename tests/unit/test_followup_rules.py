"""The follow-up task's state machine 回访核实任务, without AWS: who may make which move, when.

verifying ─┬─ resolve_on_spot ───────────────────────┐
           ├─ start_rectification ── mark_rectified ──┤
           ├─ explain ────────────────────────────────┤
           └─ propose_not_adopted ─┬─ approve ────────┤   (another person, a supervisor)
                                   └─ reject → verifying
                                                      ▼
                    give_feedback ── record_call_back ── close
                                  ├─ record_call_back_attempt (enough of them: unreachable, may close)
                                  └─ give_verdict (the citizen; closes when the task may close)

A real-name task closes only after the call-back after the fix (record_call_back), or after
enough unsuccessful attempts on enough working days; the contact made to verify
(record_contact) is not that call-back. A 不满意 verdict sends the fix back once.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from haochaping.domain.calendar import WorkingCalendar
from haochaping.domain.errors import Conflict, Forbidden, InvalidFields, NotFound
from haochaping.domain.followup import (
    TRANSITIONS,
    Action,
    Actor,
    CallBackRules,
    NotIndependent,
    Role,
    StaleVersion,
    TransitionRefused,
    addressees,
    allowed_actions,
    appeal_goes_to_division,
    apply,
    check_access,
    may_decide_appeal,
    may_see,
    open_task,
    took_part,
    working_days_tried,
)
from haochaping.domain.rating import CHINA_TIME
from haochaping.domain.task import (
    AttemptOutcome,
    CallBackAttempt,
    NotAdoptedReason,
    Report,
    Task,
    TaskState,
    Verdict,
)

pytestmark = pytest.mark.unit

DIVISION, HALL, OTHER_HALL = "640104", "XQZWFW", "XQBDC"
OPENED_AT = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)  # Fri 10:00 in the service centre
APPEAL_PERIOD = timedelta(days=15)

OFFICER = Actor("XQ2001", frozenset({Role.OFFICER}), HALL, DIVISION)
SECOND_OFFICER = Actor("XQ2002", frozenset({Role.OFFICER}), HALL, DIVISION)
SUPERVISOR = Actor("XQ3001", frozenset({Role.SUPERVISOR}), HALL, DIVISION)
SECOND_SUPERVISOR = Actor("XQ3002", frozenset({Role.SUPERVISOR}), HALL, DIVISION)
# A head of section who both follows up and approves: may propose, but not approve their own proposal.
OFFICER_AND_SUPERVISOR = Actor("XQ3009", frozenset({Role.OFFICER, Role.SUPERVISOR}), HALL, DIVISION)
OTHER_HALL_OFFICER = Actor("XQ2101", frozenset({Role.OFFICER}), OTHER_HALL, DIVISION)
OTHER_HALL_SUPERVISOR = Actor("XQ3101", frozenset({Role.SUPERVISOR}), OTHER_HALL, DIVISION)
OTHER_DIVISION_OFFICER = Actor("XF2001", frozenset({Role.OFFICER}), HALL, "640105")
OTHER_DIVISION_SUPERVISOR = Actor("XF3001", frozenset({Role.SUPERVISOR}), OTHER_HALL, "640105")
ADMIN = Actor("XQ9001", frozenset({Role.ADMIN}), None, DIVISION)
HALL_OFFICERS = ("XQ2001", "XQ2002", "XQ3009")  # the hall's follow-up officers, as the registry lists them
CITIZEN = Actor.citizen()
RATED = "XQ1017"  # on duty at the window that was rated
# The hall's supervisors as the registry lists them, for an approval to know who may decide an appeal.
HALL_SUPERVISORS = (SUPERVISOR.identity, SECOND_SUPERVISOR.identity, OFFICER_AND_SUPERVISOR.identity)


def new_task(real_name: bool = False) -> Task:
    return open_task(
        tracking_code="RCSXGQR2YCAK",
        division_code=DIVISION,
        hall_code=HALL,
        window_code="640104-A017",
        rated_staff=RATED,
        real_name=real_name,
        opened_at=OPENED_AT,
        first_contact_due=datetime(2026, 2, 14, 16, 0, tzinfo=UTC),
        rectification_due=datetime(2026, 2, 27, 16, 0, tzinfo=UTC),
        provisional=False,
    )


class Clock:
    """Each move an hour after the previous one."""

    def __init__(self) -> None:
        self.now = OPENED_AT

    def tick(self) -> datetime:
        self.now += timedelta(hours=1)
        return self.now


def move(task: Task, actor: Actor, action: Action, clock: Clock | None = None, **kwargs: Any) -> Task:
    """Take a move on the version the actor sees now (in a hall with HALL_SUPERVISORS)."""
    now = clock.tick() if clock else OPENED_AT + timedelta(hours=len(task.audit))
    kwargs.setdefault("hall_supervisors", HALL_SUPERVISORS)
    return apply(task, actor, action, task.version, now, appeal_period=APPEAL_PERIOD, **kwargs)


def names(actions: list[Action]) -> list[str]:
    return [a.value for a in actions]


# ---------------------------------------------------------------- opening


def test_a_new_task_is_verifying_with_its_first_audit_line() -> None:
    task = new_task()
    assert (task.state, task.version, task.open) == (TaskState.VERIFYING, 1, True)
    (entry,) = task.audit
    assert (entry.sequence, entry.actor, entry.role, entry.action) == (1, "system", "system", "open")
    assert (entry.from_state, entry.to_state, entry.at) == ("", "verifying", OPENED_AT)
    assert names(allowed_actions(task, OFFICER)) == [
        "record_contact",
        "resolve_on_spot",
        "start_rectification",
        "explain",
        "propose_not_adopted",
        "claim",
    ]
    assert names(allowed_actions(task, SUPERVISOR)) == ["assign"]
    assert allowed_actions(task, CITIZEN) == []


def test_recording_the_first_contact_keeps_the_state() -> None:
    task = move(new_task(), OFFICER, Action.RECORD_CONTACT)
    assert (task.state, task.version) == (TaskState.VERIFYING, 2)
    assert task.contacted_at == task.contact_recorded_at == OPENED_AT + timedelta(hours=1)
    # a second contact does not move the first one
    again = move(task, OFFICER, Action.RECORD_CONTACT)
    assert again.contacted_at == task.contacted_at
    assert again.version == 3


@pytest.mark.parametrize("real_name", [True, False])
def test_verification_moving_on_meets_the_deadline_but_records_no_contact(real_name: bool) -> None:
    # Given a task whose officer started the rectification without recording a contact
    task = move(new_task(real_name), OFFICER, Action.START_RECTIFICATION, text="加强培训")
    # Then the first-contact deadline is met, but nobody is said to have been contacted
    assert task.contacted_at == OPENED_AT + timedelta(hours=1)
    assert task.contact_recorded_at is None
    # And its deadline no longer runs for it, nor does the contact move come back
    assert "record_contact" not in names(allowed_actions(task, OFFICER))


def test_a_task_opened_from_a_rating_keeps_what_was_rated() -> None:
    task = replace(new_task(), level=2, tags=("201", "203"))
    assert (task.level, task.tags) == (2, ("201", "203"))


# ---------------------------------------------------------------- every outcome, to closed

# (name, real name?, the moves: (actor, action, arguments))
PATHS: list[tuple[str, bool, list[tuple[Actor, Action, dict[str, Any]]]]] = [
    (
        "resolved on the spot, anonymous, closed after feedback",
        False,
        [
            (OFFICER, Action.RECORD_CONTACT, {}),
            (OFFICER, Action.RESOLVE_ON_SPOT, {"text": "当场补办完毕"}),
            (OFFICER, Action.GIVE_FEEDBACK, {"text": "已当场为您补办"}),
            (OFFICER, Action.CLOSE, {}),
        ],
    ),
    (
        "rectified, real name, called back",
        True,
        [
            (OFFICER, Action.START_RECTIFICATION, {"text": "调整叫号规则"}),
            (OFFICER, Action.MARK_RECTIFIED, {"text": "叫号系统已按业务分流"}),
            (OFFICER, Action.GIVE_FEEDBACK, {"text": "已整改叫号系统"}),
            (OFFICER, Action.RECORD_CALL_BACK, {"verdict": "satisfied"}),
            (SUPERVISOR, Action.CLOSE, {}),
        ],
    ),
    (
        "explained, anonymous, closed by the citizen's verdict online",
        False,
        [
            (OFFICER, Action.EXPLAIN, {"text": "材料须由本人提交，无法代办"}),
            (OFFICER, Action.GIVE_FEEDBACK, {"text": "已说明政策"}),
            (CITIZEN, Action.GIVE_VERDICT, {"verdict": "basically_satisfied"}),
        ],
    ),
    (
        "resolved, real name, the citizen's verdict online, then the call-back after the fix",
        True,
        [
            (OFFICER, Action.RECORD_CONTACT, {}),
            (OFFICER, Action.RESOLVE_ON_SPOT, {"text": "电话中已解答"}),
            (OFFICER, Action.GIVE_FEEDBACK, {"text": "已电话答复"}),
            (CITIZEN, Action.GIVE_VERDICT, {"verdict": "satisfied"}),
            (OFFICER, Action.RECORD_CALL_BACK, {"verdict": "satisfied"}),
            (OFFICER, Action.CLOSE, {}),
        ],
    ),
    (
        "explained during rectification, real name, called back",
        True,
        [
            (OFFICER, Action.START_RECTIFICATION, {}),
            (OFFICER, Action.EXPLAIN, {"text": "系统由省级平台统一建设，已反映"}),
            (OFFICER, Action.GIVE_FEEDBACK, {"text": "已向省级平台反映"}),
            (OFFICER, Action.RECORD_CALL_BACK, {"verdict": "basically_satisfied"}),
            (OFFICER, Action.CLOSE, {}),
        ],
    ),
    (
        "not adopted, approved by a supervisor",
        False,
        [
            (OFFICER, Action.PROPOSE_NOT_ADOPTED, {"reason": "mistaken", "text": "评价人误选窗口，监控为证"}),
            (SUPERVISOR, Action.APPROVE_NOT_ADOPTED, {}),
            (OFFICER, Action.GIVE_FEEDBACK, {"text": "经核实为误评"}),
            (OFFICER, Action.CLOSE, {}),
        ],
    ),
]


@pytest.mark.parametrize(("real_name", "moves"), [p[1:] for p in PATHS], ids=[p[0] for p in PATHS])
def test_every_outcome_path_leads_to_closed(real_name: bool, moves: list[tuple[Actor, Action, dict[str, Any]]]) -> None:
    # Given a new task
    task = new_task(real_name=real_name)
    clock = Clock()
    # When the moves are taken one after the other, each allowed when it is taken
    for actor, action, arguments in moves:
        assert action in allowed_actions(task, actor), (action, task.state)
        task = move(task, actor, action, clock, **arguments)
    # Then the task is closed, at the last move, with one audit line per move after the opening
    assert task.state == TaskState.CLOSED
    assert not task.open
    assert task.closed_at == clock.now
    assert task.version == 1 + len(moves)
    assert [e.action for e in task.audit] == ["open", *(action.value for _, action, _ in moves)]
    assert task.outcome in {TaskState.RESOLVED_ON_SPOT, TaskState.RECTIFIED, TaskState.EXPLAINED, TaskState.NOT_ADOPTED}
    assert task.contacted_at is not None
    assert task.feedback
    # And nobody may move a closed task on, except a citizen appealing a not-adopted decision
    for actor in (OFFICER, SUPERVISOR):
        assert allowed_actions(task, actor) == []
    assert names(allowed_actions(task, CITIZEN)) == (["appeal"] if task.rating_void else [])


def test_the_outcome_is_recorded_with_what_was_done() -> None:
    task = move(new_task(), OFFICER, Action.START_RECTIFICATION, text="先调整排班")
    assert (task.state, task.outcome, task.explanation) == (TaskState.RECTIFYING, None, "先调整排班")
    task = move(task, OFFICER, Action.MARK_RECTIFIED, text="已增设窗口")
    assert (task.state, task.outcome, task.explanation) == (TaskState.RECTIFIED, TaskState.RECTIFIED, "已增设窗口")


@pytest.mark.parametrize("action", [Action.RESOLVE_ON_SPOT, Action.EXPLAIN, Action.GIVE_FEEDBACK])
def test_an_outcome_or_feedback_needs_its_text(action: Action) -> None:
    task = new_task()
    if action == Action.GIVE_FEEDBACK:
        task = move(task, OFFICER, Action.RESOLVE_ON_SPOT, text="已解决")
    with pytest.raises(InvalidFields) as refused:
        move(task, OFFICER, action, text="   ")
    assert list(refused.value.problems) == ["text"]


def test_a_verdict_must_be_one_of_the_three() -> None:
    task = move(
        move(new_task(), OFFICER, Action.RESOLVE_ON_SPOT, text="已解决"), OFFICER, Action.GIVE_FEEDBACK, text="x"
    )
    with pytest.raises(InvalidFields) as refused:
        move(task, OFFICER, Action.RECORD_CALL_BACK, verdict="very_satisfied")
    assert list(refused.value.problems) == ["verdict"]
    assert {v.value for v in Verdict} == {"satisfied", "basically_satisfied", "dissatisfied"}


def test_text_is_bounded() -> None:
    with pytest.raises(InvalidFields) as refused:
        move(new_task(), OFFICER, Action.EXPLAIN, text="长" * 2001)
    assert list(refused.value.problems) == ["text"]
    assert move(new_task(), OFFICER, Action.EXPLAIN, text="长" * 2000).explanation == "长" * 2000


# ---------------------------------------------------------------- real name: 100% call-back


def feedback_given(real_name: bool) -> Task:
    task = move(new_task(real_name=real_name), OFFICER, Action.EXPLAIN, text="已解释")
    return move(task, OFFICER, Action.GIVE_FEEDBACK, text="已向您说明")


def test_a_real_name_task_cannot_close_without_a_recorded_call_back() -> None:
    # Given a real-name bad review whose feedback was given
    task = feedback_given(real_name=True)
    # When an officer or a supervisor tries to close it
    assert names(allowed_actions(task, OFFICER)) == ["record_call_back", "record_call_back_attempt"]
    assert Action.CLOSE not in allowed_actions(task, SUPERVISOR)
    for actor in (OFFICER, SUPERVISOR):
        with pytest.raises(TransitionRefused) as refused:
            move(task, actor, Action.CLOSE)
        # Then it is refused, saying why and what is allowed instead
        assert "call-back" in refused.value.message
    # And once the call-back is recorded, it closes
    called = move(task, OFFICER, Action.RECORD_CALL_BACK, verdict="satisfied")
    assert (called.state, called.called_back, called.verdict) == (TaskState.CALLED_BACK, True, Verdict.SATISFIED)
    assert move(called, OFFICER, Action.CLOSE).state == TaskState.CLOSED


def test_an_anonymous_task_closes_after_feedback() -> None:
    task = feedback_given(real_name=False)
    assert Action.CLOSE in allowed_actions(task, OFFICER)
    closed = move(task, OFFICER, Action.CLOSE)
    assert (closed.state, closed.called_back, closed.verdict) == (TaskState.CLOSED, False, None)


def test_the_contact_made_to_verify_is_not_the_call_back_after_the_fix() -> None:
    # Given a real-name task whose officer recorded the call made to verify it, then explained
    task = move(new_task(real_name=True), OFFICER, Action.RECORD_CONTACT)
    assert (task.contacted_at, task.called_back) == (OPENED_AT + timedelta(hours=1), False)
    task = move(task, OFFICER, Action.EXPLAIN, text="已解释")
    task = move(task, OFFICER, Action.GIVE_FEEDBACK, text="已向您说明")
    # Then that contact does not count: the task may not close without the call-back after the fix
    assert names(allowed_actions(task, OFFICER)) == ["record_call_back", "record_call_back_attempt"]
    with pytest.raises(TransitionRefused, match="call-back after the fix"):
        move(task, OFFICER, Action.CLOSE)
    # And the contact is in the trail as what it was
    assert task.audit[1].action == "record_contact"


def test_a_call_back_can_only_be_recorded_after_the_fix_and_its_feedback() -> None:
    # Given a real-name task at each stage before the feedback on the fix
    verifying = new_task(real_name=True)
    rectifying = move(verifying, OFFICER, Action.START_RECTIFICATION, text="调整排班")
    rectified = move(rectifying, OFFICER, Action.MARK_RECTIFIED, text="已调整")
    # Then neither the call-back nor an attempt at it may be recorded yet
    for task in (verifying, rectifying, rectified):
        for action in (Action.RECORD_CALL_BACK, Action.RECORD_CALL_BACK_ATTEMPT):
            assert action not in allowed_actions(task, OFFICER)
            with pytest.raises(TransitionRefused):
                move(task, OFFICER, action, verdict="satisfied", reason="no_answer")
    # And once the feedback on the fix is given, both may
    answered = move(rectified, OFFICER, Action.GIVE_FEEDBACK, text="已整改")
    assert {Action.RECORD_CALL_BACK, Action.RECORD_CALL_BACK_ATTEMPT} <= set(allowed_actions(answered, OFFICER))


def test_the_citizens_verdict_closes_a_task_that_may_close() -> None:
    # Given an anonymous task whose feedback was given
    task = feedback_given(real_name=False)
    # When the citizen gives their verdict on the status page
    closed = move(task, CITIZEN, Action.GIVE_VERDICT, verdict="basically_satisfied")
    # Then it is kept, and the task closes with it
    assert (closed.state, closed.verdict, closed.called_back) == (
        TaskState.CLOSED,
        Verdict.BASICALLY_SATISFIED,
        False,
    )
    assert closed.closed_at == closed.audit[-1].at
    entry = closed.audit[-1]
    assert (entry.actor, entry.role, entry.from_state, entry.to_state) == (
        "citizen",
        "citizen",
        "feedback_given",
        "closed",
    )


def test_the_citizens_own_verdict_is_not_a_recorded_call_back() -> None:
    # Given a real-name task nobody called, whose citizen gave their verdict on the status page
    task = move(feedback_given(real_name=True), CITIZEN, Action.GIVE_VERDICT, verdict="satisfied")
    # Then the verdict is kept, but it is no call-back: the task may not close
    assert (task.state, task.verdict, task.called_back) == (TaskState.CALLED_BACK, Verdict.SATISFIED, False)
    assert Action.CLOSE not in allowed_actions(task, OFFICER)


def test_a_real_name_task_with_an_online_verdict_still_gets_its_call_back() -> None:
    # Given a real-name task nobody called, whose citizen gave their verdict on the status page
    task = move(feedback_given(real_name=True), CITIZEN, Action.GIVE_VERDICT, verdict="satisfied")
    # Then the officer may still record the call-back, and then close
    assert allowed_actions(task, OFFICER) != []
    assert Action.RECORD_CALL_BACK in allowed_actions(task, OFFICER)
    called = move(task, OFFICER, Action.RECORD_CALL_BACK, verdict="satisfied")
    assert (called.state, called.called_back) == (TaskState.CALLED_BACK, True)
    assert Action.RECORD_CALL_BACK not in allowed_actions(called, OFFICER)
    assert move(called, OFFICER, Action.CLOSE).state == TaskState.CLOSED


# ---------------------------------------------------------------- not adopted 不予采纳


def proposed(by: Actor = OFFICER, reason: str = "malicious") -> Task:
    return move(new_task(), by, Action.PROPOSE_NOT_ADOPTED, reason=reason, text="同一设备十分钟内差评五次")


def test_a_proposal_records_reason_evidence_and_who_proposed() -> None:
    task = proposed()
    assert task.state == TaskState.PROPOSED_NOT_ADOPTED
    assert (task.not_adopted_reason, task.evidence, task.proposed_by) == (
        NotAdoptedReason.MALICIOUS,
        "同一设备十分钟内差评五次",
        OFFICER.identity,
    )
    assert task.rating_void is False  # not yet: a second person must approve
    assert allowed_actions(task, OFFICER) == []
    assert names(allowed_actions(task, SUPERVISOR)) == ["approve_not_adopted", "reject_not_adopted", "assign"]


@pytest.mark.parametrize(
    ("reason", "text", "problems"),
    [
        ("other", "证据", ["reason"]),
        (None, "证据", ["reason"]),
        ("MISTAKEN", "证据", ["reason"]),
        ("mistaken", "", ["text"]),
        ("malicious", "   ", ["text"]),
        ("", "", ["reason", "text"]),
    ],
)
def test_not_adopted_needs_mistaken_or_malicious_and_evidence(
    reason: str | None, text: str, problems: list[str]
) -> None:
    with pytest.raises(InvalidFields) as refused:
        move(new_task(), OFFICER, Action.PROPOSE_NOT_ADOPTED, reason=reason, text=text)
    assert sorted(refused.value.problems) == problems


def test_the_proposer_cannot_approve_their_own_proposal() -> None:
    # Given a proposal by someone who is officer and supervisor at once
    task = proposed(by=OFFICER_AND_SUPERVISOR)
    # When they try to approve it themselves
    assert Action.APPROVE_NOT_ADOPTED not in allowed_actions(task, OFFICER_AND_SUPERVISOR)
    with pytest.raises(TransitionRefused) as refused:
        move(task, OFFICER_AND_SUPERVISOR, Action.APPROVE_NOT_ADOPTED)
    # Then it is refused: a second person must approve; they may still reject it
    assert "second person" in refused.value.message
    assert refused.value.allowed == ["reject_not_adopted", "assign"]
    assert isinstance(refused.value, Conflict)
    # And another supervisor's approval is accepted
    approved = move(task, SUPERVISOR, Action.APPROVE_NOT_ADOPTED)
    assert approved.state == TaskState.NOT_ADOPTED
    assert (approved.outcome, approved.rating_void) == (TaskState.NOT_ADOPTED, True)
    assert approved.audit[-1].actor == SUPERVISOR.identity
    assert approved.appeal_deadline == approved.audit[-1].at + APPEAL_PERIOD


def test_a_rejected_proposal_goes_back_to_verifying() -> None:
    # Given a proposal
    task = proposed()
    # When a supervisor rejects it without saying why, then saying why
    with pytest.raises(InvalidFields):
        move(task, SUPERVISOR, Action.REJECT_NOT_ADOPTED)
    rejected = move(task, SUPERVISOR, Action.REJECT_NOT_ADOPTED, text="证据不足，请继续核实")
    # Then the task is verifying again, the proposal forgotten, the rating still counted
    assert rejected.state == TaskState.VERIFYING
    assert (rejected.not_adopted_reason, rejected.proposed_by, rejected.rating_void) == (None, None, False)
    assert Action.PROPOSE_NOT_ADOPTED in allowed_actions(rejected, OFFICER)
    entry = rejected.audit[-1]
    assert (entry.from_state, entry.to_state, entry.reason) == (
        "proposed_not_adopted",
        "verifying",
        "证据不足，请继续核实",
    )


# ---------------------------------------------------------------- who may act


@pytest.mark.parametrize(
    ("actor", "action", "task_of"),
    [
        (SUPERVISOR, Action.RESOLVE_ON_SPOT, new_task),
        (SUPERVISOR, Action.PROPOSE_NOT_ADOPTED, new_task),
        (OFFICER, Action.APPROVE_NOT_ADOPTED, proposed),
        (SECOND_OFFICER, Action.REJECT_NOT_ADOPTED, proposed),
        (CITIZEN, Action.CLOSE, new_task),
        (CITIZEN, Action.RECORD_CALL_BACK, new_task),
        (OFFICER, Action.GIVE_VERDICT, new_task),
        (OFFICER, Action.APPEAL, new_task),
        (OFFICER, Action.UPHOLD_APPEAL, new_task),
        (ADMIN, Action.RECORD_CONTACT, new_task),
    ],
)
def test_a_move_of_another_role_is_forbidden(actor: Actor, action: Action, task_of: Any) -> None:
    task = task_of()
    with pytest.raises(Forbidden) as refused:
        move(task, actor, action, text="x", reason="mistaken", verdict="satisfied")
    _, roles, _ = TRANSITIONS[action]
    assert all(role.value in refused.value.message for role in roles)


@pytest.mark.parametrize("actor", [OTHER_HALL_OFFICER, OTHER_HALL_SUPERVISOR, OTHER_DIVISION_OFFICER])
def test_a_task_of_another_hall_is_not_found(actor: Actor) -> None:
    # Given a task of the service centre
    task = new_task()
    # When staff of another hall (or another division) look at it or act on it
    # Then it is as if it did not exist, whatever the move and the version
    with pytest.raises(NotFound):
        check_access(task, actor)
    for action in (Action.RECORD_CONTACT, Action.APPROVE_NOT_ADOPTED, Action.CLOSE):
        with pytest.raises(NotFound):
            apply(task, actor, action, 99, OPENED_AT, text="x")


def test_no_task_is_not_found_and_admins_see_their_divisions_tasks() -> None:
    with pytest.raises(NotFound):
        check_access(None, OFFICER)
    assert check_access(new_task(), ADMIN).hall_code == HALL
    with pytest.raises(NotFound):
        check_access(new_task(), replace(ADMIN, division_code="640105"))


def test_a_move_on_a_stale_version_is_refused() -> None:
    # Given a task an officer loaded at version 1, then moved on in another window
    task = move(new_task(), OFFICER, Action.RECORD_CONTACT)
    # When the first officer acts on what they saw
    with pytest.raises(StaleVersion) as refused:
        apply(task, OFFICER, Action.RESOLVE_ON_SPOT, 1, OPENED_AT + timedelta(hours=2), text="已解决")
    # Then it is a conflict telling them to reload
    assert isinstance(refused.value, Conflict)
    assert refused.value.code == "stale_version"
    assert "reload" in refused.value.message
    with pytest.raises(StaleVersion):
        apply(task, OFFICER, Action.RESOLVE_ON_SPOT, 3, OPENED_AT + timedelta(hours=2), text="已解决")


@pytest.mark.parametrize(
    ("task_of", "actor", "action", "allowed"),
    [
        (
            new_task,
            OFFICER,
            Action.MARK_RECTIFIED,
            ["record_contact", "resolve_on_spot", "start_rectification", "explain", "propose_not_adopted", "claim"],
        ),
        (new_task, OFFICER, Action.GIVE_FEEDBACK, None),
        (new_task, OFFICER, Action.CLOSE, None),
        (proposed, SUPERVISOR, Action.CLOSE, ["approve_not_adopted", "reject_not_adopted", "assign"]),
        (lambda: feedback_given(False), OFFICER, Action.EXPLAIN, ["record_call_back", "close"]),
        (lambda: feedback_given(False), CITIZEN, Action.APPEAL, ["give_verdict"]),
    ],
)
def test_a_refused_move_lists_the_allowed_ones(task_of: Any, actor: Actor, action: Action, allowed: Any) -> None:
    task = task_of()
    expected = allowed if allowed is not None else names(allowed_actions(task, actor))
    with pytest.raises(TransitionRefused) as refused:
        move(task, actor, action, text="x", verdict="satisfied")
    assert refused.value.allowed == expected
    assert f"{action.value} is not allowed now" in refused.value.message
    assert refused.value.message.endswith("allowed: " + ", ".join(expected))
    assert isinstance(refused.value, Conflict)


# ---------------------------------------------------------------- appeal 申诉复核


def not_adopted(closed: bool = True) -> Task:
    clock = Clock()
    task = move(
        new_task(), OFFICER, Action.PROPOSE_NOT_ADOPTED, clock, reason="mistaken", text="监控显示未在本窗口办理"
    )
    task = move(task, SUPERVISOR, Action.APPROVE_NOT_ADOPTED, clock)
    task = move(task, OFFICER, Action.GIVE_FEEDBACK, clock, text="经核实为误评，不予采纳")
    return move(task, OFFICER, Action.CLOSE, clock) if closed else task


def appeal_at(task: Task, at: datetime) -> Task:
    return apply(task, CITIZEN, Action.APPEAL, task.version, at, text="我确实在该窗口办理过，有受理单")


def test_no_verdict_is_asked_after_not_adopted() -> None:
    # Given a not-adopted review whose feedback was given, and a resolved one
    decided = not_adopted(closed=False)
    resolved = feedback_given(real_name=False)
    # Then the citizen may appeal the first and rate the fix of the second, never the other way
    assert names(allowed_actions(decided, CITIZEN, decided.audit[-1].at)) == ["appeal"]
    assert names(allowed_actions(resolved, CITIZEN)) == ["give_verdict"]
    with pytest.raises(Conflict, match="neither"):
        apply(decided, CITIZEN, Action.GIVE_VERDICT, decided.version, decided.audit[-1].at, verdict="satisfied")


def test_only_a_not_adopted_decision_can_be_appealed() -> None:
    # Given tasks whose feedback was given: one resolved, one not adopted
    resolved = feedback_given(real_name=False)
    decided = not_adopted(closed=False)
    # Then the citizen may appeal the not-adopted one only
    assert Action.APPEAL not in allowed_actions(resolved, CITIZEN)
    assert Action.APPEAL in allowed_actions(decided, CITIZEN)
    with pytest.raises(TransitionRefused, match="only a not-adopted decision"):
        appeal_at(resolved, OPENED_AT + timedelta(days=1))
    # And not while the decision is still a proposal
    with pytest.raises(TransitionRefused):
        move(proposed(), CITIZEN, Action.APPEAL, text="x")


def test_an_appeal_is_taken_within_the_period_and_only_once_at_a_time() -> None:
    # Given a not-adopted decision, closed
    task = not_adopted()
    assert task.appeal_deadline is not None
    # When the citizen appeals at the last moment of the period
    appealed = appeal_at(task, task.appeal_deadline)
    # Then the appeal is open, the task stays where it was, and a supervisor who took no part may decide it
    assert (appealed.state, appealed.appeal_open, appealed.rating_void) == (TaskState.CLOSED, True, True)
    assert appealed.appeal == "我确实在该窗口办理过，有受理单"
    assert names(allowed_actions(appealed, SECOND_SUPERVISOR)) == ["uphold_appeal", "dismiss_appeal"]
    assert allowed_actions(appealed, SUPERVISOR) == []  # who approved the decision
    assert allowed_actions(appealed, CITIZEN) == []
    with pytest.raises(TransitionRefused):
        appeal_at(appealed, task.appeal_deadline)


def test_an_appeal_after_the_period_is_refused() -> None:
    task = not_adopted()
    assert task.appeal_deadline is not None
    with pytest.raises(TransitionRefused) as refused:
        appeal_at(task, task.appeal_deadline + timedelta(microseconds=1))
    # The generic refusal: appeal is no longer among the allowed moves, and the message lists them
    assert refused.value.allowed == []
    assert refused.value.message.startswith("appeal is not allowed now")
    assert refused.value.message.endswith("allowed: none")


def test_an_appeal_needs_its_text() -> None:
    task = not_adopted()
    with pytest.raises(InvalidFields):
        apply(task, CITIZEN, Action.APPEAL, task.version, OPENED_AT + timedelta(days=1), text="")


def test_an_upheld_appeal_restores_the_rating_and_the_review_is_worked_anew() -> None:
    # Given an appeal of a closed not-adopted decision
    task = not_adopted()
    appealed = appeal_at(task, OPENED_AT + timedelta(days=2))
    # When another supervisor upholds it
    upheld = apply(appealed, SECOND_SUPERVISOR, Action.UPHOLD_APPEAL, appealed.version, OPENED_AT + timedelta(days=3))
    # Then the rating counts again and the task is verifying, with the decision undone
    assert (upheld.state, upheld.rating_void, upheld.appeal_open) == (TaskState.VERIFYING, False, False)
    assert (upheld.outcome, upheld.not_adopted_reason, upheld.proposed_by) == (None, None, None)
    assert (upheld.feedback, upheld.verdict, upheld.called_back, upheld.closed_at) == ("", None, False, None)
    assert upheld.open
    assert Action.RESOLVE_ON_SPOT in allowed_actions(upheld, OFFICER)
    entry = upheld.audit[-1]
    assert (entry.actor, entry.from_state, entry.to_state) == ("XQ3002", "closed", "verifying")


def test_a_dismissed_appeal_keeps_the_decision() -> None:
    # Given an appeal of a not-adopted decision
    appealed = appeal_at(not_adopted(), OPENED_AT + timedelta(days=2))
    # When a supervisor who took no part dismisses it without a reason, then with one
    with pytest.raises(InvalidFields):
        apply(appealed, SECOND_SUPERVISOR, Action.DISMISS_APPEAL, appealed.version, OPENED_AT + timedelta(days=3))
    dismissed = apply(
        appealed,
        SECOND_SUPERVISOR,
        Action.DISMISS_APPEAL,
        appealed.version,
        OPENED_AT + timedelta(days=3),
        text="维持原决定",
    )
    # Then the rating stays excluded, the task stays closed, and the citizen reads why
    assert (dismissed.state, dismissed.rating_void, dismissed.appeal_open) == (TaskState.CLOSED, True, False)
    assert dismissed.feedback == "维持原决定"


def test_a_dismissed_appeal_cannot_be_appealed_again() -> None:
    appealed = appeal_at(not_adopted(), OPENED_AT + timedelta(days=2))
    dismissed = apply(
        appealed,
        SECOND_SUPERVISOR,
        Action.DISMISS_APPEAL,
        appealed.version,
        OPENED_AT + timedelta(days=3),
        text="维持原决定",
    )
    assert Action.APPEAL not in allowed_actions(dismissed, CITIZEN)
    # And apply() refuses it with the generic refusal, listing the allowed moves (none)
    with pytest.raises(TransitionRefused) as refused:
        appeal_at(dismissed, OPENED_AT + timedelta(days=4))
    assert refused.value.allowed == []
    assert refused.value.message.endswith("allowed: none")


def test_the_appeal_is_not_offered_after_its_period() -> None:
    task = not_adopted()
    assert task.appeal_deadline is not None
    # Offered within the period, up to its last moment
    assert Action.APPEAL in allowed_actions(task, CITIZEN, task.appeal_deadline)
    # Not after it
    late = replace(task, appeal_deadline=OPENED_AT - timedelta(days=1))
    assert Action.APPEAL not in allowed_actions(late, CITIZEN, OPENED_AT)
    assert Action.APPEAL not in allowed_actions(task, CITIZEN, task.appeal_deadline + timedelta(microseconds=1))


# ---------------------------------------------------------------- appeal: decided by someone who took no part


def decided(hall_supervisors: tuple[str, ...] = HALL_SUPERVISORS, approver: Actor = SUPERVISOR) -> Task:
    """A not-adopted decision proposed by OFFICER and approved, in a hall with these supervisors."""
    task = proposed()
    return move(task, approver, Action.APPROVE_NOT_ADOPTED, hall_supervisors=hall_supervisors)


def appealed_against(task: Task, by: Actor = OFFICER) -> Task:
    """The decision told to the citizen by ``by`` (the task's holder), who appeals it."""
    told = move(task, by, Action.GIVE_FEEDBACK, text="经核实为恶意差评，不予采纳")
    return appeal_at(told, OPENED_AT + timedelta(days=1))


def test_the_approver_is_recorded_and_neither_they_nor_the_proposer_may_decide_the_appeal() -> None:
    # Given a decision proposed by the head of section (officer and supervisor) and approved by a supervisor
    task = move(
        proposed(by=OFFICER_AND_SUPERVISOR), SUPERVISOR, Action.APPROVE_NOT_ADOPTED, hall_supervisors=HALL_SUPERVISORS
    )
    assert (task.proposed_by, task.approved_by) == (OFFICER_AND_SUPERVISOR.identity, SUPERVISOR.identity)
    assert took_part(task) == {OFFICER_AND_SUPERVISOR.identity, SUPERVISOR.identity}
    assert task.appeal_to_division is False  # SECOND_SUPERVISOR took no part
    appealed = appealed_against(task, by=OFFICER_AND_SUPERVISOR)  # who proposed it holds it
    for part_of_it in (SUPERVISOR, OFFICER_AND_SUPERVISOR):
        # When one who took part tries to decide the appeal
        assert not may_decide_appeal(appealed, part_of_it)
        assert not set(allowed_actions(appealed, part_of_it)) & {Action.UPHOLD_APPEAL, Action.DISMISS_APPEAL}
        for action in (Action.UPHOLD_APPEAL, Action.DISMISS_APPEAL):
            # Then it is forbidden for who they are (403), whatever the version they name
            for version in (appealed.version, appealed.version - 1):
                with pytest.raises(NotIndependent) as refused:
                    apply(appealed, part_of_it, action, version, OPENED_AT + timedelta(days=2), text="维持")
                assert isinstance(refused.value, Forbidden)
                assert refused.value.code == "not_independent"
                assert "neither proposed nor approved" in refused.value.message
                assert refused.value.allowed == names(allowed_actions(appealed, part_of_it, OPENED_AT))
    # And a supervisor of the hall who took no part decides it
    assert may_decide_appeal(appealed, SECOND_SUPERVISOR)
    dismissed = apply(
        appealed, SECOND_SUPERVISOR, Action.DISMISS_APPEAL, appealed.version, OPENED_AT + timedelta(days=2), text="维持"
    )
    assert (dismissed.appeal_open, dismissed.audit[-1].actor) == (False, SECOND_SUPERVISOR.identity)


@pytest.mark.parametrize(
    ("hall_supervisors", "to_division"),
    [
        ((SUPERVISOR.identity, SECOND_SUPERVISOR.identity), False),
        ((SUPERVISOR.identity,), True),  # the approver is the hall's only supervisor
        ((), True),  # the hall has no supervisor on record
        ((SUPERVISOR.identity, RATED), True),  # the other one is the staff member who was rated
        ((SUPERVISOR.identity, OFFICER.identity), True),  # the proposer, made supervisor since
        ((OFFICER.identity, SECOND_SUPERVISOR.identity), False),
    ],
    ids=["another-supervisor", "only-the-approver", "none", "only-the-rated-one", "only-the-proposer", "one-left"],
)
def test_an_appeal_goes_to_the_division_when_no_supervisor_of_the_hall_took_no_part(
    hall_supervisors: tuple[str, ...], to_division: bool
) -> None:
    # Given a decision proposed by OFFICER and approved by SUPERVISOR, in a hall with these supervisors
    task = decided(hall_supervisors)
    # Then the appeal goes to the division exactly when none of them is independent of it
    assert appeal_goes_to_division(task, hall_supervisors) is to_division
    assert task.appeal_to_division is to_division
    # And the trail says so, as the system's line after the approval
    lines = [(e.actor, e.action, e.from_state, e.to_state) for e in task.audit[-2:]]
    if to_division:
        assert lines == [
            (SUPERVISOR.identity, "approve_not_adopted", "proposed_not_adopted", "not_adopted"),
            ("system", "appeal_to_division", "not_adopted", "not_adopted"),
        ]
        assert (task.audit[-1].reason, task.audit[-1].codes) == ("", ())  # the action says it all
    else:
        assert lines[-1][:2] == (SUPERVISOR.identity, "approve_not_adopted")


def test_an_appeal_that_goes_to_the_division_is_decided_by_a_supervisor_of_another_hall_there() -> None:
    # Given a decision approved by the hall's only supervisor, appealed
    appealed = appealed_against(decided((SUPERVISOR.identity,)))
    assert appealed.appeal_to_division
    # Then the approver may not decide it
    assert not may_decide_appeal(appealed, SUPERVISOR)
    with pytest.raises(NotIndependent):
        apply(appealed, SUPERVISOR, Action.UPHOLD_APPEAL, appealed.version, OPENED_AT + timedelta(days=2))
    # And a supervisor of another hall of the division sees the task and may decide it, and nothing else
    assert check_access(appealed, OTHER_HALL_SUPERVISOR) == appealed
    assert names(allowed_actions(appealed, OTHER_HALL_SUPERVISOR)) == ["uphold_appeal", "dismiss_appeal"]
    # But nobody else outside the hall: not that hall's officer, nor another division's supervisor
    for outsider in (OTHER_HALL_OFFICER, OTHER_DIVISION_SUPERVISOR):
        assert not may_see(appealed, outsider)
        with pytest.raises(NotFound):
            apply(appealed, outsider, Action.UPHOLD_APPEAL, appealed.version, OPENED_AT + timedelta(days=2))
    upheld = apply(
        appealed, OTHER_HALL_SUPERVISOR, Action.UPHOLD_APPEAL, appealed.version, OPENED_AT + timedelta(days=2)
    )
    # And the upheld appeal returns the case to its hall: the decision, its people and its routing undone
    assert (upheld.state, upheld.rating_void, upheld.approved_by, upheld.appeal_to_division) == (
        TaskState.VERIFYING,
        False,
        None,
        False,
    )
    assert upheld.audit[-1].actor == OTHER_HALL_SUPERVISOR.identity
    assert not may_see(upheld, OTHER_HALL_SUPERVISOR)


def test_a_supervisor_of_another_hall_may_not_touch_a_decided_case_while_its_appeal_is_the_halls() -> None:
    # Given a decision whose appeal can be decided in the hall, appealed
    appealed = appealed_against(decided())
    # Then a supervisor of another hall neither sees nor decides it
    assert not may_see(appealed, OTHER_HALL_SUPERVISOR)
    assert not may_decide_appeal(appealed, OTHER_HALL_SUPERVISOR)
    with pytest.raises(NotFound):
        check_access(appealed, OTHER_HALL_SUPERVISOR)


def test_a_division_supervisor_may_not_close_the_case_they_were_sent_for_the_appeal() -> None:
    # Given a decision whose appeal goes to the division, answered but not yet closed
    task = move(decided((SUPERVISOR.identity,)), OFFICER, Action.GIVE_FEEDBACK, text="经核实为恶意差评")
    assert Action.CLOSE in allowed_actions(task, SUPERVISOR)
    # Then a supervisor of another hall may read it but not close it: the hall closes its own cases
    assert may_see(task, OTHER_HALL_SUPERVISOR)
    assert allowed_actions(task, OTHER_HALL_SUPERVISOR) == []
    with pytest.raises(TransitionRefused):
        move(task, OTHER_HALL_SUPERVISOR, Action.CLOSE)


# ---------------------------------------------------------------- the rated staff member is out of their own case


@pytest.mark.parametrize(
    "roles",
    [{Role.OFFICER}, {Role.SUPERVISOR}, {Role.OFFICER, Role.SUPERVISOR}, {Role.ADMIN}],
    ids=["officer", "supervisor", "head", "admin"],
)
def test_the_staff_member_rated_is_out_of_their_own_case_whatever_their_roles(roles: set[Role]) -> None:
    # Given a bad review of XQ1017, who is also follow-up staff of the hall
    rated = Actor(RATED, frozenset(roles), HALL, DIVISION)
    colleague = Actor("XQ2009", frozenset(roles), HALL, DIVISION)
    task = new_task(real_name=True)
    # Then they may not see the task, nor act on it: it is as if it did not exist
    assert not may_see(task, rated)
    with pytest.raises(NotFound):
        check_access(task, rated)
    for action in TRANSITIONS:
        with pytest.raises(NotFound):
            apply(task, rated, action, task.version, OPENED_AT, text="x", reason="mistaken", verdict="satisfied")
    # And nor the report of its not-adopted decision, though a colleague in the same roles may
    report = Report(
        division_code=DIVISION,
        tracking_code=task.tracking_code,
        hall_code=HALL,
        window_code=task.window_code,
        reason="malicious",
        evidence="录像为证",
        proposed_by=OFFICER.identity,
        approved_by=SUPERVISOR.identity,
        decided_at=OPENED_AT,
        rated_staff=RATED,
        appeal_to_division=True,
    )
    assert not may_see(report, rated)
    assert may_see(task, colleague) and may_see(report, colleague)


def test_the_staff_member_rated_is_never_among_whom_a_notice_is_addressed_to() -> None:
    # Given the hall's officers, the staff member rated among them
    task = open_task(
        tracking_code="RCSXGQR2YCAK",
        division_code=DIVISION,
        hall_code=HALL,
        window_code="640104-A017",
        rated_staff=RATED,
        real_name=False,
        opened_at=OPENED_AT,
        first_contact_due=OPENED_AT + timedelta(days=1),
        rectification_due=OPENED_AT + timedelta(days=7),
        provisional=False,
        officers=[OFFICER.identity, RATED, SECOND_OFFICER.identity],
    )
    # Then the task's notices go to the others only
    assert task.officers == (OFFICER.identity, SECOND_OFFICER.identity)
    assert addressees(task, [RATED, "XQ2009"]) == ["XQ2009"]
    # And a bad review with nobody on duty keeps everyone
    assert addressees(replace(task, rated_staff=None), [RATED]) == [RATED]


# ---------------------------------------------------------------- the call-back after the fix 回访


def answered(real_name: bool = True, outcome: Action = Action.MARK_RECTIFIED) -> Task:
    """A task whose fix (or explanation) was made and told to the citizen."""
    clock = Clock()
    task = move(new_task(real_name=real_name), OFFICER, Action.RECORD_CONTACT, clock)
    if outcome == Action.MARK_RECTIFIED:
        task = move(task, OFFICER, Action.START_RECTIFICATION, clock, text="调整排班")
    task = move(task, OFFICER, outcome, clock, text="已处理")
    return move(task, OFFICER, Action.GIVE_FEEDBACK, clock, text="已向您反馈")


def china(day: str, hour: int = 10) -> datetime:
    """``hour`` o'clock of a day in China."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CHINA_TIME)


DEFAULT_CALL_BACK = CallBackRules()  # 3 attempts on 2 working days; 不满意 reopens once


def attempt(task: Task, at: datetime, outcome: str = "no_answer", rules: CallBackRules = DEFAULT_CALL_BACK) -> Task:
    return apply(task, OFFICER, Action.RECORD_CALL_BACK_ATTEMPT, task.version, at, reason=outcome, call_back=rules)


def test_attempts_on_one_working_day_do_not_let_a_real_name_task_close_and_a_second_day_does() -> None:
    # Given a real-name task whose fix was told to the citizen
    task = answered()
    # When the officer tries three times that Wednesday, reaching nobody
    for hour, outcome in ((9, "no_answer"), (11, "unavailable"), (16, "no_answer")):
        task = attempt(task, china("2026-03-11", hour), outcome)
    # Then the attempts are recorded, but one working day is not enough: the task may not close
    assert [(a.at.astimezone(CHINA_TIME).hour, a.outcome) for a in task.call_back_attempts] == [
        (9, AttemptOutcome.NO_ANSWER),
        (11, AttemptOutcome.UNAVAILABLE),
        (16, AttemptOutcome.NO_ANSWER),
    ]
    assert task.call_back_attempts[0].by == OFFICER.identity
    assert (task.unreachable, task.state) == (False, TaskState.FEEDBACK_GIVEN)
    with pytest.raises(TransitionRefused, match="call-back after the fix"):
        move(task, OFFICER, Action.CLOSE)
    # When the officer tries once more the next working day
    task = attempt(task, china("2026-03-12"), "refused")
    # Then the citizen is marked unreachable, in the trail, and the task may close without a verdict
    assert task.unreachable
    assert [(e.actor, e.action) for e in task.audit[-2:]] == [
        (OFFICER.identity, "record_call_back_attempt"),
        ("system", "mark_unreachable"),
    ]
    assert dict(task.audit[-1].codes) == {"attempts": "4", "working_days": "2"}
    assert names(allowed_actions(task, OFFICER)) == ["record_call_back", "close"]
    closed = move(task, OFFICER, Action.CLOSE)
    assert (closed.state, closed.verdict, closed.called_back) == (TaskState.CLOSED, None, False)


@pytest.mark.parametrize(
    ("days", "working_days"),
    [
        (["2026-02-13", "2026-02-13", "2026-02-13"], 1),  # a Friday, three times
        (["2026-02-13", "2026-02-14", "2026-02-14"], 2),  # Sat 02-14 is a working day (调休)
        (["2026-02-13", "2026-02-15", "2026-02-16"], 1),  # Spring Festival: rest days
        (["2026-02-15", "2026-02-16", "2026-02-17"], 0),
        (["2026-02-13", "2026-02-24", "2026-02-25"], 3),
    ],
)
def test_attempts_count_the_working_days_they_were_made_on(days: list[str], working_days: int) -> None:
    attempts = [CallBackAttempt(china(day), OFFICER.identity, AttemptOutcome.NO_ANSWER) for day in days]
    assert working_days_tried(attempts) == working_days
    assert CallBackRules().gives_up(tuple(attempts)) is (working_days >= 2)


def test_attempts_on_rest_days_are_attempts_but_not_working_days() -> None:
    # Given a fix told to the citizen before the Spring Festival, and attempts on Fri, and on two holidays
    task = answered()
    for day in ("2026-02-13", "2026-02-16", "2026-02-17"):
        task = attempt(task, china(day))
    # Then three attempts on one working day are not enough
    assert (len(task.call_back_attempts), task.unreachable) == (3, False)
    # And a working day after the holiday is
    assert attempt(task, china("2026-02-24")).unreachable


def test_attempts_at_a_days_edges_count_in_china_time() -> None:
    # 23:30 on Wed and 00:30 on Thu in China are two working days, though the same UTC date
    task = answered()
    for at in (china("2026-03-11", 8), china("2026-03-11", 23).replace(minute=30), china("2026-03-12", 0)):
        task = attempt(task, at)
    assert task.unreachable
    assert {a.at.astimezone(UTC).date().isoformat() for a in task.call_back_attempts} == {"2026-03-11"}


def test_the_calendar_given_decides_what_a_working_day_is() -> None:
    # Given a hall closed on Thu 2026-03-12 (a rest day on its calendar)
    closed_thursday = WorkingCalendar(overrides={date(2026, 3, 12): False})
    task = answered()
    for at in (china("2026-03-11", 9), china("2026-03-11", 15), china("2026-03-12")):
        task = apply(
            task,
            OFFICER,
            Action.RECORD_CALL_BACK_ATTEMPT,
            task.version,
            at,
            reason="no_answer",
            calendar=closed_thursday,
        )
    # Then Thursday's attempt is no second working day
    assert not task.unreachable


@pytest.mark.parametrize(
    ("rules", "attempts_on", "unreachable"),
    [
        (CallBackRules(attempts=5), ["2026-03-11", "2026-03-12", "2026-03-12", "2026-03-13"], False),
        (CallBackRules(attempts=5), ["2026-03-11", "2026-03-12", "2026-03-12", "2026-03-13", "2026-03-13"], True),
        (CallBackRules(attempts=2, attempt_working_days=1), ["2026-03-11", "2026-03-11"], True),
        (CallBackRules(attempt_working_days=3), ["2026-03-11", "2026-03-12", "2026-03-12"], False),
        (CallBackRules(attempt_working_days=3), ["2026-03-11", "2026-03-12", "2026-03-13"], True),
    ],
)
def test_the_number_of_attempts_and_of_their_working_days_is_the_districts(
    rules: CallBackRules, attempts_on: list[str], unreachable: bool
) -> None:
    task = answered()
    for n, day in enumerate(attempts_on):
        task = attempt(task, china(day, 9 + n), rules=rules)
    assert task.unreachable is unreachable
    assert (Action.CLOSE in allowed_actions(task, OFFICER)) is unreachable


def test_an_attempt_says_what_happened() -> None:
    task = answered()
    for outcome in (None, "", "busy", "NO_ANSWER"):
        with pytest.raises(InvalidFields) as refused:
            apply(task, OFFICER, Action.RECORD_CALL_BACK_ATTEMPT, task.version, china("2026-03-11"), reason=outcome)
        assert refused.value.problems == {"reason": "no_answer, unavailable or refused"}
    assert {o.value for o in AttemptOutcome} == {"no_answer", "unavailable", "refused"}


def test_an_anonymous_evaluator_is_not_called_back_and_a_called_back_one_no_more() -> None:
    # Given an anonymous task whose fix was told: nobody to call, nothing to attempt
    anonymous = answered(real_name=False)
    assert Action.RECORD_CALL_BACK_ATTEMPT not in allowed_actions(anonymous, OFFICER)
    with pytest.raises(TransitionRefused, match="anonymous"):
        move(anonymous, OFFICER, Action.RECORD_CALL_BACK_ATTEMPT, reason="no_answer")
    # And a real-name one called back with a verdict needs no more attempts
    called = move(answered(), OFFICER, Action.RECORD_CALL_BACK, verdict="satisfied")
    assert Action.RECORD_CALL_BACK_ATTEMPT not in allowed_actions(called, OFFICER)
    # And one marked unreachable needs none either, though the call-back may still be recorded
    task = answered()
    for at in (china("2026-03-11", 9), china("2026-03-11", 15), china("2026-03-12")):
        task = attempt(task, at)
    assert names(allowed_actions(task, OFFICER)) == ["record_call_back", "close"]
    late = move(task, OFFICER, Action.RECORD_CALL_BACK, verdict="basically_satisfied")
    assert (late.called_back, late.verdict) == (True, Verdict.BASICALLY_SATISFIED)


@pytest.mark.parametrize("outcome", [Action.MARK_RECTIFIED, Action.EXPLAIN, Action.RESOLVE_ON_SPOT])
def test_a_dissatisfied_verdict_reopens_the_fix_once(outcome: Action) -> None:
    # Given a real-name task whose fix was told to the citizen
    task = answered(outcome=outcome)
    # When the call-back after it records 不满意
    reopened = move(task, OFFICER, Action.RECORD_CALL_BACK, verdict="dissatisfied", text="仍需排队很久")
    # Then the task is back to rectification, the verdict in the trail, and needs a new fix, feedback and call-back
    assert (reopened.state, reopened.reopenings, reopened.outcome) == (TaskState.RECTIFYING, 1, None)
    assert (reopened.called_back, reopened.verdict, reopened.feedback) == (False, None, "")
    assert reopened.version == task.version + 1
    assert [(e.actor, e.action, e.from_state, e.to_state) for e in reopened.audit[-2:]] == [
        (OFFICER.identity, "record_call_back", "feedback_given", "called_back"),
        ("system", "reopen", "called_back", "rectifying"),
    ]
    assert (reopened.audit[-2].reason, dict(reopened.audit[-2].codes)) == ("仍需排队很久", {"verdict": "dissatisfied"})
    assert dict(reopened.audit[-1].codes) == {"reopening": "1", "reopenings_allowed": "1"}
    assert names(allowed_actions(reopened, OFFICER)) == ["mark_rectified", "explain"]
    # When it is fixed again and the citizen is still 不满意
    again = move(reopened, OFFICER, Action.MARK_RECTIFIED, text="增设窗口")
    again = move(again, OFFICER, Action.GIVE_FEEDBACK, text="已增设窗口")
    again = move(again, OFFICER, Action.RECORD_CALL_BACK, verdict="dissatisfied")
    # Then it is not reopened twice: the verdict stands and the task may close
    assert (again.state, again.verdict, again.called_back, again.reopenings) == (
        TaskState.CALLED_BACK,
        Verdict.DISSATISFIED,
        True,
        1,
    )
    assert move(again, OFFICER, Action.CLOSE).state == TaskState.CLOSED


@pytest.mark.parametrize(("reopenings", "reopened"), [(0, 0), (1, 1), (2, 2)])
def test_how_often_a_dissatisfied_verdict_reopens_is_the_districts(reopenings: int, reopened: int) -> None:
    rules = CallBackRules(reopenings=reopenings)
    task = answered()
    for _ in range(3):
        task = move(task, OFFICER, Action.RECORD_CALL_BACK, verdict="dissatisfied", call_back=rules)
        if task.state != TaskState.RECTIFYING:
            break
        task = move(task, OFFICER, Action.MARK_RECTIFIED, text="再整改")
        task = move(task, OFFICER, Action.GIVE_FEEDBACK, text="已再整改")
    assert task.reopenings == reopened
    assert task.state == TaskState.CALLED_BACK
    assert [e.action for e in task.audit].count("reopen") == reopened


def test_a_reopened_fix_is_called_back_anew() -> None:
    # Given a real-name task with two failed attempts before the citizen was reached, 不满意
    task = answered()
    task = attempt(task, china("2026-03-11", 9))
    task = attempt(task, china("2026-03-12", 9))
    reopened = move(task, OFFICER, Action.RECORD_CALL_BACK, verdict="dissatisfied")
    # Then the attempts before the verdict do not count for the call-back after the new fix
    assert reopened.call_back_attempts == ()
    again = move(move(reopened, OFFICER, Action.EXPLAIN, text="无法再改"), OFFICER, Action.GIVE_FEEDBACK, text="已说明")
    again = attempt(again, china("2026-03-16", 9))
    assert not again.unreachable
    assert Action.CLOSE not in allowed_actions(again, OFFICER)


def test_the_citizens_own_dissatisfied_verdict_reopens_the_fix_too() -> None:
    # Given an anonymous task whose fix was told to the citizen
    task = answered(real_name=False)
    # When the citizen says 不满意 on the status page
    reopened = move(task, CITIZEN, Action.GIVE_VERDICT, verdict="dissatisfied")
    # Then the task is rectified again instead of closing
    assert (reopened.state, reopened.reopenings, reopened.closed_at) == (TaskState.RECTIFYING, 1, None)
    assert [(e.actor, e.action) for e in reopened.audit[-2:]] == [("citizen", "give_verdict"), ("system", "reopen")]
    # And after the second fix a 不满意 verdict closes it
    again = move(reopened, OFFICER, Action.MARK_RECTIFIED, text="再整改")
    again = move(again, OFFICER, Action.GIVE_FEEDBACK, text="已再整改")
    closed = move(again, CITIZEN, Action.GIVE_VERDICT, verdict="dissatisfied")
    assert (closed.state, closed.verdict) == (TaskState.CLOSED, Verdict.DISSATISFIED)


def test_a_dissatisfied_verdict_on_a_not_adopted_decision_does_not_reopen_it() -> None:
    # Given a real-name bad review not adopted, the decision told to the citizen
    task = move(new_task(real_name=True), OFFICER, Action.PROPOSE_NOT_ADOPTED, reason="mistaken", text="误选窗口")
    task = move(task, SUPERVISOR, Action.APPROVE_NOT_ADOPTED)
    task = move(task, OFFICER, Action.GIVE_FEEDBACK, text="经核实为误评")
    # Then it too closes only after the call-back (or the attempts) ...
    assert Action.CLOSE not in allowed_actions(task, OFFICER)
    # ... and a 不满意 there is no reason to fix anything: the citizen's remedy is the appeal
    called = move(task, OFFICER, Action.RECORD_CALL_BACK, verdict="dissatisfied")
    assert (called.state, called.reopenings) == (TaskState.CALLED_BACK, 0)
    assert Action.APPEAL in allowed_actions(called, CITIZEN)
    assert move(called, OFFICER, Action.CLOSE).state == TaskState.CLOSED


# ---------------------------------------------------------------- the audit trail


def test_every_move_appends_one_audit_line_in_order() -> None:
    # Given a real-name task worked through a rejected proposal to closed
    clock = Clock()
    task = new_task(real_name=True)
    moves: list[tuple[Actor, Action, dict[str, Any]]] = [
        (OFFICER, Action.RECORD_CONTACT, {}),
        (OFFICER, Action.PROPOSE_NOT_ADOPTED, {"reason": "malicious", "text": "重复差评"}),
        (SUPERVISOR, Action.REJECT_NOT_ADOPTED, {"text": "证据不足"}),
        (SUPERVISOR, Action.ASSIGN, {"assignee": "XQ2002", "text": "原回访专员休假", "assignable": HALL_OFFICERS}),
        (SECOND_OFFICER, Action.START_RECTIFICATION, {"text": "培训"}),
        (SECOND_OFFICER, Action.MARK_RECTIFIED, {"text": "已培训"}),
        (SECOND_OFFICER, Action.GIVE_FEEDBACK, {"text": "已整改"}),
        (SECOND_OFFICER, Action.RECORD_CALL_BACK, {"verdict": "satisfied"}),
        (OFFICER_AND_SUPERVISOR, Action.CLOSE, {}),
    ]
    history = [task]
    for actor, action, arguments in moves:
        task = move(task, actor, action, clock, **arguments)
        history.append(task)
    # Then each move added exactly one line, and earlier lines never changed
    for before, after in itertools.pairwise(history):
        assert after.audit[: len(before.audit)] == before.audit
        assert len(after.audit) == len(before.audit) + 1
    # And each line says who, in which role, when, from and to, and why: what a person wrote is
    # the reason, what they chose is kept as codes beside it
    lines = [
        (e.sequence, e.actor, e.role, e.action, e.from_state, e.to_state, e.reason, dict(e.codes)) for e in task.audit
    ]
    assert lines == [
        (1, "system", "system", "open", "", "verifying", "", {}),
        (2, "XQ2001", "officer", "record_contact", "verifying", "verifying", "", {}),
        (
            3,
            "XQ2001",
            "officer",
            "propose_not_adopted",
            "verifying",
            "proposed_not_adopted",
            "重复差评",
            {"reason": "malicious"},
        ),
        (4, "XQ3001", "supervisor", "reject_not_adopted", "proposed_not_adopted", "verifying", "证据不足", {}),
        (
            5,
            "XQ3001",
            "supervisor",
            "assign",
            "verifying",
            "verifying",
            "原回访专员休假",
            {"holder_from": "XQ2001", "holder_to": "XQ2002"},
        ),
        (6, "XQ2002", "officer", "start_rectification", "verifying", "rectifying", "培训", {}),
        (7, "XQ2002", "officer", "mark_rectified", "rectifying", "rectified", "已培训", {}),
        (8, "XQ2002", "officer", "give_feedback", "rectified", "feedback_given", "已整改", {}),
        (9, "XQ2002", "officer", "record_call_back", "feedback_given", "called_back", "", {"verdict": "satisfied"}),
        (10, "XQ3009", "officer,supervisor", "close", "called_back", "closed", "", {}),
    ]
    assert [e.at for e in task.audit] == [OPENED_AT + timedelta(hours=h) for h in range(10)]


def test_a_refused_move_changes_nothing() -> None:
    task = feedback_given(real_name=True)
    for attempt in (
        lambda: move(task, OFFICER, Action.CLOSE),
        lambda: move(task, SUPERVISOR, Action.RECORD_CALL_BACK, verdict="satisfied"),
        lambda: move(task, OFFICER, Action.RECORD_CALL_BACK, verdict="great"),
        lambda: apply(task, OFFICER, Action.RECORD_CALL_BACK, 1, OPENED_AT, verdict="satisfied"),
    ):
        with pytest.raises((Conflict, Forbidden, InvalidFields)):
            attempt()
    assert task == feedback_given(real_name=True)
