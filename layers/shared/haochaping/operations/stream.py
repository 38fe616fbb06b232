"""What follows from a change in the Ratings table (its stream is the outbox)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from haochaping.domain.rating import Rating
from haochaping.domain.suspicion import Review
from haochaping.observability import logger, metrics
from haochaping.operations.ports import Queues


def see_rating_change(
    record: dict[str, Any],
    read_rating: Callable[[dict[str, Any]], Rating | None],
    queues: Queues,
    read_review: Callable[[dict[str, Any]], Review | None],
) -> Rating | None:
    """Record that a new rating was seen and send a bad review on to its follow-up; returns the rating.

    A rating held for review (suspected automated) is seen but not sent on; it is sent on when a
    supervisor releases it, which the stream shows as the rating changed from held to released.
    ``read_rating`` turns a record's image into a rating (None for items that are not ratings);
    ``read_review`` reads only where an image's rating stands in review, so that no other change
    of an item is read as a rating.
    """
    images = record.get("dynamodb", {})
    if record.get("eventName") == "MODIFY":
        before, after = images.get("OldImage") or {}, images.get("NewImage") or {}
        if read_review(before) == Review.HELD and read_review(after) == Review.RELEASED:
            return _released(read_rating(after), queues)
        return None
    if record.get("eventName") != "INSERT":
        return None
    rating = read_rating(images.get("NewImage") or {})
    if rating is None:
        return None
    metrics.add_metric(name="RatingsSeen", unit="Count", value=1)
    if rating.held_for_review:
        metrics.add_metric(name="RatingsHeldForReview", unit="Count", value=1)
    elif rating.opens_follow_up:
        metrics.add_metric(name="BadReviewsSeen", unit="Count", value=1)
        queues.bad_review(rating.tracking_code)
    logger.info(
        "rating seen",
        extra={
            "tracking_code": rating.tracking_code,
            "window_code": rating.window_code,
            "rating_level": int(rating.level),
            "bad_review": rating.is_bad_review,
            "held_for_review": rating.held_for_review,
        },
    )
    return rating


def _released(after: Rating | None, queues: Queues) -> Rating | None:
    """A held rating a supervisor released: from now on it counts, and a bad review is followed up."""
    if after is None:
        return None
    metrics.add_metric(name="HeldRatingsReleased", unit="Count", value=1)
    if after.opens_follow_up:
        metrics.add_metric(name="BadReviewsSeen", unit="Count", value=1)
        queues.bad_review(after.tracking_code)
    logger.info("rating released", extra={"tracking_code": after.tracking_code, "bad_review": after.is_bad_review})
    return after
