"""Routes of the citizen's rating: POST /ratings (JSON or a browser's form)."""

from __future__ import annotations

import re
import secrets
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from haochaping.api import FORMS_AGAIN
from haochaping.api.contract import answers, json_answer, see_other
from haochaping.api.web import device_token, redirect, source_address
from haochaping.domain.errors import DomainError
from haochaping.domain.plates import verify_plate, verify_ticket
from haochaping.domain.rating import WINDOW_CODE_PATTERN, Level, utc_now
from haochaping.domain.submission import RatingReceipt, RatingSubmission
from haochaping.observability import logger, metrics
from haochaping.operations import ratings
from haochaping.wiring import wired

router = Router()


@router.post(
    "/ratings",
    summary="Submit a rating 提交评价",
    description="JSON, or a browser's form post (answered with a 303 to the receipt page).",
    responses=answers(
        {
            201: json_answer("Rating recorded", RatingReceipt),
            202: json_answer(
                "Rating recorded and held for review (held_for_review): its source gave this window more ratings "
                "than its budget; counted once a supervisor releases it",
                RatingReceipt,
            ),
            200: json_answer("The same submission_id again: the rating already recorded", RatingReceipt),
            303: see_other("A form post recorded: the receipt page"),
        },
        {
            403: "no plate signature nor ticket; a signature that does not match the window; a ticket expired, "
            "used, or for another window; a QR rating without the device cookie of the form the plate opens "
            "(device_evidence_required)",
            404: "the window is unknown or not in service",
            409: "the case was already rated and rated again (追评), its follow-up period is over, or it is being "
            "rated at this moment",
            422: "invalid fields, each named; besides what the schema says: tags not of the rated level in the "
            "current tag set, an item the window does not serve",
            429: "this device rated this window moments ago",
        },
        body=True,
        retry_after=True,
    ),
)
def post_rating(submission: RatingSubmission) -> Response[Any]:
    event = router.current_event
    stores, rules = wired()
    rating, created = ratings.submit_rating(
        submission, stores, rules, device_token(event), address=source_address(event)
    )
    if created:
        metrics.add_metric(name="RatingsSubmitted", unit="Count", value=1)
        if rating.held_for_review:
            metrics.add_metric(name="RatingsHeldForReview", unit="Count", value=1)
        if rating.is_bad_review:
            metrics.add_metric(name="BadReviewsSubmitted", unit="Count", value=1)
    logger.info(
        "rating recorded" if created else "rating resubmitted",
        extra={
            "tracking_code": rating.tracking_code,
            "rating_level": int(rating.level),
            "window_code": rating.window_code,
            "real_name": rating.real_name,
            "held_for_review": rating.held_for_review,
        },
    )
    receipt = ratings.receipt_for(rating, stores)
    if router.context.get("form_post"):
        # The receipt page's link carries the citizen's key: the page they keep is what lets them act.
        lang = router.context.get("lang", "zh")
        return redirect(f"/ratings/{rating.tracking_code}?{urlencode({'lang': lang, 'key': receipt.citizen_key})}")
    # Held for review is still recorded, and said so: 202, never a silent drop.
    status = HTTPStatus.OK if not created else HTTPStatus.ACCEPTED if rating.held_for_review else HTTPStatus.CREATED
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=receipt.model_dump(),
    )


def form_again(values: dict[str, Any], problems: list[tuple[str, str]], message: str | None, lang: str) -> str | None:
    """The rating form as the citizen filled it in, with what was wrong, after a refused form post:
    only for a window in service and a plate or ticket that still holds (else the error page)."""
    window_code = str(values.get("window_code") or "")
    if not re.match(WINDOW_CODE_PATTERN, window_code) or not (values.get("sig") or values.get("ticket")):
        return None  # not a form this page gave: nothing to show again
    stores, rules = wired()
    now = utc_now()
    try:
        entry, tag_set, secret = ratings.window_for_form(window_code, stores)
        if values.get("ticket"):
            verify_ticket(str(values["ticket"]), window_code, now, rules.rating.ticket_validity, secret)
            credentials = {"ticket": str(values["ticket"])}
        else:
            verify_plate(window_code, str(values.get("sig") or ""), secret)
            credentials = {"sig": str(values.get("sig") or "")}
    except DomainError:
        return None
    try:
        chosen: Level | None = Level(int(str(values.get("level"))))
    except ValueError:
        chosen = None  # no face, or none that exists: the form from its first step
    submission_id = str(values.get("submission_id") or "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", submission_id):
        submission_id = secrets.token_urlsafe(16)
    from haochaping.web.pages import form_page

    return form_page(
        entry,
        tag_set,
        lang,
        credentials,
        submission_id,  # the same one: sent again, the form is still the one rating
        entry.staff_on_duty(now),
        chosen_level=chosen,
        values=values,
        problems=problems,
        message=message,
    )


FORMS_AGAIN["POST /ratings"] = form_again
