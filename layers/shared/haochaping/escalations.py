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

from haochaping.adapters import notices, queues
from haochaping.adapters import tasks as task_store
from haochaping.adapters.calendar import load_calendar
from haochaping.adapters.tables import bind_tables
from haochaping.domain.calendar import WorkingCalendar
from haochaping.domain.escalation import (
    Ladder,
    Step,
    StepNotDue,
    TaskDeadlines,
    count_deadlines,
    due_day,
    next_step,
    recount_deadlines,
    take_step,
)
from haochaping.domain.rating import utc_now
from haochaping.domain.task import DEADLINE_NAMES_ZH, Escalation, Rung, Task
from haochaping.settings import Settings


def ladder(settings: Settings) -> Ladder:
    return Ladder(
        reminder_working_days_before=settings.reminder_working_days,
        bureau_after_working_days=settings.bureau_escalation_working_days,
        city_after_working_days=settings.city_escalation_working_days,
    )


def calendar_for(hall_code: str) -> WorkingCalendar:
    """The division's calendar with the hall's own closures."""
    return load_calendar().for_hall(hall_code)


def deadlines_from(since: datetime, hall_code: str, settings: Settings) -> TaskDeadlines:
    """The first-contact and rectification deadlines of a task of the hall, counted from ``since``."""
    return count_deadlines(
        calendar_for(hall_code), since, settings.first_contact_working_days, settings.rectification_working_days
    )


def step_ahead(task: Task, settings: Settings) -> Step | None:
    """The task's next escalation step, which decides its place in the EscalationDue index."""
    return next_step(task, ladder(settings), calendar_for(task.hall_code))


@dataclass(frozen=True)
class SweepResult:
    queued: int
    items_read: int


def sweep(settings: Settings, now: datetime | None = None) -> SweepResult:
    """Queue every step whose time has come; reads the due index entries and nothing else."""
    bind_tables(settings.ratings_table, settings.registry_table)
    due, read = task_store.due_steps(now or utc_now())
    queues.send_steps(settings.escalation_queue_url, due)
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


def escalate(tracking_code: str, step_key: str, settings: Settings, now: datetime | None = None) -> StepResult:
    """Take one step of a task's ladder, exactly once, and send its notice at least once."""
    bind_tables(settings.ratings_table, settings.registry_table)
    now = now or utc_now()
    found = task_store.find_task(tracking_code)
    if found is None:
        return StepResult(Outcome.NO_TASK)
    before, item = found
    indexed: str | None = item.next_step
    calendar, rungs = calendar_for(before.hall_code), ladder(settings)
    recounted = recount_deadlines(
        before, calendar, settings.first_contact_working_days, settings.rectification_working_days, now
    )
    if recounted is not before:
        # The official schedule arrived since the task opened: its deadlines are counted again
        # first, and a step of a deadline that moved is no longer the task's next.
        ahead = next_step(recounted, rungs, calendar)
        item = task_store.save_transition(before, recounted, item, None, None, None, due=ahead)
        before, indexed = recounted, ahead.key if ahead else None
    taken = next((e for e in before.escalations if e.key == step_key), None)
    if taken is not None:
        if item.notified_step != step_key:
            _notify(before, taken, settings)
            task_store.mark_step_notified(tracking_code, step_key)
        return StepResult(Outcome.ALREADY_TAKEN, before, taken)
    try:
        after = take_step(before, step_key, rungs, calendar, now)
    except StepNotDue:
        # The index may still name a step the task no longer has: put the right one there.
        ahead = next_step(before, rungs, calendar)
        if (ahead.key if ahead else None) != indexed:
            task_store.set_step_ahead(item, ahead)
        return StepResult(Outcome.NOT_DUE, before)
    escalation = after.escalations[-1]
    task_store.save_transition(before, after, item, None, None, None, due=next_step(after, rungs, calendar))
    _notify(after, escalation, settings)
    task_store.mark_step_notified(tracking_code, step_key)
    return StepResult(Outcome.TAKEN, after, escalation)


def _notify(task: Task, escalation: Escalation, settings: Settings) -> None:
    """The reminder goes to the hall's officers; every escalation to the escalation topic,
    with its level as an attribute so the hall, the bureau and the city each subscribe to theirs.
    Codes and dates only: never the evaluator."""
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
        "link": f"{settings.public_base_url.rstrip('/')}/console#task={task.tracking_code}",
    }
    topic = settings.officer_topic_arn if escalation.rung == Rung.REMINDER else settings.escalation_topic_arn
    notices.publish_step(topic, message)
