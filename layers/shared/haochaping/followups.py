"""Operations on follow-up tasks for staff and for citizens (one per handler route)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from haochaping.adapters import notices
from haochaping.adapters import ratings as rating_store
from haochaping.adapters import registry as registry_store
from haochaping.adapters import tasks as task_store
from haochaping.adapters.keys import report_key
from haochaping.adapters.personal_data import decrypt_evaluator
from haochaping.adapters.tables import ReportItem, bind_tables
from haochaping.domain.errors import NotFound
from haochaping.domain.escalation import due_day
from haochaping.domain.followup import Action, Actor, Role, allowed_actions, apply, check_access, open_task
from haochaping.domain.rating import utc_now
from haochaping.domain.task import Task, TaskState
from haochaping.escalations import deadlines_from, step_ahead
from haochaping.observability import metrics
from haochaping.settings import Settings

# A staff token's claims: Cognito's names (StaffIdentity cognito), or the plain names an external
# OpenID Connect issuer is set up to issue (StaffIdentity external); the first one present counts.
ROLE_CLAIMS = ("cognito:groups", "groups")
HALL_CLAIMS = ("custom:hall", "hall")
DIVISION_CLAIMS = ("custom:division", "division")
IDENTITY_CLAIMS = ("cognito:username", "username", "preferred_username", "sub")


def _claim(claims: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((claims[name] for name in names if claims.get(name)), None)


def actor_from_claims(claims: dict[str, Any]) -> Actor:
    """A staff member from the JWT claims API Gateway passes on (values are strings there:
    a list such as cognito:groups arrives as "[officer supervisor]")."""
    raw_groups = _claim(claims, ROLE_CLAIMS) or ""
    if isinstance(raw_groups, list):
        groups = [str(g) for g in raw_groups]
    else:
        groups = str(raw_groups).strip("[]").replace(",", " ").split()
    roles = frozenset(Role(g) for g in groups if g in {Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})
    hall, division = _claim(claims, HALL_CLAIMS), _claim(claims, DIVISION_CLAIMS)
    return Actor(
        identity=str(_claim(claims, IDENTITY_CLAIMS) or ""),
        roles=roles,
        hall_code=str(hall) if hall else None,
        division_code=str(division) if division else None,
    )


@dataclass(frozen=True)
class TaskView:
    task: Task
    allowed: list[str]
    evaluator: dict[str, str] | None  # only for the hall's officers and supervisors


def _bind(settings: Settings) -> None:
    bind_tables(settings.ratings_table, settings.registry_table)


def _load(tracking_code: str) -> tuple[Task, Any]:
    found = task_store.find_task(tracking_code)
    if found is None:
        raise NotFound("no such task")
    return found


def view_task(actor: Actor, tracking_code: str, settings: Settings) -> TaskView:
    _bind(settings)
    task, _ = _load(tracking_code)
    return view_of(actor, check_access(task, actor))


def view_of(actor: Actor, task: Task) -> TaskView:
    """What this actor sees of a task they may access; the evaluator only for the hall's own staff."""
    evaluator = None
    entitled = bool(actor.roles & {Role.OFFICER, Role.SUPERVISOR}) and actor.hall_code == task.hall_code
    if task.real_name and entitled:
        ciphertext = rating_store.find_evaluator_ciphertext(task.tracking_code)
        if ciphertext is not None:
            evaluator = decrypt_evaluator(ciphertext, task.tracking_code)
    return TaskView(task=task, allowed=[a.value for a in allowed_actions(task, actor, utc_now())], evaluator=evaluator)


def list_tasks(
    actor: Actor,
    settings: Settings,
    state: str | None = None,
    due: str | None = None,
    real_name: bool | None = None,
    now: datetime | None = None,
) -> list[Task]:
    """The actor's hall's tasks, filtered: by state, due soon (within a day), overdue, real-name."""
    _bind(settings)
    if not actor.hall_code or not actor.roles & {Role.OFFICER, Role.SUPERVISOR, Role.ADMIN}:
        return []
    now = now or utc_now()
    result = []
    for task in task_store.tasks_of_hall(actor.hall_code):
        due_at = task.first_contact_due if task.contacted_at is None else task.rectification_due
        if state and task.state.value != state:
            continue
        if due == "overdue" and not (task.open and due_at < now):
            continue
        if due == "soon" and not (task.open and now <= due_at <= now + timedelta(days=1)):
            continue
        if real_name is not None and task.real_name != real_name:
            continue
        result.append(task)
    return result


def act(
    actor: Actor,
    tracking_code: str,
    action: Action,
    expected_version: int | None,
    settings: Settings,
    *,
    text: str = "",
    reason: str | None = None,
    verdict: str | None = None,
    now: datetime | None = None,
) -> Task:
    """Take one move on a task; staff must name the version they saw (optimistic locking)."""
    _bind(settings)
    now = now or utc_now()
    try:
        return _act_once(actor, tracking_code, action, expected_version, settings, text, reason, verdict, now)
    except task_store.ChangedMeanwhile:
        # Written between our read and our write (an escalation step, say): the move is checked
        # again, the person's version included, on the task as it is now.
        return _act_once(actor, tracking_code, action, expected_version, settings, text, reason, verdict, now)


