"""Repository of ratings: the single conditional put that the citizen is told about."""

from __future__ import annotations

from pynamodb.exceptions import PutError

from haochaping.adapters.tables import RatingItem
from haochaping.domain.rating import Channel, Level, Rating

RATING_SORT_KEY = "RATING"


def _key(tracking_code: str) -> str:
    return f"RATING#{tracking_code}"


def _to_item(rating: Rating) -> RatingItem:
    return RatingItem(
        pk=_key(rating.tracking_code),
        sk=RATING_SORT_KEY,
        tracking_code=rating.tracking_code,
        submission_id=rating.submission_id,
        division_code=rating.division_code,
        window_code=rating.window_code,
        level=int(rating.level),
        bad_review=rating.is_bad_review,
        channel=rating.channel.value,
        pf_code=rating.channel.pf_code,
        tags=list(rating.tags),
        comment=rating.comment,
        rated_at=rating.rated_at,
    )


def _from_item(item: RatingItem) -> Rating:
    return Rating(
        tracking_code=item.tracking_code,
        submission_id=item.submission_id,
        division_code=item.division_code,
        window_code=item.window_code,
        level=Level(int(item.level)),
        channel=Channel(item.channel),
        tags=tuple(item.tags or ()),
        comment=item.comment or "",
        rated_at=item.rated_at,
    )


def put_new_rating(rating: Rating) -> tuple[Rating, bool]:
    """Store the rating unless its key exists; return the stored rating and whether it is new.

    The stream of this one write is the outbox: nothing else is written on the request path.
    """
    try:
        _to_item(rating).save(condition=RatingItem.pk.does_not_exist())
        return rating, True
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    existing = find_rating(rating.tracking_code)
    if existing is None:  # the item vanished between the two calls; the put must be retried
        raise RuntimeError("rating key taken but not readable")
    return existing, False


def find_rating(tracking_code: str) -> Rating | None:
    try:
        return _from_item(RatingItem.get(_key(tracking_code), RATING_SORT_KEY, consistent_read=True))
    except RatingItem.DoesNotExist:
        return None


def rating_from_stream_image(image: dict) -> Rating | None:
    """Read a rating back from a DynamoDB stream image; None for items that are not ratings."""
    if image.get("kind", {}).get("S") != "rating":
        return None
    item = RatingItem.from_raw_data(image)
    return _from_item(item)
