"""The escalation ladder 督办: when each step comes, in which order, and that each is taken once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from haochaping.domain.calendar import CalendarYear, WorkingCalendar
from haochaping.domain.escalation import (
    Ladder,
    StepNotDue,
    current_level,
    ladder_steps,
    next_step,
    recount_deadlines,
    running_deadlines,
    take_step,
)
from haochaping.domain.followup import Action, Actor, Role, apply, open_task
from haochaping.domain.rating import CHINA_TIME
from haochaping.domain.task import DeadlineKind, Rung, Task, TaskState
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.unit

CALENDAR = WorkingCalendar()
LADDER = Ladder(reminder_working_days_before=1, bureau_after_working_days=2, city_after_working_days=3)
OFFICER = Actor("XQ2001", frozenset({Role.OFFICER}), "XQZWFW", "640104")


def end_of(day: str) -> datetime:
    """24:00 China time of the day, in UTC."""
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), datetime.min.time(), CHINA_TIME).astimezone(
        UTC
    )


def opened_on(moment: datetime, real_name: bool = False) -> Task:
    first = CALENDAR.deadline(moment, 1)
    fix = CALENDAR.deadline(moment, 5)
    return open_task(
        tracking_code="HC7K2M9Q4T",
        division_code="640104",
        hall_code="XQZWFW",
        window_code="640104-A017",
        rated_staff="XQ1017",
        real_name=real_name,
        opened_at=moment,
        first_contact_due=first.due_at,
        rectification_due=fix.due_at,
        provisional=first.provisional or fix.provisional,
    )


# Fri 2026-02-13, 10:00 in Yinchuan: the day before the Spring Festival holiday's 调休 Saturday.
FRIDAY_BEFORE_SPRING_FESTIVAL = datetime(2026, 2, 13, 10, 0, tzinfo=CHINA_TIME).astimezone(UTC)


def test_the_rectification_ladder_follows_the_official_calendar() -> None:
    # Given a bad review on Fri 2026-02-13, due for rectification at the end of Fri 02-27
    task = opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL)
    assert task.rectification_due == end_of("2026-02-27")
    # When the ladder of that deadline is laid out
    steps = ladder_steps(DeadlineKind.RECTIFICATION, task.rectification_due, LADDER, CALENDAR)
    # Then: reminder at the end of the working day before, the hall supervisor at the deadline,
    # the bureau two working days later (the 调休 Sat 02-28, Mon 03-02), the city three after that
    assert [(s.rung, s.at) for s in steps] == [
        (Rung.REMINDER, end_of("2026-02-26")),
        (Rung.HALL_SUPERVISOR, end_of("2026-02-27")),
        (Rung.DISTRICT_BUREAU, end_of("2026-03-02")),
        (Rung.CITY, end_of("2026-03-05")),
    ]
    assert not any(s.provisional for s in steps)


def test_the_first_contact_ladder_skips_the_spring_festival_holiday() -> None:
    # Given the same bad review: first contact due at the end of Sat 02-14, a 调休 working day
    task = opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL)
    assert task.first_contact_due == end_of("2026-02-14")
    # When its ladder is laid out
    steps = ladder_steps(DeadlineKind.FIRST_CONTACT, task.first_contact_due, LADDER, CALENDAR)
    # Then the bureau comes two working days after the holiday (02-24, 02-25), the city on the
    # 调休 Saturday 02-28
    assert [s.at for s in steps] == [
        end_of("2026-02-13"),
        end_of("2026-02-14"),
        end_of("2026-02-25"),
        end_of("2026-02-28"),
    ]


def test_the_first_step_is_the_earliest_reminder() -> None:
    task = opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL)
    step = next_step(task, LADDER, CALENDAR)
    assert step is not None
    assert (step.deadline, step.rung, step.at) == (DeadlineKind.FIRST_CONTACT, Rung.REMINDER, end_of("2026-02-13"))


def test_rungs_are_climbed_in_order_however_late_the_sweep() -> None:
    # Given a task left alone for a month
    task = opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL)
    much_later = FRIDAY_BEFORE_SPRING_FESTIVAL + timedelta(days=30)
    taken = []
    # When every step the task names is taken, one after the other
    while (step := next_step(task, LADDER, CALENDAR)) is not None:
        assert step.at <= much_later
        task = take_step(task, step.key, LADDER, CALENDAR, much_later)
        taken.append((step.deadline, step.rung))
    # Then each deadline climbed its four rungs in order, each once, the earlier deadline first
    assert taken == [
        (DeadlineKind.FIRST_CONTACT, Rung.REMINDER),
        (DeadlineKind.FIRST_CONTACT, Rung.HALL_SUPERVISOR),
        (DeadlineKind.FIRST_CONTACT, Rung.DISTRICT_BUREAU),
        (DeadlineKind.RECTIFICATION, Rung.REMINDER),
        (DeadlineKind.RECTIFICATION, Rung.HALL_SUPERVISOR),
        (DeadlineKind.FIRST_CONTACT, Rung.CITY),
        (DeadlineKind.RECTIFICATION, Rung.DISTRICT_BUREAU),
        (DeadlineKind.RECTIFICATION, Rung.CITY),
    ]
    assert len({e.key for e in task.escalations}) == 8


def test_a_step_is_recorded_once_in_the_task_and_its_audit_trail() -> None:
    task = opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL)
    step = next_step(task, LADDER, CALENDAR)
    assert step is not None
    now = step.at + timedelta(minutes=3)
    # When the step is taken
    after = take_step(task, step.key, LADDER, CALENDAR, now)
    # Then it is on the task and in the trail, and the version is the people's: a form opened
    # before the step is still good
    assert [e.key for e in after.escalations] == [step.key]
    assert after.version == task.version
    assert apply(after, OFFICER, Action.RECORD_CONTACT, task.version, now).contacted_at == now
    assert after.state == task.state
    last = after.audit[-1]
    assert (last.actor, last.action, last.at) == ("system", "escalate:reminder", now)
    # What the step belongs to is kept as codes, for each reader to name in their own language
    assert (dict(last.codes), last.reason) == ({"deadline": "first_contact", "due_day": "2026-02-14"}, "")
    # And taking it again (a redelivered message) is refused: it is no longer the next step
    with pytest.raises(StepNotDue):
        take_step(after, step.key, LADDER, CALENDAR, now)


def test_a_step_before_its_time_is_not_taken() -> None:
    task = opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL)
    step = next_step(task, LADDER, CALENDAR)
    assert step is not None
    with pytest.raises(StepNotDue, match="is due at"):
        take_step(task, step.key, LADDER, CALENDAR, step.at - timedelta(seconds=1))


def test_contact_stops_the_first_contact_ladder() -> None:
    # Given a task whose officer called the citizen on the opening day
    task = opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL)
    contacted = apply(task, OFFICER, Action.RECORD_CONTACT, task.version, FRIDAY_BEFORE_SPRING_FESTIVAL)
    # Then only the rectification deadline still climbs
    step = next_step(contacted, LADDER, CALENDAR)
    assert step is not None
    assert (step.deadline, step.rung) == (DeadlineKind.RECTIFICATION, Rung.REMINDER)


def test_a_closed_task_climbs_no_further() -> None:
    task = replace(opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL), state=TaskState.CLOSED)
    assert next_step(task, LADDER, CALENDAR) is None
    assert current_level(task) is None


def test_a_not_adopted_task_runs_no_deadline_and_climbs_no_further() -> None:
    # Given a task whose bad review was not adopted (its appeal, if any, is the citizen's to make)
    task = replace(
        opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL), state=TaskState.FEEDBACK_GIVEN, rating_void=True, appeal_open=True
    )
    # Then no deadline runs on it, and nothing is escalated
    assert running_deadlines(task) == []
    assert next_step(task, LADDER, CALENDAR) is None
    # While a proposal waits for its supervisor, the deadlines still run
    proposed = replace(opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL), state=TaskState.PROPOSED_NOT_ADOPTED)
    assert [kind for kind, _ in running_deadlines(proposed)] == [DeadlineKind.FIRST_CONTACT, DeadlineKind.RECTIFICATION]


def test_the_level_shown_is_the_highest_rung_of_a_running_deadline() -> None:
    task = opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL)
    late = FRIDAY_BEFORE_SPRING_FESTIVAL + timedelta(days=4)
    for _ in range(2):  # reminder, then hall supervisor, of the first-contact deadline
        step = next_step(task, LADDER, CALENDAR)
        assert step is not None
        task = take_step(task, step.key, LADDER, CALENDAR, late)
    level = current_level(task)
    assert level is not None
    assert (level.rung, level.rung.level, level.rung.overdue) == (Rung.HALL_SUPERVISOR, 1, True)
    # Once contact is made, that deadline stops running and the level it reached is history
    contacted = apply(task, OFFICER, Action.RECORD_CONTACT, task.version, late)
    assert current_level(contacted) is None


def test_a_deadline_that_moves_later_climbs_a_ladder_of_its_own() -> None:
    # Given a reminder taken for the rectification deadline
    task = apply(
        opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL),
        OFFICER,
        Action.RECORD_CONTACT,
        1,
        FRIDAY_BEFORE_SPRING_FESTIVAL,
    )
    step = next_step(task, LADDER, CALENDAR)
    assert step is not None
    task = take_step(task, step.key, LADDER, CALENDAR, step.at)
    # When the deadline moves two days later (an official schedule loaded)
    moved = replace(task, rectification_due=task.rectification_due + timedelta(days=2))
    # Then the new deadline has its own reminder to give
    again = next_step(moved, LADDER, CALENDAR)
    assert again is not None
    assert again.rung == Rung.REMINDER and again.key != step.key


def test_every_rung_is_at_least_a_working_day_apart() -> None:
    with pytest.raises(ValueError, match="at least one working day"):
        Ladder(reminder_working_days_before=0)


@settings(max_examples=200, deadline=None)
@given(
    opened=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 11, 30), timezones=st.just(UTC)),
    days=st.integers(min_value=1, max_value=15),
    before=st.integers(min_value=1, max_value=3),
    bureau=st.integers(min_value=1, max_value=5),
    city=st.integers(min_value=1, max_value=5),
)
def test_the_rungs_come_in_order_and_the_deadline_is_the_hall_supervisors(
    opened: datetime, days: int, before: int, bureau: int, city: int
) -> None:
    due = CALENDAR.deadline(opened, days).due_at
    ladder = Ladder(before, bureau, city)
    steps = ladder_steps(DeadlineKind.RECTIFICATION, due, ladder, CALENDAR)
    assert [s.rung for s in steps] == list(Rung)
    assert steps[0].at < steps[1].at < steps[2].at < steps[3].at
    assert steps[1].at == due
    # Every step falls at the end of a working day
    for step in steps:
        day = (step.at - timedelta(microseconds=1)).astimezone(CHINA_TIME).date()
        assert CALENDAR.is_working_day(day)[0]


# ---------------------------------------------------------------- the official schedule arrives


def official_2027(*holidays: str) -> WorkingCalendar:
    year = CalendarYear.model_validate(
        {"year": 2027, "official": True, "source": "国务院办公厅通知（测试）", "holidays": list(holidays)}
    )
    return WorkingCalendar.from_years([year])


# Mon 2026-12-28, 10:00 in China: the rectification deadline falls in 2027, not yet published.
YEAR_END = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)


def test_a_provisional_deadline_moves_later_when_the_official_schedule_says_so() -> None:
    # Given a task counted on the provisional calendar: due at the end of Tue 2027-01-05
    task = replace(opened_on(YEAR_END), counted_from=YEAR_END)
    assert task.deadlines_provisional and task.rectification_due == end_of("2027-01-05")
    # When the official schedule makes Mon 01-04 a holiday too, and the task is counted again
    later = recount_deadlines(task, official_2027("2027-01-01..2027-01-04"), 1, 5, YEAR_END + timedelta(days=2))
    # Then the deadline moved a day later, is no longer provisional, and the trail says so
    assert later.rectification_due == end_of("2027-01-06")
    assert later.first_contact_due == task.first_contact_due
    assert not later.deadlines_provisional
    assert later.version == task.version
    line = later.audit[-1]
    assert (line.actor, line.action) == ("system", "recount_deadlines")
    codes = dict(line.codes)
    assert (codes["rectification_from"], codes["rectification_to"], codes["provisional"]) == (
        "2027-01-05",
        "2027-01-06",
        "no",
    )
    # And its ladder is the new deadline's
    ahead = next_step(later, LADDER, official_2027("2027-01-01..2027-01-04"))
    assert ahead is not None and ahead.due_at in (later.first_contact_due, later.rectification_due)


def test_a_deadline_never_moves_earlier_when_the_official_schedule_is_loaded() -> None:
    # Given the provisional deadline of 01-05 (New Year's Day taken as a holiday by rule)
    task = replace(opened_on(YEAR_END), counted_from=YEAR_END)
    # When the official schedule has no holiday in that week (it would be due on Mon 01-04)
    counted = recount_deadlines(task, official_2027("2027-02-06"), 1, 5, YEAR_END)
    # Then the task keeps 01-05, and is no longer provisional
    assert counted.rectification_due == end_of("2027-01-05")
    assert not counted.deadlines_provisional


def test_a_settled_or_closed_task_is_not_counted_again() -> None:
    settled = opened_on(FRIDAY_BEFORE_SPRING_FESTIVAL)
    assert recount_deadlines(settled, official_2027("2027-02-06"), 1, 5, FRIDAY_BEFORE_SPRING_FESTIVAL) is settled
    closed = replace(opened_on(YEAR_END), state=TaskState.CLOSED)
    assert recount_deadlines(closed, official_2027("2027-02-06"), 1, 5, YEAR_END) is closed
    # Nor a provisional task the calendar still cannot settle
    still = opened_on(YEAR_END)
    assert recount_deadlines(still, WorkingCalendar(), 1, 5, YEAR_END) is still
