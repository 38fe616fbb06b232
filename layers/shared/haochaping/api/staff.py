"""Staff API: follow-up tasks for officers and supervisors, behind the JWT authorizer.

The gateway checks the token; the domain checks role, hall and division on every read and
write (a task of another hall is a 404, as if it did not exist).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from haochaping.domain.errors import Forbidden
from haochaping.domain.escalation import current_level, due_day, running_deadlines
from haochaping.domain.followup import TEXT_LIMIT, Action, Actor, Role
from haochaping.domain.rating import TRACKING_CODE_PATTERN, utc_now
from haochaping.domain.task import STATE_NAMES_ZH, DeadlineKind, Escalation, Task, TaskState
from haochaping.observability import logger, metrics
from haochaping.operations import followup
from haochaping.wiring import wired

router = Router()

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


STAFF_SECURITY: list[dict[str, list[str]]] = [{"StaffJwt": []}]


def current_actor() -> Actor:
    authorizer = router.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    claims = (authorizer.get("jwt") or {}).get("claims") or {}
    actor = actor_from_claims(claims)
    if not actor.identity or not actor.roles:
        raise Forbidden("this account has no staff role for follow-up tasks")
    return actor


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _deadline(kind: DeadlineKind, due_at: datetime) -> dict[str, Any]:
    # The day as well as the moment: a deadline is the end of its working day (24:00 China time).
    return {"kind": kind.value, "due_at": _iso(due_at), "day": due_day(due_at).date().isoformat()}


def task_summary(task: Task, tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """What the list shows of a task, each fact as recorded: codes, never names."""
    running = running_deadlines(task)
    return {
        "tracking_code": task.tracking_code,
        "hall_code": task.hall_code,
        "window_code": task.window_code,
        "state": task.state.value,
        "state_name": STATE_NAMES_ZH[task.state],
        "version": task.version,
        "real_name": task.real_name,
        "level": task.level,
        "tags": tags if tags is not None else [{"code": code} for code in task.tags],
        "opened_at": _iso(task.opened_at),
        "first_contact_due": _iso(task.first_contact_due),
        "first_contact_day": due_day(task.first_contact_due).date().isoformat(),
        "rectification_due": _iso(task.rectification_due),
        "rectification_day": due_day(task.rectification_due).date().isoformat(),
        "deadlines_provisional": task.deadlines_provisional,
        # Only a recorded contact: verification moving on meets the deadline but reaches nobody.
        "contacted": task.contact_recorded_at is not None,
        "contacted_at": _iso(task.contact_recorded_at),
        "first_contact_met": task.contacted_at is not None,
        # The deadline whose clock runs now, if any (first contact first); none once closed or not adopted.
        "running_deadline": _deadline(*running[0]) if running else None,
        "awaiting_supervisor": followup.awaiting_supervisor(task),
        "appeal_open": task.appeal_open,
        "rating_void": task.rating_void,
        "escalation": _escalation(current_level(task)),
    }


def _escalation(escalation: Escalation | None) -> dict[str, Any] | None:
    if escalation is None:
        return None
    return {
        "rung": escalation.rung.value,
        "level": escalation.rung.level,
        "rung_name": escalation.rung.name_zh,
        "deadline": escalation.deadline.value,
        "due_at": _iso(escalation.due_at),
        "at": _iso(escalation.at),
    }


def task_detail(view: followup.TaskView, rating: dict[str, Any] | None) -> dict[str, Any]:
    task = view.task
    return {
        **task_summary(task, rating["tags"] if rating else None),
        "outcome": task.outcome.value if task.outcome else None,
        "explanation": task.explanation,
        "feedback": task.feedback,
        "verdict": task.verdict.value if task.verdict else None,
        "not_adopted_reason": task.not_adopted_reason.value if task.not_adopted_reason else None,
        "evidence": task.evidence,
        "proposed_by": task.proposed_by,
        "appeal": task.appeal,
        "appeal_open": task.appeal_open,
        "called_back": task.called_back,
        "rating_void": task.rating_void,
        "allowed_actions": view.allowed,
        "evaluator": view.evaluator,
        "rating": rating,
        "escalations": [_escalation(e) for e in task.escalations],
        "audit": [
            {
                "sequence": e.sequence,
                "actor": e.actor,
                "role": e.role,
                "at": _iso(e.at),
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "reason": e.reason,
                "codes": dict(e.codes),
            }
            for e in task.audit
        ],
    }


def _json(body: Any, status: int = 200) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/staff/tasks", summary="Follow-up tasks of my hall 本大厅回访核实任务", security=STAFF_SECURITY)
def list_tasks(
    state: Annotated[TaskState | None, Query()] = None,
    due: Annotated[str | None, Query(pattern="^(soon|overdue)$")] = None,
    real_name: Annotated[bool | None, Query()] = None,
    flag: Annotated[
        str | None,
        Query(pattern="^(awaiting_supervisor|appeal_open)$", description="what the task waits for"),
    ] = None,
) -> Response[Any]:
    actor = current_actor()
    stores = wired()[0]
    tasks = followup.list_tasks(actor, stores, state.value if state else None, due, real_name, flag=flag)
    names = followup.tag_names(tuple({code for t in tasks for code in t.tags}), stores)
    tags = {tag["code"]: tag for tag in names}
    # The server's time beside the deadlines: the console counts down from it, not from the PC's clock.
    # `recent`: how many of the newest tasks are listed beside every open one.
    body = {
        "now": _iso(utc_now()),
        "recent": followup.RECENT_TASKS,
        "tasks": [task_summary(t, [tags[code] for code in t.tags]) for t in tasks],
    }
    return _json(body)


@router.get("/staff/tasks/<tracking_code>", summary="One follow-up task 任务详情", security=STAFF_SECURITY)
def get_task(tracking_code: Annotated[str, Path(pattern=TRACKING_CODE_PATTERN)]) -> Response[Any]:
    actor = current_actor()
    stores, _ = wired()
    view = followup.view_task(actor, tracking_code, stores)
    rating = followup.rating_for_task(tracking_code, stores)
    if view.evaluator is not None:
        # Who saw personal data is itself worth knowing; what they saw is not logged.
        logger.info("evaluator shown", extra={"tracking_code": tracking_code, "actor": actor.identity})
    return _json({**task_detail(view, rating), "now": _iso(utc_now())})


class TaskActionRequest(BaseModel):
    """One move on a task: the version seen guards against two people acting at once."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: Action
    version: int = Field(ge=1, description="the task's version as you saw it")
    text: str = Field(default="", max_length=TEXT_LIMIT, description="what was done, feedback, evidence or reason")
    reason: str | None = Field(default=None, description="for propose_not_adopted: mistaken or malicious")
    verdict: str | None = Field(default=None, description="for record_call_back: the citizen's verdict")


