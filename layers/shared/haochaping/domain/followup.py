"""The follow-up task 回访核实任务 that every bad review opens, and its state machine.

verifying ─┬─ resolved on the spot ───────────────┐
           ├─ rectifying ── rectified ────────────┤
           ├─ explained ──────────────────────────┤
           └─ proposed not adopted ─┬─ approved ──┤   (a second person, a supervisor)
                                    └─ rejected → verifying
                                                   ▼
                                  feedback given ── called back (verdict) ── closed
                                        │                  └─ 不满意: back to rectifying, once (configurable)
                                        └─ call-back attempts: enough of them, on enough working days → unreachable

A real-name task closes only after a call-back made after the fix (the feedback given), with the
citizen's verdict on it, or after enough unsuccessful attempts to reach them (CallBackRules); the
contact made to verify the complaint is recorded as what it is and does not count. The staff
member who was rated is out of their own case (may_see), and an appeal is decided by a supervisor
who took no part in the not-adopted decision (may_decide_appeal). Every move checks the actor's
role and hall, the current state and the version the actor saw.

Every open task has at most one holder 专人 (谁办理、谁负责): one of the officers it went to claims it,
by claiming it or with their first move on it, or a supervisor assigns it; only the holder then
does the officer's work on it, and only a supervisor hands it to someone else (holding rules below).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from haochaping.domain.errors import Conflict, DomainError, Forbidden, InvalidFields, NotFound
from haochaping.domain.rating import CHINA_TIME
from haochaping.domain.task import (
    AttemptOutcome,
    AuditEntry,
    CallBackAttempt,
    NotAdoptedReason,
    Task,
    TaskState,
    Verdict,
)

if TYPE_CHECKING:  # the calendar is needed by one rule only: functions that never count days do not load it
    from haochaping.domain.calendar import WorkingCalendar


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    # The same-level management office 管理办公室: reads the division's tasks and reports 通报, makes no move.
    OVERSEER = "overseer"
    CITIZEN = "citizen"  # holder of the tracking code


class Action(StrEnum):
    RECORD_CONTACT = "record_contact"  # first contact made 已联系
    RESOLVE_ON_SPOT = "resolve_on_spot"
    START_RECTIFICATION = "start_rectification"
    MARK_RECTIFIED = "mark_rectified"
    EXPLAIN = "explain"
    PROPOSE_NOT_ADOPTED = "propose_not_adopted"
    APPROVE_NOT_ADOPTED = "approve_not_adopted"
    REJECT_NOT_ADOPTED = "reject_not_adopted"
    GIVE_FEEDBACK = "give_feedback"
    RECORD_CALL_BACK = "record_call_back"  # officer records the citizen's verdict from a call after the fix
    RECORD_CALL_BACK_ATTEMPT = "record_call_back_attempt"  # a call-back that reached no verdict 回访未果
    GIVE_VERDICT = "give_verdict"  # the citizen gives it on the status page
    CLOSE = "close"
    APPEAL = "appeal"  # citizen 申诉复核
    UPHOLD_APPEAL = "uphold_appeal"
    DISMISS_APPEAL = "dismiss_appeal"
    CLAIM = "claim"  # an officer takes the task on 认领
    ASSIGN = "assign"  # a supervisor gives it to an officer, or to another one 指派/改派


APPEAL_DECISIONS = frozenset({Action.UPHOLD_APPEAL, Action.DISMISS_APPEAL})
OUTCOME_STATES = {TaskState.RESOLVED_ON_SPOT, TaskState.RECTIFIED, TaskState.EXPLAINED, TaskState.NOT_ADOPTED}
OPEN_STATES = frozenset(TaskState) - {TaskState.CLOSED}
HOLDING_MOVES = frozenset({Action.CLAIM, Action.ASSIGN})

# action → (states it may start from, roles that may take it, the state it leads to; None = stays)
TRANSITIONS: dict[Action, tuple[frozenset[TaskState], frozenset[Role], TaskState | None]] = {
    Action.RECORD_CONTACT: (frozenset({TaskState.VERIFYING}), frozenset({Role.OFFICER}), None),
    Action.RESOLVE_ON_SPOT: (frozenset({TaskState.VERIFYING}), frozenset({Role.OFFICER}), TaskState.RESOLVED_ON_SPOT),
    Action.START_RECTIFICATION: (frozenset({TaskState.VERIFYING}), frozenset({Role.OFFICER}), TaskState.RECTIFYING),
    Action.MARK_RECTIFIED: (frozenset({TaskState.RECTIFYING}), frozenset({Role.OFFICER}), TaskState.RECTIFIED),
    Action.EXPLAIN: (
        frozenset({TaskState.VERIFYING, TaskState.RECTIFYING}),
        frozenset({Role.OFFICER}),
        TaskState.EXPLAINED,
    ),
    Action.PROPOSE_NOT_ADOPTED: (
        frozenset({TaskState.VERIFYING}),
        frozenset({Role.OFFICER}),
        TaskState.PROPOSED_NOT_ADOPTED,
    ),
    Action.APPROVE_NOT_ADOPTED: (
        frozenset({TaskState.PROPOSED_NOT_ADOPTED}),
        frozenset({Role.SUPERVISOR}),
        TaskState.NOT_ADOPTED,
    ),
    Action.REJECT_NOT_ADOPTED: (
        frozenset({TaskState.PROPOSED_NOT_ADOPTED}),
        frozenset({Role.SUPERVISOR}),
        TaskState.VERIFYING,
    ),
    Action.GIVE_FEEDBACK: (frozenset(OUTCOME_STATES), frozenset({Role.OFFICER}), TaskState.FEEDBACK_GIVEN),
    # Also after the citizen's own verdict, while no call was recorded (a real-name task waits for one).
    Action.RECORD_CALL_BACK: (
        frozenset({TaskState.FEEDBACK_GIVEN, TaskState.CALLED_BACK}),
        frozenset({Role.OFFICER}),
        TaskState.CALLED_BACK,
    ),
    Action.RECORD_CALL_BACK_ATTEMPT: (
        frozenset({TaskState.FEEDBACK_GIVEN, TaskState.CALLED_BACK}),
        frozenset({Role.OFFICER}),
        None,
    ),
    Action.GIVE_VERDICT: (frozenset({TaskState.FEEDBACK_GIVEN}), frozenset({Role.CITIZEN}), TaskState.CALLED_BACK),
    Action.CLOSE: (
        frozenset({TaskState.FEEDBACK_GIVEN, TaskState.CALLED_BACK}),
        frozenset({Role.OFFICER, Role.SUPERVISOR}),
        TaskState.CLOSED,
    ),
    Action.APPEAL: (
        frozenset({TaskState.FEEDBACK_GIVEN, TaskState.CALLED_BACK, TaskState.CLOSED}),
        frozenset({Role.CITIZEN}),
        None,
    ),
    Action.UPHOLD_APPEAL: (
        frozenset({TaskState.FEEDBACK_GIVEN, TaskState.CALLED_BACK, TaskState.CLOSED}),
        frozenset({Role.SUPERVISOR}),
        TaskState.VERIFYING,
    ),
    Action.DISMISS_APPEAL: (
        frozenset({TaskState.FEEDBACK_GIVEN, TaskState.CALLED_BACK, TaskState.CLOSED}),
        frozenset({Role.SUPERVISOR}),
        None,
    ),
    Action.CLAIM: (OPEN_STATES, frozenset({Role.OFFICER}), None),
    Action.ASSIGN: (OPEN_STATES, frozenset({Role.SUPERVISOR}), None),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a staff member from their token, or the citizen holding the tracking code."""

    identity: str  # job number, or "citizen"
    roles: frozenset[Role]
    hall_code: str | None
    division_code: str | None

    @classmethod
    def citizen(cls) -> Actor:
        return cls("citizen", frozenset({Role.CITIZEN}), None, None)


