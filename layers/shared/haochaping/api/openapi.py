"""GET /openapi.json: the one document of the whole HTTP API, from every router."""

from __future__ import annotations

import copy
import json
from typing import Any

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
    suspected,
)
from haochaping.api.contract import answers
from haochaping.api.web import EVALUATOR_FIELDS, FORM_CONTENT_TYPE, FORM_ROUTES

ALL_ROUTERS: tuple[Router, ...] = (
    ratings.router,
    rating_form.form_router,
    rating_status.status_router,
    staff.router,
    suspected.router,
    staff_session.router,
    citizen_followup.router,
    console.router,
    published.router,
)

DESCRIPTION = (
    'Every error a function answers is `{"error": {"status", "code", "message", "fields"?, '
    '"allowed"?}}` (ErrorResponse), or an HTML page when a browser asks for one (Accept: text/html, or a '
    'form post). API Gateway\'s own refusals carry only `{"message": …}` (GatewayError). An unexpected '
    "failure is a 500 in the same error shape, and a function that times out the gateway's 503: neither "
    "is part of the contract."
)
SCHEMA_REF = "#/components/schemas/"
# Powertools describes its own validation error; this API answers ErrorResponse instead (api/__init__).
POWERTOOLS_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")

router = Router()


def document_resolver() -> APIGatewayHttpResolver:
    """A resolver holding every route of the API, used only to describe it."""
    return build_resolver(*ALL_ROUTERS, router)


def _page_language() -> dict[str, Any]:
    return {"type": "string", "description": "the language of the pages that answer: zh (the default) or en"}


def _form_schema(body: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A JSON body's schema as the form a page posts (web.form_to_submission reads it back): the same
    fields, the evaluator's flat, and the page's language; an empty field counts as absent."""
    form = copy.deepcopy(body)
    properties = form["properties"]
    properties["lang"] = _page_language()
    if "evaluator" in properties:
        evaluator = schemas["Evaluator"]["properties"]
        del properties["evaluator"]
        for name, field in EVALUATOR_FIELDS.items():
            properties[name] = copy.deepcopy(evaluator[field])
        # A ticked box: what the browser sends for it; a call-back needs the consent, and both name and phone.
        properties["evaluator_consent"] = {"enum": ["true", "on", "1"], "description": "the evaluator's consent"}
        names = list(EVALUATOR_FIELDS)
        form["dependentRequired"] = {name: names for name in names if name != "evaluator_consent"}
        for rule in form.get("allOf", []):
            if "evaluator" in rule["then"].get("properties", {}):
                rule["then"]["properties"] = {name: False for name in names}
    return form


def _add_form_bodies(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for route_key in sorted(FORM_ROUTES):
        method, path = route_key.split(" ", 1)
        content = document["paths"][path][method.lower()]["requestBody"]["content"]
        name = content[content_types.APPLICATION_JSON]["schema"]["$ref"].removeprefix(SCHEMA_REF)
        schemas[f"{name}Form"] = _form_schema(schemas[name], schemas)
        content[FORM_CONTENT_TYPE] = {"schema": {"$ref": f"{SCHEMA_REF}{name}Form"}}


def _drop_powertools_artefacts(document: dict[str, Any]) -> None:
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, answer in list(operation["responses"].items()):
                if any(f'{SCHEMA_REF}{name}"' in json.dumps(answer) for name in POWERTOOLS_SCHEMAS):
                    del operation["responses"][status]  # a route without parameters cannot fail validation
                    continue
                if answer.get("content") == {}:
                    del answer["content"]  # a redirect: no body
                for media in answer.get("content", {}).values():
                    if media.get("schema", {}).get("title") == "Return":
                        del media["schema"]["title"]  # Powertools' name for a union of models
    for name in POWERTOOLS_SCHEMAS:
        document["components"]["schemas"].pop(name, None)


def contract_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(document_resolver().get_openapi_json_schema())
    document["info"]["description"] = DESCRIPTION
    _add_form_bodies(document)
    _drop_powertools_artefacts(document)
    return document


@router.get(
    "/openapi.json",
    summary="This API's OpenAPI document",
    include_in_schema=True,
    responses=answers(
        {200: {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}, {}
    ),
)
def get_openapi() -> Response[Any]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=contract_document())
