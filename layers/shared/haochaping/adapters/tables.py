"""PynamoDB models of the stack's tables, and their binding to one stack's table names.

The models below name no table. A store gets its own subclasses of them bound to the names in
its settings (:class:`RatingsTable`, :class:`RegistryTable`), so nothing global decides which
table an operation touches, and two stacks' stores live side by side in one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, TypeVar, cast

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from haochaping.adapters.keys import report_key

if TYPE_CHECKING:
    from haochaping.domain.task import Report


class TasksByHall(GlobalSecondaryIndex["TaskItem"]):
    class Meta:
        index_name = "TasksByHall"
        projection = AllProjection()

    hall_key = UnicodeAttribute(hash_key=True)
    opened_key = UnicodeAttribute(range_key=True)


class OpenTasksByHall(GlobalSecondaryIndex["TaskItem"]):
    class Meta:
        index_name = "OpenTasksByHall"
        projection = AllProjection()

    open_hall_key = UnicodeAttribute(hash_key=True)
    opened_key = UnicodeAttribute(range_key=True)


class PurgeDue(GlobalSecondaryIndex["EvaluatorItem"]):
    class Meta:
        index_name = "PurgeDue"
        projection = KeysOnlyProjection()

    purge_key = UnicodeAttribute(hash_key=True)
    purge_at = UnicodeAttribute(range_key=True)


class EscalationDue(GlobalSecondaryIndex["TaskItem"]):
    """Open tasks by the time of their next escalation step; a task leaves it when nothing is due."""

    class Meta:
        index_name = "EscalationDue"
        projection = IncludeProjection(["next_step"])

    due_key = UnicodeAttribute(hash_key=True)
    next_step_at = UnicodeAttribute(range_key=True)


class RatingsByDay(GlobalSecondaryIndex["RatingItem"]):
    """The ratings of one day (Asia/Shanghai), for recounting its score sheets without a scan.

    Keyed by the day alone, not hall and day: a stack serves one division, whose ratings in a day
    are far below what one partition takes, and one query then finds every hall rated that day,
    a hall whose sheet went missing altogether included."""

    class Meta:
        index_name = "RatingsByDay"
        projection = AllProjection()

    rated_day = UnicodeAttribute(hash_key=True)


class RatingItem(Model):
    """One rating 评价; key ``RATING#<tracking code>`` so a resubmission hits the same item."""

    class Meta:
        table_name = None  # bound by RatingsTable

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(default="rating")
    tracking_code = UnicodeAttribute()
    submission_id = UnicodeAttribute()
    division_code = UnicodeAttribute()
    window_code = UnicodeAttribute()
    hall_code = UnicodeAttribute()
    department_code = UnicodeAttribute()
    staff_job_number = UnicodeAttribute(null=True)
    level = NumberAttribute()
    bad_review = BooleanAttribute()
    channel = UnicodeAttribute()
    pf_code = NumberAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    tag_version = UnicodeAttribute()
    comment = UnicodeAttribute(default="")
    case_no = UnicodeAttribute(null=True)
    item_code = UnicodeAttribute(null=True)
    real_name = BooleanAttribute(default=False)
    assess_number = NumberAttribute(default=1)
    rated_at = UTCDateTimeAttribute()
    not_adopted = BooleanAttribute(default=False)  # 不予采纳: kept, excluded from every score
    # 疑似刷评: "held" for review (in no score: what the scores read), then "released" or "rejected"
    # (rejected is not adopted as malicious, not_adopted set too); absent when never suspected.
    review = UnicodeAttribute(null=True)
    suspicion = UnicodeAttribute(null=True)  # the budgets it went over, as JSON: the evidence
    released_at = UTCDateTimeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    reviewed_at = UTCDateTimeAttribute(null=True)
    review_note = UnicodeAttribute(null=True)
    rated_day = UnicodeAttribute(null=True)  # RatingsByDay index (null on ratings written before it)
    ratings_by_day = RatingsByDay()


