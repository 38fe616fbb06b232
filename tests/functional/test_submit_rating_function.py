"""SubmitRatingFunction (POST /ratings) against the stack's tables in moto."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from haochaping.adapters import keys
from haochaping.domain.citizen_key import citizen_key_for
from haochaping.domain.plates import issue_device_token, issue_ticket, plate_signature
from haochaping.domain.rating import TRACKING_ALPHABET, tracking_code_for
from haochaping.observability import logger
from haochaping.settings import Settings, get_settings

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

FUNCTION = "SubmitRatingFunction"
PHONE = "13812345678"  # a made-up mobile number
# A browser's device cookie as the functional stack's rating form signs it (SIGNING_SECRET_VALUE).
DEVICE_COOKIE = "hcp_device=Jq4vX0c2LmT8yRw5Zb1NdA.XXOLll8gbbUhO58i"

Invoke = Callable[[str, dict[str, Any]], Any]
LoadEvent = Callable[[str], dict[str, Any]]


@pytest.fixture
def post(stack: Any, invoke: Invoke, load_event: LoadEvent) -> Callable[..., dict[str, Any]]:
    """POST /ratings with a JSON body, from the sample event; signs the window's plate unless told."""

    def send(body: dict[str, Any] | str, cookies: list[str] | None = None, sign: bool = True) -> dict[str, Any]:
        event = load_event("submit_rating/post_rating.json")
        event["headers"].pop("content-length", None)
        if isinstance(body, dict) and sign and "ticket" not in body and "sig" not in body:
            body = {**body, "sig": plate_signature(body.get("window_code", ""), stack.signing_secret)}
            # By the plate, a phone holds the device cookie of the form the plate opened: a new phone each
            # time unless told (a pad or a kiosk, the other channels here, has none).
            if cookies is None and body.get("channel", "qr") == "qr":
                cookies = [f"hcp_device={issue_device_token(uuid.uuid4().hex, stack.signing_secret)}"]
        event["body"] = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        if cookies:
            event["cookies"] = cookies
        return invoke(FUNCTION, event)

    return send


def rating(**changes: Any) -> dict[str, Any]:
    """A valid rating of window A017 (a clerk on duty there), changed as told."""
    body: dict[str, Any] = {"window_code": "640104-A017", "level": 4, "submission_id": "Zp3vN8cQ1yFj6uEa"}
    body.update(changes)
    return body


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    assert response["headers"]["Content-Type"] == "application/json"
    return json.loads(response["body"])


def error_of(response: dict[str, Any]) -> dict[str, Any]:
    return body_of(response)["error"]


