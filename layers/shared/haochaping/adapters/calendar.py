"""The working-day calendar 工作日历 in the registry table: one record per loaded year.

``kind="calendar"``, ``code="2027"``; the body is the year as loaded (:class:`CalendarRecord`).
Functions read every year with one Query and keep the result for a few minutes per execution
environment (the registry's cache), so a schedule loaded by an admin reaches the deadlines
computed afterwards within minutes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pydantic import AwareDatetime

from haochaping.adapters.registry_records import HALL, cached_body, clear_cache, remember_body
from haochaping.adapters.tables import RegistryItem
from haochaping.domain.calendar import CalendarYear, WorkingCalendar

CALENDAR = "calendar"
ALL_YEARS = "*"  # the cache's key for the whole query; never a record's code


class CalendarRecord(CalendarYear):
    """A loaded year as stored: the year's schedule and when it was loaded."""

    loaded_at: AwareDatetime


_built: tuple[str, WorkingCalendar] | None = None


def _records_body() -> str:
    """The bodies of every calendar record, as one JSON list (cached like the registry)."""
    hit, body = cached_body(CALENDAR, ALL_YEARS)
    if not hit or body is None:
        body = json.dumps([item.body for item in RegistryItem.query(CALENDAR)], ensure_ascii=False)
        remember_body(CALENDAR, ALL_YEARS, body)
    return body


def _records(body: str) -> list[CalendarRecord]:
    records = [CalendarRecord.model_validate_json(record) for record in json.loads(body)]
    return sorted(records, key=lambda record: record.year)


def calendar_records() -> list[CalendarRecord]:
    """Every loaded year, oldest first."""
    return _records(_records_body())


def load_calendar() -> WorkingCalendar:
    """The division's working-day calendar: the package, the loaded years and the halls' closures."""
    global _built
    body = _records_body()
    if _built is None or _built[0] != body:
        _built = (body, WorkingCalendar.from_years(_records(body)))
    return _built[1]


def calendar_record(year: int) -> CalendarRecord | None:
    """One loaded year, read now (admin use)."""
    try:
        item = RegistryItem.get(CALENDAR, str(year))
    except RegistryItem.DoesNotExist:
        return None
    return CalendarRecord.model_validate_json(item.body)


def save_calendar(year: CalendarYear, loaded_at: datetime | None = None) -> CalendarRecord:
    """Write (or replace) the record of ``year.year``."""
    now = loaded_at or datetime.now(UTC)
    record = CalendarRecord(**dict(year), loaded_at=now)
    RegistryItem(kind=CALENDAR, code=str(record.year), body=record.model_dump_json(), loaded_at=now).save()
    clear_cache()
    return record


def registry_hall_codes() -> set[str]:
    """The codes of the registry's halls, which closures must name (admin use)."""
    return {item.code for item in RegistryItem.query(HALL)}
