"""`haochaping qr`: print QR plates 二维码牌, one SVG sheet per hall, or one window's plate URL."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from haochaping.admin import operations
from haochaping.admin.commands import BASE_URL_HELP, EXIT_OK, STACK_HELP
from haochaping.admin.plates_sheet import count_plates
from haochaping.admin.progress import ProgressBar
from haochaping.domain.registry import Registry


def add_commands(commands: Any) -> None:
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
    qr.set_defaults(handler=_sheets)
    qr_commands = qr.add_subparsers(dest="qr_command", metavar="url")
    url = qr_commands.add_parser(
        "url", help="print one window's plate URL", description="Print the signed URL of one window's QR plate."
    )
    url.add_argument("window_code", metavar="WINDOW_CODE", help="e.g. YC01-A001")
    url.add_argument("--stack", default=argparse.SUPPRESS, help=STACK_HELP + " (required)")
    url.add_argument("--base-url", default=argparse.SUPPRESS, help=BASE_URL_HELP)
    url.set_defaults(handler=_url)


def _require_stack(args: argparse.Namespace) -> str:
    if not args.stack:
        raise operations.InvalidArgument("qr: --stack STACK_NAME is required")
    return str(args.stack)


def _url(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    print(operations.window_plate_url(_require_stack(args), args.window_code, args.base_url), file=out)
    return EXIT_OK


def _sheets(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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
