"""A rating's receipt and status, which the citizen opens with the tracking code."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from haochaping.api.contract import answers, json_or_page_answer
from haochaping.api.web import html
from haochaping.domain.followup import Action
from haochaping.domain.rating import TRACKING_CODE_PATTERN, Rating
from haochaping.domain.suspicion import Review
from haochaping.domain.task import STATE_NAMES_ZH, Task, TaskState, Verdict
from haochaping.operations import followup, ratings
from haochaping.web.i18n import LEVEL_NAMES, language
from haochaping.wiring import wired

status_router = Router()


# Where a rating's follow-up stands, as the status answers it.
FollowUpStatus = Literal["none", "received", "held_for_review", "not_adopted"] | TaskState


class RatingStatus(BaseModel):
    """Where a rating stands; no personal data."""

    model_config = ConfigDict(extra="forbid")

    tracking_code: str
    level: int = Field(ge=1, le=5)
    level_name: str
    window_code: str
    window_name: str | None
    hall_name: str | None
    rated_at: str = Field(description="time of the rating, Asia/Shanghai, ISO 8601")
    bad_review: bool
    follow_up_rating: bool
    follow_up_status: FollowUpStatus = Field(
        description="none (not a bad review); for a bad review: received (its task not opened yet), "
        "held_for_review, not_adopted (rejected as automated), or the follow-up task's state"
    )
    follow_up_state_name: str | None = None
    outcome: TaskState | None = None
    feedback: str | None = Field(default=None, description="what the follow-up officer tells the citizen")
    verdict: Verdict | None = None
    not_adopted: bool = False
    appeal_open: bool = False
    appeal_deadline: str | None = None
    citizen_actions: list[Action] = Field(default_factory=list, description="give_verdict, appeal")
    held_for_review: bool = Field(
        default=False, description="疑似刷评: held for a supervisor's review; counted once released"
    )


def _follow_up_status(rating: Rating, task: Task | None) -> FollowUpStatus:
    if not rating.is_bad_review:
        return "none"
    if rating.held_for_review:
        return "held_for_review"
    if rating.review == Review.REJECTED:
        return "not_adopted"
    return task.state if task else "received"


@status_router.get(
    "/ratings/<tracking_code>",
    summary="A rating's receipt and status 评价查询",
    description="A page, or JSON with format=json (or an Accept header that asks for JSON and not HTML).",
    responses=answers(
        {200: json_or_page_answer("The rating and its follow-up", RatingStatus)},
        {404: "no rating has this tracking code", 422: "a parameter is invalid, named"},
        path_parameters=True,
    ),
)
def get_rating(
    tracking_code: Annotated[str, Path(pattern=TRACKING_CODE_PATTERN)],
    lang: Annotated[str | None, Query(max_length=5)] = None,
    format: Annotated[str | None, Query(pattern="^(json|html)$")] = None,
    key: Annotated[
        str | None,
        Query(max_length=100, description="the citizen's key, as the receipt's link carries it: the page's forms"),
    ] = None,
    done: Annotated[
        str | None,
        Query(
            pattern="^(verdict|appeal)$", description="the citizen's move just made, confirmed as the task records it"
        ),
    ] = None,
) -> Response[Any]:
    stores, rules = wired()
    rating = ratings.find_rating(tracking_code, stores)
    entry = ratings.window_entry(rating.window_code, stores)
    task, citizen_actions = followup.citizen_view(tracking_code, stores)
    accept = status_router.current_event.headers.get("accept", "")
    wants_json = format == "json" or (format is None and "application/json" in accept and "text/html" not in accept)
    if not wants_json:
        # The pages and their templates (Jinja2) load with the first page: a program asking for
        # JSON never needs them, and its cold start does without.
        from haochaping.web.pages import receipt_page

        # The verdict and appeal forms come with the key in the link, and carry it; the key is
        # checked when a form is sent, not here, so this page tells nothing about a guessed key.
        # A bad review whose task is not opened yet: its deadlines as the opening will count them.
        deadlines = followup.deadlines_ahead(rating, stores, rules) if rating.is_bad_review and task is None else None
        status_url = f"{rules.public_base_url.rstrip('/')}/ratings/{rating.tracking_code}"
        page = receipt_page(
            rating, entry, language(lang), task, citizen_actions, deadlines, status_url, done, citizen_key=key
        )
        return html(page)
    status = RatingStatus(
        tracking_code=rating.tracking_code,
        level=int(rating.level),
        level_name=LEVEL_NAMES["zh"][rating.level],
        window_code=rating.window_code,
        window_name=entry.window.name if entry else None,
        hall_name=entry.hall.name if entry else None,
        rated_at=rating.rated_at_china.isoformat(timespec="seconds"),
        bad_review=rating.is_bad_review,
        follow_up_rating=rating.is_follow_up,
        follow_up_status=_follow_up_status(rating, task),
        follow_up_state_name=STATE_NAMES_ZH[task.state] if task else None,
        outcome=task.outcome if task else None,
        feedback=task.feedback if task and task.feedback else None,
        verdict=task.verdict if task else None,
        not_adopted=bool(task and task.rating_void) or rating.review == Review.REJECTED,
        appeal_open=bool(task and task.appeal_open),
        appeal_deadline=task.appeal_deadline.isoformat() if task and task.appeal_deadline else None,
        citizen_actions=[Action(action) for action in citizen_actions],
        held_for_review=rating.held_for_review,
    )
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=status.model_dump(mode="json"))
