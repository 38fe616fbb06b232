"""Reconcile on in-memory stores: a day recounted from its ratings and tasks agrees with what the
stream counted; a lost batch, a counter changed by hand on a day or on a month, are found and
repaired where they are wrong and nowhere else; a stream batch landing in between is never
undone, and a change the stream has not counted yet is not counted a second time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from haochaping.domain.followup import Action, apply
from haochaping.domain.rating import Rating
from haochaping.domain.scores import (
    Count,
    Period,
    PeriodKind,
    RatingChanged,
    RatingState,
    Scope,
    ScopeKind,
    SheetKey,
    StreamRecord,
    TaskChanged,
    add_to,
    placed,
    rating_counts,
    recount,
)
from haochaping.domain.task import Task
from haochaping.observability import metrics
from haochaping.operations import reconcile, scores

from tests.unit.fakes import MemoryStores
from tests.unit.test_score_counting import DIVISION, HALL, OFFICER, RATED_AT, a_rating, a_task, batch

pytestmark = pytest.mark.unit

DAY = date(2026, 3, 11)  # RATED_AT in Asia/Shanghai
DAY_KEY = SheetKey(Period(PeriodKind.DAY, "2026-03-11"), DIVISION, HALL)
MONTH_KEY = SheetKey(Period(PeriodKind.MONTH, "2026-03"), DIVISION, HALL)
YEAR_KEY = SheetKey(Period(PeriodKind.YEAR, "2026"), DIVISION, HALL)
HALL_SCOPE = Scope(ScopeKind.HALL, HALL)


@pytest.fixture(autouse=True)
def metrics_namespace(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A day of counting adds over a hundred metrics, which Powertools flushes as it goes.
    monkeypatch.setattr(metrics, "namespace", "HaochapingUnit")
    yield
    metrics.clear_metrics()


@dataclass
class World:
    """Ratings and tasks written to the stores and counted by the stream, as on a real day."""

    stores: MemoryStores = field(default_factory=MemoryStores)
    sequence: int = 0

    def record(self, change: RatingChanged | TaskChanged) -> StreamRecord:
        self.sequence += 1
        return StreamRecord(f"{self.sequence:021d}", change)

    def count(self, *records: StreamRecord) -> None:
        assert scores.count_batch(batch(*records), self.stores) == []

    def rate(self, rating: Rating, counted: bool = True) -> StreamRecord:
        self.stores.ratings.ratings[rating.tracking_code] = rating
        record = self.record(RatingChanged(None, RatingState(rating)))
        if counted:
            self.count(record)
        return record

    def follow_up(self, rating: Rating) -> Task:
        """Open the bad review's task and resolve it on the spot, each write counted."""
        opened = a_task(rating)
        resolved = apply(opened, OFFICER, Action.RESOLVE_ON_SPOT, 1, RATED_AT, text="当场解决")
        self.stores.tasks.create(resolved, [], None)
        self.count(self.record(TaskChanged(None, opened)), self.record(TaskChanged(opened, resolved)))
        return resolved

    def not_adopt(self, rating: Rating) -> None:
        self.stores.ratings.not_adopted.add(rating.tracking_code)
        self.count(self.record(RatingChanged(RatingState(rating), RatingState(rating, True))))


def a_day(world: World, ratings: int = 40) -> list[Rating]:
    """``ratings`` ratings over 20 windows, levels cycling 5 … 1; every bad review followed up,
    the first not adopted; and a follow-up rating 追评, which counts for nothing."""
    given = [a_rating(n, level=5 - n % 5) for n in range(1, ratings + 1)]
    for rating in given:
        world.rate(rating)
    bad = [rating for rating in given if rating.is_bad_review]
    for rating in bad:
        world.follow_up(rating)
    world.not_adopt(bad[0])
    world.rate(a_rating(ratings + 1, level=1, assess_number=2))
    return given


def test_a_recount_equals_what_the_stream_counted_change_by_change() -> None:
    world = World()
    a_day(world)
    states = world.stores.ratings.rated_on(DAY)
    tasks = world.stores.tasks.get_many([s.rating.tracking_code for s in states])
    for kind in PeriodKind:
        expected = recount(states, tasks, kind)
        stored = {key: entries for key, entries in world.stores.scores.sheets_by_key.items() if key.period.kind == kind}
        assert expected == stored


def test_sheets_the_stream_kept_right_are_left_alone() -> None:
    world = World()
    a_day(world)
    before = {key: dict(entries) for key, entries in world.stores.scores.sheets_by_key.items()}
    result = reconcile.reconcile_day(DAY, world.stores, settle=0)
    assert (result.drift, result.repaired, result.ratings) == (0, 0, 41)
    assert world.stores.scores.repairs == []
    assert world.stores.scores.sheets_by_key == before