class TransitionRefused(Conflict):
    """The move is not allowed now; the message names the moves that are."""

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.allowed = allowed


class NotIndependent(Forbidden):
    """The actor took part in the decision the appeal is against, and may not review it.

    A 403, not a 409: the refusal is about who the person is, not about the task's state or
    version, so no reload or retry will ever make the move theirs. The allowed moves are named
    as with every refusal of a move.
    """

    code = "not_independent"

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.allowed = allowed


class StaleVersion(Conflict):
    code = "stale_version"


class ChangedMeanwhile(StaleVersion):
    """The task was written after it was read: the move must be worked out again on the new task."""


TEXT_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class MoveInputs:
    """What a move needs besides the version. The moves check it here, and the console's forms
    are built from it, so a form asks for exactly what the server will require."""

    text_required: str | None = None  # what the text must say when it is required; None: optional
    # one of these is required: not adopted, 误评 or 恶意; a call-back attempt, what happened
    reasons: tuple[str, ...] = ()
    verdicts: tuple[str, ...] = ()  # one of these is required (the citizen's verdict on the fix)
    assignee: str | None = None  # what the officer named must be, when the move names one; None: it names none


_WHAT_WAS_DONE = "say what was done, or why it cannot be solved"
_VERDICTS = tuple(v.value for v in Verdict)
MOVE_INPUTS: dict[Action, MoveInputs] = {
    Action.RESOLVE_ON_SPOT: MoveInputs(_WHAT_WAS_DONE),
    Action.MARK_RECTIFIED: MoveInputs(_WHAT_WAS_DONE),
    Action.EXPLAIN: MoveInputs(_WHAT_WAS_DONE),
    Action.PROPOSE_NOT_ADOPTED: MoveInputs("evidence is required", reasons=tuple(r.value for r in NotAdoptedReason)),
    Action.REJECT_NOT_ADOPTED: MoveInputs("say why the proposal is rejected"),
    Action.GIVE_FEEDBACK: MoveInputs("the feedback the citizen will read"),
    Action.RECORD_CALL_BACK: MoveInputs(verdicts=_VERDICTS),
    Action.RECORD_CALL_BACK_ATTEMPT: MoveInputs(reasons=tuple(o.value for o in AttemptOutcome)),
    Action.GIVE_VERDICT: MoveInputs(verdicts=_VERDICTS),
    Action.APPEAL: MoveInputs("say why the decision is wrong"),
    Action.DISMISS_APPEAL: MoveInputs("say why the appeal is dismissed"),
    Action.ASSIGN: MoveInputs(assignee="the job number of a follow-up officer of the hall"),
}


