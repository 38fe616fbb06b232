"""Fixed periods for counting: what is counted in one starts afresh in the next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Tally:
    """How many times something was counted in the current period, and when that period ends."""

    count: int
    period_ends: datetime


def period_start(now: datetime, period: timedelta) -> datetime:
    """The start of the fixed period ``now`` falls in (periods are aligned to the epoch)."""
    seconds = int(period.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)
