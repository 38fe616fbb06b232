"""In-memory stores and senders with the operations' ports, for the unit tier.

They keep what the AWS adapters keep, as the operations see it: a task store that writes a change
only over the revision it read (``meanwhile`` runs between a read and its write, as another
writer would), senders that record what went out and can fail once, as SNS and SQS can.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from haochaping.domain.calendar import WorkingCalendar
from haochaping.domain.followup import ChangedMeanwhile
from haochaping.domain.periods import Tally, period_start
from haochaping.domain.rating import Rating
from haochaping.domain.registry import TagSet, WindowEntry
from haochaping.domain.review import ReviewDecision
from haochaping.domain.scores import (
    Count,
    CountedMeanwhile,
    Period,
    RatingState,
    Scope,
    ScoreSheet,
    SheetCounts,
    SheetKey,
    add_to,
)
from haochaping.domain.submission import PreparedRating
from haochaping.domain.suspicion import Review, Suspicion
from haochaping.domain.task import Report, Step, Task, TaskChange


class SendFailed(RuntimeError):
    """A sender's call failed (a throttled or unreachable endpoint)."""


@dataclass
class _Row:
    task: Task
    officers: list[str]
    step_ahead: Step | None
    revision: int = 1


@dataclass
class MemoryTasks:
    rows: dict[str, _Row] = field(default_factory=dict)
    writes: int = 0  # full writes of a task (creates and changes)
    voided: dict[str, bool] = field(default_factory=dict)  # tracking code → rating not adopted
    reports_written: list[Report] = field(default_factory=list)
    purge_at: dict[str, datetime] = field(default_factory=dict)  # evaluator data's removal dates
    personal_data: set[str] = field(default_factory=set)  # tracking codes whose evaluator data is kept
    meanwhile: list[Callable[[], None]] = field(default_factory=list)  # each runs once, inside a change

    def get(self, tracking_code: str) -> Task | None:
        row = self.rows.get(tracking_code)
        return row.task if row else None

    def get_many(self, tracking_codes: Collection[str]) -> dict[str, Task]:
        return {code: self.rows[code].task for code in tracking_codes if code in self.rows}

    def tasks_of_hall(self, hall_code: str, recent: int) -> list[Task]:
        tasks = [row.task for row in self.rows.values() if row.task.hall_code == hall_code]
        ordered = sorted(tasks, key=lambda task: task.opened_at, reverse=True)
        return [task for n, task in enumerate(ordered) if task.open or n < recent]

    def due_steps(self, now: datetime) -> tuple[list[tuple[str, str]], int]:
        due = [(code, row.step_ahead) for code, row in self.rows.items() if row.step_ahead and row.step_ahead.at <= now]
        due.sort(key=lambda pair: pair[1].at)
        return [(code, step.key) for code, step in due], len(due)

    def reports(self, division_code: str) -> list[Report]:
        return [r for r in reversed(self.reports_written) if r.division_code == division_code]

    def personal_data_due(self, now: datetime) -> list[str]:
        return [code for code, at in self.purge_at.items() if at <= now and code in self.personal_data]

    def create(self, task: Task, officers: list[str], step_ahead: Step | None) -> bool:
        if task.tracking_code in self.rows:
            return False
        self.rows[task.tracking_code] = _Row(task, list(officers), step_ahead)
        self.writes += 1
        return True

    def change(self, tracking_code: str, decide: Callable[[Task], TaskChange | None]) -> tuple[Task, Task] | None:
        row = self.rows.get(tracking_code)
        if row is None:
            return None
        before, revision = row.task, row.revision
        change = decide(before)
        if self.meanwhile:
            self.meanwhile.pop(0)()
        if change is None or (change.task == before and change.step_ahead == row.step_ahead):
            return before, before
        if self.rows[tracking_code].revision != revision:
            raise ChangedMeanwhile("the task changed meanwhile; reload it")
        self.rows[tracking_code] = _Row(change.task, row.officers, change.step_ahead, revision + 1)
        self.writes += 1
        if change.rating_void is not None:
            self.voided[tracking_code] = change.rating_void
        if change.report is not None:
            self.reports_written.append(change.report)
        if change.purge_personal_data_at is not None and change.task.real_name:
            self.purge_at[tracking_code] = change.purge_personal_data_at
        if change.keep_personal_data:
            self.purge_at.pop(tracking_code, None)
        return before, change.task

    def _touch(self, tracking_code: str, **fields: object) -> None:
        row = self.rows.get(tracking_code)
        if row is not None:
            self.rows[tracking_code] = replace(row, task=replace(row.task, **fields), revision=row.revision + 1)

    def mark_officers_notified(self, tracking_code: str, at: datetime) -> None:
        self._touch(tracking_code, officers_notified_at=at)

    def mark_step_notified(self, tracking_code: str, step_key: str) -> None:
        self._touch(tracking_code, notified_step=step_key)

    def remove_personal_data(self, tracking_code: str) -> None:
        self.personal_data.discard(tracking_code)
        self.purge_at.pop(tracking_code, None)


