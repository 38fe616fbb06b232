"""Follow-up 回访核实 of bad reviews: opening the task, staff's and citizens' moves, their views.

Each operation reads what it needs, lets the domain decide, and writes once through the task
store, which writes only over what it read (a move worked out on a stale task is worked again).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from haochaping.domain.errors import NotFound
from haochaping.domain.escalation import TaskDeadlines, due_day, running_deadlines
from haochaping.domain.followup import (
    Action,
    Actor,
    ChangedMeanwhile,
    Role,
    addressees,
    allowed_actions,
    apply,
    check_access,
    may_hold,
    may_see,
    may_see_evaluator,
    open_task,
)
from haochaping.domain.rating import Rating, utc_now
from haochaping.domain.task import Report, Task, TaskChange, TaskState
from haochaping.observability import metrics
from haochaping.operations.ports import Stores
from haochaping.operations.rules import Rules


def open_followup(tracking_code: str, stores: Stores, rules: Rules, now: datetime | None = None) -> bool:
    """Open the one follow-up task of a bad review 开启回访核实任务; False if it already existed.

    Gathers the rating, the hall's calendar and the officers it goes to; the domain opens the task; one
    conditional write makes a redelivered message a no-op; the officers are told until the task
    records that they were.
    """
    rating = stores.ratings.get(tracking_code)
    if rating is None:
        raise NotFound(f"no rating {tracking_code}")
    if not rating.opens_follow_up:  # a good review, or one held for review or rejected as automated
        return False
    calendar = stores.calendar.for_hall(rating.hall_code)
    officers = responsible_officers(rating.hall_code, rating.department_code, rating.staff_job_number, stores)

    # Deadlines count from the bad review itself (or its release from review), however late its
    # message was handled.
    deadlines = rules.deadlines(calendar, rating.followed_up_from)
    task = open_task(
        tracking_code=rating.tracking_code,
        division_code=rating.division_code,
        hall_code=rating.hall_code,
        window_code=rating.window_code,
        rated_staff=rating.staff_job_number,
        real_name=rating.real_name,
        opened_at=now or utc_now(),
        first_contact_due=deadlines.first_contact_due,
        rectification_due=deadlines.rectification_due,
        provisional=deadlines.provisional,
        counted_from=deadlines.counted_from,
        # 谁办理、谁负责: the department's officers follow up, never the staff member who was rated.
        officers=officers,
        level=int(rating.level),
        tags=rating.tags,
    )

    created = stores.tasks.create(task, list(task.officers), rules.step_ahead(task, calendar))
    if created and task.deadlines_provisional:
        # The year's official schedule is missing: the admins are alarmed to load it.
        metrics.add_metric(name="ProvisionalDeadline", unit="Count", value=1)
    stored = task if created else stores.tasks.get(tracking_code)
    if stored is not None and stored.officers_notified_at is None:
        stores.notices.to_officers(
            {
                "type": "followup_opened",
                "tracking_code": stored.tracking_code,
                "hall_code": stored.hall_code,
                "window_code": stored.window_code,
                "real_name": "yes" if stored.real_name else "no",
                "rectification_due": due_day(stored.rectification_due).date().isoformat(),
                "link": rules.console_link(stored.tracking_code),
            },
            addressees(stored, stored.officers),
        )
        stores.tasks.mark_officers_notified(tracking_code, utc_now())
    return created


def responsible_officers(hall_code: str, department_code: str, rated_staff: str | None, stores: Stores) -> list[str]:
    """谁办理、谁负责: the follow-up officers of the rated window's department in the hall (the hall's
    when it has none: Registry.followup_officers), never the staff member who was rated; the
    hall's officers when the department's only officer is the one who was rated."""
    for officers in (
        stores.registry.followup_officers(hall_code, department_code),
        stores.registry.hall_officers(hall_code),
    ):
        eligible = [officer for officer in officers if officer != rated_staff]
        if eligible:
            return eligible
    return []


RECENT_TASKS = 200  # a hall's list: every open task, and this many of its newest whatever their state


@dataclass(frozen=True)
class TaskView:
    task: Task
    allowed: list[str]
    evaluator: dict[str, str] | None  # only for the hall's officers and supervisors


def _task(tracking_code: str, stores: Stores) -> Task:
    task = stores.tasks.get(tracking_code)
    if task is None:
        raise NotFound("no such task")
    return task


def view_task(actor: Actor, tracking_code: str, stores: Stores) -> TaskView:
    return view_of(actor, check_access(_task(tracking_code, stores), actor), stores)


def view_of(actor: Actor, task: Task, stores: Stores) -> TaskView:
    """What this actor sees of a task they may access; the evaluator only for whoever calls them
    (may_see_evaluator)."""
    evaluator = None
    if task.real_name and may_see_evaluator(task, actor):
        ciphertext = stores.ratings.evaluator_ciphertext(task.tracking_code)
        if ciphertext is not None:
            evaluator = stores.evaluators.unseal(ciphertext, task.tracking_code)
    return TaskView(task=task, allowed=[a.value for a in allowed_actions(task, actor, utc_now())], evaluator=evaluator)


def awaiting_supervisor(task: Task) -> bool:
    """The next move is a supervisor's: a not-adopted proposal to decide, or an appeal."""
    return task.state == TaskState.PROPOSED_NOT_ADOPTED or task.appeal_open


