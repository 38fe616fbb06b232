"""`haochaping tasks reindex`: upkeep of the stack's follow-up task 回访核实任务 indexes."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from haochaping.admin.commands import EXIT_OK, STACK_HELP, add_group
from haochaping.admin.stack import describe_district_stack, task_store


def add_commands(commands: Any) -> None:
    actions = add_group(commands, "tasks", help="follow-up tasks 回访核实任务: upkeep of the stack's task indexes")
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
    reindex.set_defaults(handler=_reindex)


def _reindex(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    stack = describe_district_stack(args.stack)
    indexed = task_store(stack).index_open_tasks()
    print(f"stack {stack.name}: {indexed} open task(s) put into the hall's open-task index", file=out)
    return EXIT_OK
