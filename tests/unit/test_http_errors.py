"""The HTTP error shapes decided before anything touches AWS, on POST /ratings and beside it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import pytest
from haochaping.api import MAX_BODY_BYTES, build_resolver, error_response, staff_session
from haochaping.api import openapi as openapi_routes
from haochaping.api import ratings as ratings_routes
from haochaping.api.contract import ErrorResponse

pytestmark = pytest.mark.unit

PHONE = "13812345678"  # a made-up mobile number: it must never come back in a response
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def resolver() -> Any:
    return build_resolver(ratings_routes.router)


@pytest.fixture
def post_ratings(
    resolver: Any, lambda_context: Any, load_event: Callable[[str], dict[str, Any]]
) -> Callable[..., dict[str, Any]]:
    """POST /ratings through the resolver, from the sample event with another body."""

    def post(
        body: str, content_type: str | None = "application/json", base64_encoded: bool = False, accept: str = ""
    ) -> dict[str, Any]:
        event = load_event("submit_rating/post_rating.json")
        event["headers"].pop("content-length", None)
        event["headers"]["accept"] = accept
        if content_type is None:
            event["headers"].pop("content-type", None)
        else:
            event["headers"]["content-type"] = content_type
        event["body"] = base64.b64encode(body.encode("utf-8")).decode("ascii") if base64_encoded else body
        event["isBase64Encoded"] = base64_encoded
        return resolver.resolve(event, lambda_context)

    return post


def error_of(response: dict[str, Any]) -> dict[str, Any]:
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    assert set(body) == {"error"}
    return body["error"]


VALID: dict[str, Any] = {
    "window_code": "640104-A017",
    "level": 2,
    "submission_id": "Zp3vN8cQ1yFj6uEa",
    "tags": ["201", "203"],
    "comment": "排队等了很久",
    "channel": "qr",
}


@pytest.mark.parametrize("body", ["{not json", '{"level": 2,', "level=2", '{"comment": "' + PHONE])
def test_malformed_json_is_400(post_ratings: Callable[..., dict[str, Any]], body: str) -> None:
    # Given a body that is not JSON
    # When posting it as JSON
    response = post_ratings(body)
    # Then it is 400 malformed_json, and the body is not echoed
    assert response["statusCode"] == 400
    assert error_of(response) == {"status": 400, "code": "malformed_json", "message": "the body is not valid JSON"}
    assert PHONE not in response["body"]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "text/csv; charset=utf-8",
        # multipart without its boundary once failed inside the request validation: a 500
        "multipart/form-data",
        "multipart/form-data; boundary=xyz",
        "application/jsonp",
        "application/x-www-form-urlencoded-extra",
        ";;;",
        "application/json garbage; ===",
    ],
)
def test_unsupported_content_type_is_415(post_ratings: Callable[..., dict[str, Any]], content_type: str) -> None:
    # Given a valid rating sent with a content type the API does not read
    # When posting it
    response = post_ratings(json.dumps(VALID), content_type=content_type)
    # Then it is 415, naming what is accepted
    assert response["statusCode"] == 415
    error = error_of(response)
    assert error["status"] == 415
    assert error["code"] == "unsupported_content_type"
    assert "application/json" in error["message"]
    assert "application/x-www-form-urlencoded" in error["message"]


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON", " application/json "])
def test_json_is_recognised_whatever_its_parameters_and_case(
    post_ratings: Callable[..., dict[str, Any]], content_type: str
) -> None:
    # Given a body that is not JSON, sent as JSON with parameters or in another case
    response = post_ratings("{not json", content_type=content_type)
    # Then it is read as JSON: 400 malformed_json, not 415
    assert response["statusCode"] == 400
    assert error_of(response)["code"] == "malformed_json"


def test_body_over_16_kb_is_413(post_ratings: Callable[..., dict[str, Any]]) -> None:
    # Given a body one byte over 16 KB
    body = '{"comment": "' + "a" * (MAX_BODY_BYTES - 14) + '"}'
    assert len(body.encode("utf-8")) == MAX_BODY_BYTES + 1
    # When posting it
    response = post_ratings(body)
    # Then it is 413 payload_too_large
    assert response["statusCode"] == 413
    assert error_of(response) == {
        "status": 413,
        "code": "payload_too_large",
        "message": "the body is larger than 16 KB",
    }


def test_body_of_exactly_16_kb_is_not_refused_for_its_size(post_ratings: Callable[..., dict[str, Any]]) -> None:
    # Given a body of exactly 16 KB, not valid JSON
    body = '{"comment": "' + "a" * (MAX_BODY_BYTES - 13)
    assert len(body.encode("utf-8")) == MAX_BODY_BYTES
    # When posting it
    response = post_ratings(body)
    # Then it is parsed (and found malformed), not refused as too large
    assert response["statusCode"] == 400
    assert error_of(response)["code"] == "malformed_json"


def test_body_size_is_counted_in_bytes_not_characters(post_ratings: Callable[..., dict[str, Any]]) -> None:
    # Given 6000 Chinese characters: under 16 K characters, but 18000 bytes of UTF-8
    body = json.dumps({**VALID, "comment": "好" * 6000}, ensure_ascii=False)
    assert len(body) < MAX_BODY_BYTES < len(body.encode("utf-8"))
    # When posting it
    response = post_ratings(body)
    # Then it is 413
    assert response["statusCode"] == 413


def test_base64_body_over_16_kb_decoded_is_413(post_ratings: Callable[..., dict[str, Any]]) -> None:
    # Given a form body over 16 KB, sent base64-encoded as API Gateway does
    form = urlencode({**VALID, "comment": "a" * (MAX_BODY_BYTES + 100)})
    # When posting it
    response = post_ratings(form, content_type="application/x-www-form-urlencoded", base64_encoded=True)
    # Then it is 413
    assert response["statusCode"] == 413
    assert error_of(response)["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("window_code", f"{PHONE} 王某"),
        ("level", int(PHONE)),
        ("tags", [PHONE]),
        ("comment", f"请回电 {PHONE} " * 40),
        ("channel", PHONE),
        ("submission_id", f"{PHONE}!"),
    ],
)
def test_invalid_field_is_422_naming_it_without_echoing_the_value(
    post_ratings: Callable[..., dict[str, Any]], field: str, value: Any
) -> None:
    # Given a rating with one invalid field whose value carries a phone number
    # When posting it
    response = post_ratings(json.dumps({**VALID, field: value}, ensure_ascii=False))
    # Then it is 422 naming that field, and the value is not in the response
    assert response["statusCode"] == 422
    error = error_of(response)
    assert error["status"] == 422
    assert error["code"] == "invalid_fields"
    named = {problem["field"].split(".")[0] for problem in error["fields"]}
    assert named == {field}
    assert all(set(problem) == {"field", "problem"} for problem in error["fields"])
    assert PHONE not in response["body"]


@pytest.mark.parametrize("key", [PHONE, "A" + PHONE, "tel_" + PHONE + "x", "身份证"])
def test_an_unknown_key_that_could_hold_personal_data_is_not_named(
    post_ratings: Callable[..., dict[str, Any]], key: str
) -> None:
    # Given a rating with a key the client made up, holding a number (or not a name at all)
    # When posting it
    response = post_ratings(json.dumps({**VALID, key: None}, ensure_ascii=False))
    # Then it is 422 for an unknown field, and the key is not echoed
    assert response["statusCode"] == 422
    assert [problem["field"] for problem in error_of(response)["fields"]] == ["body (an unknown field)"]
    assert key not in response["body"]


def test_every_invalid_field_is_named_at_once(post_ratings: Callable[..., dict[str, Any]]) -> None:
    # Given a rating where every field is wrong
    submission = {
        "window_code": "窗口 17",
        "level": 9,
        "submission_id": "x",
        "tags": ["999"],
        "comment": PHONE * 50,
        "channel": "fax",
    }
    # When posting it
    response = post_ratings(json.dumps(submission, ensure_ascii=False))
    # Then each field is named, in the message too, and no value is echoed
    assert response["statusCode"] == 422
    error = error_of(response)
    fields = [problem["field"] for problem in error["fields"]]
    assert sorted(fields) == ["channel", "comment", "level", "submission_id", "tags.0", "window_code"]
    for field in fields:
        assert field in error["message"]
    for value in ("窗口 17", "999", "fax", PHONE):
        assert value not in response["body"]


def test_missing_required_fields_are_named(post_ratings: Callable[..., dict[str, Any]]) -> None:
    # Given a rating with only a comment
    # When posting it
    response = post_ratings(json.dumps({"comment": "很好"}, ensure_ascii=False))
    # Then each required field is named
    assert response["statusCode"] == 422
    fields = {problem["field"] for problem in error_of(response)["fields"]}
    assert fields == {"window_code", "level", "submission_id"}


def test_unknown_field_is_named_but_its_value_is_not_echoed(post_ratings: Callable[..., dict[str, Any]]) -> None:
    # Given a rating that also carries the citizen's phone number in a field the API does not know
    # When posting it
    response = post_ratings(json.dumps({**VALID, "phone": PHONE}))
    # Then the field is named and refused; the number is not in the response
    assert response["statusCode"] == 422
    assert [problem["field"] for problem in error_of(response)["fields"]] == ["phone"]
    assert PHONE not in response["body"]


def page_of(response: dict[str, Any]) -> str:
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    return response["body"]


def test_invalid_form_is_a_422_page_naming_only_the_bad_fields(post_ratings: Callable[..., dict[str, Any]]) -> None:
    # Given a browser's form post with a level out of range and a bad case number, a phone number in the comment
    form = urlencode({**VALID, "level": "7", "case_no": "x", "comment": f"请回电 {PHONE}", "lang": "zh"}, doseq=True)
    # When posting it base64-encoded, as API Gateway passes forms
    response = post_ratings(form, content_type="application/x-www-form-urlencoded", base64_encoded=True)
    # Then the browser gets a 422 page naming those two fields by their Chinese labels, and no value
    assert response["statusCode"] == 422
    page = page_of(response)
    assert "满意度" in page
    assert "办件编号" in page
    assert "窗口" not in page
    assert PHONE not in page


def test_a_form_is_validated_as_the_json_body_it_stands_for(post_ratings: Callable[..., dict[str, Any]]) -> None:
    # Given the same invalid rating once as JSON and once as a form
    invalid = {**VALID, "level": "0", "tags": ["201", "9"]}
    as_json = post_ratings(json.dumps(invalid))
    # When posting it as a form
    as_form = post_ratings(urlencode(invalid, doseq=True), content_type="application/x-www-form-urlencoded")
    # Then both are 422 about the same fields
    assert as_json["statusCode"] == as_form["statusCode"] == 422
    fields = sorted(problem["field"] for problem in error_of(as_json)["fields"])
    assert fields == ["level", "tags.1"]
    page = page_of(as_form)
    assert "满意度" in page
    assert "问题" in page  # "tags.1" is shown under the tags' own name


def test_a_page_is_answered_to_a_browser_asking_for_html(post_ratings: Callable[..., dict[str, Any]]) -> None:
    # Given a malformed JSON body from a client that accepts HTML only
    # When posting it
    response = post_ratings("{not json", accept="text/html")
    # Then the error is a page, not JSON
    assert response["statusCode"] == 400
    assert page_of(response).startswith("<!doctype html>")


@pytest.mark.parametrize("body", ["[]", '"a string"', "42"])
def test_json_that_is_not_an_object_is_422(post_ratings: Callable[..., dict[str, Any]], body: str) -> None:
    # Given valid JSON that is not an object
    # When posting it
    response = post_ratings(body)
    # Then it is 422 about the body as a whole
    assert response["statusCode"] == 422
    assert [problem["field"] for problem in error_of(response)["fields"]] == ["body"]


def test_unknown_route_is_404_in_the_same_shape(
    resolver: Any, lambda_context: Any, load_event: Callable[[str], dict[str, Any]]
) -> None:
    # Given a request for a path no route serves
    event = load_event("submit_rating/post_rating.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/nothing-here"
    event["routeKey"] = event["requestContext"]["routeKey"] = "POST /nothing-here"
    # When resolving it
    response = resolver.resolve(event, lambda_context)
    # Then it is 404 no_such_route
    assert response["statusCode"] == 404
    assert error_of(response) == {"status": 404, "code": "no_such_route", "message": "no such route"}


def test_valid_rating_without_settings_is_500_without_details(
    post_ratings: Callable[..., dict[str, Any]], no_settings_env: None
) -> None:
    # Given a valid rating, and a function whose environment lacks its variables
    # When posting it
    response = post_ratings(json.dumps(VALID, ensure_ascii=False))
    # Then it fails before any AWS call with a bare 500: no trace, no variable names, no values
    assert response["statusCode"] == 500
    assert error_of(response) == {"status": 500, "code": "internal_error", "message": "internal error"}
    assert "RATINGS_TABLE" not in response["body"]


def _post_to(load_event: Callable[[str], dict[str, Any]], route_key: str, body: str, content_type: str) -> dict:
    event = load_event("submit_rating/post_rating.json")
    path = route_key.split(" ", 1)[1]
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["headers"]["content-type"] = content_type
    event["body"] = body
    return event


def test_a_form_is_read_only_where_the_pages_post_one(
    lambda_context: Any, load_event: Callable[[str], dict[str, Any]]
) -> None:
    # Given the staff sign-in, which only the console's script calls, with JSON
    resolver = build_resolver(staff_session.router)
    event = _post_to(load_event, "POST /staff/session", "username=YC018001&password=x", FORM)
    # When a form is posted to it
    response = resolver.resolve(event, lambda_context)
    # Then it is 415, naming JSON alone
    assert response["statusCode"] == 415
    error = error_of(response)
    assert error["code"] == "unsupported_content_type"
    assert error["message"].endswith("send application/json")


def test_a_form_is_read_where_the_pages_post_one(
    post_ratings: Callable[..., dict[str, Any]],
) -> None:
    # Given POST /ratings, which the rating form posts to
    # When a form missing its fields is posted
    response = post_ratings("comment=x", content_type=FORM)
    # Then it is read, and its fields refused on a page (not 415)
    assert response["statusCode"] == 422
    assert response["headers"]["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("anything", "text/plain"),
        ("x" * (MAX_BODY_BYTES + 1), "multipart/form-data"),
    ],
)
def test_a_get_is_answered_the_same_whatever_body_it_carries(
    lambda_context: Any, load_event: Callable[[str], dict[str, Any]], body: str, content_type: str
) -> None:
    # Given GET /openapi.json carrying a body, of any type and size
    event = load_event("openapi/get_openapi.json")
    event["headers"]["content-type"] = content_type
    event["body"] = body
    # When resolving it
    response = build_resolver(openapi_routes.router).resolve(event, lambda_context)
    # Then the body is ignored: no route of a GET reads one, so it is neither 400, 413 nor 415
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["openapi"].startswith("3.1")


def test_every_error_body_is_the_documented_error_response() -> None:
    # Given an error with fields and one with the moves allowed
    with_fields = error_response(
        HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_fields", "bad", [{"field": "level", "problem": "x"}]
    )
    with_allowed = error_response(HTTPStatus.CONFLICT, "transition_refused", "not now", allowed=["close"])
    # When reading them as the document's ErrorResponse
    # Then each is one, with only what it carries
    for response in (with_fields, with_allowed):
        assert ErrorResponse.model_validate(response.body).body() == response.body
    assert with_fields.body["error"]["fields"] == [{"field": "level", "problem": "x"}]
    assert "allowed" not in with_fields.body["error"]
    assert with_allowed.body["error"] == {
        "status": 409,
        "code": "transition_refused",
        "message": "not now",
        "allowed": ["close"],
    }
