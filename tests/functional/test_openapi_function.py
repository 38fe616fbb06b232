"""OpenApiFunction (GET /openapi.json): the API describes itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from haochaping.domain.rating import NON_BLANK

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


# Every status each operation can answer; the function's refusals and the gateway's own.
STATUSES = {
    ("post", "/ratings"): {"200", "201", "202", "303", "400", "403", "404", "409", "413", "415", "422", "429"},
    ("get", "/r/{window_code}"): {"200", "403", "404", "422", "429"},
    ("get", "/ratings/{tracking_code}"): {"200", "404", "422", "429"},
    ("post", "/ratings/{tracking_code}/verdict"): {
        "200",
        "303",
        "400",
        "403",
        "404",
        "409",
        "413",
        "415",
        "422",
        "429",
    },
    ("post", "/ratings/{tracking_code}/appeal"): {"200", "303", "400", "403", "404", "409", "413", "415", "422", "429"},
    ("post", "/staff/session"): {"200", "400", "401", "404", "413", "415", "422", "429"},
    ("get", "/staff/tasks"): {"200", "401", "403", "422", "429"},
    ("get", "/staff/tasks/{tracking_code}"): {"200", "401", "403", "404", "422", "429"},
    ("post", "/staff/tasks/{tracking_code}/actions"): {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "415",
        "422",
        "429",
    },
    ("get", "/staff/reports"): {"200", "401", "403", "429"},
    ("get", "/staff/suspected-ratings"): {"200", "401", "403", "429"},
    ("post", "/staff/suspected-ratings/{tracking_code}/decision"): {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "415",
        "422",
        "429",
    },
    ("get", "/staff/figures"): {"200", "401", "403", "422", "429"},
    ("get", "/staff/assessment"): {"200", "401", "403", "422", "429"},
    ("get", "/console"): {"200", "422", "429"},
    ("get", "/openapi.json"): {"200", "429"},
    ("get", "/published/{file}"): {"200", "404", "422", "429"},
}
ERROR = {"$ref": "#/components/schemas/ErrorResponse"}
GATEWAY = {"$ref": "#/components/schemas/GatewayError"}


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): op for path, operations in document["paths"].items() for method, op in operations.items()}


def test_every_operation_documents_every_status_it_answers(document: dict[str, Any]) -> None:
    # Given the document's operations
    operations = _operations(document)
    # When listing each one's statuses
    documented = {key: set(operation["responses"]) for key, operation in operations.items()}
    # Then they are exactly the statuses the code and the gateway answer
    assert documented == STATUSES


def test_every_error_is_the_common_shape_or_the_gateways(document: dict[str, Any]) -> None:
    # Given every error response of every operation
    for (method, path), operation in _operations(document).items():
        for status, answer in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = answer["content"]["application/json"]["schema"]
            # Then the function's errors are ErrorResponse (or a page for a browser), the gateway's its own
            if schema == GATEWAY:
                assert status in {"401", "429"}, (method, path, status)
                assert set(answer["content"]) == {"application/json"}
            else:
                assert schema in (ERROR, {"anyOf": [ERROR, GATEWAY]}), (method, path, status)
                assert answer["content"]["text/html"]["schema"]["type"] == "string"


def test_the_error_shape_is_what_the_api_sends(document: dict[str, Any]) -> None:
    # Given the document's error schemas
    schemas = document["components"]["schemas"]
    # Then an error is {"error": {status, code, message, fields?, allowed?}}, nothing else
    assert schemas["ErrorResponse"]["required"] == ["error"]
    assert schemas["ErrorResponse"]["additionalProperties"] is False
    detail = schemas["ErrorDetail"]
    assert set(detail["required"]) == {"status", "code", "message"}
    assert set(detail["properties"]) == {"status", "code", "message", "fields", "allowed"}
    assert schemas["FieldProblem"]["required"] == ["field", "problem"]
    # And the gateway's own answers only a message, as API Gateway HTTP APIs send it
    assert schemas["GatewayError"]["required"] == ["message"]
    assert {"Unauthorized", "Not Found"} <= set(schemas["GatewayError"]["properties"]["message"]["enum"])
    # And Powertools' own validation error, which this API never sends, is gone
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)


def test_staff_routes_document_the_gateways_401(document: dict[str, Any]) -> None:
    # Given the operations behind the staff authorizer
    staff = {key: op for key, op in _operations(document).items() if op.get("security")}
    # Then they are the six staff routes, and each documents the gateway's 401
    assert {path for _, path in staff} == {
        "/staff/tasks",
        "/staff/tasks/{tracking_code}",
        "/staff/reports",
        "/staff/tasks/{tracking_code}/actions",
        "/staff/suspected-ratings",
        "/staff/suspected-ratings/{tracking_code}/decision",
        "/staff/figures",
        "/staff/assessment",
    }
    for operation in staff.values():
        assert operation["responses"]["401"]["content"]["application/json"]["schema"] == GATEWAY


def test_every_success_has_its_model(document: dict[str, Any]) -> None:
    # Given the successes of the JSON operations
    successes = {
        (method, path, status): answer["content"]["application/json"]["schema"]
        for (method, path), operation in _operations(document).items()
        for status, answer in operation["responses"].items()
        if status.startswith("2") and "application/json" in answer.get("content", {})
    }
    # Then each names its model: none is Powertools' empty `Return`
    assert successes == {
        ("post", "/ratings", "201"): {"$ref": "#/components/schemas/RatingReceipt"},
        ("post", "/ratings", "200"): {"$ref": "#/components/schemas/RatingReceipt"},
        ("post", "/ratings", "202"): {"$ref": "#/components/schemas/RatingReceipt"},
        ("get", "/ratings/{tracking_code}", "200"): {"$ref": "#/components/schemas/RatingStatus"},
        ("post", "/ratings/{tracking_code}/verdict", "200"): {"$ref": "#/components/schemas/FollowUpAnswer"},
        ("post", "/ratings/{tracking_code}/appeal", "200"): {"$ref": "#/components/schemas/FollowUpAnswer"},
        ("post", "/staff/session", "200"): {"$ref": "#/components/schemas/StaffSession"},
        ("get", "/staff/tasks", "200"): {"$ref": "#/components/schemas/TaskList"},
        ("get", "/staff/tasks/{tracking_code}", "200"): {"$ref": "#/components/schemas/TaskDetail"},
        ("post", "/staff/tasks/{tracking_code}/actions", "200"): {"$ref": "#/components/schemas/TaskDetail"},
        ("get", "/staff/reports", "200"): {"$ref": "#/components/schemas/ReportList"},
        ("get", "/staff/suspected-ratings", "200"): {"$ref": "#/components/schemas/HeldList"},
        ("post", "/staff/suspected-ratings/{tracking_code}/decision", "200"): {
            "$ref": "#/components/schemas/HeldDecided"
        },
        ("get", "/staff/figures", "200"): {"$ref": "#/components/schemas/FiguresAnswer"},
        ("get", "/staff/assessment", "200"): {"$ref": "#/components/schemas/AssessmentAnswer"},
        ("get", "/openapi.json", "200"): {"type": "object"},
        ("get", "/published/{file}", "200"): {"type": "object"},
    }
    assert "Return" not in document["components"]["schemas"]


def test_the_pages_are_documented_as_html(document: dict[str, Any]) -> None:
    # Given the operations that answer pages
    operations = _operations(document)
    # Then the form and the console are HTML only, and the status is a page or JSON
    assert set(operations[("get", "/r/{window_code}")]["responses"]["200"]["content"]) == {"text/html"}
    assert set(operations[("get", "/console")]["responses"]["200"]["content"]) == {"text/html"}
    assert set(operations[("get", "/ratings/{tracking_code}")]["responses"]["200"]["content"]) == {
        "application/json",
        "text/html",
    }
    # And a form post's 303 has no body, only where to go
    redirect = operations[("post", "/ratings")]["responses"]["303"]
    assert "content" not in redirect
    assert redirect["headers"]["Location"]["required"] is True


def test_forms_are_documented_where_the_pages_post_them(document: dict[str, Any]) -> None:
    # Given the request bodies of the operations
    bodies = {
        key: set(op["requestBody"]["content"]) for key, op in _operations(document).items() if "requestBody" in op
    }
    # Then the citizen's posts take JSON or a form, the staff's JSON alone
    form = {"application/json", "application/x-www-form-urlencoded"}
    assert bodies == {
        ("post", "/ratings"): form,
        ("post", "/ratings/{tracking_code}/verdict"): form,
        ("post", "/ratings/{tracking_code}/appeal"): form,
        ("post", "/staff/session"): {"application/json"},
        ("post", "/staff/tasks/{tracking_code}/actions"): {"application/json"},
        ("post", "/staff/suspected-ratings/{tracking_code}/decision"): {"application/json"},
    }
    # And the rating's form has the evaluator's fields flat, as the page sends them
    rating_form = document["components"]["schemas"]["RatingSubmissionForm"]
    assert {"evaluator_name", "evaluator_phone", "evaluator_consent", "lang"} <= set(rating_form["properties"])
    assert "evaluator" not in rating_form["properties"]


def test_what_the_code_refuses_the_schema_refuses(document: dict[str, Any]) -> None:
    # Given the request schemas
    schemas = document["components"]["schemas"]
    # Then a text that must say something may not be blank
    for model, field in [
        ("SignIn", "username"),
        ("SignIn", "password"),
        ("AppealRequest", "text"),
        ("Evaluator", "name"),
    ]:
        assert schemas[model]["properties"][field]["pattern"] == NON_BLANK, (model, field)
        assert schemas[model]["properties"][field]["minLength"] == 1, (model, field)
    # And a call-back needs consent: true, on a bad review only
    assert schemas["Evaluator"]["properties"]["consent"]["const"] is True
    submission = schemas["RatingSubmission"]
    assert {
        "if": {"properties": {"level": {"minimum": 3}}, "required": ["level"]},
        "then": {"properties": {"evaluator": {"type": "null"}}},
    } in submission["allOf"]
    # And a rating names a self-service channel, and its plate's signature or a ticket
    assert submission["properties"]["channel"]["enum"] == ["qr", "window_device", "kiosk"]
    assert [option["required"] for option in submission["anyOf"]] == [["sig"], ["ticket"]]
    # And a staff move is a staff member's, with what MOVE_INPUTS asks of it
    action = schemas["TaskActionRequest"]
    assert "give_verdict" not in action["properties"]["action"]["enum"]
    assert "appeal" not in action["properties"]["action"]["enum"]
    needs = {rule["if"]["properties"]["action"]["const"]: rule["then"]["required"] for rule in action["allOf"]}
    assert needs["propose_not_adopted"] == ["text", "reason"]
    assert needs["record_call_back"] == ["verdict"]
    assert needs["give_feedback"] == ["text"]
