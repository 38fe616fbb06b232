"""HTTP routes of the district's API, grouped in routers that thin handlers serve.

Each function serves its own router; the ``openapi`` function includes every router, so the
one OpenAPI document of the API is generated from the same code that answers the requests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from haochaping.domain.errors import Conflict, DomainError, NotFound
from haochaping.observability import logger

MAX_BODY_BYTES = 16 * 1024
API_TITLE = "haochaping 好差评 district API"
API_VERSION = "1"


def error_response(status: HTTPStatus, code: str, message: str, fields: list[dict[str, str]] | None = None) -> Response:
    """The one JSON shape of every error the API returns."""
    error: dict[str, Any] = {"status": int(status), "code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body={"error": error},
    )


def _field_name(location: tuple | list) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


class DistrictResolver(APIGatewayHttpResolver):
    """The HTTP API resolver of every function: bounded bodies, one error shape."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        # Checked before anything parses the body, so an oversized one costs nothing more.
        body = event.get("body") or ""
        size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode("utf-8"))
        if size > MAX_BODY_BYTES:
            response = error_response(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "payload_too_large",
                f"the body is larger than {MAX_BODY_BYTES // 1024} KB",
            )
            return {
                "statusCode": response.status_code,
                "headers": {"Content-Type": content_types.APPLICATION_JSON},
                "body": json.dumps(response.body, ensure_ascii=False),
                "isBase64Encoded": False,
            }
        return super().resolve(event, context)


def build_resolver(*routers: Router) -> APIGatewayHttpResolver:
    app = DistrictResolver(enable_validation=True)
    for router in routers:
        app.include_router(router)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        problems = list(error.errors())
        if any(problem.get("type") == "json_invalid" for problem in problems):
            return error_response(HTTPStatus.BAD_REQUEST, "malformed_json", "the body is not valid JSON")
        # The submitted value is never echoed back: it may be a phone number.
        fields = [
            {"field": _field_name(problem.get("loc", ())), "problem": str(problem.get("msg", problem["type"]))}
            for problem in problems
        ]
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "invalid_fields",
            "some fields are missing or invalid: " + ", ".join(f["field"] for f in fields),
            fields,
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(_: RequestUnsupportedContentType) -> Response:
        content_type = app.current_event.headers.get("content-type", "")
        return error_response(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
            f"content type {content_type!r} is not accepted; send application/json "
            "or application/x-www-form-urlencoded",
        )

    @app.exception_handler(ServiceError)
    def _service_error(error: ServiceError) -> Response:
        status = HTTPStatus(error.status_code)
        return error_response(status, status.phrase.lower().replace(" ", "_"), str(error.msg))

    @app.exception_handler(NotFound)
    def _not_found(error: NotFound) -> Response:
        return error_response(HTTPStatus.NOT_FOUND, error.code, error.message)

    @app.exception_handler(Conflict)
    def _conflict(error: Conflict) -> Response:
        return error_response(HTTPStatus.CONFLICT, error.code, error.message)

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, error.code, error.message)

    @app.not_found
    def _no_route(_: Exception) -> Response:
        return error_response(HTTPStatus.NOT_FOUND, "no_such_route", "no such route")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        # Never a stack trace to the caller; the log has the exception type, not the event.
        logger.exception("unexpected error", extra={"error_type": type(error).__name__})
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error")

    return app
