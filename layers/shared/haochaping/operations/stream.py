"""What follows from a change in the Ratings table (its stream is the outbox)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from haochaping.domain.rating import Rating
from haochaping.observability import logger, metrics
from haochaping.operations.ports import Queues


def see_rating_change(
    record: dict[str, Any], read_rating: Callable[[dict[str, Any]], Rating | None], queues: Queues
) -> Rating | None:
    """Record that a new rating was seen and send a bad review on to its follow-up; returns the rating.

    ``read_rating`` turns the record's new image into a rating (None for items that are not ratings).
    """
    if record.get("eventName") != "INSERT":
        return None
    rating = read_rating(record.get("dynamodb", {}).get("NewImage") or {})
    if rating is None:
        return None
    metrics.add_metric(name="RatingsSeen", unit="Count", value=1)
    if rating.is_bad_review:
        metrics.add_metric(name="BadReviewsSeen", unit="Count", value=1)
        queues.bad_review(rating.tracking_code)
    logger.info(
        "rating seen",
        extra={
            "tracking_code": rating.tracking_code,
            "window_code": rating.window_code,
            "rating_level": int(rating.level),
            "bad_review": rating.is_bad_review,
        },
    )
    return rating
