"""The twin's clock: real time, optionally sped up and advanced by hand, for schedules."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._speed = speed
        self._real_anchor = time.monotonic()
        self._twin_anchor = start or datetime.now(UTC)

    def now(self) -> datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._real_anchor) * self._speed
            return self._twin_anchor + timedelta(seconds=elapsed)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._twin_anchor += delta
        return self.now()

    @property
    def speed(self) -> float:
        return self._speed

    def real_seconds_until(self, moment: datetime) -> float:
        return max(0.0, (moment - self.now()).total_seconds() / self._speed)
