"""Floods 疑似刷评 on in-memory stores: a source's ratings beyond its budget at a window are stored
held for review, in no score and with no follow-up; a supervisor of the hall releases them (they
count, a bad review's task opens from the release) or rejects them (not adopted, reported)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from haochaping.domain.errors import Conflict, Forbidden, InvalidFields, NotFound
from haochaping.domain.followup import Actor, Role
from haochaping.domain.plates import issue_device_token, plate_signature
from haochaping.domain.rating import Rating
from haochaping.domain.registry import Department, Hall, Shift, Window, WindowEntry
from haochaping.domain.review import Decision
from haochaping.domain.submission import RatingSubmission
from haochaping.domain.suspicion import Review, Source
from haochaping.domain.task import TaskState
from haochaping.operations import followup, ratings, stream, suspected
from haochaping.operations.rules import Rules, rules_from
from haochaping.settings import settings_from

from tests.unit.conftest import SETTINGS_VARIABLES
from tests.unit.fakes import MemoryStores

pytestmark = pytest.mark.unit

HALL, OTHER_HALL, WINDOW = "XQZWFW", "XQBDC", "640104-A017"
ON_DUTY = "XQ3009"  # a supervisor who also serves at the window
SUPERVISOR = Actor("XQ3001", frozenset({Role.SUPERVISOR}), HALL, "640104")
RATED_SUPERVISOR = Actor(ON_DUTY, frozenset({Role.SUPERVISOR}), HALL, "640104")
OFFICER = Actor("XQ2001", frozenset({Role.OFFICER}), HALL, "640104")
OTHER_SUPERVISOR = Actor("XQ3101", frozenset({Role.SUPERVISOR}), OTHER_HALL, "640104")
SHARED_WIFI = "203.0.113.50"
NOW = datetime(2026, 3, 10, 2, 5, tzinfo=UTC)  # Tuesday 10:05 in China


@pytest.fixture
def rules() -> Rules:
    # A small budget per address, so a flood is a few ratings here.
    return rules_from(settings_from({**SETTINGS_VARIABLES, "RATING_BUDGET_PER_ADDRESS": "3"}))


@pytest.fixture
def stores() -> MemoryStores:
    stores = MemoryStores()
    stores.registry.windows[WINDOW] = WindowEntry(
        window=Window(
            code=WINDOW, hall_code=HALL, number="17", name="社保综合窗口", department_code="11640104MB0000001A"
        ),
        hall=Hall(code=HALL, name="兴庆区政务服务中心"),
        department=Department(code="11640104MB0000001A", name="兴庆区行政审批服务局"),
        shifts=(),
    )
    stores.registry.officers[HALL] = ["XQ2001"]
    return stores


def rate(
    stores: MemoryStores,
    rules: Rules,
    level: int = 1,
    device: str | None = None,
    address: str = SHARED_WIFI,
    now: datetime = NOW,
    **fields: Any,
) -> Rating:
    """A rating of the window by its plate: from a phone with the form's device token, or a pad."""
    submission = RatingSubmission(
        window_code=WINDOW,
        sig=plate_signature(WINDOW, stores.signing_secret()),
        level=level,
        submission_id=uuid.uuid4().hex,
        channel=fields.pop("channel", "qr" if device else "window_device"),
        **fields,
    )
    rating, created = ratings.submit_rating(submission, stores, rules, device, now=now, address=address)
    assert created
    return rating


def a_phone(stores: MemoryStores) -> str:
    return issue_device_token(uuid.uuid4().hex, stores.signing_secret())


def seen(stores: MemoryStores, rating: Rating, event: str = "INSERT", before: Rating | None = None) -> None:
    """The stream's record of a rating written (or changed from ``before``), handed to its consumer."""
    record = {"eventName": event, "dynamodb": {"NewImage": rating, "OldImage": before}}
    stream.see_rating_change(
        record,
        lambda image: image or None,  # type: ignore[arg-type, return-value]
        stores.queues,
        lambda image: image.review if image else None,  # type: ignore[attr-defined]
    )


