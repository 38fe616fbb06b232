"""What a citizen may submit, and the rules it must pass before it is written.

RatingSubmission field by field; then prepare_rating, and the registry it is checked against.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from haochaping.domain.errors import Forbidden, InvalidFields, NotFound
from haochaping.domain.plates import (
    SignatureInvalid,
    TicketExpired,
    device_token_valid,
    issue_device_token,
    issue_ticket,
    plate_signature,
)
from haochaping.domain.rating import COMMENT_MAX_LENGTH, Channel, Level, tracking_code_for
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
    DeviceEvidenceMissing,
    RatingRules,
    RatingSubmission,
    device_key,
    prepare_rating,
)
from haochaping.domain.suspicion import FloodRules, Source, source_id
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
    floods=FloodRules(period=timedelta(minutes=60), per_address=60, per_device=3),
)
# The device token the form a plate opens gives a browser (its cookie), and where the rating came from.
DEVICE = issue_device_token("unit-device-nonce-0001", SECRET)
ADDRESS = "203.0.113.7"
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


def signed_submission(**changes: Any) -> RatingSubmission:
    """A valid submission from window A017's plate, with some fields changed (None leaves one out)."""
    fields: dict[str, Any] = {**VALID, "sig": plate_signature("640104-A017", SECRET), **changes}
    return RatingSubmission.model_validate({k: v for k, v in fields.items() if v is not None})


# ---------------------------------------------------------------- what a citizen may submit


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


# ---------------------------------------------------------------- preparing a rating


def test_a_signed_rating_at_an_active_window_is_prepared() -> None:
    # Given a rating from window A017's plate, during the clerk's shift
    # When preparing it
    prepared = prepare_rating(signed_submission(), ENTRY, TAGS, RULES, SECRET, NOW, DEVICE, ADDRESS)
    # Then it carries what the registry knows at that instant, and no ticket to claim
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
    assert prepared.ticket is None


def test_a_device_token_claims_a_cooldown_at_that_window() -> None:
    # Given a rating from a browser that carries the form's device token
    # When preparing it
    prepared = prepare_rating(signed_submission(), ENTRY, TAGS, RULES, SECRET, NOW, device_token=DEVICE)
    # Then the cool-down is keyed by a hash of device and window, until now + the cool-down
    assert prepared.cooldown_key == device_key(DEVICE, "640104-A017")
    assert DEVICE not in prepared.cooldown_key
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
    prepared = prepare_rating(signed_submission(sig=None, ticket=token), ENTRY, TAGS, RULES, SECRET, NOW, DEVICE)
    # Then the ticket is to be claimed with the rating
    assert prepared.ticket is not None
    assert prepared.ticket.ticket_id == "640104-A017#20261126#A023"


def test_an_expired_ticket_is_forbidden() -> None:
    # Given a ticket older than the district's validity
    token = issue_ticket("640104-A017", "A023", NOW - timedelta(hours=25), SECRET)
    # When preparing the rating
    # Then it is refused
    with pytest.raises(TicketExpired):
        prepare_rating(signed_submission(sig=None, ticket=token), ENTRY, TAGS, RULES, SECRET, NOW, DEVICE)


def test_a_rating_without_signature_or_ticket_is_forbidden() -> None:
    # Given a rating that names a window but carries neither
    # When preparing it
    with pytest.raises(Forbidden) as raised:
        prepare_rating(signed_submission(sig=None), ENTRY, TAGS, RULES, SECRET, NOW, DEVICE)
    # Then it is refused, naming what is missing
    assert "sig" in raised.value.message


def test_a_signature_of_another_window_is_forbidden() -> None:
    # Given a rating for A017 signed with B003's plate
    # When preparing it
    # Then it is refused
    with pytest.raises(SignatureInvalid):
        prepare_rating(
            signed_submission(sig=plate_signature("640104-B003", SECRET)), ENTRY, TAGS, RULES, SECRET, NOW, DEVICE
        )


@pytest.mark.parametrize("active", [None, False])
def test_an_unknown_or_inactive_window_is_not_found(active: bool | None) -> None:
    # Given no registry entry, or an inactive window
    entry = None if active is None else ENTRY.model_copy(update={"window": WINDOW.model_copy(update={"active": False})})
    # When preparing a rating for it
    # Then it is not found
    with pytest.raises(NotFound):
        prepare_rating(signed_submission(), entry, TAGS, RULES, SECRET, NOW, DEVICE)


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
        prepare_rating(signed_submission(**changes), ENTRY, TAGS, RULES, SECRET, NOW, DEVICE)
    # Then each broken rule names its field
    assert set(raised.value.problems) == fields
    assert raised.value.code == "invalid_fields"


