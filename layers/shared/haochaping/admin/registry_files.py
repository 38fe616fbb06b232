"""The registry of a division in files: one YAML file, or a folder of CSV files.

Both forms hold exactly the fields of :class:`~haochaping.domain.registry.Registry`, so either
loads to the same registry and writing one back is lossless.

YAML: one mapping with the registry's fields (``division_code``, ``demo``, ``halls``, ...,
``tag_set``). Plain scalars are read as text (``17:30``, ``640100`` and ``501`` stay as
written) except ``true``/``false`` and empty values; the model converts them.

CSV: one file per kind, UTF-8 (a byte-order mark is accepted), a header row naming the columns.
A cell holding a list (a window's item codes, a shift's weekdays) separates values with
spaces. An empty cell means the field's default (no English name, no end date, ...).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from haochaping.admin.files import InvalidFileError, TextLoader
from haochaping.domain.registry import Registry

FileFormat = Literal["yaml", "csv"]
FORMATS: tuple[FileFormat, ...] = ("yaml", "csv")
YAML_FILE_NAME = "registry.yaml"

# Where a problem is, in the reader's words: (raw data, pydantic location) → "windows.csv line 7 (YC01-A006)".
Locator = Callable[[Mapping[str, Any], tuple[str | int, ...]], str]


# --------------------------------------------------------------------------------------------
# CSV layout


@dataclass(frozen=True)
class CsvTable:
    """One CSV file: which registry collection it holds and its columns, in order."""

    file_name: str
    collection: str  # the Registry field, or "tag_set.tags"
    columns: tuple[str, ...]
    key_column: str
    list_columns: tuple[str, ...] = ()
    required: bool = True


DIVISION_FILE = "division.csv"
DIVISION_COLUMNS = ("division_code", "demo", "tag_set_version")

CSV_TABLES: tuple[CsvTable, ...] = (
    CsvTable("halls.csv", "halls", ("code", "name", "name_en", "address"), "code"),
    CsvTable("departments.csv", "departments", ("code", "name", "name_en"), "code"),
    CsvTable(
        "windows.csv",
        "windows",
        ("code", "hall_code", "number", "name", "name_en", "department_code", "item_codes", "active"),
        "code",
        list_columns=("item_codes",),
    ),
    CsvTable(
        "staff.csv",
        "staff",
        ("job_number", "name", "role", "hall_code", "department_code"),
        "job_number",
        required=False,
    ),
    CsvTable(
        "roster.csv",
        "shifts",
        ("window_code", "job_number", "weekdays", "start", "end", "valid_from", "valid_to"),
        "window_code",
        list_columns=("weekdays",),
        required=False,
    ),
    CsvTable("tags.csv", "tag_set.tags", ("code", "name", "name_en"), "code"),
)
CSV_FILE_NAMES: tuple[str, ...] = (DIVISION_FILE, *(table.file_name for table in CSV_TABLES))

_LIST_SEPARATOR = re.compile(r"[\s,;]+")
_SHORT_HOUR = re.compile(r"^(\d:\d\d)")


# --------------------------------------------------------------------------------------------
# Reading


def read_registry_files(path: Path) -> Registry:
    """The registry in ``path``: a YAML file, or a folder of CSV files (or of one ``registry.yaml``)."""
    if path.is_dir():
        holds_csv = any((path / name).exists() for name in CSV_FILE_NAMES)
        if not holds_csv and (path / YAML_FILE_NAME).is_file():
            return read_registry_yaml(path / YAML_FILE_NAME)
        return read_registry_csv(path)
    if not path.exists():
        raise InvalidFileError("registry", str(path), ["no such file or folder"])
    if path.suffix.lower() == ".csv":
        raise InvalidFileError("registry", str(path), ["give the folder that holds the CSV files, not one of them"])
    return read_registry_yaml(path)


def read_registry_yaml(path: Path) -> Registry:
    source = str(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=TextLoader)  # noqa: S506 (a SafeLoader)
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidFileError("registry", source, [f"cannot read the file: {error}"]) from None
    except yaml.YAMLError as error:
        raise InvalidFileError("registry", source, [f"not valid YAML: {error}"]) from None
    if not isinstance(data, dict):
        raise InvalidFileError("registry", source, ["the file must hold one mapping with the registry's fields"])
    return validate_registry(data, source, locate=_yaml_location)


def read_registry_csv(folder: Path) -> Registry:
    source = str(folder)
    problems: list[str] = []
    data: dict[str, Any] = {}

    division_rows = _read_csv(folder / DIVISION_FILE, DIVISION_COLUMNS, (), required=True, problems=problems)
    if division_rows is not None:
        if len(division_rows) != 1:
            problems.append(f"{DIVISION_FILE}: expected exactly one row, found {len(division_rows)}")
        else:
            row = division_rows[0]
            for name in ("division_code", "demo"):
                if name in row:
                    data[name] = row[name]
            data["tag_set"] = {"version": row.get("tag_set_version", ""), "tags": []}

    for table in CSV_TABLES:
        rows = _read_csv(
            folder / table.file_name, table.columns, table.list_columns, required=table.required, problems=problems
        )
        if rows is None:
            continue
        if table.collection == "tag_set.tags":
            data.setdefault("tag_set", {"tags": []})["tags"] = rows
        else:
            data[table.collection] = rows

    if problems:
        raise InvalidFileError("registry", source, problems)
    return validate_registry(data, source, locate=_csv_location)


def _read_csv(
    path: Path,
    columns: Sequence[str],
    list_columns: Sequence[str],
    *,
    required: bool,
    problems: list[str],
) -> list[dict[str, Any]] | None:
    """The data rows of one CSV file as field dicts (empty cells left out), or None if unusable."""
    if not path.exists():
        if required:
            problems.append(f"{path.name}: missing file")
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{path.name}: cannot read the file as UTF-8: {error}")
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        problems.append(f"{path.name}: empty file, expected a header row: {','.join(columns)}")
        return None
    header = [name.strip() for name in header]
    unknown = [name for name in header if name not in columns]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if unknown or duplicated:
        if unknown:
            problems.append(f"{path.name}: unknown column(s) {', '.join(unknown)} (expected: {', '.join(columns)})")
        if duplicated:
            problems.append(f"{path.name}: column(s) given twice: {', '.join(duplicated)}")
        return None
    rows: list[dict[str, Any]] = []
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            problems.append(f"{path.name} line {line}: {len(cells)} cells but {len(header)} columns")
            continue
        row: dict[str, Any] = {"__line__": line}
        for name, cell in zip(header, cells, strict=False):
            value = cell.strip()
            if name in list_columns:
                row[name] = [part for part in _LIST_SEPARATOR.split(value) if part]
            elif value:
                row[name] = value
        rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------
# Validation and error messages


def validate_registry(data: Mapping[str, Any], source: str, locate: Locator | None = None) -> Registry:
    """A :class:`Registry` from raw data, or an :class:`InvalidFileError` listing every problem."""
    locator = locate or _yaml_location
    clean = _without_line_numbers(data)
    for shift in clean.get("shifts") or ():
        for field in ("start", "end"):
            if isinstance(shift, dict) and isinstance(shift.get(field), str):
                shift[field] = _SHORT_HOUR.sub(r"0\1", shift[field])  # 8:30 → 08:30
    try:
        return Registry.model_validate(clean)
    except ValidationError as error:
        problems: list[str] = []
        for detail in error.errors(include_url=False):
            location = detail["loc"]
            message = str(detail["msg"])
            if not location and detail["type"] == "value_error":
                # The registry's own check (duplicates, dangling references), several in one message.
                message = message.removeprefix("Value error, ")
                problems.extend(part.strip() for part in message.split("; ") if part.strip())
                continue
            where = locator(data, tuple(location))
            given = detail.get("input")
            if isinstance(given, str | int | float | bool) and detail["type"] != "missing":
                message = f"{message} (got {given!r})"
            problems.append(f"{where}: {message}" if where else message)
        raise InvalidFileError("registry", source, problems) from None


def _without_line_numbers(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_line_numbers(item) for key, item in value.items() if key != "__line__"}
    if isinstance(value, list):
        return [_without_line_numbers(item) for item in value]
    return value


def _record_label(record: Any) -> str:
    if isinstance(record, dict):
        for key in ("code", "window_code", "job_number"):
            if isinstance(record.get(key), str):
                return f" ({record[key]})"
    return ""


def _yaml_location(data: Mapping[str, Any], location: tuple[str | int, ...]) -> str:
    parts: list[str] = []
    node: Any = data
    for step in location:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and step < len(node) else None
            parts[-1] = f"{parts[-1]}[{step}]{_record_label(node)}" if parts else f"[{step}]"
        else:
            node = node.get(step) if isinstance(node, dict) else None
            parts.append(str(step))
    return ".".join(parts)


def _csv_location(data: Mapping[str, Any], location: tuple[str | int, ...]) -> str:
    if not location:
        return ""
    head = location[0]
    if head in {"division_code", "demo"}:
        return f"{DIVISION_FILE} {head}"
    if head == "tag_set":
        if len(location) >= 2 and location[1] == "version":
            return f"{DIVISION_FILE} tag_set_version"
        if len(location) >= 3 and location[1] == "tags" and isinstance(location[2], int):
            rows = data.get("tag_set", {}).get("tags", [])
            return _csv_row_location("tags.csv", rows, location[2], location[3:])
        return f"tags.csv {'.'.join(str(step) for step in location[1:])}"
    for table in CSV_TABLES:
        if table.collection == head:
            if len(location) >= 2 and isinstance(location[1], int):
                return _csv_row_location(table.file_name, data.get(head, []), location[1], location[2:])
            return table.file_name
    return ".".join(str(step) for step in location)


def _csv_row_location(file_name: str, rows: Any, index: int, rest: tuple[str | int, ...]) -> str:
    row = rows[index] if isinstance(rows, list) and index < len(rows) else {}
    line = row.get("__line__", "?") if isinstance(row, dict) else "?"
    column = ".".join(str(step) for step in rest)
    return f"{file_name} line {line}{_record_label(row)}" + (f" column {column}" if column else "")


# --------------------------------------------------------------------------------------------
# Writing


class _Clock(str):
    """A time of day, ``HH:MM``; always quoted in YAML (YAML 1.1 reads a bare 17:30 as 1050)."""

    __slots__ = ()


def registry_document(registry: Registry) -> dict[str, Any]:
    """The registry as plain data in the model's field order; dates as dates, times as ``HH:MM``."""
    document = registry.model_dump(mode="json", exclude_none=True)
    for shift, original in zip(document["shifts"], registry.shifts, strict=True):
        shift["start"] = _Clock(format_clock(original.start))
        shift["end"] = _Clock(format_clock(original.end))
        shift["valid_from"] = original.valid_from
        if original.valid_to is not None:
            shift["valid_to"] = original.valid_to
    return document


