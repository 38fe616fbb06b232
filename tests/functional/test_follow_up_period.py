"""一事一评 with one 追评: a case takes its follow-up rating only within FOLLOW_UP_RATING_DAYS.

The handler reads the real clock; ``ratings.submit_rating`` takes ``now`` explicitly, so these
tests call it as SubmitRatingFunction does (the template's settings, the stack's tables in
moto) and read each result the way the route answers it: a new rating is 201 with
``receipt_for`` as its body, the same submission again is 200 with the stored rating's receipt,
and a ``Conflict`` is 409 (``DOMAIN_STATUS``). The route's own 201/409 over the wire, in real
time, is covered by test_submit_rating_function.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

import pytest
from haochaping.adapters import keys
from haochaping.api import DOMAIN_STATUS
from haochaping.domain.errors import Conflict
from haochaping.domain.plates import plate_signature
from haochaping.domain.rating import CHINA_TIME
from haochaping.domain.submission import RatingSubmission
from haochaping.operations import ratings
from haochaping.settings import get_settings
from haochaping.wiring import wired

pytestmark = pytest.mark.functional

WINDOW = "640104-A017"  # a clerk on duty round the clock
CASE = "XQ-2026-000777"
# A Monday morning in the service centre (02:00 UTC is 10:00 in Asia/Shanghai).
FIRST_RATED_AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Answer:
    """What POST /ratings would answer: the status, and the receipt (or the conflict's message)."""

    status: HTTPStatus
    receipt: dict[str, Any] | None = None
    message: str = ""


Submit = Callable[..., Answer]


@pytest.fixture
def period(stack: Any) -> timedelta:
    """The district's follow-up period, as the template configures it."""
    days = int(stack.environment["FOLLOW_UP_RATING_DAYS"])
    assert days == get_settings().follow_up_rating_days
    return timedelta(days=days)


@pytest.fixture
def submit(stack: Any) -> Submit:
    """Submit a rating of the case at window A017 at the given time, as the handler would."""
    sig = plate_signature(WINDOW, stack.signing_secret)

    def send(submission_id: str, at: datetime, level: int = 4, case_no: str = CASE) -> Answer:
        # From the window's pad (which has no form's cookie to carry), as the API would take it.
        submission = RatingSubmission(
            window_code=WINDOW,
            sig=sig,
            level=level,
            case_no=case_no,
            submission_id=submission_id,
            channel="window_device",
        )
        try:
            rating, created = ratings.submit_rating(submission, *wired(), None, now=at)
        except Conflict as conflict:
            return Answer(DOMAIN_STATUS[Conflict], message=conflict.message)
        receipt = ratings.receipt_for(rating, wired()[0]).model_dump()
        return Answer(HTTPStatus.CREATED if created else HTTPStatus.OK, receipt)

    return send


def china_time(moment: datetime) -> str:
    return moment.astimezone(CHINA_TIME).isoformat(timespec="seconds")


def case_mark(stack: Any, case_no: str = CASE) -> dict[str, Any]:
    (mark,) = [item for item in stack.marks() if item["pk"] == {"S": keys.case_key(case_no)}]
    return mark


def test_a_conflict_is_answered_409() -> None:
    assert DOMAIN_STATUS[Conflict] == HTTPStatus.CONFLICT


def test_a_follow_up_after_the_period_is_409_and_nothing_is_stored(
    stack: Any, period: timedelta, submit: Submit
) -> None:
    # Given a case rated once
    first = submit("case-first-01", FIRST_RATED_AT)
    assert first.status == HTTPStatus.CREATED
    assert first.receipt and first.receipt["rated_at"] == china_time(FIRST_RATED_AT)
    # When it is rated again a minute after the follow-up period ends
    late = submit("case-late-001", FIRST_RATED_AT + period + timedelta(minutes=1), level=2)
    # Then it is 409, saying the period is over, and only the first rating is stored
    assert late.status == HTTPStatus.CONFLICT
    assert "follow-up period" in late.message
    assert [item["submission_id"]["S"] for item in stack.ratings()] == ["case-first-01"]
    assert case_mark(stack)["rating_count"] == {"N": "1"}


def test_a_follow_up_within_the_period_is_201_and_a_third_rating_is_409(
    stack: Any, period: timedelta, submit: Submit
) -> None:
    # Given a case rated once
    first = submit("case-first-02", FIRST_RATED_AT)
    assert first.status == HTTPStatus.CREATED
    assert first.receipt and first.receipt["follow_up_rating"] is False
    # When it is rated again a minute before the follow-up period ends
    at = FIRST_RATED_AT + period - timedelta(minutes=1)
    second = submit("case-second-2", at, level=2)
    # Then that is its follow-up rating 追评, recorded at that time
    assert second.status == HTTPStatus.CREATED
    assert second.receipt and second.receipt["follow_up_rating"] is True
    assert second.receipt["rated_at"] == china_time(at)
    assert second.receipt["tracking_code"] != first.receipt["tracking_code"]
    # And a third rating, even well within the period, is 409
    third = submit("case-third-03", FIRST_RATED_AT + timedelta(days=1))
    assert third.status == HTTPStatus.CONFLICT
    assert "one follow-up rating" in third.message
    assert sorted(item["assess_number"]["N"] for item in stack.ratings()) == ["1", "2"]
    assert case_mark(stack)["rating_count"] == {"N": "2"}


def test_the_same_submission_after_a_follow_up_is_200_with_the_same_receipt(
    stack: Any, period: timedelta, submit: Submit
) -> None:
    # Given a case rated once and then followed up
    first = submit("case-first-04", FIRST_RATED_AT)
    follow_up = submit("case-follow-04", FIRST_RATED_AT + timedelta(days=3), level=1)
    assert (first.status, follow_up.status) == (HTTPStatus.CREATED, HTTPStatus.CREATED)
    assert follow_up.receipt and follow_up.receipt["follow_up_rating"] is True
    # When the phone resends each submission, the follow-up once more after the period is over
    first_again = submit("case-first-04", FIRST_RATED_AT + timedelta(days=3, minutes=2))
    follow_up_again = submit("case-follow-04", FIRST_RATED_AT + timedelta(days=3, minutes=2), level=1)
    follow_up_late = submit("case-follow-04", FIRST_RATED_AT + period + timedelta(days=1), level=1)
    # Then each is 200 with the receipt it had: the same tracking code, time and follow-up flag
    assert first_again == Answer(HTTPStatus.OK, first.receipt)
    assert follow_up_again == Answer(HTTPStatus.OK, follow_up.receipt)
    assert follow_up_late == Answer(HTTPStatus.OK, follow_up.receipt)
    # And nothing more is stored
    assert len(stack.ratings()) == 2
    assert case_mark(stack)["rating_count"] == {"N": "2"}


@pytest.mark.parametrize(
    ("after_first", "status"),
    [
        (lambda period: timedelta(0), HTTPStatus.CREATED),
        (lambda period: timedelta(days=1), HTTPStatus.CREATED),
        (lambda period: period, HTTPStatus.CREATED),
        (lambda period: period + timedelta(microseconds=1), HTTPStatus.CONFLICT),
        (lambda period: period + timedelta(days=1), HTTPStatus.CONFLICT),
    ],
    ids=["same-moment", "next-day", "last-moment-of-the-period", "just-after", "a-day-after"],
)
def test_the_follow_up_period_ends_exactly_after_the_configured_days(
    stack: Any, period: timedelta, submit: Submit, after_first: Callable[[timedelta], timedelta], status: HTTPStatus
) -> None:
    # Given a case rated once
    assert submit("svc-first-1", FIRST_RATED_AT).status == HTTPStatus.CREATED
    # When it is rated again at the moment under test
    at = FIRST_RATED_AT + after_first(period)
    second = submit("svc-second-1", at, level=3)
    # Then within the period (its last moment included) it is the follow-up rating, after it a conflict
    assert second.status == status
    if status == HTTPStatus.CREATED:
        assert second.receipt and second.receipt["follow_up_rating"] is True
        assert case_mark(stack)["rating_count"] == {"N": "2"}
    else:
        assert "follow-up period" in second.message
        assert len(stack.ratings()) == 1
        assert case_mark(stack)["rating_count"] == {"N": "1"}
