"""The rules a submission must pass before it is written: prepare_rating and the registry."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from haochaping.domain.errors import Forbidden, InvalidFields, NotFound
from haochaping.domain.plates import SignatureInvalid, TicketExpired, issue_ticket, plate_signature
from haochaping.domain.rating import Channel, Level, tracking_code_for, within_follow_up_period
from haochaping.domain.registry import (
    Department,
    Hall,
    Registry,
    Shift,
    Staff,
    StaffRole,
    Tag,
    TagSet,
    Window,
    WindowEntry,
)
from haochaping.domain.submission import (
    RatingRules,
    RatingSubmission,
    device_key,
    prepare_rating,
)
from pydantic import ValidationError

pytestmark = pytest.mark.unit

SECRET = b"unit-test-signing-secret-not-a-real-one-0123456789"
NOW = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # Thursday 14:30 in Yinchuan
HALL = Hall(code="XQZWFW", name="兴庆区政务服务中心")
DEPARTMENT = Department(code="11640104MB0000001A", name="兴庆区行政审批服务局")
WINDOW = Window(
    code="640104-A017",
    hall_code="XQZWFW",
    number="17",
    name="社保综合窗口",
    department_code="11640104MB0000001A",
    item_codes=("ITEM-0001", "ITEM-0002"),
)
WEEKDAY_SHIFT = Shift(window_code="640104-A017", job_number="XQ1017", valid_from=date(2026, 1, 1))
ENTRY = WindowEntry(window=WINDOW, hall=HALL, department=DEPARTMENT, shifts=(WEEKDAY_SHIFT,))
TAGS = TagSet(
    version="2026.1",
    tags=(
        Tag(code="101", name="态度恶劣"),
        Tag(code="201", name="等候时间长"),
        Tag(code="203", name="叫号混乱"),
        Tag(code="501", name="办事快"),
    ),
)
RULES = RatingRules(
    division_code="640104",
    cooldown=timedelta(minutes=10),
    follow_up_period=timedelta(days=15),
    ticket_validity=timedelta(hours=24),
)


def submission(**changes: Any) -> RatingSubmission:
    fields: dict[str, Any] = {
        "window_code": "640104-A017",
        "sig": plate_signature("640104-A017", SECRET),
        "level": 2,
        "tags": ["201", "203"],
        "comment": "排队等了很久",
        "submission_id": "Zp3vN8cQ1yFj6uEa",
    }
    fields.update(changes)
    return RatingSubmission.model_validate({k: v for k, v in fields.items() if v is not None})


def test_a_signed_rating_at_an_active_window_is_prepared() -> None:
    # Given a rating from window A017's plate, during the clerk's shift
    # When preparing it
    prepared = prepare_rating(submission(), ENTRY, TAGS, RULES, SECRET, NOW, device_token=None)
    # Then it carries what the registry knows at that instant, and no marks to claim
    rating = prepared.rating
    assert rating.tracking_code == tracking_code_for("Zp3vN8cQ1yFj6uEa", SECRET)
    assert (rating.division_code, rating.hall_code, rating.department_code) == (
        "640104",
        "XQZWFW",
        "11640104MB0000001A",
    )
    assert rating.staff_job_number == "XQ1017"
    assert rating.level is Level.DISSATISFIED
    assert rating.channel is Channel.QR
    assert rating.tags == ("201", "203")
    assert rating.tag_version == "2026.1"
    assert (rating.real_name, rating.assess_number, rating.rated_at) == (False, 1, NOW)
    assert (prepared.ticket, prepared.cooldown_key, prepared.cooldown_until) == (None, None, None)


def test_a_device_token_claims_a_cooldown_at_that_window() -> None:
    # Given a rating from a browser that carries a device token
    # When preparing it
    prepared = prepare_rating(submission(), ENTRY, TAGS, RULES, SECRET, NOW, device_token="Jq4vX0c2LmT8yRw5Zb1NdA3e")
    # Then the cool-down is keyed by a hash of device and window, until now + the cool-down
    assert prepared.cooldown_key == device_key("Jq4vX0c2LmT8yRw5Zb1NdA3e", "640104-A017")
    assert "Jq4vX0c2LmT8yRw5Zb1NdA3e" not in prepared.cooldown_key
    assert prepared.cooldown_until == NOW + timedelta(minutes=10)


def test_device_keys_differ_by_window_and_device() -> None:
    # Given one device at two windows, and two devices at one window
    # When hashing them
    keys = {
        device_key("Jq4vX0c2LmT8yRw5Zb1NdA3e", "640104-A017"),
        device_key("Jq4vX0c2LmT8yRw5Zb1NdA3e", "640104-B003"),
        device_key("Zz4vX0c2LmT8yRw5Zb1NdA3e", "640104-A017"),
    }
    # Then all differ
    assert len(keys) == 3


def test_a_ticket_claims_itself() -> None:
    # Given a rating with a queue ticket of that window instead of the plate's signature
    token = issue_ticket("640104-A017", "A023", NOW - timedelta(minutes=20), SECRET)
    # When preparing it
    prepared = prepare_rating(submission(sig=None, ticket=token), ENTRY, TAGS, RULES, SECRET, NOW, None)
    # Then the ticket is to be claimed with the rating
    assert prepared.ticket is not None
    assert prepared.ticket.ticket_id == "640104-A017#20261126#A023"


def test_an_expired_ticket_is_forbidden() -> None:
    # Given a ticket older than the district's validity
    token = issue_ticket("640104-A017", "A023", NOW - timedelta(hours=25), SECRET)
    # When preparing the rating
    # Then it is refused
    with pytest.raises(TicketExpired):
        prepare_rating(submission(sig=None, ticket=token), ENTRY, TAGS, RULES, SECRET, NOW, None)


def test_a_rating_without_signature_or_ticket_is_forbidden() -> None:
    # Given a rating that names a window but carries neither
    # When preparing it
    with pytest.raises(Forbidden) as raised:
        prepare_rating(submission(sig=None), ENTRY, TAGS, RULES, SECRET, NOW, None)
    # Then it is refused, naming what is missing
    assert "sig" in raised.value.message


def test_a_signature_of_another_window_is_forbidden() -> None:
    # Given a rating for A017 signed with B003's plate
    # When preparing it
    # Then it is refused
    with pytest.raises(SignatureInvalid):
        prepare_rating(submission(sig=plate_signature("640104-B003", SECRET)), ENTRY, TAGS, RULES, SECRET, NOW, None)


@pytest.mark.parametrize("active", [None, False])
def test_an_unknown_or_inactive_window_is_not_found(active: bool | None) -> None:
    # Given no registry entry, or an inactive window
    entry = None if active is None else ENTRY.model_copy(update={"window": WINDOW.model_copy(update={"active": False})})
    # When preparing a rating for it
    # Then it is not found
    with pytest.raises(NotFound):
        prepare_rating(submission(), entry, TAGS, RULES, SECRET, NOW, None)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"tags": ["501"]}, {"tags"}),
        ({"level": 1, "tags": ["201"]}, {"tags"}),
        ({"channel": "web"}, {"channel"}),
        ({"channel": "hotline"}, {"channel"}),
        ({"item_code": "ITEM-0099"}, {"item_code"}),
        ({"tags": ["501"], "channel": "sms", "item_code": "ITEM-0099"}, {"tags", "channel", "item_code"}),
    ],
)
def test_rule_breaking_fields_are_named(changes: dict[str, Any], fields: set[str]) -> None:
    # Given a well-formed submission that breaks the district's rules
    # When preparing it
    with pytest.raises(InvalidFields) as raised:
        prepare_rating(submission(**changes), ENTRY, TAGS, RULES, SECRET, NOW, None)
    # Then each broken rule names its field
    assert set(raised.value.problems) == fields
    assert raised.value.code == "invalid_fields"


@pytest.mark.parametrize("channel", ["qr", "window_device", "kiosk"])
def test_self_service_channels_are_accepted(channel: str) -> None:
    # Given a rating through a channel a citizen uses alone at a window
    # When preparing it
    prepared = prepare_rating(submission(channel=channel), ENTRY, TAGS, RULES, SECRET, NOW, None)
    # Then it is kept with its national channel code
    assert prepared.rating.channel == Channel(channel)


def test_an_item_code_is_free_where_the_window_lists_none() -> None:
    # Given a window that lists no items
    entry = ENTRY.model_copy(update={"window": WINDOW.model_copy(update={"item_codes": ()})})
    # When rating it with an item code
    prepared = prepare_rating(submission(item_code="ITEM-0099"), entry, TAGS, RULES, SECRET, NOW, None)
    # Then the item code is kept
    assert prepared.rating.item_code == "ITEM-0099"


def test_real_name_is_recorded_without_the_evaluator() -> None:
    # Given a rating with call-back details
    evaluator = {"name": "张三", "phone": "13812345678", "consent": True}
    # When preparing it
    prepared = prepare_rating(submission(evaluator=evaluator), ENTRY, TAGS, RULES, SECRET, NOW, None)
    # Then the rating says it is real-name but holds neither name nor phone
    assert prepared.rating.real_name is True
    assert "13812345678" not in repr(prepared.rating)
    assert "张三" not in repr(prepared.rating)


@pytest.mark.parametrize(
    ("moment", "on_duty"),
    [
        (datetime(2026, 11, 26, 1, 0, tzinfo=UTC), "XQ1017"),  # Thu 09:00 in China: shift starts
        (datetime(2026, 11, 26, 9, 29, tzinfo=UTC), "XQ1017"),  # Thu 17:29
        (datetime(2026, 11, 26, 9, 30, tzinfo=UTC), None),  # Thu 17:30: shift over
        (datetime(2026, 11, 26, 0, 59, tzinfo=UTC), None),  # Thu 08:59
        (datetime(2026, 11, 28, 3, 0, tzinfo=UTC), None),  # Saturday
        (datetime(2025, 12, 31, 3, 0, tzinfo=UTC), None),  # before the roster's first day
    ],
)
def test_the_staff_on_duty_follows_the_roster_in_china_time(moment: datetime, on_duty: str | None) -> None:
    # Given a window whose clerk works weekdays 09:00–17:30 from 2026-01-01
    # When asking who is on duty at a moment
    # Then the roster answers in Asia/Shanghai time
    assert ENTRY.staff_on_duty(moment) == on_duty


def test_a_shift_ends_on_its_last_valid_day() -> None:
    # Given a shift valid until 2026-11-25
    shift = Shift(
        window_code="640104-A017",
        job_number="XQ1017",
        start=time(9),
        end=time(17, 30),
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 11, 25),
    )
    # When asking about the 25th and the 26th at 10:00 China time
    # Then it covers the first only
    assert shift.covers(datetime(2026, 11, 25, 2, 0, tzinfo=UTC)) is True
    assert shift.covers(datetime(2026, 11, 26, 2, 0, tzinfo=UTC)) is False


def test_tags_are_checked_against_the_level() -> None:
    # Given the tag set
    # When asking which tags do not belong to level 2
    wrong = TAGS.invalid_for_level(Level.DISSATISFIED, ["201", "101", "999", "203"])
    # Then the tags of other levels and unknown ones are named, in order
    assert wrong == ["101", "999"]
    assert [tag.code for tag in TAGS.for_level(Level.DISSATISFIED)] == ["201", "203"]


@pytest.mark.parametrize(
    ("first", "now", "within"),
    [
        (NOW, NOW + timedelta(days=15), True),
        (NOW, NOW + timedelta(days=15, seconds=1), False),
        (NOW, NOW, True),
    ],
)
def test_a_follow_up_rating_is_taken_within_the_period(first: datetime, now: datetime, within: bool) -> None:
    # Given a case first rated at a time
    # When a follow-up rating arrives
    # Then it is within the 15-day period or not
    assert within_follow_up_period(first, now, timedelta(days=15)) is within


def test_a_registry_with_dangling_references_is_refused() -> None:
    # Given a registry whose window names an unknown hall and whose roster names unknown staff
    # When building it
    with pytest.raises(ValidationError) as raised:
        Registry(
            division_code="640104",
            halls=(HALL,),
            departments=(DEPARTMENT,),
            windows=(WINDOW.model_copy(update={"hall_code": "NOHALL"}),),
            staff=(Staff(job_number="XQ1017", name="测试员甲", role=StaffRole.CLERK, hall_code="XQZWFW"),),
            shifts=(Shift(window_code="640104-A017", job_number="XQ9999", valid_from=date(2026, 1, 1)),),
            tag_set=TAGS,
        )
    # Then each problem is named
    message = str(raised.value)
    assert "unknown hall NOHALL" in message
    assert "unknown staff XQ9999" in message


def test_a_registry_lists_each_window_with_its_hall_department_and_shifts() -> None:
    # Given a consistent registry
    registry = Registry(
        division_code="640104",
        halls=(HALL,),
        departments=(DEPARTMENT,),
        windows=(WINDOW,),
        staff=(Staff(job_number="XQ1017", name="测试员甲", role=StaffRole.CLERK, hall_code="XQZWFW"),),
        shifts=(WEEKDAY_SHIFT,),
        tag_set=TAGS,
    )
    # When listing its window entries
    entries = registry.window_entries()
    # Then each window comes with what a rating needs
    assert entries == [ENTRY]
