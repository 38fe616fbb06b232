"""Working days 工作日 on China's official calendar, in Asia/Shanghai.

Where the answer for a day comes from, first match wins:

1. a closure of the hall being computed for (a hall closed for a local reason), see
   :meth:`WorkingCalendar.for_hall`;
2. a day the district loaded (:class:`CalendarYear`: the State Council's schedule for a new year,
   announced each November, or a local rest day);
3. a year loaded as *official*: every holiday and swapped working day (调休) of it was listed,
   so its other days follow the week;
4. the ``chinese-calendar`` package, which ships the official schedule of each year up to its
   release, 调休 included;
5. otherwise a **provisional** guess: weekends, the statutory holidays by the current rules
   (全国年节及纪念日放假办法, 2025 revision, 国务院令第795号), and the make-up rest day (补假) those
   rules give for a holiday that falls on a weekend; without the swapped working days, which only
   the yearly notice fixes. Every result computed through a guessed day says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Annotated, Any, NamedTuple

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from haochaping.domain.rating import CHINA_TIME, HALL_CODE_PATTERN

try:  # the package ships the official schedule for each year up to its release
    import chinese_calendar as _official
except ImportError:  # pragma: no cover - the layer always ships it
    _official = None

FIRST_YEAR, LAST_YEAR = 2000, 2099  # years a district may load

# The statutory holidays by the current rules (国务院令第795号, in force from 2025): 13 days a year.
NEW_YEAR, SPRING_FESTIVAL, QINGMING, LABOUR_DAY = "元旦", "春节", "清明节", "劳动节"
DRAGON_BOAT, MID_AUTUMN, NATIONAL_DAY = "端午节", "中秋节", "国庆节"
MAKE_UP = "补假"  # a make-up rest day, named after its holiday: "元旦 补假"
RULES_NAME = "全国年节及纪念日放假办法 (国务院令第795号)"


class CalendarBasis(StrEnum):
    """Where a year's working days come from."""

    LOADED = "official schedule loaded"  # an official year loaded by the district
    PACKAGE = "official schedule from the package"
    PROVISIONAL = "provisional"  # weekends, statutory holidays and their 补假 by rule, no 调休


# --------------------------------------------------------------------------------------------
# Provisional years: the statutory holidays by rule


def _package_years() -> range:
    if _official is None:  # pragma: no cover - the layer always ships it
        return range(0)
    return _package_range()


@lru_cache(maxsize=1)
def _package_range() -> range:
    assert _official is not None
    days = _official.holidays.keys()
    return range(min(days).year, max(days).year + 1)


def _qingming(year: int) -> date:
    """The day of the Qingming solar term (清明节气), in China."""
    if _official is not None and 1900 <= year <= 2100:
        for day, name in _official.get_solar_terms(date(year, 4, 1), date(year, 4, 30)):
            if name == "清明":
                return day
    return date(year, 4, 5)  # pragma: no cover - outside the package's 1900–2100


def _lunar(year: int, month: int, day: int) -> date:
    """The solar date of a day of the Chinese lunar calendar (imported only when a guess needs it)."""
    from lunar_python import Lunar  # ≈10 ms: kept off the cold start

    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


@lru_cache(maxsize=16)
def statutory_holidays(year: int) -> Mapping[date, str]:
    """The rest days of ``year`` by the statutory rules, without the State Council's yearly 调休 swaps.

    元旦 Jan 1; 春节 four days, lunar new year's eve (除夕) to lunar 1/3; 清明 the solar term;
    劳动节 May 1–2; 端午 lunar 5/5; 中秋 lunar 8/15; 国庆 Oct 1–3.
    """
    spring = _lunar(year, 1, 1)
    days: dict[date, str] = {date(year, 1, 1): NEW_YEAR}
    days.update({spring + timedelta(days=offset): SPRING_FESTIVAL for offset in range(-1, 3)})
    days[_qingming(year)] = QINGMING
    days.update({date(year, 5, 1): LABOUR_DAY, date(year, 5, 2): LABOUR_DAY})
    days[_lunar(year, 5, 5)] = DRAGON_BOAT
    days[_lunar(year, 8, 15)] = MID_AUTUMN
    days.update({date(year, 10, day): NATIONAL_DAY for day in (1, 2, 3)})
    return MappingProxyType(days)


