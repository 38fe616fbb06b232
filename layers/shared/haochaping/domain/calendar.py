"""Working days 工作日 on China's official calendar, in Asia/Shanghai.

Statutory holidays and the swapped working weekends (调休) come from the ``chinese-calendar``
package; a district may load overrides (a hall closed for a local reason, the official
schedule of a new year announced each November). For a year neither knows, weekends count as
rest days and every deadline computed from it says it is provisional.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from haochaping.domain.rating import CHINA_TIME

try:  # the package ships the official schedule for each year up to its release
    import chinese_calendar as _official
except ImportError:  # pragma: no cover - the layer always ships it
    _official = None


@dataclass(frozen=True, slots=True)
class Deadline:
    """The end of a working day, and whether the calendar behind it was provisional."""

    due_at: datetime  # UTC-aware
    due_date: date  # the working day, in China
    provisional: bool


@dataclass(frozen=True)
class WorkingCalendar:
    """overrides: date → True (a working day) / False (a rest day); they win over the package."""

    overrides: Mapping[date, bool] = field(default_factory=dict)

    def is_working_day(self, day: date) -> tuple[bool, bool]:
        """(is it a working day, was that a guess) for one day in China."""
        if day in self.overrides:
            return self.overrides[day], False
        if _official is not None:
            try:
                return bool(_official.is_workday(day)), False
            except NotImplementedError:
                pass
        return day.isoweekday() <= 5, True

    def add_working_days(self, start: date, count: int) -> tuple[date, bool]:
        """The count-th working day after ``start`` (start itself not counted)."""
        if count < 1:
            raise ValueError("count must be at least one working day")
        day, found, provisional = start, 0, False
        while found < count:
            day += timedelta(days=1)
            working, guessed = self.is_working_day(day)
            provisional |= guessed
            if working:
                found += 1
        return day, provisional

    def deadline(self, opened_at: datetime, working_days: int) -> Deadline:
        """Due at the end (24:00, Asia/Shanghai) of the Nth working day after the opening day."""
        opened_day = opened_at.astimezone(CHINA_TIME).date()
        due_day, provisional = self.add_working_days(opened_day, working_days)
        end_of_day = datetime.combine(due_day + timedelta(days=1), time(0, 0), tzinfo=CHINA_TIME)
        return Deadline(
            due_at=end_of_day.astimezone(opened_at.tzinfo or CHINA_TIME), due_date=due_day, provisional=provisional
        )
