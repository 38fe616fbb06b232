"""The follow-up task 回访核实任务 that every bad review opens, and its state machine.

verifying ─┬─ resolved on the spot ───────────────┐
           ├─ rectifying ── rectified ────────────┤
           ├─ explained ──────────────────────────┤
           └─ proposed not adopted ─┬─ approved ──┤   (a second person, a supervisor)
                                    └─ rejected → verifying
                                                   ▼
                                  feedback given ── called back (verdict) ── closed
A real-name task closes only after a recorded call with the citizen (the contact made to
verify, or the call-back after the fix); the citizen's own verdict closes a task that may
close. Every move checks the actor's role and hall, the current state and the version the
actor saw.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from haochaping.domain.errors import Conflict, DomainError, Forbidden, InvalidFields, NotFound
from haochaping.domain.task import AuditEntry, NotAdoptedReason, Task, TaskState, Verdict


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
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
    RECORD_CALL_BACK = "record_call_back"  # officer records the citizen's verdict from a call
    GIVE_VERDICT = "give_verdict"  # the citizen gives it on the status page
    CLOSE = "close"
    APPEAL = "appeal"  # citizen 申诉复核
    UPHOLD_APPEAL = "uphold_appeal"
    DISMISS_APPEAL = "dismiss_appeal"


OUTCOME_STATES = {TaskState.RESOLVED_ON_SPOT, TaskState.RECTIFIED, TaskState.EXPLAINED, TaskState.NOT_ADOPTED}

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
    reasons: tuple[str, ...] = ()  # one of these is required (not adopted: 误评 or 恶意)
    verdicts: tuple[str, ...] = ()  # one of these is required (the citizen's verdict on the fix)


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
    Action.GIVE_VERDICT: MoveInputs(verdicts=_VERDICTS),
    Action.APPEAL: MoveInputs("say why the decision is wrong"),
    Action.DISMISS_APPEAL: MoveInputs("say why the appeal is dismissed"),
}


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


def allowed_actions(task: Task, actor: Actor, now: datetime | None = None) -> list[Action]:
    """The moves this actor may make on this task now."""
    result = []
    for action, (states, roles, _) in TRANSITIONS.items():
        if task.state in states and actor.roles & roles:
            if action == Action.APPEAL and (
                not task.rating_void
                or task.appeal_open
                or task.appeal_decided
                or (now is not None and task.appeal_deadline is not None and now > task.appeal_deadline)
            ):
                continue
            if action == Action.RECORD_CALL_BACK and task.state == TaskState.CALLED_BACK and task.called_back:
                continue
            if action == Action.GIVE_VERDICT and task.outcome == TaskState.NOT_ADOPTED:
                continue  # a verdict is on a fix or an explanation: after not adopted there is neither
            if action in (Action.UPHOLD_APPEAL, Action.DISMISS_APPEAL) and not task.appeal_open:
                continue
            if action == Action.CLOSE and task.real_name and not task.called_back:
                continue
            if action == Action.APPROVE_NOT_ADOPTED and task.proposed_by == actor.identity:
                continue
            result.append(action)
    return result


def check_access(task: Task | None, actor: Actor) -> Task:
    """Staff see only tasks of their own hall (admins: of their division); others get 404.

    The staff member who was rated never sees the bad review's task, whatever their roles.
    """
    if task is None:
        raise NotFound("no such task")
    if Role.CITIZEN in actor.roles:
        return task
    if task.rated_staff is not None and actor.identity == task.rated_staff:
        raise NotFound("no such task")
    if Role.ADMIN in actor.roles and actor.division_code == task.division_code:
        return task
    if actor.hall_code != task.hall_code or actor.division_code not in (None, task.division_code):
        raise NotFound("no such task")
    return task


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
) -> Task:
    """Take one move; returns the new task with its audit entry appended, or raises."""
    check_access(task, actor)
    states, roles, target = TRANSITIONS[action]
    if not actor.roles & roles:
        raise Forbidden(f"{action.value} needs the role {' or '.join(sorted(r.value for r in roles))}")
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
    _check_inputs(action, text, reason, verdict)
    changes: dict = {}
    if action == Action.RECORD_CONTACT:
        # A recorded call with the citizen: the real-name call-back the 100% rule asks for.
        changes.update(
            contacted_at=task.contacted_at or now,
            contact_recorded_at=task.contact_recorded_at or now,
            called_back=task.called_back or task.real_name,
        )
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
        changes.update(outcome=TaskState.NOT_ADOPTED, rating_void=True, appeal_deadline=now + appeal_period)
    elif action == Action.REJECT_NOT_ADOPTED:
        changes.update(not_adopted_reason=None, proposed_by=None)
    elif action == Action.GIVE_FEEDBACK:
        changes["feedback"] = text
    elif action in (Action.RECORD_CALL_BACK, Action.GIVE_VERDICT):
        changes.update(verdict=Verdict(str(verdict)), called_back=action == Action.RECORD_CALL_BACK or task.called_back)
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
            feedback="",
            verdict=None,
            called_back=False,
            closed_at=None,
        )
    elif action == Action.DISMISS_APPEAL:
        changes.update(appeal_open=False, appeal_decided=True, feedback=text)
    new_state = target or task.state
    if action == Action.GIVE_VERDICT and (not task.real_name or task.called_back):
        # The citizen's verdict is the last word: the task closes with it when it may.
        new_state = TaskState.CLOSED
        changes["closed_at"] = now
    entry = AuditEntry(
        sequence=len(task.audit) + 1,
        actor=actor.identity,
        role=",".join(sorted(r.value for r in actor.roles)),
        at=now,
        action=action.value,
        from_state=task.state.value,
        to_state=new_state.value,
        reason=text[:TEXT_LIMIT],
        codes=tuple((name, value) for name, value in (("reason", reason), ("verdict", verdict)) if value),
    )
    return replace(task, **changes, state=new_state, version=task.version + 1, audit=(*task.audit, entry))


def _why_refused(task: Task, actor: Actor, action: Action, states: frozenset[TaskState]) -> str:
    if task.state not in states:
        return f"the task is {task.state.value}"
    if action == Action.CLOSE and task.real_name and not task.called_back:
        return "a real-name bad review closes only after a recorded call-back"
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
    level: int | None = None,
    tags: tuple[str, ...] = (),
) -> Task:
    opened = AuditEntry(1, "system", "system", opened_at, "open", "", TaskState.VERIFYING.value)
    return Task(
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


__all__ = ["DomainError"]
