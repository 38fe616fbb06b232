"""One year's working-day calendar in a YAML file: the State Council's schedule and the halls' closures.

The file holds the fields of :class:`~haochaping.domain.calendar.CalendarYear` (``year``, ``official``,
``source``, ``holidays``, ...; see infra/calendar/2027.example.yaml). Days are read as written and
converted by the model; each problem is reported with its line in the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

from haochaping.admin.files import InvalidFileError, TextLoader
from haochaping.domain.calendar import CalendarYear

NAMES_THE_DAY = {"missing", "not_in_year", "holiday_and_working_day"}  # messages that show the value already


def read_calendar_file(path: Path) -> CalendarYear:
    """One year's schedule from a YAML file, or an :class:`InvalidFileError` naming each problem's line."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidFileError("calendar", source, [f"cannot read the file: {error}"]) from None
    loader = TextLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as error:
        raise InvalidFileError("calendar", source, [f"not valid YAML: {error}"]) from None
    finally:
        loader.dispose()
    if root is None or not isinstance(data, dict):
        raise InvalidFileError(
            "calendar", source, ["the file must hold one mapping: year, official, source, holidays, ..."]
        )
    try:
        return CalendarYear.model_validate(data)
    except ValidationError as error:
        problems = []
        for detail in error.errors(include_url=False):
            location = tuple(detail["loc"])
            where = f"line {_yaml_line(root, location)}"
            if location:
                where += f", {_field_path(location)}"
            message = str(detail["msg"])
            given = detail.get("input")
            if isinstance(given, str | int | float) and detail["type"] not in NAMES_THE_DAY:
                message = f"{message} (got {given!r})"
            problems.append(f"{where}: {message}")
        raise InvalidFileError("calendar", source, problems) from None


def _yaml_line(root: yaml.Node, location: Sequence[str | int]) -> int:
    """The line (from 1) of a pydantic location in the YAML: a field's key, a list's item, or the nearest above."""
    node, line = root, root.start_mark.line
    for step in location:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            pair = next(((key, value) for key, value in node.value if getattr(key, "value", None) == step), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line
        else:
            break
    return int(line) + 1


def _field_path(location: Sequence[str | int]) -> str:
    text = ""
    for step in location:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text