@lru_cache(maxsize=16)
def make_up_rest_days(year: int) -> Mapping[date, str]:
    """The make-up rest days 补假 of ``year`` by rule, each named after its holiday (``"元旦 补假"``).

    The rules (第六条) give a working day off (补假) for each statutory holiday day that falls on a
    Saturday or Sunday, without saying which; the guess takes the first one after it, as the yearly
    notices do when they add nothing else (元旦 on Sun 2023-01-01 rested on Mon 01-02). Each weekend
    holiday day, in date order, gets the next day that is neither a weekend day, nor a holiday, nor
    taken already: the weekend days inside 春节 or 国庆 give as many days right after the holiday.
    The latest holiday is in early October, so a make-up day never leaves its year.
    """
    holidays = statutory_holidays(year)
    days: dict[date, str] = {}
    for holiday, name in sorted(holidays.items()):
        if holiday.isoweekday() <= 5:
            continue
        day = holiday + timedelta(days=1)
        while day.isoweekday() > 5 or day in holidays or day in days:
            day += timedelta(days=1)
        days[day] = f"{name} {MAKE_UP}"
    return MappingProxyType(days)


@lru_cache(maxsize=16)
def provisional_rest_days(year: int) -> Mapping[date, str]:
    """Every rest day of a provisional ``year`` besides its weekends: the holidays and their 补假."""
    return MappingProxyType({**statutory_holidays(year), **make_up_rest_days(year)})


# --------------------------------------------------------------------------------------------
# What a district loads: one year's schedule and its halls' closures


class DaySpan(NamedTuple):
    """One day, or consecutive days ``first..last`` (both included)."""

    first: date
    last: date

    def days(self) -> list[date]:
        return [self.first + timedelta(days=offset) for offset in range((self.last - self.first).days + 1)]

    def __str__(self) -> str:
        return self.first.isoformat() if self.first == self.last else f"{self.first}..{self.last}"


_SPAN = re.compile(r"^\s*(\S+?)\s*\.\.\s*(\S+)\s*$")


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PydanticCustomError("day", "not a date (YYYY-MM-DD): {text}", {"text": text}) from None


def parse_day_span(value: Any) -> Any:
    """``2027-02-05`` or ``2027-02-05..2027-02-11`` (a date object is one day)."""
    if isinstance(value, DaySpan):
        return value
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return DaySpan(value, value)
    if not isinstance(value, str):
        raise PydanticCustomError(
            "day_span", "expected a date YYYY-MM-DD or days YYYY-MM-DD..YYYY-MM-DD", {"value": value}
        )
    found = _SPAN.match(value)
    first, last = (_parse_day(found[1]), _parse_day(found[2])) if found else (_parse_day(value),) * 2
    if last < first:
        raise PydanticCustomError("day_span", "{text} ends before it starts", {"text": value})
    return DaySpan(first, last)


Days = Annotated[DaySpan, BeforeValidator(parse_day_span), PlainSerializer(str, return_type=str)]

# Schemas are built on first use: a function that never reads a loaded year never pays for them.
_frozen = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, defer_build=True)


class HallClosure(BaseModel):
    """A hall closed 闭厅 on some days for a local reason: rest days for that hall's deadlines only."""

    model_config = _frozen
    hall: str = Field(pattern=HALL_CODE_PATTERN)
    dates: tuple[Days, ...] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=60)

    def days(self) -> list[date]:
        return [day for span in self.dates for day in span.days()]


