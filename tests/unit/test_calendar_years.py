"""The working-day calendar with what a district loads: official years, local rest days, hall closures,
provisional years by the statutory rules and their make-up rest days (补假), and the `haochaping calendar`
commands that need no AWS.

The 2026 schedule is read from the chinese-calendar package's own data (国务院办公厅关于2026年部分节假日
安排的通知 as the package encodes it). EXAMPLE_2027 below is made up for these tests: it is shaped
like a State Council notice but is not the real 2027 schedule.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from haochaping.admin.calendar_files import read_calendar_file
from haochaping.admin.cli import main
from haochaping.admin.files import InvalidFileError
from haochaping.domain.calendar import (
    CalendarBasis,
    CalendarYear,
    DayInYear,
    WorkingCalendar,
    end_of_day,
    make_up_rest_days,
    statutory_holidays,
)
from haochaping.domain.rating import CHINA_TIME
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

pytestmark = pytest.mark.unit

PACKAGE = WorkingCalendar()


# Made up for the tests, shaped like a notice: rest days, and the weekend days worked in exchange.
def loaded(**fields: object) -> CalendarYear:
    """A year as a district loads it, from plain data (days as text, as in the files)."""
    return CalendarYear.model_validate(fields)


EXAMPLE_2027 = loaded(
    year=2027,
    official=True,
    source="测试用2027年节假日安排（虚构，非国务院通知）",
    holidays=(
        "2027-01-01..2027-01-03",
        "2027-02-05..2027-02-11",
        "2027-04-03..2027-04-05",
        "2027-05-01..2027-05-05",
        "2027-06-09",
        "2027-09-15",
        "2027-10-01..2027-10-07",
    ),
    working_days=("2027-02-14", "2027-05-08", "2027-09-26", "2027-10-09"),
)
WITH_2027 = WorkingCalendar.from_years([EXAMPLE_2027])

EXAMPLE_2027_YAML = """\
year: 2027
official: true
source: 测试用2027年节假日安排（虚构，非国务院通知）
holidays: ["2027-01-01..2027-01-03", "2027-02-05..2027-02-11", "2027-04-03..2027-04-05",
           "2027-05-01..2027-05-05", "2027-06-09", "2027-09-15", "2027-10-01..2027-10-07"]
working_days: ["2027-02-14", "2027-05-08", "2027-09-26", "2027-10-09"]
closures:
  - {hall: YC03, dates: ["2027-03-02"], reason: 水管抢修}
