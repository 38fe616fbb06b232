"""What a citizen submits when they rate (POST /ratings), and the rules it must pass.

The pydantic model checks each field on its own; ``prepare_rating`` applies the rules that
need the registry, the clock and the stack's secret, and decides which one-time marks the
single write must claim (the ticket, the device's cool-down, the case's rating count) and which
budgets of its sources it spends (domain.suspicion: beyond one, the rating is held for review).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from haochaping.domain.errors import Forbidden, InvalidFields, NotFound
from haochaping.domain.plates import Ticket, device_token_valid, verify_plate, verify_ticket
from haochaping.domain.rating import (
    COMMENT_MAX_LENGTH,
    NON_BLANK,
    WINDOW_CODE_PATTERN,
    Channel,
    Level,
    Rating,
    tracking_code_for,
)
from haochaping.domain.registry import TagSet, WindowEntry
from haochaping.domain.suspicion import Budget, FloodRules, budgets_for

TagCode = Annotated[str, Field(pattern=r"^[1-5]\d{2}$", description="评价内容 tag code: level digit + index")]

# Channels a citizen uses on their own at a window; the others are entered by staff or
# pushed by systems with an API key.
SELF_SERVICE_CHANNELS = (Channel.QR, Channel.WINDOW_DEVICE, Channel.KIOSK)


EVALUATOR_NAME_MAX_LENGTH = 40


class Evaluator(BaseModel):
    """评价人: given only for a real-name call-back, with consent; encrypted before storage."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(
        min_length=1, max_length=EVALUATOR_NAME_MAX_LENGTH, pattern=NON_BLANK, description="name for the call-back"
    )
    phone: str = Field(pattern=r"^1[3-9]\d{9}$", description="mainland mobile number, 11 digits")
    consent: bool = Field(
        strict=True, json_schema_extra={"const": True}, description="the evaluator agrees to be called back: true"
    )

    @field_validator("consent")
    @classmethod
    def _must_consent(cls, value: bool) -> bool:
        if not value:
            raise ValueError("a call-back needs the evaluator's consent")
        return value


def _rules_in_schema(schema: dict[str, Any]) -> None:
    """What ``prepare_rating`` refuses of any submission, stated in its schema too, from the same
    constants: the self-service channels, a call-back for bad reviews only, a plate signature or a
    ticket. (Which tags a level has is the registry's tag set: data, not schema.)"""
    schema["properties"]["channel"]["enum"] = [channel.value for channel in SELF_SERVICE_CHANNELS]
    good_reviews = [int(level) for level in Level if not level.is_bad_review]
    schema["allOf"] = [
        {
            "if": {"properties": {"level": {"minimum": min(good_reviews)}}, "required": ["level"]},
            "then": {"properties": {"evaluator": {"type": "null"}}},
        }
    ]
    schema["anyOf"] = [
        {"required": [credential], "properties": {credential: {"type": "string", "minLength": 1}}}
        for credential in ("sig", "ticket")
    ]


class RatingSubmission(BaseModel):
    """One rating as submitted 评价提交."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_rules_in_schema)

    window_code: str = Field(pattern=WINDOW_CODE_PATTERN, description="window 窗口 code from the QR plate")
    sig: str | None = Field(default=None, max_length=64, description="the plate's signature")
    ticket: str | None = Field(default=None, max_length=200, description="a queue ticket's token")
    level: int = Field(ge=1, le=5, description="satisfaction level 满意度, 5 = 非常满意 … 1 = 非常不满意")
    tags: list[TagCode] = Field(default_factory=list, max_length=10, description="评价内容 tag codes")
    comment: str = Field(default="", max_length=COMMENT_MAX_LENGTH, description="文字评价, free text")
    channel: Channel = Field(default=Channel.QR, description="channel 评价渠道")
    evaluator: Evaluator | None = Field(default=None, description="real-name call-back details")
    case_no: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{4,40}$", description="办件编号")
    item_code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{1,40}$", description="事项编码")
    submission_id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="client-generated id; the same id again returns the same rating",
    )

    @field_validator("tags")
    @classmethod
    def _distinct(cls, tags: list[str]) -> list[str]:
        return list(dict.fromkeys(tags))


class RatingReceipt(BaseModel):
    """What the citizen gets back: the tracking code, their key, and what was recorded (no personal data)."""

    tracking_code: str = Field(description="查询码: names the rating; staff see it too")
    citizen_key: str = Field(
        description="评价人密钥: only the citizen gets it, here and in the receipt page's link; "
        "the verdict on a fix and an appeal need it (citizen_key). Keep it"
    )
    level: int
    level_name: str
    window_code: str
    rated_at: str = Field(description="time of the rating, Asia/Shanghai, ISO 8601")
    bad_review: bool
    follow_up_rating: bool = Field(description="追评: a second rating of the same case")
    held_for_review: bool = Field(
        default=False,
        description="疑似刷评: its source gave this window more ratings than its budget; stored, and "
        "counted (a bad review followed up) once a supervisor releases it (answered 202)",
    )


@dataclass(frozen=True, slots=True)
class RatingRules:
    """The district's settings that shape a submission."""

    division_code: str
    cooldown: timedelta
    follow_up_period: timedelta
    ticket_validity: timedelta
    floods: FloodRules