@dataclass
class MemoryRatings:
    ratings: dict[str, Rating] = field(default_factory=dict)
    sealed: dict[str, bytes] = field(default_factory=dict)
    reads_of_many: list[list[str]] = field(default_factory=list)  # each get_many's codes
    spent: dict[tuple[str, str, str, datetime], int] = field(default_factory=dict)  # each budget's tally
    not_adopted: set[str] = field(default_factory=set)
    reports_written: list[Report] = field(default_factory=list)  # the tasks' list, shared by MemoryStores

    def record(
        self, prepared: PreparedRating, evaluator_ciphertext: bytes | None, follow_up_period: object, ticket: object
    ) -> tuple[Rating, bool]:
        code = prepared.rating.tracking_code
        if code in self.ratings:
            return self.ratings[code], False
        budgets = {b: (b.window_code, b.source.value, b.source_id, b.period_start) for b in prepared.budgets}
        over = tuple(b for b, key in budgets.items() if self.spent.get(key, 0) >= b.limit)
        rating = prepared.rating
        if over:  # written held for review, as the Ratings table's transaction writes it again
            rating = replace(rating, review=Review.HELD, suspicion=Suspicion(over))
        for key in budgets.values():
            self.spent[key] = self.spent.get(key, 0) + 1
        self.ratings[code] = rating
        if evaluator_ciphertext is not None:
            self.sealed[code] = evaluator_ciphertext
        return rating, True

    def get(self, tracking_code: str) -> Rating | None:
        return self.ratings.get(tracking_code)

    def get_many(self, tracking_codes: Collection[str]) -> dict[str, Rating]:
        self.reads_of_many.append(sorted(tracking_codes))
        return {code: self.ratings[code] for code in tracking_codes if code in self.ratings}

    def rated_on(self, day: date) -> list[RatingState]:
        return [
            RatingState(rating, code in self.not_adopted)
            for code, rating in sorted(self.ratings.items())
            if rating.rated_at_china.date() == day
        ]

    def evaluator_ciphertext(self, tracking_code: str) -> bytes | None:
        return self.sealed.get(tracking_code)

    def held_of_hall(self, hall_code: str, limit: int) -> list[Rating]:
        held = [r for r in self.ratings.values() if r.hall_code == hall_code and r.held_for_review]
        return sorted(held, key=lambda r: (r.rated_at, r.tracking_code))[:limit]

    def review_held(self, rating: Rating, decision: ReviewDecision) -> bool:
        stored = self.ratings.get(rating.tracking_code)
        if stored is None or not stored.held_for_review:
            return False
        released_at = decision.at if decision.review == Review.RELEASED else None
        self.ratings[rating.tracking_code] = replace(stored, review=decision.review, released_at=released_at)
        if decision.report is not None:
            self.not_adopted.add(rating.tracking_code)
            self.reports_written.append(decision.report)
        return True


class WriteFailed(RuntimeError):
    """A transaction was refused (throttled, or the service did not answer)."""