def format_clock(moment: time) -> str:
    return moment.strftime("%H:%M") if moment.second == 0 and moment.microsecond == 0 else moment.isoformat()


class _RegistryDumper(yaml.SafeDumper):
    """Block style for records, flow style for short lists of plain values (item codes, weekdays)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # every record written out in full, no &anchors


def _represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    flow = all(isinstance(item, str | int | float | bool) for item in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)


def _represent_clock(dumper: yaml.SafeDumper, clock: _Clock) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(clock), style="'")


_RegistryDumper.add_representer(list, _represent_list)
_RegistryDumper.add_representer(_Clock, _represent_clock)


def registry_yaml(registry: Registry, header: str = "") -> str:
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    body = yaml.dump(
        registry_document(registry),
        Dumper=_RegistryDumper,
        allow_unicode=True,
        sort_keys=False,
        width=120,
        default_flow_style=False,
    )
    return comment + body


def write_registry_yaml(registry: Registry, path: Path, header: str = "") -> Path:
    """Write the registry as one YAML file; ``path`` may be a folder (``registry.yaml`` inside)."""
    if path.is_dir():
        path = path / YAML_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(registry_yaml(registry, header), encoding="utf-8")
    return path


def registry_csv_files(registry: Registry) -> dict[str, str]:
    """The CSV form: file name → text."""
    document = registry_document(registry)
    files = {
        DIVISION_FILE: _csv_text(
            DIVISION_COLUMNS,
            [
                {
                    "division_code": registry.division_code,
                    "demo": registry.demo,
                    "tag_set_version": registry.tag_set.version,
                }
            ],
        )
    }
    for table in CSV_TABLES:
        records = document["tag_set"]["tags"] if table.collection == "tag_set.tags" else document[table.collection]
        files[table.file_name] = _csv_text(table.columns, records)
    return files


def write_registry_csv(registry: Registry, folder: Path) -> list[Path]:
    """Write the CSV form into ``folder`` (created if needed); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in registry_csv_files(registry).items():
        path = folder / name
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    return written


