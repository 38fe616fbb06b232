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

from haochaping.api.contract import NO_STORE, answers, json_answer
from haochaping.domain.errors import Forbidden, InvalidFields
from haochaping.domain.escalation import current_level, due_day, running_deadlines
from haochaping.domain.followup import MOVE_INPUTS, TEXT_LIMIT, TRANSITIONS, Action, Actor, Role
from haochaping.domain.rankings import Performance, Ranked
from haochaping.domain.rating import JOB_NUMBER_PATTERN, NON_BLANK, TRACKING_CODE_PATTERN, utc_now
from haochaping.domain.scores import Figures, PeriodKind, ScopeKind, period_of_key
from haochaping.domain.task import (
    STATE_NAMES_ZH,
    AttemptOutcome,
    DeadlineKind,
    Escalation,
    NotAdoptedReason,
    Rung,
    Task,
    TaskState,
    Verdict,
)
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


# The roles a staff token may carry (the user pool's groups); the citizen's is never a staff role.
STAFF_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN, Role.OVERSEER})


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
    roles = frozenset(Role(g) for g in groups if g in STAFF_ROLES)
    hall, division = _claim(claims, HALL_CLAIMS), _claim(claims, DIVISION_CLAIMS)
    return Actor(
        identity=str(_claim(claims, IDENTITY_CLAIMS) or ""),
        roles=roles,
        hall_code=str(hall) if hall else None,
        division_code=str(division) if division else None,
    )


STAFF_SECURITY: list[dict[str, list[str]]] = [{"StaffJwt": []}]
NO_ROLE = "this account has no staff role for follow-up tasks"


def current_actor() -> Actor:
    return actor_of(router.current_event.raw_event)


def actor_of(event: dict[str, Any]) -> Actor:
    """The staff member a request comes from, by the claims of its token; 403 without a staff role."""
    authorizer = event.get("requestContext", {}).get("authorizer") or {}
    claims = (authorizer.get("jwt") or {}).get("claims") or {}
    actor = actor_from_claims(claims)
    if not actor.identity or not actor.roles:
        raise Forbidden(NO_ROLE)
    return actor


# A moment as the staff API gives it: ISO 8601 with its offset.
Moment = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Answer(BaseModel):
    """What a staff route answers: exactly these fields, as the OpenAPI document states them."""

    model_config = ConfigDict(extra="forbid")


class EscalationStep(Answer):
    """A 督办 step taken on a task."""

    rung: Rung
    level: int = Field(description="0 a reminder, 1 the hall supervisor, 2 the district bureau, 3 the city")
    rung_name: str
    deadline: DeadlineKind = Field(description="the deadline it belongs to")
    due_at: Moment
    at: Moment = Field(description="when the step was taken")


class TagName(Answer):
    """A tag 标签 by its code, with its names when the tag set still has it."""

    code: str
    name: str | None = None
    name_en: str | None = None


class RunningDeadline(Answer):
    kind: DeadlineKind
    due_at: Moment
    day: str = Field(description="the deadline's day: it ends at 24:00 China time")


class TaskSummary(Answer):
    """A follow-up task 回访核实任务 as the hall's list shows it."""

    tracking_code: str
    hall_code: str
    window_code: str
    state: TaskState
    state_name: str
    version: int = Field(description="send it back with a move: a move on a changed task is refused (409)")
    real_name: bool
    opened_at: Moment
    first_contact_due: Moment
    rectification_due: Moment
    deadlines_provisional: bool = Field(description="counted on a provisional calendar (no official schedule)")
    escalation: EscalationStep | None = Field(description="the highest 督办 step taken, if any")
    holder: str | None = Field(description="the job number of the officer responsible 专人; null: not taken on yet")
    level: int | None = Field(description="the bad review's level (null: a task from before it was kept)")
    tags: list[TagName]
    first_contact_day: str = Field(description="the first-contact deadline's day: it ends at 24:00 China time")
    rectification_day: str = Field(description="the rectification deadline's day: it ends at 24:00 China time")
    contacted: bool = Field(description="a contact with the citizen was recorded (never said of an anonymous task)")
    contacted_at: Moment | None
    first_contact_met: bool = Field(description="the first-contact deadline was met: a contact or an outcome")
    running_deadline: RunningDeadline | None = Field(description="the deadline whose clock runs now, if any")
    awaiting_supervisor: bool = Field(description="the next move is a supervisor's: a proposal or an appeal")
    appeal_open: bool
    rating_void: bool

    @classmethod
    def of(cls, task: Task, tags: list[dict[str, str]] | None = None) -> TaskSummary:
        return cls(**_summary_fields(task, tags))


