"""What the operations need from the world, as protocols: the stores and the senders.

The adapters implement them on AWS (wired in :mod:`haochaping.wiring`); the unit tests hand in
fakes that keep everything in memory. An operation receives and returns domain objects only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # for the annotations only: a function imports the domain modules it uses, no more
    from collections.abc import Callable, Collection, Mapping
    from datetime import date, datetime, timedelta

    from haochaping.domain.calendar import WorkingCalendar
    from haochaping.domain.periods import Tally
    from haochaping.domain.rating import Rating
    from haochaping.domain.registry import TagSet, WindowEntry
    from haochaping.domain.review import ReviewDecision
    from haochaping.domain.scores import Period, RatingState, Scope, ScoreSheet, SheetCounts, SheetKey
    from haochaping.domain.submission import PreparedRating
    from haochaping.domain.task import Report, Step, Task, TaskChange


class RatingStore(Protocol):
    def record(
        self,
        prepared: PreparedRating,
        evaluator_ciphertext: bytes | None,
        follow_up_period: timedelta,
        ticket_validity: timedelta,
    ) -> tuple[Rating, bool]: ...

    def get(self, tracking_code: str) -> Rating | None: ...

    def get_many(self, tracking_codes: Collection[str]) -> dict[str, Rating]: ...

    def rated_on(self, day: date) -> list[RatingState]:
        """Every rating given on the day (Asia/Shanghai), as it stands, through an index: no scan."""
        ...

    def evaluator_ciphertext(self, tracking_code: str) -> bytes | None: ...

    def held_of_hall(self, hall_code: str, limit: int) -> list[Rating]: ...

    def review_held(self, rating: Rating, decision: ReviewDecision) -> bool: ...


class TaskStore(Protocol):
    def get(self, tracking_code: str) -> Task | None: ...

    def get_many(self, tracking_codes: Collection[str]) -> dict[str, Task]:
        """The tasks of these ratings that exist, by tracking code, without their audit trails."""
        ...

    def tasks_of_hall(self, hall_code: str, recent: int) -> list[Task]: ...

    def due_steps(self, now: datetime) -> tuple[list[tuple[str, str]], int]: ...

    def reports(self, division_code: str) -> list[Report]: ...

    def personal_data_due(self, now: datetime) -> list[str]: ...

    def create(self, task: Task, officers: list[str], step_ahead: Step | None) -> bool: ...

    def change(self, tracking_code: str, decide: Callable[[Task], TaskChange | None]) -> tuple[Task, Task] | None: ...

    def mark_officers_notified(self, tracking_code: str, at: datetime) -> None: ...

    def mark_step_notified(self, tracking_code: str, step_key: str) -> None: ...

    def remove_personal_data(self, tracking_code: str) -> None: ...


class ScoreStore(Protocol):
    """The score sheets 计分表 and, per stream shard, how far its records were counted."""

    max_sheets_per_write: int  # sheets one apply() may change
    max_counts_per_sheet: int  # counters one apply() may change on one sheet

    def high_water(self, stream: str, shard: str) -> str | None:
        """The sequence number of the shard's last record counted; None: none yet."""
        ...

    def apply(
        self, stream: str, shard: str, seen: str | None, upto: str, sheets: Mapping[SheetKey, SheetCounts]
    ) -> None:
        """Add the counts to the sheets and move the shard's mark from ``seen`` to ``upto``, all or
        nothing; raises CountedMeanwhile when the mark is no longer at ``seen``."""
        ...

    def sheets(self, period: Period, consistent: bool = False) -> list[ScoreSheet]: ...

    def repair(
        self, key: SheetKey, seen: int, difference: SheetCounts, unchanged: Mapping[SheetKey, int] | None = None
    ) -> None:
        """Add ``difference`` to the sheet if its revision is still ``seen`` and each sheet of
        ``unchanged`` is still at its revision, all or nothing; raises CountedMeanwhile otherwise."""
        ...


class RegistryReader(Protocol):
    def window_and_tags(self, window_code: str) -> tuple[WindowEntry | None, TagSet | None]: ...

    def hall_officers(self, hall_code: str) -> list[str]: ...

    def hall_supervisors(self, hall_code: str) -> list[str]: ...
    def followup_officers(self, hall_code: str, department_code: str) -> list[str]: ...

    def current_tag_set(self) -> TagSet | None: ...

    def unit_names(self) -> dict[Scope, tuple[str, str]]:
        """Every window's, department's and hall's name in Chinese and English (public names)."""
        ...


class CalendarReader(Protocol):
    def for_hall(self, hall_code: str) -> WorkingCalendar: ...


class Notices(Protocol):
    def to_officers(self, message: dict[str, str], officers: list[str]) -> None: ...

    def escalation(self, message: dict[str, str]) -> None: ...

    def report(self, report: Report) -> None: ...

    def published(self, message: dict[str, str]) -> None: ...


class PublishedFiles(Protocol):
    """The published results 结果公示: files under published/, public once written."""

    def put(self, name: str, body: bytes, content_type: str) -> None: ...

    def get(self, name: str) -> tuple[bytes, str] | None:
        """A file's bytes and content type; None when there is no such file."""
        ...


class Queues(Protocol):
    def bad_review(self, tracking_code: str) -> None: ...

    def steps(self, steps: list[tuple[str, str]]) -> None: ...


class EvaluatorSeal(Protocol):
    def seal(self, tracking_code: str, name: str, phone: str) -> bytes: ...

    def unseal(self, ciphertext: bytes, tracking_code: str) -> dict[str, str]: ...


class WrongKeyCounts(Protocol):
    """Wrong citizen keys per rating and (hashed) source, counted in fixed periods."""

    def tally(self, tracking_code: str, source: str, now: datetime, period: timedelta) -> Tally | None: ...

    def add(self, tracking_code: str, source: str, now: datetime, period: timedelta) -> Tally: ...


class PublicFormats(Protocol):
    """How a public report is drawn: the pages and the CSV (the web layer's)."""

    def page(self, report: Mapping[str, Any], lang: str, stem: str = "index") -> str: ...

    def csv(self, report: Mapping[str, Any]) -> bytes: ...


class Stores(Protocol):
    """Everything an operation may touch, built once per execution environment from the settings."""

    @property
    def ratings(self) -> RatingStore: ...

    @property
    def tasks(self) -> TaskStore: ...

    @property
    def scores(self) -> ScoreStore: ...

    @property
    def registry(self) -> RegistryReader: ...

    @property
    def calendar(self) -> CalendarReader: ...

    @property
    def notices(self) -> Notices: ...

    @property
    def queues(self) -> Queues: ...

    @property
    def published(self) -> PublishedFiles: ...

    @property
    def evaluators(self) -> EvaluatorSeal: ...

    @property
    def wrong_keys(self) -> WrongKeyCounts: ...

    def signing_secret(self) -> bytes: ...
