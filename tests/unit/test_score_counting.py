"""Counting the stream exactly once, on in-memory stores: a batch retried whole, failed half way,
split in two, a record delivered twice or out of order, a writer in between; the counts always
equal one application of every change, and a batch costs one write per sheet plus one mark."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from haochaping.domain.followup import Action, Actor, Role, apply, open_task
from haochaping.domain.rating import Channel, Level, Rating
from haochaping.domain.scores import (
    Count,
    Period,
    PeriodKind,
    RatingChanged,
    RatingState,
    Scope,
    ScopeKind,
    SheetKey,
    StreamBatch,
    StreamRecord,
    TaskChanged,
    add_to,
    placed,
)
from haochaping.domain.task import Task
from haochaping.operations import scores

from tests.unit.fakes import MemoryStores

pytestmark = pytest.mark.unit

STREAM = "arn:aws:dynamodb:cn-northwest-1:123456789012:table/Ratings/stream/2026-03-01T00:00:00.000"
SHARD = "shardId-00000001772323200000-aaaaaaaa"
DIVISION, HALL = "640104", "XQZWFW"
RATED_AT = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)
OFFICER = Actor("XQ2001", frozenset({Role.OFFICER}), HALL, DIVISION)


def a_rating(n: int, level: int = 5, window: int | None = None, hall: str = HALL, **fields: Any) -> Rating:
    w = n % 20 if window is None else window
    values: dict[str, Any] = {
        "tracking_code": f"TC{n:010d}",
        "submission_id": f"unit-{n}",
        "division_code": DIVISION,
        "window_code": f"640104-W{w:03d}",
        "hall_code": hall,
        "department_code": f"1164010400000000{w % 5:02d}",
        "staff_job_number": f"XQ{w:04d}",
        "level": Level(level),
        "channel": Channel.QR,
        "tags": (),
        "tag_version": "2026.1",
        "comment": "",
        "case_no": None,
        "item_code": None,
        "real_name": False,
        "assess_number": 1,
        "rated_at": RATED_AT + timedelta(seconds=n),
    }
    return Rating(**(values | fields))


def inserted(sequence: int, rating: Rating) -> StreamRecord:
    return StreamRecord(f"{sequence:021d}", RatingChanged(None, RatingState(rating)))


def batch(*records: StreamRecord, shard: str = SHARD) -> StreamBatch:
    return StreamBatch(STREAM, shard, tuple(records))


def ratings_stream(count: int, start: int = 1) -> list[StreamRecord]:
    """``count`` new ratings over 20 windows, levels cycling 5, 4, 3, 2, 1, sequence numbers from ``start``."""
    return [inserted(start + n, a_rating(start + n, level=5 - n % 5)) for n in range(count)]


def applied_once(records: list[StreamRecord]) -> dict[SheetKey, dict[tuple[Scope, Count], int]]:
    """What the records count for, each applied once: the expected sheets, computed from the domain."""
    sheets: dict[SheetKey, dict[tuple[Scope, Count], int]] = {}
    for record in records:
        change = record.change
        assert isinstance(change, RatingChanged)
        add_to(sheets, placed(change.rating, change.counts()))
    return sheets


@pytest.fixture
def stores() -> MemoryStores:
    return MemoryStores()


def test_a_batch_is_counted_once_in_one_write_of_its_three_sheets_and_the_mark(stores: MemoryStores) -> None:
    # Given 100 new ratings of one hall over 20 windows
    records = ratings_stream(100)
    # When the batch is counted
    failed = scores.count_batch(batch(*records), stores)
    # Then nothing failed, the sheets hold each rating once, and the mark is at the last record
    assert failed == []
    assert stores.scores.sheets_by_key == applied_once(records)
    assert stores.scores.marks[(STREAM, SHARD)] == records[-1].sequence
    # And it took one transaction of the day's, month's and year's sheets and the mark
    assert stores.scores.writes == [4]
    day = stores.scores.sheets_by_key[SheetKey(Period(PeriodKind.DAY, "2026-03-11"), DIVISION, HALL)]
    assert day[(Scope(ScopeKind.HALL, HALL), Count.VALID)] == 100
    assert day[(Scope(ScopeKind.WINDOW, "640104-W007"), Count.VALID)] == 5


def test_a_batch_retried_whole_changes_nothing(stores: MemoryStores) -> None:
    # Given a batch counted, whose invocation is then retried (the reply was lost)
    records = ratings_stream(50)
    scores.count_batch(batch(*records), stores)
    # When the same batch comes again, twice
    again = [scores.count_batch(batch(*records), stores) for _ in range(2)]
    # Then nothing is written: every record is below the mark
    assert again == [[], []]
    assert stores.scores.applies == 1
    assert stores.scores.sheets_by_key == applied_once(records)


def test_a_batch_that_failed_half_way_is_finished_by_its_retry(stores: MemoryStores) -> None:
    # Given a batch too big for one transaction (one sheet per write here), whose second write fails
    stores.scores.max_sheets_per_write = 3
    days = [inserted(n, a_rating(n, rated_at=RATED_AT + timedelta(days=n // 10))) for n in range(1, 31)]
    stores.scores.fail_applies = {2}
    # When it is counted
    failed = scores.count_batch(batch(*days), stores)
    # Then the first chunk (the first day) landed, and every record after it is reported, in order
    assert failed == [record.sequence for record in days[9:]]
    assert stores.scores.sheets_by_key == applied_once(days[:9])
    # When Lambda retries from the first reported record, and then replays the whole batch besides
    assert scores.count_batch(batch(*days[9:]), stores) == []
    assert scores.count_batch(batch(*days), stores) == []
    # Then every record counts once
    assert stores.scores.sheets_by_key == applied_once(days)


def test_a_write_whose_answer_was_lost_is_not_applied_again(stores: MemoryStores) -> None:
    # Given the transaction lands but its answer never comes back: the function reports the batch failed
    records = ratings_stream(20)
    stores.scores.lost_replies = {1}
    assert scores.count_batch(batch(*records), stores) == [record.sequence for record in records]
    # When the batch is retried, then split in two as BisectBatchOnFunctionError would
    assert scores.count_batch(batch(*records), stores) == []
    assert scores.count_batch(batch(*records[:10]), stores) == []
    assert scores.count_batch(batch(*records[10:]), stores) == []
    # Then it counted once
    assert stores.scores.sheets_by_key == applied_once(records)


def test_a_record_delivered_twice_or_late_counts_once(stores: MemoryStores) -> None:
    # Given two batches that overlap (the last record of the first opens the second)
    records = ratings_stream(12)
    first, second = records[:6], records[5:]
    # When both are counted, then an early record comes again on its own, out of order
    assert scores.count_batch(batch(*first), stores) == []
    assert scores.count_batch(batch(*second), stores) == []
    assert scores.count_batch(batch(records[2]), stores) == []
    # Then each counted once
    assert stores.scores.sheets_by_key == applied_once(records)


def test_shards_have_marks_of_their_own(stores: MemoryStores) -> None:
    # Given records of two shards whose sequence numbers interleave
    ours, theirs = ratings_stream(5, start=1), ratings_stream(5, start=100)
    # When the other shard, further on, is counted first
    assert scores.count_batch(batch(*theirs, shard="shardId-other"), stores) == []
    assert scores.count_batch(batch(*ours), stores) == []
    # Then this shard's records are not taken for counted
    assert stores.scores.sheets_by_key == applied_once(ours + theirs)


def test_a_writer_in_between_makes_the_chunk_retry_on_top_of_what_it_wrote(stores: MemoryStores) -> None:
    # Given an invocation that read the mark, and another (timed out, yet its write landed) that
    # counted the first half meanwhile
    records = ratings_stream(10)
    original_high_water = stores.scores.high_water

    def read_then_overtaken(stream: str, shard: str) -> str | None:
        seen = original_high_water(stream, shard)
        stores.scores.high_water = original_high_water  # type: ignore[method-assign]
        scores.count_batch(batch(*records[:5]), stores)
        return seen

    stores.scores.high_water = read_then_overtaken  # type: ignore[method-assign]
    # When it writes
    failed = scores.count_batch(batch(*records), stores)
    # Then its write is refused and the whole batch reported; the retry counts only the rest
    assert failed == [record.sequence for record in records]
    assert scores.count_batch(batch(*records), stores) == []
    assert stores.scores.sheets_by_key == applied_once(records)


def test_chunks_fit_a_transaction_and_the_counters_one_expression_may_change(stores: MemoryStores) -> None:
    # Given a store that takes at most 40 counters of a sheet per write
    stores.scores.max_counts_per_sheet = 40
    records = ratings_stream(100)
    # When 100 ratings over 20 windows are counted
    assert scores.count_batch(batch(*records), stores) == []
    # Then it took several writes, none over the limits (the fake refuses those), and the sum is right
    assert len(stores.scores.writes) > 1
    assert stores.scores.sheets_by_key == applied_once(records)


def test_not_adopted_and_an_upheld_appeal_move_a_rating_everywhere(stores: MemoryStores) -> None:
    # Given a bad review counted
    rating = a_rating(1, level=1, real_name=True)
    scores.count_batch(batch(inserted(1, rating)), stores)
    before = dict(stores.scores.sheets_by_key)
    # When its item is flagged not adopted
    flag = StreamRecord("2".zfill(21), RatingChanged(RatingState(rating), RatingState(rating, True)))
    scores.count_batch(batch(flag), stores)
    # Then on each of its sheets, for window, staff, department and hall, it left valid and went to not adopted
    for entries in stores.scores.sheets_by_key.values():
        assert {count: n for (_, count), n in entries.items()} == {Count.NOT_ADOPTED: 1}
        assert len(entries) == 4
    # When an appeal is upheld and the flag cleared
    restore = StreamRecord("3".zfill(21), RatingChanged(RatingState(rating, True), RatingState(rating)))
    scores.count_batch(batch(restore), stores)
    # Then the sheets are as before it was flagged
    assert stores.scores.sheets_by_key == before


def a_task(rating: Rating) -> Task:
    return open_task(
        tracking_code=rating.tracking_code,
        division_code=rating.division_code,
        hall_code=rating.hall_code,
        window_code=rating.window_code,
        rated_staff=rating.staff_job_number,
        real_name=rating.real_name,
        opened_at=rating.rated_at,
        first_contact_due=rating.rated_at + timedelta(days=1),
        rectification_due=rating.rated_at + timedelta(days=7),
        provisional=False,
    )


def test_task_outcomes_count_where_their_rating_does_reading_only_the_ratings_not_in_the_batch(
    stores: MemoryStores,
) -> None:
    # Given two bad reviews, one rated days ago (stored), one new in this batch, both resolved now
    old = a_rating(1, level=2, rated_at=RATED_AT - timedelta(days=40))
    new = a_rating(2, level=1)
    stores.ratings.ratings[old.tracking_code] = old
    records = [inserted(10, new)]
    sequence = 11
    for rating in (old, new):
        opened = a_task(rating)
        resolved = apply(opened, OFFICER, Action.RESOLVE_ON_SPOT, 1, RATED_AT, text="当场解决")
        noticed = replace(resolved, notified_step="x")  # a system write that counts for nothing
        for before, after in ((None, opened), (opened, resolved), (resolved, noticed)):
            records.append(StreamRecord(f"{sequence:021d}", TaskChanged(before, after)))
            sequence += 1
    # When the batch is counted
    assert scores.count_batch(batch(*records), stores) == []
    # Then the stored rating alone was read, once
    assert stores.ratings.reads_of_many == [[old.tracking_code]]
    # And each outcome counts on its rating's sheets: the old one in February, the new one in March
    february = SheetKey(Period(PeriodKind.MONTH, "2026-01"), DIVISION, HALL)
    window = Scope(ScopeKind.WINDOW, old.window_code)
    assert stores.scores.sheets_by_key[february] == {
        (scope, Count.ON_THE_SPOT): 1 for scope in (window, *_other_scopes(old))
    }
    march = stores.scores.sheets_by_key[SheetKey(Period(PeriodKind.MONTH, "2026-03"), DIVISION, HALL)]
    assert march[(Scope(ScopeKind.HALL, HALL), Count.ON_THE_SPOT)] == 1
    assert march[(Scope(ScopeKind.HALL, HALL), Count.VERY_DISSATISFIED)] == 1


def _other_scopes(rating: Rating) -> tuple[Scope, ...]:
    return (
        Scope(ScopeKind.STAFF, str(rating.staff_job_number)),
        Scope(ScopeKind.DEPARTMENT, rating.department_code),
        Scope(ScopeKind.HALL, rating.hall_code),
    )


def test_a_batch_of_task_writes_that_count_for_nothing_reads_and_writes_nothing(stores: MemoryStores) -> None:
    # Given a task's escalation bookkeeping
    opened = a_task(a_rating(1, level=2))
    records = [StreamRecord("1".zfill(21), TaskChanged(opened, replace(opened, notified_step="x")))]
    # When it is counted
    assert scores.count_batch(batch(*records), stores) == []
    # Then nothing was read or written
    assert stores.ratings.reads_of_many == [] and stores.scores.applies == 0


def test_an_unreadable_record_counts_for_nothing_and_holds_nothing_up(stores: MemoryStores) -> None:
    # Given a batch with an unreadable record between two ratings, and an item scores ignore
    records = ratings_stream(3)
    mixed = [records[0], StreamRecord("2".zfill(21), unreadable=True), records[2], StreamRecord("4".zfill(21))]
    # When it is counted
    assert scores.count_batch(batch(*mixed), stores) == []
    # Then the readable ratings count, and the mark is past the whole batch
    assert stores.scores.sheets_by_key == applied_once([records[0], records[2]])
    assert stores.scores.marks[(STREAM, SHARD)] == "4".zfill(21)


def test_a_failed_read_of_the_tasks_ratings_reports_the_batch(stores: MemoryStores) -> None:
    # Given a task change whose rating cannot be read now
    opened = a_task(a_rating(1, level=2))
    resolved = apply(opened, OFFICER, Action.RESOLVE_ON_SPOT, 1, RATED_AT, text="当场解决")
    records = [StreamRecord("1".zfill(21), TaskChanged(opened, resolved))]

    def unreachable(codes: object) -> dict[str, Rating]:
        raise TimeoutError("the table did not answer")

    stores.ratings.get_many = unreachable  # type: ignore[method-assign]
    # Then the record is reported for a retry, and nothing was written
    assert scores.count_batch(batch(*records), stores) == ["1".zfill(21)]
    assert stores.scores.applies == 0


def test_the_figures_are_read_from_the_sheets(stores: MemoryStores) -> None:
    # Given 10 ratings, levels 5, 4, 3, 2, 1 twice over
    scores.count_batch(batch(*ratings_stream(10)), stores)
    # When the day's figures are read
    result = scores.figures_for(Period(PeriodKind.DAY, "2026-03-11"), stores)
    # Then the division's are the whole batch's: good 6/10, mean 3
    division = result[Scope(ScopeKind.DIVISION, DIVISION)]
    assert (division.valid, division.good_rate, division.mean_score) == (10, Fraction(3, 5), 3)
    assert result[Scope(ScopeKind.WINDOW, "640104-W003")].valid == 1
