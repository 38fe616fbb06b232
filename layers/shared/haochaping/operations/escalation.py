"""Deadlines and escalation 督办 of follow-up tasks: the sweep, and taking one step.

The sweep reads only the tasks whose next step has come (the sparse EscalationDue index) and
queues each step; the queue's consumer takes it once and tells whom it concerns. Both are
safe to repeat: a step is recorded on the task in the same conditional write that moves the
task's next step on, and its notice goes out until the task records that it went.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from haochaping.domain.escalation import StepNotDue, due_day, take_step
from haochaping.domain.followup import ChangedMeanwhile, addressees, holder_role
from haochaping.domain.rating import utc_now
from haochaping.domain.task import DEADLINE_NAMES_ZH, Escalation, Rung, Task, TaskChange
from haochaping.operations.ports import Stores
from haochaping.operations.rules import Rules


@dataclass(frozen=True)
class SweepResult:
    queued: int
    items_read: int


def sweep(stores: Stores, now: datetime | None = None) -> SweepResult:
    """Queue every step whose time has come; reads the due index entries and nothing else."""
    due, read = stores.tasks.due_steps(now or utc_now())
    stores.queues.steps(due)
    return SweepResult(queued=len(due), items_read=read)


class Outcome(StrEnum):
    TAKEN = "taken"  # recorded now and notified
    ALREADY_TAKEN = "already_taken"  # a redelivery: recorded before (its notice resent if it had not gone)
    NOT_DUE = "not_due"  # the task moved on (contacted, closed, deadline moved): nothing to do
    NO_TASK = "no_task"


@dataclass(frozen=True)
class StepResult:
    outcome: Outcome
    task: Task | None = None
    escalation: Escalation | None = None


def escalate(
    tracking_code: str, step_key: str, stores: Stores, rules: Rules, now: datetime | None = None
) -> StepResult:
    """Take one step of a task's ladder, exactly once, and send its notice at least once."""
    now = now or utc_now()
    outcome = Outcome.NOT_DUE

    def decide(task: Task) -> TaskChange:
        nonlocal outcome
        calendar = stores.calendar.for_hall(task.hall_code)
        # The official schedule may have arrived since the task opened: its deadlines are counted
        # again first, and a step of a deadline that moved is no longer the task's next.
        task = rules.recount(task, calendar, now)
        if any(e.key == step_key for e in task.escalations):
            outcome = Outcome.ALREADY_TAKEN
        else:
            try:
                task = take_step(task, step_key, rules.ladder, calendar, now)
                outcome = Outcome.TAKEN
            except StepNotDue:
                outcome = Outcome.NOT_DUE
        # The index may still name a step the task no longer has: the store puts the right one there.
        return TaskChange(task, rules.step_ahead(task, calendar))

    try:
        changed = stores.tasks.change(tracking_code, decide)
    except ChangedMeanwhile:
        if outcome != Outcome.NOT_DUE:
            raise  # the step is taken when the message comes back
        # Written meanwhile: that write put its own next step in the index.
        return StepResult(Outcome.NOT_DUE, stores.tasks.get(tracking_code))
    if changed is None:
        return StepResult(Outcome.NO_TASK)
    task = changed[1]
    if outcome == Outcome.NOT_DUE:
        return StepResult(outcome, task)
    escalation = next(e for e in task.escalations if e.key == step_key)
    if outcome == Outcome.TAKEN or task.notified_step != step_key:
        _notify(task, escalation, stores, rules)
        stores.tasks.mark_step_notified(tracking_code, step_key)
    return StepResult(outcome, task, escalation)


def _notify(task: Task, escalation: Escalation, stores: Stores, rules: Rules) -> None:
    """The reminder goes to the hall's officers; every escalation to the escalation topic.
    Codes and dates only: never the evaluator, and of the officer who holds the task their role,
    never who they are (the console names them to the hall's own staff)."""
    message = {
        "type": "reminder" if escalation.rung == Rung.REMINDER else "escalation",
        "rung": escalation.rung.value,
        "level": str(escalation.rung.level),
        "rung_name": escalation.rung.name_zh,
        "deadline": escalation.deadline.value,
        "deadline_name": DEADLINE_NAMES_ZH[escalation.deadline],
        "due_date": due_day(escalation.due_at).date().isoformat(),
        "tracking_code": task.tracking_code,
        "division_code": task.division_code,
        "hall_code": task.hall_code,
        "window_code": task.window_code,
        "real_name": "yes" if task.real_name else "no",
        "state": task.state.value,
        # Whether someone answers for the task 专人: if no one does, the hall supervisor assigns it.
        "held": "yes" if task.holder is not None else "no",
        **({"holder_role": role, "holder_role_name": "责任回访专员"} if (role := holder_role(task)) else {}),
        "link": rules.console_link(task.tracking_code),
    }
    if escalation.rung == Rung.REMINDER:
        stores.notices.to_officers(message, addressees(task, task.officers))
    else:
        stores.notices.escalation(message)
