"""Repository of ratings: the single write that the citizen is told about.

A rating and the one-time marks it claims (its ticket, the device's cool-down at the window,
its case's rating count) are written in one transaction: either all of them or none. The
rating's key comes from the submission id, so the transaction is also the idempotency check.

The same transaction spends one of each of its sources' budgets (a counter per window, source
and period, added to only while under its limit). When a budget is spent, the transaction is
cancelled and written again with the rating held for review, on its hall's list of held ratings:
a rating is never refused for a budget, and only a rating that is written spends one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from haochaping.adapters.keys import (
    EVALUATOR_SORT_KEY,
    MARK_SORT_KEY,
    RATING_SORT_KEY,
    budget_key,
    case_key,
    cooldown_key,
    held_key,
    held_sort_key,
    rated_day_key,
    rating_key,
    ticket_key,
)
from haochaping.adapters.rating_items import rating_from_item as _from_item
from haochaping.adapters.rating_items import suspicion_json
from haochaping.adapters.tables import EvaluatorItem, HeldItem, MarkItem, RatingItem, RatingsTable, report_item
from haochaping.domain.errors import Conflict, Forbidden, TooManyRequests
from haochaping.domain.rating import CHINA_TIME, Rating, within_follow_up_period
from haochaping.domain.suspicion import Budget, Review, Suspicion

if TYPE_CHECKING:
    from haochaping.domain.review import ReviewDecision
    from haochaping.domain.scores import RatingState
    from haochaping.domain.submission import PreparedRating

CONDITION_FAILED = "ConditionalCheckFailed"


def _to_item(model: type[RatingItem], rating: Rating) -> RatingItem:
    return model(
        review=rating.review.value if rating.review else None,
        suspicion=suspicion_json(rating.suspicion) if rating.suspicion else None,
        pk=rating_key(rating.tracking_code),
        sk=RATING_SORT_KEY,
        tracking_code=rating.tracking_code,
        submission_id=rating.submission_id,
        division_code=rating.division_code,
        window_code=rating.window_code,
        hall_code=rating.hall_code,
        department_code=rating.department_code,
        staff_job_number=rating.staff_job_number,
        level=int(rating.level),
        bad_review=rating.is_bad_review,
        channel=rating.channel.value,
        pf_code=rating.channel.pf_code,
        tags=list(rating.tags),
        tag_version=rating.tag_version,
        comment=rating.comment,
        case_no=rating.case_no,
        item_code=rating.item_code,
        real_name=rating.real_name,
        assess_number=rating.assess_number,
        rated_at=rating.rated_at,
        rated_day=rated_day_key(rating.rated_at_china.date().isoformat()),
    )


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _budget_part(budget: Budget) -> str:
    return f"budget:{budget.source.value}"


def _budget_key(budget: Budget) -> str:
    return budget_key(budget.window_code, budget.source.value, budget.source_id, _epoch(budget.period_start))


def _attempt(prepared: PreparedRating, follow_up: bool, over: tuple[Budget, ...]) -> PreparedRating:
    """The rating as this attempt writes it: a follow-up rating 追评, held for review, or neither."""
    rating = replace(
        prepared.rating,
        assess_number=2 if follow_up else prepared.rating.assess_number,
        review=Review.HELD if over else prepared.rating.review,
        suspicion=Suspicion(over) if over else prepared.rating.suspicion,
    )
    return replace(prepared, rating=rating)


class _Parts:
    """A transaction's parts by name, in the order PynamoDB sends them, which is the order of a
    cancellation's reasons: condition checks, deletes, puts, then updates, each as added."""

    KINDS = ("check", "delete", "put", "update")

    def __init__(self) -> None:
        self.by_kind: dict[str, list[str]] = {kind: [] for kind in self.KINDS}

    def add(self, kind: str, label: str) -> None:
        self.by_kind[kind].append(label)

    def sent(self) -> list[str]:
        return [label for kind in self.KINDS for label in self.by_kind[kind]]


class _Cancelled(Exception):
    """The rating's transaction did not happen; ``parts`` names its writes in order."""

    def __init__(self, parts: list[str], error: TransactWriteError) -> None:
        super().__init__(str(error))
        self.parts, self.error = parts, error