def test_the_sample_rating_is_201_with_its_tracking_code_and_stored(
    stack: Any, invoke: Invoke, load_event: LoadEvent
) -> None:
    # Given the sample POST /ratings event: level 2 (不满意) from window A017's rating device
    event = load_event("submit_rating/post_rating.json")
    submitted = json.loads(event["body"])
    before = datetime.now(UTC)
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then it is 201 with the receipt
    assert response["statusCode"] == 201, response["body"]
    receipt = body_of(response)
    code = tracking_code_for(submitted["submission_id"], stack.signing_secret)
    assert len(code) == 12 and set(code) <= set(TRACKING_ALPHABET)
    assert receipt["tracking_code"] == code
    assert receipt["level"] == 2
    assert receipt["level_name"] == "不满意"
    assert receipt["window_code"] == "640104-A017"
    assert receipt["bad_review"] is True
    assert receipt["follow_up_rating"] is False
    rated_at_china = datetime.fromisoformat(receipt["rated_at"])
    assert rated_at_china.utcoffset() == timedelta(hours=8)
    # And exactly one rating is in the table, as the stream consumers will read it
    (item,) = stack.ratings()
    assert item["pk"] == {"S": keys.rating_key(code)}
    assert item["sk"] == {"S": keys.RATING_SORT_KEY}
    assert item["tracking_code"] == {"S": code}
    assert item["submission_id"] == {"S": submitted["submission_id"]}
    assert item["division_code"] == {"S": stack.environment["DIVISION_CODE"]}
    assert item["window_code"] == {"S": "640104-A017"}
    assert item["hall_code"] == {"S": "XQZWFW"}
    assert item["department_code"] == {"S": "11640104MB0000001A"}
    assert item["staff_job_number"] == {"S": "XQ1017"}
    assert item["level"] == {"N": "2"}
    assert item["bad_review"] == {"BOOL": True}
    assert item["channel"] == {"S": "window_device"}
    assert item["pf_code"] == {"N": "4"}
    assert item["tags"] == {"L": [{"S": "201"}, {"S": "203"}]}
    assert item["tag_version"] == {"S": "2026.1"}
    assert item["comment"] == {"S": submitted["comment"]}
    assert item["real_name"] == {"BOOL": False}
    assert item["assess_number"] == {"N": "1"}
    assert "evaluator_ciphertext" not in item
    # And rated_at is stored in UTC, the same instant as the receipt's Beijing time
    assert item["rated_at"]["S"].endswith("+0000")
    stored_at = datetime.strptime(item["rated_at"]["S"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert stored_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= stored_at <= datetime.now(UTC)
    assert stored_at.replace(microsecond=0) == rated_at_china
    # And a client without a device cookie claims no cool-down
    assert stack.marks() == []


@pytest.mark.parametrize(("level", "bad_review"), [(5, False), (4, False), (3, False), (2, True), (1, True)])
def test_bad_review_is_stored_for_the_two_lowest_levels(
    stack: Any, post: Callable[..., dict[str, Any]], level: int, bad_review: bool
) -> None:
    # Given a rating of a level
    # When the function handles it
    response = post(rating(level=level))
    # Then the stored item marks a bad review only for 不满意 and 非常不满意
    assert response["statusCode"] == 201
    assert body_of(response)["bad_review"] is bad_review
    (item,) = stack.ratings()
    assert item["level"] == {"N": str(level)}
    assert item["bad_review"] == {"BOOL": bad_review}


@pytest.mark.parametrize(("channel", "pf_code"), [("qr", 3), ("window_device", 4), ("kiosk", 5)])
def test_the_national_channel_code_is_stored(
    stack: Any, post: Callable[..., dict[str, Any]], channel: str, pf_code: int
) -> None:
    # Given a rating through a self-service channel
    # When the function handles it
    assert post(rating(channel=channel))["statusCode"] == 201
    # Then the item carries the channel and its pf code
    (item,) = stack.ratings()
    assert item["channel"] == {"S": channel}
    assert item["pf_code"] == {"N": str(pf_code)}


@pytest.mark.parametrize("channel", ["web", "app", "hotline", "sms", "opinion_book", "supervision", "dept_system"])
def test_channels_entered_by_staff_or_systems_are_refused_here(
    stack: Any, post: Callable[..., dict[str, Any]], channel: str
) -> None:
    # Given a rating claiming a channel that is not a citizen's own at a window
    # When the function handles it
    response = post(rating(channel=channel))
    # Then it is 422 naming the channel, and nothing is stored
    assert response["statusCode"] == 422
    assert [problem["field"] for problem in error_of(response)["fields"]] == ["channel"]
    assert stack.items() == []


def test_the_same_submission_again_is_200_with_the_same_receipt(
    stack: Any, invoke: Invoke, load_event: LoadEvent
) -> None:
    # Given the sample rating already recorded
    event = load_event("submit_rating/post_rating.json")
    first = invoke(FUNCTION, event)
    assert first["statusCode"] == 201
    # When the same submission arrives again (a retry after a lost response)
    second = invoke(FUNCTION, event)
    # Then it is 200 with the same receipt, and there is still exactly one rating
    assert second["statusCode"] == 200
    assert body_of(second) == body_of(first)
    assert len(stack.ratings()) == 1


def test_a_resubmission_with_other_content_returns_what_was_recorded(
    stack: Any, post: Callable[..., dict[str, Any]]
) -> None:
    # Given a rating already recorded at level 2
    first = body_of(post(rating(level=2, tags=["201"])))
    # When the same submission id arrives with level 5
    response = post(rating(level=5, tags=["501"], comment="改主意了"))
    # Then the first rating stands: 200 with its receipt, and the item is unchanged
    assert response["statusCode"] == 200
    assert body_of(response) == first
    (item,) = stack.ratings()
    assert item["level"] == {"N": "2"}


def test_different_submissions_get_different_items(stack: Any, post: Callable[..., dict[str, Any]]) -> None:
    # Given two submissions with different ids from a client without a device cookie
    codes = set()
    for submission_id in ("Zp3vN8cQ1yFj6uEa", "Zp3vN8cQ1yFj6uEb"):
        # When each is handled
        response = post(rating(submission_id=submission_id))
        assert response["statusCode"] == 201
        codes.add(body_of(response)["tracking_code"])
    # Then there are two tracking codes and two items
    assert len(codes) == 2
    assert {item["tracking_code"]["S"] for item in stack.ratings()} == codes


def test_the_sample_form_post_is_recorded_and_redirected_to_the_receipt(
    stack: Any, invoke: Invoke, load_event: LoadEvent
) -> None:
    # Given the sample form post of the rating page: level 1 at window B003, two tags, a device cookie
    event = load_event("submit_rating/post_rating_form.json")
    assert event["isBase64Encoded"] is True
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then the browser is sent to the receipt page of the new rating, in its language
    assert response["statusCode"] == 303, response["body"]
    (item,) = stack.ratings()
    code = item["tracking_code"]["S"]
    assert code == tracking_code_for("kX2d9Qm4Tz7LpR1wVb6Ne8", stack.signing_secret)
    key = citizen_key_for("kX2d9Qm4Tz7LpR1wVb6Ne8", stack.signing_secret)
    assert response["headers"]["Location"] == f"/ratings/{code}?lang=zh&key={key}"
    # And the rating is stored like a JSON one, with the QR plate as channel
    assert item["window_code"] == {"S": "640104-B003"}
    assert item["level"] == {"N": "1"}
    assert item["tags"] == {"L": [{"S": "101"}, {"S": "102"}]}
    assert item["comment"] == {"S": "材料要求前后说法不一致，跑了三趟。"}
    assert item["channel"] == {"S": "qr"}
    assert item["pf_code"] == {"N": "3"}
    assert item["real_name"] == {"BOOL": False}
    assert "staff_job_number" not in item  # nobody is rostered at B003
    # And the device's cool-down at that window is claimed in the same write
    (mark,) = stack.marks()
    assert mark["kind"] == {"S": "cooldown"}
    assert mark["pk"]["S"].startswith(keys.cooldown_key(""))
    assert "Jq4vX0c2LmT8yRw5Zb1NdA" not in json.dumps(mark)


def test_an_invalid_form_post_is_answered_with_a_page(stack: Any, invoke: Invoke, load_event: LoadEvent) -> None:
    # Given the sample form post with a level out of range and the phone number left in the comment
    event = load_event("submit_rating/post_rating_form.json")
    form = base64.b64decode(event["body"]).decode().replace("level=1", "level=9")
    form += "&" + urlencode({"comment": f"请回电 {PHONE}"})
    event["body"] = base64.b64encode(form.encode()).decode()
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then it is a 422 page naming the field, with a link back, echoing nothing, storing nothing
    assert response["statusCode"] == 422
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert "满意度" in response["body"]
    assert "/r/640104-B003" in response["body"]
    assert PHONE not in response["body"]
    assert stack.items() == []


def test_invalid_fields_are_422_naming_each_and_nothing_is_stored(
    stack: Any, post: Callable[..., dict[str, Any]]
) -> None:
    # Given a rating with a malformed window code holding a phone number, level 6 and an unknown channel
    body = {"window_code": f"{PHONE} 窗口", "level": 6, "submission_id": "Zp3vN8cQ1yFj6uEa", "channel": "fax"}
    # When the function handles it
    response = post(body, sign=False)
    # Then it is 422 naming the three fields, not echoing a value, and nothing is stored
    assert response["statusCode"] == 422
    error = error_of(response)
    assert error["code"] == "invalid_fields"
    assert sorted(problem["field"] for problem in error["fields"]) == ["channel", "level", "window_code"]
    assert PHONE not in response["body"]
    assert stack.items() == []


def test_tags_of_another_level_are_422(stack: Any, post: Callable[..., dict[str, Any]]) -> None:
    # Given a level-2 rating with a level-5 tag
    # When the function handles it
    response = post(rating(level=2, tags=["201", "501"]))
    # Then it is 422 naming the tags, and nothing is stored
    assert response["statusCode"] == 422
    error = error_of(response)
    assert [problem["field"] for problem in error["fields"]] == ["tags"]
    assert "501" in error["fields"][0]["problem"]
    assert stack.items() == []


def test_malformed_json_is_400_and_nothing_is_stored(stack: Any, post: Callable[..., dict[str, Any]]) -> None:
    # Given a body cut short
    # When the function handles it
    response = post('{"window_code": "640104-A017", "level": 2')
    # Then it is 400 malformed_json
    assert response["statusCode"] == 400
    assert error_of(response)["code"] == "malformed_json"
    assert stack.items() == []


def test_a_body_over_16_kb_is_413_and_nothing_is_stored(stack: Any, post: Callable[..., dict[str, Any]]) -> None:
    # Given a valid-looking rating padded past 16 KB
    # When the function handles it
    response = post(rating(comment="a" * 17000))
    # Then it is 413
    assert response["statusCode"] == 413
    assert json.loads(response["body"])["error"]["code"] == "payload_too_large"
    assert stack.items() == []


def test_an_unsupported_content_type_is_415_and_nothing_is_stored(
    stack: Any, invoke: Invoke, load_event: LoadEvent
) -> None:
    # Given the sample rating sent as text/plain
    event = load_event("submit_rating/post_rating.json")
    event["headers"]["content-type"] = "text/plain"
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then it is 415
    assert response["statusCode"] == 415
    assert error_of(response)["code"] == "unsupported_content_type"
    assert stack.items() == []


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        ({}, "forbidden"),
        ({"sig": "AAAAAAAAAAAAAAAA"}, "signature_invalid"),
        ({"sig": "WRONG-WINDOW"}, "signature_invalid"),
    ],
)
def test_a_rating_without_the_plates_signature_is_403(
    stack: Any, post: Callable[..., dict[str, Any]], credentials: dict[str, str], code: str
) -> None:
    # Given a rating without a signature, with a made-up one, or with another window's
    if credentials.get("sig") == "WRONG-WINDOW":
        credentials = {"sig": plate_signature("640104-B003", stack.signing_secret)}
    # When the function handles it
    response = post({**rating(), **credentials}, sign=False)
    # Then it is 403 and nothing is stored
    assert response["statusCode"] == 403
    assert error_of(response)["code"] == code
    assert stack.items() == []


