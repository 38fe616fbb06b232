"""Repository of ratings: the single write that the citizen is told about.

A rating and the one-time marks it claims (its ticket, the device's cool-down at the window,
its case's rating count) are written in one transaction: either all of them or none. The
rating's key comes from the submission id, so the transaction is also the idempotency check.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from haochaping.adapters.keys import (
    EVALUATOR_SORT_KEY,
    MARK_SORT_KEY,
    RATING_SORT_KEY,
    case_key,
    cooldown_key,
    rating_key,
    ticket_key,
)
from haochaping.adapters.rating_items import rating_from_item as _from_item
from haochaping.adapters.tables import EvaluatorItem, MarkItem, RatingItem, transaction_connection
from haochaping.domain.errors import Conflict, Forbidden, TooManyRequests
from haochaping.domain.rating import Rating, within_follow_up_period

if TYPE_CHECKING:
    from haochaping.domain.submission import PreparedRating

CONDITION_FAILED = "ConditionalCheckFailed"


def _to_item(rating: Rating) -> RatingItem:
    return RatingItem(
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
    )


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def record_rating(
    prepared: PreparedRating,
    evaluator_ciphertext: bytes | None,
    follow_up_period: timedelta,
    ticket_validity: timedelta,
) -> tuple[Rating, bool]:
    """Write the rating with its marks; returns the stored rating and whether it is new.

    Raises TooManyRequests (device cool-down), Forbidden (ticket used) or Conflict (the case
    was already rated twice, or its follow-up period is over).
    """
    try:
        _write(prepared, evaluator_ciphertext, ticket_validity, follow_up_of=None)
        return prepared.rating, True
    except TransactWriteError as error:
        failed = _failed_parts(prepared, error)
        existing = _resubmission(prepared, failed)
        if existing is not None:
            return existing, False
        if "case" not in failed:
            raise
    # The case was rated before: this may be its one follow-up rating (追评).
    case = _find_case(prepared.rating.case_no or "")
    if case is None or case.rating_count is None or case.first_rated_at is None:
        raise Conflict("the case's record is being written; try again")
    if int(case.rating_count) >= 2:
        raise Conflict(f"case {prepared.rating.case_no} has already had its rating and its one follow-up rating")
    if not within_follow_up_period(case.first_rated_at, prepared.rating.rated_at, follow_up_period):
        raise Conflict(f"the follow-up period for case {prepared.rating.case_no} is over")
    follow_up = replace(prepared, rating=replace(prepared.rating, assess_number=2))
    try:
        _write(follow_up, evaluator_ciphertext, ticket_validity, follow_up_of=case)
        return follow_up.rating, True
    except TransactWriteError as error:
        failed = _failed_parts(follow_up, error)
        existing = _resubmission(follow_up, failed)
        if existing is not None:
            return existing, False
        if "case" in failed:
            raise Conflict(f"case {prepared.rating.case_no} was rated again at the same moment") from None
        raise


def _write(
    prepared: PreparedRating,
    evaluator_ciphertext: bytes | None,
    ticket_validity: timedelta,
    follow_up_of: MarkItem | None,
) -> None:
    rating = prepared.rating
    # One rule for the evaluator's part, here and in _parts: a real-name rating carries it.
    if rating.real_name != (evaluator_ciphertext is not None):
        raise ValueError("a real-name rating is written with its evaluator's ciphertext, and only it")
    with TransactWrite(connection=transaction_connection()) as transaction:
        transaction.save(_to_item(rating), condition=RatingItem.pk.does_not_exist())
        if rating.real_name:
            evaluator = EvaluatorItem(
                pk=rating_key(rating.tracking_code), sk=EVALUATOR_SORT_KEY, ciphertext=evaluator_ciphertext
            )
            transaction.save(evaluator, condition=EvaluatorItem.pk.does_not_exist())
        if prepared.cooldown_key and prepared.cooldown_until:
            until = _epoch(prepared.cooldown_until)
            transaction.save(
                MarkItem(
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
            transaction.save(
                MarkItem(
                    pk=ticket_key(prepared.ticket.ticket_id),
                    sk=MARK_SORT_KEY,
                    kind="ticket",
                    expires_at=prepared.ticket.issued_at + ticket_validity + timedelta(days=1),
                ),
                condition=MarkItem.pk.does_not_exist(),
            )
        if rating.case_no:
            case = case_key(rating.case_no)
            if follow_up_of is None:
                transaction.save(
                    MarkItem(
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


def _parts(prepared: PreparedRating) -> list[str]:
    """The transaction's parts, in the order ``_write`` adds them."""
    parts = ["rating"]
    if prepared.rating.real_name:
        parts.append("evaluator")
    if prepared.cooldown_key and prepared.cooldown_until:
        parts.append("cooldown")
    if prepared.ticket is not None:
        parts.append("ticket")
    if prepared.rating.case_no:
        parts.append("case")
    return parts


def _failed_parts(prepared: PreparedRating, error: TransactWriteError) -> dict[str, dict | None]:
    """Which parts failed their condition (with the old item where given); raises for the
    parts whose failure is the citizen's answer (cool-down 429, used ticket 403)."""
    if error.cause_response_code != "TransactionCanceledException":
        raise error
    failed: dict[str, dict | None] = {}
    for label, reason in zip(_parts(prepared), error.cancellation_reasons or [], strict=False):
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


def _resubmission(prepared: PreparedRating, failed: dict[str, dict | None]) -> Rating | None:
    """The rating already stored under this submission id, when that is why the write failed."""
    if "rating" not in failed:
        return None
    return find_rating(prepared.rating.tracking_code)


def _find_case(case_no: str) -> MarkItem | None:
    try:
        return MarkItem.get(case_key(case_no), MARK_SORT_KEY, consistent_read=True)
    except MarkItem.DoesNotExist:
        return None


def find_rating(tracking_code: str) -> Rating | None:
    try:
        return _from_item(RatingItem.get(rating_key(tracking_code), RATING_SORT_KEY, consistent_read=True))
    except RatingItem.DoesNotExist:
        return None


def find_evaluator_ciphertext(tracking_code: str) -> bytes | None:
    try:
        return bytes(EvaluatorItem.get(rating_key(tracking_code), EVALUATOR_SORT_KEY, consistent_read=True).ciphertext)
    except EvaluatorItem.DoesNotExist:
        return None


def is_not_adopted(tracking_code: str) -> bool:
    try:
        return bool(RatingItem.get(rating_key(tracking_code), RATING_SORT_KEY, consistent_read=True).not_adopted)
    except RatingItem.DoesNotExist:
        return False
