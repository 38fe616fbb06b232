"""HTTP routes of the district's API, grouped in routers that thin handlers serve.

Each function serves its own router; the ``openapi`` function includes every router, so the
one OpenAPI document of the API is generated from the same code that answers the requests.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from haochaping.api.contract import ErrorDetail, ErrorResponse, FieldProblem
from haochaping.api.web import FORM_CONTENT_TYPE, FORM_ROUTES, PAGE_HEADERS, form_to_submission, html
from haochaping.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidFields,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from haochaping.observability import logger

MAX_BODY_BYTES = 16 * 1024
API_TITLE = "haochaping 好差评 district API"
API_VERSION = "1"


def error_response(
    status: HTTPStatus,
    code: str,
    message: str,
    fields: list[dict[str, str]] | None = None,
    allowed: list[str] | None = None,
) -> Response:
    """The one JSON shape of every error the API returns (contract.ErrorResponse)."""
    detail = ErrorDetail(
        status=int(status),
        code=code,
        message=message,
        fields=[FieldProblem(**field) for field in fields] if fields is not None else None,
        allowed=allowed,
    )
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=ErrorResponse(error=detail).body(),
    )


# No run of five digits: no field of the API has one, and a phone or ID number always does.
SAFE_FIELD_NAME = re.compile(r"^(?!.*\d{5})[A-Za-z_][A-Za-z0-9_]{0,40}$")


def _field_name(location: tuple | list) -> str:
    """The dotted name of a field; a key the client invented is named only if it looks like a
    field name, since it could be anything (a name, a phone number)."""
    parts = [part for part in location if part not in ("body", "query", "path", "header")]
    # A list index is an int; a string is a key the client chose, named only if it looks like one.
    if any(not isinstance(part, int) and not SAFE_FIELD_NAME.match(str(part)) for part in parts):
        return "body (an unknown field)"
    return ".".join(str(part) for part in parts) or "body"


def error_page(
    lang: str,
    message: str,
    problems: list[tuple[str, str]] | None = None,
    back: str | None = None,
    posted: bool = False,
) -> str:
    """The error as a page. The pages module loads with the first page: most calls want JSON."""
    from haochaping.web import pages

    return pages.error_page(lang, message, problems or [], back=back, posted=posted)


# A route whose form is shown again, as it was filled in, when its post is refused: the route key
# ("POST /ratings") → a function of the posted values, the problems ((field, kind) pairs), the
# message for the whole form and the page's language, returning the page (None: it cannot be shown).
FormAgain = Callable[[dict[str, Any], list[tuple[str, str]], str | None, str], str | None]
FORMS_AGAIN: dict[str, FormAgain] = {}


# The bodies the API reads; any other content type is refused before anything parses the body.
# Forms only where the citizen pages post them (web.FORM_ROUTES): every other route reads JSON alone.
METHODS_WITH_BODY = {"POST", "PUT", "PATCH"}


def readable_media_types(route_key: str) -> tuple[str, ...]:
    """The media types the route with this key ("POST /ratings") reads."""
    if route_key in FORM_ROUTES:
        return (content_types.APPLICATION_JSON, FORM_CONTENT_TYPE)
    return (content_types.APPLICATION_JSON,)


def media_type(content_type: str) -> str:
    """A Content-Type header's media type, without its parameters, in lower case."""
    return content_type.split(";", 1)[0].strip().lower()


def unsupported_message(content_type: str, readable: tuple[str, ...]) -> str:
    shown = content_type if len(content_type) <= 80 else content_type[:80] + "…"
    return f"content type {shown!r} is not accepted; send {' or '.join(readable)}"


def _plain_error(status: HTTPStatus, code: str, message: str, accept: str = "") -> dict[str, Any]:
    """An error answered before routing: the one error shape, or a page for a browser."""
    if accept.startswith("text/html"):
        from haochaping.web.i18n import error_message

        return {
            "statusCode": int(status),
            "headers": dict(PAGE_HEADERS),
            "body": error_page("zh", error_message("zh", code, int(status))),
            "isBase64Encoded": False,
        }
    response = error_response(status, code, message)
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(response.body, ensure_ascii=False),
        "isBase64Encoded": False,
    }