@dataclass(frozen=True, slots=True)
class CallBackRules:
    """The call-back after the fix 回访, per district (template parameters).

    A real-name citizen who cannot be reached must not keep a task open for ever: after
    ``attempts`` unsuccessful attempts, made on at least ``attempt_working_days`` different
    working days (a citizen out for a day is tried again another day), the task is marked
    unreachable and may close without a verdict. A 不满意 verdict on a fix sends the task back
    to rectification at most ``reopenings`` times; after that the verdict stands and the task closes.
    """

    attempts: int = 3
    attempt_working_days: int = 2
    reopenings: int = 1

    def gives_up(self, attempts: tuple[CallBackAttempt, ...], calendar: WorkingCalendar | None = None) -> bool:
        """Whether these unsuccessful attempts are enough to mark the citizen unreachable."""
        return len(attempts) >= self.attempts and working_days_tried(attempts, calendar) >= self.attempt_working_days


def working_days_tried(attempts: Iterable[CallBackAttempt], calendar: WorkingCalendar | None = None) -> int:
    """On how many different working days (in China) the attempts were made: an attempt on a
    rest day counts as an attempt, not as a working day. The national calendar when none is given."""
    if calendar is None:
        from haochaping.domain.calendar import WorkingCalendar

        calendar = WorkingCalendar()
    days = {attempt.at.astimezone(CHINA_TIME).date() for attempt in attempts}
    return sum(1 for day in days if calendar.is_working_day(day)[0])


def _one_of(values: tuple[str, ...]) -> str:
    return f"{', '.join(values[:-1])} or {values[-1]}" if len(values) > 1 else values[0]