@pytest.mark.parametrize("window_code", ["640104-Z099", "640104-X404"])
def test_an_inactive_or_unknown_window_is_404(
    stack: Any, post: Callable[..., dict[str, Any]], window_code: str
) -> None:
    # Given a correctly signed rating of a window out of service, or not in the registry
    # When the function handles it
    response = post(rating(window_code=window_code))
    # Then it is 404 and nothing is stored
    assert response["statusCode"] == 404
    assert error_of(response)["code"] == "not_found"
    assert stack.items() == []


def test_one_device_rates_one_window_once_per_cooldown(stack: Any, post: Callable[..., dict[str, Any]]) -> None:
    # Given a rating from a browser at window A017
    assert post(rating(submission_id="first-rating-01"), cookies=[DEVICE_COOKIE])["statusCode"] == 201
    # When the same device sends another rating there (not a retry: a new submission)
    again = post(rating(submission_id="second-rating-01"), cookies=[DEVICE_COOKIE])
    # Then it is 429 with the wait in Retry-After, and only the first is stored
    assert again["statusCode"] == 429
    assert error_of(again)["code"] == "too_many_requests"
    cooldown = int(stack.environment["RATING_COOLDOWN_MINUTES"]) * 60
    assert 0 < int(again["headers"]["Retry-After"]) <= cooldown
    assert len(stack.ratings()) == 1
    # And the same device may still rate another window, and other devices this one
    assert (
        post(rating(window_code="640104-B003", submission_id="third-rating-01"), cookies=[DEVICE_COOKIE])["statusCode"]
        == 201
    )
    other_device = [f"hcp_device={issue_device_token('Zz9vX0c2LmT8yRw5Zb1NdA', stack.signing_secret)}"]
    assert post(rating(submission_id="fourth-rating-1"), cookies=other_device)["statusCode"] == 201


