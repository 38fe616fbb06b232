"""RatingStatusFunction (GET /ratings/{tracking_code}): a rating's receipt and status."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

FUNCTION = "RatingStatusFunction"
SAMPLE = "rating_status/get_rating.json"

Invoke = Callable[[str, dict[str, Any]], Any]
LoadEvent = Callable[[str], dict[str, Any]]


@pytest.fixture
def recorded(stack: Any, invoke: Invoke, load_event: LoadEvent) -> dict[str, Any]:
    """The sample rating, recorded through POST /ratings; its receipt."""
    response = invoke("SubmitRatingFunction", load_event("submit_rating/post_rating.json"))
    assert response["statusCode"] == 201, response["body"]
    return json.loads(response["body"])


def for_code(event: dict[str, Any], code: str) -> dict[str, Any]:
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/ratings/{code}"
    event["pathParameters"] = {"tracking_code": code}
    return event


def test_the_sample_asks_for_the_sample_ratings_status(
    recorded: dict[str, Any], invoke: Invoke, load_event: LoadEvent
) -> None:
    # Given the sample rating recorded, and the sample status request for its tracking code
    event = load_event(SAMPLE)
    assert event["pathParameters"]["tracking_code"] == recorded["tracking_code"]
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then the status names the rating, its window and hall, and no personal data;
    # its follow-up task is not open yet, so there is nothing to show of it nor to do
    assert response["statusCode"] == 200, response["body"]
    assert response["headers"]["Content-Type"] == "application/json"
    status = json.loads(response["body"])
    assert status == {
        "tracking_code": recorded["tracking_code"],
        "level": 2,
        "level_name": "不满意",
        "window_code": "640104-A017",
        "window_name": "社保综合窗口",
        "hall_name": "兴庆区政务服务中心",
        "rated_at": recorded["rated_at"],
        "bad_review": True,
        "follow_up_rating": False,
        "follow_up_status": "received",
        "follow_up_state_name": None,
        "outcome": None,
        "feedback": None,
        "verdict": None,
        "not_adopted": False,
        "appeal_open": False,
        "appeal_deadline": None,
        "citizen_actions": [],
        "held_for_review": False,
    }


def test_a_browser_gets_the_receipt_page(recorded: dict[str, Any], invoke: Invoke, load_event: LoadEvent) -> None:
    # Given the receipt page asked for by a browser (where the form post redirects)
    event = load_event(SAMPLE)
    event["headers"]["accept"] = "text/html,application/xhtml+xml"
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then it is a page showing the tracking code
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert f'<dd class="code" id="tracking-code">{recorded["tracking_code"]}</dd>' in response["body"]


def test_an_unknown_tracking_code_is_404(stack: Any, invoke: Invoke, load_event: LoadEvent) -> None:
    # Given a well-formed tracking code no rating has
    event = for_code(load_event(SAMPLE), "22222222222Z")
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then it is 404
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "not_found"


@pytest.mark.parametrize("code", ["short", "0O1I0O1I0O1I", "rcsxgqr2ycak"])
def test_a_malformed_tracking_code_is_422(stack: Any, invoke: Invoke, load_event: LoadEvent, code: str) -> None:
    # Given a path that cannot be a tracking code
    event = for_code(load_event(SAMPLE), code)
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then it is refused before any lookup
    assert response["statusCode"] == 422
    assert [problem["field"] for problem in json.loads(response["body"])["error"]["fields"]] == ["tracking_code"]