@dataclass
class MemoryScores:
    """Score sheets and per-shard marks, each apply() all or nothing, as one transaction.

    ``fail_applies`` lists which apply() calls (1 for the first) fail before writing anything;
    ``lost_replies`` which ones write and then fail, as a call whose answer never came back.
    Every write moves the revision of each sheet it touches; ``before_repair`` runs once, just
    before the next repair() checks revisions, as a stream batch landing in between would.
    """

    max_sheets_per_write: int = 99
    max_counts_per_sheet: int = 300
    sheets_by_key: dict[SheetKey, SheetCounts] = field(default_factory=dict)
    marks: dict[tuple[str, str], str] = field(default_factory=dict)
    applies: int = 0
    writes: list[int] = field(default_factory=list)  # items written by each apply that landed
    fail_applies: set[int] = field(default_factory=set)
    lost_replies: set[int] = field(default_factory=set)
    revisions: dict[SheetKey, int] = field(default_factory=dict)
    repairs: list[SheetKey] = field(default_factory=list)  # each repair that landed
    before_repair: list[Callable[[], None]] = field(default_factory=list)

    def high_water(self, stream: str, shard: str) -> str | None:
        return self.marks.get((stream, shard))

    def apply(
        self, stream: str, shard: str, seen: str | None, upto: str, sheets: Mapping[SheetKey, SheetCounts]
    ) -> None:
        self.applies += 1
        if self.applies in self.fail_applies:
            raise WriteFailed("the transaction was throttled")
        if self.marks.get((stream, shard)) != seen:
            raise CountedMeanwhile("the mark moved")
        if len(sheets) + 1 > 100 or any(len(counts) > self.max_counts_per_sheet for counts in sheets.values()):
            raise ValueError("more than one transaction can hold")
        add_to(self.sheets_by_key, sheets)
        for key in sheets:
            self.revisions[key] = self.revisions.get(key, 0) + 1
        self.marks[(stream, shard)] = upto
        self.writes.append(len(sheets) + 1)
        if self.applies in self.lost_replies:
            raise WriteFailed("no answer")

    def sheets(self, period: Period, consistent: bool = False) -> list[ScoreSheet]:
        found = []
        for key, entries in sorted(self.sheets_by_key.items()):
            if key.period == period:
                counts: dict[Scope, dict[Count, int]] = {}
                for (scope, count), n in entries.items():
                    counts.setdefault(scope, {})[count] = n
                found.append(ScoreSheet(key, counts, self.revisions.get(key, 0)))
        return found

    def repair(
        self, key: SheetKey, seen: int, difference: SheetCounts, unchanged: Mapping[SheetKey, int] | None = None
    ) -> None:
        while self.before_repair:
            self.before_repair.pop(0)()
        if len(difference) > self.max_counts_per_sheet or len(unchanged or {}) + 1 > 100:
            raise ValueError("more than one transaction can hold")
        expected = {key: seen, **(unchanged or {})}
        if any(self.revisions.get(sheet, 0) != revision for sheet, revision in expected.items()):
            raise CountedMeanwhile("a sheet was written since it was read")
        add_to(self.sheets_by_key, {key: dict(difference)})
        self.revisions[key] = seen + 1
        self.repairs.append(key)

    def set_counter(self, key: SheetKey, scope: Scope, count: Count, n: int) -> None:
        """A counter changed behind the stream's back (by hand, or a write gone wrong)."""
        self.sheets_by_key.setdefault(key, {})[(scope, count)] = n


@dataclass
class MemoryRegistry:
    officers: dict[str, list[str]] = field(default_factory=dict)  # hall → job numbers
    supervisors: dict[str, list[str]] = field(default_factory=dict)  # hall → job numbers
    # (hall, department) → job numbers, as Registry.followup_officers gives them; the hall's when absent
    department_officers: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    windows: dict[str, WindowEntry] = field(default_factory=dict)
    tag_set: TagSet | None = None
    names: dict[Scope, tuple[str, str]] = field(default_factory=dict)

    def unit_names(self) -> dict[Scope, tuple[str, str]]:
        return dict(self.names)

    def window_and_tags(self, window_code: str) -> tuple[WindowEntry | None, TagSet | None]:
        return self.windows.get(window_code), self.tag_set

    def hall_officers(self, hall_code: str) -> list[str]:
        return list(self.officers.get(hall_code, []))

    def hall_supervisors(self, hall_code: str) -> list[str]:
        return list(self.supervisors.get(hall_code, []))

    def followup_officers(self, hall_code: str, department_code: str) -> list[str]:
        found = self.department_officers.get((hall_code, department_code))
        return list(found) if found is not None else self.hall_officers(hall_code)

    def current_tag_set(self) -> TagSet | None:
        return self.tag_set