def _act_once(
    actor: Actor,
    tracking_code: str,
    action: Action,
    expected_version: int | None,
    settings: Settings,
    text: str,
    reason: str | None,
    verdict: str | None,
    now: datetime,
) -> Task:
    before, item = _load(tracking_code)
    check_access(before, actor)
    version = before.version if Role.CITIZEN in actor.roles and expected_version is None else expected_version
    after = apply(
        before,
        actor,
        action,
        int(version if version is not None else -1),
        now,
        text=text,
        reason=reason,
        verdict=verdict,
        appeal_period=timedelta(days=settings.appeal_period_days),
    )
    void_rating: bool | None = None
    report = None
    if action == Action.APPROVE_NOT_ADOPTED:
        void_rating = True
        report = ReportItem(
            pk=report_key(after.division_code),
            sk=f"{now.astimezone(UTC).isoformat()}#{after.tracking_code}",
            tracking_code=after.tracking_code,
            hall_code=after.hall_code,
            window_code=after.window_code,
            reason=after.not_adopted_reason.value if after.not_adopted_reason else "",
            evidence=after.evidence,
            proposed_by=after.proposed_by or "",
            approved_by=actor.identity,
            decided_at=now,
        )
    elif action == Action.UPHOLD_APPEAL:
        void_rating = False
        # Worked anew: the deadlines run again from the day the appeal was upheld.
        deadlines = deadlines_from(now, after.hall_code, settings)
        after = replace(
            after,
            first_contact_due=deadlines.first_contact_due,
            rectification_due=deadlines.rectification_due,
            deadlines_provisional=deadlines.provisional,
            counted_from=deadlines.counted_from,
        )
    purge_after = None
    if after.state == TaskState.CLOSED and before.state != TaskState.CLOSED:
        purge_after = now + timedelta(days=settings.personal_data_retention_days)
    reopened = action == Action.UPHOLD_APPEAL
    task_store.save_transition(
        before,
        after,
        item,
        void_rating,
        report,
        purge_after,
        keep_personal_data=reopened,
        due=step_ahead(after, settings),
    )
    if report is not None:
        notices.publish_report(settings.report_topic_arn, report)
    return after


def reports(actor: Actor, settings: Settings) -> list[ReportItem]:
    _bind(settings)
    if not actor.roles & {Role.SUPERVISOR, Role.ADMIN, Role.OFFICER} or not actor.division_code:
        return []
    return [
        r
        for r in task_store.reports(actor.division_code)
        if Role.ADMIN in actor.roles or r.hall_code == actor.hall_code
    ]


def citizen_view(tracking_code: str, settings: Settings) -> tuple[Task | None, list[str]]:
    """The task behind a rating as its citizen may see it, and what they may do now."""
    _bind(settings)
    found = task_store.find_task(tracking_code)
    if found is None:
        return None, []
    task = found[0]
    return task, [a.value for a in allowed_actions(task, Actor.citizen(), utc_now())]


def rating_for_task(tracking_code: str, settings: Settings) -> dict[str, Any] | None:
    """What was rated, for the task view: never who rated."""
    _bind(settings)
    rating = rating_store.find_rating(tracking_code)
    if rating is None:
        return None
    return {
        "level": int(rating.level),
        "level_name": rating.level.name_zh,
        "tags": tag_names(rating.tags, rating.tag_version, settings),
        "comment": rating.comment,
        "channel": rating.channel.value,
        "rated_at": rating.rated_at_china.isoformat(timespec="seconds"),
        "staff_job_number": rating.staff_job_number,
    }


def tag_names(codes: tuple[str, ...], version: str, settings: Settings) -> list[dict[str, str]]:
    """Tags with their names from the current tag set (codes alone when it no longer has them)."""
    _bind(settings)
    tag_set = registry_store.current_tag_set()
    known = {t.code: t for t in tag_set.tags} if tag_set is not None else {}
    return [
        {
            "code": code,
            "name": known[code].name if code in known else code,
            "name_en": known[code].name_en if code in known else code,
        }
        for code in codes
    ]


def open_followup(tracking_code: str, settings: Settings, now: datetime | None = None) -> bool:
    """Open the one follow-up task of a bad review 开启回访核实任务; False if it already existed.

    Safe to repeat: the task's conditional put makes a redelivered message a no-op, and the
    officers are notified until the task records that they were.
    """
    _bind(settings)
    rating = rating_store.find_rating(tracking_code)
    if rating is None:
        raise NotFound(f"no rating {tracking_code}")
    if not rating.is_bad_review:
        return False
    opened_at = now or utc_now()
    # Deadlines count from the bad review itself, however late its message was handled.
    deadlines = deadlines_from(rating.rated_at, rating.hall_code, settings)
    task = open_task(
        tracking_code=rating.tracking_code,
        division_code=rating.division_code,
        hall_code=rating.hall_code,
        window_code=rating.window_code,
        rated_staff=rating.staff_job_number,
        real_name=rating.real_name,
        opened_at=opened_at,
        first_contact_due=deadlines.first_contact_due,
        rectification_due=deadlines.rectification_due,
        provisional=deadlines.provisional,
        counted_from=deadlines.counted_from,
    )
    # 谁办理、谁负责: the hall's officers follow up, never the staff member who was rated.
    officers = [o for o in registry_store.hall_officers(rating.hall_code) if o != rating.staff_job_number]
    created = task_store.create_task(task, officers, step_ahead(task, settings))
    if created and task.deadlines_provisional:
        # The year's official schedule is missing: the admins are alarmed to load it.
        metrics.add_metric(name="ProvisionalDeadline", unit="Count", value=1)
    item = task_store.find_task_item(tracking_code)
    if item is not None and item.notified_at is None:
        notices.notify_officers(
            settings.officer_topic_arn,
            {
                "type": "followup_opened",
                "tracking_code": rating.tracking_code,
                "hall_code": rating.hall_code,
                "window_code": rating.window_code,
                "real_name": "yes" if rating.real_name else "no",
                "rectification_due": due_day(deadlines.rectification_due).date().isoformat(),
                "link": f"{settings.public_base_url.rstrip('/')}/console#task={rating.tracking_code}",
            },
        )
        task_store.mark_notified(item, utc_now())
    return created
