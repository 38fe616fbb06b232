"""Staff API: ratings held for review as suspected automated 疑似刷评, for the hall's supervisors,
behind the JWT authorizer (served by the staff tasks function).

The list shows each held rating with its evidence: which source (a keyed hash of the network
address or of the device) gave the window more ratings than its budget, in which period, and how
many of the listed ratings share that source. A supervisor releases a rating (it counts, and a bad
review's follow-up task opens) or rejects it (not adopted as malicious, reported).
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from haochaping.api.contract import NO_STORE, answers, json_answer
from haochaping.api.staff import NO_ROLE, STAFF_SECURITY, Answer, actor_of, staff_answer
from haochaping.domain.followup import TEXT_LIMIT
from haochaping.domain.rating import TRACKING_CODE_PATTERN, Rating
from haochaping.domain.review import Decision
from haochaping.domain.suspicion import Review
from haochaping.observability import logger
from haochaping.operations import suspected
from haochaping.wiring import wired

router = Router()


class OverBudget(Answer):
    """A budget the rating's source went over: the evidence 证据."""

    source: str = Field(description="address or device")
    source_id: str = Field(description="a keyed hash of the address or device, never the address itself")
    limit: int
    period_minutes: int
    period_start: str = Field(json_schema_extra={"format": "date-time"})
    held_from_this_source: int = Field(description="how many of the listed ratings share this source")


class HeldRating(Answer):
    """A held rating as a supervisor judges it: what was rated, how, and the evidence (never who rated)."""

    tracking_code: str
    window_code: str
    level: int = Field(ge=1, le=5)
    level_name: str
    bad_review: bool
    channel: str
    tags: list[str]
    comment: str
    rated_at: str = Field(json_schema_extra={"format": "date-time"})
    staff_job_number: str | None
    evidence: str
    over_budgets: list[OverBudget]


class HeldList(Answer):
    listed: int = Field(description="at most this many held ratings are listed, the oldest first")
    ratings: list[HeldRating]


class HeldDecided(Answer):
    tracking_code: str
    review: Review | None = Field(description="released (it counts) or rejected (not adopted as malicious)")
    counts: bool = Field(description="whether scores count it now")


def held_summary(rating: Rating, sharing: Counter[str]) -> HeldRating:
    """A held rating as a supervisor judges it: what was rated, how, and the evidence."""
    over = rating.suspicion.over if rating.suspicion else ()
    return HeldRating(
        tracking_code=rating.tracking_code,
        window_code=rating.window_code,
        level=int(rating.level),
        level_name=rating.level.name_zh,
        bad_review=rating.is_bad_review,
        channel=rating.channel.value,
        tags=list(rating.tags),
        comment=rating.comment,
        rated_at=rating.rated_at_china.isoformat(timespec="seconds"),
        staff_job_number=rating.staff_job_number,
        evidence=rating.suspicion.describe() if rating.suspicion else "",
        over_budgets=[
            OverBudget(
                source=budget.source.value,
                source_id=budget.source_id,
                limit=budget.limit,
                period_minutes=int(budget.period.total_seconds() // 60),
                period_start=budget.period_start.isoformat(),
                held_from_this_source=sharing[budget.source_id],
            )
            for budget in over
        ],
    )


@router.get(
    "/staff/suspected-ratings",
    summary="Ratings of my hall held for review as suspected automated 疑似刷评 (supervisors)",
    security=STAFF_SECURITY,
    responses=answers(
        {200: json_answer("The hall's held ratings with their evidence", HeldList, NO_STORE)},
        {403: NO_ROLE + "; or not a supervisor"},
        staff=True,
    ),
)
def list_suspected() -> Response[Any]:
    actor = actor_of(router.current_event.raw_event)
    held = suspected.held_ratings(actor, wired()[0])
    sharing = Counter(b.source_id for r in held for b in (r.suspicion.over if r.suspicion else ()))
    return staff_answer(HeldList(listed=suspected.HELD_LISTED, ratings=[held_summary(r, sharing) for r in held]))


class HeldDecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Decision = Field(description="release (it counts) or reject (not adopted as malicious 恶意)")
    text: str = Field(default="", max_length=TEXT_LIMIT, description="why; required to reject (the evidence)")


@router.post(
    "/staff/suspected-ratings/<tracking_code>/decision",
    summary="Release or reject a held rating 放行 / 不予采纳 (supervisors)",
    security=STAFF_SECURITY,
    responses=answers(
        {200: json_answer("Decided: the rating's review (released or rejected)", HeldDecided, NO_STORE)},
        {
            403: NO_ROLE + "; or not a supervisor",
            404: "no held rating of this hall has this code (or it rates you)",
            409: "not held (any more): already released or rejected",
            422: "invalid fields, each named (a rejection needs its text)",
        },
        body=True,
        path_parameters=True,
        staff=True,
    ),
)
def decide_suspected(
    tracking_code: Annotated[str, Path(pattern=TRACKING_CODE_PATTERN)], request: HeldDecisionRequest
) -> Response[Any]:
    actor = actor_of(router.current_event.raw_event)
    rating = suspected.review(actor, tracking_code, request.decision, request.text, wired()[0])
    logger.info(
        "held rating decided",
        extra={"tracking_code": tracking_code, "decision": request.decision.value, "actor": actor.identity},
    )
    return staff_answer(HeldDecided(tracking_code=tracking_code, review=rating.review, counts=rating.counts))
