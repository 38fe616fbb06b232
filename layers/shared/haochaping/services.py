"""Operations that join the domain to its adapters; each handler calls exactly one of them."""

from __future__ import annotations

from datetime import datetime

from haochaping.adapters import ratings as rating_store
from haochaping.adapters.secrets import signing_secret
from haochaping.adapters.tables import bind_tables
from haochaping.domain.rating import Channel, Level, Rating, tracking_code_for, utc_now
from haochaping.domain.submission import RatingReceipt, RatingSubmission
from haochaping.settings import Settings


def receipt_for(rating: Rating) -> RatingReceipt:
    return RatingReceipt(
        tracking_code=rating.tracking_code,
        level=int(rating.level),
        level_name=rating.level.name_zh,
        window_code=rating.window_code,
        rated_at=rating.rated_at_china.isoformat(timespec="seconds"),
        bad_review=rating.is_bad_review,
    )


def submit_rating(
    submission: RatingSubmission, settings: Settings, now: datetime | None = None
) -> tuple[RatingReceipt, bool]:
    """Record a rating 提交评价; returns the receipt and whether this call created it."""
    bind_tables(settings.ratings_table)
    secret = signing_secret(settings.signing_secret_name)
    rating = Rating(
        tracking_code=tracking_code_for(submission.submission_id, secret),
        submission_id=submission.submission_id,
        division_code=settings.division_code,
        window_code=submission.window_code,
        level=Level(submission.level),
        channel=Channel(submission.channel),
        tags=tuple(submission.tags),
        comment=submission.comment,
        rated_at=now or utc_now(),
    )
    stored, created = rating_store.put_new_rating(rating)
    return receipt_for(stored), created
