"""The citizen's own moves on their bad review: the verdict on the fix 整改满意度 and the appeal
申诉复核, each only with the citizen's key from the receipt (the tracking code alone is what
staff see too)."""

from __future__ import annotations

from datetime import datetime

from haochaping.domain.citizen_key import (
    WRONG_KEY_PERIOD,
    citizen_key_for,
    citizen_key_matches,
    refuse_if_locked,
    refuse_wrong_key,
    source_of,
)
from haochaping.domain.errors import NotFound
from haochaping.domain.followup import Action, Actor
from haochaping.domain.rating import Rating, utc_now
from haochaping.domain.task import Task
from haochaping.observability import metrics
from haochaping.operations import followup
from haochaping.operations.ports import Stores
from haochaping.operations.rules import Rules

CITIZEN_ACTIONS = (Action.GIVE_VERDICT, Action.APPEAL)


def key_of(rating: Rating, stores: Stores) -> str:
    """The key the citizen got with this rating's receipt (derived again: it is stored nowhere)."""
    return citizen_key_for(rating.submission_id, stores.signing_secret())


def check_key(tracking_code: str, key: str | None, address: str | None, stores: Stores, now: datetime) -> Rating:
    """The rating, when ``key`` is its citizen's key; otherwise 403, or 429 for a source that sent
    too many wrong keys for it lately. Only wrong keys are counted, never a missing one."""
    rating = stores.ratings.get(tracking_code)
    if rating is None:
        raise NotFound("no rating has this tracking code")
    secret = stores.signing_secret()
    source = source_of(address, secret)
    refuse_if_locked(stores.wrong_keys.tally(tracking_code, source, now, WRONG_KEY_PERIOD), now)
    if citizen_key_matches(rating.submission_id, key, secret):
        return rating
    if key:
        stores.wrong_keys.add(tracking_code, source, now, WRONG_KEY_PERIOD)
        metrics.add_metric(name="WrongCitizenKeys", unit="Count", value=1)
    raise refuse_wrong_key(present=bool(key))


def act(
    tracking_code: str,
    key: str | None,
    address: str | None,
    action: Action,
    stores: Stores,
    rules: Rules,
    *,
    text: str = "",
    verdict: str | None = None,
    now: datetime | None = None,
) -> Task:
    """The citizen's verdict or appeal, once their key is checked."""
    if action not in CITIZEN_ACTIONS:
        raise ValueError(f"{action.value} is not a citizen's move")
    now = now or utc_now()
    check_key(tracking_code, key, address, stores, now)
    return followup.act(
        Actor.citizen(), tracking_code, action, None, stores, rules, text=text, verdict=verdict, now=now
    )
