"""GET /console: the staff console, one page that talks to the staff API."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from haochaping.api.contract import answers, page_answer
from haochaping.api.web import content_security_policy, html
from haochaping.web.console import console_page
from haochaping.web.i18n import language

router = Router()

# The citizen pages' policy, plus calls back to this API: the console's script fetches the staff routes.
CONSOLE_CSP = content_security_policy(calls_api=True)


@router.get(
    "/console",
    summary="Staff console 工作台",
    responses=answers({200: page_answer("The console")}, {422: "a parameter is invalid, named"}),
)
def get_console(lang: Annotated[str | None, Query(max_length=5)] = None) -> Response[Any]:
    return html(console_page(language(lang)), headers={"Content-Security-Policy": CONSOLE_CSP})
