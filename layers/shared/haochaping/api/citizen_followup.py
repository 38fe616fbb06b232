"""The citizen's side of a bad review: their verdict on the fix, and an appeal of not adopted.

Authorised by the tracking code alone, as the status page is.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from haochaping.api.web import redirect
from haochaping.domain.followup import TEXT_LIMIT, Action, Actor
from haochaping.domain.rating import TRACKING_CODE_PATTERN
from haochaping.domain.task import Verdict
from haochaping.observability import logger
from haochaping.operations import followup
from haochaping.wiring import wired

router = Router()


class VerdictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    verdict: Verdict = Field(description="满意 satisfied / 基本满意 basically_satisfied / 不满意 dissatisfied")


class AppealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: str = Field(min_length=1, max_length=TEXT_LIMIT, description="why the decision is wrong")


def _answer(tracking_code: str, state: str, done: str) -> Response[Any]:
    if router.context.get("form_post"):
        # Back to the status page, which confirms the move as the task now records it.
        lang = router.context.get("lang", "zh")
        return redirect(f"/ratings/{tracking_code}?{urlencode({'lang': lang, 'done': done})}")
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body={"tracking_code": tracking_code, "state": state},
    )


@router.post("/ratings/<tracking_code>/verdict", summary="The citizen's verdict on the fix 整改满意度")
def post_verdict(
    tracking_code: Annotated[str, Path(pattern=TRACKING_CODE_PATTERN)], request: VerdictRequest
) -> Response[Any]:
    task = followup.act(
        Actor.citizen(), tracking_code, Action.GIVE_VERDICT, None, *wired(), verdict=request.verdict.value
    )
    logger.info("citizen verdict", extra={"tracking_code": tracking_code, "verdict": request.verdict.value})
    return _answer(tracking_code, task.state.value, "verdict")


@router.post("/ratings/<tracking_code>/appeal", summary="Appeal a not-adopted decision 申诉复核")
def post_appeal(
    tracking_code: Annotated[str, Path(pattern=TRACKING_CODE_PATTERN)], request: AppealRequest
) -> Response[Any]:
    task = followup.act(Actor.citizen(), tracking_code, Action.APPEAL, None, *wired(), text=request.text)
    logger.info("citizen appeal", extra={"tracking_code": tracking_code})
    return _answer(tracking_code, task.state.value, "appeal")
