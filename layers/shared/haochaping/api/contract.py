"""What each operation answers, as the OpenAPI document states it: one place for the shapes.

Every route declares its answers with ``answers(...)``: its successes, the refusals its code can
make, and what it shares with others (a body, a path parameter, the staff authorizer). Errors the
function answers have one shape (``ErrorResponse``); the gateway's own refusals, which never reach
a function, have API Gateway's (``GatewayError``). A browser asking for a page (``Accept:
text/html``, or a form post) gets its error as a page instead, so each error documents both.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

# An OpenAPI response object as Powertools' `responses=` takes it; a "model" in its content is
# replaced by the model's schema (and the model listed in the components).
OpenAPIResponse = dict[str, Any]

# The error models are built on the first error, not at import: most invocations answer none, and a
# cold start is paid on every one (the gateway's own shape is only ever documented).
ERROR_MODEL = ConfigDict(extra="forbid", defer_build=True)


class FieldProblem(BaseModel):
    """One invalid field: its name and what is wrong, never the value sent (it may be a phone number)."""

    model_config = ERROR_MODEL

    field: str = Field(description="the field's dotted name, e.g. evaluator.phone")
    problem: str


class ErrorDetail(BaseModel):
    model_config = ERROR_MODEL

    status: int = Field(description="the HTTP status, again")
    code: str = Field(description="what went wrong, for programs: invalid_fields, not_found, stale_version, …")
    message: str = Field(description="what went wrong, for people")
    fields: list[FieldProblem] | SkipJsonSchema[None] = Field(
        default=None, description="every invalid field, each named (422 only)"
    )
    allowed: list[str] | SkipJsonSchema[None] = Field(
        default=None, description="the moves allowed now, when a move was refused in this state (409)"
    )


class ErrorResponse(BaseModel):
    """The one shape of every error the API's functions answer 错误."""

    model_config = ERROR_MODEL

    error: ErrorDetail

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class GatewayError(BaseModel):
    """API Gateway's own refusal, answered before any function runs (HTTP APIs send only a message)."""

    model_config = ERROR_MODEL

    message: Literal["Unauthorized", "Not Found", "Request Entity Too Large", "Too Many Requests"]


PAGE: dict[str, Any] = {"schema": {"type": "string", "description": "an HTML page"}}
NO_STORE = {"Cache-Control": {"description": "no-store", "schema": {"type": "string"}}}


def json_answer(description: str, model: type[BaseModel], headers: dict[str, Any] | None = None) -> OpenAPIResponse:
    answer: dict[str, Any] = {"description": description, "content": {"application/json": {"model": model}}}
    if headers:
        answer["headers"] = headers
    return answer


def json_or_page_answer(description: str, model: type[BaseModel]) -> OpenAPIResponse:
    """JSON for a program, a page for a browser: the same success as either."""
    return {
        "description": description,
        "content": {"application/json": {"model": model}, "text/html": PAGE},
    }


def page_answer(description: str, headers: dict[str, Any] | None = None) -> OpenAPIResponse:
    answer: dict[str, Any] = {"description": description, "content": {"text/html": PAGE}}
    if headers:
        answer["headers"] = headers
    return answer


def see_other(description: str) -> OpenAPIResponse:
    """A browser's form post, answered with the page to go to next."""
    return {
        "description": description,
        "headers": {"Location": {"description": "the page to open", "required": True, "schema": {"type": "string"}}},
        "content": {},
    }


# What every operation that reads a body can refuse before its route runs.
BODY_REFUSALS: dict[int, str] = {
    HTTPStatus.BAD_REQUEST: "the body is not valid JSON, or not UTF-8 text (malformed_json, malformed_body)",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "the body is over 16 KB (payload_too_large)",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "the body is of a media type this operation does not read",
}
GATEWAY_UNAUTHORIZED = "no staff token, or one the gateway's JWT authorizer does not accept (API Gateway's own answer)"
GATEWAY_NOT_FOUND = "a path parameter the gateway cannot route, e.g. one holding a slash (API Gateway's own answer)"
GATEWAY_THROTTLED = "over the API's request rate (API Gateway's own answer)"


def _error(description: str, *, from_gateway: bool, from_function: bool = True) -> OpenAPIResponse:
    if not from_function:
        return {"description": description, "content": {"application/json": {"model": GatewayError}}}
    model: Any = ErrorResponse | GatewayError if from_gateway else ErrorResponse
    return {"description": description, "content": {"application/json": {"model": model}, "text/html": PAGE}}


def answers(
    successes: dict[int, OpenAPIResponse],
    refusals: dict[int, str],
    *,
    body: bool = False,
    path_parameters: bool = False,
    staff: bool = False,
    retry_after: bool = False,
) -> dict[int, Any]:
    """An operation's ``responses=``: its successes, and each status it can refuse with and why.

    ``body``: it reads a body (400, 413 and 415 besides its own refusals); ``path_parameters``:
    its path has parameters, which the gateway may fail to route (404); ``staff``: behind the
    JWT authorizer (the gateway's 401); ``retry_after``: its own 429 says when to retry.
    """
    documented: dict[int, OpenAPIResponse] = dict(successes)
    function_refusals = {**(BODY_REFUSALS if body else {}), **refusals}
    gateway: dict[int, str] = {HTTPStatus.TOO_MANY_REQUESTS: GATEWAY_THROTTLED}
    if staff:
        gateway[HTTPStatus.UNAUTHORIZED] = GATEWAY_UNAUTHORIZED
    if path_parameters:
        gateway[HTTPStatus.NOT_FOUND] = GATEWAY_NOT_FOUND
    if body:
        gateway[HTTPStatus.REQUEST_ENTITY_TOO_LARGE] = "the body is over API Gateway's own limit (10 MB)"
    for status in sorted({*function_refusals, *gateway}):
        reasons = [r for r in (function_refusals.get(status), gateway.get(status)) if r]
        documented[int(status)] = _error(
            "; or ".join(reasons), from_gateway=status in gateway, from_function=status in function_refusals
        )
    if retry_after:
        documented[HTTPStatus.TOO_MANY_REQUESTS]["headers"] = {
            "Retry-After": {"description": "seconds to wait (the function's own 429)", "schema": {"type": "integer"}}
        }
    return documented
