"""Scores 评分: what each rating and each follow-up task counts for, where and when, and the
figures (好评率, 差评率, 差评回复率, 回访整改率, 回访整改满意率 …) read from those counts.

What a rating or a task *counts for* is a function of its state alone (:func:`rating_counts`,
:func:`task_counts`). A change seen on the Ratings table's stream counts for the difference
between its new and its old state, so whatever path a rating or task takes (not adopted, an
appeal upheld, a task reopened, a deadline counted again), the counters always equal what the
current states count for: a not-adopted rating counts as if it had never been valid, and an
upheld appeal restores it exactly.

Where: a rating counts for its window, the staff member on duty, the department and the hall;
the division is the sum of its halls. A task counts where its rating does.
When: the day, month and year of the rating, in Asia/Shanghai. A task's outcomes count in its
rating's periods too, whenever they happen, so that each rate compares a period's bad reviews
with what became of those same bad reviews (a month's reply rate can still rise after the month
ended, and it never exceeds 100%).

The counters are kept per **score sheet** 计分表: one hall for one period, holding the counts of
the hall itself and of every window, staff member and department rated in it. A batch of a
hall's ratings then changes three sheets (its day, month and year), however many windows and
staff it touches. A department or staff member working in several halls is the sum of their
entries on those halls' sheets.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction

from haochaping.domain.rating import CHINA_TIME, Level, Rating
from haochaping.domain.task import Task, TaskState, Verdict


class PeriodKind(StrEnum):
    DAY = "day"  # 日
    MONTH = "month"  # 月
    YEAR = "year"  # 年


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """One day, month or year in Asia/Shanghai; ``key`` is 2026-03-05, 2026-03 or 2026."""

    kind: PeriodKind
    key: str

    @classmethod
    def of(cls, kind: PeriodKind, moment: datetime) -> Period:
        local = moment.astimezone(CHINA_TIME)
        if kind == PeriodKind.DAY:
            return cls(kind, local.date().isoformat())
        if kind == PeriodKind.MONTH:
            return cls(kind, f"{local.year:04d}-{local.month:02d}")
        return cls(kind, f"{local.year:04d}")


def periods_of(moment: datetime) -> tuple[Period, Period, Period]:
    """The day, month and year (Asia/Shanghai) a moment falls in."""
    return (
        Period.of(PeriodKind.DAY, moment),
        Period.of(PeriodKind.MONTH, moment),
        Period.of(PeriodKind.YEAR, moment),
    )


class ScopeKind(StrEnum):
    WINDOW = "window"  # 窗口
    STAFF = "staff"  # 工作人员
    DEPARTMENT = "department"  # 部门
    HALL = "hall"  # 办事大厅
    DIVISION = "division"  # 行政区划


@dataclass(frozen=True, order=True, slots=True)
class Scope:
    """What a figure is about: one window, staff member, department, hall or the division."""

    kind: ScopeKind
    code: str


class Count(StrEnum):
    """What is counted. The values are short on purpose: they name the counters as stored, and a
    score sheet holds one per place rated in its hall, so every byte of a name is paid on every write."""

    # Valid ratings (first ratings not excluded as not adopted) per level.
    VERY_SATISFIED = "l5"  # 非常满意
    SATISFIED = "l4"  # 满意
    BASICALLY_SATISFIED = "l3"  # 基本满意
    DISSATISFIED = "l2"  # 不满意
    VERY_DISSATISFIED = "l1"  # 非常不满意
    VALID = "va"  # valid ratings: all first ratings − not adopted
    NOT_ADOPTED = "na"  # ratings not adopted 不予采纳, excluded from every other count
    REAL_NAME_BAD = "rb"  # valid real-name bad reviews 实名差评: the real-name rate's denominator
    # Bad reviews by their task's outcome.
    ON_THE_SPOT = "os"  # 当场解决
    RECTIFIED = "rf"  # 已整改
    EXPLAINED = "ex"  # 无法解决·已解释
    OUTCOME_NOT_ADOPTED = "xn"  # 不予采纳 (the same ratings as NOT_ADOPTED, seen from their tasks)
    FEEDBACK_GIVEN = "fb"  # 已反馈
    CALLED_BACK_FIXED = "cb"  # called back and rectified or explained 回访且已整改或解释
    REAL_NAME_CALLED_BACK_FIXED = "rc"  # the same, real-name bad reviews only
    # The citizens' verdicts on fixes 回访整改满意度.
    FIX_SATISFIED = "vs"  # 满意
    FIX_BASICALLY_SATISFIED = "vb"  # 基本满意
    FIX_DISSATISFIED = "vd"  # 不满意
    TASKS_CLOSED = "cl"  # 已办结
    TASKS_CLOSED_ON_TIME = "ct"  # closed by the rectification deadline 按期办结


LEVEL_COUNTS = {
    Level.VERY_SATISFIED: Count.VERY_SATISFIED,
    Level.SATISFIED: Count.SATISFIED,
    Level.BASICALLY_SATISFIED: Count.BASICALLY_SATISFIED,
    Level.DISSATISFIED: Count.DISSATISFIED,
    Level.VERY_DISSATISFIED: Count.VERY_DISSATISFIED,
}
OUTCOME_COUNTS = {
    TaskState.RESOLVED_ON_SPOT: Count.ON_THE_SPOT,
    TaskState.RECTIFIED: Count.RECTIFIED,
    TaskState.EXPLAINED: Count.EXPLAINED,
}
VERDICT_COUNTS = {
    Verdict.SATISFIED: Count.FIX_SATISFIED,
    Verdict.BASICALLY_SATISFIED: Count.FIX_BASICALLY_SATISFIED,
    Verdict.DISSATISFIED: Count.FIX_DISSATISFIED,
}

Counts = Mapping[Count, int]


def rating_counts(rating: Rating, not_adopted: bool) -> dict[Count, int]:
    """What one rating counts for, as it stands.

    A follow-up rating 追评 is shown, never counted: scores count the first rating. A rating not
    adopted counts as not adopted and nothing else, so every figure reads as if it never came. A
    rating held for review as suspected automated 疑似刷评 counts for nothing until a supervisor
    releases it (then it counts in its own day) or rejects it (then it is not adopted).
    """
    if rating.is_follow_up or rating.held_for_review:
        return {}
    if not_adopted:
        return {Count.NOT_ADOPTED: 1}
    counts = {LEVEL_COUNTS[rating.level]: 1, Count.VALID: 1}
    if rating.is_bad_review and rating.real_name:
        counts[Count.REAL_NAME_BAD] = 1
    return counts


def task_counts(task: Task, rating: Rating) -> dict[Count, int]:
    """What a bad review's follow-up task counts for, as it stands (``rating`` is its bad review).

    - The task of a follow-up rating 追评 counts for nothing, as its rating does not.
    - A not-adopted rating's task counts as an outcome "not adopted" and nothing else: its
      feedback, verdict and closing are left out of every rate, as the rating is.
    - "Called back" is the citizen's verdict on the fix being recorded (已回访: by the officer's
      call-back or by the citizen online); the first contact made to verify the complaint is
      not a call-back. "Rectified or explained" takes in resolved on the spot, a fix made there.
    - On time: closed no later than the rectification deadline (整改时限), the one that runs
      until the task closes.
    """
    return {} if rating.is_follow_up else _task_counts(task)


def _task_counts(task: Task) -> dict[Count, int]:
    """What the task counts for if its rating is a first rating (the only case in which it counts)."""
    if task.rating_void:
        return {Count.OUTCOME_NOT_ADOPTED: 1}
    counts: dict[Count, int] = {}
    outcome = OUTCOME_COUNTS.get(task.outcome) if task.outcome is not None else None
    fixed = outcome is not None
    if outcome is not None:
        counts[outcome] = 1
    if task.feedback:
        counts[Count.FEEDBACK_GIVEN] = 1
    if task.verdict is not None:
        counts[VERDICT_COUNTS[task.verdict]] = 1
        if fixed:
            counts[Count.CALLED_BACK_FIXED] = 1
            if task.real_name:
                counts[Count.REAL_NAME_CALLED_BACK_FIXED] = 1
    if task.state == TaskState.CLOSED and task.closed_at is not None:
        counts[Count.TASKS_CLOSED] = 1
        if task.closed_at <= task.rectification_due:
            counts[Count.TASKS_CLOSED_ON_TIME] = 1
    return counts


def difference(after: Counts, before: Counts) -> dict[Count, int]:
    """after − before, without the counts that did not move."""
    moved = {count: after.get(count, 0) - before.get(count, 0) for count in {*after, *before}}
    return {count: n for count, n in moved.items() if n}


def total(many: Iterable[Counts]) -> dict[Count, int]:
    summed: dict[Count, int] = {}
    for counts in many:
        for count, n in counts.items():
            summed[count] = summed.get(count, 0) + n
    return {count: n for count, n in summed.items() if n}


# -- what the stream reports -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RatingState:
    """A rating as its item stands: the rating and whether it was not adopted."""

    rating: Rating
    not_adopted: bool = False


@dataclass(frozen=True, slots=True)
class RatingChanged:
    """A rating item written: its state before (None: new) and after (None: removed)."""

    before: RatingState | None
    after: RatingState | None

    @property
    def rating(self) -> Rating:
        state = self.after or self.before
        assert state is not None
        return state.rating

    def counts(self) -> dict[Count, int]:
        before = rating_counts(self.before.rating, self.before.not_adopted) if self.before else {}
        after = rating_counts(self.after.rating, self.after.not_adopted) if self.after else {}
        return difference(after, before)


@dataclass(frozen=True, slots=True)
class TaskChanged:
    """A task item written: the task before (None: new) and after (None: removed)."""

    before: Task | None
    after: Task | None

    @property
    def tracking_code(self) -> str:
        task = self.after or self.before
        assert task is not None
        return task.tracking_code

    def counts(self, rating: Rating) -> dict[Count, int]:
        before = task_counts(self.before, rating) if self.before else {}
        after = task_counts(self.after, rating) if self.after else {}
        return difference(after, before)

    @property
    def may_count(self) -> bool:
        """Whether the change can move a count, known before its rating is read: most task writes
        (opening, escalation steps, notices, the first contact) move none. The rating only decides
        whether the task counts at all (not for a follow-up rating), never what it counts for."""
        before = _task_counts(self.before) if self.before else {}
        after = _task_counts(self.after) if self.after else {}
        return bool(difference(after, before))


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One record of the Ratings table's stream: its sequence number in its shard and what it changed
    (None: an item scores ignore, such as a mark or an audit line). ``unreadable``: the image could
    not be read; it counts for nothing and is reported."""

    sequence: str
    change: RatingChanged | TaskChanged | None = None
    unreadable: bool = False


