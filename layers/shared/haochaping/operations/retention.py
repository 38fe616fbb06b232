"""Retention of evaluators' personal data: names and phones go a set time after their task closed."""

from __future__ import annotations

from datetime import datetime

from haochaping.domain.rating import utc_now
from haochaping.operations.ports import Stores


def purge_personal_data(stores: Stores, now: datetime | None = None) -> int:
    """Remove evaluators' personal data whose retention period ended; returns how many."""
    due = stores.tasks.personal_data_due(now or utc_now())
    for tracking_code in due:
        stores.tasks.remove_personal_data(tracking_code)
    return len(due)
