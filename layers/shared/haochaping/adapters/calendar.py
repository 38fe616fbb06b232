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
from pynamodb.exceptions import DoesNotExist

from haochaping.adapters.registry_records import HALL, RecordCache
from haochaping.adapters.tables import RegistryItem
from haochaping.domain.calendar import CalendarYear, WorkingCalendar

CALENDAR = "calendar"
ALL_YEARS = "*"  # the cache's key for the whole query; never a record's code


class CalendarRecord(CalendarYear):
    """A loaded year as stored: the year's schedule and when it was loaded."""

    loaded_at: AwareDatetime


class CalendarStore:
    """The working-day calendar records of one stack's Registry table (cached like its registry)."""

    def __init__(self, model: type[RegistryItem], cache: RecordCache) -> None:
        self.model, self.cache = model, cache
        self._built: tuple[str, WorkingCalendar] | None = None

    def _records_body(self) -> str:
        """The bodies of every calendar record, as one JSON list (cached like the registry)."""
        hit, body = self.cache.get(CALENDAR, ALL_YEARS)
        if not hit or body is None:
            body = json.dumps([item.body for item in self.model.query(CALENDAR)], ensure_ascii=False)
            self.cache.keep(CALENDAR, ALL_YEARS, body)
        return body

    @staticmethod
    def _records(body: str) -> list[CalendarRecord]:
        records = [CalendarRecord.model_validate_json(record) for record in json.loads(body)]
        return sorted(records, key=lambda record: record.year)

    def records(self) -> list[CalendarRecord]:
        """Every loaded year, oldest first."""
        return self._records(self._records_body())

    def calendar(self) -> WorkingCalendar:
        """The division's working-day calendar: the package, the loaded years and the halls' closures."""
        body = self._records_body()
        if self._built is None or self._built[0] != body:
            self._built = (body, WorkingCalendar.from_years(self._records(body)))
        return self._built[1]

    def for_hall(self, hall_code: str) -> WorkingCalendar:
        """The division's calendar with the hall's own closures."""
        return self.calendar().for_hall(hall_code)

    def record(self, year: int) -> CalendarRecord | None:
        """One loaded year, read now (admin use)."""
        try:
            item = self.model.get(CALENDAR, str(year))
        except DoesNotExist:
            return None
        return CalendarRecord.model_validate_json(item.body)

    def save(self, year: CalendarYear, loaded_at: datetime | None = None) -> CalendarRecord:
        """Write (or replace) the record of ``year.year``."""
        now = loaded_at or datetime.now(UTC)
        record = CalendarRecord(**dict(year), loaded_at=now)
        self.model(kind=CALENDAR, code=str(record.year), body=record.model_dump_json(), loaded_at=now).save()
        self.cache.clear()
        return record

    def hall_codes(self) -> set[str]:
        """The codes of the registry's halls, which closures must name (admin use)."""
        return {item.code for item in self.model.query(HALL)}