def _check_inputs(action: Action, text: str, reason: str | None, verdict: str | None) -> None:
    """Every missing or unknown input of the move, named, in one refusal."""
    needs = MOVE_INPUTS.get(action, MoveInputs())
    problems = {}
    if needs.reasons and reason not in needs.reasons:
        problems["reason"] = _one_of(needs.reasons)
    if needs.verdicts and verdict not in needs.verdicts:
        problems["verdict"] = _one_of(needs.verdicts)
    if needs.text_required and not text:
        problems["text"] = needs.text_required
    if len(text) > TEXT_LIMIT:
        problems["text"] = f"at most {TEXT_LIMIT} characters"
    if problems:
        raise InvalidFields(problems)


# ---------------------------------------------------------------- who may see a case, who may decide


class Case(Protocol):
    """What decides who may see a bad review's case: a task, or the report of its not-adopted decision."""

    @property
    def division_code(self) -> str: ...

    @property
    def hall_code(self) -> str: ...

    @property
    def rated_staff(self) -> str | None: ...

    @property
    def appeal_to_division(self) -> bool: ...


def kept_out(case: Case, identity: str) -> bool:
    """The staff member who was rated is out of their own case, whatever their roles."""
    return case.rated_staff is not None and identity == case.rated_staff


def may_see(case: Case, actor: Actor) -> bool:
    """The one rule of who may see a case, for every route that returns one (the task, the hall's
    list, the reports) and every notice addressed to a person.

    Never the staff member who was rated. Staff of the case's hall; admins of its division; and,
    when the appeal goes to the division, the division's supervisors, who must read it to decide.
    The citizen sees their own through the tracking code.
    """
    if Role.CITIZEN in actor.roles:
        return True
    if kept_out(case, actor.identity):
        return False
    in_division = actor.division_code == case.division_code
    if actor.roles & {Role.ADMIN, Role.OVERSEER} and in_division:
        return True
    if _of_hall(case, actor):
        return True
    return case.appeal_to_division and Role.SUPERVISOR in actor.roles and in_division


def addressees(case: Case, staff: Iterable[str]) -> list[str]:
    """Of these job numbers, those a notice of the case may be addressed to."""
    return [person for person in staff if not kept_out(case, person)]


def took_part(task: Task) -> frozenset[str]:
    """Who took part in the task's not-adopted decision: who proposed it and who approved it."""
    return frozenset(person for person in (task.proposed_by, task.approved_by) if person)


def independent(task: Task, identity: str) -> bool:
    """Whether this person may review the not-adopted decision: neither part of it nor rated in it."""
    return identity not in took_part(task) and not kept_out(task, identity)


def appeal_goes_to_division(task: Task, hall_supervisors: Iterable[str]) -> bool:
    """Whether no supervisor of the hall is independent of the decision, so that an appeal of it
    goes to the division's supervisors (申诉移交区级复核)."""
    return not any(independent(task, supervisor) for supervisor in hall_supervisors)


def _of_hall(case: Case, actor: Actor) -> bool:
    return actor.hall_code == case.hall_code and actor.division_code in (None, case.division_code)


def may_decide_appeal(task: Task, actor: Actor) -> bool:
    """申诉复核 is decided by a supervisor who took no part in the decision: one of the hall's,
    or, when the hall had none at the time of the decision, one of the division's."""
    if Role.SUPERVISOR not in actor.roles or not independent(task, actor.identity):
        return False
    return _of_hall(task, actor) or (task.appeal_to_division and actor.division_code == task.division_code)


# ---------------------------------------------------------------- the moves


def may_close(task: Task) -> bool:
    """A real-name task closes only after the call-back after the fix, or enough attempts at it."""
    return not task.real_name or task.called_back or task.unreachable


# ---------------------------------------------------------------- who holds a task 专人


class NotHolder(Forbidden):
    """The task is another officer's, or was sent to officers other than this one.

    A 403, not a 409: the refusal is about who the person is, and no reload will make the move
    theirs; a supervisor can assign the task to them. The moves they may make are named.
    """

    code = "not_holder"

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.allowed = allowed


def _as_officer(action: Action, actor: Actor) -> bool:
    """Whether the actor makes this move as a follow-up officer (no other role of theirs may make it)."""
    roles = TRANSITIONS[action][1] & actor.roles
    return roles == {Role.OFFICER}