def write_registry_files(registry: Registry, path: Path, file_format: FileFormat) -> list[Path]:
    if file_format == "yaml":
        return [write_registry_yaml(registry, path)]
    return write_registry_csv(registry, path)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(_csv_cell(item) for item in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv_text(columns: Sequence[str], records: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_csv_cell(record.get(column)) for column in columns])
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Order


def in_storage_order(registry: Registry) -> Registry:
    """The registry in the order the registry table gives it back (by code within each kind).

    ``read_registry`` returns halls, departments, windows and staff sorted by their codes and
    each window's shifts after it; the tag set keeps its own order. Files written in this order
    come back from a load and an export unchanged.
    """
    windows = sorted(registry.windows, key=lambda window: window.code)
    rank = {window.code: index for index, window in enumerate(windows)}
    return registry.model_copy(
        update={
            "halls": tuple(sorted(registry.halls, key=lambda hall: hall.code)),
            "departments": tuple(sorted(registry.departments, key=lambda department: department.code)),
            "windows": tuple(windows),
            "staff": tuple(sorted(registry.staff, key=lambda person: person.job_number)),
            "shifts": tuple(sorted(registry.shifts, key=lambda shift: rank.get(shift.window_code, len(rank)))),
        }
    )


def registry_counts(registry: Registry) -> dict[str, int]:
    """How many records of each kind the registry holds (for the command line's summary)."""
    covered = {shift.window_code for shift in registry.shifts}
    return {
        "halls": len(registry.halls),
        "departments": len(registry.departments),
        "windows": len(registry.windows),
        "staff": len(registry.staff),
        "shifts": len(registry.shifts),
        "tags": len(registry.tag_set.tags),
        "windows without a shift": sum(1 for window in registry.windows if window.code not in covered),
    }