@pytest.mark.parametrize("channel", ["qr", "window_device", "kiosk"])
def test_self_service_channels_are_accepted(channel: str) -> None:
    # Given a rating through a channel a citizen uses alone at a window
    # When preparing it
    prepared = prepare_rating(signed_submission(channel=channel), ENTRY, TAGS, RULES, SECRET, NOW, DEVICE)
    # Then it is kept with its national channel code
    assert prepared.rating.channel == Channel(channel)


def test_an_item_code_is_free_where_the_window_lists_none() -> None:
    # Given a window that lists no items
    entry = ENTRY.model_copy(update={"window": WINDOW.model_copy(update={"item_codes": ()})})
    # When rating it with an item code
    prepared = prepare_rating(signed_submission(item_code="ITEM-0099"), entry, TAGS, RULES, SECRET, NOW, DEVICE)
    # Then the item code is kept
    assert prepared.rating.item_code == "ITEM-0099"


def test_real_name_is_recorded_without_the_evaluator() -> None:
    # Given a rating with call-back details
    evaluator = {"name": "张三", "phone": "13812345678", "consent": True}
    # When preparing it
    prepared = prepare_rating(signed_submission(evaluator=evaluator), ENTRY, TAGS, RULES, SECRET, NOW, DEVICE)
    # Then the rating says it is real-name but holds neither name nor phone
    assert prepared.rating.real_name is True
    assert "13812345678" not in repr(prepared.rating)
    assert "张三" not in repr(prepared.rating)


# ---------------------------------------------------------------- the plate's evidence, and the sources' budgets


@pytest.mark.parametrize(
    "token",
    [None, "Jq4vX0c2LmT8yRw5Zb1NdA3e", DEVICE.replace("0001", "0002"), issue_device_token("x", b"another stack")],
    ids=["none", "unsigned", "changed", "another-stacks"],
)
def test_a_qr_rating_without_the_forms_device_token_is_forbidden(token: str | None) -> None:
    # Given a rating by the plate's signature from something that never opened the plate's form
    # When preparing it
    with pytest.raises(DeviceEvidenceMissing) as raised:
        prepare_rating(signed_submission(channel="qr"), ENTRY, TAGS, RULES, SECRET, NOW, token, ADDRESS)
    # Then it is refused (403), saying where to rate
    assert raised.value.code == "device_evidence_required"
    assert "form" in raised.value.message


def test_the_forms_device_token_is_signed_by_the_stack() -> None:
    assert device_token_valid(DEVICE, SECRET)
    assert not device_token_valid(DEVICE, b"another stack")
    for forged in ("", ".", "nonce.", ".signature", DEVICE + "x", DEVICE.replace(".", "")):
        assert not device_token_valid(forged, SECRET)


def test_a_qr_rating_spends_its_address_and_device_budgets_by_keyed_hashes() -> None:
    # Given a rating from a phone with the form's token, from an address
    # When preparing it
    prepared = prepare_rating(signed_submission(), ENTRY, TAGS, RULES, SECRET, NOW, DEVICE, ADDRESS)
    # Then it spends one of the address's and one of the device's budgets at that window, this hour
    address, device = prepared.budgets
    assert (address.source, address.limit, device.source, device.limit) == (Source.ADDRESS, 60, Source.DEVICE, 3)
    assert address.source_id == source_id(Source.ADDRESS, ADDRESS, SECRET)
    assert device.source_id == source_id(Source.DEVICE, DEVICE, SECRET)
    assert {address.window_code, device.window_code} == {"640104-A017"}
    assert address.period_start == datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    assert address.period_ends == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    # And neither the address nor the token is in them
    assert ADDRESS not in repr(prepared.budgets) and DEVICE not in repr(prepared.budgets)


@pytest.mark.parametrize("channel", ["window_device", "kiosk"])
def test_a_pad_or_kiosk_has_no_form_to_open_and_spends_its_addresss_budget(channel: str) -> None:
    # Given a rating from a window's rating pad, signed with the plate, without a device token
    prepared = prepare_rating(signed_submission(channel=channel), ENTRY, TAGS, RULES, SECRET, NOW, None, ADDRESS)
    # Then it is accepted, with no cool-down, spending the address's budget only
    assert prepared.cooldown_key is None
    assert [budget.source for budget in prepared.budgets] == [Source.ADDRESS]


def test_a_ticket_is_its_own_evidence_and_spends_no_budget() -> None:
    token = issue_ticket("640104-A017", "A023", NOW - timedelta(minutes=20), SECRET)
    prepared = prepare_rating(signed_submission(sig=None, ticket=token), ENTRY, TAGS, RULES, SECRET, NOW, None)
    assert prepared.ticket is not None and prepared.budgets == ()


# ---------------------------------------------------------------- the registry a rating is checked against


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
