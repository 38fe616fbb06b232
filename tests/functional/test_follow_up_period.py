"""一事一评 with one 追评: a case takes its follow-up rating only within FOLLOW_UP_RATING_DAYS.

The handler reads the real clock through ``haochaping.services.utc_now``; the ``clock``
fixture sets that one seam, so these requests go through SubmitRatingFunction whole and are
answered with real statuses. The boundary itself is checked on ``services.submit_rating``,
which takes ``now`` explicitly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from haochaping import services
from haochaping.domain.errors import Conflict
from haochaping.domain.plates import plate_signature
from haochaping.domain.rating import CHINA_TIME
from haochaping.domain.submission import RatingSubmission
from haochaping.settings import get_settings

from tests.functional.test_submit_rating_function import body_of, error_of

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

FUNCTION = "SubmitRatingFunction"
WINDOW = "640104-A017"  # a clerk on duty round the clock
CASE = "XQ-2026-000777"
# A Monday morning in the service centre (02:00 UTC is 10:00 in Asia/Shanghai).
FIRST_RATED_AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)

Invoke = Callable[[str, dict[str, Any]], Any]
LoadEvent = Callable[[str], dict[str, Any]]


class Clock:
    """The time the handler takes for "now"; set it before each request."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(stack: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    frozen = Clock(FIRST_RATED_AT)
    monkeypatch.setattr(services, "utc_now", frozen)
    yield frozen


@pytest.fixture
def period(stack: Any) -> timedelta:
    """The district's follow-up period, as the template configures it."""
    days = int(stack.environment["FOLLOW_UP_RATING_DAYS"])
    assert days == get_settings().follow_up_rating_days
    return timedelta(days=days)


@pytest.fixture
def post(stack: Any, invoke: Invoke, load_event: LoadEvent) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """POST /ratings with this JSON body, the window's plate signed."""

    def send(body: dict[str, Any]) -> dict[str, Any]:
        event = load_event("submit_rating/post_rating.json")
        event["headers"].pop("content-length", None)
        body = {"sig": plate_signature(body["window_code"], stack.signing_secret), **body}
        event["body"] = json.dumps(body, ensure_ascii=False)
        return invoke(FUNCTION, event)

    return send


def case_rating(submission_id: str, level: int = 4, case_no: str = CASE) -> dict[str, Any]:
    return {"window_code": WINDOW, "level": level, "case_no": case_no, "submission_id": submission_id}


def china_time(moment: datetime) -> str:
    return moment.astimezone(CHINA_TIME).isoformat(timespec="seconds")


def case_mark(stack: Any, case_no: str = CASE) -> dict[str, Any]:
    (mark,) = [item for item in stack.marks() if item["pk"] == {"S": f"CASE#{case_no}"}]
    return mark


