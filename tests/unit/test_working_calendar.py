"""Working days 工作日 on China's official calendar: deadlines of follow-up tasks.

Each expected date below is worked out by hand from the official 2026 schedule (国务院办公厅关于
2026年部分节假日安排的通知) as the chinese-calendar package encodes it:

| holiday | rest days | swapped working days (调休) |
|---|---|---|
| New Year 元旦 | Thu 01-01 – Sat 01-03 | Sun 01-04 |
| Spring Festival 春节 | Sun 02-15 – Mon 02-23 | Sat 02-14, Sat 02-28 |
| Qingming 清明 | Sat 04-04 – Mon 04-06 | none |
| Labour Day 劳动节 | Fri 05-01 – Tue 05-05 | Sat 05-09 |
| Dragon Boat 端午 | Fri 06-19 – Sun 06-21 | none |
| Mid-Autumn 中秋 | Fri 09-25 – Sun 09-27 | none (Sun 09-20 is National Day's) |
| National Day 国庆 | Thu 10-01 – Wed 10-07 | Sun 09-20, Sat 10-10 |

The package knows no year after 2026: a deadline that needs 2027 counts weekends and the statutory
holidays by rule (New Year's Day, Fri 2027-01-01, among them) as rest days and says it is provisional,
until the district loads 2027's schedule as overrides.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from haochaping.domain.calendar import WorkingCalendar
from haochaping.domain.rating import CHINA_TIME
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.unit

OFFICIAL = WorkingCalendar()


def test_the_official_2026_schedule_is_the_one_these_tests_reason_from() -> None:
    # Given the table in this module's docstring
    rest = {
        date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3),
        *(date(2026, 2, 15) + timedelta(days=i) for i in range(9)),
        date(2026, 4, 4), date(2026, 4, 5), date(2026, 4, 6),
        *(date(2026, 5, 1) + timedelta(days=i) for i in range(5)),
        date(2026, 6, 19), date(2026, 6, 20), date(2026, 6, 21),
        date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27),
        *(date(2026, 10, 1) + timedelta(days=i) for i in range(7)),
    }  # fmt: skip
    swapped = {
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10),
    }  # fmt: skip
    # When asking the calendar about every day of 2026
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    answers = {day: OFFICIAL.is_working_day(day) for day in days}
    # Then holidays are rest days, swapped weekend days are working days, the rest follows the
    # week, and nothing in 2026 is a guess
    for day, (working, guessed) in answers.items():
        expected = day in swapped or (day not in rest and day.isoweekday() <= 5)
        assert working is expected, day
        assert guessed is False, day


# (opened on, working days, due on, why)
SCHEDULE_2026 = [
    (date(2026, 2, 13), 5, date(2026, 2, 27), "Sat 02-14 works; 02-15..02-23 rest; 02-24,25,26,27"),
    (date(2026, 2, 13), 1, date(2026, 2, 14), "the swapped Saturday before the holiday is a working day"),
    (date(2026, 2, 14), 1, date(2026, 2, 24), "nine days of Spring Festival in between"),
    (date(2026, 2, 21), 1, date(2026, 2, 24), "opened on a holiday: the first working day after it"),
    (date(2026, 2, 24), 4, date(2026, 2, 28), "02-25,26,27 and the swapped Saturday 02-28"),
    (date(2026, 4, 3), 1, date(2026, 4, 7), "Qingming Sat 04-04..Mon 04-06, no swapped day"),
    (date(2026, 4, 3), 5, date(2026, 4, 13), "04-07,08,09,10, weekend, 04-13"),
    (date(2026, 4, 30), 1, date(2026, 5, 6), "Labour Day Fri 05-01..Tue 05-05"),
    (date(2026, 4, 30), 5, date(2026, 5, 11), "05-06,07,08, the swapped Saturday 05-09, Sunday rest, 05-11"),
    (date(2026, 6, 18), 1, date(2026, 6, 22), "Dragon Boat Fri 06-19..Sun 06-21, no swapped day"),
    (date(2026, 6, 18), 5, date(2026, 6, 26), "06-22..06-26"),
    (date(2026, 9, 18), 1, date(2026, 9, 20), "Sat 09-19 rests, Sun 09-20 works (for National Day)"),
    (date(2026, 9, 18), 5, date(2026, 9, 24), "09-20,21,22,23,24"),
    (date(2026, 9, 24), 1, date(2026, 9, 28), "Mid-Autumn Fri 09-25..Sun 09-27"),
    (date(2026, 9, 24), 5, date(2026, 10, 9), "09-28,29,30, National Day 10-01..10-07, 10-08,09"),
    (date(2026, 9, 30), 1, date(2026, 10, 8), "National Day 10-01..10-07"),
    (date(2026, 9, 30), 5, date(2026, 10, 13), "10-08,09, the swapped Saturday 10-10, Sunday rest, 10-12,13"),
    (date(2025, 12, 31), 1, date(2026, 1, 4), "New Year 01-01..01-03, the swapped Sunday 01-04"),
    (date(2026, 12, 28), 1, date(2026, 12, 29), "an ordinary week at the end of the year"),
    (date(2026, 12, 30), 1, date(2026, 12, 31), "the last day the package knows"),
]


@pytest.mark.parametrize(
    ("opened", "working_days", "due", "why"), SCHEDULE_2026, ids=[f"{o}+{n}" for o, n, _, _ in SCHEDULE_2026]
)
def test_deadlines_across_2026(opened: date, working_days: int, due: date, why: str) -> None:
    # Given a bad review in the morning of a day of 2026 (China time)
    opened_at = datetime.combine(opened, time(10, 0), tzinfo=CHINA_TIME).astimezone(UTC)
    # When its deadline is counted in working days
    deadline = OFFICIAL.deadline(opened_at, working_days)
    # Then it is the end of the expected working day in China, from the official schedule
    assert deadline.due_date == due, why
    assert deadline.due_at == datetime.combine(due + timedelta(days=1), time(0, 0), tzinfo=CHINA_TIME)
    assert deadline.due_at.utcoffset() == timedelta(0)  # given in UTC, as the opening time was
    assert deadline.provisional is False


def test_the_opening_day_is_the_day_in_china_not_in_utc() -> None:
    # Given a bad review at 01:00 on Sat 2026-02-14 in China, which is still Friday in UTC
    opened_at = datetime(2026, 2, 13, 17, 0, tzinfo=UTC)
    assert opened_at.astimezone(CHINA_TIME).date() == date(2026, 2, 14)
    # When its rectification deadline is counted
    deadline = OFFICIAL.deadline(opened_at, 5)
    # Then counting starts after Saturday 02-14: 02-24,25,26,27 and the swapped Saturday 02-28
    assert deadline.due_date == date(2026, 2, 28)
    # And the same instant seen from Friday in UTC would have been due on Friday 02-27
    assert OFFICIAL.add_working_days(date(2026, 2, 13), 5) == (date(2026, 2, 27), False)


def test_a_deadline_is_the_end_of_the_working_day_in_china() -> None:
    # Given a bad review a minute before midnight on Friday 2026-02-13 in China
    opened_at = datetime(2026, 2, 13, 23, 59, tzinfo=CHINA_TIME)
    # When its first-contact deadline is counted
    deadline = OFFICIAL.deadline(opened_at, 1)
    # Then it ends at 24:00 of Saturday 02-14 in China (16:00 UTC), in the opening time's zone
    assert deadline.due_date == date(2026, 2, 14)
    assert deadline.due_at == datetime(2026, 2, 14, 16, 0, tzinfo=UTC)
    assert deadline.due_at.tzinfo == CHINA_TIME


def test_zero_working_days_is_the_day_itself_or_the_next_working_day() -> None:
    # Given a working Monday and a holiday Wednesday (Spring Festival 2026)
    # When counting zero working days from each
    # Then the working day is its own answer, and the holiday gives the first working day after it
    assert OFFICIAL.add_working_days(date(2026, 3, 2), 0) == (date(2026, 3, 2), False)
    assert OFFICIAL.add_working_days(date(2026, 2, 18), 0) == (date(2026, 2, 24), False)
    # And a negative count is refused
    with pytest.raises(ValueError, match="zero or more"):
        OFFICIAL.add_working_days(date(2026, 3, 2), -1)


def test_an_override_wins_over_the_package() -> None:
    # Given the hall closed on Fri 2026-02-27 for a local reason
    closed = WorkingCalendar(overrides={date(2026, 2, 27): False})
    # When counting five working days from Fri 02-13
    due, provisional = closed.add_working_days(date(2026, 2, 13), 5)
    # Then the fifth is the swapped Saturday 02-28, and nothing was guessed
    assert (due, provisional) == (date(2026, 2, 28), False)
    assert closed.is_working_day(date(2026, 2, 27)) == (False, False)


# ---------------------------------------------------------------- the year the package does not know


def test_a_day_of_2027_is_a_guess_until_it_is_loaded() -> None:
    # Given the package, which knows years up to 2026
    # When asking about days of January 2027
    # Then weekdays count as working days, weekends and statutory holidays as rest days, each a guess
    assert OFFICIAL.is_working_day(date(2027, 1, 1)) == (False, True)  # a Friday, New Year's Day by rule
    assert OFFICIAL.is_working_day(date(2027, 1, 2)) == (False, True)
    assert OFFICIAL.is_working_day(date(2027, 1, 4)) == (True, True)


@pytest.mark.parametrize(
    ("opened", "working_days", "due", "provisional"),
    [
        (date(2026, 12, 30), 1, date(2026, 12, 31), False),  # 2027 not needed
        (date(2026, 12, 28), 3, date(2026, 12, 31), False),
        (date(2026, 12, 31), 1, date(2027, 1, 4), True),  # the guess: New Year's Day and the weekend rest
        (date(2026, 12, 28), 5, date(2027, 1, 5), True),  # 12-29,30,31, Mon 01-04, Tue 01-05 (guessed)
        (date(2027, 1, 8), 1, date(2027, 1, 11), True),  # wholly in 2027
    ],
)
def test_deadlines_at_the_year_end_say_when_they_are_provisional(
    opened: date, working_days: int, due: date, provisional: bool
) -> None:
    # Given a bad review at the end of 2026
    opened_at = datetime.combine(opened, time(9, 30), tzinfo=CHINA_TIME)
    # When its deadline is counted
    deadline = OFFICIAL.deadline(opened_at, working_days)
    # Then it is provisional exactly when a day of 2027 had to be guessed
    assert (deadline.due_date, deadline.provisional) == (due, provisional)


# 2027's New Year holiday as a district would load it: Fri 01-01 to Sun 01-03 rest, then work.
NEW_YEAR_2027 = {
    date(2027, 1, 1): False,
    date(2027, 1, 2): False,
    date(2027, 1, 3): False,
    date(2027, 1, 4): True,
    date(2027, 1, 5): True,
}


def test_an_override_for_2027_wins_and_makes_the_deadline_final() -> None:
    # Given 2027's first days loaded as overrides
    loaded = WorkingCalendar(overrides=NEW_YEAR_2027)
    # When counting five working days from Mon 2026-12-28
    deadline = loaded.deadline(datetime(2026, 12, 28, 2, 0, tzinfo=UTC), 5)
    # Then New Year's Day rests (12-29,30,31, 01-04, 01-05) and nothing was guessed
    assert (deadline.due_date, deadline.provisional) == (date(2027, 1, 5), False)
    assert loaded.is_working_day(date(2027, 1, 1)) == (False, False)


def test_an_override_makes_only_the_overridden_days_final() -> None:
    # Given only New Year's Day 2027 loaded
    partly = WorkingCalendar(overrides={date(2027, 1, 1): False})
    # When counting five working days from Mon 2026-12-28
    due, provisional = partly.add_working_days(date(2026, 12, 28), 5)
    # Then the holiday is respected, but Mon 01-04 and Tue 01-05 were still guesses
    assert (due, provisional) == (date(2027, 1, 5), True)
    assert partly.is_working_day(date(2027, 1, 4)) == (True, True)
    # And a deadline that needs only the overridden day is final
    assert partly.add_working_days(date(2026, 12, 30), 1) == (date(2026, 12, 31), False)


# ---------------------------------------------------------------- properties

opening_days = st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 12, 31))
working_day_counts = st.integers(min_value=1, max_value=30)
calendars = st.sampled_from([OFFICIAL, WorkingCalendar(overrides=NEW_YEAR_2027)])


@settings(max_examples=300, deadline=None)
@given(opened=opening_days, count=working_day_counts, calendar=calendars)
def test_a_due_date_is_always_a_working_day_after_the_opening_day(
    opened: date, count: int, calendar: WorkingCalendar
) -> None:
    due, _ = calendar.add_working_days(opened, count)
    assert due > opened
    assert calendar.is_working_day(due)[0] is True
    # And exactly ``count`` working days lie after the opening day up to the due date
    between = [opened + timedelta(days=i) for i in range(1, (due - opened).days + 1)]
    assert sum(calendar.is_working_day(day)[0] for day in between) == count


@settings(max_examples=200, deadline=None)
@given(opened=opening_days, count=working_day_counts, calendar=calendars)
def test_due_dates_grow_with_the_number_of_working_days(opened: date, count: int, calendar: WorkingCalendar) -> None:
    shorter, _ = calendar.add_working_days(opened, count)
    longer, _ = calendar.add_working_days(opened, count + 1)
    assert shorter < longer


@settings(max_examples=200, deadline=None)
@given(
    opened_at=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)),
    count=working_day_counts,
)
def test_a_deadline_ends_its_working_day_in_china_after_the_opening(opened_at: datetime, count: int) -> None:
    deadline = OFFICIAL.deadline(opened_at, count)
    assert deadline.due_at > opened_at
    in_china = deadline.due_at.astimezone(CHINA_TIME)
    assert (in_china.time(), in_china.date()) == (time(0, 0), deadline.due_date + timedelta(days=1))
    assert OFFICIAL.is_working_day(deadline.due_date)[0] is True
    assert deadline.due_date > opened_at.astimezone(CHINA_TIME).date()
    # provisional exactly when a year the package does not know was needed
    assert deadline.provisional == (deadline.due_date.year >= 2027)