# The list's flags: what the task waits for, named as the list's filter names them.
FLAGS = {"awaiting_supervisor": awaiting_supervisor, "appeal_open": lambda task: task.appeal_open}


def list_tasks(
    actor: Actor,
    stores: Stores,
    state: str | None = None,
    due: str | None = None,
    real_name: bool | None = None,
    now: datetime | None = None,
    holder: str | None = None,
    flag: str | None = None,
) -> list[Task]:
    """The actor's hall's tasks they may see, filtered: by state, due soon (within a day), overdue (by
    the deadline that still runs), real-name, what they wait for (FLAGS), and by holder: ``me``
    (the tasks the actor holds), ``nobody`` (open tasks no one holds yet; for an officer, those they
    may take on). Never the bad reviews of the actor themselves."""
    if not actor.hall_code or not actor.roles & {Role.OFFICER, Role.SUPERVISOR, Role.ADMIN}:
        return []
    now = now or utc_now()
    result = []
    for task in stores.tasks.tasks_of_hall(actor.hall_code, RECENT_TASKS):
        if not may_see(task, actor):
            continue
        running = running_deadlines(task)
        due_at = running[0][1] if running else None
        if state and task.state.value != state:
            continue
        if due == "overdue" and not (due_at is not None and due_at < now):
            continue
        if due == "soon" and not (due_at is not None and now <= due_at <= now + timedelta(days=1)):
            continue
        if real_name is not None and task.real_name != real_name:
            continue
        if holder == "me" and task.holder != actor.identity:
            continue
        if holder == "nobody" and not _unheld_for(task, actor):
            continue
        if flag is not None and not FLAGS[flag](task):
            continue
        result.append(task)
    return result


def _unheld_for(task: Task, actor: Actor) -> bool:
    """Open and held by no one; for an officer (and not a supervisor), one they may take on."""
    if not task.open or task.holder is not None:
        return False
    return Role.SUPERVISOR in actor.roles or may_hold(task, actor.identity)


