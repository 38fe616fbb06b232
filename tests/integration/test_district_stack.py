"""The district stack on the twin: a rating over HTTP is stored and seen by the stream consumer."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.integration.conftest import device_cookie, http, post_rating, wait_for

pytestmark = pytest.mark.integration


WINDOW = "YC01-A001"


@pytest.fixture
def submission(plate_sig):
    def make(level: int = 5, **extra: object) -> dict[str, object]:
        return {
            "window_code": WINDOW,
            "sig": plate_sig(WINDOW),
            "level": level,
            "submission_id": uuid.uuid4().hex,
            **extra,
        }

    return make


def test_posted_rating_is_stored_and_seen_by_the_stream_consumer_within_two_seconds(district_twin, submission):
    # Given the running stack
    # When a citizen posts a bad review
    status, receipt = post_rating(district_twin, submission(level=1))
    acknowledged = time.monotonic()

    # Then it is acknowledged with a tracking code …
    assert status == 201
    code = receipt["tracking_code"]
    assert receipt["bad_review"] is True

    # … and the stream consumer logs that it saw exactly that rating, within 2 s
    def seen() -> list[dict]:
        lines = [json.loads(x) for x in district_twin.logs("ScoreRatingsFunction") if x.startswith("{")]
        return [x for x in lines if x.get("message") == "rating seen" and x.get("tracking_code") == code]

    records = wait_for(seen, timeout=2.0)
    assert time.monotonic() - acknowledged < 2.0
    assert len(records) == 1
    assert records[0]["rating_level"] == 1


def test_resubmission_returns_the_same_rating_and_is_seen_once(district_twin, submission):
    # Given one submission
    body = submission(level=4)
    phone = device_cookie(district_twin, WINDOW, str(body["sig"]))
    first_status, first = post_rating(district_twin, body, phone)
    # When the phone retries it
    second_status, second = post_rating(district_twin, body, phone)
    # Then the second answer is 200 with the same rating, and the stream saw it once
    assert (first_status, second_status) == (201, 200)
    assert first == second
    time.sleep(1.0)
    seen = [x for x in district_twin.logs("ScoreRatingsFunction") if first["tracking_code"] in x]
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("application/json", b"{not json", 400, "malformed_json"),
        ("text/plain", b"level=5", 415, "unsupported_content_type"),
        ("application/json", json.dumps({"comment": "x" * 17000}).encode(), 413, "payload_too_large"),
        ("application/json", json.dumps({"level": 7}).encode(), 422, "invalid_fields"),
    ],
)
def test_bad_requests_get_a_json_error_and_never_a_500(district_twin, content_type, body, status, code):
    # When a malformed request arrives over HTTP
    got, headers, raw = http("POST", f"{district_twin.url}/ratings", body, {"Content-Type": content_type})
    # Then the status and the one error shape tell what is wrong
    assert got == status
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(raw)["error"]["code"] == code


def test_openapi_document_is_served_by_the_stack(district_twin):
    status, _, raw = http("GET", f"{district_twin.url}/openapi.json")
    document = json.loads(raw)
    assert status == 200
    assert document["openapi"].startswith("3.")
    assert "post" in document["paths"]["/ratings"]


def test_cors_allows_only_the_public_base_url(district_twin):
    # Given the origin the stack was deployed for, and another
    allowed = district_twin.parameters["PublicBaseUrl"]
    preflight = {"Access-Control-Request-Method": "POST"}
    # When each asks to post
    _, ok_headers, _ = http("OPTIONS", f"{district_twin.url}/ratings", None, {"Origin": allowed, **preflight})
    _, other_headers, _ = http(
        "OPTIONS", f"{district_twin.url}/ratings", None, {"Origin": "https://elsewhere.example", **preflight}
    )
    # Then only the public base URL is allowed
    assert ok_headers.get("Access-Control-Allow-Origin") == allowed
    assert "Access-Control-Allow-Origin" not in other_headers


def test_unknown_route_is_404(district_twin):
    status, _, _ = http("GET", f"{district_twin.url}/no-such-thing")
    assert status == 404