@dataclass(frozen=True, slots=True)
class StreamBatch:
    """What one invocation was given: records of one shard of one stream, in the shard's order."""

    stream: str
    shard: str
    records: tuple[StreamRecord, ...]


# -- where the counts go -----------------------------------------------------------------------


@dataclass(frozen=True, order=True, slots=True)
class SheetKey:
    """A score sheet: one hall's counters for one period."""

    period: Period
    division_code: str
    hall_code: str


SheetCounts = dict[tuple[Scope, Count], int]


def scopes_of(rating: Rating) -> tuple[Scope, ...]:
    """Where a rating counts on its hall's sheet; the division is the sum of its halls."""
    scopes = [Scope(ScopeKind.WINDOW, rating.window_code)]
    if rating.staff_job_number:
        scopes.append(Scope(ScopeKind.STAFF, rating.staff_job_number))
    scopes += [Scope(ScopeKind.DEPARTMENT, rating.department_code), Scope(ScopeKind.HALL, rating.hall_code)]
    return tuple(scopes)


def placed(rating: Rating, counts: Counts) -> dict[SheetKey, SheetCounts]:
    """The counts, on the sheets of the rating's hall for its day, month and year."""
    if not counts:
        return {}
    entries = {(scope, count): n for scope in scopes_of(rating) for count, n in counts.items()}
    return {
        SheetKey(period, rating.division_code, rating.hall_code): dict(entries)
        for period in periods_of(rating.rated_at)
    }


