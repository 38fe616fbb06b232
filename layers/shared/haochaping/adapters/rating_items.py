"""A rating item read back as the domain's rating, from the table or from its stream.

Apart from the ratings repository so the stream consumer reads ratings without loading the
submission rules.
"""

from __future__ import annotations

from haochaping.adapters.tables import RatingItem
from haochaping.domain.rating import Channel, Level, Rating


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
    )


def rating_from_stream_image(image: dict) -> Rating | None:
    """Read a rating back from a DynamoDB stream image; None for items that are not ratings."""
    if image.get("kind", {}).get("S") != "rating":
        return None
    return rating_from_item(RatingItem.from_raw_data(image))
