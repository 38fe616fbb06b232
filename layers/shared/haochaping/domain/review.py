"""A supervisor's review of a rating held as suspected automated 疑似刷评: release or reject.

Released, it counts as any rating (a bad review's task opens then); rejected, it is not adopted
不予采纳 as malicious 恶意: kept, excluded from every score, and reported 通报 like every
not-adopted decision, so that the management office sees what a hall set aside as a flood.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from haochaping.domain.errors import Conflict, Forbidden, InvalidFields, NotFound
from haochaping.domain.followup import TEXT_LIMIT, Actor, Role
from haochaping.domain.rating import Rating
from haochaping.domain.suspicion import Review
from haochaping.domain.task import NotAdoptedReason, Report


class Decision(StrEnum):
    RELEASE = "release"  # 放行
    REJECT = "reject"  # 不予采纳（恶意）


@dataclass(frozen=True, slots=True)
class ReviewDecision:
    """A supervisor's decision on a held rating, and the report it makes when it rejects."""

    tracking_code: str
    review: Review
    by: str
    at: datetime
    note: str
    report: Report | None = None


def may_review(actor: Actor, rating: Rating) -> bool:
    """A supervisor of the rating's hall, who is not the staff member it rates."""
    return (
        Role.SUPERVISOR in actor.roles
        and actor.hall_code == rating.hall_code
        and actor.division_code in (None, rating.division_code)
        and actor.identity != rating.staff_job_number
    )


def decide(rating: Rating, actor: Actor, decision: Decision, note: str, now: datetime) -> ReviewDecision:
    """Release or reject a held rating; raises Forbidden, NotFound, Conflict or InvalidFields."""
    if Role.SUPERVISOR not in actor.roles:
        raise Forbidden("releasing or rejecting a held rating needs the role supervisor")
    if not may_review(actor, rating):
        # Another hall's, or one that rates the supervisor: as if it did not exist.
        raise NotFound("no such held rating")
    if rating.review != Review.HELD:
        was = rating.review.value if rating.review else "never held"
        raise Conflict(f"this rating is not held for review (it is {was})")
    note = note.strip()
    if decision == Decision.REJECT and not note:
        raise InvalidFields({"text": "say why the rating is rejected as malicious (the evidence)"})
    if len(note) > TEXT_LIMIT:
        raise InvalidFields({"text": f"at most {TEXT_LIMIT} characters"})
    if decision == Decision.RELEASE:
        return ReviewDecision(rating.tracking_code, Review.RELEASED, actor.identity, now, note)
    evidence = note if rating.suspicion is None else f"{note}（{rating.suspicion.describe()}）"
    report = Report(
        division_code=rating.division_code,
        tracking_code=rating.tracking_code,
        hall_code=rating.hall_code,
        window_code=rating.window_code,
        reason=NotAdoptedReason.MALICIOUS.value,
        evidence=evidence[:TEXT_LIMIT],
        proposed_by="system",  # the budget held it; the supervisor decided
        approved_by=actor.identity,
        decided_at=now,
        rated_staff=rating.staff_job_number,  # the staff member rated reads no report of it
    )
    return ReviewDecision(rating.tracking_code, Review.REJECTED, actor.identity, now, note, report)