def test_a_retry_within_the_cooldown_is_still_the_same_rating(stack: Any, post: Callable[..., dict[str, Any]]) -> None:
    # Given a rating from a browser
    first = post(rating(), cookies=[DEVICE_COOKIE])
    # When the browser sends the same submission again
    again = post(rating(), cookies=[DEVICE_COOKIE])
    # Then it is the same rating, not a cool-down refusal
    assert (first["statusCode"], again["statusCode"]) == (201, 200)
    assert body_of(again) == body_of(first)


def test_a_ticket_allows_one_rating(stack: Any, post: Callable[..., dict[str, Any]]) -> None:
    # Given a queue ticket issued at window A017 ten minutes ago
    token = issue_ticket("640104-A017", "A023", datetime.now(UTC) - timedelta(minutes=10), stack.signing_secret)
    # When it is used for a rating, and then for another one
    first = post(rating(ticket=token, submission_id="ticket-rating-1"))
    second = post(rating(ticket=token, submission_id="ticket-rating-2"))
    # Then the first is recorded and the second refused
    assert first["statusCode"] == 201
    assert second["statusCode"] == 403
    assert "ticket" in error_of(second)["message"]
    assert len(stack.ratings()) == 1
    assert [mark["kind"]["S"] for mark in stack.marks()] == ["ticket"]


