"""`haochaping staff users`: staff console users 工作台账号 in the stack's user pool."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from haochaping.admin import operations, staff_users
from haochaping.admin.commands import EXIT_OK, STACK_HELP, add_group


def add_commands(commands: Any) -> None:
    actions = add_group(
        commands,
        "staff",
        help="staff console users 工作台账号 in the stack's user pool",
        description="Staff console users: one per officer, supervisor, admin and overseer in the registry.",
    )
    users = actions.add_parser(
        "users",
        help="create or update a console user per officer, supervisor, admin and overseer in the stack's registry",
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
    users.set_defaults(handler=_users)


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


def _users(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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