class RatingStore:
    """The ratings of one stack's Ratings table."""

    def __init__(self, table: RatingsTable) -> None:
        self.table = table

    def record(
        self,
        prepared: PreparedRating,
        evaluator_ciphertext: bytes | None,
        follow_up_period: timedelta,
        ticket_validity: timedelta,
    ) -> tuple[Rating, bool]:
        """Write the rating with its marks; returns the stored rating and whether it is new.

        Raises TooManyRequests (device cool-down), Forbidden (ticket used) or Conflict (the case
        was already rated twice, or its follow-up period is over). A rating beyond a budget of
        its sources is written held for review, with the budgets it went over.
        """
        follow_up_of: MarkItem | None = None
        over: tuple[Budget, ...] = ()
        while True:
            attempt = _attempt(prepared, follow_up_of is not None, over)
            try:
                self._write(attempt, evaluator_ciphertext, ticket_validity, follow_up_of=follow_up_of)
                return attempt.rating, True
            except _Cancelled as cancelled:
                failed = self._failed_parts(attempt, cancelled)
                existing = self._resubmission(attempt, failed)
                if existing is not None:
                    return existing, False
                spent = tuple(budget for budget in prepared.budgets if _budget_part(budget) in failed)
                if "case" not in failed and (not spent or over):
                    raise  # nothing this loop knows how to write differently
                if spent and not over:
                    # Over a budget: written again, held for review (its budgets then counted past
                    # their limits, unconditionally, so the evidence counts the whole flood).
                    over = spent
                if "case" in failed:
                    if follow_up_of is not None:
                        raise Conflict(f"case {prepared.rating.case_no} was rated again at the same moment") from None
                    # The case was rated before: this may be its one follow-up rating (追评).
                    follow_up_of = self._case_open_to_follow_up(prepared, follow_up_period)

    def _case_open_to_follow_up(self, prepared: PreparedRating, follow_up_period: timedelta) -> MarkItem:
        """The case's mark, when one follow-up rating may still be given; otherwise Conflict says why."""
        case = self._find_case(prepared.rating.case_no or "")
        if case is None or case.rating_count is None or case.first_rated_at is None:
            raise Conflict("the case's record is being written; try again")
        if int(case.rating_count) >= 2:
            raise Conflict(f"case {prepared.rating.case_no} has already had its rating and its one follow-up rating")
        if not within_follow_up_period(case.first_rated_at, prepared.rating.rated_at, follow_up_period):
            raise Conflict(f"the follow-up period for case {prepared.rating.case_no} is over")
        return case

    def _write(
        self,
        prepared: PreparedRating,
        evaluator_ciphertext: bytes | None,
        ticket_validity: timedelta,
        follow_up_of: MarkItem | None,
    ) -> None:
        rating = prepared.rating
        # A real-name rating, and only it, carries its evaluator's part.
        if rating.real_name != (evaluator_ciphertext is not None):
            raise ValueError("a real-name rating is written with its evaluator's ciphertext, and only it")
        # Each part is named as it is added; a cancellation's reasons come back in the order sent.
        parts = _Parts()
        try:
            with TransactWrite(connection=self.table.connection) as transaction:
                parts.add("put", "rating")
                transaction.save(_to_item(self.table.rating, rating), condition=RatingItem.pk.does_not_exist())
                if rating.real_name:
                    parts.add("put", "evaluator")
                    evaluator = self.table.evaluator(
                        pk=rating_key(rating.tracking_code), sk=EVALUATOR_SORT_KEY, ciphertext=evaluator_ciphertext
                    )
                    transaction.save(evaluator, condition=EvaluatorItem.pk.does_not_exist())
                if prepared.cooldown_key and prepared.cooldown_until:
                    parts.add("put", "cooldown")
                    until = _epoch(prepared.cooldown_until)
                    transaction.save(
                        self.table.mark(
                            pk=cooldown_key(prepared.cooldown_key),
                            sk=MARK_SORT_KEY,
                            kind="cooldown",
                            until=until,
                            expires_at=prepared.cooldown_until + timedelta(days=1),
                        ),
                        condition=MarkItem.pk.does_not_exist() | (MarkItem.until < _epoch(rating.rated_at)),
                        return_values="ALL_OLD",
                    )
                if prepared.ticket is not None:
                    parts.add("put", "ticket")
                    transaction.save(
                        self.table.mark(
                            pk=ticket_key(prepared.ticket.ticket_id),
                            sk=MARK_SORT_KEY,
                            kind="ticket",
                            expires_at=prepared.ticket.issued_at + ticket_validity + timedelta(days=1),
                        ),
                        condition=MarkItem.pk.does_not_exist(),
                    )
                for budget in prepared.budgets:
                    parts.add("update", _budget_part(budget))
                    transaction.update(
                        self.table.mark(pk=_budget_key(budget), sk=MARK_SORT_KEY),
                        actions=[
                            MarkItem.kind.set("budget"),
                            MarkItem.tally.add(1),
                            MarkItem.expires_at.set(budget.period_ends + timedelta(days=1)),
                        ],
                        # Held, it counts whatever the tally; otherwise only while under the limit.
                        condition=None
                        if rating.held_for_review
                        else (MarkItem.tally.does_not_exist() | (MarkItem.tally < budget.limit)),
                    )
                if rating.held_for_review:
                    parts.add("put", "held")
                    held = self.table.held(
                        pk=held_key(rating.hall_code),
                        sk=held_sort_key(rating.rated_at.astimezone(UTC).isoformat(), rating.tracking_code),
                        tracking_code=rating.tracking_code,
                    )
                    transaction.save(held, condition=HeldItem.pk.does_not_exist())
                if rating.case_no:
                    case = case_key(rating.case_no)
                    parts.add("put" if follow_up_of is None else "update", "case")
                    if follow_up_of is None:
                        transaction.save(
                            self.table.mark(
                                pk=case,
                                sk=MARK_SORT_KEY,
                                kind="case",
                                rating_count=1,
                                first_rated_at=rating.rated_at,
                                tracking_codes=[rating.tracking_code],
                            ),
                            condition=MarkItem.pk.does_not_exist(),
                        )
                    else:
                        transaction.update(
                            follow_up_of,
                            actions=[
                                MarkItem.rating_count.set(2),
                                MarkItem.tracking_codes.set(MarkItem.tracking_codes.append([rating.tracking_code])),
                            ],
                            condition=MarkItem.rating_count == 1,
                        )
        except TransactWriteError as error:
            raise _Cancelled(parts.sent(), error) from None

    def _failed_parts(self, prepared: PreparedRating, cancelled: _Cancelled) -> dict[str, dict | None]:
        """Which parts failed their condition (with the old item where given); raises for the
        parts whose failure is the citizen's answer (cool-down 429, used ticket 403)."""
        error = cancelled.error
        if error.cause_response_code != "TransactionCanceledException":
            raise error
        failed: dict[str, dict | None] = {}
        for label, reason in zip(cancelled.parts, error.cancellation_reasons or [], strict=False):
            if reason is not None and reason.code == CONDITION_FAILED:
                failed[label] = reason.raw_item
        if "cooldown" in failed and "rating" not in failed:
            old = failed["cooldown"] or {}
            until = int(old.get("until", {}).get("N", "0"))
            raise TooManyRequests(
                "this device rated this window a moment ago; one service, one rating",
                retry_after_seconds=until - _epoch(prepared.rating.rated_at) if until else 600,
            )
        if "ticket" in failed and "rating" not in failed:
            raise Forbidden("this ticket has already been used for a rating")
        return failed

    def _resubmission(self, prepared: PreparedRating, failed: dict[str, dict | None]) -> Rating | None:
        """The rating already stored under this submission id, when that is why the write failed."""
        if "rating" not in failed:
            return None
        return self.get(prepared.rating.tracking_code)

    def _find_case(self, case_no: str) -> MarkItem | None:
        try:
            return self.table.mark.get(case_key(case_no), MARK_SORT_KEY, consistent_read=True)
        except DoesNotExist:
            return None

    def get(self, tracking_code: str) -> Rating | None:
        try:
            return _from_item(self.table.rating.get(rating_key(tracking_code), RATING_SORT_KEY, consistent_read=True))
        except DoesNotExist:
            return None

    def get_many(self, tracking_codes: Collection[str]) -> dict[str, Rating]:
        """The ratings of these tracking codes that exist, by code: BatchGetItem, 100 keys a request."""
        keys = [(rating_key(code), RATING_SORT_KEY) for code in tracking_codes]
        return {
            item.tracking_code: _from_item(item) for item in self.table.rating.batch_get(keys, consistent_read=True)
        }

    def rated_on(self, day: date) -> list[RatingState]:
        """Every rating given on the day (Asia/Shanghai) as it stands: one query of RatingsByDay."""
        from haochaping.domain.scores import RatingState  # here: submitting a rating never loads the scores

        return [
            RatingState(_from_item(item), not_adopted=bool(item.not_adopted))
            for item in self.table.rating.ratings_by_day.query(rated_day_key(day.isoformat()))
        ]

    def index_by_day(self) -> int:
        """Put into the RatingsByDay index every rating written before it existed; returns how many.
        A one-off scan for an admin (`haochaping ratings reindex`): no function does this."""
        indexed = 0
        stale = (RatingItem.kind == "rating") & RatingItem.rated_day.does_not_exist()
        for item in self.table.rating.scan(stale, consistent_read=True):
            day = item.rated_at.astimezone(CHINA_TIME).date().isoformat()
            try:
                item.update(actions=[RatingItem.rated_day.set(rated_day_key(day))], condition=stale)
            except UpdateError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
                continue  # indexed meanwhile
            indexed += 1
        return indexed

    def evaluator_ciphertext(self, tracking_code: str) -> bytes | None:
        try:
            return bytes(
                self.table.evaluator.get(rating_key(tracking_code), EVALUATOR_SORT_KEY, consistent_read=True).ciphertext
            )
        except DoesNotExist:
            return None

    def is_not_adopted(self, tracking_code: str) -> bool:
        try:
            return bool(
                self.table.rating.get(rating_key(tracking_code), RATING_SORT_KEY, consistent_read=True).not_adopted
            )
        except DoesNotExist:
            return False

    def held_of_hall(self, hall_code: str, limit: int) -> list[Rating]:
        """The hall's ratings held for review, oldest first: its list's keys, then the ratings."""
        held = self.table.held.query(held_key(hall_code), limit=limit, consistent_read=True)
        codes = [item.tracking_code for item in held]
        found = {
            item.tracking_code: _from_item(item)
            for item in self.table.rating.batch_get([(rating_key(code), RATING_SORT_KEY) for code in codes])
        }
        return [found[code] for code in codes if code in found and found[code].held_for_review]

    def review_held(self, rating: Rating, decision: ReviewDecision) -> bool:
        """Write a supervisor's decision on a held rating, its leaving the hall's list and, for a
        rejection, its report, in one transaction; False when it was no longer held."""
        released = decision.review == Review.RELEASED
        actions: list[Action] = [
            RatingItem.review.set(decision.review.value),
            RatingItem.reviewed_by.set(decision.by),
            RatingItem.reviewed_at.set(decision.at),
            RatingItem.review_note.set(decision.note),
        ]
        actions.append(RatingItem.released_at.set(decision.at) if released else RatingItem.not_adopted.set(True))
        parts = _Parts()
        try:
            with TransactWrite(connection=self.table.connection) as transaction:
                parts.add("update", "rating")
                transaction.update(
                    self.table.rating(pk=rating_key(rating.tracking_code), sk=RATING_SORT_KEY),
                    actions=actions,
                    condition=RatingItem.review == Review.HELD.value,
                )
                parts.add("delete", "held")
                sort_key = held_sort_key(rating.rated_at.astimezone(UTC).isoformat(), rating.tracking_code)
                transaction.delete(self.table.held(pk=held_key(rating.hall_code), sk=sort_key))
                if decision.report is not None:
                    parts.add("put", "report")
                    report = report_item(self.table, decision.report)
                    transaction.save(report, condition=type(report).pk.does_not_exist())
        except TransactWriteError as error:
            reasons = dict(zip(parts.sent(), error.cancellation_reasons or [], strict=False))
            if (reason := reasons.get("rating")) is not None and reason.code == CONDITION_FAILED:
                return False  # decided meanwhile: no longer held
            raise
        return True