def test_a_lost_batch_is_restored_on_the_day_the_month_and_the_year() -> None:
    # Given a day counted right, and what it should hold
    world = World()
    a_day(world)
    right = {key: dict(entries) for key, entries in world.stores.scores.sheets_by_key.items()}
    # And two ratings stored whose stream records were never counted (retries exhausted)
    lost = [a_rating(100, level=5), a_rating(101, level=2)]
    for rating in lost:
        world.rate(rating, counted=False)
    expected = dict(right)
    for rating in lost:
        add_to(expected, placed(rating, rating_counts(rating, False)))
    # When the day is reconciled
    waited: list[float] = []
    result = reconcile.reconcile_day(DAY, world.stores, settle=60, wait=waited.append)
    # Then the difference was confirmed once after a wait, and every sheet holds the recount
    assert waited == [60]
    assert world.stores.scores.sheets_by_key == expected
    assert set(world.stores.scores.repairs) == {DAY_KEY, MONTH_KEY, YEAR_KEY}
    assert result.drift == result.repaired > 0
    assert result.unsettled == 0
    # And a second run finds nothing
    again = reconcile.reconcile_day(DAY, world.stores, settle=0)
    assert again.drift == 0


def test_a_counter_changed_on_the_day_sheet_is_repaired_there_only() -> None:
    world = World()
    a_day(world)
    right = {key: dict(entries) for key, entries in world.stores.scores.sheets_by_key.items()}
    world.stores.scores.set_counter(DAY_KEY, HALL_SCOPE, Count.VERY_SATISFIED, 999)
    result = reconcile.reconcile_day(DAY, world.stores, settle=0)
    assert result.drift == result.repaired == 1
    assert result.sheets == {"day:2026-03-11:" + HALL: 1}
    assert world.stores.scores.sheets_by_key == right
    assert world.stores.scores.repairs == [DAY_KEY]


def test_a_counter_changed_on_the_month_sheet_is_repaired_from_its_days() -> None:
    world = World()
    a_day(world)
    # Another day of the month, counted right
    world.rate(a_rating(500, level=4, rated_at=RATED_AT + timedelta(days=3)))
    right = {key: dict(entries) for key, entries in world.stores.scores.sheets_by_key.items()}
    world.stores.scores.set_counter(MONTH_KEY, HALL_SCOPE, Count.VALID, 3)
    result = reconcile.reconcile_day(DAY, world.stores, settle=0)
    assert result.drift == result.repaired == 1
    assert world.stores.scores.sheets_by_key == right
    assert world.stores.scores.repairs == [MONTH_KEY]


def test_a_stream_batch_landing_before_the_repair_is_not_undone() -> None:
    # Given a day whose hall counter was changed by hand
    world = World()
    a_day(world)
    world.stores.scores.set_counter(DAY_KEY, HALL_SCOPE, Count.SATISFIED, 0)
    # And a rating counted by the stream between reconcile's read and its write
    late = a_rating(300, level=4)
    world.stores.scores.before_repair.append(lambda: world.rate(late))
    # When the day is reconciled
    result = reconcile.reconcile_day(DAY, world.stores, settle=0)
    # Then the first repair was refused and made again over what the stream wrote
    assert result.conflicts == 1
    states = world.stores.ratings.rated_on(DAY)
    tasks = world.stores.tasks.get_many([s.rating.tracking_code for s in states])
    for kind in PeriodKind:
        expected = recount(states, tasks, kind)
        assert {k: v for k, v in world.stores.scores.sheets_by_key.items() if k.period.kind == kind} == expected
    assert world.stores.scores.sheets_by_key[DAY_KEY][(HALL_SCOPE, Count.SATISFIED)] == 9  # 8 + the late one


def test_a_change_the_stream_counts_while_the_difference_settles_is_not_counted_twice() -> None:
    # Given a rating stored whose record the stream has not counted yet
    world = World()
    a_day(world)
    pending = world.rate(a_rating(400, level=3), counted=False)
    # When reconcile finds the difference, and the stream counts the record while it waits
    result = reconcile.reconcile_day(DAY, world.stores, settle=30, wait=lambda _: world.count(pending))
    # Then nothing was repaired: the difference had gone
    assert result.drift > 0 and result.repaired == 0 and result.unsettled == result.drift
    assert world.stores.scores.repairs == []
    assert world.stores.scores.sheets_by_key[DAY_KEY][(HALL_SCOPE, Count.BASICALLY_SATISFIED)] == 9
    assert reconcile.reconcile_day(DAY, world.stores, settle=0).drift == 0


def test_a_large_difference_is_written_in_writes_one_expression_holds() -> None:
    world = World()
    world.stores.scores.max_counts_per_sheet = 10
    for n in range(1, 41):
        world.rate(a_rating(n, level=5 - n % 5), counted=False)
    reconcile.reconcile_day(DAY, world.stores, settle=0)
    states = world.stores.ratings.rated_on(DAY)
    assert world.stores.scores.sheets_by_key == {
        **recount(states, {}, PeriodKind.DAY),
        **recount(states, {}, PeriodKind.MONTH),
        **recount(states, {}, PeriodKind.YEAR),
    }
    assert len(world.stores.scores.repairs) > 3


def test_a_day_whose_ratings_are_not_in_the_index_is_not_emptied() -> None:
    # Given a day counted, whose ratings the index does not return (written before it existed)
    world = World()
    a_day(world)
    before = {key: dict(entries) for key, entries in world.stores.scores.sheets_by_key.items()}
    world.stores.ratings.ratings.clear()
    # When the day is reconciled
    result = reconcile.reconcile_day(DAY, world.stores, settle=0)
    # Then the difference is reported, not repaired
    assert result.drift > 0 and result.repaired == 0 and result.ratings == 0
    assert world.stores.scores.sheets_by_key == before