def _deadline(kind: DeadlineKind, due_at: datetime) -> RunningDeadline:
    # The day as well as the moment: a deadline is the end of its working day (24:00 China time).
    return RunningDeadline(kind=kind, due_at=due_at.isoformat(), day=due_day(due_at).date().isoformat())


def _summary_fields(task: Task, tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """What the list shows of a task, each fact as recorded: codes, never names."""
    running = running_deadlines(task)
    return {
        "tracking_code": task.tracking_code,
        "hall_code": task.hall_code,
        "window_code": task.window_code,
        "state": task.state,
        "state_name": STATE_NAMES_ZH[task.state],
        "version": task.version,
        "real_name": task.real_name,
        "level": task.level,
        "tags": tags if tags is not None else [{"code": code} for code in task.tags],
        "opened_at": task.opened_at.isoformat(),
        "first_contact_due": task.first_contact_due.isoformat(),
        "first_contact_day": due_day(task.first_contact_due).date().isoformat(),
        "rectification_due": task.rectification_due.isoformat(),
        "rectification_day": due_day(task.rectification_due).date().isoformat(),
        "deadlines_provisional": task.deadlines_provisional,
        # Only a recorded contact: verification moving on meets the deadline but reaches nobody.
        "contacted": task.contact_recorded_at is not None,
        "contacted_at": task.contact_recorded_at.isoformat() if task.contact_recorded_at else None,
        "first_contact_met": task.contacted_at is not None,
        # The deadline whose clock runs now, if any (first contact first); none once closed or not adopted.
        "running_deadline": _deadline(*running[0]) if running else None,
        "awaiting_supervisor": followup.awaiting_supervisor(task),
        "appeal_open": task.appeal_open,
        "rating_void": task.rating_void,
        "escalation": _escalation(current_level(task)),
        "holder": task.holder,  # the job number of the officer responsible 专人; None: not yet taken on
    }


def _escalation(escalation: Escalation | None) -> EscalationStep | None:
    return _step(escalation) if escalation is not None else None


def _step(escalation: Escalation) -> EscalationStep:
    return EscalationStep(
        rung=escalation.rung,
        level=escalation.rung.level,
        rung_name=escalation.rung.name_zh,
        deadline=escalation.deadline,
        due_at=escalation.due_at.isoformat(),
        at=escalation.at.isoformat(),
    )


class TaskList(Answer):
    now: Moment = Field(description="the server's time: count down from it, not from the PC's clock")
    recent: int = Field(description="how many of the newest tasks are listed beside every open one")
    tasks: list[TaskSummary]


class EvaluatorContact(Answer):
    """评价人: shown only to the hall's officers and supervisors, on a real-name task."""

    name: str
    phone: str


class RatedService(Answer):
    """What was rated 评价 (never who rated)."""

    level: int = Field(ge=1, le=5)
    level_name: str
    tags: list[TagName]
    comment: str
    channel: str
    rated_at: Moment
    staff_job_number: str | None


class AuditLine(Answer):
    """One line of the audit trail 操作记录."""

    sequence: int
    actor: str
    role: str
    at: Moment
    action: str
    from_state: str
    to_state: str
    reason: str = Field(description="what the person wrote, as they wrote it")
    codes: dict[str, str] = Field(description="what the move chose or the system decided, as codes to be named")


class CallBackAttemptLine(Answer):
    """A call-back after the fix that reached no verdict 回访未果."""

    at: Moment
    by: str
    outcome: AttemptOutcome


class TaskDetail(TaskSummary):
    """One task, with what this staff member may do now and may see."""

    outcome: TaskState | None
    explanation: str
    feedback: str
    verdict: Verdict | None
    not_adopted_reason: NotAdoptedReason | None
    evidence: str
    proposed_by: str | None
    approved_by: str | None
    appeal: str
    appeal_to_division: bool = Field(description="no supervisor of the hall is independent: the division decides")
    called_back: bool = Field(description="called back after the fix, with the citizen's verdict 已回访")
    call_back_attempts: list[CallBackAttemptLine]
    unreachable: bool = Field(description="enough unsuccessful call-back attempts: may close without a verdict")
    reopenings: int = Field(description="times a 不满意 verdict sent the task back to rectification")
    officers: list[str] = Field(description="whom the task went to: who may take it on")
    allowed_actions: list[Action]
    evaluator: EvaluatorContact | None
    rating: RatedService | None
    escalations: list[EscalationStep]
    audit: list[AuditLine]
    now: Moment

    @classmethod
    def of_view(cls, view: followup.TaskView, rating: dict[str, Any] | None) -> TaskDetail:
        task = view.task
        return cls(
            **_summary_fields(task, rating["tags"] if rating else None),
            outcome=task.outcome,
            explanation=task.explanation,
            feedback=task.feedback,
            verdict=task.verdict,
            not_adopted_reason=task.not_adopted_reason,
            evidence=task.evidence,
            proposed_by=task.proposed_by,
            approved_by=task.approved_by,
            appeal=task.appeal,
            appeal_to_division=task.appeal_to_division,
            called_back=task.called_back,
            call_back_attempts=[
                CallBackAttemptLine(at=a.at.isoformat(), by=a.by, outcome=a.outcome) for a in task.call_back_attempts
            ],
            unreachable=task.unreachable,
            reopenings=task.reopenings,
            officers=list(task.officers),
            allowed_actions=[Action(action) for action in view.allowed],
            evaluator=EvaluatorContact(**view.evaluator) if view.evaluator is not None else None,
            rating=RatedService(**rating) if rating is not None else None,
            escalations=[_step(e) for e in task.escalations],
            audit=[
                AuditLine(
                    sequence=e.sequence,
                    actor=e.actor,
                    role=e.role,
                    at=e.at.isoformat(),
                    action=e.action,
                    from_state=e.from_state,
                    to_state=e.to_state,
                    reason=e.reason,
                    codes=dict(e.codes),
                )
                for e in task.audit
            ],
            now=utc_now().isoformat(),
        )


class NotAdoptedReport(Answer):
    """A not-adopted decision 不予采纳通报, as the division's staff are told of it."""

    tracking_code: str
    hall_code: str
    window_code: str
    reason: NotAdoptedReason
    proposed_by: str
    approved_by: str
    decided_at: Moment


class ReportList(Answer):
    reports: list[NotAdoptedReport]


def staff_answer(answer: Answer, status: int = 200) -> Response[Any]:
    """A staff route's answer: its model as JSON, never cached (it may hold what only this reader may see)."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=answer.model_dump(mode="json"),
        headers={"Cache-Control": "no-store"},
    )


@router.get(
    "/staff/tasks",
    summary="Follow-up tasks of my hall 本大厅回访核实任务",
    security=STAFF_SECURITY,
    responses=answers(
        {200: json_answer("The hall's open tasks and its newest ones", TaskList, NO_STORE)},
        {403: NO_ROLE, 422: "a query parameter is invalid, named"},
        staff=True,
    ),
)
def list_tasks(
    state: Annotated[TaskState | None, Query()] = None,
    due: Annotated[str | None, Query(pattern="^(soon|overdue)$")] = None,
    real_name: Annotated[bool | None, Query()] = None,
    holder: Annotated[
        str | None,
        Query(pattern="^(me|nobody)$", description="me: the tasks I hold; nobody: open tasks no one holds yet"),
    ] = None,
    flag: Annotated[
        str | None,
        Query(pattern=f"^({'|'.join(followup.FLAGS)})$", description="what the task waits for"),
    ] = None,
) -> Response[Any]:
    actor = current_actor()
    stores = wired()[0]
    tasks = followup.list_tasks(actor, stores, state.value if state else None, due, real_name, holder=holder, flag=flag)
    names = followup.tag_names(tuple({code for t in tasks for code in t.tags}), stores)
    tags = {tag["code"]: tag for tag in names}
    return staff_answer(
        TaskList(
            now=utc_now().isoformat(),
            recent=followup.RECENT_TASKS,
            tasks=[TaskSummary.of(t, [tags[code] for code in t.tags]) for t in tasks],
        )
    )


@router.get(
    "/staff/tasks/<tracking_code>",
    summary="One follow-up task 任务详情",
    security=STAFF_SECURITY,
    responses=answers(
        {200: json_answer("The task", TaskDetail, NO_STORE)},
        {
            403: NO_ROLE,
            404: "no such task, or not one of this staff member's hall (or one they were rated in)",
            422: "the tracking code is malformed",
        },
        path_parameters=True,
        staff=True,
    ),
)
def get_task(tracking_code: Annotated[str, Path(pattern=TRACKING_CODE_PATTERN)]) -> Response[Any]:
    actor = current_actor()
    stores, _ = wired()
    view = followup.view_task(actor, tracking_code, stores)
    rating = followup.rating_for_task(tracking_code, stores)
    if view.evaluator is not None:
        # Who saw personal data is itself worth knowing; what they saw is not logged.
        logger.info("evaluator shown", extra={"tracking_code": tracking_code, "actor": actor.identity})
    return staff_answer(TaskDetail.of_view(view, rating))


# The staff's moves; the citizen's (their verdict, an appeal) are made on the status page, and a
# staff member sending one is refused (403).
STAFF_MOVES = [action.value for action, (_, roles, _) in TRANSITIONS.items() if roles - {Role.CITIZEN}]


def _what_each_move_needs(schema: dict[str, Any]) -> None:
    """The inputs MOVE_INPUTS asks of each move, stated in the body's schema: the domain refuses a
    move without them (422), and the console builds its forms from the same table."""
    schema["properties"]["action"]["enum"] = STAFF_MOVES
    conditions = []
    for action, needs in MOVE_INPUTS.items():
        if action.value not in STAFF_MOVES:
            continue
        required: list[str] = []
        properties: dict[str, Any] = {}
        if needs.text_required:
            required.append("text")
            properties["text"] = {"minLength": 1, "pattern": NON_BLANK, "description": needs.text_required}
        if needs.reasons:
            required.append("reason")
            properties["reason"] = {"enum": list(needs.reasons)}
        if needs.verdicts:
            required.append("verdict")
            properties["verdict"] = {"enum": list(needs.verdicts)}
        if needs.assignee:
            required.append("assignee")
            properties["assignee"] = {"description": needs.assignee}
        if required:
            conditions.append(
                {
                    "if": {"properties": {"action": {"const": action.value}}, "required": ["action"]},
                    "then": {"required": required, "properties": properties},
                }
            )
    schema["allOf"] = conditions


REASONS = [*(reason.value for reason in NotAdoptedReason), *(outcome.value for outcome in AttemptOutcome)]


class TaskActionRequest(BaseModel):
    """One move on a task: the version seen guards against two people acting at once."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_what_each_move_needs)

    action: Action = Field(description="one of the staff's moves")
    version: int = Field(ge=1, description="the task's version as you saw it")
    text: str = Field(default="", max_length=TEXT_LIMIT, description="what was done, feedback, evidence or reason")
    # One field for two moves' choices: the domain checks it against the move (MOVE_INPUTS), so a
    # wrong one is one problem named "reason", saying what the move takes.
    reason: str | None = Field(
        default=None,
        max_length=40,
        description="for propose_not_adopted: mistaken or malicious; "
        "for record_call_back_attempt: what happened (no_answer, unavailable or refused)",
        json_schema_extra={"enum": [*REASONS, None]},
    )
    verdict: Verdict | None = Field(default=None, description="for record_call_back: the citizen's verdict")
    assignee: str | None = Field(
        default=None, pattern=JOB_NUMBER_PATTERN, description="for assign: the job number of the officer who takes it"
    )


@router.post(
    "/staff/tasks/<tracking_code>/actions",
    summary="Act on a task 办理",
    security=STAFF_SECURITY,
    responses=answers(
        {200: json_answer("The task as the move left it", TaskDetail, NO_STORE)},
        {
            403: NO_ROLE + "; or the move needs another role; or the task is another officer's (not_holder); or "
            "the supervisor took part in the decision the appeal is against (not_independent)",
            404: "no such task, or not one of this staff member's hall (or one they were rated in)",
            409: "the task changed since that version (stale_version); or the move is not allowed now "
            "(transition_refused, with the moves that are)",
            422: "invalid fields, each named",
        },
        body=True,
        path_parameters=True,
        staff=True,
    ),
)
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
        verdict=request.verdict.value if request.verdict else None,
        assignee=request.assignee,
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
    return staff_answer(TaskDetail.of_view(view, followup.rating_for_task(tracking_code, stores)))


@router.get(
    "/staff/reports",
    summary="Not-adopted reports 不予采纳通报",
    security=STAFF_SECURITY,
    responses=answers(
        {200: json_answer("The not-adopted decisions this staff member may see", ReportList, NO_STORE)},
        {403: NO_ROLE},
        staff=True,
    ),
)
def list_reports() -> Response[Any]:
    actor = current_actor()
    reports = followup.reports(actor, wired()[0])
    return staff_answer(
        ReportList(
            reports=[
                NotAdoptedReport(
                    tracking_code=r.tracking_code,
                    hall_code=r.hall_code,
                    window_code=r.window_code,
                    reason=NotAdoptedReason(r.reason),
                    proposed_by=r.proposed_by,
                    approved_by=r.approved_by,
                    decided_at=r.decided_at.isoformat(),
                )
                for r in reports
            ]
        )
    )


# -- figures 评价数据 ---------------------------------------------------------------------------

# Exactly the periods period_of_key takes, so that the document promises nothing the route refuses:
# a year or a month of any year, and a real day (29 February of a leap year only) of years 0001–9999.
_DAY_YEAR = r"([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = r"([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
_DAY = r"((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
PERIOD_PATTERN = rf"^([0-9]{{4}}(-(0[1-9]|1[0-2]))?|{_DAY_YEAR}-{_DAY}|{_LEAP_YEAR}-02-29)$"
RATE_PLACES = 4  # the figures are exact fractions; shown to four places (a rate of 0.9375 is 93.75%)
CSV_TYPE = "text/csv; charset=utf-8"


class FiguresRow(Answer):
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


class FiguresAnswer(Answer):
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
    responses=answers(
        {
            200: {
                **json_answer("The figures, one row per scope", FiguresAnswer, NO_STORE),
                "content": {
                    "application/json": {"model": FiguresAnswer},
                    "text/csv": {"schema": {"type": "string", "description": "UTF-8 with a byte-order mark"}},
                },
            }
        },
        {
            403: NO_ROLE + "; or figures of that kind are not shown to this account's roles",
            422: "a query parameter is invalid (a period that is not a day, a month or a year), named",
        },
        staff=True,
    ),
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
    return staff_answer(answer)


# -- rankings and lists 排名与榜单 (internal) ------------------------------------------------------

BOUND_PLACES = 6  # the Wilson lower bound, a float: six places order any two units as the ranking does


class RankedRow(Answer):
    """A ranked unit: its place (1 = best), the good and valid ratings its bound reads."""

    scope: ScopeKind
    code: str
    rank: int = Field(ge=1)
    good: int = Field(description="good ratings: 非常满意 + 满意 + 基本满意")
    valid: int
    lower_bound: float = Field(description="the lower bound of the 95% Wilson interval on the good rate, 0–1")


class NotRankedRow(Answer):
    """A unit with fewer valid ratings than the minimum sample 未参与排名."""

    scope: ScopeKind
    code: str
    good: int
    valid: int


class RankingRow(Answer):
    """One kind of unit (hall, department, window) ranked among the units the reader sees."""

    kind: ScopeKind
    minimum_sample: int = Field(description="valid ratings a unit needs to be ranked 最低样本量")
    ranked: list[RankedRow]
    not_ranked: list[NotRankedRow]


class SupervisedRow(Answer):
    """A unit or staff member under key supervision 重点对象: its valid bad reviews in the month."""

    scope: ScopeKind
    code: str
    bad_reviews: int
    valid: int


class PerformanceRow(Answer):
    """绩效考核 of a unit or staff member for the period (internal)."""

    scope: ScopeKind
    code: str
    bad_reviews: int = Field(description="valid bad reviews")
    verified_bad_reviews: int = Field(
        description="of them, found to be a failure 履职不到位 (rectified or resolved on the spot)"
    )
    deduction: float = Field(description="performance points deducted 绩效扣分")
    excellence_eligible: bool = Field(description="评优资格: lost with one verified bad review")


class AssessmentAnswer(Answer):
    period: str = Field(description="the day (2026-03-05), month (2026-03) or year (2026), Asia/Shanghai")
    period_kind: PeriodKind
    monthly: bool = Field(description="the key-supervision list is a month's: empty for a day or a year")
    rankings: list[RankingRow]
    red_list: list[RankedRow] = Field(description="红榜: the best-ranked units of each kind")
    key_supervision: list[SupervisedRow] = Field(description="重点对象; staff for supervisors and admins only")
    performance: list[PerformanceRow] = Field(description="绩效扣分 and 评优资格 per unit and staff member")
    organisation_list: list[PerformanceRow] = Field(
        description="组织部门: staff with repeated verified bad reviews (supervisors and admins only)"
    )


def _ranked(entry: Ranked) -> RankedRow:
    return RankedRow(
        scope=entry.scope.kind,
        code=entry.scope.code,
        rank=entry.rank,
        good=entry.good,
        valid=entry.valid,
        lower_bound=round(entry.lower_bound, BOUND_PLACES),
    )


def _performance(entry: Performance) -> PerformanceRow:
    return PerformanceRow(
        scope=entry.scope.kind,
        code=entry.scope.code,
        bad_reviews=entry.bad_reviews,
        verified_bad_reviews=entry.verified_bad_reviews,
        deduction=float(entry.deduction),
        excellence_eligible=entry.excellence_eligible,
    )


@router.get(
    "/staff/assessment",
    summary="Rankings and internal lists of my hall or division 排名与榜单",
    description=(
        "The period's ranking of halls, departments and windows by the Wilson lower bound (and the units "
        "not ranked 未参与排名), the 红榜, the key-supervision list 重点对象 (a month's), performance "
        "deductions 绩效扣分 and excellence eligibility 评优资格, and the organisation department's list "
        "组织部门. For supervisors (their hall) and admins (the division); the management office sees the "
        "division's units and no staff member. Internal: not for publication."
    ),
    security=STAFF_SECURITY,
    responses=answers(
        {200: json_answer("The rankings and lists", AssessmentAnswer, NO_STORE)},
        {
            403: NO_ROLE + "; or the rankings and lists are not shown to this account's roles (officers)",
            422: "a query parameter is invalid (a period that is not a day, a month or a year), named",
        },
        staff=True,
    ),
)
def get_assessment(
    period: Annotated[str, Query(pattern=PERIOD_PATTERN, description="2026-03-05, 2026-03 or 2026")],
) -> Response[Any]:
    try:
        chosen = period_of_key(period)
    except ValueError:
        raise InvalidFields({"period": "not a day (2026-03-05), a month (2026-03) or a year (2026)"}) from None
    actor = current_actor()
    stores, rules = wired()
    found = staff_figures.assessment(actor, chosen, stores, rules.assessment)
    return staff_answer(
        AssessmentAnswer(
            period=chosen.key,
            period_kind=chosen.kind,
            monthly=found.monthly,
            rankings=[
                RankingRow(
                    kind=kind,
                    minimum_sample=ranking.minimum_sample,
                    ranked=[_ranked(entry) for entry in ranking.ranked],
                    not_ranked=[
                        NotRankedRow(scope=u.scope.kind, code=u.scope.code, good=u.good, valid=u.valid)
                        for u in ranking.not_ranked
                    ],
                )
                for kind, ranking in found.rankings.items()
            ],
            red_list=[_ranked(entry) for entries in found.red_lists.values() for entry in entries],
            key_supervision=[
                SupervisedRow(scope=s.scope.kind, code=s.scope.code, bad_reviews=s.bad_reviews, valid=s.valid)
                for s in found.key_supervision
            ],
            performance=[_performance(entry) for entry in found.performance],
            organisation_list=[_performance(entry) for entry in found.organisation_list],
        )
    )
