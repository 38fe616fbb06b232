"""Every key of the Ratings table in one place: the adapters write them; the bench and the tests
read items back by them.

One table holds the ratings and all that follows them. An item's partition key says what it
belongs to (a rating, a task, a hall's list, a division's reports, a one-time mark) and its sort
key what it is; the sparse indexes' keys are constants an item carries only while it belongs there.
"""

from __future__ import annotations

# Sort keys: what an item is.
RATING_SORT_KEY = "RATING"
EVALUATOR_SORT_KEY = "EVALUATOR"  # the evaluator's encrypted name and phone, beside their rating
MARK_SORT_KEY = "MARK"  # a one-time mark (a device's cool-down, a used ticket, a case's ratings) or a counter
TASK_SORT_KEY = "TASK"
AUDIT_PREFIX = "AUDIT#"  # one line of a task's audit trail, numbered

# Sparse indexes' partition keys: an item carries them only while it is to be found there.
DUE_KEY = "DUE"  # EscalationDue: an open task with a step ahead
PURGE_KEY = "PURGE"  # PurgeDue: an evaluator's data of a closed task, until removed

_RATING, _TASK, _HALL, _REPORT, _DAY = "RATING#", "TASK#", "HALL#", "REPORT#", "DAY#"
_COOLDOWN, _TICKET, _CASE = "COOLDOWN#", "TICKET#", "CASE#"
_WRONG_KEYS, _BUDGET, _HELD = "WRONGKEYS#", "BUDGET#", "HELD#"


def rating_key(tracking_code: str) -> str:
    """A rating and its evaluator."""
    return _RATING + tracking_code


def tracking_code_of_rating(key: str) -> str:
    return key.removeprefix(_RATING)


def task_key(tracking_code: str) -> str:
    """A follow-up task and its audit trail."""
    return _TASK + tracking_code


def tracking_code_of_task(key: str) -> str:
    return key.removeprefix(_TASK)


def hall_key(hall_code: str) -> str:
    """A hall's tasks (TasksByHall, and OpenTasksByHall while open)."""
    return _HALL + hall_code


def rated_day_key(day: str) -> str:
    """The ratings given on one day, Asia/Shanghai (RatingsByDay): what the day's score sheets count."""
    return _DAY + day


def report_key(division_code: str) -> str:
    """A division's reports 通报 of not-adopted decisions."""
    return _REPORT + division_code


def audit_sort_key(sequence: int) -> str:
    return f"{AUDIT_PREFIX}{sequence:04d}"


def audit_sequence(sort_key: str) -> int:
    return int(sort_key.removeprefix(AUDIT_PREFIX))


def cooldown_key(device_key: str) -> str:
    """A device's cool-down at a window (``device_key`` is the hashed device and window)."""
    return _COOLDOWN + device_key


def ticket_key(ticket_id: str) -> str:
    """A queue ticket, once used."""
    return _TICKET + ticket_id


def case_key(case_no: str) -> str:
    """A case's ratings: the first and its one follow-up rating 追评."""
    return _CASE + case_no


def wrong_keys_key(tracking_code: str, source: str, period_start: int) -> str:
    """Wrong citizen keys sent for a rating from one (hashed) source in the period starting then."""
    return f"{_WRONG_KEYS}{tracking_code}#{source}#{period_start}"


def budget_key(window_code: str, source: str, source_id: str, period_start: int) -> str:
    """The ratings of a window from one (hashed) source in the period starting then."""
    return f"{_BUDGET}{window_code}#{source}#{source_id}#{period_start}"


def held_key(hall_code: str) -> str:
    """A hall's ratings held for review as suspected automated, one item each while held."""
    return _HELD + hall_code


def held_sort_key(rated_at_iso: str, tracking_code: str) -> str:
    return f"{rated_at_iso}#{tracking_code}"
