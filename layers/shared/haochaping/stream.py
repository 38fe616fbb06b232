"""What follows from a change in the Ratings table (the stream is the outbox)."""

from __future__ import annotations

from typing import Any

from haochaping.adapters.queues import send_bad_review
from haochaping.adapters.rating_items import rating_from_stream_image
from haochaping.observability import logger, metrics
from haochaping.settings import Settings, get_settings


def see_rating_change(record: dict[str, Any], settings: Settings | None = None) -> None:
    """Record that a new rating was seen and send a bad review on to its follow-up."""
    if record.get("eventName") != "INSERT":
        return
    image = record.get("dynamodb", {}).get("NewImage") or {}
    rating = rating_from_stream_image(image)
    if rating is None:
        return
    metrics.add_metric(name="RatingsSeen", unit="Count", value=1)
    if rating.is_bad_review:
        metrics.add_metric(name="BadReviewsSeen", unit="Count", value=1)
        send_bad_review((settings or get_settings()).follow_up_queue_url, rating.tracking_code)
    logger.info(
        "rating seen",
        extra={
            "tracking_code": rating.tracking_code,
            "window_code": rating.window_code,
            "rating_level": int(rating.level),
            "bad_review": rating.is_bad_review,
        },
    )