def act(
    actor: Actor,
    tracking_code: str,
    action: Action,
    expected_version: int | None,
    stores: Stores,
    rules: Rules,
    *,
    text: str = "",
    reason: str | None = None,
    verdict: str | None = None,
    assignee: str | None = None,
    now: datetime | None = None,
) -> Task:
    """Take one move on a task; staff must name the version they saw (optimistic locking)."""
    now = now or utc_now()
    decided: list[TaskChange] = []  # the change written last, for what follows it

    def decide(before: Task) -> TaskChange:
        check_access(before, actor)
        version = before.version if Role.CITIZEN in actor.roles and expected_version is None else expected_version
        calendar = stores.calendar.for_hall(before.hall_code)
        after = apply(
            before,
            actor,
            action,
            int(version if version is not None else -1),
            now,
            text=text,
            reason=reason,
            verdict=verdict,
            appeal_period=rules.appeal_period,
            call_back=rules.call_back,
            calendar=calendar,
            # Whether an appeal can be decided in the hall is settled when the decision is taken.
            hall_supervisors=stores.registry.hall_supervisors(before.hall_code)
            if action == Action.APPROVE_NOT_ADOPTED
            else (),
            assignee=assignee,
            assignable=stores.registry.hall_officers(before.hall_code) if action == Action.ASSIGN else (),
        )
        rating_void: bool | None = None
        report = None
        if action == Action.APPROVE_NOT_ADOPTED:
            rating_void = True
            report = Report(
                division_code=after.division_code,
                tracking_code=after.tracking_code,
                hall_code=after.hall_code,
                window_code=after.window_code,
                reason=after.not_adopted_reason.value if after.not_adopted_reason else "",
                evidence=after.evidence,
                proposed_by=after.proposed_by or "",
                approved_by=actor.identity,
                decided_at=now.astimezone(UTC),
                rated_staff=after.rated_staff,
                appeal_to_division=after.appeal_to_division,
            )
        elif action == Action.UPHOLD_APPEAL:
            rating_void = False
        if action == Action.UPHOLD_APPEAL or after.reopenings > before.reopenings:
            # Worked anew (an upheld appeal; a fix the citizen was not satisfied with): the
            # deadlines run again from now.
            deadlines = rules.deadlines(calendar, now)
            after = replace(
                after,
                first_contact_due=deadlines.first_contact_due,
                rectification_due=deadlines.rectification_due,
                deadlines_provisional=deadlines.provisional,
                counted_from=deadlines.counted_from,
            )
        closing = after.state == TaskState.CLOSED and before.state != TaskState.CLOSED
        decided.append(
            TaskChange(
                after,
                rules.step_ahead(after, calendar),
                rating_void=rating_void,
                report=report,
                purge_personal_data_at=now + rules.personal_data_retention if closing else None,
                keep_personal_data=action == Action.UPHOLD_APPEAL,
            )
        )
        return decided[-1]

    try:
        changed = stores.tasks.change(tracking_code, decide)
    except ChangedMeanwhile:
        # Written between our read and our write (an escalation step, say): the move is checked
        # again, the person's version included, on the task as it is now.
        changed = stores.tasks.change(tracking_code, decide)
    if changed is None:
        raise NotFound("no such task")
    report = decided[-1].report
    if report is not None:
        stores.notices.report(report)
    return changed[1]


def reports(actor: Actor, stores: Stores) -> list[Report]:
    """The not-adopted reports 通报 the actor may read, by the tasks' own rule (may_see): the
    division's for its management office (overseers) and admins, the hall's for its own staff."""
    if not actor.roles & {Role.SUPERVISOR, Role.ADMIN, Role.OFFICER, Role.OVERSEER} or not actor.division_code:
        return []
    return [r for r in stores.tasks.reports(actor.division_code) if may_see(r, actor)]


def citizen_view(tracking_code: str, stores: Stores) -> tuple[Task | None, list[str]]:
    """The task behind a rating as its citizen may see it, and what they may do now."""
    task = stores.tasks.get(tracking_code)
    if task is None:
        return None, []
    return task, [a.value for a in allowed_actions(task, Actor.citizen(), utc_now())]


def deadlines_ahead(rating: Rating, stores: Stores, rules: Rules) -> TaskDeadlines:
    """The deadlines a bad review's task will have, before the task is opened (the receipt
    names them at once): counted from the rating on its hall's calendar, as the opening counts them."""
    return rules.deadlines(stores.calendar.for_hall(rating.hall_code), rating.rated_at)


def rating_for_task(tracking_code: str, stores: Stores) -> dict[str, Any] | None:
    """What was rated, for the task view: never who rated."""
    rating = stores.ratings.get(tracking_code)
    if rating is None:
        return None
    return {
        "level": int(rating.level),
        "level_name": rating.level.name_zh,
        "tags": tag_names(rating.tags, stores),
        "comment": rating.comment,
        "channel": rating.channel.value,
        "rated_at": rating.rated_at_china.isoformat(timespec="seconds"),
        "staff_job_number": rating.staff_job_number,
    }


def tag_names(codes: tuple[str, ...], stores: Stores) -> list[dict[str, str]]:
    """Tags with their names from the current tag set (codes alone when it no longer has them)."""
    tag_set = stores.registry.current_tag_set()
    known = {t.code: t for t in tag_set.tags} if tag_set is not None else {}
    return [
        {
            "code": code,
            "name": known[code].name if code in known else code,
            "name_en": known[code].name_en if code in known else code,
        }
        for code in codes
    ]