@dataclass
class MemoryCalendar:
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)

    def for_hall(self, hall_code: str) -> WorkingCalendar:
        return self.calendar.for_hall(hall_code)


@dataclass
class Sender:
    """Records each message; ``fail_next`` makes that many calls fail before anything is sent."""

    sent: list[object] = field(default_factory=list)
    fail_next: int = 0

    def send(self, message: object) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise SendFailed("the endpoint did not answer")
        self.sent.append(message)


@dataclass
class MemoryNotices:
    officers: Sender = field(default_factory=Sender)
    escalations: Sender = field(default_factory=Sender)
    reports: Sender = field(default_factory=Sender)
    addressed: list[list[str]] = field(default_factory=list)  # each officers' notice's addressees, in order
    publications: Sender = field(default_factory=Sender)

    def to_officers(self, message: dict[str, str], officers: list[str]) -> None:
        self.officers.send(message)
        self.addressed.append(list(officers))

    def escalation(self, message: dict[str, str]) -> None:
        self.escalations.send(message)

    def report(self, report: Report) -> None:
        self.reports.send(report)

    def published(self, message: dict[str, str]) -> None:
        self.publications.send(message)


@dataclass
class MemoryPublished:
    """Files under published/, by name: their bytes and content type."""

    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def put(self, name: str, body: bytes, content_type: str) -> None:
        self.files[name] = (body, content_type)

    def get(self, name: str) -> tuple[bytes, str] | None:
        return self.files.get(name)


@dataclass
class MemoryQueues:
    bad_reviews: Sender = field(default_factory=Sender)
    queued_steps: Sender = field(default_factory=Sender)

    def bad_review(self, tracking_code: str) -> None:
        self.bad_reviews.send(tracking_code)

    def steps(self, steps: list[tuple[str, str]]) -> None:
        for step in steps:
            self.queued_steps.send(step)


class ReversibleSeal:
    """Seals by a reversible encoding bound to the tracking code, as the key's context binds it."""

    def seal(self, tracking_code: str, name: str, phone: str) -> bytes:
        return f"{tracking_code}|{name}|{phone}".encode()[::-1]

    def unseal(self, ciphertext: bytes, tracking_code: str) -> dict[str, str]:
        code, name, phone = ciphertext[::-1].decode().split("|")
        if code != tracking_code:
            raise ValueError("sealed for another rating")
        return {"name": name, "phone": phone}


@dataclass
class MemoryWrongKeys:
    """Wrong citizen keys per rating, source and period, as the counter items keep them."""

    counts: dict[tuple[str, str, datetime], int] = field(default_factory=dict)

    def tally(self, tracking_code: str, source: str, now: datetime, period: timedelta) -> Tally | None:
        start = period_start(now, period)
        count = self.counts.get((tracking_code, source, start))
        return None if count is None else Tally(count, start + period)

    def add(self, tracking_code: str, source: str, now: datetime, period: timedelta) -> Tally:
        start = period_start(now, period)
        self.counts[(tracking_code, source, start)] = self.counts.get((tracking_code, source, start), 0) + 1
        return Tally(self.counts[(tracking_code, source, start)], start + period)


@dataclass
class MemoryStores:
    ratings: MemoryRatings = field(default_factory=MemoryRatings)
    tasks: MemoryTasks = field(default_factory=MemoryTasks)
    scores: MemoryScores = field(default_factory=MemoryScores)
    registry: MemoryRegistry = field(default_factory=MemoryRegistry)
    calendar: MemoryCalendar = field(default_factory=MemoryCalendar)
    notices: MemoryNotices = field(default_factory=MemoryNotices)
    queues: MemoryQueues = field(default_factory=MemoryQueues)
    published: MemoryPublished = field(default_factory=MemoryPublished)
    evaluators: ReversibleSeal = field(default_factory=ReversibleSeal)
    wrong_keys: MemoryWrongKeys = field(default_factory=MemoryWrongKeys)
    secret: bytes = b"MemoryStoresSigningSecret-not-used-anywhere-else"

    def __post_init__(self) -> None:
        # One list of reports, as one division's list in the table: a rejected held rating's too.
        self.ratings.reports_written = self.tasks.reports_written

    def signing_secret(self) -> bytes:
        return self.secret