def add_to(sheets: dict[SheetKey, SheetCounts], more: Mapping[SheetKey, SheetCounts]) -> None:
    """Aggregate: add ``more`` into ``sheets``, dropping what sums to zero."""
    for key, entries in more.items():
        sheet = sheets.setdefault(key, {})
        for entry, n in entries.items():
            summed = sheet.get(entry, 0) + n
            if summed:
                sheet[entry] = summed
            else:
                sheet.pop(entry, None)
        if not sheet:
            del sheets[key]


class CountedMeanwhile(Exception):
    """The shard's counters moved on between reading where they stood and writing: read again."""


# -- recounting from the raw ratings and tasks ------------------------------------------------


def recount(ratings: Iterable[RatingState], tasks: Mapping[str, Task], kind: PeriodKind) -> dict[SheetKey, SheetCounts]:
    """What the sheets of ``kind`` should hold for these ratings and their tasks (by tracking
    code), counted by the very functions the stream counts changes with: the stream adds up
    differences between states, this takes the states as they stand, so both reach one total."""
    sheets: dict[SheetKey, SheetCounts] = {}
    for state in ratings:
        rating = state.rating
        counts = rating_counts(rating, state.not_adopted)
        task = tasks.get(rating.tracking_code)
        if task is not None:
            counts = total([counts, task_counts(task, rating)])
        add_to(sheets, {key: entries for key, entries in placed(rating, counts).items() if key.period.kind == kind})
    return sheets


