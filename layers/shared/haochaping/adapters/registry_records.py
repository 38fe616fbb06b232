"""The kinds of record in the registry table, and what an execution environment keeps of them.

Apart from the registry's models so that a function reading only other records (the working-day
calendar) does not build those models at cold start.
"""

from __future__ import annotations

import time

WINDOW, TAGS, HALL, DEPARTMENT, STAFF, META = "window", "tags", "hall", "department", "staff", "meta"
OFFICERS = "officers"  # a hall's follow-up officers 回访专员, by job number
CURRENT = "current"
CACHE_SECONDS = 300.0

_cache: dict[tuple[str, str], tuple[float, str | None]] = {}


def clear_cache() -> None:
    _cache.clear()


def cached_body(kind: str, code: str) -> tuple[bool, str | None]:
    """(hit, body) of a registry record read within the last CACHE_SECONDS; a miss may be None."""
    hit = _cache.get((kind, code))
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return True, hit[1]
    return False, None


def remember_body(kind: str, code: str, body: str | None) -> None:
    """Keep a record's body (None: it does not exist) for CACHE_SECONDS in this execution environment."""
    _cache[(kind, code)] = (time.monotonic(), body)