@dataclass(frozen=True, slots=True)
class PreparedRating:
    """A rating ready to write, with the one-time marks its single write must claim."""

    rating: Rating
    ticket: Ticket | None
    cooldown_key: str | None  # device+window, hashed; None without a device token
    cooldown_until: datetime | None
    budgets: tuple[Budget, ...] = ()  # each spent by the write, unless the rating is held


class DeviceEvidenceMissing(Forbidden):
    code = "device_evidence_required"


def device_key(device_token: str, window_code: str) -> str:
    # The device token is kept only as a hash, and only for the cool-down period.
    return hashlib.sha256(f"{device_token}\x00{window_code}".encode()).hexdigest()[:32]


def prepare_rating(
    submission: RatingSubmission,
    entry: WindowEntry | None,
    tag_set: TagSet,
    rules: RatingRules,
    secret: bytes,
    now: datetime,
    device_token: str | None,
    address: str | None = None,
) -> PreparedRating:
    """Apply the submission rules; raises NotFound, Forbidden or InvalidFields.

    ``device_token`` is the form's cookie (only one this stack signed counts), ``address`` the
    network address the rating came from.
    """
    if entry is None or not entry.window.active:
        raise NotFound(f"window {submission.window_code} is not in service")
    device = device_token if device_token_valid(device_token, secret) else None
    ticket = None
    budgets: tuple[Budget, ...] = ()
    if submission.ticket:
        # A ticket rates once (一次一评): it is all the evidence a rating needs, and spends no budget.
        ticket = verify_ticket(submission.ticket, submission.window_code, now, rules.ticket_validity, secret)
    elif submission.sig:
        verify_plate(submission.window_code, submission.sig, secret)
        # The plate's signature is printed for anyone to copy: by the plate, a phone rates from the
        # form the plate opens, whose signed cookie it holds. (A window's rating pad or a kiosk has
        # no form to open; its address's budget is what bounds it.)
        if submission.channel == Channel.QR and device is None:
            raise DeviceEvidenceMissing(
                "a rating by the QR plate is sent from the form the plate opens: open the plate's link "
                "in a browser that keeps cookies, and rate there"
            )
        budgets = budgets_for(entry.window.code, address, device, rules.floods, secret, now)
    else:
        raise Forbidden("a rating needs the QR plate's signature (sig) or a ticket")

    level = Level(submission.level)
    problems: dict[str, str] = {}
    wrong_tags = tag_set.invalid_for_level(level, submission.tags)
    if wrong_tags:
        problems["tags"] = f"not tags of level {int(level)} in version {tag_set.version}: {', '.join(wrong_tags)}"
    if submission.evaluator is not None and not level.is_bad_review:
        problems["evaluator"] = "a call-back is offered for bad reviews only; leave name and phone empty"
    if submission.channel not in SELF_SERVICE_CHANNELS:
        allowed = ", ".join(c.value for c in SELF_SERVICE_CHANNELS)
        problems["channel"] = f"this form accepts {allowed}; other channels are entered by staff or systems"
    if submission.item_code and entry.window.item_codes and submission.item_code not in entry.window.item_codes:
        problems["item_code"] = "this window does not serve that item"
    if problems:
        raise InvalidFields(problems)

    rating = Rating(
        tracking_code=tracking_code_for(submission.submission_id, secret),
        submission_id=submission.submission_id,
        division_code=rules.division_code,
        window_code=entry.window.code,
        hall_code=entry.hall.code,
        department_code=entry.department.code,
        staff_job_number=entry.staff_on_duty(now),
        level=level,
        channel=submission.channel,
        tags=tuple(submission.tags),
        tag_version=tag_set.version,
        comment=submission.comment,
        case_no=submission.case_no,
        item_code=submission.item_code,
        real_name=submission.evaluator is not None,
        assess_number=1,
        rated_at=now,
    )
    cooldown_key = device_key(device, entry.window.code) if device else None
    return PreparedRating(
        rating=rating,
        ticket=ticket,
        cooldown_key=cooldown_key,
        cooldown_until=now + rules.cooldown if cooldown_key else None,
        budgets=budgets,
    )
