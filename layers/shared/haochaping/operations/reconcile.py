"""Reconcile 对账: one day's score sheets recounted from the raw ratings and tasks, and repaired.

The stream counts every change once (:mod:`haochaping.operations.scores`), but records Lambda
gave up on, a counter changed by hand or a bug would leave a sheet off for good. Nightly, the
day's ratings are read through the RatingsByDay index and their tasks by key, counted with the
domain's own :func:`~haochaping.domain.scores.rating_counts` and
:func:`~haochaping.domain.scores.task_counts` (the functions whose differences the stream adds),
and each hall's day sheet is compared with that count.

Months and years
----------------
A month's sheet holds its days' counts and a year's its months', because the stream writes a
change's day, month and year sheets in one transaction. They are therefore repaired against the
sum of their parts, not by copying the day's difference: a batch the stream lost is missing from
the day, the month and the year alike, and the day's repair followed by month = Σ days and
year = Σ months restores all three; a counter changed on one sheet only (the day, or the month)
is put right where it was changed and nowhere else, where copying the day's difference would
have carried a day's fault into a month that was right. Recounting a month from its ratings
would read a month of ratings every night; its day sheets are 28 to 31 queries.

Writing beside the stream
-------------------------
Each repair adds the difference to the sheet over the revision it read, with the sheets it was
computed from checked at theirs (:meth:`ScoreStore.repair`). The sheet is read before the
ratings: a stream batch landing after that read is in the recount but not in the difference's
base, and it moves the revision, so the repair is refused and everything read again; no count
the stream adds is lost or taken twice.

What the revisions cannot see is a change written to the Ratings table whose stream record is
not counted yet (the stream runs a second or so behind, longer while a batch is retried). The
recount already holds it and the sheet not yet: a repair then would be counted twice when the
record lands. The index itself is read eventually consistent, so it may lag the table by a
moment too. So a day sheet is repaired only in the counters that differ by the same amount
twice, ``settle`` seconds apart; a difference still moving is logged as unsettled and left to
the stream (and to the next recount of the day). A batch the stream is still retrying after
the settle would be counted twice: its failures raise ScoreRatingsFailingAlarm, and the day is
recounted once it has gone through.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from haochaping.domain.scores import (
    CountedMeanwhile,
    Period,
    PeriodKind,
    ScopeKind,
    ScoreSheet,
    SheetCounts,
    SheetKey,
    drift,
    parts_of,
    recount,
    summed,
)
from haochaping.observability import logger, metrics
from haochaping.operations.ports import Stores

SETTLE_SECONDS = 60.0  # longer than the stream's lag while it is healthy
ATTEMPTS = 3  # reads and writes of one sheet, when the stream keeps writing it meanwhile
LOGGED_DIFFERENCES = 50  # per sheet: a lost day of a hall would otherwise be thousands of lines


@dataclass
class Reconciled:
    """What one run found and did; ``drift`` counts counters that differed, repaired or not."""

    day: str
    ratings: int = 0
    drift: int = 0
    repaired: int = 0
    unsettled: int = 0
    conflicts: int = 0  # repairs refused because a sheet moved on; read again
    sheets: dict[str, int] = field(default_factory=dict)  # sheet → counters that differed

    def as_dict(self) -> dict[str, object]:
        return {
            "day": self.day,
            "ratings": self.ratings,
            "drift": self.drift,
            "repaired": self.repaired,
            "unsettled": self.unsettled,
            "conflicts": self.conflicts,
            "sheets": dict(self.sheets),
        }


def reconcile_day(
    day: date, stores: Stores, settle: float = SETTLE_SECONDS, wait: Callable[[float], None] = time.sleep
) -> Reconciled:
    """Recount the day's sheets from the raw ratings and tasks, then its month's and year's from
    their parts, and repair what differs."""
    period = Period(PeriodKind.DAY, day.isoformat())
    result = Reconciled(day.isoformat())
    _reconcile_days(period, stores, settle, wait, result)
    month = Period(PeriodKind.MONTH, day.isoformat()[:7])
    _reconcile_sum(month, stores, result)
    _reconcile_sum(Period(PeriodKind.YEAR, day.isoformat()[:4]), stores, result)
    metrics.add_metric(name="ScoreDrift", unit="Count", value=result.drift)
    metrics.add_metric(name="ScoreDriftRepaired", unit="Count", value=result.repaired)
    metrics.add_metric(name="ScoreDriftUnsettled", unit="Count", value=result.unsettled)
    logger.info("scores reconciled", extra=result.as_dict())
    return result


def _day_drift(period: Period, stores: Stores) -> tuple[dict[SheetKey, SheetCounts], dict[SheetKey, ScoreSheet], int]:
    """Each hall's day sheet against a recount: the differences, the sheets as read, the ratings read."""
    # The sheets first: a change counted after they were read is in the recount too, and moves
    # the revision the repair is written over, so the repair is refused rather than counting it twice.
    stored = {sheet.key: sheet for sheet in stores.scores.sheets(period, consistent=True)}
    states = stores.ratings.rated_on(date.fromisoformat(period.key))
    # Only a first bad review has a task that counts: the others' tasks are not read.
    bad = [s.rating.tracking_code for s in states if s.rating.is_bad_review and not s.rating.is_follow_up]
    tasks = stores.tasks.get_many(bad) if bad else {}
    expected = recount(states, tasks, PeriodKind.DAY)
    differences = {}
    for key in expected.keys() | stored.keys():
        moved = drift(expected.get(key, {}), stored[key].entries() if key in stored else {})
        if moved:
            differences[key] = moved
    return differences, stored, len(states)


