"""The kinds of record in the registry table, and what an execution environment keeps of them.

Apart from the registry's models so that a function reading only other records (the working-day
calendar) does not build those models at cold start.
"""

from __future__ import annotations

import time

WINDOW, TAGS, HALL, DEPARTMENT, STAFF, META = "window", "tags", "hall", "department", "staff", "meta"
OFFICERS = "officers"  # a hall's follow-up officers 回访专员, by job number
SUPERVISORS = "supervisors"  # a hall's supervisors 督办员, by job number
# Whom a department's bad reviews in a hall go to (Registry.followup_officers), by job number;
# its code is followup_officers_code(hall, department).
FOLLOWUP_OFFICERS = "followup_officers"
CURRENT = "current"
CACHE_SECONDS = 300.0


def followup_officers_code(hall_code: str, department_code: str) -> str:
    return f"{hall_code}#{department_code}"


class RecordCache:
    """What an execution environment keeps of one registry table's records, for CACHE_SECONDS:
    the submission path reads the registry at most once per window while warm."""

    def __init__(self) -> None:
        self._bodies: dict[tuple[str, str], tuple[float, str | None]] = {}

    def clear(self) -> None:
        self._bodies.clear()

    def get(self, kind: str, code: str) -> tuple[bool, str | None]:
        """(hit, body) of a record read within the last CACHE_SECONDS; a miss may be None."""
        hit = self._bodies.get((kind, code))
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return True, hit[1]
        return False, None

    def keep(self, kind: str, code: str, body: str | None) -> None:
        """Keep a record's body (None: it does not exist)."""
        self._bodies[(kind, code)] = (time.monotonic(), body)
