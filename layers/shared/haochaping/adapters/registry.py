"""Registry storage: one item per window (with hall, department and roster), one tag set.

Functions cache what they read for a few minutes per execution environment, so the
submission path reads the registry at most once per window while warm.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist

from haochaping.adapters.registry_records import (
    CURRENT,
    DEPARTMENT,
    FOLLOWUP_OFFICERS,
    HALL,
    META,
    OFFICERS,
    STAFF,
    SUPERVISORS,
    TAGS,
    WINDOW,
    RecordCache,
    followup_officers_code,
)
from haochaping.adapters.tables import RegistryItem
from haochaping.domain.registry import Department, Hall, Registry, Staff, StaffRole, TagSet, WindowEntry
from haochaping.domain.scores import Scope, ScopeKind


class RegistryStore:
    """The registry records of one stack's Registry table, cached per execution environment."""

    def __init__(self, model: type[RegistryItem], cache: RecordCache) -> None:
        self.model, self.cache = model, cache

    def window_and_tags(self, window_code: str) -> tuple[WindowEntry | None, TagSet | None]:
        """The window's entry and the current tag set, in one batch read when not cached."""
        wanted = [(WINDOW, window_code), (TAGS, CURRENT)]
        missing = [key for key in wanted if not self.cache.get(*key)[0]]
        if missing:
            found = {(item.kind, item.code): item.body for item in self.model.batch_get(missing)}
            for key in missing:
                self.cache.keep(key[0], key[1], found.get(key))
        window_body = self.cache.get(WINDOW, window_code)[1]
        tags_body = self.cache.get(TAGS, CURRENT)[1]
        return (
            WindowEntry.model_validate_json(window_body) if window_body else None,
            TagSet.model_validate_json(tags_body) if tags_body else None,
        )

    def save_registry(self, registry: Registry) -> int:
        """Write every record of the registry; returns how many items were written."""
        now = datetime.now(UTC)
        items: list[RegistryItem] = []

        def add(kind: str, code: str, body: str) -> None:
            items.append(self.model(kind=kind, code=code, body=body, loaded_at=now))

        for entry in registry.window_entries():
            add(WINDOW, entry.window.code, entry.model_dump_json())
        for hall in registry.halls:
            add(HALL, hall.code, hall.model_dump_json())
        for department in registry.departments:
            add(DEPARTMENT, department.code, department.model_dump_json())
        for person in registry.staff:
            add(STAFF, person.job_number, person.model_dump_json())
        for hall in registry.halls:
            for kind, role in ((OFFICERS, StaffRole.OFFICER), (SUPERVISORS, StaffRole.SUPERVISOR)):
                people = [p.job_number for p in registry.staff if p.hall_code == hall.code and p.role == role]
                add(kind, hall.code, json.dumps(people))
        for hall_code, department_code in registry.responsible_units():
            officers = registry.followup_officers(hall_code, department_code)
            add(FOLLOWUP_OFFICERS, followup_officers_code(hall_code, department_code), json.dumps(officers))
        add(TAGS, CURRENT, registry.tag_set.model_dump_json())
        add(META, CURRENT, registry.model_dump_json(include={"division_code", "demo"}))
        with self.model.batch_write() as batch:
            for item in items:
                batch.save(item)
        self.cache.clear()
        return len(items)

    def read_registry(self) -> Registry | None:
        """The whole registry back from the table, one query per kind (admin export only)."""
        bodies: dict[str, list[str]] = {}
        for kind in (WINDOW, HALL, DEPARTMENT, STAFF, TAGS, META):
            bodies[kind] = [item.body for item in self.model.query(kind)]
        if not bodies[META] or not bodies[TAGS]:
            return None
        meta_fields = json.loads(bodies[META][0])
        entries = [WindowEntry.model_validate_json(body) for body in bodies[WINDOW]]
        return Registry(
            division_code=meta_fields["division_code"],
            demo=meta_fields.get("demo", False),
            halls=tuple(Hall.model_validate_json(b) for b in bodies[HALL]),
            departments=tuple(Department.model_validate_json(b) for b in bodies[DEPARTMENT]),
            windows=tuple(entry.window for entry in entries),
            staff=tuple(Staff.model_validate_json(b) for b in bodies[STAFF]),
            shifts=tuple(shift for entry in entries for shift in entry.shifts),
            tag_set=TagSet.model_validate_json(bodies[TAGS][0]),
        )

    def _body(self, kind: str, code: str) -> str | None:
        """One record's body, from the cache or with one read."""
        hit, body = self.cache.get(kind, code)
        if not hit:
            try:
                body = self.model.get(kind, code).body
            except DoesNotExist:
                body = None
            self.cache.keep(kind, code, body)
        return body

    def hall_officers(self, hall_code: str) -> list[str]:
        """Job numbers of the hall's follow-up officers (cached like the windows)."""
        body = self._body(OFFICERS, hall_code)
        return list(json.loads(body)) if body else []

    def hall_supervisors(self, hall_code: str) -> list[str]:
        """Job numbers of the hall's supervisors (cached like the windows); none for a hall whose
        registry was loaded before they were recorded, so that its appeals go to the division."""
        body = self._body(SUPERVISORS, hall_code)
        return list(json.loads(body)) if body else []

    def followup_officers(self, hall_code: str, department_code: str) -> list[str]:
        """Job numbers of the officers a bad review of this department's window in this hall goes to
        (Registry.followup_officers); the hall's officers when the registry was loaded before
        departments had officers of their own (cached like the windows)."""
        body = self._body(FOLLOWUP_OFFICERS, followup_officers_code(hall_code, department_code))
        return list(json.loads(body)) if body is not None else self.hall_officers(hall_code)

    def unit_names(self) -> dict[Scope, tuple[str, str]]:
        """Every window's, department's and hall's names (Chinese, English), from the window items,
        which carry their hall and department: one query."""
        names: dict[Scope, tuple[str, str]] = {}
        for item in self.model.query(WINDOW):
            entry = WindowEntry.model_validate_json(item.body)
            names[Scope(ScopeKind.WINDOW, entry.window.code)] = (entry.window.name, entry.window.name_en)
            names[Scope(ScopeKind.HALL, entry.hall.code)] = (entry.hall.name, entry.hall.name_en)
            department = entry.department
            names[Scope(ScopeKind.DEPARTMENT, department.code)] = (department.name, department.name_en)
        return names

    def current_tag_set(self) -> TagSet | None:
        body = self._body(TAGS, CURRENT)
        return TagSet.model_validate_json(body) if body else None
