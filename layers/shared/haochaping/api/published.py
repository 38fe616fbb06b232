"""GET /published/{file}: the published results 结果公示, read-only from the stack's bucket.

The same path on AWS and on the twin. Only names of the files publish_results writes (letters,
digits, dot, dash, underscore; no folder) are looked up; anything else is not found.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from haochaping.api.contract import PAGE, answers
from haochaping.domain.errors import NotFound
from haochaping.wiring import wired

FILE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$"
TEXT_TYPES = ("application/json", "text/")
HEADERS = {
    "Cache-Control": "public, max-age=300",
    "X-Content-Type-Options": "nosniff",
    # The pages carry no script and load nothing from elsewhere: inline styles and SVG only.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}

router = Router()


FILE_ANSWER = {
    "description": "The file: a period's figures as JSON (latest.json, <period>.json), CSV in UTF-8 with a "
    "byte-order mark (<period>.csv), or a page in zh-CN or English (index.html, index.en.html, <period>.html)",
    "headers": {name: {"schema": {"type": "string"}} for name in HEADERS},
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "text/csv": {"schema": {"type": "string"}},
        "text/html": PAGE,
    },
}


@router.get(
    "/published/<file>",
    summary="A published results file 结果公示 (latest.json, index.html …)",
    responses=answers(
        {200: FILE_ANSWER},
        {404: "no such published file", 422: "not a file name publish_results writes"},
        path_parameters=True,
    ),
)
def get_published(file: Annotated[str, Path(pattern=FILE_NAME)]) -> Response[str]:
    found = wired()[0].published.get(file) if ".." not in file else None
    if found is None or not found[1].startswith(TEXT_TYPES):
        raise NotFound("no such published file")
    body, content_type = found
    return Response(status_code=200, content_type=content_type, body=body.decode("utf-8"), headers=dict(HEADERS))
