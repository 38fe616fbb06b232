"""The citizen's key against the stack in moto: the receipt gives it (JSON and the form's redirect),
the receipt page's forms carry it, CitizenFollowupFunction asks for it, wrong ones are counted per
source, and it reaches no log line and no staff response."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from haochaping.adapters import keys
from haochaping.domain.citizen_key import WRONG_KEYS_ALLOWED, citizen_key_for

from tests.functional.test_followup_functions import (
    OFFICER,
    SUPERVISOR,
    District,
    body_of,
    district_of,
    error_of,
)
from tests.functional.test_score_ratings_function import DONE

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

SAMPLE_KEY = "g_oAtE53SgH8dLLf6Iwqyw"  # the sample rating's key, in the sample verdict and appeal
WRONG_KEY = "AAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def district(stack: Any, invoke: Callable[[str, dict[str, Any]], Any], load_event: Callable[[str], Any]) -> District:
    return district_of(stack, invoke, load_event)


def replied(district: District) -> str:
    """A bad review worked to the officer's feedback: its tracking code."""
    code = district.bad_review()
    district.acted(code, OFFICER, "resolve_on_spot", text="当场补办")
    district.acted(code, OFFICER, "give_feedback", text="已当场解决")
    return code


def verdict(district: District, code: str, key: str | None, source_ip: str = "198.51.100.23") -> dict[str, Any]:
    event = district.load_event("citizen_followup/post_verdict.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/ratings/{code}/verdict"
    event["pathParameters"] = {"tracking_code": code}
    event["requestContext"]["http"]["sourceIp"] = source_ip
    event["body"] = json.dumps({"verdict": "satisfied", **({"citizen_key": key} if key is not None else {})})
    return dict(district.invoke("CitizenFollowupFunction", event))


def page(district: District, code: str, query: dict[str, str]) -> str:
    event = district.load_event("rating_status/get_rating.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/ratings/{code}"
    event["pathParameters"] = {"tracking_code": code}
    event["rawQueryString"] = urlencode(query)
    event["queryStringParameters"] = query
    event["headers"]["accept"] = "text/html"
    response = district.invoke("RatingStatusFunction", event)
    assert response["statusCode"] == 200, response["body"]
    return str(response["body"])


def test_the_json_receipt_gives_the_key_and_a_resubmission_the_same_one(district: District) -> None:
    # Given the sample rating, submitted twice (a phone's retry)
    first = district.invoke("SubmitRatingFunction", district.load_event("submit_rating/post_rating.json"))
    again = district.invoke("SubmitRatingFunction", district.load_event("submit_rating/post_rating.json"))
    # Then both receipts carry the one key, derived from the submission with the stack's secret
    assert (first["statusCode"], again["statusCode"]) == (201, 200)
    assert body_of(first)["citizen_key"] == body_of(again)["citizen_key"] == SAMPLE_KEY
    assert citizen_key_for("Zp3vN8cQ1yFj6uEa", district.stack.signing_secret) == SAMPLE_KEY
    # And it is stored nowhere: no item of the table holds it
    assert SAMPLE_KEY not in json.dumps(district.stack.items())


def test_the_form_post_redirects_to_the_receipt_page_whose_link_carries_the_key(district: District) -> None:
    # Given the sample form post
    response = district.invoke("SubmitRatingFunction", district.load_event("submit_rating/post_rating_form.json"))
    # Then the receipt page it redirects to carries the key of that submission in its link
    assert response["statusCode"] == 303, response["body"]
    location = urlparse(response["headers"]["Location"])
    query = parse_qs(location.query)
    assert query["key"] == [citizen_key_for("kX2d9Qm4Tz7LpR1wVb6Ne8", district.stack.signing_secret)]
    assert query["lang"] == ["zh"]


def test_the_sample_verdict_with_the_sample_key_closes_the_sample_task(district: District) -> None:
    # Given the sample bad review, its task worked to feedback
    sample = district.invoke("SubmitRatingFunction", district.load_event("submit_rating/post_rating.json"))
    code = body_of(sample)["tracking_code"]
    assert district.stream() == DONE
    assert district.open_followups(district.follow_up_messages()) == {"batchItemFailures": []}
    district.acted(code, OFFICER, "resolve_on_spot", text="当场补办")
    district.acted(code, OFFICER, "give_feedback", text="已当场解决")
    # When the sample verdict is handled
    response = district.invoke("CitizenFollowupFunction", district.load_event("citizen_followup/post_verdict.json"))
    # Then it closes the task
    assert response["statusCode"] == 200, response["body"]
    assert body_of(response) == {"tracking_code": code, "state": "closed"}


@pytest.mark.parametrize("key", [None, "", WRONG_KEY, "x" * 100], ids=["missing", "empty", "wrong", "long"])
def test_a_verdict_without_the_right_key_is_403_in_the_one_error_shape(district: District, key: str | None) -> None:
    # Given a bad review replied to; an officer knows its tracking code
    code = replied(district)
    # When a verdict is posted without the citizen's key, or with a wrong one
    response = verdict(district, code, key)
    # Then it is 403 in the API's error shape, and the task waits for the citizen
    assert response["statusCode"] == 403, response["body"]
    assert error_of(response)["code"] == "citizen_key_refused"
    assert set(error_of(response)) == {"status", "code", "message"}
    assert district.task(code)["state"] == "feedback_given"


def test_an_appeal_without_the_key_is_403(district: District) -> None:
    code = district.bad_review()
    district.acted(code, OFFICER, "propose_not_adopted", reason="mistaken", text="监控显示未在本窗口办理")
    district.acted(code, SUPERVISOR, "approve_not_adopted")
    district.acted(code, OFFICER, "give_feedback", text="经核实为误评，不予采纳")
    refused = district.citizen(code, "appeal", {"text": "我确实办理了", "citizen_key": WRONG_KEY})
    assert refused["statusCode"] == 403 and error_of(refused)["code"] == "citizen_key_refused"
    assert district.citizen(code, "appeal", {"text": "我确实办理了"})["statusCode"] == 200


def test_wrong_keys_from_one_source_are_429_for_a_while_and_the_citizen_elsewhere_still_acts(
    district: District,
) -> None:
    # Given an office that sent the allowed number of wrong keys for a rating
    code = replied(district)
    office = "198.51.100.40"
    for _ in range(WRONG_KEYS_ALLOWED):
        assert verdict(district, code, WRONG_KEY, office)["statusCode"] == 403
    # When it sends another key
    limited = verdict(district, code, district.citizen_keys[code], office)
    # Then it is 429 with Retry-After, whatever the key
    assert limited["statusCode"] == 429, limited["body"]
    assert error_of(limited)["code"] == "too_many_wrong_keys"
    assert 0 < int(limited["headers"]["Retry-After"]) <= 15 * 60 + 1
    # And the counter holds only a hash of the source, and lapses by TTL
    (counter,) = district.stack.of_kind("wrong_keys")
    assert office not in json.dumps(counter) and counter["tally"] == {"N": str(WRONG_KEYS_ALLOWED)}
    assert "expires_at" in counter
    # And the citizen, from their own phone, gives the verdict
    assert verdict(district, code, district.citizen_keys[code], "203.0.113.9")["statusCode"] == 200


def test_the_receipt_page_offers_the_forms_only_with_the_key_and_each_form_carries_it(district: District) -> None:
    # Given a bad review replied to
    code = replied(district)
    key = district.citizen_keys[code]
    # When the citizen opens the receipt page from the link they got, and someone opens it by code alone
    with_key = page(district, code, {"key": key, "lang": "zh"})
    by_code = page(district, code, {"lang": "zh"})
    # Then only the first has the verdict form, carrying the key, and a link to keep
    assert re.search(rf'<input type="hidden" name="citizen_key" value="{key}">', with_key)
    assert f'action="/ratings/{code}/verdict"' in with_key
    assert 'id="citizen-link"' in with_key
    assert "/verdict" not in by_code and key not in by_code
    assert 'id="key-needed"' in by_code


def test_a_form_verdict_with_the_key_goes_back_to_the_page_and_without_it_is_a_403_page(district: District) -> None:
    # Given a bad review replied to, and the verdict form of its receipt page as a browser posts it
    code = replied(district)
    key = district.citizen_keys[code]
    event = district.load_event("citizen_followup/post_verdict.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/ratings/{code}/verdict"
    event["pathParameters"] = {"tracking_code": code}
    event["headers"]["content-type"] = "application/x-www-form-urlencoded"
    event["headers"]["accept"] = "text/html"
    # When it is sent with a wrong key, then with the right one
    event["body"] = urlencode({"lang": "en", "verdict": "satisfied", "citizen_key": WRONG_KEY})
    refused = district.invoke("CitizenFollowupFunction", dict(event))
    event["body"] = urlencode({"lang": "en", "verdict": "satisfied", "citizen_key": key})
    sent = district.invoke("CitizenFollowupFunction", dict(event))
    # Then the first is a 403 page saying the link's key is not right
    assert refused["statusCode"] == 403
    assert refused["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert "The key in this link is not right" in refused["body"]
    # And the second goes back to the receipt page, its link keeping the key, to confirm the verdict
    assert sent["statusCode"] == 303, sent["body"]
    assert sent["headers"]["Location"] == f"/ratings/{code}?{urlencode({'lang': 'en', 'key': key, 'done': 'verdict'})}"
    assert district.task(code)["state"] == "closed"


def test_the_key_reaches_no_log_line_and_no_staff_response_or_notice(
    district: District, log_records: Callable[[], list[dict[str, Any]]]
) -> None:
    # Given a bad review replied to, the citizen's verdict given with the key and one refused
    code = replied(district)
    key = district.citizen_keys[code]
    assert verdict(district, code, WRONG_KEY)["statusCode"] == 403
    assert verdict(district, code, key)["statusCode"] == 200
    # When staff list and open the task, and the officers' notices are read
    listed = district.staff(OFFICER, "GET", "/staff/tasks")
    shown = district.get(code)
    notices = district.officer_inbox.messages()
    # Then the key is in none of them, nor in any log line, nor in any item
    assert notices and code in json.dumps(notices)
    for text in (listed["body"], shown["body"], json.dumps(notices), json.dumps(log_records())):
        assert key not in text
    assert key not in json.dumps(district.stack.items())
    assert district.item(keys.rating_key(code), keys.RATING_SORT_KEY) is not None