def drift(expected: SheetCounts, stored: SheetCounts) -> SheetCounts:
    """What must be added to ``stored`` to make it ``expected``; empty when they agree."""
    moved = {entry: expected.get(entry, 0) - stored.get(entry, 0) for entry in {*expected, *stored}}
    return {entry: n for entry, n in moved.items() if n}


def summed(sheets: Iterable[ScoreSheet]) -> SheetCounts:
    """The sum of several sheets' counters: a month's days, a year's months."""
    result: SheetCounts = {}
    for sheet in sheets:
        for entry, n in sheet.entries().items():
            result[entry] = result.get(entry, 0) + n
    return {entry: n for entry, n in result.items() if n}


def parts_of(kind: PeriodKind, key: str) -> list[Period]:
    """The periods a month (its days) or a year (its months) is the sum of."""
    if kind == PeriodKind.MONTH:
        year, month = (int(part) for part in key.split("-"))
        days = calendar.monthrange(year, month)[1]
        return [Period(PeriodKind.DAY, date(year, month, day).isoformat()) for day in range(1, days + 1)]
    if kind == PeriodKind.YEAR:
        return [Period(PeriodKind.MONTH, f"{key}-{month:02d}") for month in range(1, 13)]
    raise ValueError("a day is not a sum of other periods")


def period_of_key(key: str) -> Period:
    """The day (2026-03-05), month (2026-03) or year (2026) a key names; ValueError for anything else."""
    parts = key.split("-")
    if len(key) == 10 and len(parts) == 3:
        return Period(PeriodKind.DAY, date.fromisoformat(key).isoformat())
    if len(key) == 7 and len(parts) == 2 and all(part.isdigit() for part in parts) and 1 <= int(parts[1]) <= 12:
        return Period(PeriodKind.MONTH, key)
    if len(key) == 4 and key.isdigit():
        return Period(PeriodKind.YEAR, key)
    raise ValueError(f"{key!r} is not a day (2026-03-05), a month (2026-03) or a year (2026)")