def may_hold(task: Task, identity: str) -> bool:
    """Whether this officer may take the task on themselves: one of the officers it went to (any of
    the hall's for a task that went to none by name), never the staff member who was rated."""
    if task.rated_staff is not None and identity == task.rated_staff:
        return False
    return not task.officers or identity in task.officers


def may_work(task: Task, actor: Actor, action: Action) -> bool:
    """Whether the holding rules let this actor make this move.

    The officer's work on a held task is the holder's alone: two officers working one case would
    leave the citizen with two voices and the audit trail with no one answerable. The other
    officers still read it (the hall knows its work), and a supervisor, who answers for the hall,
    assigns it to someone else when the holder cannot go on. Before anyone holds it, the officers
    it went to may work it, and the first move takes it on. The supervisors' own moves (approving,
    closing, deciding appeals, assigning) are theirs whoever holds the task.
    """
    if action == Action.CLAIM:
        return task.holder is None and may_hold(task, actor.identity)
    if action == Action.ASSIGN or not _as_officer(action, actor):
        return True
    if task.holder is not None:
        return task.holder == actor.identity
    return may_hold(task, actor.identity)


def holder_role(task: Task) -> str | None:
    """What a notice says of who holds the task: the holder's role, never who they are."""
    return Role.OFFICER.value if task.holder is not None else None


def may_see_evaluator(task: Task, actor: Actor) -> bool:
    """The real-name evaluator's contact is for whoever calls them: the holder (before anyone holds
    the task, the officers it went to) and the hall's supervisors, who answer for the call-back."""
    if actor.hall_code != task.hall_code or actor.division_code not in (None, task.division_code):
        return False
    if Role.SUPERVISOR in actor.roles:
        return True
    if Role.OFFICER not in actor.roles:
        return False
    return task.holder == actor.identity if task.holder is not None else may_hold(task, actor.identity)


def _check_holder(task: Task, actor: Actor, action: Action, now: datetime) -> None:
    if may_work(task, actor, action):
        return
    allowed = [a.value for a in allowed_actions(task, actor, now)]
    if task.holder == actor.identity:  # claiming what one holds: nothing to take on
        raise TransitionRefused(f"{action.value} is not allowed now (you hold the task already)", allowed)
    if task.holder is not None:
        why = "the task is held by another officer; a supervisor can assign it to you"
    else:
        why = "the task went to other follow-up officers (its department's); a supervisor can assign it to you"
    raise NotHolder(f"{action.value}: {why}", allowed)


def _taken_on_by_first_move(task: Task, actor: Actor, action: Action) -> Task:
    """An officer's first move on a task nobody holds takes it on: the move's own audit line says
    who made it, and so who has held the task since."""
    if task.holder is not None or action in HOLDING_MOVES or not _as_officer(action, actor):
        return task
    return replace(task, holder=actor.identity)


def _hold(
    task: Task, actor: Actor, action: Action, now: datetime, text: str, assignee: str | None, assignable: Iterable[str]
) -> Task:
    """Claim or assign: the holder changes, the state stays, the audit trail says from whom to whom."""
    if len(text) > TEXT_LIMIT:
        raise InvalidFields({"text": f"at most {TEXT_LIMIT} characters"})
    codes: tuple[tuple[str, str], ...] = ()
    if action == Action.CLAIM:
        holder = actor.identity
    else:
        holder = (assignee or "").strip().upper()
        candidates = {*assignable, *task.officers}
        if not holder:
            raise InvalidFields({"assignee": str(MOVE_INPUTS[Action.ASSIGN].assignee)})
        if task.rated_staff is not None and holder == task.rated_staff:
            raise InvalidFields({"assignee": "the staff member who was rated never follows up their own bad review"})
        if holder not in candidates:
            raise InvalidFields({"assignee": f"{holder} is not a follow-up officer of the hall"})
        if holder == task.holder:
            raise InvalidFields({"assignee": f"{holder} already holds the task"})
        # Who had it and who has it now, beside why: a reassignment answers for itself in the trail.
        codes = (*((("holder_from", task.holder),) if task.holder else ()), ("holder_to", holder))
    line = _entry(task, len(task.audit) + 1, actor, now, action.value, task.state, text, codes)
    return replace(task, holder=holder, version=task.version + 1, audit=(*task.audit, line))


