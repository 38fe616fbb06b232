"""Scores: what a rating and a task count for, where and when, and the figures, computed by hand.

The fixture: one window's day, 2026-03-11 in China (00:30, still 2026-03-10 in UTC), ten first
ratings and a follow-up rating, three bad reviews worked through the follow-up moves themselves.

| level | ratings | bad reviews and what became of them                                                      |
|-------|---------|------------------------------------------------------------------------------------------|
| 5     | 4       |                                                                                          |
| 4     | 2       |                                                                                          |
| 3     | 1       |                                                                                          |
| 2     | 2       | A anonymous: rectified, feedback, 不满意 online (reopened), rectified again, feedback,     |
|       |         |   不满意 again (it stands), closed on time                                                 |
|       |         | B real-name: explained, feedback, called back 基本满意, closed a day after the deadline      |
| 1     | 1       | C real-name: resolved on the spot, feedback, no verdict yet                               |
| 1     | (追评)  | a follow-up rating: shown, never counted, nor is its task                                 |

valid 10; good 7/10; bad 3/10; mean (4·5 + 2·4 + 3 + 2·2 + 1)/10 = 36/10; reply 3/3;
call-back & rectification (A, B)/3 = 2/3; real-name B/(B, C) = 1/2; fix satisfaction
(B)/(A, B) = 1/2; on time A/(A, B) = 1/2.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from haochaping.domain.followup import Action, Actor, Role, apply, open_task
from haochaping.domain.rating import Channel, Level, Rating
from haochaping.domain.scores import (
    Count,
    Figures,
    Period,
    PeriodKind,
    RatingChanged,
    RatingState,
    Scope,
    ScopeKind,
    ScoreSheet,
    SheetKey,
    TaskChanged,
    add_to,
    board,
    difference,
    figures,
    periods_of,
    placed,
    rating_counts,
    task_counts,
    total,
)
from haochaping.domain.suspicion import Review
from haochaping.domain.task import Task

pytestmark = pytest.mark.unit

DIVISION, HALL, WINDOW, DEPARTMENT, STAFF = "640104", "XQZWFW", "640104-A017", "11640104MB0000001A", "XQ1017"
RATED_AT = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)  # 2026-03-11 00:30 in China
RECTIFICATION_DUE = datetime(2026, 3, 17, 16, 0, tzinfo=UTC)  # 24:00 of 03-17 in China
OFFICER = Actor("XQ2001", frozenset({Role.OFFICER}), HALL, DIVISION)
SUPERVISOR = Actor("XQ3001", frozenset({Role.SUPERVISOR}), HALL, DIVISION)
OTHER_SUPERVISOR = Actor("XQ3002", frozenset({Role.SUPERVISOR}), HALL, DIVISION)
CITIZEN = Actor.citizen()


def a_rating(n: int, level: int, real_name: bool = False, follow_up: bool = False, **fields: Any) -> Rating:
    values: dict[str, Any] = {
        "tracking_code": f"TC{n:010d}",
        "submission_id": f"unit-{n}",
        "division_code": DIVISION,
        "window_code": WINDOW,
        "hall_code": HALL,
        "department_code": DEPARTMENT,
        "staff_job_number": STAFF,
        "level": Level(level),
        "channel": Channel.QR,
        "tags": (),
        "tag_version": "2026.1",
        "comment": "",
        "case_no": None,
        "item_code": None,
        "real_name": real_name,
        "assess_number": 2 if follow_up else 1,
        "rated_at": RATED_AT,
    }
    return Rating(**(values | fields))


def worked(rating: Rating, moves: list[tuple[Actor, Action, dict[str, Any]]], start: datetime = RATED_AT) -> Task:
    """The rating's task after the moves, taken an hour apart from ``start``."""
    return history(rating, moves, start)[-1]


def history(
    rating: Rating, moves: list[tuple[Actor, Action, dict[str, Any]]], start: datetime = RATED_AT
) -> list[Task]:
    """The task as each move left it, the opened task first."""
    task = open_task(
        tracking_code=rating.tracking_code,
        division_code=rating.division_code,
        hall_code=rating.hall_code,
        window_code=rating.window_code,
        rated_staff=rating.staff_job_number,
        real_name=rating.real_name,
        opened_at=RATED_AT + timedelta(seconds=5),
        first_contact_due=RATED_AT + timedelta(days=1),
        rectification_due=RECTIFICATION_DUE,
        provisional=False,
    )
    tasks = [task]
    for hour, (actor, action, arguments) in enumerate(moves, start=1):
        task = apply(task, actor, action, task.version, start + timedelta(hours=hour), **arguments)
        tasks.append(task)
    return tasks