# -- reading the counters ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoreSheet:
    key: SheetKey
    counts: Mapping[Scope, Counts]
    # How many writes the sheet has had (0: none, or none since writes were numbered). A repair is
    # written over the revision it read, so a count added meanwhile is never overwritten.
    revision: int = 0

    def entries(self) -> SheetCounts:
        return {(scope, count): n for scope, counts in self.counts.items() for count, n in counts.items() if n}


def board(sheets: Iterable[ScoreSheet]) -> dict[Scope, dict[Count, int]]:
    """Every scope's counts for a period, from the period's sheets: windows and halls from their
    own hall's sheet, staff and departments summed over the halls they were rated in, and the
    division as the sum of its halls."""
    summed: dict[Scope, dict[Count, int]] = {}
    for sheet in sheets:
        division = Scope(ScopeKind.DIVISION, sheet.key.division_code)
        for scope, counts in sheet.counts.items():
            targets = [scope, division] if scope.kind == ScopeKind.HALL else [scope]
            for target in targets:
                summed[target] = total([summed.get(target, {}), counts])
    return {scope: counts for scope, counts in summed.items() if counts}


# -- figures -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    """DOMAIN.md's figures for one scope and period; a rate is None when nothing was there to rate.

    Exact fractions: the pages and files round them as they show them.
    """

    ratings: int  # all first ratings, not adopted included
    not_adopted: int
    valid: int  # all ratings − not adopted
    good_rate: Fraction | None  # 好评率 (非常满意 + 满意 + 基本满意) / valid
    bad_rate: Fraction | None  # 差评率 (不满意 + 非常不满意) / valid
    mean_score: Fraction | None  # mean level, 1–5 (5 = 非常满意), over valid ratings
    reply_rate: Fraction | None  # 差评回复率 bad reviews with feedback given / valid bad reviews
    call_back_rate: Fraction | None  # 回访整改率 called back and rectified or explained / valid bad reviews
    real_name_call_back_rate: Fraction | None  # the same for real-name bad reviews: must be 100%
    fix_satisfaction: Fraction | None  # 回访整改满意率 (满意 + 基本满意 verdicts) / verdicts given
    on_time_rate: Fraction | None  # tasks closed by their deadline / tasks closed


def _rate(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def figures(counts: Counts) -> Figures:
    """The figures from one scope's counts for one period.

    Every figure reads the valid ratings only: a not-adopted bad review leaves the bad reviews,
    and its task's feedback, call-back and verdict leave the numerators with it.
    """
    n = {count: counts.get(count, 0) for count in Count}
    valid = n[Count.VALID]  # kept beside the levels it sums, as DOMAIN.md names it
    good = n[Count.VERY_SATISFIED] + n[Count.SATISFIED] + n[Count.BASICALLY_SATISFIED]
    bad = n[Count.DISSATISFIED] + n[Count.VERY_DISSATISFIED]
    points = sum(int(level) * n[count] for level, count in LEVEL_COUNTS.items())
    verdicts = n[Count.FIX_SATISFIED] + n[Count.FIX_BASICALLY_SATISFIED] + n[Count.FIX_DISSATISFIED]
    return Figures(
        ratings=valid + n[Count.NOT_ADOPTED],
        not_adopted=n[Count.NOT_ADOPTED],
        valid=valid,
        good_rate=_rate(good, valid),
        bad_rate=_rate(bad, valid),
        mean_score=_rate(points, valid),
        reply_rate=_rate(n[Count.FEEDBACK_GIVEN], bad),
        call_back_rate=_rate(n[Count.CALLED_BACK_FIXED], bad),
        real_name_call_back_rate=_rate(n[Count.REAL_NAME_CALLED_BACK_FIXED], n[Count.REAL_NAME_BAD]),
        fix_satisfaction=_rate(n[Count.FIX_SATISFIED] + n[Count.FIX_BASICALLY_SATISFIED], verdicts),
        on_time_rate=_rate(n[Count.TASKS_CLOSED_ON_TIME], n[Count.TASKS_CLOSED]),
    )
