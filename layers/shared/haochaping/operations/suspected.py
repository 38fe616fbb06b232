"""Suspected automated ratings 疑似刷评: the hall's held ratings for its supervisors, and their
decision to release or reject each one (domain.suspicion and domain.review say why and how)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from haochaping.domain.errors import Conflict, Forbidden, NotFound
from haochaping.domain.followup import Actor, Role
from haochaping.domain.rating import Rating, utc_now
from haochaping.domain.review import Decision, decide, may_review
from haochaping.domain.suspicion import Review
from haochaping.observability import metrics
from haochaping.operations.ports import Stores

HELD_LISTED = 200  # the oldest held ratings of the hall, as many as a supervisor's page shows


def held_ratings(actor: Actor, stores: Stores) -> list[Rating]:
    """The ratings of the supervisor's hall held for review, oldest first, with their evidence;
    never one that rates the supervisor."""
    if Role.SUPERVISOR not in actor.roles:
        raise Forbidden("the ratings held for review are for the hall's supervisors")
    if not actor.hall_code:
        return []
    return [r for r in stores.ratings.held_of_hall(actor.hall_code, HELD_LISTED) if may_review(actor, r)]


def review(
    actor: Actor, tracking_code: str, decision: Decision, note: str, stores: Stores, now: datetime | None = None
) -> Rating:
    """Release a held rating (it counts; a bad review's follow-up opens from the stream) or reject
    it (not adopted, malicious; reported). Returns the rating as decided."""
    now = now or utc_now()
    rating = stores.ratings.get(tracking_code)
    if rating is None:
        raise NotFound("no such held rating")
    decided = decide(rating, actor, decision, note, now)
    if not stores.ratings.review_held(rating, decided):
        raise Conflict("another supervisor decided on this rating meanwhile; reload the list")
    metrics.add_metric(name=f"HeldRatings_{decided.review.value}", unit="Count", value=1)
    if decided.report is not None:
        stores.notices.report(decided.report)
    released_at = now if decided.review == Review.RELEASED else None
    return replace(rating, review=decided.review, released_at=released_at)
