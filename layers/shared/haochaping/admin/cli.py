"""The `haochaping` admin command line: keep a division's registry, working-day calendar and staff console users,
print QR plates and tickets.

Every command finds the tables, the signing secret and the public URL from the stack's name.
Exit codes: 0 done, 1 AWS or the stack refused, 2 invalid data or arguments.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

import yaml
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError
from pynamodb.exceptions import PynamoDBException

from haochaping.adapters.calendar import (
    calendar_record,
    load_calendar,
    registry_hall_codes,
    save_calendar,
)
from haochaping.adapters.registry import clear_cache
from haochaping.adapters.tasks import index_open_tasks
from haochaping.admin import operations, staff_users
from haochaping.admin.plates_sheet import UnknownHall, count_plates
from haochaping.admin.progress import ProgressBar
from haochaping.admin.registry_files import FORMATS, RegistryFileError, read_registry_files, registry_counts
from haochaping.admin.stack import StackError, bind_stack_tables, describe_district_stack
from haochaping.domain.calendar import FIRST_YEAR, LAST_YEAR, CalendarBasis, CalendarYear, DayInYear, WorkingCalendar
from haochaping.domain.rating import HALL_CODE_PATTERN
from haochaping.domain.registry import Registry

EXIT_OK, EXIT_AWS, EXIT_INVALID = 0, 1, 2

STACK_HELP = "name of the division's CloudFormation stack, e.g. haochaping-640100"
BASE_URL_HELP = "origin the plates point at (default: the stack's PublicBaseUrl parameter)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="haochaping",
        description="好差评 district administration: the registry, QR plates 二维码牌 and queue tickets 排队小票.",
        epilog="AWS credentials, region and endpoint (AWS_ENDPOINT_URL) come from the standard environment.",
    )
    parser.set_defaults(handler=None, usage_parser=parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    registry = commands.add_parser(
        "registry",
        help="load, export or check the registry (halls, departments, windows, staff, roster, tags)",
        description="The division's registry 登记信息: halls, departments, windows, staff, roster and rating tags.",
    )
    registry.set_defaults(handler=None, usage_parser=registry)
    registry_commands = registry.add_subparsers(dest="registry_command", metavar="ACTION")
    load = registry_commands.add_parser(
        "load",
        help="validate registry files and write them into the stack's registry table",
        description="Validate PATH (a YAML file or a folder of CSV files) and write it into the stack.",
    )
    load.add_argument("path", type=Path, metavar="PATH", help="registry YAML file, or folder of CSV files")
    load.add_argument("--stack", required=True, help=STACK_HELP)
    load.set_defaults(handler=_registry_load)
    export = registry_commands.add_parser(
        "export",
        help="read the stack's registry and write it as YAML or CSV",
        description="Read the registry from the stack and write it in the same formats `load` reads.",
    )
    export.add_argument("--stack", required=True, help=STACK_HELP)
    export.add_argument("--format", choices=FORMATS, default="yaml", help="yaml: one file; csv: a folder of files")
    export.add_argument("--out", type=Path, required=True, help="YAML file, or folder for the CSV files")
    export.set_defaults(handler=_registry_export)
    check = registry_commands.add_parser(
        "check",
        help="validate registry files without AWS",
        description="Validate PATH (a YAML file or a folder of CSV files) and print what it holds.",
    )
    check.add_argument("path", type=Path, metavar="PATH", help="registry YAML file, or folder of CSV files")
    check.set_defaults(handler=_registry_check)

    qr = commands.add_parser(
        "qr",
        help="print QR plates (one SVG sheet per hall), or one window's plate URL",
        description=(
            "Write DIR/<hall code>.svg for every hall: A4-wide sheets of QR plates, one per active window. "
            "`qr url WINDOW_CODE` prints one window's plate URL instead."
        ),
    )
    qr.add_argument("--stack", help=STACK_HELP + " (required)")
    qr.add_argument("--out", type=Path, metavar="DIR", help="folder for the SVG sheets (required for sheets)")
    qr.add_argument("--base-url", help=BASE_URL_HELP)
    qr.add_argument("--hall", metavar="CODE", help="only this hall's sheet, e.g. YC01")
    qr.set_defaults(handler=_qr_sheets)
    qr_commands = qr.add_subparsers(dest="qr_command", metavar="url")
    url = qr_commands.add_parser(
        "url", help="print one window's plate URL", description="Print the signed URL of one window's QR plate."
    )
    url.add_argument("window_code", metavar="WINDOW_CODE", help="e.g. YC01-A001")
    url.add_argument("--stack", default=argparse.SUPPRESS, help=STACK_HELP + " (required)")
    url.add_argument("--base-url", default=argparse.SUPPRESS, help=BASE_URL_HELP)
    url.set_defaults(handler=_qr_url)

    ticket = commands.add_parser(
        "ticket",
        help="print a queue ticket's rating URL for a window",
        description="Print {base}/r/{window}?ticket=TOKEN: one rating for one service, issued now.",
    )
    ticket.add_argument("window_code", metavar="WINDOW_CODE", help="e.g. YC01-A001")
    ticket.add_argument("number", metavar="NUMBER", help="the queue number printed on the ticket, e.g. A023")
    ticket.add_argument("--stack", required=True, help=STACK_HELP)
    ticket.add_argument("--base-url", help=BASE_URL_HELP)
    ticket.set_defaults(handler=_ticket)
    staff = commands.add_parser(
        "staff",
        help="staff console users 工作台账号 in the stack's user pool",
        description="Staff console users: one per officer, supervisor and admin in the registry.",
    )
    staff.set_defaults(handler=None, usage_parser=staff)
    staff_commands = staff.add_subparsers(dest="staff_command", metavar="ACTION")
    users = staff_commands.add_parser(
        "users",
        help="create or update a console user per officer, supervisor and admin in the stack's registry",
        description=(
            "Create or update one user per staff member with console access (username = job number, "
            "group = role, custom:hall and custom:division attributes) in the stack's user pool; clerks get "
            "none, and a clerk's old user is disabled. Run it again after each registry load: it is idempotent. "
            "New users get the given password as their permanent password; it is never printed."
        ),
    )
    users.add_argument("--stack", required=True, help=STACK_HELP)
    password = users.add_mutually_exclusive_group()
    password.add_argument("--password", help="first password of new users (visible to others on this machine)")
    password.add_argument(
        "--password-file", type=Path, metavar="FILE", help="read the first password from the first line of FILE"
    )
    users.add_argument(
        "--reset-passwords", action="store_true", help="also set the password of users that exist already"
    )
    users.add_argument(
        "--examples", type=int, default=0, metavar="N", help="print N example sign-ins (job number, role, hall)"
    )
    users.set_defaults(handler=_staff_users)
    _add_calendar_commands(commands)
    _add_task_commands(commands)
    return parser


def _add_task_commands(commands: Any) -> None:
    tasks = commands.add_parser("tasks", help="follow-up tasks 回访核实任务: upkeep of the stack's task indexes")
    tasks.set_defaults(handler=None, usage_parser=tasks)
    actions = tasks.add_subparsers(dest="tasks_command", metavar="ACTION")
    reindex = actions.add_parser(
        "reindex",
        help="put open tasks written before the hall's open-task index existed into it; safe to run again",
        description=(
            "Each hall's work list reads its open tasks from the OpenTasksByHall index, which a task joins "
            "when it is written. Tasks last written before a stack had the index are not in it: this puts "
            "every open one there (one scan of the ratings table). Run it once after deploying that update."
        ),
    )
    reindex.add_argument("--stack", required=True, help=STACK_HELP)
    reindex.set_defaults(handler=_tasks_reindex)


def _add_calendar_commands(commands: Any) -> None:
    calendar = commands.add_parser(
        "calendar",
        help="the working-day calendar 工作日历: load a year's official schedule, check a deadline",
        description=(
            "Working days count on China's official calendar: statutory holidays and swapped working days 调休. "
            "The package in the layer knows the years up to its release; load each new year's State Council "
            "schedule (announced each November) and the halls' closures with `calendar load`. A year neither "
            "knows is provisional: weekends and the statutory holidays by rule, without 调休."
        ),
    )
    calendar.set_defaults(handler=None, usage_parser=calendar)
    actions = calendar.add_subparsers(dest="calendar_command", metavar="ACTION")
    load = actions.add_parser(
        "load",
        help="validate a year's schedule (YAML) and write it into the stack; replaces that year's",
        description="Validate FILE, one year's schedule in YAML, and write it into the stack's registry table.",
    )
    load.add_argument("path", type=Path, metavar="FILE", help="e.g. infra/calendar/2027.yaml")
    load.add_argument("--stack", required=True, help=STACK_HELP)
    load.set_defaults(handler=_calendar_load)
    check = actions.add_parser(
        "check", help="validate a year's schedule without AWS", description="Validate FILE and print what it holds."
    )
    check.add_argument("path", type=Path, metavar="FILE", help="e.g. infra/calendar/2027.yaml")
    check.set_defaults(handler=_calendar_check)
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
    due.set_defaults(handler=_calendar_due)
    show = actions.add_parser(
        "show",
        help="list a year's holidays on weekdays and working weekends, official or provisional",
        description="List the days of YEAR that do not follow the week, and where the year's calendar comes from.",
    )
    show.add_argument("year", metavar="YEAR", type=int, help="e.g. 2027")
    show.add_argument("--stack", help=STACK_HELP + " (its loaded schedules and closures)")
    show.add_argument("--hall", metavar="CODE", help="only this hall's closures, e.g. YC03")
    show.set_defaults(handler=_calendar_show)


def _summary(registry: Registry) -> str:
    counts = registry_counts(registry)
    text = (
        f"{counts['halls']} halls, {counts['departments']} departments, {counts['windows']} windows, "
        f"{counts['staff']} staff, {counts['shifts']} roster shifts, "
        f"{counts['tags']} tags (version {registry.tag_set.version})"
    )
    if counts["windows without a shift"]:
        text += f"; {counts['windows without a shift']} windows have no roster shift"
    return text


def _demo(registry: Registry) -> str:
    return " (demo data)" if registry.demo else ""


def _registry_load(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    loaded = operations.load_registry(args.path, args.stack)
    registry = loaded.registry
    print(
        f"loaded the registry of division {registry.division_code}{_demo(registry)} into stack {loaded.stack.name}: "
        f"{_summary(registry)}; {loaded.items_written} items written",
        file=out,
    )
    return EXIT_OK


def _registry_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    exported = operations.export_registry(args.stack, args.out, args.format)
    files = ", ".join(str(path) for path in exported.files)
    print(f"exported the registry of stack {exported.stack.name}: {_summary(exported.registry)}", file=out)
    print(f"wrote {files}", file=out)
    return EXIT_OK


def _registry_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    registry = read_registry_files(args.path)
    print(f"{args.path}: valid registry of division {registry.division_code}{_demo(registry)}", file=out)
    print(_summary(registry), file=out)
    return EXIT_OK


def _require_stack(args: argparse.Namespace) -> str:
    if not args.stack:
        raise operations.InvalidArgument("qr: --stack STACK_NAME is required")
    return str(args.stack)


def _qr_url(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    print(operations.window_plate_url(_require_stack(args), args.window_code, args.base_url), file=out)
    return EXIT_OK


def _qr_sheets(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    stack = _require_stack(args)
    if args.out is None:
        raise operations.InvalidArgument("qr: --out DIR is required to write the plate sheets")
    bars: list[ProgressBar] = []

    def start_progress(registry: Registry) -> Callable[[], None]:
        if args.hall is not None and args.hall not in {hall.code for hall in registry.halls}:
            return lambda: None  # write_plate_sheets reports the unknown hall
        bar = ProgressBar(count_plates(registry, args.hall), label="plates", stream=err)
        bars.append(bar)
        return bar.advance

    try:
        printed = operations.print_plates(
            stack, args.out, base_url=args.base_url, hall_code=args.hall, before_drawing=start_progress
        )
    finally:
        for bar in bars:
            bar.close()
    for sheet in printed.sheets:
        print(f"{sheet.path}  {sheet.plates} plates, {sheet.pages} pages", file=out)
    print(
        f"wrote {len(printed.sheets)} sheet{'' if len(printed.sheets) == 1 else 's'} with {printed.plates} plates "
        f"to {args.out} "
        f"(plates point at {printed.public_base_url})",
        file=out,
    )
    return EXIT_OK


def _ticket(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    issued = operations.window_ticket(args.stack, args.window_code, args.number, args.base_url)
    print(issued.url, file=out)
    if issued.validity_hours:
        print(f"ticket {issued.number} at {issued.window_code}: one rating, valid {issued.validity_hours} h", file=err)
    return EXIT_OK


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_file is None:
        return str(args.password) if args.password is not None else None
    try:
        lines = args.password_file.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise operations.InvalidArgument(
            f"cannot read --password-file {args.password_file}: {error.strerror}"
        ) from None
    if not lines or not lines[0].strip():
        raise operations.InvalidArgument(f"--password-file {args.password_file} is empty")
    return lines[0].strip()


def _staff_users(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.examples < 0:
        raise operations.InvalidArgument("--examples must be 0 or more")
    synced = staff_users.sync_stack_staff_users(
        args.stack, password=_read_password(args), reset_passwords=args.reset_passwords, examples=args.examples
    )
    groups = ", ".join(f"{group} {synced.per_group[group]}" for group in staff_users.CONSOLE_GROUPS.values())
    print(
        f"staff console users in {synced.pool_name} (stack {synced.stack.name}): {groups}; "
        f"{synced.created} created, {synced.updated} updated, {synced.unchanged} unchanged; "
        f"{synced.without_console} clerks have no console access",
        file=out,
    )
    if synced.disabled:
        print(f"{synced.disabled} clerks' former console users are disabled", file=out)
    if synced.passwords_set:
        print(f"set the given password for {synced.passwords_set} users", file=err)
    for sign_in in synced.examples:
        print(f"sign in as {sign_in.job_number}  ({sign_in.group}, hall {sign_in.hall_code})", file=out)
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# The working-day calendar


class CalendarFileError(ValueError):
    """A calendar file that cannot be read or does not hold a valid year."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        listing = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{source}: the calendar is not valid ({len(self.problems)} problem(s)):\n{listing}")


