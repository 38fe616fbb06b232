"""GET /openapi.json: the one document of the whole HTTP API, from every router."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from haochaping.api import (
    build_resolver,
    citizen_followup,
    console,
    published,
    rating_form,
    rating_status,
    ratings,
    staff,
    staff_session,
)

ALL_ROUTERS: tuple[Router, ...] = (
    ratings.router,
    rating_form.form_router,
    rating_status.status_router,
    staff.router,
    staff_session.router,
    citizen_followup.router,
    console.router,
    published.router,
)

router = Router()


def document_resolver() -> APIGatewayHttpResolver:
    """A resolver holding every route of the API, used only to describe it."""
    return build_resolver(*ALL_ROUTERS, router)


@router.get("/openapi.json", summary="This API's OpenAPI document", include_in_schema=True)
def get_openapi() -> Response[str]:
    document = document_resolver().get_openapi_json_schema()
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document)
