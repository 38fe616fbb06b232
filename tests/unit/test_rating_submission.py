"""What a citizen may submit: RatingSubmission, field by field."""

from __future__ import annotations

from typing import Any

import pytest
from haochaping.domain.rating import COMMENT_MAX_LENGTH, Channel
from haochaping.domain.submission import RatingSubmission
from pydantic import ValidationError

pytestmark = pytest.mark.unit

VALID: dict[str, Any] = {
    "window_code": "640104-A017",
    "level": 2,
    "submission_id": "Zp3vN8cQ1yFj6uEa",
    "tags": ["201", "203"],
    "comment": "排队等了很久，叫号系统不清楚。",
    "channel": "qr",
}


def invalid_fields(error: ValidationError) -> set[str]:
    return {str(problem["loc"][0]) for problem in error.errors()}


def test_a_complete_submission_is_accepted() -> None:
    # Given every field with a valid value
    # When validating it
    submission = RatingSubmission.model_validate(VALID)
    # Then each value is kept
    assert submission.window_code == "640104-A017"
    assert submission.level == 2
    assert submission.submission_id == "Zp3vN8cQ1yFj6uEa"
    assert submission.tags == ["201", "203"]
    assert submission.comment == "排队等了很久，叫号系统不清楚。"
    assert submission.channel is Channel.QR


def test_optional_fields_have_defaults() -> None:
    # Given only the required fields
    minimal = {"window_code": "640104-A017", "level": 5, "submission_id": "q7Hk2mWx9TbR4nLs"}
    # When validating it
    submission = RatingSubmission.model_validate(minimal)
    # Then the channel is the QR plate, with no tags, comment, credentials, case or evaluator
    assert submission.channel is Channel.QR
    assert submission.tags == []
    assert submission.comment == ""
    assert (submission.sig, submission.ticket, submission.case_no, submission.item_code) == (None, None, None, None)
    assert submission.evaluator is None


def test_whitespace_around_strings_is_stripped() -> None:
    # Given values with spaces around them (a form, a sloppy client)
    padded = {**VALID, "window_code": "  640104-A017 ", "comment": "  很好  ", "tags": [" 501 "], "level": 5}
    # When validating it
    submission = RatingSubmission.model_validate(padded)
    # Then the spaces are gone and the values are valid
    assert submission.window_code == "640104-A017"
    assert submission.comment == "很好"
    assert submission.tags == ["501"]


def test_level_may_arrive_as_a_string_as_forms_send_it() -> None:
    # Given the level as text
    # When validating it
    submission = RatingSubmission.model_validate({**VALID, "level": "3"})
    # Then it is the number
    assert submission.level == 3


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_every_level_from_one_to_five_is_accepted(level: int) -> None:
    # Given a level 1 … 5
    # When validating
    submission = RatingSubmission.model_validate({**VALID, "level": level})
    # Then it is kept
    assert submission.level == level


@pytest.mark.parametrize("channel", [channel.value for channel in Channel])
def test_every_channel_is_accepted(channel: str) -> None:
    # Given any known channel
    # When validating
    submission = RatingSubmission.model_validate({**VALID, "channel": channel})
    # Then it is kept
    assert submission.channel == Channel(channel)


