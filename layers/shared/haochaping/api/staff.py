"""Staff API: follow-up tasks for officers and supervisors, behind the JWT authorizer.

The gateway checks the token; the domain checks role, hall and division on every read and
write (a task of another hall is a 404, as if it did not exist).
"""

from __future__ import annotations

import csv
import io
from dataclasses import fields as dataclass_fields
from datetime import datetime
from fractions import Fraction
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from haochaping.domain.errors import Forbidden, InvalidFields
from haochaping.domain.escalation import current_level
from haochaping.domain.followup import TEXT_LIMIT, Action, Actor, Role
from haochaping.domain.rating import TRACKING_CODE_PATTERN, utc_now
from haochaping.domain.scores import Figures, PeriodKind, ScopeKind, period_of_key
from haochaping.domain.task import STATE_NAMES_ZH, Escalation, Task, TaskState
from haochaping.observability import logger, metrics
from haochaping.operations import figures as staff_figures
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


def task_summary(task: Task) -> dict[str, Any]:
    return {
        "tracking_code": task.tracking_code,
        "hall_code": task.hall_code,
        "window_code": task.window_code,
        "state": task.state.value,
        "state_name": STATE_NAMES_ZH[task.state],
        "version": task.version,
        "real_name": task.real_name,
        "opened_at": _iso(task.opened_at),
        "first_contact_due": _iso(task.first_contact_due),
        "rectification_due": _iso(task.rectification_due),
        "deadlines_provisional": task.deadlines_provisional,
        "contacted": task.contacted_at is not None,
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
        **task_summary(task),
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
) -> Response[Any]:
    actor = current_actor()
    tasks = followup.list_tasks(actor, wired()[0], state.value if state else None, due, real_name)
    # The server's time beside the deadlines: the console counts down from it, not from the PC's clock.
    # `recent`: how many of the newest tasks are listed beside every open one.
    body = {"now": _iso(utc_now()), "recent": followup.RECENT_TASKS, "tasks": [task_summary(t) for t in tasks]}
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


# -- figures 评价数据 ---------------------------------------------------------------------------

PERIOD_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"
RATE_PLACES = 4  # the figures are exact fractions; shown to four places (a rate of 0.9375 is 93.75%)
CSV_TYPE = "text/csv; charset=utf-8"


class FiguresRow(BaseModel):
    """One scope's figures for the period; a rate is null when there was nothing to rate."""

    scope: ScopeKind
    code: str = Field(description="window, department (credit code), staff job number, hall or division code")
    ratings: int = Field(description="all first ratings, not adopted included")
    not_adopted: int = Field(description="ratings not adopted 不予采纳, excluded from every other figure")
    valid: int = Field(description="valid ratings: ratings − not adopted")
    good_rate: float | None = Field(description="好评率 (非常满意 + 满意 + 基本满意) / valid")
    bad_rate: float | None = Field(description="差评率 (不满意 + 非常不满意) / valid")
    mean_score: float | None = Field(description="mean level 1–5 over valid ratings")
    reply_rate: float | None = Field(description="差评回复率 bad reviews with feedback given / valid bad reviews")
    call_back_rate: float | None = Field(
        description="回访整改率 called back and rectified or explained / valid bad reviews"
    )
    real_name_call_back_rate: float | None = Field(description="the same for real-name bad reviews (must be 1)")
    fix_satisfaction: float | None = Field(description="回访整改满意率 (满意 + 基本满意 verdicts) / verdicts given")
    on_time_rate: float | None = Field(description="tasks closed by their deadline / tasks closed")


class FiguresAnswer(BaseModel):
    period: str = Field(description="the day (2026-03-05), month (2026-03) or year (2026), Asia/Shanghai")
    period_kind: PeriodKind
    scope: ScopeKind
    figures: list[FiguresRow]


FIGURE_NAMES = [field.name for field in dataclass_fields(Figures)]


def _shown(value: int | Fraction | None) -> int | float | None:
    if isinstance(value, Fraction):
        return round(float(value), RATE_PLACES)
    return value


def _row(kind: ScopeKind, code: str, found: Figures) -> FiguresRow:
    shown = {name: _shown(getattr(found, name)) for name in FIGURE_NAMES}
    return FiguresRow.model_validate({"scope": kind, "code": code, **shown})


def _csv(answer: FiguresAnswer) -> str:
    """UTF-8 with a byte-order mark, so that a spreadsheet opens the Chinese headings as such."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["period", *FiguresRow.model_fields])
    for row in answer.figures:
        values = row.model_dump(mode="json")
        writer.writerow([answer.period, *("" if value is None else value for value in values.values())])
    return "\ufeff" + out.getvalue()


@router.get(
    "/staff/figures",
    summary="Figures of my hall or division 评价数据",
    description=(
        "DOMAIN.md's figures per window, department, hall, staff member (supervisors and admins) or the "
        "division (admins), for one day, month or year. JSON, or CSV (UTF-8 with BOM) with format=csv "
        "or Accept: text/csv."
    ),
    security=STAFF_SECURITY,
    responses={
        200: {
            "description": "The figures, one row per scope",
            "content": {"application/json": {"model": FiguresAnswer}, "text/csv": {}},
        },
        403: {"description": "Figures of that kind are not shown to this account's roles"},
        422: {"description": "Invalid query fields, each named"},
    },
)
def get_figures(
    period: Annotated[str, Query(pattern=PERIOD_PATTERN, description="2026-03-05, 2026-03 or 2026")],
    scope: Annotated[ScopeKind, Query()] = ScopeKind.HALL,
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
) -> Response[Any]:
    try:
        chosen = period_of_key(period)
    except ValueError:
        raise InvalidFields({"period": "not a day (2026-03-05), a month (2026-03) or a year (2026)"}) from None
    actor = current_actor()
    found = staff_figures.staff_figures(actor, chosen, scope, wired()[0])
    answer = FiguresAnswer(
        period=chosen.key,
        period_kind=chosen.kind,
        scope=scope,
        figures=[_row(s.kind, s.code, f) for s, f in sorted(found.items())],
    )
    accept = router.current_event.headers.get("accept", "") or ""
    if format == "csv" or (format is None and "text/csv" in accept.lower()):
        return Response(
            status_code=200,
            content_type=CSV_TYPE,
            body=_csv(answer),
            headers={
                "Cache-Control": "no-store",
                "Content-Disposition": f'attachment; filename="figures-{scope.value}-{chosen.key}.csv"',
            },
        )
    return _json(answer.model_dump(mode="json"))