@router.post("/staff/tasks/<tracking_code>/actions", summary="Act on a task 办理", security=STAFF_SECURITY)
def act_on_task(
    tracking_code: Annotated[str, Path(pattern=TRACKING_CODE_PATTERN)], request: TaskActionRequest
) -> Response[Any]:
    actor = current_actor()
    stores, rules = wired()
    task = followup.act(
        actor,
        tracking_code,
        request.action,
        request.version,
        stores,
        rules,
        text=request.text,
        reason=request.reason,
        verdict=request.verdict,
    )
    metrics.add_metric(name=f"TaskAction_{request.action.value}", unit="Count", value=1)
    logger.info(
        "task action",
        extra={
            "tracking_code": tracking_code,
            "action": request.action.value,
            "actor": actor.identity,
            "state": task.state.value,
        },
    )
    view = followup.view_of(actor, task, stores)  # the task as the move left it: no second read
    if view.evaluator is not None:
        logger.info("evaluator shown", extra={"tracking_code": tracking_code, "actor": actor.identity})
    return _json(task_detail(view, followup.rating_for_task(tracking_code, stores)))


@router.get("/staff/reports", summary="Not-adopted reports 不予采纳通报", security=STAFF_SECURITY)
def list_reports() -> Response[Any]:
    actor = current_actor()
    items = followup.reports(actor, wired()[0])
    return _json(
        {
            "reports": [
                {
                    "tracking_code": r.tracking_code,
                    "hall_code": r.hall_code,
                    "window_code": r.window_code,
                    "reason": r.reason,
                    "proposed_by": r.proposed_by,
                    "approved_by": r.approved_by,
                    "decided_at": r.decided_at.isoformat(),
                }
                for r in items
            ]
        }
    )
