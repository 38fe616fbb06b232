"""The registry of a division: halls, departments, windows, staff, rosters and rating tags.

Admins keep it in files (infra/registry/) and load it with `haochaping registry load`; the
functions read it back, window by window, and cache it.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from haochaping.domain.rating import (
    CHINA_TIME,
    CREDIT_CODE_PATTERN,
    HALL_CODE_PATTERN,
    JOB_NUMBER_PATTERN,
    WINDOW_CODE_PATTERN,
    Level,
)

_frozen = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
# 行政区划代码: 6 digits for a city or county/district, 9 (the county's 6 and 3) for a township or street.
DIVISION_CODE_PATTERN = r"^(\d{6}|\d{9})$"


class Hall(BaseModel):
    """Service hall 办事大厅."""

    model_config = _frozen
    code: str = Field(pattern=HALL_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=60)
    name_en: str = Field(default="", max_length=120)
    address: str = Field(default="", max_length=120)


class Department(BaseModel):
    """Department 部门, named by its unified social credit code 统一社会信用代码."""

    model_config = _frozen
    code: str = Field(pattern=CREDIT_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=60)
    name_en: str = Field(default="", max_length=120)


class Window(BaseModel):
    """Service window 窗口: what a QR plate points at."""

    model_config = _frozen
    code: str = Field(pattern=WINDOW_CODE_PATTERN)
    hall_code: str = Field(pattern=HALL_CODE_PATTERN)
    number: str = Field(min_length=1, max_length=12)
    name: str = Field(min_length=1, max_length=60)
    name_en: str = Field(default="", max_length=120)
    department_code: str = Field(pattern=CREDIT_CODE_PATTERN)
    item_codes: tuple[str, ...] = ()
    active: bool = True


class StaffRole(StrEnum):
    CLERK = "clerk"  # window staff 窗口工作人员
    OFFICER = "officer"  # follow-up officer 回访专员
    SUPERVISOR = "supervisor"  # 督办/审核
    ADMIN = "admin"  # district admin 管理员
    # The same-level management office 同级政务服务管理办公室: receives the not-adopted reports 通报 of the
    # whole division and oversees them. Neither a hall's supervisor (who took part in the decisions)
    # nor an admin (who keeps the registry and the plates).
    OVERSEER = "overseer"


class Staff(BaseModel):
    """Staff member 工作人员; citizens only ever see the job number 工号."""

    model_config = _frozen
    job_number: str = Field(pattern=JOB_NUMBER_PATTERN)
    name: str = Field(min_length=1, max_length=40)
    role: StaffRole
    hall_code: str = Field(pattern=HALL_CODE_PATTERN)
    # The department the person works for, where it matters: an officer of a department follows up
    # that department's bad reviews in the hall (专人, 谁办理、谁负责); none: the hall's own.
    department_code: str | None = Field(default=None, pattern=CREDIT_CODE_PATTERN)


Weekday = Annotated[int, Field(ge=1, le=7)]


class Shift(BaseModel):
    """Roster entry 排班: who sits at which window, on which weekdays and hours, over which dates."""

    model_config = _frozen
    window_code: str = Field(pattern=WINDOW_CODE_PATTERN)
    job_number: str
    weekdays: tuple[Weekday, ...] = (1, 2, 3, 4, 5)
    start: time = time(9, 0)
    end: time = time(17, 30)
    valid_from: date
    valid_to: date | None = None

    def covers(self, moment: datetime) -> bool:
        local = moment.astimezone(CHINA_TIME)
        day = local.date()
        if day < self.valid_from or (self.valid_to is not None and day > self.valid_to):
            return False
        return local.isoweekday() in self.weekdays and self.start <= local.time() < self.end


class Tag(BaseModel):
    """Rating tag 评价内容: the level digit plus a 2-digit index, e.g. 201."""

    model_config = _frozen
    code: str = Field(pattern=r"^[1-5]\d{2}$")
    name: str = Field(min_length=1, max_length=30)
    name_en: str = Field(default="", max_length=60)

    @property
    def level(self) -> Level:
        return Level(int(self.code[0]))


class TagSet(BaseModel):
    """The current, versioned list of tags; admins publish a new version to change it."""

    model_config = _frozen
    version: str = Field(pattern=r"^[A-Za-z0-9.-]{1,20}$")
    tags: tuple[Tag, ...]

    def for_level(self, level: Level) -> tuple[Tag, ...]:
        return tuple(tag for tag in self.tags if tag.level == level)

    def invalid_for_level(self, level: Level, codes: list[str] | tuple[str, ...]) -> list[str]:
        valid = {tag.code for tag in self.for_level(level)}
        return [code for code in codes if code not in valid]


class WindowEntry(BaseModel):
    """One window with what a rating needs to know about it, stored as one registry item."""

    model_config = _frozen
    window: Window
    hall: Hall
    department: Department
    shifts: tuple[Shift, ...] = ()

    def staff_on_duty(self, moment: datetime) -> str | None:
        """Job number of the staff member on duty at that instant, per the roster."""
        for shift in self.shifts:
            if shift.covers(moment):
                return shift.job_number
        return None


class Registry(BaseModel):
    """A division's whole registry, as loaded from files; checked for dangling references."""

    # Built when a registry is first loaded (the admin tools): a function reads one record at a
    # time and never pays for this model at its cold start.
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, defer_build=True)
    division_code: str = Field(pattern=DIVISION_CODE_PATTERN)
    demo: bool = False
    halls: tuple[Hall, ...]
    departments: tuple[Department, ...]
    windows: tuple[Window, ...]
    staff: tuple[Staff, ...] = ()
    shifts: tuple[Shift, ...] = ()
    tag_set: TagSet

    @model_validator(mode="after")
    def _references_resolve(self) -> Registry:
        problems: list[str] = []
        for kind, codes in (
            ("hall", [h.code for h in self.halls]),
            ("department", [d.code for d in self.departments]),
            ("window", [w.code for w in self.windows]),
            ("staff", [s.job_number for s in self.staff]),
            ("tag", [t.code for t in self.tag_set.tags]),
        ):
            duplicates = sorted({c for c in codes if codes.count(c) > 1})
            if duplicates:
                problems.append(f"duplicate {kind} codes: {', '.join(duplicates[:5])}")
        halls = {h.code for h in self.halls}
        departments = {d.code for d in self.departments}
        windows = {w.code for w in self.windows}
        staff = {s.job_number for s in self.staff}
        for window in self.windows:
            if window.hall_code not in halls:
                problems.append(f"window {window.code}: unknown hall {window.hall_code}")
            if window.department_code not in departments:
                problems.append(f"window {window.code}: unknown department {window.department_code}")
        for person in self.staff:
            if person.hall_code not in halls:
                problems.append(f"staff {person.job_number}: unknown hall {person.hall_code}")
            if person.department_code is not None and person.department_code not in departments:
                problems.append(f"staff {person.job_number}: unknown department {person.department_code}")
        for shift in self.shifts:
            if shift.window_code not in windows:
                problems.append(f"roster: unknown window {shift.window_code}")
            if shift.job_number not in staff:
                problems.append(f"roster: unknown staff {shift.job_number}")
        if problems:
            raise ValueError("; ".join(problems[:20]))
        return self

    def window_entries(self) -> list[WindowEntry]:
        halls = {h.code: h for h in self.halls}
        departments = {d.code: d for d in self.departments}
        shifts: dict[str, list[Shift]] = {}
        for shift in self.shifts:
            shifts.setdefault(shift.window_code, []).append(shift)
        return [
            WindowEntry(
                window=window,
                hall=halls[window.hall_code],
                department=departments[window.department_code],
                shifts=tuple(shifts.get(window.code, ())),
            )
            for window in self.windows
        ]

    def followup_officers(self, hall_code: str, department_code: str) -> list[str]:
        """Whom a bad review of this department's window in this hall goes to 谁办理、谁负责: the
        department's own follow-up officers in the hall; when it has none, the hall's (officers of no
        department); when the hall has none of those either, every officer of the hall, so that no
        bad review is left without someone to take it on."""
        officers = [p for p in self.staff if p.hall_code == hall_code and p.role == StaffRole.OFFICER]
        own = [p for p in officers if p.department_code == department_code]
        hall_wide = [p for p in officers if p.department_code is None]
        return [p.job_number for p in own or hall_wide or officers]

    def responsible_units(self) -> list[tuple[str, str]]:
        """Every (hall, department) that has a window in the hall: where a bad review can come from."""
        return sorted({(w.hall_code, w.department_code) for w in self.windows})
