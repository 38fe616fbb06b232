"""Rating 评价: the five levels, the channels and what one rating records.

The level is stored as one enum; the two national code lists that run in opposite
directions (the platform's levelCode and GB/T 39046 A.8 满意度代码) are mapped only at the edges.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum, StrEnum
from zoneinfo import ZoneInfo

from haochaping.domain.suspicion import Review, Suspicion

CHINA_TIME = ZoneInfo("Asia/Shanghai")
COMMENT_MAX_LENGTH = 500


class Level(IntEnum):
    """Satisfaction level 满意度; the value is the platform's levelCode (5 = best)."""

    VERY_SATISFIED = 5  # 非常满意
    SATISFIED = 4  # 满意
    BASICALLY_SATISFIED = 3  # 基本满意
    DISSATISFIED = 2  # 不满意
    VERY_DISSATISFIED = 1  # 非常不满意

    @property
    def is_bad_review(self) -> bool:
        """The two lowest levels are a bad review 差评; the top three a good review 好评."""
        return self <= Level.DISSATISFIED

    @property
    def gbt39046_code(self) -> int:
        """GB/T 39046 A.8 满意度代码, which counts the other way round (1 = 非常满意)."""
        return 6 - int(self)

    @property
    def name_zh(self) -> str:
        return LEVEL_NAMES_ZH[self]


LEVEL_NAMES_ZH = {
    Level.VERY_SATISFIED: "非常满意",
    Level.SATISFIED: "满意",
    Level.BASICALLY_SATISFIED: "基本满意",
    Level.DISSATISFIED: "不满意",
    Level.VERY_DISSATISFIED: "非常不满意",
}


class Channel(StrEnum):
    """Channel 评价渠道: where the rating came from, one schema for all ("same standard")."""

    QR = "qr"  # 二维码牌
    WINDOW_DEVICE = "window_device"  # 评价器
    KIOSK = "kiosk"  # 自助服务端
    WEB = "web"  # 政务服务网 PC端
    APP = "app"  # 移动服务端
    HOTLINE = "hotline"  # 12345
    SMS = "sms"  # 短信
    OPINION_BOOK = "opinion_book"  # 意见簿
    SUPERVISION = "supervision"  # 监督平台
    DEPT_SYSTEM = "dept_system"  # 部门自建系统

    @property
    def pf_code(self) -> int | None:
        """The national channel code (pf); None where the national list has none or it varies."""
        return CHANNEL_PF_CODES.get(self)


CHANNEL_PF_CODES = {
    Channel.WEB: 1,
    Channel.APP: 2,
    Channel.QR: 3,
    Channel.WINDOW_DEVICE: 4,
    Channel.KIOSK: 5,
    Channel.HOTLINE: 6,
    Channel.SMS: 7,
}


@dataclass(frozen=True, slots=True)
class Rating:
    """One rating as the domain sees it; the evaluator's personal data is never part of it."""

    tracking_code: str
    submission_id: str
    division_code: str
    window_code: str
    hall_code: str
    department_code: str
    staff_job_number: str | None  # on duty at that instant, per the roster
    level: Level
    channel: Channel
    tags: tuple[str, ...]
    tag_version: str
    comment: str
    case_no: str | None
    item_code: str | None
    real_name: bool  # 是否实名
    assess_number: int  # 评价次数: 1 first, 2 追评
    rated_at: datetime  # always UTC; reported in Asia/Shanghai
    # Suspected automated 疑似刷评: held for a supervisor's review, then released or rejected.
    review: Review | None = None
    suspicion: Suspicion | None = None  # the budgets it went over: the evidence
    released_at: datetime | None = None

    @property
    def is_bad_review(self) -> bool:
        return self.level.is_bad_review

    @property
    def held_for_review(self) -> bool:
        return self.review == Review.HELD

    @property
    def counts(self) -> bool:
        """Whether scores count it: not while held for review, never once rejected (a rating not
        adopted after its follow-up is marked on the stored rating as well)."""
        return self.review not in (Review.HELD, Review.REJECTED)

    @property
    def opens_follow_up(self) -> bool:
        """A bad review opens its follow-up task once it counts: a held one waits for its release."""
        return self.is_bad_review and self.counts

    @property
    def followed_up_from(self) -> datetime:
        """When the follow-up's deadlines start: the rating, or its release (nobody could work it before)."""
        return self.released_at or self.rated_at

    @property
    def is_follow_up(self) -> bool:
        return self.assess_number == 2

    @property
    def rated_at_china(self) -> datetime:
        return self.rated_at.astimezone(CHINA_TIME)


# The codes that name where a rating was given; here rather than with the registry's models so
# that a module needing only a code's shape does not build those models at cold start.
# 统一社会信用代码: 18 characters, no I, O, S, V, Z.
CREDIT_CODE_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
WINDOW_CODE_PATTERN = r"^[A-Z0-9]{2,12}-[A-Z0-9]{1,12}$"
HALL_CODE_PATTERN = r"^[A-Z0-9]{2,12}$"
# 工号: what citizens see of a staff member, and what the console and the audit trail name them by.
JOB_NUMBER_PATTERN = r"^[A-Z0-9]{3,16}$"

TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone
TRACKING_CODE_LENGTH = 12
TRACKING_CODE_PATTERN = f"^[{TRACKING_ALPHABET}]{{{TRACKING_CODE_LENGTH}}}$"

# A required text must say something: a field of blanks alone is refused (stripped, it is empty),
# and this pattern says so in the API's schema. Its one character is blank neither to a schema's
# regular expressions (ECMA-262's \s) nor to Python's str.strip, which also trims \x1c-\x1f and \x85.
NON_BLANK = r"[^\s\x1c-\x1f\x85]"


def within_follow_up_period(first_rated_at: datetime, now: datetime, period: timedelta) -> bool:
    """一事一评: a case may be rated once more (追评) within the period after its first rating."""
    return now <= first_rated_at + period


def tracking_code_for(submission_id: str, secret: bytes, length: int = TRACKING_CODE_LENGTH) -> str:
    """The citizen's tracking code: short, unguessable, and the same for the same submission.

    Being derived from the client's submission id, it doubles as the rating's key, so a
    resubmission lands on the same item and the conditional put alone makes it idempotent.
    """
    digest = hmac.new(secret, b"tracking\x00" + submission_id.encode("utf-8"), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(TRACKING_ALPHABET))
        chars.append(TRACKING_ALPHABET[index])
    return "".join(chars)


# How far the local twin's clock runs ahead of real time, in this process; nothing sets it on AWS.
_clock_offset = timedelta(0)


def set_clock_offset(seconds: float) -> None:
    """Make utc_now() run ``seconds`` ahead of real time in this process (the local twin's clock).

    Only the local twin calls this, in a function's worker before an invocation, after its
    clock was advanced or sped up: tests and demos watch working-day deadlines pass in seconds.
    On AWS nothing calls it and utc_now() is real time. Rebinding one module global is atomic,
    so another thread of the handler sees either the old offset or the new one.
    """
    global _clock_offset
    _clock_offset = timedelta(seconds=seconds)


def utc_now() -> datetime:
    """Now, in UTC: real time, plus the local twin's clock offset when it set one."""
    return datetime.now(UTC) + _clock_offset