class DistrictResolver(APIGatewayHttpResolver):
    """The HTTP API resolver of every function: bounded bodies, forms, one error shape."""

    _district_routers: tuple[Router, ...] = ()

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        accept = headers.get("accept", "")
        method = str(((event.get("requestContext") or {}).get("http") or {}).get("method", "")).upper()
        if method not in METHODS_WITH_BODY:
            # No route of a GET reads a body: whatever came is dropped unread, with its type, so
            # that a GET is answered the same with or without one.
            headers.pop("content-type", None)
            event = {**event, "headers": headers, "body": None, "isBase64Encoded": False}
        # Checked before anything parses the body, so an oversized one costs nothing more.
        body = event.get("body") or ""
        size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode("utf-8"))
        if size > MAX_BODY_BYTES:
            return _plain_error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "payload_too_large",
                f"the body is larger than {MAX_BODY_BYTES // 1024} KB",
                accept,
            )
        content_type = ""
        if method in METHODS_WITH_BODY:
            readable = readable_media_types(str(event.get("routeKey", "")))
            content_type = headers.get("content-type", "").strip() or content_types.APPLICATION_JSON
            if media_type(content_type) not in readable:
                # Refused here, by media type, even when the body is empty: the validation downstream
                # would try other types itself (multipart without its boundary raised there, a 500).
                return _plain_error(
                    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_content_type",
                    unsupported_message(content_type, readable),
                    accept,
                )
            # A body without a type is read as JSON; JSON whatever its parameters and case.
            content_type = headers["content-type"] = media_type(content_type)
        event = {**event, "headers": headers}
        text = body
        if body and event.get("isBase64Encoded"):
            try:
                text = base64.b64decode(body, validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return _plain_error(
                    HTTPStatus.BAD_REQUEST, "malformed_body", "the body is not valid UTF-8 text", accept
                )
        if body and content_type == content_types.APPLICATION_JSON:
            try:
                json.loads(text)
            except (ValueError, RecursionError):  # too long numbers, too deep nesting: not JSONDecodeError
                return _plain_error(HTTPStatus.BAD_REQUEST, "malformed_json", "the body is not valid JSON", accept)
        if body and content_type == FORM_CONTENT_TYPE:
            # A browser's form post: validated exactly as the JSON body it stands for, and
            # answered with pages instead of JSON.
            from haochaping.web.i18n import language

            submission, lang = form_to_submission(text)
            headers["content-type"] = content_types.APPLICATION_JSON
            event = {**event, "body": json.dumps(submission), "isBase64Encoded": False}
            # What was typed stays with the request, for the form to be shown again if it is refused.
            self.append_context(form_post=True, lang=language(lang), form_values=submission)
        # Routers are module-level and may have been included in another resolver in this
        # process (the OpenAPI document's): point them back at this one before routing.
        for router in self._district_routers:
            router.api_resolver = self
        return super().resolve(event, context)


DOMAIN_STATUS: dict[type[DomainError], HTTPStatus] = {
    NotFound: HTTPStatus.NOT_FOUND,
    Unauthorized: HTTPStatus.UNAUTHORIZED,
    Forbidden: HTTPStatus.FORBIDDEN,
    Conflict: HTTPStatus.CONFLICT,
}


# The staff routes' JWT authorizer (the Cognito user pool), as the template declares it. Plain
# data: Powertools' OpenAPI models cost ~200 ms to import, and only the openapi function builds them.
SECURITY_SCHEMES: dict[str, Any] = {
    "StaffJwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "id token from POST /staff/session (Cognito)",
    }
}


