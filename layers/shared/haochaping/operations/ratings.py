"""Ratings 评价: the citizen's submission, the form a plate opens, and a rating read back."""

from __future__ import annotations

from datetime import datetime

from haochaping.domain.citizen_key import citizen_key_for
from haochaping.domain.errors import NotFound
from haochaping.domain.rating import Rating, utc_now
from haochaping.domain.registry import TagSet, WindowEntry
from haochaping.domain.submission import RatingReceipt, RatingSubmission, prepare_rating
from haochaping.operations.ports import Stores
from haochaping.operations.rules import Rules

NO_TAGS = TagSet(version="none", tags=())


def receipt_for(rating: Rating, stores: Stores) -> RatingReceipt:
    """The receipt of a rating, with its citizen's key (derived again, for a resubmission too)."""
    return RatingReceipt(
        tracking_code=rating.tracking_code,
        citizen_key=citizen_key_for(rating.submission_id, stores.signing_secret()),
        level=int(rating.level),
        level_name=rating.level.name_zh,
        window_code=rating.window_code,
        rated_at=rating.rated_at_china.isoformat(timespec="seconds"),
        bad_review=rating.is_bad_review,
        follow_up_rating=rating.is_follow_up,
        held_for_review=rating.held_for_review,
    )


def submit_rating(
    submission: RatingSubmission,
    stores: Stores,
    rules: Rules,
    device_token: str | None,
    now: datetime | None = None,
    address: str | None = None,
) -> tuple[Rating, bool]:
    """Record a rating 提交评价; returns the stored rating and whether this call created it.

    ``device_token`` is the form's cookie and ``address`` the network address it came from: the
    sources whose budgets the rating spends (beyond one, it is stored held for review).
    """
    now = now or utc_now()
    entry, tag_set = stores.registry.window_and_tags(submission.window_code)
    prepared = prepare_rating(
        submission, entry, tag_set or NO_TAGS, rules.rating, stores.signing_secret(), now, device_token, address
    )
    ciphertext = None
    if submission.evaluator is not None:
        # Sealed before it is stored, bound to its rating: the plaintext never leaves this call.
        ciphertext = stores.evaluators.seal(
            prepared.rating.tracking_code, submission.evaluator.name, submission.evaluator.phone
        )
    return stores.ratings.record(prepared, ciphertext, rules.rating.follow_up_period, rules.rating.ticket_validity)


def window_for_form(window_code: str, stores: Stores) -> tuple[WindowEntry, TagSet, bytes]:
    """The window a plate points at, the current tags and the stack's secret (to check the plate)."""
    entry, tag_set = stores.registry.window_and_tags(window_code)
    if entry is None or not entry.window.active:
        raise NotFound(f"window {window_code} is not in service")
    return entry, tag_set or NO_TAGS, stores.signing_secret()


def find_rating(tracking_code: str, stores: Stores) -> Rating:
    rating = stores.ratings.get(tracking_code)
    if rating is None:
        raise NotFound("no rating has this tracking code")
    return rating


def window_entry(window_code: str, stores: Stores) -> WindowEntry | None:
    return stores.registry.window_and_tags(window_code)[0]