class CalendarYear(BaseModel):
    """One year's calendar as a district loads it (``haochaping calendar load``).

    ``official``: the schedule is the State Council's notice for the year, which lists every
    holiday and swapped working day; days it does not list then follow the week and nothing of
    the year is provisional. Otherwise only the listed days are settled.
    """

    model_config = _frozen
    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    official: bool = False
    source: str = Field(default="", max_length=200)  # e.g. 国务院办公厅关于2027年部分节假日安排的通知
    holidays: tuple[Days, ...] = ()  # rest days 放假
    working_days: tuple[Days, ...] = ()  # swapped working days 调休上班
    closures: tuple[HallClosure, ...] = ()

    @model_validator(mode="after")
    def _days_in_their_year(self) -> CalendarYear:
        problems: list[InitErrorDetails] = []

        def problem(location: tuple[str | int, ...], kind: str, message: str, value: Any, **context: Any) -> None:
            error = PydanticCustomError(kind, message, context)
            problems.append(InitErrorDetails(type=error, loc=location, input=value))

        def outside(span: DaySpan) -> bool:
            return span.first.year != self.year or span.last.year != self.year

        for name in ("holidays", "working_days"):
            for index, span in enumerate(getattr(self, name)):
                if outside(span):
                    problem(
                        (name, index),
                        "not_in_year",
                        "{span} is not in {year}",
                        str(span),
                        span=str(span),
                        year=self.year,
                    )
        for index, closure in enumerate(self.closures):
            for position, span in enumerate(closure.dates):
                if outside(span):
                    location = ("closures", index, "dates", position)
                    problem(
                        location, "not_in_year", "{span} is not in {year}", str(span), span=str(span), year=self.year
                    )
        rest = {day: index for index, span in enumerate(self.holidays) for day in span.days()}
        for index, span in enumerate(self.working_days):
            both = [day for day in span.days() if day in rest]
            if both:
                listed = ", ".join(f"{day} (holidays[{rest[day]}])" for day in both)
                problem(
                    ("working_days", index),
                    "holiday_and_working_day",
                    "{days}: listed both as a holiday and as a working day",
                    str(span),
                    days=listed,
                )
        if self.official and not self.holidays:
            problem(("holidays",), "official_without_holidays", "an official schedule lists its holidays", [])
        if self.official and not self.source:
            problem(("source",), "official_without_source", "name the notice an official schedule comes from", "")
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    def rest_days(self) -> set[date]:
        return {day for span in self.holidays for day in span.days()}

    def swapped_working_days(self) -> set[date]:
        return {day for span in self.working_days for day in span.days()}


# --------------------------------------------------------------------------------------------
# The calendar


@dataclass(frozen=True, slots=True)
class Deadline:
    """The end of a working day, and whether the calendar behind it was provisional."""

    due_at: datetime  # UTC-aware
    due_date: date  # the working day, in China
    provisional: bool


@dataclass(frozen=True, slots=True)
class DayInYear:
    """A day that does not follow the week: a rest weekday or a working weekend day."""

    day: date
    working: bool
    guessed: bool
    name: str  # the holiday's name when known, or where the day came from


@dataclass(frozen=True, slots=True)
class YearSummary:
    """What an admin checks about a year: where it comes from and which days differ from the week."""

    year: int
    basis: CalendarBasis
    source: str
    rest_weekdays: tuple[DayInYear, ...]
    working_weekends: tuple[DayInYear, ...]
    closures: tuple[HallClosure, ...]


