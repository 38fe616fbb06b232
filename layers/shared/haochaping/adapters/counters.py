"""Counters of one period in the Ratings table: wrong citizen keys from a source.

Each period has its own item (the period's start is in its key), added to with one atomic
update and removed by TTL a day after the period ends: nothing is read before it is counted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from haochaping.adapters.keys import MARK_SORT_KEY, wrong_keys_key
from haochaping.adapters.tables import MarkItem, RatingsTable
from haochaping.domain.periods import Tally, period_start


class WrongKeyCounts:
    """Wrong citizen keys per rating and source, counted in fixed periods."""

    def __init__(self, table: RatingsTable) -> None:
        self.table = table

    def _key(self, tracking_code: str, source: str, now: datetime, period: timedelta) -> tuple[str, datetime]:
        start = period_start(now.astimezone(UTC), period)
        return wrong_keys_key(tracking_code, source, int(start.timestamp())), start + period

    def tally(self, tracking_code: str, source: str, now: datetime, period: timedelta) -> Tally | None:
        key, ends = self._key(tracking_code, source, now, period)
        try:
            item = self.table.mark.get(key, MARK_SORT_KEY, consistent_read=True)
        except DoesNotExist:
            return None
        return Tally(count=int(item.tally or 0), period_ends=ends)

    def add(self, tracking_code: str, source: str, now: datetime, period: timedelta) -> Tally:
        key, ends = self._key(tracking_code, source, now, period)
        item = self.table.mark(pk=key, sk=MARK_SORT_KEY)
        item.update(
            actions=[
                MarkItem.kind.set("wrong_keys"),
                MarkItem.tally.add(1),
                MarkItem.expires_at.set(ends + timedelta(days=1)),
            ]
        )
        return Tally(count=int(item.tally or 0), period_ends=ends)
