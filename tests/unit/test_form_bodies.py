"""A browser's form post, read as the JSON body it stands for."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from haochaping.api.web import device_token, form_to_submission, new_device_cookie
from haochaping.domain.plates import device_token_valid
from haochaping.domain.submission import RatingSubmission

pytestmark = pytest.mark.unit


def test_scalars_become_values_and_tags_a_list() -> None:
    # Given the form of the rating page's second step
    body = urlencode(
        [
            ("window_code", "640104-B003"),
            ("sig", "8LtX4Q0Vq3ZZcjZ3"),
            ("submission_id", "kX2d9Qm4Tz7LpR1wVb6Ne8"),
            ("lang", "en"),
            ("level", "1"),
            ("tags", "101"),
            ("tags", "102"),
            ("comment", "跑了三趟"),
        ]
    )
    # When reading it
    submission, lang = form_to_submission(body)
    # Then it is the JSON body, the language apart, and it validates
    assert submission == {
        "window_code": "640104-B003",
        "sig": "8LtX4Q0Vq3ZZcjZ3",
        "submission_id": "kX2d9Qm4Tz7LpR1wVb6Ne8",
        "level": "1",
        "tags": ["101", "102"],
        "comment": "跑了三趟",
    }
    assert lang == "en"
    assert RatingSubmission.model_validate(submission).level == 1


def test_a_single_tag_is_still_a_list_and_empty_fields_are_absent() -> None:
    # Given one tag, and the optional fields the page always sends, left empty
    body = "window_code=640104-A017&level=2&tags=201&comment=&case_no=&evaluator_name=&evaluator_phone="
    # When reading it
    submission, lang = form_to_submission(body)
    # Then the tag is a list and the empty fields are not there at all
    assert submission == {"window_code": "640104-A017", "level": "2", "tags": ["201"]}
    assert lang is None


def test_evaluator_fields_are_nested_with_consent_as_a_boolean() -> None:
    # Given a call-back request with consent ticked
    body = urlencode(
        {"level": "1", "evaluator_name": "张三", "evaluator_phone": "13812345678", "evaluator_consent": "true"}
    )
    # When reading it
    submission, _ = form_to_submission(body)
    # Then the evaluator is nested as the JSON body has it
    assert submission["evaluator"] == {"name": "张三", "phone": "13812345678", "consent": True}


def test_an_evaluator_without_the_consent_box_has_not_consented() -> None:
    # Given a name and phone, the consent box left unticked (browsers then send nothing)
    body = urlencode({"level": "1", "evaluator_name": "张三", "evaluator_phone": "13812345678"})
    # When reading it
    submission, _ = form_to_submission(body)
    # Then consent is False, which validation refuses
    assert submission["evaluator"]["consent"] is False


def test_the_last_of_repeated_scalar_values_counts() -> None:
    # Given a level sent twice (a face tapped, then another)
    # When reading it
    submission, _ = form_to_submission("level=5&level=2")
    # Then the last one counts
    assert submission["level"] == "2"


@pytest.mark.parametrize(
    ("cookies", "token"),
    [
        (["hcp_device=Jq4vX0c2LmT8yRw5Zb1NdA3e"], "Jq4vX0c2LmT8yRw5Zb1NdA3e"),
        (["theme=dark", " hcp_device = Jq4vX0c2LmT8yRw5Zb1NdA3e "], "Jq4vX0c2LmT8yRw5Zb1NdA3e"),
        (["hcp_device=short"], None),
        (["hcp_device=" + "x" * 65], None),
        (["other=Jq4vX0c2LmT8yRw5Zb1NdA3e"], None),
        ([], None),
        (None, None),
    ],
)
def test_the_device_token_comes_from_its_cookie_only(cookies: list[str] | None, token: str | None) -> None:
    # Given a request with some cookies
    class Event:
        pass

    event = Event()
    event.cookies = cookies  # type: ignore[attr-defined]
    # When reading the device token
    found = device_token(event)
    # Then only a well-sized hcp_device cookie counts
    assert found == token


@pytest.mark.parametrize("secure", [True, False])
def test_a_new_device_cookie_is_random_signed_http_only_and_lax(secure: bool) -> None:
    # Given two new device cookies
    secret = b"unit-test-signing-secret"
    first, second = new_device_cookie(secure, secret), new_device_cookie(secure, secret)
    # When comparing them
    # Then each is random and signed by the stack, hidden from scripts, same-site lax, secure on https
    assert first.value != second.value
    assert 16 <= len(first.value) <= 64
    assert device_token_valid(first.value, secret) and device_token_valid(second.value, secret)
    assert not device_token_valid(first.value, b"another stack")
    text = str(first)
    assert text.startswith("hcp_device=")
    assert "HttpOnly" in text
    assert "SameSite=Lax" in text
    assert ("Secure" in text) is secure