def build_resolver(*routers: Router) -> APIGatewayHttpResolver:
    app = DistrictResolver(enable_validation=True)
    app._district_routers = routers
    app.configure_openapi(title=API_TITLE, version=API_VERSION, security_schemes=SECURITY_SCHEMES)
    for router in routers:
        app.include_router(router)

    def respond(
        status: HTTPStatus,
        code: str,
        message: str,
        fields: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        allowed: list[str] | None = None,
        problems: list[tuple[str, str]] | None = None,
    ) -> Response:
        """JSON for programs; a page for a browser's form post or page request, in its language:
        the message by its code, each field's problem by the field and its kind (``problems``)."""
        accept = app.current_event.headers.get("accept", "")
        posted = bool(app.context.get("form_post"))
        if posted or accept.startswith("text/html"):
            # The pages' words load with the first page: a JSON answer never needs them.
            from haochaping.web.i18n import TEXT, error_message, language

            lang = app.context.get("lang") or language(app.current_event.get_query_string_value("lang"))
            shown = error_message(lang, code, int(status))
            if status == HTTPStatus.TOO_MANY_REQUESTS and headers and code == "too_many_requests":
                shown = TEXT[lang]["retry_after"].format(minutes=max(1, int(headers["Retry-After"]) // 60))
            again = FORMS_AGAIN.get(str(app.current_event.raw_event.get("routeKey", ""))) if posted else None
            if again is not None and status in (HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.TOO_MANY_REQUESTS):
                # The form again with what was typed: the way back keeps it.
                page = again(app.context.get("form_values") or {}, problems or [], None if problems else shown, lang)
                if page is not None:
                    return html(page, status, headers=headers)
            referer = app.current_event.headers.get("referer")
            return html(error_page(lang, shown, problems, back=referer, posted=posted), status, headers=headers)
        response = error_response(status, code, message, fields, allowed)
        response.headers.update(headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        problems = list(error.errors())
        if any(problem.get("type") == "json_invalid" for problem in problems):
            return respond(HTTPStatus.BAD_REQUEST, "malformed_json", "the body is not valid JSON")
        # The submitted value is never echoed back: it may be a phone number.
        fields = [
            {"field": _field_name(problem.get("loc", ())), "problem": str(problem.get("msg", problem["type"]))}
            for problem in problems
        ]
        message = "some fields are missing or invalid: " + ", ".join(f["field"] for f in fields)
        kinds = [(f["field"], str(problem["type"])) for f, problem in zip(fields, problems, strict=True)]
        return respond(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_fields", message, fields, problems=kinds)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(_: RequestUnsupportedContentType) -> Response:
        content_type = app.current_event.headers.get("content-type", "")
        readable = readable_media_types(str(app.current_event.raw_event.get("routeKey", "")))
        message = unsupported_message(content_type, readable)
        return respond(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_content_type", message)

    @app.exception_handler(ServiceError)
    def _service_error(error: ServiceError) -> Response:
        status = HTTPStatus(error.status_code)
        return respond(status, status.phrase.lower().replace(" ", "_"), str(error.msg))

    @app.exception_handler(InvalidFields)
    def _invalid_fields(error: InvalidFields) -> Response:
        fields = [{"field": field, "problem": problem} for field, problem in error.problems.items()]
        kinds = [(field, "invalid") for field in error.problems]
        return respond(HTTPStatus.UNPROCESSABLE_ENTITY, error.code, error.message, fields, problems=kinds)

    @app.exception_handler(TooManyRequests)
    def _too_many(error: TooManyRequests) -> Response:
        headers = {"Retry-After": str(error.retry_after_seconds)}
        return respond(HTTPStatus.TOO_MANY_REQUESTS, error.code, error.message, headers=headers)

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        status = next(
            (mapped for kind, mapped in DOMAIN_STATUS.items() if isinstance(error, kind)),
            HTTPStatus.UNPROCESSABLE_ENTITY,
        )
        allowed = getattr(error, "allowed", None)
        return respond(status, error.code, error.message, allowed=allowed)

    @app.not_found
    def _no_route(_: Exception) -> Response:
        return respond(HTTPStatus.NOT_FOUND, "no_such_route", "no such route")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        # Never a stack trace to the caller; the log has the exception type, not the event.
        logger.exception("unexpected error", extra={"error_type": type(error).__name__})
        return respond(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error")

    return app
