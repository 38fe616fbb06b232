"""RatingFormFunction (GET /r/{window_code}): the page a window's QR plate opens."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from haochaping.domain.plates import device_token_valid, issue_device_token, plate_signature

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

FUNCTION = "RatingFormFunction"
SAMPLE = "rating_form/get_form.json"

Invoke = Callable[[str, dict[str, Any]], Any]
LoadEvent = Callable[[str], dict[str, Any]]


def with_query(event: dict[str, Any], window_code: str | None = None, **query: str) -> dict[str, Any]:
    if window_code is not None:
        event["rawPath"] = event["requestContext"]["http"]["path"] = f"/r/{window_code}"
        event["pathParameters"] = {"window_code": window_code}
    event["queryStringParameters"] = query or None
    event["rawQueryString"] = "&".join(f"{key}={value}" for key, value in query.items())
    if not query:
        del event["queryStringParameters"]
    return event


def hidden_inputs(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


def test_the_sample_plate_opens_the_form_of_its_window(stack: Any, invoke: Invoke, load_event: LoadEvent) -> None:
    # Given the sample event: a phone scanning window A017's plate
    event = load_event(SAMPLE)
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then it is the form page of that window, with the clerk on duty, not to be cached
    assert response["statusCode"] == 200, response["body"]
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response["headers"]["Content-Security-Policy"]
    page = response["body"]
    assert "社保综合窗口" in page
    assert "兴庆区政务服务中心" in page
    assert "XQ1017" in page
    # And the form carries the window, the plate's signature and a fresh submission id
    hidden = hidden_inputs(page)
    assert hidden["window_code"] == "640104-A017"
    assert hidden["sig"] == event["queryStringParameters"]["sig"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", hidden["submission_id"])
    assert hidden["lang"] == "zh"
    # And a browser without one gets a device cookie
    (cookie,) = response["cookies"]
    assert cookie.startswith("hcp_device=")
    assert "HttpOnly" in cookie and "Secure" in cookie
    assert device_token_valid(cookie.split(";", 1)[0].removeprefix("hcp_device="), stack.signing_secret)


def test_each_showing_has_its_own_submission_id(stack: Any, invoke: Invoke, load_event: LoadEvent) -> None:
    # Given the plate opened twice
    # When the function handles both
    first = hidden_inputs(invoke(FUNCTION, load_event(SAMPLE))["body"])
    second = hidden_inputs(invoke(FUNCTION, load_event(SAMPLE))["body"])
    # Then each form is a new rating
    assert first["submission_id"] != second["submission_id"]


def test_a_browser_with_a_device_cookie_keeps_it(stack: Any, invoke: Invoke, load_event: LoadEvent) -> None:
    # Given a browser that has the device cookie this stack signed already
    event = load_event(SAMPLE)
    event["cookies"] = [f"hcp_device={issue_device_token('Jq4vX0c2LmT8yRw5Zb1NdA', stack.signing_secret)}"]
    # When it opens the form
    response = invoke(FUNCTION, event)
    # Then no new cookie is set
    assert response["statusCode"] == 200
    assert response.get("cookies", []) == []


@pytest.mark.parametrize(
    "cookie", ["Jq4vX0c2LmT8yRw5Zb1NdA3e", "Jq4vX0c2LmT8yRw5Zb1NdA.forgedsignature0"], ids=["unsigned", "forged"]
)
def test_a_browser_with_a_cookie_this_stack_did_not_sign_gets_a_signed_one(
    stack: Any, invoke: Invoke, load_event: LoadEvent, cookie: str
) -> None:
    # Given a browser with a device cookie of before (unsigned) or a made-up one
    event = load_event(SAMPLE)
    event["cookies"] = [f"hcp_device={cookie}"]
    # When it opens the form
    response = invoke(FUNCTION, event)
    # Then it gets a device cookie signed by this stack, which its ratings by the plate will carry
    (given,) = response["cookies"]
    value = given.split(";", 1)[0].removeprefix("hcp_device=")
    assert device_token_valid(value, stack.signing_secret)


def test_a_bad_face_opens_the_details_step_with_that_levels_tags(
    stack: Any, invoke: Invoke, load_event: LoadEvent
) -> None:
    # Given the form reloaded with level 2 chosen (the no-JavaScript path)
    sig = plate_signature("640104-A017", stack.signing_secret)
    event = with_query(load_event(SAMPLE), sig=sig, level="2", submission_id="kX2d9Qm4Tz7LpR1wVb6Ne8")
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then the details step offers the level-2 tags and keeps the submission id
    assert response["statusCode"] == 200
    page = response["body"]
    assert set(re.findall(r'name="tags" value="(\d+)"', page)) >= {"201", "202", "203"}
    assert hidden_inputs(page)["submission_id"] == "kX2d9Qm4Tz7LpR1wVb6Ne8"
    assert '<input type="hidden" id="chosen" name="level" value="2">' in page


def test_the_form_speaks_english_when_asked(stack: Any, invoke: Invoke, load_event: LoadEvent) -> None:
    # Given the plate opened with lang=en
    sig = plate_signature("640104-A017", stack.signing_secret)
    # When the function handles it
    response = invoke(FUNCTION, with_query(load_event(SAMPLE), sig=sig, lang="en"))
    # Then the page is in English
    assert response["statusCode"] == 200
    assert '<html lang="en"' in response["body"]
    assert hidden_inputs(response["body"])["lang"] == "en"


@pytest.mark.parametrize("query", [{}, {"sig": "AAAAAAAAAAAAAAAA"}])
def test_a_plate_link_without_a_valid_signature_is_403(
    stack: Any, invoke: Invoke, load_event: LoadEvent, query: dict[str, str]
) -> None:
    # Given window A017's link without its signature, or with a made-up one
    event = with_query(load_event(SAMPLE), **query)
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then the browser gets a 403 page, and no form
    assert response["statusCode"] == 403
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert 'name="submission_id"' not in response["body"]


@pytest.mark.parametrize("window_code", ["640104-Z099", "640104-X404"])
def test_an_inactive_or_unknown_window_is_404(
    stack: Any, invoke: Invoke, load_event: LoadEvent, window_code: str
) -> None:
    # Given a correctly signed link to a window out of service or not in the registry
    sig = plate_signature(window_code, stack.signing_secret)
    event = with_query(load_event(SAMPLE), window_code=window_code, sig=sig)
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then it is a 404 page
    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
