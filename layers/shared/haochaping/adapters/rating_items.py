"""A rating item read back as the domain's rating, from the table or from its stream.

Apart from the ratings repository so the stream consumer reads ratings without loading the
submission rules.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from haochaping.adapters.tables import RatingItem
from haochaping.domain.rating import Channel, Level, Rating
from haochaping.domain.suspicion import Budget, Review, Source, Suspicion


def suspicion_json(suspicion: Suspicion) -> str:
    return json.dumps(
        [
            {
                "source": budget.source.value,
                "source_id": budget.source_id,
                "window_code": budget.window_code,
                "limit": budget.limit,
                "period_start": budget.period_start.astimezone(UTC).isoformat(),
                "period_seconds": int(budget.period.total_seconds()),
            }
            for budget in suspicion.over
        ]
    )


def suspicion_from_json(text: str | None) -> Suspicion | None:
    if not text:
        return None
    return Suspicion(
        tuple(
            Budget(
                source=Source(entry["source"]),
                source_id=entry["source_id"],
                window_code=entry["window_code"],
                limit=int(entry["limit"]),
                period_start=datetime.fromisoformat(entry["period_start"]),
                period=timedelta(seconds=int(entry["period_seconds"])),
            )
            for entry in json.loads(text)
        )
    )


def rating_from_item(item: RatingItem) -> Rating:
    return Rating(
        tracking_code=item.tracking_code,
        submission_id=item.submission_id,
        division_code=item.division_code,
        window_code=item.window_code,
        hall_code=item.hall_code,
        department_code=item.department_code,
        staff_job_number=item.staff_job_number,
        level=Level(int(item.level)),
        channel=Channel(item.channel),
        tags=tuple(str(tag) for tag in item.tags or ()),
        tag_version=item.tag_version,
        comment=item.comment or "",
        case_no=item.case_no,
        item_code=item.item_code,
        real_name=bool(item.real_name),
        assess_number=int(item.assess_number or 1),
        rated_at=item.rated_at,
        review=Review(item.review) if item.review else None,
        suspicion=suspicion_from_json(item.suspicion),
        released_at=item.released_at,
    )


def rating_from_stream_image(image: dict) -> Rating | None:
    """Read a rating back from a DynamoDB stream image; None for items that are not ratings."""
    if image.get("kind", {}).get("S") != "rating":
        return None
    return rating_from_item(RatingItem.from_raw_data(image))


def review_of_stream_image(image: dict) -> Review | None:
    """Where a rating in a stream image stands in review, read without reading the whole rating
    (None for items that are not ratings, and for ratings never suspected)."""
    if image.get("kind", {}).get("S") != "rating":
        return None
    value = image.get("review", {}).get("S")
    return Review(value) if value in {review.value for review in Review} else None
