"""The `haochaping` admin command line: keep a division's registry and staff console users, print QR plates and tickets.

Every command finds the tables, the signing secret and the public URL from the stack's name.
Exit codes: 0 done, 1 AWS or the stack refused, 2 invalid data or arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from haochaping.admin import operations, staff_users
from haochaping.admin.plates_sheet import UnknownHall, count_plates
from haochaping.admin.progress import ProgressBar
from haochaping.admin.registry_files import FORMATS, RegistryFileError, read_registry_files, registry_counts
from haochaping.admin.stack import StackError
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
    return parser


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
    except (RegistryFileError, operations.InvalidArgument, UnknownHall, staff_users.PasswordRejected) as error:
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