def _reconcile_days(
    period: Period, stores: Stores, settle: float, wait: Callable[[float], None], result: Reconciled
) -> None:
    first, _, result.ratings = _day_drift(period, stores)
    if not first:
        return
    if result.ratings == 0:
        # Sheets with counts and not one rating in the index: the index is what is missing (ratings
        # written before it existed), not the ratings. Emptying the sheets would be the one repair
        # that cannot be right.
        result.drift = sum(len(moved) for moved in first.values())
        result.unsettled = result.drift
        logger.error(
            "scores: the day's sheets hold counts but no rating of the day is in the RatingsByDay index; "
            "nothing repaired (run `haochaping ratings reindex` once)",
            extra={"day": period.key, "sheets": len(first)},
        )
        return
    for attempt in range(ATTEMPTS):
        if attempt == 0 and settle > 0:
            wait(settle)
        now, stored, _ = _day_drift(period, stores)
        settled = {
            key: {entry: n for entry, n in moved.items() if first.get(key, {}).get(entry) == n}
            for key, moved in now.items()
        }
        if attempt == 0:
            for key, moved in first.items():
                _log_drift(key, moved, stored, settled.get(key, {}))
                result.drift += len(moved)
                result.sheets[_name(key)] = len(moved)
                result.unsettled += len(moved) - len(settled.get(key, {}))
        pending = {key: moved for key, moved in settled.items() if moved}
        if not pending:
            return
        refused = False
        for key, moved in sorted(pending.items()):
            sheet = stored.get(key)
            try:
                result.repaired += _repair(key, sheet.revision if sheet else 0, moved, {}, stores)
            except CountedMeanwhile:
                result.conflicts += 1
                refused = True
        if not refused:
            return
        # Some sheet moved on meanwhile: what was repaired no longer differs; the rest is read again.
        first = {key: moved for key, moved in first.items() if key in pending}
    logger.warning(
        "scores: a day sheet kept moving while it was repaired; left for the next run", extra={"day": period.key}
    )


def _reconcile_sum(period: Period, stores: Stores, result: Reconciled) -> None:
    """Each hall's month (year) sheet against the sum of its days' (months') sheets."""
    for _ in range(ATTEMPTS):
        parts = [
            found for day in parts_of(period.kind, period.key) for found in stores.scores.sheets(day, consistent=True)
        ]
        stored = {sheet.key.hall_code: sheet for sheet in stores.scores.sheets(period, consistent=True)}
        by_hall: dict[str, list[ScoreSheet]] = {}
        for part in parts:
            by_hall.setdefault(part.key.hall_code, []).append(part)
        refused = False
        for hall in sorted(by_hall.keys() | stored.keys()):
            own = by_hall.get(hall, [])
            sheet = stored.get(hall)
            division = sheet.key.division_code if sheet else own[0].key.division_code
            key = SheetKey(period, division, hall)
            moved = drift(summed(own), sheet.entries() if sheet else {})
            if not moved:
                continue
            _log_drift(key, moved, {key: sheet} if sheet else {}, moved)
            result.drift += len(moved)
            result.sheets[_name(key)] = len(moved)
            try:
                unchanged = {other.key: other.revision for other in own}
                result.repaired += _repair(key, sheet.revision if sheet else 0, moved, unchanged, stores)
            except CountedMeanwhile:
                result.conflicts += 1
                result.drift -= len(moved)  # counted again when read again
                refused = True
        if not refused:
            return
    logger.warning(
        "scores: a sheet kept moving while it was repaired; left for the next run", extra={"period": period.key}
    )


def _repair(key: SheetKey, seen: int, moved: SheetCounts, unchanged: dict[SheetKey, int], stores: Stores) -> int:
    """Write the difference in as few writes as an update expression allows, each over the
    revision the one before left; returns the counters repaired."""
    store = stores.scores
    entries = sorted(moved.items())
    step = store.max_counts_per_sheet
    for start in range(0, len(entries), step):
        store.repair(key, seen, dict(entries[start : start + step]), unchanged)
        seen += 1
    return len(entries)


def _name(key: SheetKey) -> str:
    return f"{key.period.kind.value}:{key.period.key}:{key.hall_code}"


def _log_drift(key: SheetKey, moved: SheetCounts, stored: dict[SheetKey, ScoreSheet], settled: SheetCounts) -> None:
    """One line per sheet. Scope codes name windows, departments and halls; a staff member's job
    number is left out (the counter is still repaired): individual results stay internal."""
    sheet = stored.get(key)
    now = sheet.entries() if sheet else {}
    differences = [
        {
            "scope": scope.kind.value,
            "code": None if scope.kind == ScopeKind.STAFF else scope.code,
            "count": count.value,
            "stored": now.get((scope, count), 0),
            "difference": n,
            "settled": (scope, count) in settled,
        }
        for (scope, count), n in sorted(moved.items())
    ]
    logger.warning(
        "scores: a sheet differs from its recount",
        extra={
            "period": key.period.kind.value,
            "key": key.period.key,
            "hall": key.hall_code,
            "counters": len(differences),
            "differences": differences[:LOGGED_DIFFERENCES],
        },
    )
