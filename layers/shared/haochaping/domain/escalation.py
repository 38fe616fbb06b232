"""Escalation 督办 of follow-up tasks that near or pass a deadline.

Each deadline of an open task climbs a ladder, one step at a time and each step once:
a reminder 到期提醒 to the hall's officers a working day before the deadline; at the deadline,
the hall supervisor 大厅督办; some working days later the district bureau 区局督办; then the
city 市级督办. A step is known by its deadline (which one, due when) and its rung, so a
deadline that moves later when an official schedule is loaded climbs a ladder of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from haochaping.domain.calendar import WorkingCalendar, end_of_day
from haochaping.domain.rating import CHINA_TIME
from haochaping.domain.task import AuditEntry, DeadlineKind, Escalation, Rung, Step, Task


@dataclass(frozen=True, slots=True)
class Ladder:
    """When each rung is reached, in working days (the district's settings)."""

    reminder_working_days_before: int = 1
    bureau_after_working_days: int = 2  # after the deadline
    city_after_working_days: int = 3  # after the bureau

    def __post_init__(self) -> None:
        if min(self.reminder_working_days_before, self.bureau_after_working_days, self.city_after_working_days) < 1:
            raise ValueError("every rung of the ladder is at least one working day from the previous one")


def due_day(due_at: datetime) -> datetime:
    """The working day a deadline ends (it is due at 24:00 of it, China time)."""
    return (due_at - timedelta(microseconds=1)).astimezone(CHINA_TIME)


def ladder_steps(deadline: DeadlineKind, due_at: datetime, ladder: Ladder, calendar: WorkingCalendar) -> list[Step]:
    """The four steps of one deadline, in order."""
    day = due_day(due_at).date()
    reminder_day, reminder_guess = calendar.working_days_before(day, ladder.reminder_working_days_before)
    bureau_day, bureau_guess = calendar.add_working_days(day, ladder.bureau_after_working_days)
    city_day, city_guess = calendar.add_working_days(bureau_day, ladder.city_after_working_days)
    utc = due_at.tzinfo
    return [
        Step(deadline, due_at, Rung.REMINDER, end_of_day(reminder_day).astimezone(utc), reminder_guess),
        Step(deadline, due_at, Rung.HALL_SUPERVISOR, due_at),
        Step(deadline, due_at, Rung.DISTRICT_BUREAU, end_of_day(bureau_day).astimezone(utc), bureau_guess),
        Step(
            deadline,
            due_at,
            Rung.CITY,
            end_of_day(city_day).astimezone(utc),
            bureau_guess or city_guess,
        ),
    ]


def running_deadlines(task: Task) -> list[tuple[DeadlineKind, datetime]]:
    """The deadlines still running, first contact first: first contact until it is made,
    rectification until closing. A review that was not adopted has nothing left to rectify, and
    its appeal is the citizen's, not the office's: neither runs a deadline."""
    if not task.open or task.rating_void:
        return []
    running = []
    if task.contacted_at is None:
        running.append((DeadlineKind.FIRST_CONTACT, task.first_contact_due))
    running.append((DeadlineKind.RECTIFICATION, task.rectification_due))
    return running


def next_step(task: Task, ladder: Ladder, calendar: WorkingCalendar) -> Step | None:
    """The earliest step not yet taken on any running deadline, or None when nothing is due.

    Rungs are climbed in order: a step waits for the one below it, however late the sweep.
    """
    taken = {e.key for e in task.escalations}
    candidates = []
    for deadline, due_at in running_deadlines(task):
        for step in ladder_steps(deadline, due_at, ladder, calendar):
            if step.key not in taken:
                candidates.append(step)
                break
    return min(candidates, key=lambda s: (s.at, s.deadline != DeadlineKind.FIRST_CONTACT), default=None)


def current_level(task: Task) -> Escalation | None:
    """The highest step taken on a deadline that is still running (what the console shows)."""
    running = {(d, due) for d, due in running_deadlines(task)}
    steps = [e for e in task.escalations if (e.deadline, e.due_at) in running]
    return max(steps, key=lambda e: (e.rung.level, e.at), default=None)


@dataclass(frozen=True, slots=True)
class TaskDeadlines:
    """A task's two deadlines, counted from one moment (the rating; a reopening)."""

    counted_from: datetime
    first_contact_due: datetime
    rectification_due: datetime
    provisional: bool


def count_deadlines(
    calendar: WorkingCalendar, since: datetime, first_contact_days: int, rectification_days: int
) -> TaskDeadlines:
    first = calendar.deadline(since, first_contact_days)
    fix = calendar.deadline(since, rectification_days)
    return TaskDeadlines(since, first.due_at, fix.due_at, first.provisional or fix.provisional)


def recount_deadlines(
    task: Task, calendar: WorkingCalendar, first_contact_days: int, rectification_days: int, now: datetime
) -> Task:
    """A task counted on a provisional calendar, counted again on the calendar as it is now.

    An official schedule loaded since may move a deadline later, never earlier: the task keeps
    the later of the two. Returns the task unchanged when nothing moved.
    """
    if not task.deadlines_provisional or not task.open:
        return task
    counted = count_deadlines(calendar, task.counted_from or task.opened_at, first_contact_days, rectification_days)
    first_due = max(task.first_contact_due, counted.first_contact_due)
    fix_due = max(task.rectification_due, counted.rectification_due)
    provisional = counted.provisional
    if (first_due, fix_due, provisional) == (task.first_contact_due, task.rectification_due, True):
        return task
    entry = AuditEntry(
        sequence=len(task.audit) + 1,
        actor="system",
        role="system",
        at=now,
        action="recount_deadlines",
        from_state=task.state.value,
        to_state=task.state.value,
        codes=(
            *(
                (f"{kind.value}_{which}", due_day(moment).date().isoformat())
                for kind, old, new in (
                    (DeadlineKind.FIRST_CONTACT, task.first_contact_due, first_due),
                    (DeadlineKind.RECTIFICATION, task.rectification_due, fix_due),
                )
                for which, moment in (("from", old), ("to", new))
            ),
            ("provisional", "yes" if provisional else "no"),
        ),
    )
    return replace(
        task,
        first_contact_due=first_due,
        rectification_due=fix_due,
        deadlines_provisional=provisional,
        audit=(*task.audit, entry),
    )


class StepNotDue(Exception):
    """The step is not the task's next, or its time has not come: nothing to take."""


def take_step(task: Task, step_key: str, ladder: Ladder, calendar: WorkingCalendar, now: datetime) -> Task:
    """Record the step on the task and in its audit trail, once; raises StepNotDue otherwise."""
    step = next_step(task, ladder, calendar)
    if step is None or step.key != step_key:
        raise StepNotDue(f"{step_key} is not the task's next step ({step.key if step else 'none'})")
    if step.at > now:
        raise StepNotDue(f"{step_key} is due at {step.at.isoformat()}")
    escalation = Escalation(key=step.key, deadline=step.deadline, due_at=step.due_at, rung=step.rung, at=now)
    entry = AuditEntry(
        sequence=len(task.audit) + 1,
        actor="system",
        role="system",
        at=now,
        action=f"escalate:{step.rung.value}",
        from_state=task.state.value,
        to_state=task.state.value,
        codes=(("deadline", step.deadline.value), ("due_day", due_day(step.due_at).date().isoformat())),
    )
    return replace(
        task,
        escalations=(*task.escalations, escalation),
        audit=(*task.audit, entry),
    )