class _CalendarLoader(yaml.SafeLoader):
    """YAML without implicit dates and numbers: days stay as written; the model reads them."""


_CalendarLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag in {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NAMES_THE_DAY = {"missing", "not_in_year", "holiday_and_working_day"}  # messages that show the value already
LOAD_HINT = "load the State Council's schedule with `haochaping calendar load`"


def _yaml_line(root: yaml.Node, location: Sequence[str | int]) -> int:
    """The line (from 1) of a pydantic location in the YAML: a field's key, a list's item, or the nearest above."""
    node, line = root, root.start_mark.line
    for step in location:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            pair = next(((key, value) for key, value in node.value if getattr(key, "value", None) == step), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line
        else:
            break
    return int(line) + 1


def _field_path(location: Sequence[str | int]) -> str:
    text = ""
    for step in location:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def read_calendar_file(path: Path) -> CalendarYear:
    """One year's schedule from a YAML file, or a :class:`CalendarFileError` naming each problem's line."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CalendarFileError(source, [f"cannot read the file: {error}"]) from None
    loader = _CalendarLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as error:
        raise CalendarFileError(source, [f"not valid YAML: {error}"]) from None
    finally:
        loader.dispose()
    if root is None or not isinstance(data, dict):
        raise CalendarFileError(source, ["the file must hold one mapping: year, official, source, holidays, ..."])
    try:
        return CalendarYear.model_validate(data)
    except ValidationError as error:
        problems = []
        for detail in error.errors(include_url=False):
            location = tuple(detail["loc"])
            where = f"line {_yaml_line(root, location)}"
            if location:
                where += f", {_field_path(location)}"
            message = str(detail["msg"])
            given = detail.get("input")
            if isinstance(given, str | int | float) and detail["type"] not in NAMES_THE_DAY:
                message = f"{message} (got {given!r})"
            problems.append(f"{where}: {message}")
        raise CalendarFileError(source, problems) from None


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _calendar_summary(year: CalendarYear) -> str:
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


def _calendar_notes(year: CalendarYear, err: TextIO) -> None:
    for day in sorted(year.swapped_working_days()):
        if day.isoweekday() <= 5:
            print(f"note: {day} is a {WEEKDAYS[day.weekday()]}; listing it as a working day changes nothing", file=err)


def _calendar_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    year = read_calendar_file(args.path)
    print(f"{args.path}: valid calendar", file=out)
    print(_calendar_summary(year), file=out)
    _calendar_notes(year, err)
    return EXIT_OK


def _calendar_load(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    year = read_calendar_file(args.path)
    stack = describe_district_stack(args.stack)
    bind_stack_tables(stack)
    clear_cache()
    if year.closures:
        halls = registry_hall_codes()
        unknown = [
            f"closures[{index}].hall: no hall {closure.hall} in the registry of stack {stack.name}"
            + (f" (halls: {', '.join(sorted(halls))})" if halls else "; load the registry first")
            for index, closure in enumerate(year.closures)
            if closure.hall not in halls
        ]
        if unknown:
            raise CalendarFileError(str(args.path), unknown)
    previous = calendar_record(year.year)
    record = save_calendar(year)
    print(f"loaded the {year.year} calendar into stack {stack.name}: {_calendar_summary(record)}", file=out)
    if previous is not None:
        print(f"replaced the {year.year} calendar loaded {previous.loaded_at:%Y-%m-%d %H:%M} UTC", file=out)
    _calendar_notes(year, err)
    return EXIT_OK


def _stack_calendar(args: argparse.Namespace) -> WorkingCalendar:
    """The stack's calendar with --stack, else the package's and the provisional rules; --hall applied."""
    if args.hall is not None and not re.match(HALL_CODE_PATTERN, args.hall):
        raise operations.InvalidArgument(f"--hall {args.hall!r} is not a hall code (like YC03)")
    if not args.stack:
        return WorkingCalendar() if args.hall is None else WorkingCalendar().for_hall(args.hall)
    stack = describe_district_stack(args.stack)
    bind_stack_tables(stack)
    clear_cache()
    calendar = load_calendar()
    if args.hall is None:
        return calendar
    halls = registry_hall_codes()
    if args.hall not in halls:
        raise operations.InvalidArgument(f"stack {stack.name} has no hall {args.hall} in its registry")
    return calendar.for_hall(args.hall)


def _calendar_due(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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
            f"by rule, without swapped working days 调休; {LOAD_HINT}",
            file=out,
        )
    return EXIT_OK


def _day_line(entry: DayInYear) -> str:
    guess = " (by rule, provisional)" if entry.guessed else ""
    name = f"  {entry.name}" if entry.name else ""
    return f"  {entry.day} {WEEKDAYS[entry.day.weekday()]}{name}{guess}"


def _calendar_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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


def _tasks_reindex(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    stack = describe_district_stack(args.stack)
    bind_stack_tables(stack)
    indexed = index_open_tasks()
    print(f"stack {stack.name}: {indexed} open task(s) put into the hall's open-task index", file=out)
    return EXIT_OK


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    args = build_parser().parse_args(argv)
    if args.handler is None:
        # `haochaping` or `haochaping registry` alone: show what can be done.
        args.usage_parser.print_help(out)
        return EXIT_OK
    try:
        return int(args.handler(args, out, err))
    except (
        RegistryFileError,
        CalendarFileError,
        operations.InvalidArgument,
        UnknownHall,
        staff_users.PasswordRejected,
    ) as error:
        print(f"error: {error}", file=err)
        return EXIT_INVALID
    except StackError as error:
        print(f"error: {error}", file=err)
        return EXIT_AWS
    except (ClientError, BotoCoreError, PynamoDBException) as error:
        print(f"error: AWS refused or could not be reached: {error}", file=err)
        return EXIT_AWS


if __name__ == "__main__":
    sys.exit(main())