def test_an_expired_ticket_is_403(stack: Any, post: Callable[..., dict[str, Any]]) -> None:
    # Given a ticket older than the district's validity
    hours = int(stack.environment["TICKET_VALIDITY_HOURS"])
    token = issue_ticket("640104-A017", "A023", datetime.now(UTC) - timedelta(hours=hours + 1), stack.signing_secret)
    # When it is used
    response = post(rating(ticket=token))
    # Then it is refused as expired
    assert response["statusCode"] == 403
    assert error_of(response)["code"] == "ticket_expired"
    assert stack.items() == []


def test_a_case_takes_one_rating_and_one_follow_up(stack: Any, post: Callable[..., dict[str, Any]]) -> None:
    # Given a case rated once
    first = post(rating(case_no="XQ-2026-000123", submission_id="case-rating-01"))
    assert first["statusCode"] == 201
    assert body_of(first)["follow_up_rating"] is False
    # When it is rated again, and a third time
    second = post(rating(case_no="XQ-2026-000123", submission_id="case-rating-02", level=2, tags=["201"]))
    third = post(rating(case_no="XQ-2026-000123", submission_id="case-rating-03"))
    # Then the second is its follow-up rating 追评 and the third a conflict
    assert second["statusCode"] == 201
    assert body_of(second)["follow_up_rating"] is True
    assert third["statusCode"] == 409
    assert error_of(third)["code"] == "conflict"
    assessed = sorted(item["assess_number"]["N"] for item in stack.ratings())
    assert assessed == ["1", "2"]
    (case,) = stack.of_kind("case")  # beside each phone's cool-down
    assert case["rating_count"] == {"N": "2"}
    assert [code["S"] for code in case["tracking_codes"]["L"]] == [
        body_of(first)["tracking_code"],
        body_of(second)["tracking_code"],
    ]