# -- budgets -------------------------------------------------------------------------------------


def test_beyond_the_address_budget_ratings_are_stored_held_with_their_evidence(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given a window's budget of 3 per address and hour, and a script posting as the window's pad
    posted = [rate(stores, rules) for _ in range(5)]
    # Then the first 3 count and the other 2 are held, every one of them stored
    assert [r.held_for_review for r in posted] == [False, False, False, True, True]
    assert all(stores.ratings.get(r.tracking_code) == r for r in posted)
    assert [r.counts for r in posted] == [True, True, True, False, False]
    # And the evidence names the address's budget, by a hash that is not the address
    (over,) = posted[-1].suspicion.over  # type: ignore[union-attr]
    assert (over.source, over.limit, over.window_code) == (Source.ADDRESS, 3, WINDOW)
    assert SHARED_WIFI not in repr(posted[-1])
    # And the receipt says so
    assert ratings.receipt_for(posted[-1], stores).held_for_review is True
    assert ratings.receipt_for(posted[0], stores).held_for_review is False


def test_a_device_beyond_its_budget_is_held_and_other_devices_are_not(stores: MemoryStores, rules: Rules) -> None:
    # Given one phone that rates the window four times in the hour (waiting out each cool-down)
    phone = a_phone(stores)
    same_phone = [
        rate(stores, rules, device=phone, address=f"198.51.100.{n}", now=NOW + timedelta(minutes=11 * n))
        for n in range(4)
    ]
    # Then its fourth is held, over the device's budget of 3
    assert [r.held_for_review for r in same_phone] == [False, False, False, True]
    assert [b.source for b in same_phone[-1].suspicion.over] == [Source.DEVICE]  # type: ignore[union-attr]


def test_the_budget_starts_afresh_each_period(stores: MemoryStores, rules: Rules) -> None:
    for _ in range(3):
        rate(stores, rules)
    assert rate(stores, rules).held_for_review is True
    assert rate(stores, rules, now=NOW + timedelta(hours=1)).held_for_review is False


# -- what follows from the stream ----------------------------------------------------------------


def test_a_held_bad_review_opens_no_task_until_it_is_released(stores: MemoryStores, rules: Rules) -> None:
    # Given a bad review held for review, as the stream shows it written
    for _ in range(3):
        rate(stores, rules, level=5)
    held = rate(stores, rules, level=1)
    assert held.held_for_review
    seen(stores, held)
    # Then nothing is queued for follow-up, and a message for it would open nothing
    assert stores.queues.bad_reviews.sent == []
    assert followup.open_followup(held.tracking_code, stores, rules) is False
    # When a supervisor of the hall releases it, two working days later
    released_at = NOW + timedelta(days=2)
    released = suspected.review(SUPERVISOR, held.tracking_code, Decision.RELEASE, "", stores, now=released_at)
    assert (released.review, released.counts) == (Review.RELEASED, True)
    # Then the stream's change from held to released sends it on, once
    seen(stores, stores.ratings.get(held.tracking_code), "MODIFY", before=held)  # type: ignore[arg-type]
    assert stores.queues.bad_reviews.sent == [held.tracking_code]
    # And its task opens with deadlines counted from the release, not from the rating
    assert followup.open_followup(held.tracking_code, stores, rules, now=released_at) is True
    task = stores.tasks.rows[held.tracking_code].task
    assert task.state == TaskState.VERIFYING
    assert task.counted_from == rules.deadlines(stores.calendar.for_hall(HALL), released_at).counted_from
    assert task.first_contact_due > released_at


def test_other_changes_of_a_rating_send_nothing(stores: MemoryStores, rules: Rules) -> None:
    counted = rate(stores, rules, level=1)
    seen(stores, counted, "MODIFY", before=counted)
    assert stores.queues.bad_reviews.sent == []


# -- the supervisor's decision -------------------------------------------------------------------


def _held(stores: MemoryStores, rules: Rules, level: int = 1) -> Rating:
    for _ in range(3):
        rate(stores, rules, level=5)
    held = rate(stores, rules, level=level)
    assert held.held_for_review
    return held


def test_the_halls_supervisors_see_the_held_ratings_and_no_one_else_does(stores: MemoryStores, rules: Rules) -> None:
    held = _held(stores, rules)
    assert [r.tracking_code for r in suspected.held_ratings(SUPERVISOR, stores)] == [held.tracking_code]
    assert suspected.held_ratings(OTHER_SUPERVISOR, stores) == []
    with pytest.raises(Forbidden):
        suspected.held_ratings(OFFICER, stores)


def test_the_supervisor_who_was_rated_neither_sees_nor_decides_it(stores: MemoryStores, rules: Rules) -> None:
    stores.registry.windows[WINDOW] = stores.registry.windows[WINDOW].model_copy(
        update={"shifts": (_round_the_clock(ON_DUTY),)}
    )
    held = _held(stores, rules)
    assert held.staff_job_number == ON_DUTY
    assert suspected.held_ratings(RATED_SUPERVISOR, stores) == []
    with pytest.raises(NotFound):
        suspected.review(RATED_SUPERVISOR, held.tracking_code, Decision.RELEASE, "", stores, now=NOW)


def _round_the_clock(job_number: str) -> Shift:
    return Shift(
        window_code=WINDOW,
        job_number=job_number,
        weekdays=(1, 2, 3, 4, 5, 6, 7),
        start=time(0, 0),
        end=time(23, 59, 59, 999999),
        valid_from=date(2020, 1, 1),
    )


def test_a_rejected_rating_is_not_adopted_as_malicious_and_reported(stores: MemoryStores, rules: Rules) -> None:
    held = _held(stores, rules)
    # A rejection needs its reason
    with pytest.raises(InvalidFields) as refused:
        suspected.review(SUPERVISOR, held.tracking_code, Decision.REJECT, "  ", stores, now=NOW)
    assert list(refused.value.problems) == ["text"]
    # When the supervisor rejects it
    rejected = suspected.review(
        SUPERVISOR, held.tracking_code, Decision.REJECT, "同一地址一小时内连续评价", stores, now=NOW
    )
    # Then it is kept, counted nowhere, not adopted, and reported as malicious with its evidence
    assert (rejected.review, rejected.counts, rejected.opens_follow_up) == (Review.REJECTED, False, False)
    assert held.tracking_code in stores.ratings.not_adopted
    (report,) = stores.notices.reports.sent
    assert report.reason == "malicious" and report.approved_by == SUPERVISOR.identity  # type: ignore[attr-defined]
    assert "同一地址一小时内连续评价" in report.evidence and "同一网络地址" in report.evidence  # type: ignore[attr-defined]
    assert stores.tasks.reports("640104") == [report]
    # And it is off the list, and cannot be decided again
    assert suspected.held_ratings(SUPERVISOR, stores) == []
    with pytest.raises(Conflict):
        suspected.review(SUPERVISOR, held.tracking_code, Decision.RELEASE, "", stores, now=NOW)


@pytest.mark.parametrize("who", [OFFICER, OTHER_SUPERVISOR], ids=["officer", "other-hall"])
def test_only_a_supervisor_of_the_hall_decides(stores: MemoryStores, rules: Rules, who: Actor) -> None:
    held = _held(stores, rules)
    with pytest.raises((Forbidden, NotFound)):
        suspected.review(who, held.tracking_code, Decision.RELEASE, "", stores, now=NOW)
    assert stores.ratings.get(held.tracking_code).held_for_review  # type: ignore[union-attr]


def test_a_rating_never_held_cannot_be_decided(stores: MemoryStores, rules: Rules) -> None:
    counted = rate(stores, rules)
    with pytest.raises(Conflict):
        suspected.review(SUPERVISOR, counted.tracking_code, Decision.REJECT, "刷评", stores, now=NOW)