GOOD = [a_rating(n, level) for n, level in enumerate((5, 5, 5, 5, 4, 4, 3))]
A = a_rating(10, 2)
B = a_rating(11, 2, real_name=True)
C = a_rating(12, 1, real_name=True)
FOLLOW_UP = a_rating(13, 1, follow_up=True)
A_MOVES = [
    (OFFICER, Action.START_RECTIFICATION, {}),
    (OFFICER, Action.MARK_RECTIFIED, {"text": "已增设取号机"}),
    (OFFICER, Action.GIVE_FEEDBACK, {"text": "已整改"}),
    (CITIZEN, Action.GIVE_VERDICT, {"verdict": "dissatisfied"}),  # reopens it, once: this verdict is undone
    (OFFICER, Action.MARK_RECTIFIED, {"text": "已再增设一台取号机"}),
    (OFFICER, Action.GIVE_FEEDBACK, {"text": "已再次整改"}),
    (CITIZEN, Action.GIVE_VERDICT, {"verdict": "dissatisfied"}),  # no reopening left: it stands and closes
]
B_MOVES = [
    (OFFICER, Action.EXPLAIN, {"text": "政策规定须本人到场"}),
    (OFFICER, Action.GIVE_FEEDBACK, {"text": "已解释"}),
    (OFFICER, Action.RECORD_CALL_BACK, {"verdict": "basically_satisfied"}),
    (OFFICER, Action.CLOSE, {}),
]
C_MOVES = [
    (OFFICER, Action.RESOLVE_ON_SPOT, {"text": "当场补办"}),
    (OFFICER, Action.GIVE_FEEDBACK, {"text": "已当场解决"}),
]
LATE = RECTIFICATION_DUE + timedelta(hours=20)  # B's moves start here: it closes a day late
TASKS = [(A, worked(A, A_MOVES)), (B, worked(B, B_MOVES, start=LATE)), (C, worked(C, C_MOVES))]
FOLLOW_UP_TASK = worked(FOLLOW_UP, C_MOVES)

NOT_ADOPTED_MOVES = [
    (OFFICER, Action.PROPOSE_NOT_ADOPTED, {"reason": "malicious", "text": "监控显示未办理业务"}),
    (SUPERVISOR, Action.APPROVE_NOT_ADOPTED, {}),
    (OFFICER, Action.GIVE_FEEDBACK, {"text": "经核实为恶意差评"}),
    (OFFICER, Action.RECORD_CALL_BACK, {"verdict": "dissatisfied"}),
    (OFFICER, Action.CLOSE, {}),
]
APPEAL_UPHELD_MOVES = [
    *NOT_ADOPTED_MOVES,
    (CITIZEN, Action.APPEAL, {"text": "我确实办理了业务"}),
    (OTHER_SUPERVISOR, Action.UPHOLD_APPEAL, {}),
]


def counts_of(ratings: list[tuple[Rating, bool]], tasks: list[tuple[Rating, Task]]) -> dict[Count, int]:
    """What the ratings (with their not-adopted flags) and the tasks count for, summed."""
    return total(
        [rating_counts(rating, not_adopted) for rating, not_adopted in ratings]
        + [task_counts(task, rating) for rating, task in tasks]
    )


def the_day() -> dict[Count, int]:
    ratings = [(r, False) for r in (*GOOD, A, B, C, FOLLOW_UP)]
    return counts_of(ratings, [*TASKS, (FOLLOW_UP, FOLLOW_UP_TASK)])


THE_DAY = Figures(
    ratings=10,
    not_adopted=0,
    valid=10,
    good_rate=Fraction(7, 10),
    bad_rate=Fraction(3, 10),
    mean_score=Fraction(36, 10),
    reply_rate=Fraction(3, 3),
    call_back_rate=Fraction(2, 3),
    real_name_call_back_rate=Fraction(1, 2),
    fix_satisfaction=Fraction(1, 2),
    on_time_rate=Fraction(1, 2),
)


