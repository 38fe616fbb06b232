"""The `haochaping` admin command line: keep a division's registry, working-day calendar and staff console users,
print QR plates and tickets.

Every command finds the tables, the signing secret and the public URL from the stack's name.
Exit codes: 0 done, 1 AWS or the stack refused, 2 invalid data or arguments.

Each command group adds its own parsers and handlers (:mod:`haochaping.admin.commands`); this module puts
them under one parser and turns the errors they raise into exit codes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from haochaping.admin import operations, staff_users
from haochaping.admin.commands import (
    EXIT_AWS,
    EXIT_INVALID,
    EXIT_OK,
    calendar,
    plates,
    ratings,
    registry,
    staff,
    tasks,
    tickets,
)
from haochaping.admin.files import InvalidFileError
from haochaping.admin.plates_sheet import UnknownHall
from haochaping.admin.stack import StackError

COMMAND_GROUPS = (
    registry,
    plates,
    tickets,
    staff,
    calendar,
    tasks,
    ratings,
)  # in the order `haochaping --help` lists them


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="haochaping",
        description="好差评 district administration: the registry, QR plates 二维码牌 and queue tickets 排队小票.",
        epilog="AWS credentials, region and endpoint (AWS_ENDPOINT_URL) come from the standard environment.",
    )
    parser.set_defaults(handler=None, usage_parser=parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.add_commands(commands)
    return parser


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
    except (InvalidFileError, operations.InvalidArgument, UnknownHall, staff_users.PasswordRejected) as error:
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