def test_a_follow_up_after_the_period_is_409_and_nothing_is_stored(
    stack: Any, clock: Clock, period: timedelta, post: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    # Given a case rated once
    first = post(case_rating("case-first-01"))
    assert first["statusCode"] == 201, first["body"]
    assert body_of(first)["rated_at"] == china_time(FIRST_RATED_AT)  # the handler took the frozen clock
    # When it is rated again a minute after the follow-up period ends
    clock.now = FIRST_RATED_AT + period + timedelta(minutes=1)
    late = post(case_rating("case-late-001", level=2))
    # Then it is 409, saying the period is over, and only the first rating is stored
    assert late["statusCode"] == 409, late["body"]
    error = error_of(late)
    assert error["code"] == "conflict"
    assert "follow-up period" in error["message"]
    assert [item["submission_id"]["S"] for item in stack.ratings()] == ["case-first-01"]
    assert case_mark(stack)["rating_count"] == {"N": "1"}


def test_a_follow_up_within_the_period_is_201_and_a_third_rating_is_409(
    stack: Any, clock: Clock, period: timedelta, post: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    # Given a case rated once
    first = post(case_rating("case-first-02"))
    assert first["statusCode"] == 201, first["body"]
    assert body_of(first)["follow_up_rating"] is False
    # When it is rated again a minute before the follow-up period ends
    clock.now = FIRST_RATED_AT + period - timedelta(minutes=1)
    second = post(case_rating("case-second-2", level=2))
    # Then that is its follow-up rating 追评, recorded at that time
    assert second["statusCode"] == 201, second["body"]
    receipt = body_of(second)
    assert receipt["follow_up_rating"] is True
    assert receipt["rated_at"] == china_time(clock.now)
    assert receipt["tracking_code"] != body_of(first)["tracking_code"]
    # And a third rating, still within the period, is 409
    clock.now = FIRST_RATED_AT + timedelta(days=1)
    third = post(case_rating("case-third-03"))
    assert third["statusCode"] == 409, third["body"]
    assert error_of(third)["code"] == "conflict"
    assert "follow-up rating" in error_of(third)["message"]
    assert sorted(item["assess_number"]["N"] for item in stack.ratings()) == ["1", "2"]
    assert case_mark(stack)["rating_count"] == {"N": "2"}


def test_the_same_submission_after_a_follow_up_is_200_with_the_same_receipt(
    stack: Any, clock: Clock, period: timedelta, post: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    # Given a case rated once and then followed up
    first = post(case_rating("case-first-04"))
    clock.now = FIRST_RATED_AT + timedelta(days=3)
    follow_up = post(case_rating("case-follow-04", level=1))
    assert (first["statusCode"], follow_up["statusCode"]) == (201, 201)
    # When the phone resends each of the two submissions, the second one after the period too
    clock.now = FIRST_RATED_AT + timedelta(days=3, minutes=2)
    first_again = post(case_rating("case-first-04"))
    follow_up_again = post(case_rating("case-follow-04", level=1))
    clock.now = FIRST_RATED_AT + period + timedelta(days=1)
    follow_up_late = post(case_rating("case-follow-04", level=1))
    # Then each is 200 with the receipt it had: the same tracking code, time and follow-up flag
    assert first_again["statusCode"] == 200, first_again["body"]
    assert body_of(first_again) == body_of(first)
    for again in (follow_up_again, follow_up_late):
        assert again["statusCode"] == 200, again["body"]
        assert body_of(again) == body_of(follow_up)
    assert body_of(follow_up)["follow_up_rating"] is True
    # And nothing more is stored
    assert len(stack.ratings()) == 2
    assert case_mark(stack)["rating_count"] == {"N": "2"}


@pytest.mark.parametrize(
    ("after_first", "allowed"),
    [
        (lambda period: timedelta(0), True),
        (lambda period: timedelta(days=1), True),
        (lambda period: period, True),
        (lambda period: period + timedelta(microseconds=1), False),
        (lambda period: period + timedelta(days=1), False),
    ],
    ids=["same-moment", "next-day", "last-moment-of-the-period", "just-after", "a-day-after"],
)
def test_the_follow_up_period_ends_exactly_after_the_configured_days(
    stack: Any, period: timedelta, after_first: Callable[[timedelta], timedelta], allowed: bool
) -> None:
    # Given a case rated once, through the service with an explicit time
    settings = get_settings()
    sig = plate_signature(WINDOW, stack.signing_secret)
    first = RatingSubmission(window_code=WINDOW, sig=sig, level=4, case_no=CASE, submission_id="svc-first-1")
    rating, created = services.submit_rating(first, settings, None, now=FIRST_RATED_AT)
    assert created and rating.assess_number == 1
    # When it is rated again at the moment under test
    second = first.model_copy(update={"submission_id": "svc-second-1", "level": 3})
    now = FIRST_RATED_AT + after_first(period)
    # Then within the period (its last moment included) it is the follow-up rating, after it a conflict
    if allowed:
        follow_up, created = services.submit_rating(second, settings, None, now=now)
        assert created
        assert follow_up.is_follow_up and follow_up.assess_number == 2
        assert follow_up.rated_at == now
        assert case_mark(stack)["rating_count"] == {"N": "2"}
    else:
        with pytest.raises(Conflict, match="follow-up period"):
            services.submit_rating(second, settings, None, now=now)
        assert len(stack.ratings()) == 1
        assert case_mark(stack)["rating_count"] == {"N": "1"}