def end_of_day(day: date) -> datetime:
    """24:00 of ``day`` in China (the start of the next day), UTC-aware."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=CHINA_TIME).astimezone(UTC)


@dataclass(frozen=True)
class WorkingCalendar:
    """overrides: date → True (a working day) / False (a rest day); they win over the package.

    official_years: years whose every holiday and swapped working day is in ``overrides``.
    closures: hall code → day → reason; only the hall chosen with :meth:`for_hall` sees its own.
    """

    overrides: Mapping[date, bool] = field(default_factory=dict)
    official_years: frozenset[int] = frozenset()
    closures: Mapping[str, Mapping[date, str]] = field(default_factory=dict)
    hall_code: str | None = None
    years: Mapping[int, CalendarYear] = field(default_factory=dict)

    @classmethod
    def from_years(cls, years: Iterable[CalendarYear]) -> WorkingCalendar:
        """The calendar with the district's loaded years (one :class:`CalendarYear` each)."""
        overrides: dict[date, bool] = {}
        closures: dict[str, dict[date, str]] = {}
        by_year: dict[int, CalendarYear] = {}
        for loaded in sorted(years, key=lambda item: item.year):
            by_year[loaded.year] = loaded
            overrides.update(dict.fromkeys(loaded.rest_days(), False))
            overrides.update(dict.fromkeys(loaded.swapped_working_days(), True))
            for closure in loaded.closures:
                closures.setdefault(closure.hall, {}).update(dict.fromkeys(closure.days(), closure.reason))
        return cls(
            overrides=overrides,
            official_years=frozenset(year for year, loaded in by_year.items() if loaded.official),
            closures=closures,
            years=by_year,
        )

    def for_hall(self, hall_code: str) -> WorkingCalendar:
        """The same calendar with that hall's closures as rest days."""
        return replace(self, hall_code=hall_code)

    def closure(self, day: date) -> str | None:
        """Why the chosen hall is closed on ``day``, or None."""
        if self.hall_code is None:
            return None
        return self.closures.get(self.hall_code, {}).get(day)

    def basis(self, year: int) -> CalendarBasis:
        if year in self.official_years:
            return CalendarBasis.LOADED
        if year in _package_years():
            return CalendarBasis.PACKAGE
        return CalendarBasis.PROVISIONAL

    def is_working_day(self, day: date) -> tuple[bool, bool]:
        """(is it a working day, was that a guess) for one day in China."""
        if self.closure(day) is not None:
            return False, False
        if day in self.overrides:
            return self.overrides[day], False
        weekday = day.isoweekday() <= 5
        if day.year in self.official_years:
            return weekday, False
        if _official is not None and day.year in _package_years():
            return bool(_official.is_workday(day)), False
        if FIRST_YEAR <= day.year <= LAST_YEAR:
            return weekday and day not in provisional_rest_days(day.year), True
        return weekday, True

    def _walk(self, start: date, count: int, step: int) -> tuple[date, bool]:
        if count < 0:
            raise ValueError("count must be zero or more working days")
        day, provisional = start, False
        if count == 0:  # the day itself if it is a working day, else the nearest one in that direction
            working, guessed = self.is_working_day(day)
            provisional |= guessed
            while not working:
                day += timedelta(days=step)
                working, guessed = self.is_working_day(day)
                provisional |= guessed
            return day, provisional
        found = 0
        while found < count:
            day += timedelta(days=step)
            working, guessed = self.is_working_day(day)
            provisional |= guessed
            if working:
                found += 1
        return day, provisional

    def add_working_days(self, start: date, count: int) -> tuple[date, bool]:
        """The count-th working day after ``start`` (start itself not counted).

        ``count`` 0 is ``start`` itself when it is a working day, else the next working day.
        The second value says whether a guessed (provisional) day was passed on the way.
        """
        return self._walk(start, count, 1)

    def working_days_before(self, day: date, count: int) -> tuple[date, bool]:
        """The count-th working day before ``day`` (``day`` itself not counted); 0 as in add_working_days."""
        return self._walk(day, count, -1)

    end_of_day = staticmethod(end_of_day)

    def deadline(self, opened_at: datetime, working_days: int) -> Deadline:
        """Due at the end (24:00, Asia/Shanghai) of the Nth working day after the opening day."""
        opened_day = opened_at.astimezone(CHINA_TIME).date()
        due_day, provisional = self.add_working_days(opened_day, working_days)
        due_at = end_of_day(due_day)
        return Deadline(
            due_at=due_at.astimezone(opened_at.tzinfo or CHINA_TIME), due_date=due_day, provisional=provisional
        )

    def guessed_years(self, start: date, end: date) -> list[int]:
        """The years whose days between ``start`` and ``end`` (both included) were guessed."""
        years: set[int] = set()
        day = start
        while day <= end:
            if day.year not in years and self.is_working_day(day)[1]:
                years.add(day.year)
            day += timedelta(days=1)
        return sorted(years)

    def _name(self, day: date) -> str:
        if self.closure(day) is not None:
            return f"hall {self.hall_code} closed: {self.closure(day)}"
        loaded = self.years.get(day.year)
        if day in self.overrides:
            if loaded is None or loaded.official or not loaded.source:
                return "loaded"
            return f"loaded: {loaded.source}"
        if day.year in self.official_years:
            return ""
        if _official is not None and day.year in _package_years():
            return str(_official.get_holiday_detail(day)[1] or "")
        if FIRST_YEAR <= day.year <= LAST_YEAR:
            return provisional_rest_days(day.year).get(day, "")
        return ""

    def summary(self, year: int) -> YearSummary:
        """The year's rest weekdays and working weekend days, and where they come from."""
        rest: list[DayInYear] = []
        working: list[DayInYear] = []
        day = date(year, 1, 1)
        while day.year == year:
            works, guessed = self.is_working_day(day)
            weekday = day.isoweekday() <= 5
            if works != weekday:
                (working if works else rest).append(DayInYear(day, works, guessed, self._name(day)))
            day += timedelta(days=1)
        loaded = self.years.get(year)
        basis = self.basis(year)
        if basis is CalendarBasis.PROVISIONAL:
            source = (
                f"weekends, the statutory holidays by rule of {RULES_NAME} and their make-up rest days 补假, "
                "without 调休"
            )
        elif basis is CalendarBasis.PACKAGE:
            source = f"chinese-calendar {getattr(_official, '__version__', '')}".strip()
        else:
            source = loaded.source if loaded is not None else ""
        closures = tuple(
            closure
            for closure in (loaded.closures if loaded is not None else ())
            if self.hall_code is None or closure.hall == self.hall_code
        )
        return YearSummary(year, basis, source, tuple(rest), tuple(working), closures)