class EvaluatorItem(Model):
    """The evaluator's name and phone 评价人, KMS-encrypted, beside their rating (``EVALUATOR``).

    Kept apart from the rating so it can be removed a retention period after the task closes
    (TTL, and the daily purge through the sparse PurgeDue index) while the rating stays.
    """

    class Meta:
        table_name = None  # bound by RatingsTable

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(default="evaluator")
    ciphertext = BinaryAttribute(legacy_encoding=False)
    purge_key = UnicodeAttribute(null=True)  # "PURGE" once the task closed: PurgeDue index
    purge_at = UnicodeAttribute(null=True)  # ISO time after which it is removed
    expires_at = TTLAttribute(null=True)
    purge_due = PurgeDue()


class MarkItem(Model):
    """A one-time mark claimed in the same write as a rating (a used ticket, a device's
    cool-down at a window, the number of ratings a case has had), or a counter of one period
    (wrong citizen keys from a source)."""

    class Meta:
        table_name = None  # bound by RatingsTable

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    until = NumberAttribute(null=True)  # epoch seconds; for cool-downs
    rating_count = NumberAttribute(null=True)  # for cases: 1, then 2 after a follow-up rating
    first_rated_at = UTCDateTimeAttribute(null=True)
    tracking_codes = ListAttribute(of=UnicodeAttribute, null=True)
    tally = NumberAttribute(null=True)  # for counters: how many in the period
    expires_at = TTLAttribute(null=True)


class HeldItem(Model):
    """A rating held for review, on its hall's list (``HELD#<hall>``) until a supervisor decides:
    what the list shows, so it is read in one query without the ratings themselves."""

    class Meta:
        table_name = None  # bound by RatingsTable

    pk = UnicodeAttribute(hash_key=True)  # HELD#<hall>
    sk = UnicodeAttribute(range_key=True)  # <rated at ISO>#<tracking code>
    kind = UnicodeAttribute(default="held")
    tracking_code = UnicodeAttribute()


class RegistryItem(Model):
    """One registry record (a window with its hall, department and roster; the tag set)."""

    class Meta:
        table_name = None  # bound by registry_table

    kind = UnicodeAttribute(hash_key=True)
    code = UnicodeAttribute(range_key=True)
    body = UnicodeAttribute()  # the pydantic model as JSON
    loaded_at = UTCDateTimeAttribute()


class TaskItem(Model):
    """A follow-up task 回访核实任务, key ``TASK#<tracking code>``: one per bad review."""

    class Meta:
        table_name = None  # bound by RatingsTable

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(default="task")
    hall_key = UnicodeAttribute()  # TasksByHall index
    opened_key = UnicodeAttribute()
    tasks_by_hall = TasksByHall()
    open_hall_key = UnicodeAttribute(null=True)  # the hall key while open: OpenTasksByHall index
    open_tasks_by_hall = OpenTasksByHall()
    tracking_code = UnicodeAttribute()
    division_code = UnicodeAttribute()
    hall_code = UnicodeAttribute()
    window_code = UnicodeAttribute()
    rated_staff = UnicodeAttribute(null=True)
    officers = ListAttribute(of=UnicodeAttribute, default=list)
    real_name = BooleanAttribute(default=False)
    state = UnicodeAttribute()
    version = NumberAttribute()  # people's moves: what a staff form names
    # Every write of the item, people's and the system's, full or partial: a full write is made
    # only over the revision it was computed from, so nothing written meanwhile is undone.
    revision = NumberAttribute(null=True)
    opened_at = UTCDateTimeAttribute()
    first_contact_due = UTCDateTimeAttribute()
    rectification_due = UTCDateTimeAttribute()
    deadlines_provisional = BooleanAttribute(default=False)
    body = UnicodeAttribute()  # the rest of the domain task, as JSON
    notified_at = UTCDateTimeAttribute(null=True)
    due_key = UnicodeAttribute(null=True)  # "DUE" while a step is ahead: EscalationDue index
    next_step_at = UnicodeAttribute(null=True)  # ISO time (UTC) of that step
    next_step = UnicodeAttribute(null=True)  # its key (deadline|due|rung)
    escalations_due = EscalationDue()
    notified_step = UnicodeAttribute(null=True)  # the last step whose notice went out


