"""PynamoDB models of the Ratings table, bound to the table name at run time.

PynamoDB reads ``Meta.table_name`` when it opens a connection and reuses that connection,
so names are bound from the settings before first use, and ``bind_tables`` drops cached
connections when a test switches between AWS endpoints.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model


class RatingItem(Model):
    """One rating 评价; key ``RATING#<tracking code>`` so a resubmission hits the same item."""

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(default="rating")
    tracking_code = UnicodeAttribute()
    submission_id = UnicodeAttribute()
    division_code = UnicodeAttribute()
    window_code = UnicodeAttribute()
    level = NumberAttribute()
    bad_review = BooleanAttribute()
    channel = UnicodeAttribute()
    pf_code = NumberAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    comment = UnicodeAttribute(default="")
    rated_at = UTCDateTimeAttribute()


MODELS: tuple[type[Model], ...] = (RatingItem,)


def bind_tables(ratings_table: str) -> None:
    for model in MODELS:
        if model.Meta.table_name != ratings_table or model._connection is None:
            model.Meta.table_name = ratings_table
            model._connection = None