def test_a_real_name_rating_stores_the_evaluator_only_encrypted(
    stack: Any, post: Callable[..., dict[str, Any]], captured_output: Callable[[], str]
) -> None:
    # Given a bad review asking for a call-back, with name, phone and consent
    evaluator = {"name": "张三", "phone": PHONE, "consent": True}
    # When the function handles it
    response = post(rating(level=1, tags=["101"], evaluator=evaluator))
    # Then the rating is real-name, the name and phone are nowhere in plain text, nor in the logs
    assert response["statusCode"] == 201
    assert PHONE not in response["body"]
    (item,) = stack.ratings()
    assert item["real_name"] == {"BOOL": True}
    assert PHONE not in json.dumps(item, default=str)
    assert "张三" not in json.dumps(item, default=str, ensure_ascii=False)
    assert PHONE not in captured_output()
    # And the ciphertext is an item of its own beside the rating (so it can be removed while the
    # rating stays), with no removal date yet, and opens with the stack's key, bound to this code
    assert "evaluator_ciphertext" not in item
    (evaluator_item,) = stack.of_kind("evaluator")
    assert evaluator_item["pk"] == item["pk"]
    assert evaluator_item["sk"] == {"S": keys.EVALUATOR_SORT_KEY}
    assert set(evaluator_item) == {"pk", "sk", "kind", "ciphertext"}
    assert PHONE not in json.dumps(evaluator_item, default=str)
    ciphertext = evaluator_item["ciphertext"]["B"]
    assert stack.stores.evaluators.unseal(ciphertext, item["tracking_code"]["S"]) == {"name": "张三", "phone": PHONE}


def test_a_call_back_without_consent_is_422(stack: Any, post: Callable[..., dict[str, Any]]) -> None:
    # Given call-back details without consent
    evaluator = {"name": "张三", "phone": PHONE, "consent": False}
    # When the function handles it
    response = post(rating(level=1, evaluator=evaluator))
    # Then it is 422 naming the consent, without echoing the phone
    assert response["statusCode"] == 422
    assert [problem["field"] for problem in error_of(response)["fields"]] == ["evaluator.consent"]
    assert PHONE not in response["body"]
    assert stack.items() == []


@pytest.fixture(params=["INFO", "DEBUG"])
def log_level(request: pytest.FixtureRequest) -> Iterator[str]:
    """The template's default level, and the most verbose one it allows."""
    previous = logger.log_level
    logger.setLevel(request.param)
    yield request.param
    logger.setLevel(previous)


def test_the_comment_never_reaches_the_logs(
    stack: Any, post: Callable[..., dict[str, Any]], captured_output: Callable[[], str], log_level: str
) -> None:
    # Given ratings whose comment holds a phone number: one valid, the same again, one invalid
    comment = f"工作人员让我打 {PHONE} 问进度，一直没人接。"
    valid = rating(level=1, tags=["101"], comment=comment)
    invalid = valid | {"level": 0, "comment": comment * 20}
    # When the function handles them
    for body in (valid, valid, invalid):
        post(body)
    # Then the logs show the ratings were handled, and the phone number is in no line
    output = captured_output()
    assert "rating recorded" in output
    assert "rating resubmitted" in output
    assert "RatingsSubmitted" in output  # the metric blob went through the same capture
    assert PHONE not in output
    (item,) = stack.ratings()
    assert item["comment"] == {"S": comment}


def test_the_function_environment_is_the_template_globals(stack: Any) -> None:
    # Given the template's Globals and the settings the functions read
    # When comparing the names
    settings_names = {name.upper() for name in Settings.model_fields}
    # Then every setting is set by the template, and reading them succeeds
    assert settings_names <= set(stack.environment)
    settings = get_settings()
    assert settings.ratings_table == stack.tables["RatingsTable"]
    assert settings.registry_table == stack.tables["RegistryTable"]
    assert settings.signing_secret_name == f"haochaping/{settings.division_code}/signing"


def test_both_samples_are_post_ratings_in_http_api_format(load_event: LoadEvent) -> None:
    # Given the JSON sample and the form sample
    # When reading their routes
    # Then both are POST /ratings in the HTTP API 2.0 format
    for name in ("post_rating.json", "post_rating_form.json"):
        event = load_event(f"submit_rating/{name}")
        assert event["version"] == "2.0"
        assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /ratings"
        assert event["requestContext"]["http"]["method"] == "POST"
        assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/ratings"