def allowed_actions(task: Task, actor: Actor, now: datetime | None = None) -> list[Action]:
    """The moves this actor may make on this task now."""
    result = []
    for action, (states, roles, _) in TRANSITIONS.items():
        if task.state in states and actor.roles & roles:
            if not (Role.CITIZEN in actor.roles or _of_hall(task, actor) or action in APPEAL_DECISIONS):
                continue  # a division's supervisor is in another hall's case for its appeal only
            if not may_work(task, actor, action):
                continue
            if action == Action.APPEAL and (
                not task.rating_void
                or task.appeal_open
                or task.appeal_decided
                or (now is not None and task.appeal_deadline is not None and now > task.appeal_deadline)
            ):
                continue
            if action == Action.RECORD_CALL_BACK and task.state == TaskState.CALLED_BACK and task.called_back:
                continue
            if action == Action.RECORD_CALL_BACK_ATTEMPT and (
                not task.real_name or task.called_back or task.unreachable
            ):
                continue
            if action == Action.GIVE_VERDICT and task.outcome == TaskState.NOT_ADOPTED:
                continue  # a verdict is on a fix or an explanation: after not adopted there is neither
                continue
            if action in APPEAL_DECISIONS and not (task.appeal_open and may_decide_appeal(task, actor)):
                continue
            if action == Action.CLOSE and not may_close(task):
                continue
            if action == Action.APPROVE_NOT_ADOPTED and task.proposed_by == actor.identity:
                continue
            result.append(action)
    return result


def check_access(task: Task | None, actor: Actor) -> Task:
    """The task, if the actor may see it (may_see); otherwise 404, as if it did not exist."""
    if task is None or not may_see(task, actor):
        raise NotFound("no such task")
    return task


def _entry(
    task: Task,
    sequence: int,
    actor: Actor | None,
    at: datetime,
    action: str,
    to: TaskState,
    text: str,
    codes: tuple[tuple[str, str], ...] = (),
) -> AuditEntry:
    """An audit line: what a person wrote as ``text``, what was chosen or decided as ``codes``
    (each reader names them in their own language); a line the rules add by themselves is the system's."""
    return AuditEntry(
        sequence=sequence,
        actor=actor.identity if actor else "system",
        role=",".join(sorted(r.value for r in actor.roles)) if actor else "system",
        at=at,
        action=action,
        from_state=task.state.value,
        to_state=to.value,
        reason=text[:TEXT_LIMIT],
        codes=codes,
    )


