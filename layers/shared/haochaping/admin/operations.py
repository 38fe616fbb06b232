"""What the admin commands do, one function each; the command line only parses and prints."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from haochaping.admin.files import InvalidFileError
from haochaping.admin.plates_sheet import SheetWritten, write_plate_sheets
from haochaping.admin.registry_files import FileFormat, read_registry_files, write_registry_files
from haochaping.admin.stack import (
    DistrictStack,
    StackError,
    describe_district_stack,
    read_signing_secret,
    registry_store,
)
from haochaping.domain.plates import issue_ticket, plate_url
from haochaping.domain.rating import WINDOW_CODE_PATTERN
from haochaping.domain.registry import Registry, WindowEntry

PUBLIC_BASE_URL_PATTERN = r"^https?://[^/\s]+$"  # as the template's PublicBaseUrl: an origin, no path
TICKET_NUMBER_PATTERN = r"^[A-Za-z0-9-]{1,16}$"  # 排队号 as printed on the ticket, e.g. A023


class InvalidArgument(ValueError):
    """A value given on the command line that cannot be used."""


@dataclass(frozen=True)
class RegistryLoaded:
    stack: DistrictStack
    registry: Registry
    items_written: int


@dataclass(frozen=True)
class RegistryExported:
    stack: DistrictStack
    registry: Registry
    files: list[Path]


@dataclass(frozen=True)
class PlatesPrinted:
    stack: DistrictStack
    public_base_url: str
    sheets: list[SheetWritten]

    @property
    def plates(self) -> int:
        return sum(sheet.plates for sheet in self.sheets)


@dataclass(frozen=True)
class TicketIssued:
    window_code: str
    number: str
    issued_at: datetime
    url: str
    validity_hours: int | None


def load_registry(path: Path, stack_name: str) -> RegistryLoaded:
    """Validate the registry files and write every record into the stack's registry table."""
    registry = read_registry_files(path)
    stack = describe_district_stack(stack_name)
    if registry.division_code != stack.division_code:
        raise InvalidFileError(
            "registry",
            str(path),
            [
                f"division_code {registry.division_code} does not match stack {stack.name}, "
                f"which serves division {stack.division_code}"
            ],
        )
    written = registry_store(stack).save_registry(registry)
    return RegistryLoaded(stack=stack, registry=registry, items_written=written)


def stack_registry(stack: DistrictStack) -> Registry:
    """The registry the stack holds now."""
    registry = registry_store(stack).read_registry()
    if registry is None:
        raise StackError(f"stack {stack.name} holds no registry yet; run `haochaping registry load` first")
    return registry


def export_registry(stack_name: str, out: Path, file_format: FileFormat) -> RegistryExported:
    """Read the stack's registry back and write it as YAML (a file) or CSV (a folder)."""
    stack = describe_district_stack(stack_name)
    registry = stack_registry(stack)
    return RegistryExported(stack=stack, registry=registry, files=write_registry_files(registry, out, file_format))


def public_base_url(stack: DistrictStack, override: str | None) -> str:
    if override is None:
        return stack.public_base_url
    base = override.rstrip("/")
    if not re.match(PUBLIC_BASE_URL_PATTERN, base):
        raise InvalidArgument(f"--base-url must be an origin such as https://haochaping.example (got {override!r})")
    return base


def print_plates(
    stack_name: str,
    out_dir: Path,
    *,
    base_url: str | None = None,
    hall_code: str | None = None,
    before_drawing: Callable[[Registry], Callable[[], None] | None] | None = None,
) -> PlatesPrinted:
    """Write one SVG sheet of QR plates per hall into ``out_dir``.

    ``before_drawing`` gets the registry before the first plate is drawn and may return a
    callback run after each plate (the command line's progress bar).
    """
    stack = describe_district_stack(stack_name)
    base = public_base_url(stack, base_url)
    registry = stack_registry(stack)
    secret = read_signing_secret(stack)
    on_plate = before_drawing(registry) if before_drawing is not None else None
    sheets = write_plate_sheets(
        registry,
        public_base_url=base,
        secret=secret,
        out_dir=out_dir,
        hall_code=hall_code,
        division_name=stack.parameters.get("DivisionName", ""),
        on_plate=on_plate,
    )
    return PlatesPrinted(stack=stack, public_base_url=base, sheets=sheets)


def _window_entry(stack: DistrictStack, window_code: str) -> WindowEntry:
    if not re.match(WINDOW_CODE_PATTERN, window_code):
        raise InvalidArgument(f"{window_code!r} is not a window code (like YC01-A001)")
    entry, _ = registry_store(stack).window_and_tags(window_code)
    if entry is None:
        raise InvalidArgument(f"stack {stack.name} has no window {window_code} in its registry")
    return entry


def window_plate_url(stack_name: str, window_code: str, base_url: str | None = None) -> str:
    """The URL a window's QR plate carries."""
    stack = describe_district_stack(stack_name)
    base = public_base_url(stack, base_url)
    entry = _window_entry(stack, window_code)
    return plate_url(base, entry.window.code, read_signing_secret(stack))


def window_ticket(
    stack_name: str, window_code: str, number: str, base_url: str | None = None, now: datetime | None = None
) -> TicketIssued:
    """A queue ticket 排队小票 for one rating at a window: ``{base}/r/{window}?ticket=TOKEN``."""
    if not re.match(TICKET_NUMBER_PATTERN, number):
        raise InvalidArgument(f"{number!r} is not a ticket number (letters, digits and '-', at most 16)")
    stack = describe_district_stack(stack_name)
    base = public_base_url(stack, base_url)
    entry = _window_entry(stack, window_code)
    issued_at = now or datetime.now(UTC)
    token = issue_ticket(entry.window.code, number, issued_at, read_signing_secret(stack))
    return TicketIssued(
        window_code=entry.window.code,
        number=number,
        issued_at=issued_at,
        url=f"{base}/r/{entry.window.code}?ticket={token}",
        validity_hours=stack.ticket_validity_hours,
    )
