"""The rules of a rating: levels, channels, tracking codes and the follow-up period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from haochaping.domain.rating import (
    CHINA_TIME,
    TRACKING_ALPHABET,
    Channel,
    Level,
    Rating,
    tracking_code_for,
    within_follow_up_period,
)

pytestmark = pytest.mark.unit

SECRET = b"unit-test-signing-secret-not-a-real-one-0123456789"
FIRST_RATED = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # Thursday 14:30 in Yinchuan


@pytest.mark.parametrize(
    ("level", "bad_review"),
    [
        (Level.VERY_SATISFIED, False),
        (Level.SATISFIED, False),
        (Level.BASICALLY_SATISFIED, False),
        (Level.DISSATISFIED, True),
        (Level.VERY_DISSATISFIED, True),
    ],
)
def test_only_the_two_lowest_levels_are_a_bad_review(level: Level, bad_review: bool) -> None:
    # Given a level
    # When asking whether it is a bad review 差评
    result = level.is_bad_review
    # Then only 不满意 and 非常不满意 are
    assert result is bad_review


@pytest.mark.parametrize(
    ("level_code", "gbt39046_code"),
    [(5, 1), (4, 2), (3, 3), (2, 4), (1, 5)],
)
def test_gbt39046_code_counts_the_other_way_round(level_code: int, gbt39046_code: int) -> None:
    # Given a level by its platform levelCode (5 = best)
    level = Level(level_code)
    # When mapping it to GB/T 39046 A.8 满意度代码
    code = level.gbt39046_code
    # Then 1 is the best there
    assert code == gbt39046_code


@pytest.mark.parametrize(
    ("level", "name_zh"),
    [
        (Level.VERY_SATISFIED, "非常满意"),
        (Level.SATISFIED, "满意"),
        (Level.BASICALLY_SATISFIED, "基本满意"),
        (Level.DISSATISFIED, "不满意"),
        (Level.VERY_DISSATISFIED, "非常不满意"),
    ],
)
def test_each_level_has_its_chinese_name(level: Level, name_zh: str) -> None:
    # Given a level
    # When asking its Chinese name
    name = level.name_zh
    # Then it is the name of the national list
    assert name == name_zh


def test_there_are_exactly_five_levels_from_one_to_five() -> None:
    # Given the Level enum
    # When listing its values
    values = sorted(int(level) for level in Level)
    # Then they are 1 … 5
    assert values == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("value", [0, 6, -1])
def test_there_is_no_level_outside_one_to_five(value: int) -> None:
    # Given a number outside 1 … 5
    # When making a level of it
    # Then it is refused
    with pytest.raises(ValueError, match="is not a valid Level"):
        Level(value)


@pytest.mark.parametrize(
    ("channel", "pf_code"),
    [
        (Channel.WEB, 1),
        (Channel.APP, 2),
        (Channel.QR, 3),
        (Channel.WINDOW_DEVICE, 4),
        (Channel.KIOSK, 5),
        (Channel.HOTLINE, 6),
        (Channel.SMS, 7),
        (Channel.OPINION_BOOK, None),
        (Channel.SUPERVISION, None),
        (Channel.DEPT_SYSTEM, None),
    ],
)
def test_channel_maps_to_the_national_pf_code(channel: Channel, pf_code: int | None) -> None:
    # Given a channel
    # When asking for its national channel code
    code = channel.pf_code
    # Then it is the code of the table, or None where the national list has none
    assert code == pf_code


@pytest.mark.parametrize(
    ("value", "channel"),
    [
        ("qr", Channel.QR),
        ("window_device", Channel.WINDOW_DEVICE),
        ("kiosk", Channel.KIOSK),
        ("web", Channel.WEB),
        ("app", Channel.APP),
        ("hotline", Channel.HOTLINE),
        ("sms", Channel.SMS),
        ("opinion_book", Channel.OPINION_BOOK),
        ("supervision", Channel.SUPERVISION),
        ("dept_system", Channel.DEPT_SYSTEM),
    ],
)
def test_channel_values_are_the_wire_names(value: str, channel: Channel) -> None:
    # Given the name a client sends
    # When reading it as a channel
    read = Channel(value)
    # Then it is that channel, and it writes back the same name
    assert read is channel
    assert str(read) == value


def test_tracking_code_is_the_same_for_the_same_submission_and_secret() -> None:
    # Given one submission id and one secret
    submission_id = "Zp3vN8cQ1yFj6uEa"
    # When deriving the tracking code twice
    first = tracking_code_for(submission_id, SECRET)
    second = tracking_code_for(submission_id, SECRET)
    # Then both are the same
    assert first == second


def test_tracking_code_differs_for_another_submission() -> None:
    # Given two submission ids and one secret
    # When deriving their tracking codes
    first = tracking_code_for("Zp3vN8cQ1yFj6uEa", SECRET)
    second = tracking_code_for("Zp3vN8cQ1yFj6uEb", SECRET)
    # Then they differ
    assert first != second


def test_tracking_code_differs_for_another_secret() -> None:
    # Given one submission id and two secrets (two districts)
    # When deriving the tracking codes
    first = tracking_code_for("Zp3vN8cQ1yFj6uEa", SECRET)
    second = tracking_code_for("Zp3vN8cQ1yFj6uEa", SECRET + b"-other")
    # Then they differ
    assert first != second


@pytest.mark.parametrize(
    "submission_id",
    ["Zp3vN8cQ1yFj6uEa", "q7Hk2mWx9TbR4nLs", "00000000", "a" * 64, "b5Gt0sKe7wMd2xVh", "id_with-marks_01"],
)
def test_tracking_code_has_twelve_characters_that_read_aloud_clearly(submission_id: str) -> None:
    # Given a submission id
    # When deriving its tracking code
    code = tracking_code_for(submission_id, SECRET)
    # Then it has 12 characters, all from the alphabet without 0/O and 1/I
    assert len(code) == 12
    assert set(code) <= set(TRACKING_ALPHABET)


def test_tracking_alphabet_leaves_out_characters_that_sound_or_look_alike() -> None:
    # Given the tracking alphabet
    # When looking for 0, O, 1 and I
    confusing = set("0O1I") & set(TRACKING_ALPHABET)
    # Then there are none, and no letter appears twice
    assert confusing == set()
    assert len(set(TRACKING_ALPHABET)) == len(TRACKING_ALPHABET) == 32


def test_tracking_codes_of_many_submissions_do_not_collide() -> None:
    # Given many different submission ids
    ids = [f"submission-{n:08d}" for n in range(5000)]
    # When deriving their tracking codes
    codes = {tracking_code_for(submission_id, SECRET) for submission_id in ids}
    # Then every one is distinct
    assert len(codes) == len(ids)


@pytest.mark.parametrize(
    ("first", "now", "within"),
    [
        (FIRST_RATED, FIRST_RATED + timedelta(days=15), True),
        (FIRST_RATED, FIRST_RATED + timedelta(days=15, seconds=1), False),
        (FIRST_RATED, FIRST_RATED, True),
    ],
)
def test_a_follow_up_rating_is_taken_within_the_period(first: datetime, now: datetime, within: bool) -> None:
    # Given a case first rated at a time
    # When a follow-up rating arrives
    # Then it is within the 15-day period or not
    assert within_follow_up_period(first, now, timedelta(days=15)) is within


def test_rating_is_bad_review_follows_its_level_and_reports_in_china_time() -> None:
    # Given a rating at 06:30 UTC with level 不满意
    rating = Rating(
        tracking_code="RTXRVTT8C3LL",
        submission_id="Zp3vN8cQ1yFj6uEa",
        division_code="640104",
        window_code="640104-A017",
        hall_code="XQZWFW",
        department_code="11640104MB0000001A",
        staff_job_number=None,
        level=Level.DISSATISFIED,
        channel=Channel.QR,
        tags=("201",),
        tag_version="2026.1",
        comment="",
        case_no=None,
        item_code=None,
        real_name=False,
        assess_number=1,
        rated_at=datetime(2026, 11, 26, 6, 30, tzinfo=UTC),
    )
    # When asking for its review kind and its time in China
    bad_review = rating.is_bad_review
    china = rating.rated_at_china
    # Then it is a first (not a follow-up) bad review, at 14:30 Beijing time, the same instant
    assert bad_review is True
    assert rating.is_follow_up is False
    assert china.tzinfo == CHINA_TIME
    assert (china.hour, china.minute) == (14, 30)
    assert china == rating.rated_at