def test_the_fixture_counts_as_computed_by_hand() -> None:
    # Given the day's ratings and tasks
    # When their counts are summed
    counts = the_day()
    # Then each counter holds what the table above says
    assert counts == {
        Count.VERY_SATISFIED: 4,
        Count.SATISFIED: 2,
        Count.BASICALLY_SATISFIED: 1,
        Count.DISSATISFIED: 2,
        Count.VERY_DISSATISFIED: 1,
        Count.VALID: 10,
        Count.REAL_NAME_BAD: 2,
        Count.RECTIFIED: 1,
        Count.EXPLAINED: 1,
        Count.ON_THE_SPOT: 1,
        Count.FEEDBACK_GIVEN: 3,
        Count.CALLED_BACK_FIXED: 2,
        Count.REAL_NAME_CALLED_BACK_FIXED: 1,
        Count.FIX_DISSATISFIED: 1,
        Count.FIX_BASICALLY_SATISFIED: 1,
        Count.TASKS_CLOSED: 2,
        Count.TASKS_CLOSED_ON_TIME: 1,
    }


def test_every_figure_as_computed_by_hand() -> None:
    assert figures(the_day()) == THE_DAY


def test_nothing_to_rate_gives_no_rate() -> None:
    # Given a day of good ratings only, no task closed
    counts = counts_of([(r, False) for r in GOOD], [])
    # When the figures are read
    result = figures(counts)
    # Then the rates about bad reviews and tasks say there was nothing to rate, not 0% or 100%
    assert (result.valid, result.good_rate, result.bad_rate, result.mean_score) == (
        7,
        Fraction(1),
        Fraction(0),
        Fraction(4 * 5 + 2 * 4 + 3, 7),
    )
    assert result.reply_rate is None and result.call_back_rate is None and result.real_name_call_back_rate is None
    assert result.fix_satisfaction is None and result.on_time_rate is None
    assert figures({}).good_rate is None and figures({}).ratings == 0


def test_a_not_adopted_rating_leaves_every_figure_as_if_it_never_counted() -> None:
    # Given a fourth bad review, real-name, worked to not adopted: malicious, approved, told, called
    # back (the citizen dissatisfied), closed
    d = a_rating(20, 1, real_name=True)
    task = worked(d, NOT_ADOPTED_MOVES)
    assert task.rating_void
    # When the day is counted with it (its rating flagged not adopted, as the same write flags it)
    counts = total([the_day(), counts_of([(d, True)], [(d, task)])])
    # Then every figure is the day's without it; only the not-adopted counts say it was there
    result = figures(counts)
    assert replace(result, ratings=10, not_adopted=0) == THE_DAY
    assert (result.ratings, result.not_adopted) == (11, 1)
    assert difference(counts, the_day()) == {Count.NOT_ADOPTED: 1, Count.OUTCOME_NOT_ADOPTED: 1}


def test_a_rating_held_for_review_counts_for_nothing_until_released_and_as_not_adopted_once_rejected() -> None:
    # Given a bad review from a source over its budget, held as suspected automated 疑似刷评
    held = a_rating(21, 1, review=Review.HELD)
    # Then while held it counts for nothing, on any sheet
    assert rating_counts(held, not_adopted=False) == {}
    assert placed(held, rating_counts(held, not_adopted=False)) == {}
    # When a supervisor releases it, the change counts it as any rating of its level
    released = replace(held, review=Review.RELEASED)
    change = RatingChanged(RatingState(held, False), RatingState(released, False))
    assert change.counts() == {Count.VERY_DISSATISFIED: 1, Count.VALID: 1}
    # When a supervisor rejects it instead (the same write marks the rating not adopted), it is not adopted
    rejected = replace(held, review=Review.REJECTED)
    assert rating_counts(rejected, not_adopted=True) == {Count.NOT_ADOPTED: 1}


def test_an_upheld_appeal_restores_the_rating_exactly() -> None:
    # Given the same bad review, not adopted, appealed, and the appeal upheld: worked anew from verifying
    d = a_rating(20, 1, real_name=True)
    task = worked(d, APPEAL_UPHELD_MOVES)
    assert not task.rating_void and task.outcome is None
    # When the day is counted with it, its rating restored
    counts = total([the_day(), counts_of([(d, False)], [(d, task)])])
    # Then it counts as a valid real-name bad review with nothing done yet, computed by hand:
    # valid 11; good 7/11; bad 4/11; mean 37/11; reply 3/4; call-back 2/4; real-name 1/3
    assert figures(counts) == Figures(
        ratings=11,
        not_adopted=0,
        valid=11,
        good_rate=Fraction(7, 11),
        bad_rate=Fraction(4, 11),
        mean_score=Fraction(37, 11),
        reply_rate=Fraction(3, 4),
        call_back_rate=Fraction(2, 4),
        real_name_call_back_rate=Fraction(1, 3),
        fix_satisfaction=Fraction(1, 2),
        on_time_rate=Fraction(1, 2),
    )
    # And exactly as a bad review that was never not adopted, left at verifying
    fresh = total([the_day(), counts_of([(d, False)], [(d, history(d, [])[0])])])
    assert counts == fresh


