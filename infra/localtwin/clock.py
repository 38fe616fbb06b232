"""The twin's clock: real time, optionally sped up and advanced by hand, never set back.

The schedule driver fires on it, and each function's worker is told its offset from real time
before an invocation (see ``LocalTwin(clock_hook=...)``), so the functions' "now" moves with it.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class ClockError(ValueError):
    """Asked to move the clock backwards: the twin's time, like real time, only goes forward."""


class Clock:
    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        if not speed > 0:
            raise ValueError(f"the clock's speed must be positive, not {speed}")
        self._lock = threading.Lock()
        self._speed = speed
        self._real_anchor = time.monotonic()
        self._wall_anchor = datetime.now(UTC)
        self._twin_anchor = start or self._wall_anchor

    def _now(self) -> datetime:
        elapsed = (time.monotonic() - self._real_anchor) * self._speed
        return self._twin_anchor + timedelta(seconds=elapsed)

    def now(self) -> datetime:
        with self._lock:
            return self._now()

    def offset_seconds(self) -> float:
        """How far the twin's time is ahead of real time.

        Exactly constant at speed 1 until the clock is advanced; at a higher speed it grows
        with every real second by ``speed - 1``.
        """
        with self._lock:
            elapsed = time.monotonic() - self._real_anchor
            return (self._twin_anchor - self._wall_anchor).total_seconds() + elapsed * (self._speed - 1)

    def advance(self, delta: timedelta) -> datetime:
        """Jump forward by ``delta``; returns the new now."""
        if delta < timedelta(0):
            raise ClockError(f"the twin's clock never goes backwards (asked to move by {delta})")
        with self._lock:
            self._twin_anchor += delta
            return self._now()

    def advance_to(self, moment: datetime) -> datetime:
        """Jump forward to ``moment`` (timezone-aware); returns the new now."""
        if moment.tzinfo is None:
            raise ValueError("give the moment with its time zone")
        with self._lock:
            now = self._now()
            if moment < now:
                raise ClockError(f"the twin's clock never goes backwards ({moment.isoformat()} is before now)")
            self._twin_anchor += moment - now
            return self._now()

    @property
    def speed(self) -> float:
        return self._speed

    def real_seconds_until(self, moment: datetime) -> float:
        return max(0.0, (moment - self.now()).total_seconds() / self._speed)
