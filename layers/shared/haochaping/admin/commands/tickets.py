"""`haochaping ticket`: a queue ticket's 排队小票 rating URL, one rating for one service."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from haochaping.admin import operations
from haochaping.admin.commands import BASE_URL_HELP, EXIT_OK, STACK_HELP


def add_commands(commands: Any) -> None:
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


def _ticket(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    issued = operations.window_ticket(args.stack, args.window_code, args.number, args.base_url)
    print(issued.url, file=out)
    if issued.validity_hours:
        print(f"ticket {issued.number} at {issued.window_code}: one rating, valid {issued.validity_hours} h", file=err)
    return EXIT_OK
