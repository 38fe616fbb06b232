"""Retention of evaluators' personal data: names and phones go a set time after their task closed.

Apart from the follow-up service so that the daily purge loads only the task store.
"""

from __future__ import annotations

from datetime import datetime

from haochaping.adapters import tasks as task_store
from haochaping.adapters.tables import bind_tables
from haochaping.domain.rating import utc_now
from haochaping.settings import Settings


def purge_personal_data(settings: Settings, now: datetime | None = None) -> int:
    """Remove evaluators' personal data whose retention period ended; returns how many."""
    bind_tables(settings.ratings_table, settings.registry_table)
    removed = 0
    for pk, sk in task_store.due_for_purge(now or utc_now()):
        task_store.delete_personal_data(pk, sk)
        removed += 1
    return removed