"""


def morning(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=CHINA_TIME).astimezone(UTC)


# ---------------------------------------------------------------- 2026 from the package's own data


def test_the_2026_summary_is_the_packages_schedule() -> None:
    # Given the package's data for 2026: holidays by date, and the swapped working days
    rest_weekdays = sorted(d for d in chinese_calendar.holidays if d.year == 2026 and d.isoweekday() <= 5)
    working_weekends = sorted(d for d in chinese_calendar.workdays if d.year == 2026 and d.isoweekday() > 5)
    # When the calendar summarises 2026
    summary = PACKAGE.summary(2026)
    # Then it lists exactly those days, from the package, none guessed
    assert summary.basis is CalendarBasis.PACKAGE
    assert [entry.day for entry in summary.rest_weekdays] == rest_weekdays
    assert [entry.day for entry in summary.working_weekends] == working_weekends
    assert working_weekends == [
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)
    ]  # fmt: skip
    assert not any(entry.guessed for entry in (*summary.rest_weekdays, *summary.working_weekends))


# (opened on, working days, due on, why): more of 2026, around the swapped working days
DEADLINES_2026 = [
    (date(2026, 1, 2), 1, date(2026, 1, 4), "opened on New Year's holiday; the swapped Sunday 01-04 works"),
    (date(2026, 1, 3), 2, date(2026, 1, 5), "Sun 01-04, Mon 01-05"),
    (date(2026, 2, 13), 5, date(2026, 2, 27), "the domain's example: Sat 02-14 works, 02-15..02-23 rest"),
    (date(2026, 2, 27), 1, date(2026, 2, 28), "the swapped Saturday after the Spring Festival"),
    (date(2026, 2, 27), 2, date(2026, 3, 2), "Sat 02-28, Sun rest, Mon 03-02"),
    (date(2026, 4, 2), 2, date(2026, 4, 7), "Fri 04-03, then Qingming 04-04..04-06"),
    (date(2026, 5, 8), 1, date(2026, 5, 9), "the Labour Day swap Saturday 05-09"),
    (date(2026, 6, 17), 2, date(2026, 6, 22), "Thu 06-18, Dragon Boat 06-19..06-21"),
    (date(2026, 9, 19), 1, date(2026, 9, 20), "opened on a Saturday: Sunday 09-20 is worked"),
    (date(2026, 9, 20), 4, date(2026, 9, 24), "09-21..09-24"),
    (date(2026, 10, 9), 1, date(2026, 10, 10), "the National Day swap Saturday 10-10"),
]


@pytest.mark.parametrize(
    ("opened", "working_days", "due", "why"), DEADLINES_2026, ids=[f"{o}+{n}" for o, n, _, _ in DEADLINES_2026]
)
def test_deadlines_around_the_swapped_working_days_of_2026(
    opened: date, working_days: int, due: date, why: str
) -> None:
    # Given a bad review in the morning of a day of 2026
    # When its deadline is counted
    deadline = PACKAGE.deadline(morning(opened), working_days)
    # Then it is the end of the expected working day, and final
    assert (deadline.due_date, deadline.provisional) == (due, False), why
    assert deadline.due_at == end_of_day(due)


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (date(2026, 2, 24), 1, date(2026, 2, 14)),  # back over the Spring Festival to the swapped Saturday
        (date(2026, 2, 27), 3, date(2026, 2, 24)),
        (date(2026, 10, 8), 1, date(2026, 9, 30)),  # back over National Day
        (date(2026, 10, 8), 5, date(2026, 9, 23)),  # 09-30,29,28, (Mid-Autumn 09-25..27) 09-24,23
        (date(2026, 2, 18), 0, date(2026, 2, 14)),  # zero: a holiday gives the working day before it
        (date(2026, 3, 2), 0, date(2026, 3, 2)),
    ],
)
def test_working_days_before_a_day(day: date, count: int, expected: date) -> None:
    assert PACKAGE.working_days_before(day, count) == (expected, False)


def test_the_end_of_a_day_is_midnight_in_china_in_utc() -> None:
    due_at = end_of_day(date(2026, 2, 27))
    assert due_at == datetime(2026, 2, 27, 16, 0, tzinfo=UTC)
    assert due_at.utcoffset() == timedelta(0)
    assert WorkingCalendar.end_of_day(date(2026, 2, 27)) == due_at
    assert due_at.astimezone(CHINA_TIME) == datetime(2026, 2, 28, 0, 0, tzinfo=CHINA_TIME)


# ---------------------------------------------------------------- provisional years: the rules


def test_the_statutory_holidays_by_rule_for_2027_and_2028() -> None:
    # Given the 2025 rules: 元旦 1, 春节 4 (除夕 to 初三), 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3
    # When they are applied to years the package does not know
    # Then the lunar and solar-term days land where the almanac has them
    assert sorted(statutory_holidays(2027)) == [
        date(2027, 1, 1),
        date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8),  # 除夕 Fri 02-05, 正月初一 02-06
        date(2027, 4, 5),  # 清明
        date(2027, 5, 1), date(2027, 5, 2),
        date(2027, 6, 9),  # 端午 五月初五
        date(2027, 9, 15),  # 中秋 八月十五
        date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3),
    ]  # fmt: skip
    in_2028 = statutory_holidays(2028)
    assert len(in_2028) == 12  # 中秋 falls on 10-03 inside 国庆: one day fewer
    assert in_2028[date(2028, 1, 25)] == "春节"  # 除夕
    assert in_2028[date(2028, 4, 4)] == "清明节"
    assert in_2028[date(2028, 5, 28)] == "端午节"
    assert in_2028[date(2028, 10, 3)] in {"中秋节", "国庆节"}


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_rules_agree_with_the_official_schedules_they_already_governed(year: int) -> None:
    # Given the years the 2025 rules governed and the package knows
    # When comparing the rule's holidays with the official schedule
    # Then every statutory day by rule is a rest day in the official schedule
    for day, name in statutory_holidays(year).items():
        assert chinese_calendar.is_holiday(day), (day, name)


def test_a_provisional_day_is_a_guess_that_respects_the_rules() -> None:
    assert PACKAGE.is_working_day(date(2027, 2, 8)) == (False, True)  # Mon, 初三
    assert PACKAGE.is_working_day(date(2027, 2, 9)) == (False, True)  # Tue, 补假 for Sat 02-06 (初一)
    assert PACKAGE.is_working_day(date(2027, 2, 10)) == (False, True)  # Wed, 补假 for Sun 02-07 (初二)
    assert PACKAGE.is_working_day(date(2027, 2, 11)) == (True, True)  # Thu
    assert PACKAGE.is_working_day(date(2027, 2, 13)) == (False, True)  # Sat; a swap would be unknown
    assert PACKAGE.basis(2027) is CalendarBasis.PROVISIONAL
    assert PACKAGE.guessed_years(date(2026, 12, 30), date(2027, 1, 2)) == [2027]


# ---------------------------------------------------------------- provisional years: the make-up rest day 补假
# When a statutory holiday day falls on a Saturday or Sunday, the next working day (not a weekend
# day, not another holiday, not a make-up day already) is a rest day. The expected days below are
# worked out by hand from the holidays' days of the week.

# (year, make-up rest days, why)
MAKE_UP_DAYS = [
    (
        2027,
        {
            date(2027, 2, 9): "春节 补假",
            date(2027, 2, 10): "春节 补假",
            date(2027, 5, 3): "劳动节 补假",
            date(2027, 5, 4): "劳动节 补假",
            date(2027, 10, 4): "国庆节 补假",
            date(2027, 10, 5): "国庆节 补假",
        },
        "春节 Fri 02-05..Mon 02-08 has Sat and Sun: Tue 02-09, Wed 02-10; 劳动节 Sat 05-01, Sun 05-02: "
        "Mon 05-03, Tue 05-04; 国庆 Fri 10-01..Sun 10-03 has Sat and Sun: Mon 10-04, Tue 10-05",
    ),
    (
        2028,
        {date(2028, 1, 3): "元旦 补假", date(2028, 5, 29): "端午节 补假", date(2028, 10, 4): "国庆节 补假"},
        "元旦 Sat 01-01: Mon 01-03; 端午 Sun 05-28: Mon 05-29; 国庆 Sun 10-01..Tue 10-03: Wed 10-04",
    ),
    (
        2033,
        {
            date(2033, 1, 3): "元旦 补假",
            date(2033, 2, 3): "春节 补假",
            date(2033, 5, 3): "劳动节 补假",
            date(2033, 10, 4): "国庆节 补假",
            date(2033, 10, 5): "国庆节 补假",
        },
        "元旦 Sat 01-01, Sunday a weekend day: Mon 01-03; 春节 Sun 01-30..Wed 02-02: Thu 02-03; "
        "劳动节 Sun 05-01, Mon 05-02: Tue 05-03; 国庆 Sat 10-01, Sun 10-02, Mon 10-03: Tue 10-04, Wed 10-05",
    ),
    (
        2034,
        {
            date(2034, 1, 2): "元旦 补假",
            date(2034, 2, 22): "春节 补假",
            date(2034, 2, 23): "春节 补假",
            date(2034, 10, 4): "国庆节 补假",
        },
        "元旦 Sun 01-01: Mon 01-02; 春节 Sat 02-18..Tue 02-21: Wed 02-22, Thu 02-23; 国庆 Sun 10-01..Tue 10-03: "
        "Wed 10-04",
    ),
    (
        2093,
        {date(2093, 4, 6): "清明节 补假", date(2093, 5, 4): "劳动节 补假", date(2093, 10, 6): "国庆节 补假"},
        "清明 Sat 04-04: Mon 04-06; 劳动节 Fri 05-01, Sat 05-02: Mon 05-04; 国庆 Thu 10-01..Sat 10-03, "
        "then Sun 10-04, and Mon 10-05 is 中秋: Tue 10-06",
    ),
    (
        2096,
        {date(2096, 1, 2): "元旦 补假", date(2096, 6, 25): "端午节 补假", date(2096, 10, 4): "中秋节 补假"},
        "元旦 Sun 01-01: Mon 01-02; 端午 Sun 06-24: Mon 06-25; 中秋 Sun 09-30, then 国庆 Mon 10-01..Wed 10-03: "
        "Thu 10-04",
    ),
]


@pytest.mark.parametrize(("year", "expected", "why"), MAKE_UP_DAYS, ids=[str(year) for year, _, _ in MAKE_UP_DAYS])
def test_a_holiday_on_a_weekend_gives_the_next_working_day_off(year: int, expected: dict[date, str], why: str) -> None:
    # Given a year the package does not know, with statutory holiday days on a Saturday or Sunday
    # When the make-up rest days are worked out by rule
    days = make_up_rest_days(year)
    # Then each weekend holiday day gives the next free working day, named after its holiday
    assert dict(days) == expected, why
    # And the calendar takes each as a rest day, and as a guess
    for day in expected:
        assert PACKAGE.is_working_day(day) == (False, True), day


def test_the_days_around_a_make_up_day() -> None:
    # Given 元旦 on Sat 2033-01-01 and on Sun 2034-01-01
    assert (date(2033, 1, 1).isoweekday(), date(2034, 1, 1).isoweekday()) == (6, 7)
    # When asking the calendar about the days after each
    # Then the Monday rests, and the Tuesday works; both are guesses
    assert PACKAGE.is_working_day(date(2033, 1, 3)) == (False, True)
    assert PACKAGE.is_working_day(date(2033, 1, 4)) == (True, True)
    assert PACKAGE.is_working_day(date(2034, 1, 2)) == (False, True)
    assert PACKAGE.is_working_day(date(2034, 1, 3)) == (True, True)
    # And a multi-day holiday gives one day per weekend day in it: 春节 2033 (Sun 01-30..Wed 02-02) has
    # one Sunday, so Thu 02-03 rests and Fri 02-04 works
    assert PACKAGE.is_working_day(date(2033, 2, 3)) == (False, True)
    assert PACKAGE.is_working_day(date(2033, 2, 4)) == (True, True)


def test_a_provisional_summary_names_the_make_up_days() -> None:
    # Given 2033, not loaded
    # When an admin looks at its summary
    summary = PACKAGE.summary(2033)
    # Then each make-up day is a rest weekday, guessed, named after its holiday
    assert DayInYear(date(2033, 1, 3), False, True, "元旦 补假") in summary.rest_weekdays
    assert DayInYear(date(2033, 10, 5), False, True, "国庆节 补假") in summary.rest_weekdays
    assert DayInYear(date(2033, 10, 3), False, True, "国庆节") in summary.rest_weekdays
    assert "补假" in summary.source


# (opened on, working days, due on, why): each later by its make-up days than by the holidays alone, and provisional
DEADLINES_OVER_MAKE_UP_DAYS = [
    (date(2032, 12, 31), 1, date(2033, 1, 4), "Sat 元旦, Sun, Mon 01-03 补假: Tue 01-04, not Mon"),
    (date(2032, 12, 30), 5, date(2033, 1, 7), "Fri 12-31, Tue 01-04, Wed, Thu, Fri 01-07"),
    (date(2033, 12, 29), 2, date(2034, 1, 3), "Fri 12-30, then Sun 元旦 and Mon 01-02 补假: Tue 01-03"),
    (date(2034, 2, 17), 1, date(2034, 2, 24), "春节 Sat 02-18..Tue 02-21, 补假 Wed 02-22, Thu 02-23: Fri 02-24"),
    (date(2033, 9, 30), 1, date(2033, 10, 6), "国庆 Sat 10-01..Mon 10-03, 补假 Tue 10-04, Wed 10-05: Thu 10-06"),
    (date(2096, 9, 28), 1, date(2096, 10, 5), "Sun 09-30 中秋, 国庆 Mon..Wed, 补假 Thu 10-04: Fri 10-05"),
]


@pytest.mark.parametrize(
    ("opened", "working_days", "due", "why"),
    DEADLINES_OVER_MAKE_UP_DAYS,
    ids=[f"{o}+{n}" for o, n, _, _ in DEADLINES_OVER_MAKE_UP_DAYS],
)
def test_a_deadline_over_a_make_up_day_ends_a_day_later_and_is_provisional(
    opened: date, working_days: int, due: date, why: str
) -> None:
    # Given a bad review in the morning of a day before a holiday of a provisional year
    # When its deadline is counted
    deadline = PACKAGE.deadline(morning(opened), working_days)
    # Then the make-up day is not counted, and the deadline says it is a guess
    assert (deadline.due_date, deadline.provisional) == (due, True), why
    # And counting back over the same days skips it too
    assert PACKAGE.working_days_before(due, working_days) == (opened, True)


def test_a_make_up_day_alone_makes_a_deadline_provisional() -> None:
    # Given the days around 元旦 2033 loaded one by one, but not Mon 01-03 (not an official year)
    settled = WorkingCalendar(
        overrides={date(2033, 1, 1): False, date(2033, 1, 2): False, date(2033, 1, 4): True},
    )
    # When counting one working day from Fri 2032-12-31
    # Then Mon 01-03 is guessed a make-up day: due Tue 01-04, provisional because of it alone
    assert settled.add_working_days(date(2032, 12, 31), 1) == (date(2033, 1, 4), True)
    assert settled.is_working_day(date(2033, 1, 3)) == (False, True)


def test_an_official_year_has_no_make_up_day_but_what_it_lists() -> None:
    # Given 2033 loaded as official, listing 元旦 (Sat 01-01) and no make-up day
    official = WorkingCalendar.from_years([loaded(year=2033, official=True, source="测试", holidays=("2033-01-01",))])
    # When counting one working day from Fri 2032-12-31, and asking about Mon 01-03
    deadline = official.deadline(morning(date(2032, 12, 31)), 1)
    # Then Mon 01-03 is an ordinary working day, the deadline is due on it and final
    assert official.is_working_day(date(2033, 1, 3)) == (True, False)
    assert (deadline.due_date, deadline.provisional) == (date(2033, 1, 3), False)
    assert official.summary(2033).rest_weekdays == ()
    # And one that lists Mon 01-03 as its holiday has it, under the notice's name
    listed = WorkingCalendar.from_years(
        [loaded(year=2033, official=True, source="测试", holidays=("2033-01-01..2033-01-03",))]
    )
    assert listed.is_working_day(date(2033, 1, 3)) == (False, False)
    assert [e.name for e in listed.summary(2033).rest_weekdays] == ["loaded"]
    # And a year loaded with only a local rest day (not official) still guesses the make-up day
    local = WorkingCalendar.from_years([loaded(year=2033, holidays=("2033-03-01",))])
    assert local.is_working_day(date(2033, 1, 3)) == (False, True)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2025, {date(2025, 6, 2): "端午节 补假"}),  # 端午 Sat 05-31
        (
            2026,
            {
                date(2026, 4, 6): "清明节 补假",  # 清明 Sun 04-05
                date(2026, 5, 4): "劳动节 补假",  # 劳动节 Fri 05-01, Sat 05-02
                date(2026, 10, 5): "国庆节 补假",  # 国庆 Thu 10-01..Sat 10-03
            },
        ),
    ],
)
def test_the_make_up_days_agree_with_the_official_schedules_they_already_governed(
    year: int, expected: dict[date, str]
) -> None:
    # Given the years the 2025 rules governed and the package knows
    # When working out their make-up days by rule
    # Then they are the expected ones, and each is a rest day in the official schedule
    assert dict(make_up_rest_days(year)) == expected
    for day in expected:
        assert chinese_calendar.is_holiday(day), day
    # And the package, not the rule, still answers for those years
    assert PACKAGE.basis(year) is CalendarBasis.PACKAGE


@pytest.mark.parametrize("year", range(2027, 2100))
def test_each_weekend_holiday_day_gives_one_make_up_day_in_its_year(year: int) -> None:
    # Given the statutory holidays of a provisional year
    holidays = statutory_holidays(year)
    on_weekends = sorted(day for day in holidays if day.isoweekday() > 5)
    # When working out its make-up days
    days = sorted(make_up_rest_days(year))
    # Then there is one per weekend holiday day, each a weekday of the year that is not a holiday,
    # each after a weekend holiday day
    assert len(days) == len(on_weekends)
    for made_up, holiday in zip(days, on_weekends, strict=True):
        assert made_up.year == year and made_up.isoweekday() <= 5 and made_up not in holidays
        assert made_up > holiday


# ---------------------------------------------------------------- loaded years


@pytest.mark.parametrize(
    ("opened", "working_days", "without", "with_2027"),
    [
        # 12-29,30,31 then: by rule Mon 01-04, Tue 01-05; loaded the same (01-01..01-03 rest)
        (date(2026, 12, 28), 5, (date(2027, 1, 5), True), (date(2027, 1, 5), False)),
        (date(2026, 12, 30), 1, (date(2026, 12, 31), False), (date(2026, 12, 31), False)),
        # Spring Festival: by rule 02-05..02-08 rest and 补假 Tue 02-09, Wed 02-10 for its weekend;
        # loaded 02-05..02-11 and Sun 02-14 worked
        (date(2027, 2, 4), 1, (date(2027, 2, 11), True), (date(2027, 2, 12), False)),
        (date(2027, 2, 4), 2, (date(2027, 2, 12), True), (date(2027, 2, 14), False)),
        # Labour Day: by rule Sat 05-01, Sun 05-02 and 补假 Mon 05-03, Tue 05-04; loaded 05-01..05-05
        # and Sat 05-08 worked
        (date(2027, 4, 30), 1, (date(2027, 5, 5), True), (date(2027, 5, 6), False)),
        (date(2027, 4, 30), 3, (date(2027, 5, 7), True), (date(2027, 5, 8), False)),
        # an ordinary week of an official year: final, from the week
        (date(2027, 7, 9), 1, (date(2027, 7, 12), True), (date(2027, 7, 12), False)),
    ],
)
def test_across_the_year_end_with_and_without_the_2027_schedule(
    opened: date, working_days: int, without: tuple[date, bool], with_2027: tuple[date, bool]
) -> None:
    # Given the package alone, and the package with an official 2027 schedule loaded
    # When counting the same deadline
    # Then without it 2027 is guessed by rule; with it the deadline follows the schedule and is final
    assert PACKAGE.add_working_days(opened, working_days) == without
    assert WITH_2027.add_working_days(opened, working_days) == with_2027
    deadline = WITH_2027.deadline(morning(opened), working_days)
    assert (deadline.due_date, deadline.provisional) == with_2027


def test_an_official_year_settles_every_day_of_it() -> None:
    # Given an official 2027 schedule
    # Then the days it does not list follow the week, without a guess
    assert WITH_2027.is_working_day(date(2027, 6, 10)) == (True, False)  # Thu
    assert WITH_2027.is_working_day(date(2027, 6, 12)) == (False, False)  # Sat
    assert WITH_2027.is_working_day(date(2027, 2, 14)) == (True, False)  # the swapped Sunday
    assert WITH_2027.basis(2027) is CalendarBasis.LOADED
    # And 2028 is still provisional
    assert WITH_2027.is_working_day(date(2028, 1, 25)) == (False, True)
    summary = WITH_2027.summary(2027)
    assert [e.day for e in summary.working_weekends] == [
        date(2027, 2, 14),
        date(2027, 5, 8),
        date(2027, 9, 26),
        date(2027, 10, 9),
    ]
    assert date(2027, 2, 11) in [e.day for e in summary.rest_weekdays]


def test_a_year_not_loaded_as_official_settles_only_its_listed_days() -> None:
    # Given only a local rest day loaded for 2027 (not the State Council's schedule)
    local = WorkingCalendar.from_years([loaded(year=2027, holidays=("2027-03-01",))])
    # Then that day is settled, and the rest of 2027 is still guessed by rule
    assert local.is_working_day(date(2027, 3, 1)) == (False, False)
    assert local.is_working_day(date(2027, 3, 2)) == (True, True)
    assert local.is_working_day(date(2027, 1, 1)) == (False, True)
    assert local.basis(2027) is CalendarBasis.PROVISIONAL


def test_an_official_year_loaded_over_the_package_wins() -> None:
    # Given 2026 loaded as official with New Year's Day only (say the package had been wrong)
    reloaded = WorkingCalendar.from_years([loaded(year=2026, official=True, source="测试", holidays=("2026-01-01",))])
    # Then the package's other 2026 holidays and swaps no longer count
    assert reloaded.is_working_day(date(2026, 2, 16)) == (True, False)
    assert reloaded.is_working_day(date(2026, 2, 14)) == (False, False)
    assert reloaded.add_working_days(date(2026, 2, 13), 5) == (date(2026, 2, 20), False)


def test_a_hall_closure_moves_only_that_halls_deadline() -> None:
    # Given hall YC03 closed on Thu 2026-12-03 for a local reason
    closed = WorkingCalendar.from_years(
        [loaded(year=2026, closures=({"hall": "YC03", "dates": ("2026-12-03",), "reason": "水管抢修"},))]
    )
    opened = morning(date(2026, 12, 1))
    # When counting five working days for YC03, for another hall and for the division
    yc03 = closed.for_hall("YC03").deadline(opened, 5)
    yc01 = closed.for_hall("YC01").deadline(opened, 5)
    division = closed.deadline(opened, 5)
    # Then only YC03's deadline moves past its closed day, and it is not a guess
    assert (yc03.due_date, yc03.provisional) == (date(2026, 12, 9), False)
    assert yc01.due_date == division.due_date == date(2026, 12, 8)
    assert closed.for_hall("YC03").closure(date(2026, 12, 3)) == "水管抢修"
    assert closed.closure(date(2026, 12, 3)) is None
    # And a closure on a provisional day is settled for that hall
    closed_2027 = WorkingCalendar.from_years(
        [loaded(year=2027, closures=({"hall": "YC03", "dates": ("2027-03-02",), "reason": "停电"},))]
    ).for_hall("YC03")
    assert closed_2027.is_working_day(date(2027, 3, 2)) == (False, False)


# ---------------------------------------------------------------- the year as loaded: validation


def test_a_year_reads_days_and_ranges_and_stores_them_as_written() -> None:
    assert EXAMPLE_2027.rest_days() >= {date(2027, 2, 5) + timedelta(days=i) for i in range(7)}
    assert len(EXAMPLE_2027.rest_days()) == 3 + 7 + 3 + 5 + 1 + 1 + 7
    stored = EXAMPLE_2027.model_dump_json()
    assert '"2027-02-05..2027-02-11"' in stored
    assert CalendarYear.model_validate_json(stored) == EXAMPLE_2027


@pytest.mark.parametrize(
    ("fields", "location", "text"),
    [
        ({"holidays": ["2028-01-01"]}, ("holidays", 0), "2028-01-01 is not in 2027"),
        ({"holidays": ["2027-12-30..2028-01-02"]}, ("holidays", 0), "is not in 2027"),
        ({"holidays": ["2027-02-11..2027-02-05"]}, ("holidays", 0), "ends before it starts"),
        ({"holidays": ["2027-02-30"]}, ("holidays", 0), "not a date"),
        ({"holidays": [20270101]}, ("holidays", 0), "expected a date"),
        (
            {"holidays": ["2027-02-05..2027-02-11"], "working_days": ["2027-02-07"]},
            ("working_days", 0),
            "both as a holiday and as a working day",
        ),
        ({"official": True, "source": "x"}, ("holidays",), "lists its holidays"),
        ({"official": True, "holidays": ["2027-01-01"]}, ("source",), "name the notice"),
        ({"holiday": ["2027-01-01"]}, ("holiday",), "Extra inputs"),
        ({"closures": [{"hall": "yc 03", "dates": ["2027-03-02"], "reason": "x"}]}, ("closures", 0, "hall"), "pattern"),
        (
            {"closures": [{"hall": "YC03", "dates": ["2026-03-02"], "reason": "x"}]},
            ("closures", 0, "dates", 0),
            "not in",
        ),
        ({"closures": [{"hall": "YC03", "dates": [], "reason": "x"}]}, ("closures", 0, "dates"), "at least 1"),
    ],
)
def test_a_year_names_each_problem_where_it_is(
    fields: dict[str, object], location: tuple[object, ...], text: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        CalendarYear.model_validate({"year": 2027, **fields})
    problems = {tuple(e["loc"]): e["msg"] for e in raised.value.errors()}
    assert location in problems, problems
    assert text in problems[location]


# ---------------------------------------------------------------- properties

opening_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
counts = st.integers(min_value=1, max_value=30)
calendars = st.sampled_from(
    [
        PACKAGE,
        WITH_2027,
        WITH_2027.for_hall("YC03"),
        WorkingCalendar.from_years(
            [loaded(year=2027, closures=({"hall": "YC03", "dates": ("2027-01-04..2027-01-08",), "reason": "装修"},))]
        ).for_hall("YC03"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(opened=opening_days, count=counts, calendar=calendars)
def test_a_due_date_is_a_working_day_after_the_opening_day(opened: date, count: int, calendar: WorkingCalendar) -> None:
    deadline = calendar.deadline(morning(opened), count)
    assert deadline.due_date > opened
    assert calendar.is_working_day(deadline.due_date)[0] is True
    assert deadline.due_at == end_of_day(deadline.due_date)


@settings(max_examples=200, deadline=None)
@given(opened=opening_days, count=counts, calendar=calendars)
def test_due_dates_strictly_grow_with_the_working_days(opened: date, count: int, calendar: WorkingCalendar) -> None:
    dates = [calendar.add_working_days(opened, n)[0] for n in range(count, count + 3)]
    assert dates[0] < dates[1] < dates[2]


@settings(max_examples=200, deadline=None)
@given(day=opening_days, count=counts, calendar=calendars)
def test_counting_back_then_forward_returns_to_the_day(day: date, count: int, calendar: WorkingCalendar) -> None:
    earlier, _ = calendar.working_days_before(day, count)
    assert earlier < day and calendar.is_working_day(earlier)[0] is True
    # And counting forward again lands on the day itself, or the first working day after it
    again, _ = calendar.add_working_days(earlier, count)
    assert again == calendar.add_working_days(day, 0)[0]


@settings(max_examples=200, deadline=None)
@given(
    opened=opening_days,
    count=counts,
    rest=st.lists(st.dates(min_value=date(2024, 1, 1), max_value=date(2029, 6, 30)), max_size=25),
    calendar=calendars,
)
def test_loading_only_rest_days_never_brings_a_deadline_earlier(
    opened: date, count: int, rest: list[date], calendar: WorkingCalendar
) -> None:
    # Given a calendar, and the same calendar with more rest days loaded
    more_rest = WorkingCalendar(
        overrides={**calendar.overrides, **dict.fromkeys(rest, False)},
        official_years=calendar.official_years,
        closures=calendar.closures,
        hall_code=calendar.hall_code,
    )
    # When counting the same deadline on both
    before, _ = calendar.add_working_days(opened, count)
    after, _ = more_rest.add_working_days(opened, count)
    # Then the added rest days can only push it later
    assert after >= before


# ---------------------------------------------------------------- the commands that need no AWS


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_calendar_due_prints_the_date_first() -> None:
    # When asking for the domain's example
    code, out, err = run(["calendar", "due", "2026-02-13", "5"])
    # Then the output is the date alone
    assert (code, out, err) == (0, "2026-02-27\n", "")


def test_calendar_due_says_when_and_why_it_is_provisional() -> None:
    code, out, _ = run(["calendar", "due", "2026-12-28", "5"])
    first, second = out.splitlines()
    assert code == 0
    assert first == "2027-01-05"
    assert second.startswith("provisional: 2027 is not in the official calendar")
    assert "haochaping calendar load" in second


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["calendar", "due", "2026-02-30", "5"], "is not a date"),
        (["calendar", "due", "2026-02-13", "-1"], "0 or more"),
        (["calendar", "due", "2026-02-13", "5", "--hall", "yc 03"], "not a hall code"),
        (["calendar", "show", "1999"], "YEAR must be between"),
    ],
)
def test_calendar_commands_refuse_bad_arguments(argv: list[str], message: str) -> None:
    code, out, err = run(argv)
    assert (code, out) == (2, "")
    assert message in err


def test_calendar_show_lists_a_provisional_year() -> None:
    code, out, _ = run(["calendar", "show", "2027"])
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("2027: provisional")
    assert "  2027-02-05 Fri  春节 (by rule, provisional)" in lines
    assert "  2027-02-09 Tue  春节 补假 (by rule, provisional)" in lines
    assert "working weekend days 调休 (0):" in lines


def test_calendar_check_reads_a_file(tmp_path: Path) -> None:
    # Given a year's schedule as an admin writes it
    path = tmp_path / "2027.yaml"
    path.write_text(EXAMPLE_2027_YAML, encoding="utf-8")
    # When checking it
    code, out, _ = run(["calendar", "check", str(path)])
    # Then it is valid, and the summary counts it
    assert code == 0
    assert "2027: official" in out
    assert "27 holidays (17 on weekdays); 4 swapped working days 调休; 1 hall closure (YC03 1 day)" in out
    assert read_calendar_file(path).model_dump(exclude={"closures"}) == EXAMPLE_2027.model_dump(exclude={"closures"})


def test_a_bad_calendar_file_names_the_line_and_field(tmp_path: Path) -> None:
    # Given a file with a day of the wrong year on line 5 and a day both rest and worked on line 7
    path = tmp_path / "2027.yaml"
    path.write_text(
        "year: 2027\n"
        "official: true\n"
        "source: 测试\n"
        "holidays:\n"
        "  - 2028-01-01\n"
        "  - 2027-02-05..2027-02-11\n"
        "working_days: [2027-02-07]\n",
        encoding="utf-8",
    )
    # When reading it
    with pytest.raises(InvalidFileError) as raised:
        read_calendar_file(path)
    # Then each problem names its line and field
    assert raised.value.kind == "calendar"
    assert raised.value.problems == [
        "line 5, holidays[0]: 2028-01-01 is not in 2027",
        "line 7, working_days[0]: 2027-02-07 (holidays[1]): listed both as a holiday and as a working day",
    ]
    # And the command exits 2 with the same text
    code, out, err = run(["calendar", "check", str(path)])
    assert (code, out) == (2, "")
    assert "line 5, holidays[0]: 2028-01-01 is not in 2027" in err


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("year: [2027\n", "not valid YAML"),
        ("- 2027\n", "one mapping"),
        ("", "one mapping"),
    ],
)
def test_an_unreadable_calendar_file_says_why(tmp_path: Path, text: str, problem: str) -> None:
    # Given a file that is not one mapping of valid YAML
    path = tmp_path / "2027.yaml"
    path.write_text(text, encoding="utf-8")
    # When reading it
    # Then it is refused with the reason
    with pytest.raises(InvalidFileError, match=problem):
        read_calendar_file(path)