def test_what_a_task_counts_for_through_its_moves() -> None:
    # Given bad review B's task as each move leaves it
    steps = history(B, B_MOVES, start=LATE)
    # When each state is counted
    counted = [task_counts(task, B) for task in steps]
    # Then each move adds what it did, and nothing before
    assert counted == [
        {},
        {Count.EXPLAINED: 1},
        {Count.EXPLAINED: 1, Count.FEEDBACK_GIVEN: 1},
        {
            Count.EXPLAINED: 1,
            Count.FEEDBACK_GIVEN: 1,
            Count.FIX_BASICALLY_SATISFIED: 1,
            Count.CALLED_BACK_FIXED: 1,
            Count.REAL_NAME_CALLED_BACK_FIXED: 1,
        },
        {
            Count.EXPLAINED: 1,
            Count.FEEDBACK_GIVEN: 1,
            Count.FIX_BASICALLY_SATISFIED: 1,
            Count.CALLED_BACK_FIXED: 1,
            Count.REAL_NAME_CALLED_BACK_FIXED: 1,
            Count.TASKS_CLOSED: 1,
        },
    ]


def test_the_first_contact_is_not_a_call_back() -> None:
    # Given a real-name task contacted when verifying, then rectified and told, with no verdict yet
    task = worked(
        B,
        [
            (OFFICER, Action.RECORD_CONTACT, {}),
            (OFFICER, Action.RESOLVE_ON_SPOT, {"text": "当场补办"}),
            (OFFICER, Action.GIVE_FEEDBACK, {"text": "已解决"}),
        ],
    )
    # When it is counted
    # Then it is not called back and fixed: the call that counts comes after the fix, with the verdict
    assert task.contacted_at is not None and not task.called_back
    assert task_counts(task, B) == {Count.ON_THE_SPOT: 1, Count.FEEDBACK_GIVEN: 1}


@pytest.mark.parametrize(
    "moves",
    [A_MOVES, B_MOVES, C_MOVES, NOT_ADOPTED_MOVES, APPEAL_UPHELD_MOVES],
    ids=["rectified", "explained", "on the spot", "not adopted", "appeal upheld"],
)
def test_the_changes_of_a_task_add_up_to_what_it_counts_for_at_the_end(
    moves: list[tuple[Actor, Action, dict[str, Any]]],
) -> None:
    # Given a task's writes as the stream shows them: created, then each move over the one before
    steps = history(B, moves)
    changes = [TaskChanged(None, steps[0])] + [TaskChanged(b, a) for b, a in itertools.pairwise(steps)]
    # When each change's difference is counted
    # Then together they count what the last state does
    assert total(change.counts(B) for change in changes) == task_counts(steps[-1], B)


def test_a_rating_not_adopted_and_restored_through_its_changes() -> None:
    # Given a real-name bad review's item: written, flagged not adopted, restored by an appeal
    new = RatingState(C)
    flagged = RatingState(C, not_adopted=True)
    # When each change is counted
    written = RatingChanged(None, new).counts()
    voided = RatingChanged(new, flagged).counts()
    restored = RatingChanged(flagged, new).counts()
    # Then it moves from valid to not adopted and back, level and real-name count with it
    assert written == {Count.VERY_DISSATISFIED: 1, Count.VALID: 1, Count.REAL_NAME_BAD: 1}
    assert voided == {Count.VERY_DISSATISFIED: -1, Count.VALID: -1, Count.REAL_NAME_BAD: -1, Count.NOT_ADOPTED: 1}
    assert total([written, voided, restored]) == written


def test_a_follow_up_rating_and_its_task_count_for_nothing() -> None:
    assert rating_counts(FOLLOW_UP, not_adopted=False) == {}
    assert task_counts(FOLLOW_UP_TASK, FOLLOW_UP) == {}
    assert RatingChanged(None, RatingState(FOLLOW_UP)).counts() == {}


def test_a_task_write_that_moves_nothing_is_known_before_its_rating_is_read() -> None:
    # Given a task as opened, and the same task with its escalation step and notice recorded
    opened = history(A, [])[0]
    escalated = replace(opened, notified_step="rectification|x|reminder", officers_notified_at=RATED_AT)
    # Then neither its opening nor that change can count; a move that records an outcome can
    assert not TaskChanged(None, opened).may_count
    assert not TaskChanged(opened, escalated).may_count
    assert not TaskChanged(opened, worked(A, A_MOVES[:1])).may_count  # rectification started: nothing yet
    assert TaskChanged(opened, worked(A, A_MOVES[:2])).may_count


