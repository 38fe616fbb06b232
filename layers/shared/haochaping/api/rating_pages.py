"""Citizens' pages: the form a QR plate opens, and the receipt / status of a rating."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from haochaping import followups, services
from haochaping.api.web import device_token, html, new_device_cookie
from haochaping.domain.errors import Forbidden
from haochaping.domain.followup import STATE_NAMES_ZH
from haochaping.domain.plates import verify_plate, verify_ticket
from haochaping.domain.rating import TRACKING_CODE_PATTERN, Level, utc_now
from haochaping.domain.registry import WINDOW_CODE_PATTERN
from haochaping.settings import get_settings
from haochaping.web.i18n import LEVEL_NAMES, language
from haochaping.web.pages import form_page, receipt_page

form_router = Router()
status_router = Router()


@form_router.get("/r/<window_code>", summary="The rating form a window's QR plate opens 评价页")
def get_form(
    window_code: Annotated[str, Path(pattern=WINDOW_CODE_PATTERN)],
    sig: Annotated[str | None, Query(max_length=64)] = None,
    ticket: Annotated[str | None, Query(max_length=200)] = None,
    lang: Annotated[str | None, Query(max_length=5)] = None,
    level: Annotated[int | None, Query(ge=1, le=5)] = None,
    submission_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{8,64}$")] = None,
) -> Response[str]:
    settings = get_settings()
    entry, tag_set, secret = services.window_for_form(window_code, settings)
    now = utc_now()
    if ticket:
        verify_ticket(ticket, window_code, now, services.rules_of(settings).ticket_validity, secret)
        credentials = {"ticket": ticket}
    elif sig:
        verify_plate(window_code, sig, secret)
        credentials = {"sig": sig}
    else:
        raise Forbidden("open this page by scanning the window's QR plate")
    cookies = []
    if device_token(form_router.current_event) is None:
        cookies.append(new_device_cookie(secure=settings.public_base_url.startswith("https://")))
    page = form_page(
        entry,
        tag_set,
        language(lang),
        credentials,
        # A new id per form shown; the same form sent twice is the same rating.
        submission_id or secrets.token_urlsafe(16),
        entry.staff_on_duty(now),
        chosen_level=Level(level) if level else None,
    )
    return html(page, cookies=cookies)


class RatingStatus(BaseModel):
    """Where a rating stands; no personal data."""

    tracking_code: str
    level: int
    level_name: str
    window_code: str
    window_name: str | None
    hall_name: str | None
    rated_at: str
    bad_review: bool
    follow_up_rating: bool
    follow_up_status: str = Field(description="received, or the follow-up task's state")
    follow_up_state_name: str | None = None
    outcome: str | None = None
    feedback: str | None = Field(default=None, description="what the follow-up officer tells the citizen")
    verdict: str | None = None
    not_adopted: bool = False
    appeal_open: bool = False
    appeal_deadline: str | None = None
    citizen_actions: list[str] = Field(default_factory=list, description="give_verdict, appeal")


@status_router.get("/ratings/<tracking_code>", summary="A rating's receipt and status 评价查询")
def get_rating(
    tracking_code: Annotated[str, Path(pattern=TRACKING_CODE_PATTERN)],
    lang: Annotated[str | None, Query(max_length=5)] = None,
    format: Annotated[str | None, Query(pattern="^(json|html)$")] = None,
) -> Response[Any]:
    settings = get_settings()
    rating = services.find_rating(tracking_code, settings)
    entry = services.window_entry(rating.window_code, settings)
    task, citizen_actions = followups.citizen_view(tracking_code, settings)
    accept = status_router.current_event.headers.get("accept", "")
    wants_json = format == "json" or (format is None and "application/json" in accept and "text/html" not in accept)
    if not wants_json:
        return html(receipt_page(rating, entry, language(lang), task, citizen_actions))
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
        follow_up_status=(task.state.value if task else "received") if rating.is_bad_review else "none",
        follow_up_state_name=STATE_NAMES_ZH[task.state] if task else None,
        outcome=task.outcome.value if task and task.outcome else None,
        feedback=task.feedback if task and task.feedback else None,
        verdict=task.verdict.value if task and task.verdict else None,
        not_adopted=bool(task and task.rating_void),
        appeal_open=bool(task and task.appeal_open),
        appeal_deadline=task.appeal_deadline.isoformat() if task and task.appeal_deadline else None,
        citizen_actions=citizen_actions,
    )
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=status.model_dump())