class ReportItem(Model):
    """A not-adopted decision reported 通报 to the same-level management office."""

    class Meta:
        table_name = None  # bound by RatingsTable

    pk = UnicodeAttribute(hash_key=True)  # REPORT#<division>
    sk = UnicodeAttribute(range_key=True)  # <decided at ISO>#<tracking code>
    kind = UnicodeAttribute(default="report")
    tracking_code = UnicodeAttribute()
    hall_code = UnicodeAttribute()
    window_code = UnicodeAttribute()
    reason = UnicodeAttribute()
    evidence = UnicodeAttribute()
    proposed_by = UnicodeAttribute()
    approved_by = UnicodeAttribute()
    decided_at = UTCDateTimeAttribute()
    rated_staff = UnicodeAttribute(null=True)
    # Always written now; None only on a report from before who may read one followed its task.
    appeal_to_division = BooleanAttribute(null=True)


class AuditItem(Model):
    """One immutable line of a task's audit trail; written only with a does-not-exist condition."""

    class Meta:
        table_name = None  # bound by RatingsTable

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # AUDIT#0001 …
    kind = UnicodeAttribute(default="audit")
    actor = UnicodeAttribute()
    role = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    action = UnicodeAttribute()
    from_state = UnicodeAttribute()
    to_state = UnicodeAttribute()
    reason = UnicodeAttribute(default="")  # what the person wrote
    codes = UnicodeAttribute(null=True)  # what the move chose, as codes (JSON): named by each reader


M = TypeVar("M", bound=Model)


def _bound(model: type[M], table_name: str) -> type[M]:
    """A subclass of ``model`` on ``table_name``; PynamoDB gives it its own connection and its
    own copies of the model's indexes."""
    meta = type("Meta", (), {"table_name": table_name})
    namespace = {"Meta": meta, "__module__": model.__module__, "__qualname__": model.__qualname__}
    return cast(type[M], type(model.__name__, (model,), namespace))


@dataclass(frozen=True)
class RatingsTable:
    """The models of one stack's Ratings table: ratings and everything that follows them."""

    name: str
    rating: type[RatingItem]
    evaluator: type[EvaluatorItem]
    mark: type[MarkItem]
    task: type[TaskItem]
    audit: type[AuditItem]
    report: type[ReportItem]
    held: type[HeldItem]
    connection: Connection  # for transactions, which PynamoDB 6 wants given one

    @classmethod
    def named(cls, name: str) -> RatingsTable:
        return cls(
            name=name,
            rating=_bound(RatingItem, name),
            evaluator=_bound(EvaluatorItem, name),
            mark=_bound(MarkItem, name),
            task=_bound(TaskItem, name),
            audit=_bound(AuditItem, name),
            report=_bound(ReportItem, name),
            held=_bound(HeldItem, name),
            connection=Connection(),
        )


def report_item(table: RatingsTable, report: Report) -> ReportItem:
    """A not-adopted decision's report 通报 on its division's list, as every decision writes it."""
    return table.report(
        pk=report_key(report.division_code),
        sk=f"{report.decided_at.astimezone(UTC).isoformat()}#{report.tracking_code}",
        tracking_code=report.tracking_code,
        hall_code=report.hall_code,
        window_code=report.window_code,
        reason=report.reason,
        evidence=report.evidence,
        proposed_by=report.proposed_by,
        approved_by=report.approved_by,
        decided_at=report.decided_at,
        rated_staff=report.rated_staff,
        appeal_to_division=report.appeal_to_division,
    )


def registry_table(name: str) -> type[RegistryItem]:
    """The registry model on one stack's Registry table."""
    return _bound(RegistryItem, name)
