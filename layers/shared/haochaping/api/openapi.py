"""GET /openapi.json: the one document of the whole HTTP API, from every router."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from haochaping.api import (
    API_TITLE,
    API_VERSION,
    build_resolver,
    citizen_followup,
    console,
    rating_pages,
    ratings,
    staff,
    staff_session,
)

ALL_ROUTERS: tuple[Router, ...] = (
    ratings.router,
    rating_pages.form_router,
    rating_pages.status_router,
    staff.router,
    staff_session.router,
    citizen_followup.router,
    console.router,
)

router = Router()

# The staff routes' JWT authorizer (Cognito user pool), as the template declares it.
SECURITY_SCHEMES: dict[str, Any] = {
    "StaffJwt": HTTPBearer(bearerFormat="JWT", description="id token from POST /staff/session (Cognito)")
}


def document_resolver() -> APIGatewayHttpResolver:
    """A resolver holding every route of the API, used only to describe it."""
    return build_resolver(*ALL_ROUTERS, router)


@router.get("/openapi.json", summary="This API's OpenAPI document", include_in_schema=True)
def get_openapi() -> Response[str]:
    document = document_resolver().get_openapi_json_schema(
        title=API_TITLE, version=API_VERSION, security_schemes=SECURITY_SCHEMES
    )
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document)