def apply(
    task: Task,
    actor: Actor,
    action: Action,
    expected_version: int,
    now: datetime,
    *,
    text: str = "",
    reason: str | None = None,
    verdict: str | None = None,
    appeal_period: timedelta = timedelta(days=15),
    call_back: CallBackRules = CallBackRules(),
    calendar: WorkingCalendar | None = None,
    hall_supervisors: Iterable[str] = (),
    assignee: str | None = None,
    assignable: Iterable[str] = (),
) -> Task:
    """Take one move; returns the new task with its audit lines appended, or raises.

    ``calendar`` tells working days apart for the call-back attempts (the national calendar when
    None); ``hall_supervisors`` are the job numbers of the hall's supervisors, for an approval to
    know whether an appeal of it can be decided in the hall. ``assignee`` is the job number an
    assignment names; ``assignable`` the hall's follow-up officers, whom a supervisor may assign
    the task to besides the officers it went to.
    """
    check_access(task, actor)
    states, roles, target = TRANSITIONS[action]
    if not actor.roles & roles:
        raise Forbidden(f"{action.value} needs the role {' or '.join(sorted(r.value for r in roles))}")
    if (
        action in (Action.UPHOLD_APPEAL, Action.DISMISS_APPEAL)
        and task.appeal_open
        and not independent(task, actor.identity)
    ):
        raise NotIndependent(
            f"{action.value}: the appeal is decided by a supervisor who neither proposed nor approved "
            "the not-adopted decision",
            [a.value for a in allowed_actions(task, actor, now)],
        )
    _check_holder(task, actor, action, now)
    if expected_version != task.version:
        raise StaleVersion(f"the task changed (version {task.version}, you saw {expected_version}); reload it")
    allowed = allowed_actions(task, actor, now)
    if action not in allowed:
        why = _why_refused(task, actor, action, states)
        raise TransitionRefused(
            f"{action.value} is not allowed now ({why}); allowed: {', '.join(a.value for a in allowed) or 'none'}",
            [a.value for a in allowed],
        )
    text = (text or "").strip()
    if action == Action.APPEAL and task.appeal_deadline is not None and now > task.appeal_deadline:
        raise TransitionRefused("the appeal period is over", [])
    if action in HOLDING_MOVES:
        return _hold(task, actor, action, now, text, assignee, assignable)
    _check_inputs(action, text, reason, verdict)
    task = _taken_on_by_first_move(task, actor, action)
    changes: dict = {}
    new_state = target or task.state
    # What the rules themselves add after the move's own line: (action, state it leads to, codes).
    follows: list[tuple[str, TaskState, tuple[tuple[str, str], ...]]] = []
    if action == Action.RECORD_CONTACT:
        # The contact made to verify the complaint 回访核实: not the call-back after the fix.
        changes.update(contacted_at=task.contacted_at or now, contact_recorded_at=task.contact_recorded_at or now)
    elif action in (Action.RESOLVE_ON_SPOT, Action.MARK_RECTIFIED, Action.EXPLAIN):
        changes.update(explanation=text, outcome=target, contacted_at=task.contacted_at or now)
    elif action == Action.START_RECTIFICATION:
        changes.update(explanation=text, contacted_at=task.contacted_at or now)
    elif action == Action.PROPOSE_NOT_ADOPTED:
        changes.update(
            not_adopted_reason=NotAdoptedReason(str(reason)),
            evidence=text,
            proposed_by=actor.identity,
            contacted_at=task.contacted_at or now,
        )
    elif action == Action.APPROVE_NOT_ADOPTED:
        decided = replace(task, approved_by=actor.identity)
        to_division = appeal_goes_to_division(decided, hall_supervisors)
        changes.update(
            outcome=TaskState.NOT_ADOPTED,
            rating_void=True,
            appeal_deadline=now + appeal_period,
            approved_by=actor.identity,
            appeal_to_division=to_division,
        )
        if to_division:
            follows.append(
                (
                    "appeal_to_division",  # no supervisor of the hall is independent of the decision
                    new_state,
                    (),
                )
            )
    elif action == Action.REJECT_NOT_ADOPTED:
        changes.update(not_adopted_reason=None, proposed_by=None)
    elif action == Action.GIVE_FEEDBACK:
        changes["feedback"] = text
    elif action == Action.RECORD_CALL_BACK_ATTEMPT:
        attempts = (*task.call_back_attempts, CallBackAttempt(now, actor.identity, AttemptOutcome(str(reason))))
        changes["call_back_attempts"] = attempts
        if call_back.gives_up(attempts, calendar):
            changes["unreachable"] = True
            days = working_days_tried(attempts, calendar)
            follows.append(
                (
                    "mark_unreachable",  # may close without a verdict
                    new_state,
                    (("attempts", str(len(attempts))), ("working_days", str(days))),
                )
            )
    elif action in (Action.RECORD_CALL_BACK, Action.GIVE_VERDICT):
        changes.update(verdict=Verdict(str(verdict)), called_back=action == Action.RECORD_CALL_BACK or task.called_back)
        if _reopens(task, Verdict(str(verdict)), call_back):
            # Not satisfied with the fix: fixed again, and called back again after it.
            changes.update(
                reopenings=task.reopenings + 1,
                outcome=None,
                feedback="",
                verdict=None,
                called_back=False,
                call_back_attempts=(),
                unreachable=False,
            )
            follows.append(
                (
                    "reopen",  # dissatisfied with the fix: rectified again
                    TaskState.RECTIFYING,
                    (("reopening", str(task.reopenings + 1)), ("reopenings_allowed", str(call_back.reopenings))),
                )
            )
    elif action == Action.CLOSE:
        changes["closed_at"] = now
    elif action == Action.APPEAL:
        changes.update(appeal=text, appeal_open=True)
    elif action == Action.UPHOLD_APPEAL:
        # The rating counts again and the bad review is worked anew.
        changes.update(
            appeal_open=False,
            appeal_decided=False,  # a later not-adopted decision may be appealed again
            rating_void=False,
            outcome=None,
            not_adopted_reason=None,
            proposed_by=None,
            approved_by=None,
            appeal_to_division=False,
            feedback="",
            verdict=None,
            called_back=False,
            call_back_attempts=(),
            unreachable=False,
            closed_at=None,
        )
    elif action == Action.DISMISS_APPEAL:
        changes.update(appeal_open=False, appeal_decided=True, feedback=text)
    if action == Action.GIVE_VERDICT and not follows and may_close(replace(task, **changes)):
        # The citizen's verdict is the last word: the task closes with it when it may.
        new_state = TaskState.CLOSED
        changes["closed_at"] = now
    entries = [
        _entry(
            task,
            len(task.audit) + 1,
            actor,
            now,
            action.value,
            new_state,
            text,
            tuple((name, value) for name, value in (("reason", reason), ("verdict", verdict)) if value),
        )
    ]
    state = new_state
    for name, to, codes in follows:
        line = _entry(replace(task, state=state), len(task.audit) + len(entries) + 1, None, now, name, to, "", codes)
        entries.append(line)
        state = to
    return replace(task, **changes, state=state, version=task.version + 1, audit=(*task.audit, *entries))