def test_the_periods_are_china_time() -> None:
    # 2026-03-10 16:30 UTC is 00:30 on 03-11 in China; 2025-12-31 16:00 UTC is the first moment of 2026
    assert periods_of(RATED_AT) == (
        Period(PeriodKind.DAY, "2026-03-11"),
        Period(PeriodKind.MONTH, "2026-03"),
        Period(PeriodKind.YEAR, "2026"),
    )
    new_year = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert [p.key for p in periods_of(new_year)] == ["2026-01-01", "2026-01", "2026"]
    assert [p.key for p in periods_of(new_year - timedelta(microseconds=1))] == ["2025-12-31", "2025-12", "2025"]


def test_a_rating_counts_on_its_halls_sheets_for_its_window_staff_department_and_hall() -> None:
    # Given a very satisfied rating
    rating = GOOD[0]
    # When its counts are placed
    sheets = placed(rating, rating_counts(rating, False))
    # Then three sheets of its hall (its day, month, year) each hold them for the four scopes
    assert sorted(key.period.key for key in sheets) == ["2026", "2026-03", "2026-03-11"]
    assert {key.hall_code for key in sheets} == {HALL}
    scopes = {Scope(ScopeKind.WINDOW, WINDOW), Scope(ScopeKind.STAFF, STAFF)}
    scopes |= {Scope(ScopeKind.DEPARTMENT, DEPARTMENT), Scope(ScopeKind.HALL, HALL)}
    for entries in sheets.values():
        assert entries == {(scope, count): 1 for scope in scopes for count in (Count.VERY_SATISFIED, Count.VALID)}
    # And a rating at a window nobody was rostered to counts without a staff member
    unstaffed = replace(rating, staff_job_number=None)
    (entries, *_) = placed(unstaffed, rating_counts(unstaffed, False)).values()
    assert {scope.kind for scope, _ in entries} == {ScopeKind.WINDOW, ScopeKind.DEPARTMENT, ScopeKind.HALL}


def test_the_board_sums_departments_and_staff_over_halls_and_the_division_over_its_halls() -> None:
    # Given a day's two sheets: one rating in each of two halls, same department and staff member
    other_hall = replace(GOOD[0], tracking_code="TC0000000099", hall_code="XQBDC", window_code="640104-E001")
    day = Period(PeriodKind.DAY, "2026-03-11")
    sheets: dict[SheetKey, dict[tuple[Scope, Count], int]] = {}
    for rating in (GOOD[0], other_hall):
        add_to(sheets, placed(rating, rating_counts(rating, False)))
    day_sheets = [ScoreSheet(key, _by_scope(entries)) for key, entries in sheets.items() if key.period == day]
    # When the board is read
    scores = board(day_sheets)
    # Then each window and hall has its own, the department and staff member both, the division both
    one, two = {Count.VERY_SATISFIED: 1, Count.VALID: 1}, {Count.VERY_SATISFIED: 2, Count.VALID: 2}
    assert scores == {
        Scope(ScopeKind.WINDOW, WINDOW): one,
        Scope(ScopeKind.WINDOW, "640104-E001"): one,
        Scope(ScopeKind.HALL, HALL): one,
        Scope(ScopeKind.HALL, "XQBDC"): one,
        Scope(ScopeKind.STAFF, STAFF): two,
        Scope(ScopeKind.DEPARTMENT, DEPARTMENT): two,
        Scope(ScopeKind.DIVISION, DIVISION): two,
    }


def test_aggregating_drops_what_cancels_out() -> None:
    # Given a rating counted and then flagged not adopted, within one batch
    rating = GOOD[0]
    sheets: dict[SheetKey, dict[tuple[Scope, Count], int]] = {}
    add_to(sheets, placed(rating, RatingChanged(None, RatingState(rating)).counts()))
    add_to(sheets, placed(rating, RatingChanged(RatingState(rating), RatingState(rating, True)).counts()))
    # Then only the not-adopted counts remain on its sheets
    for entries in sheets.values():
        assert {count for _, count in entries} == {Count.NOT_ADOPTED}
    # And undoing that leaves no sheet at all
    add_to(sheets, placed(rating, RatingChanged(RatingState(rating, True), None).counts()))
    assert sheets == {}


def _by_scope(entries: dict[tuple[Scope, Count], int]) -> dict[Scope, dict[Count, int]]:
    result: dict[Scope, dict[Count, int]] = {}
    for (scope, count), n in entries.items():
        result.setdefault(scope, {})[count] = n
    return result