def test_the_longest_comment_and_most_tags_are_accepted() -> None:
    # Given a comment of exactly the maximum length and ten tags
    edge = {**VALID, "comment": "好" * COMMENT_MAX_LENGTH, "tags": [f"2{n:02d}" for n in range(10)]}
    # When validating
    submission = RatingSubmission.model_validate(edge)
    # Then both are kept
    assert len(submission.comment) == COMMENT_MAX_LENGTH
    assert len(submission.tags) == 10


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("window_code", ""),
        ("window_code", "   "),
        ("window_code", "640104 A017"),
        ("window_code", "窗口17"),
        ("window_code", "A" * 41),
        ("window_code", "640104-a017"),
        ("window_code", "640104A017"),
        ("sig", "s" * 65),
        ("ticket", "t" * 201),
        ("case_no", "abc"),
        ("case_no", "case no 2026"),
        ("item_code", "item/1"),
        ("level", 0),
        ("level", 6),
        ("level", "five"),
        ("level", 2.5),
        ("level", None),
        ("tags", ["601"]),
        ("tags", ["001"]),
        ("tags", ["20"]),
        ("tags", ["2011"]),
        ("tags", "201"),
        ("tags", [f"2{n:02d}" for n in range(11)]),
        ("comment", "好" * (COMMENT_MAX_LENGTH + 1)),
        ("comment", 42),
        ("channel", "fax"),
        ("channel", "QR"),
        ("channel", ""),
        ("submission_id", "short"),
        ("submission_id", "x" * 65),
        ("submission_id", "has space 1234"),
        ("submission_id", "semi;colon-1234"),
        ("submission_id", 12345678),
    ],
)
def test_each_invalid_field_is_refused_by_name(field: str, value: Any) -> None:
    # Given a valid submission with one field made invalid
    submission = {**VALID, field: value}
    # When validating it
    with pytest.raises(ValidationError) as raised:
        RatingSubmission.model_validate(submission)
    # Then exactly that field is named
    assert invalid_fields(raised.value) == {field}


@pytest.mark.parametrize("field", ["window_code", "level", "submission_id"])
def test_each_required_field_is_required(field: str) -> None:
    # Given a submission without one required field
    submission = {key: value for key, value in VALID.items() if key != field}
    # When validating it
    with pytest.raises(ValidationError) as raised:
        RatingSubmission.model_validate(submission)
    # Then that field is named as missing
    assert invalid_fields(raised.value) == {field}
    assert raised.value.errors()[0]["type"] == "missing"


def test_unknown_fields_are_refused() -> None:
    # Given a submission carrying a field the API does not know (e.g. the citizen's phone)
    submission = {**VALID, "phone": "13812345678"}
    # When validating it
    with pytest.raises(ValidationError) as raised:
        RatingSubmission.model_validate(submission)
    # Then that field is refused rather than silently dropped
    assert invalid_fields(raised.value) == {"phone"}
    assert raised.value.errors()[0]["type"] == "extra_forbidden"


def test_repeated_tags_are_kept_once_in_order() -> None:
    # Given the same tag twice (a double tap)
    # When validating
    submission = RatingSubmission.model_validate({**VALID, "tags": ["203", "201", "203"]})
    # Then each tag is kept once, in the order first given
    assert submission.tags == ["203", "201"]


def test_an_evaluator_with_consent_is_accepted() -> None:
    # Given real-name call-back details with consent
    evaluator = {"name": " 张三 ", "phone": "13812345678", "consent": True}
    # When validating
    submission = RatingSubmission.model_validate({**VALID, "evaluator": evaluator})
    # Then they are kept, trimmed
    assert submission.evaluator is not None
    assert (submission.evaluator.name, submission.evaluator.phone) == ("张三", "13812345678")


@pytest.mark.parametrize(
    ("evaluator", "field"),
    [
        ({"name": "张三", "phone": "13812345678", "consent": False}, "consent"),
        ({"name": "张三", "phone": "13812345678"}, "consent"),
        ({"name": "张三", "phone": "12812345678", "consent": True}, "phone"),
        ({"name": "张三", "phone": "1381234567", "consent": True}, "phone"),
        ({"name": "张三", "phone": "+8613812345678", "consent": True}, "phone"),
        ({"name": "", "phone": "13812345678", "consent": True}, "name"),
        ({"name": "张三", "phone": "13812345678", "consent": True, "id_card": "x"}, "id_card"),
    ],
)
def test_an_unusable_evaluator_is_refused_by_field(evaluator: dict[str, Any], field: str) -> None:
    # Given call-back details with one problem
    # When validating
    with pytest.raises(ValidationError) as raised:
        RatingSubmission.model_validate({**VALID, "evaluator": evaluator})
    # Then the error is located at that field of the evaluator
    assert [problem["loc"] for problem in raised.value.errors()] == [("evaluator", field)]