def _reopens(task: Task, verdict: Verdict, call_back: CallBackRules) -> bool:
    """A 不满意 verdict on a fix sends it back to rectification while reopenings are left.

    Not a not-adopted decision: the citizen's remedy against that is the appeal.
    """
    return (
        verdict == Verdict.DISSATISFIED
        and task.outcome != TaskState.NOT_ADOPTED
        and task.reopenings < call_back.reopenings
    )


def _why_refused(task: Task, actor: Actor, action: Action, states: frozenset[TaskState]) -> str:
    if task.state not in states:
        return f"the task is {task.state.value}"
    if action == Action.CLOSE and not may_close(task):
        return (
            "a real-name bad review closes only after a call-back after the fix, with the citizen's verdict, "
            "or after the attempts to reach them are enough"
        )
    if action == Action.RECORD_CALL_BACK_ATTEMPT and not task.real_name:
        return "an anonymous evaluator cannot be called back"
    if action == Action.APPROVE_NOT_ADOPTED and task.proposed_by == actor.identity:
        return "a second person must approve"
    if action == Action.APPEAL:
        return "only a not-adopted decision can be appealed, once"
    if action == Action.GIVE_VERDICT and task.outcome == TaskState.NOT_ADOPTED:
        return "a verdict is given on a fix or an explanation, and a not-adopted review has neither"
    return "not in this state"


def open_task(
    tracking_code: str,
    division_code: str,
    hall_code: str,
    window_code: str,
    rated_staff: str | None,
    real_name: bool,
    opened_at: datetime,
    first_contact_due: datetime,
    rectification_due: datetime,
    provisional: bool,
    counted_from: datetime | None = None,
    officers: Iterable[str] = (),
    level: int | None = None,
    tags: tuple[str, ...] = (),
) -> Task:
    """A new task, verifying; it goes to ``officers`` (never the staff member who was rated)."""
    opened = AuditEntry(1, "system", "system", opened_at, "open", "", TaskState.VERIFYING.value)
    task = Task(
        tracking_code=tracking_code,
        division_code=division_code,
        hall_code=hall_code,
        window_code=window_code,
        rated_staff=rated_staff,
        real_name=real_name,
        state=TaskState.VERIFYING,
        version=1,
        opened_at=opened_at,
        first_contact_due=first_contact_due,
        rectification_due=rectification_due,
        deadlines_provisional=provisional,
        counted_from=counted_from,
        level=level,
        tags=tags,
        audit=(opened,),
    )
    return replace(task, officers=tuple(addressees(task, officers)))


__all__ = ["DomainError"]
