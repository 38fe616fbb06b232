"""`haochaping registry load|export|check`: the division's registry 登记信息 in files and in the stack."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from haochaping.admin import operations
from haochaping.admin.commands import EXIT_OK, STACK_HELP, add_group
from haochaping.admin.registry_files import FORMATS, read_registry_files, registry_counts
from haochaping.domain.registry import Registry


def add_commands(commands: Any) -> None:
    actions = add_group(
        commands,
        "registry",
        help="load, export or check the registry (halls, departments, windows, staff, roster, tags)",
        description="The division's registry 登记信息: halls, departments, windows, staff, roster and rating tags.",
    )
    load = actions.add_parser(
        "load",
        help="validate registry files and write them into the stack's registry table",
        description="Validate PATH (a YAML file or a folder of CSV files) and write it into the stack.",
    )
    load.add_argument("path", type=Path, metavar="PATH", help="registry YAML file, or folder of CSV files")
    load.add_argument("--stack", required=True, help=STACK_HELP)
    load.set_defaults(handler=_load)
    export = actions.add_parser(
        "export",
        help="read the stack's registry and write it as YAML or CSV",
        description="Read the registry from the stack and write it in the same formats `load` reads.",
    )
    export.add_argument("--stack", required=True, help=STACK_HELP)
    export.add_argument("--format", choices=FORMATS, default="yaml", help="yaml: one file; csv: a folder of files")
    export.add_argument("--out", type=Path, required=True, help="YAML file, or folder for the CSV files")
    export.set_defaults(handler=_export)
    check = actions.add_parser(
        "check",
        help="validate registry files without AWS",
        description="Validate PATH (a YAML file or a folder of CSV files) and print what it holds.",
    )
    check.add_argument("path", type=Path, metavar="PATH", help="registry YAML file, or folder of CSV files")
    check.set_defaults(handler=_check)


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


def _load(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    loaded = operations.load_registry(args.path, args.stack)
    registry = loaded.registry
    print(
        f"loaded the registry of division {registry.division_code}{_demo(registry)} into stack {loaded.stack.name}: "
        f"{_summary(registry)}; {loaded.items_written} items written",
        file=out,
    )
    return EXIT_OK


def _export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    exported = operations.export_registry(args.stack, args.out, args.format)
    files = ", ".join(str(path) for path in exported.files)
    print(f"exported the registry of stack {exported.stack.name}: {_summary(exported.registry)}", file=out)
    print(f"wrote {files}", file=out)
    return EXIT_OK


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    registry = read_registry_files(args.path)
    print(f"{args.path}: valid registry of division {registry.division_code}{_demo(registry)}", file=out)
    print(_summary(registry), file=out)
    return EXIT_OK
