"""OpenApiFunction (GET /openapi.json): the API describes itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

FUNCTION = "OpenApiFunction"


@pytest.fixture
def document(invoke: Callable[[str, dict[str, Any]], Any], load_event: Callable[[str], dict[str, Any]]) -> Any:
    response = invoke(FUNCTION, load_event("openapi/get_openapi.json"))
    assert response["statusCode"] == 200, response["body"]
    assert response["headers"]["Content-Type"] == "application/json"
    return json.loads(response["body"])


def test_the_document_is_openapi_3_1(document: dict[str, Any]) -> None:
    # Given the sample GET /openapi.json event
    # When the function handles it (fixture)
    # Then the body is an OpenAPI 3.1 document of this API
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "haochaping 好差评 district API"
    assert document["info"]["version"] == "1"


def test_the_document_describes_every_route_of_the_template(document: dict[str, Any], stack: Any) -> None:
    # Given the HttpApi routes the template declares
    declared = {
        (event["Properties"]["Method"].lower(), event["Properties"]["Path"])
        for resource in stack.template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi"
    }
    # When listing the operations of the document
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    # Then POST /ratings and GET /openapi.json are there, and every declared route too
    assert {("post", "/ratings"), ("get", "/openapi.json")} <= documented
    assert declared == documented


def test_post_ratings_documents_its_body_and_its_answers(document: dict[str, Any]) -> None:
    # Given the document
    operation = document["paths"]["/ratings"]["post"]
    # When looking at POST /ratings
    body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    # Then the body is the RatingSubmission and every status the route answers with is listed
    assert body_schema == {"$ref": "#/components/schemas/RatingSubmission"}
    submission = document["components"]["schemas"]["RatingSubmission"]
    assert set(submission["required"]) == {"window_code", "level", "submission_id"}
    assert {"window_code", "sig", "ticket", "level", "tags", "comment", "channel", "submission_id"} <= set(
        submission["properties"]
    )
    assert {"200", "201", "303", "400", "403", "404", "409", "413", "415", "422", "429"} <= set(operation["responses"])
