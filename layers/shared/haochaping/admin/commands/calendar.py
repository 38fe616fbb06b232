"""`haochaping calendar load|check|due|show`: the working-day calendar 工作日历 and its deadlines."""

from __future__ import annotations

import argparse
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from haochaping.admin import operations
from haochaping.admin.calendar_files import read_calendar_file
from haochaping.admin.commands import EXIT_OK, STACK_HELP, add_group
from haochaping.admin.files import InvalidFileError
from haochaping.admin.stack import calendar_store, describe_district_stack
from haochaping.domain.calendar import FIRST_YEAR, LAST_YEAR, CalendarBasis, CalendarYear, DayInYear, WorkingCalendar
from haochaping.domain.rating import HALL_CODE_PATTERN

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LOAD_HINT = "load the State Council's schedule with `haochaping calendar load`"


def add_commands(commands: Any) -> None:
    actions = add_group(
        commands,
        "calendar",
        help="the working-day calendar 工作日历: load a year's official schedule, check a deadline",
        description=(
            "Working days count on China's official calendar: statutory holidays and swapped working days 调休. "
            "The package in the layer knows the years up to its release; load each new year's State Council "
            "schedule (announced each November) and the halls' closures with `calendar load`. A year neither "
            "knows is provisional: weekends, the statutory holidays by rule and their make-up days 补假, without 调休."
        ),
    )
    load = actions.add_parser(
        "load",
        help="validate a year's schedule (YAML) and write it into the stack; replaces that year's",
        description="Validate FILE, one year's schedule in YAML, and write it into the stack's registry table.",
    )
    load.add_argument("path", type=Path, metavar="FILE", help="e.g. infra/calendar/2027.yaml")
    load.add_argument("--stack", required=True, help=STACK_HELP)
    load.set_defaults(handler=_load)
    check = actions.add_parser(
        "check", help="validate a year's schedule without AWS", description="Validate FILE and print what it holds."
    )
    check.add_argument("path", type=Path, metavar="FILE", help="e.g. infra/calendar/2027.yaml")
    check.set_defaults(handler=_check)
    due = actions.add_parser(
        "due",
        help="print the due date N working days after a day",
        description=(
            "Print the Nth working day after DATE (DATE itself not counted; N 0 is DATE itself if it is a working "
            "day), then a line saying why when the answer is provisional. Without --stack only the package and "
            "the provisional rules are used."
        ),
    )
    due.add_argument("start", metavar="DATE", help="the opening day, YYYY-MM-DD (China time)")
    due.add_argument("working_days", metavar="N", type=int, help="working days, e.g. 5")
    due.add_argument("--stack", help=STACK_HELP + " (its loaded schedules and closures)")
    due.add_argument("--hall", metavar="CODE", help="count with this hall's closures, e.g. YC03")
    due.set_defaults(handler=_due)
    show = actions.add_parser(
        "show",
        help="list a year's holidays on weekdays and working weekends, official or provisional",
        description="List the days of YEAR that do not follow the week, and where the year's calendar comes from.",
    )
    show.add_argument("year", metavar="YEAR", type=int, help="e.g. 2027")
    show.add_argument("--stack", help=STACK_HELP + " (its loaded schedules and closures)")
    show.add_argument("--hall", metavar="CODE", help="only this hall's closures, e.g. YC03")
    show.set_defaults(handler=_show)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _summary(year: CalendarYear) -> str:
    rest, working = year.rest_days(), year.swapped_working_days()
    parts = [
        f"{year.year}: {'official' if year.official else 'not official (only the listed days are settled)'}"
        + (f", {year.source}" if year.source else ""),
        f"{_count(len(rest), 'holiday')} ({sum(day.isoweekday() <= 5 for day in rest)} on weekdays)",
        f"{_count(len(working), 'swapped working day')} 调休",
    ]
    if year.closures:
        halls = ", ".join(f"{closure.hall} {_count(len(closure.days()), 'day')}" for closure in year.closures)
        parts.append(f"{_count(len(year.closures), 'hall closure')} ({halls})")
    return "; ".join(parts)


def _notes(year: CalendarYear, err: TextIO) -> None:
    for day in sorted(year.swapped_working_days()):
        if day.isoweekday() <= 5:
            print(f"note: {day} is a {WEEKDAYS[day.weekday()]}; listing it as a working day changes nothing", file=err)


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    year = read_calendar_file(args.path)
    print(f"{args.path}: valid calendar", file=out)
    print(_summary(year), file=out)
    _notes(year, err)
    return EXIT_OK


