"""The citizen's rating form that a window's QR plate opens."""

from __future__ import annotations

import secrets
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from haochaping.api.contract import answers, page_answer
from haochaping.api.web import device_token, html, new_device_cookie
from haochaping.domain.errors import Forbidden
from haochaping.domain.plates import device_token_valid, verify_plate, verify_ticket
from haochaping.domain.rating import WINDOW_CODE_PATTERN, Level, utc_now
from haochaping.operations import ratings
from haochaping.web.i18n import language
from haochaping.web.pages import form_page
from haochaping.wiring import wired

form_router = Router()


@form_router.get(
    "/r/<window_code>",
    summary="The rating form a window's QR plate opens 评价页",
    description="Opened with the plate's signature (sig) or a queue ticket (ticket).",
    responses=answers(
        {
            200: page_answer(
                "The form",
                {"Set-Cookie": {"description": "the device's token, when it has none", "schema": {"type": "string"}}},
            )
        },
        {
            403: "neither sig nor ticket; a signature that does not match the window; a ticket expired, invalid, "
            "or for another window",
            404: "the window is unknown or not in service",
            422: "a parameter is invalid, named",
        },
        path_parameters=True,
    ),
)
def get_form(
    window_code: Annotated[str, Path(pattern=WINDOW_CODE_PATTERN)],
    sig: Annotated[str | None, Query(max_length=64)] = None,
    ticket: Annotated[str | None, Query(max_length=200)] = None,
    lang: Annotated[str | None, Query(max_length=5)] = None,
    level: Annotated[int | None, Query(ge=1, le=5)] = None,
    submission_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{8,64}$")] = None,
) -> Response[str]:
    stores, rules = wired()
    entry, tag_set, secret = ratings.window_for_form(window_code, stores)
    now = utc_now()
    if ticket:
        verify_ticket(ticket, window_code, now, rules.rating.ticket_validity, secret)
        credentials = {"ticket": ticket}
    elif sig:
        verify_plate(window_code, sig, secret)
        credentials = {"sig": sig}
    else:
        raise Forbidden("open this page by scanning the window's QR plate")
    cookies = []
    # A browser without the stack's signed device token (none yet, or an older unsigned one) gets one.
    if not device_token_valid(device_token(form_router.current_event), secret):
        cookies.append(new_device_cookie(rules.public_base_url.startswith("https://"), secret))
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
