"""`haochaping ratings reindex`: upkeep of the stack's rating 评价 indexes."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from haochaping.admin.commands import EXIT_OK, STACK_HELP, add_group
from haochaping.admin.stack import describe_district_stack, rating_store


def add_commands(commands: Any) -> None:
    actions = add_group(commands, "ratings", help="ratings 评价: upkeep of the stack's rating indexes")
    reindex = actions.add_parser(
        "reindex",
        help="put ratings written before the ratings-by-day index existed into it; safe to run again",
        description=(
            "The nightly reconcile recounts a day's score sheets from the RatingsByDay index, which a rating "
            "joins when it is written. Ratings written before a stack had the index are not in it, and a day "
            "of them would be recounted as empty: this puts every one there (one scan of the ratings table). "
            "Run it once after deploying that update, before the reconcile's first night."
        ),
    )
    reindex.add_argument("--stack", required=True, help=STACK_HELP)
    reindex.set_defaults(handler=_reindex)


def _reindex(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    stack = describe_district_stack(args.stack)
    indexed = rating_store(stack).index_by_day()
    print(f"stack {stack.name}: {indexed} rating(s) put into the ratings-by-day index", file=out)
    return EXIT_OK
