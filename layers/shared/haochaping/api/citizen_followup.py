"""The citizen's side of a bad review: their verdict on the fix, and an appeal of not adopted.

Both need the citizen's key from the receipt (``citizen_key``, a JSON field or, from the receipt
page, a form field): the tracking code names the rating, and staff see it too.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from haochaping.api.contract import answers, json_answer, see_other
from haochaping.api.web import redirect, source_address
from haochaping.domain.followup import TEXT_LIMIT, Action
from haochaping.domain.rating import NON_BLANK, TRACKING_CODE_PATTERN
from haochaping.domain.task import TaskState, Verdict
from haochaping.observability import logger
from haochaping.operations import citizen
from haochaping.wiring import wired

router = Router()

# Long enough for any key, short enough to bound what is read; a malformed key is a wrong one (403).
KEY_FIELD = Field(
    default=None,
    max_length=100,
    description="the citizen's key from the receipt (citizen_key); missing or wrong: 403",
)


class VerdictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    verdict: Verdict = Field(description="满意 satisfied / 基本满意 basically_satisfied / 不满意 dissatisfied")
    citizen_key: str | None = KEY_FIELD


class AppealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: str = Field(min_length=1, max_length=TEXT_LIMIT, pattern=NON_BLANK, description="why the decision is wrong")
    citizen_key: str | None = KEY_FIELD


class FollowUpAnswer(BaseModel):
    """The citizen's move, taken: the task's state after it."""

    model_config = ConfigDict(extra="forbid")

    tracking_code: str
    state: TaskState


def _answers(taken: str) -> dict[int, Any]:
    return answers(
        {200: json_answer(taken, FollowUpAnswer), 303: see_other(taken + " (a form post): the status page")},
        {
            403: "the citizen's key is missing or wrong (citizen_key_refused)",
            404: "no follow-up task for this tracking code (no such rating, or not a bad review)",
            409: "not allowed in the task's state (transition_refused), or the appeal period is over",
            422: "invalid fields, each named",
            429: "too many wrong keys for this rating from here lately; see Retry-After",
        },
        body=True,
        path_parameters=True,
        retry_after=True,
    )


def _answer(tracking_code: str, key: str | None, state: TaskState, done: str) -> Response[Any]:
    if router.context.get("form_post"):
        # Back to the status page, which confirms the move as the task now records it; its link
        # carries the key, so the citizen can act again.
        lang = router.context.get("lang", "zh")
        return redirect(f"/ratings/{tracking_code}?{urlencode({'lang': lang, 'key': key or '', 'done': done})}")
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=FollowUpAnswer(tracking_code=tracking_code, state=state).model_dump(mode="json"),
    )


@router.post(
    "/ratings/<tracking_code>/verdict",
    summary="The citizen's verdict on the fix 整改满意度",
    responses=_answers("Verdict recorded"),
)
def post_verdict(
    tracking_code: Annotated[str, Path(pattern=TRACKING_CODE_PATTERN)], request: VerdictRequest
) -> Response[Any]:
    task = citizen.act(
        tracking_code,
        request.citizen_key,
        source_address(router.current_event),
        Action.GIVE_VERDICT,
        *wired(),
        verdict=request.verdict.value,
    )
    logger.info("citizen verdict", extra={"tracking_code": tracking_code, "verdict": request.verdict.value})
    return _answer(tracking_code, request.citizen_key, task.state, "verdict")


@router.post(
    "/ratings/<tracking_code>/appeal",
    summary="Appeal a not-adopted decision 申诉复核",
    responses=_answers("Appeal recorded"),
)
def post_appeal(
    tracking_code: Annotated[str, Path(pattern=TRACKING_CODE_PATTERN)], request: AppealRequest
) -> Response[Any]:
    task = citizen.act(
        tracking_code,
        request.citizen_key,
        source_address(router.current_event),
        Action.APPEAL,
        *wired(),
        text=request.text,
    )
    logger.info("citizen appeal", extra={"tracking_code": tracking_code})
    return _answer(tracking_code, request.citizen_key, task.state, "appeal")