def _load(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    year = read_calendar_file(args.path)
    stack = describe_district_stack(args.stack)
    store = calendar_store(stack)
    if year.closures:
        halls = store.hall_codes()
        unknown = [
            f"closures[{index}].hall: no hall {closure.hall} in the registry of stack {stack.name}"
            + (f" (halls: {', '.join(sorted(halls))})" if halls else "; load the registry first")
            for index, closure in enumerate(year.closures)
            if closure.hall not in halls
        ]
        if unknown:
            raise InvalidFileError("calendar", str(args.path), unknown)
    previous = store.record(year.year)
    record = store.save(year)
    print(f"loaded the {year.year} calendar into stack {stack.name}: {_summary(record)}", file=out)
    if previous is not None:
        print(f"replaced the {year.year} calendar loaded {previous.loaded_at:%Y-%m-%d %H:%M} UTC", file=out)
    _notes(year, err)
    return EXIT_OK


def _stack_calendar(args: argparse.Namespace) -> WorkingCalendar:
    """The stack's calendar with --stack, else the package's and the provisional rules; --hall applied."""
    if args.hall is not None and not re.match(HALL_CODE_PATTERN, args.hall):
        raise operations.InvalidArgument(f"--hall {args.hall!r} is not a hall code (like YC03)")
    if not args.stack:
        return WorkingCalendar() if args.hall is None else WorkingCalendar().for_hall(args.hall)
    stack = describe_district_stack(args.stack)
    store = calendar_store(stack)
    calendar = store.calendar()
    if args.hall is None:
        return calendar
    halls = store.hall_codes()
    if args.hall not in halls:
        raise operations.InvalidArgument(f"stack {stack.name} has no hall {args.hall} in its registry")
    return calendar.for_hall(args.hall)


def _due(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        start = date.fromisoformat(args.start)
    except ValueError:
        raise operations.InvalidArgument(f"{args.start!r} is not a date (YYYY-MM-DD)") from None
    if args.working_days < 0:
        raise operations.InvalidArgument("N must be 0 or more working days")
    if args.hall is not None and not args.stack:
        print("note: without --stack no hall closures are known", file=err)
    calendar = _stack_calendar(args)
    due, provisional = calendar.add_working_days(start, args.working_days)
    print(due.isoformat(), file=out)
    first = start if args.working_days == 0 else start + timedelta(days=1)
    day = first
    while day <= due:
        reason = calendar.closure(day)
        if reason is not None:
            print(f"{day}: hall {calendar.hall_code} closed ({reason}), not counted", file=out)
        day += timedelta(days=1)
    if provisional:
        years = calendar.guessed_years(first, due)
        named = ", ".join(str(year) for year in years) + (" is" if len(years) == 1 else " are")
        read = "" if args.stack else " (without --stack: no loaded schedule was read)"
        print(
            f"provisional: {named} not in the official calendar{read}; counted weekends and the statutory holidays "
            f"by rule with their make-up days 补假, without swapped working days 调休; {LOAD_HINT}",
            file=out,
        )
    return EXIT_OK


def _day_line(entry: DayInYear) -> str:
    guess = " (by rule, provisional)" if entry.guessed else ""
    name = f"  {entry.name}" if entry.name else ""
    return f"  {entry.day} {WEEKDAYS[entry.day.weekday()]}{name}{guess}"


def _show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not FIRST_YEAR <= args.year <= LAST_YEAR:
        raise operations.InvalidArgument(f"YEAR must be between {FIRST_YEAR} and {LAST_YEAR}")
    calendar = _stack_calendar(args)
    summary = calendar.summary(args.year)
    loaded = calendar.years.get(args.year)
    headline = f"{args.year}: {summary.basis.value}"
    if summary.source:
        headline += f" — {summary.source}"
    loaded_at = getattr(loaded, "loaded_at", None)  # a stored record says when it was loaded
    if loaded_at is not None:
        headline += f", loaded {loaded_at:%Y-%m-%d %H:%M} UTC"
    print(headline, file=out)
    if summary.basis is CalendarBasis.PROVISIONAL:
        read = "" if args.stack else " (without --stack: no loaded schedule was read)"
        print(f"{args.year} is not in the official calendar{read}; {LOAD_HINT}", file=out)
    print(f"rest days on weekdays ({len(summary.rest_weekdays)}):", file=out)
    for entry in summary.rest_weekdays:
        print(_day_line(entry), file=out)
    print(f"working weekend days 调休 ({len(summary.working_weekends)}):", file=out)
    for entry in summary.working_weekends:
        print(_day_line(entry), file=out)
    if summary.closures:
        print(f"hall closures ({len(summary.closures)}):", file=out)
        for closure in summary.closures:
            print(f"  {closure.hall} {', '.join(str(span) for span in closure.dates)}  {closure.reason}", file=out)
    return EXIT_OK
