"""Repository of follow-up tasks 回访核实任务 and their audit trails, on the Ratings table.

Operations see tasks only: the item's revision (how a write knows nobody wrote between its read
and itself) and every key stay here. A move is written with :meth:`TaskStore.change`, which
reads the task, lets the operation decide, and writes the decision over the revision it read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from haochaping.adapters.keys import (
    AUDIT_PREFIX,
    DUE_KEY,
    EVALUATOR_SORT_KEY,
    PURGE_KEY,
    RATING_SORT_KEY,
    TASK_SORT_KEY,
    audit_sequence,
    audit_sort_key,
    hall_key,
    rating_key,
    report_key,
    task_key,
    tracking_code_of_rating,
    tracking_code_of_task,
)
from haochaping.adapters.tables import (
    AuditItem,
    EvaluatorItem,
    RatingItem,
    RatingsTable,
    ReportItem,
    TaskItem,
    report_item,
)
from haochaping.domain.followup import ChangedMeanwhile
from haochaping.domain.task import (
    AttemptOutcome,
    AuditEntry,
    CallBackAttempt,
    DeadlineKind,
    Escalation,
    NotAdoptedReason,
    Report,
    Rung,
    Step,
    Task,
    TaskChange,
    TaskState,
    Verdict,
)

_BODY_FIELDS = (
    "contacted_at",
    "outcome",
    "explanation",
    "feedback",
    "verdict",
    "not_adopted_reason",
    "evidence",
    "proposed_by",
    "approved_by",
    "appeal_to_division",
    "appeal",
    "appeal_open",
    "appeal_decided",
    "appeal_deadline",
    "called_back",
    "unreachable",
    "reopenings",
    "closed_at",
    "rating_void",
    "counted_from",
    "holder",
    "contact_recorded_at",
    "level",
    "tags",
)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def _encode_escalation(escalation: Escalation) -> dict[str, str]:
    return {
        "key": escalation.key,
        "deadline": escalation.deadline.value,
        "due_at": _encode(escalation.due_at),
        "rung": escalation.rung.value,
        "at": _encode(escalation.at),
    }


def _decode_escalation(raw: dict[str, str]) -> Escalation:
    return Escalation(
        key=raw["key"],
        deadline=DeadlineKind(raw["deadline"]),
        due_at=datetime.fromisoformat(raw["due_at"]),
        rung=Rung(raw["rung"]),
        at=datetime.fromisoformat(raw["at"]),
    )


def _encode_attempt(attempt: CallBackAttempt) -> dict[str, str]:
    return {"at": _encode(attempt.at), "by": attempt.by, "outcome": attempt.outcome.value}


def _decode_attempt(raw: dict[str, str]) -> CallBackAttempt:
    return CallBackAttempt(at=datetime.fromisoformat(raw["at"]), by=raw["by"], outcome=AttemptOutcome(raw["outcome"]))


def _approver(audit: list[AuditItem]) -> str | None:
    """Who approved the standing not-adopted decision, from the trail: for a task written before
    the approver was recorded on it (an upheld appeal undoes the decision, and its approver)."""
    approver = None
    for line in audit:
        if line.action == "approve_not_adopted":
            approver = line.actor
        elif line.action == "uphold_appeal":
            approver = None
    return approver


def _to_item(model: type[TaskItem], task: Task, officers: list[str], due: Step | None) -> TaskItem:
    body = {name: _encode(getattr(task, name)) for name in _BODY_FIELDS}
    body["escalations"] = [_encode_escalation(e) for e in task.escalations]
    body["call_back_attempts"] = [_encode_attempt(a) for a in task.call_back_attempts]
    return model(
        pk=task_key(task.tracking_code),
        sk=TASK_SORT_KEY,
        hall_key=hall_key(task.hall_code),
        opened_key=task.opened_at.astimezone(UTC).isoformat(),
        # Only an open task is in the OpenTasksByHall index: the hall's work list is never cut short.
        open_hall_key=hall_key(task.hall_code) if task.open else None,
        tracking_code=task.tracking_code,
        division_code=task.division_code,
        hall_code=task.hall_code,
        window_code=task.window_code,
        rated_staff=task.rated_staff,
        officers=officers,
        real_name=task.real_name,
        state=task.state.value,
        version=task.version,
        opened_at=task.opened_at,
        first_contact_due=task.first_contact_due,
        rectification_due=task.rectification_due,
        deadlines_provisional=task.deadlines_provisional,
        body=json.dumps(body, ensure_ascii=False),
        notified_at=task.officers_notified_at,
        notified_step=task.notified_step,
        # Only a task with a step ahead is in the EscalationDue index: the sweep reads nothing else.
        **_index_keys(due),
    )


def _index_keys(due: Step | None) -> dict[str, Any]:
    """The EscalationDue index's attributes: a task is in the index only while a step is ahead."""
    if due is None:
        return {"due_key": None, "next_step_at": None, "next_step": None}
    return {"due_key": DUE_KEY, "next_step_at": due.at.astimezone(UTC).isoformat(), "next_step": due.key}


def _from_items(item: TaskItem, audit: list[AuditItem]) -> Task:
    body = json.loads(item.body or "{}")

    def moment(name: str) -> datetime | None:
        return datetime.fromisoformat(body[name]) if body.get(name) else None

    return Task(
        tracking_code=item.tracking_code,
        division_code=item.division_code,
        hall_code=item.hall_code,
        window_code=item.window_code,
        rated_staff=item.rated_staff,
        real_name=bool(item.real_name),
        state=TaskState(item.state),
        version=int(item.version),
        opened_at=item.opened_at,
        first_contact_due=item.first_contact_due,
        rectification_due=item.rectification_due,
        deadlines_provisional=bool(item.deadlines_provisional),
        contacted_at=moment("contacted_at"),
        outcome=TaskState(body["outcome"]) if body.get("outcome") else None,
        explanation=body.get("explanation", ""),
        feedback=body.get("feedback", ""),
        verdict=Verdict(body["verdict"]) if body.get("verdict") else None,
        not_adopted_reason=NotAdoptedReason(body["not_adopted_reason"]) if body.get("not_adopted_reason") else None,
        evidence=body.get("evidence", ""),
        proposed_by=body.get("proposed_by"),
        approved_by=body["approved_by"] if "approved_by" in body else _approver(audit),
        appeal_to_division=bool(body.get("appeal_to_division")),
        appeal=body.get("appeal", ""),
        appeal_open=bool(body.get("appeal_open")),
        appeal_decided=bool(body.get("appeal_decided")),
        appeal_deadline=moment("appeal_deadline"),
        called_back=bool(body.get("called_back")),
        call_back_attempts=tuple(_decode_attempt(a) for a in body.get("call_back_attempts", [])),
        unreachable=bool(body.get("unreachable")),
        reopenings=int(body.get("reopenings") or 0),
        closed_at=moment("closed_at"),
        rating_void=bool(body.get("rating_void")),
        counted_from=moment("counted_from"),
        contact_recorded_at=moment("contact_recorded_at") or _recorded_contact(audit),
        level=int(body["level"]) if body.get("level") else None,
        tags=tuple(str(tag) for tag in body.get("tags", [])),
        escalations=tuple(_decode_escalation(e) for e in body.get("escalations", [])),
        officers=tuple(str(officer) for officer in item.officers or []),
        officers_notified_at=item.notified_at,
        notified_step=item.notified_step,
        holder=body.get("holder"),
        audit=tuple(
            AuditEntry(
                sequence=audit_sequence(a.sk),
                actor=a.actor,
                role=a.role,
                at=a.at,
                action=a.action,
                from_state=a.from_state,
                to_state=a.to_state,
                reason=a.reason or "",
                codes=tuple((str(k), str(v)) for k, v in json.loads(a.codes or "{}").items()),
            )
            for a in audit
        ),
    )


def task_from_stream_image(image: dict[str, Any]) -> Task | None:
    """A task read back from a DynamoDB stream image, without its audit trail; None for other items."""
    if image.get("kind", {}).get("S") != "task":
        return None
    return _from_items(TaskItem.from_raw_data(image), [])


def _recorded_contact(audit: list[AuditItem]) -> datetime | None:
    """When a task written before its contact was kept apart had one recorded, from its trail."""
    return next((a.at for a in audit if a.action == "record_contact"), None)


def _audit_item(model: type[AuditItem], tracking_code: str, entry: AuditEntry) -> AuditItem:
    return model(
        pk=task_key(tracking_code),
        sk=audit_sort_key(entry.sequence),
        actor=entry.actor,
        role=entry.role,
        at=entry.at,
        action=entry.action,
        from_state=entry.from_state,
        to_state=entry.to_state,
        reason=entry.reason,
        codes=json.dumps(dict(entry.codes), ensure_ascii=False) if entry.codes else None,
    )


def _unchanged_since(item: TaskItem) -> Condition:
    """The task item has not been written since `item` was read (items from before revisions have none)."""
    return TaskItem.revision.does_not_exist() if item.revision is None else TaskItem.revision == item.revision


def _first_part_failed(error: TransactWriteError) -> bool:
    reasons = error.cancellation_reasons or []
    return bool(reasons) and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed"


def _report_of(item: ReportItem, division_code: str, task: TaskItem | None = None) -> Report:
    """The report; ``task`` says whom it concerns when the report itself is from before it did."""
    body = json.loads(task.body or "{}") if task is not None else {}
    return Report(
        division_code=division_code,
        tracking_code=item.tracking_code,
        hall_code=item.hall_code,
        window_code=item.window_code,
        reason=item.reason,
        evidence=item.evidence,
        proposed_by=item.proposed_by,
        approved_by=item.approved_by,
        decided_at=item.decided_at,
        rated_staff=task.rated_staff if task is not None else item.rated_staff,
        appeal_to_division=bool(body.get("appeal_to_division") if task is not None else item.appeal_to_division),
    )


class TaskStore:
    """The follow-up tasks of one stack's Ratings table."""

    def __init__(self, table: RatingsTable) -> None:
        self.table = table

    # Reading

    def _item(self, tracking_code: str) -> TaskItem | None:
        try:
            return self.table.task.get(task_key(tracking_code), TASK_SORT_KEY, consistent_read=True)
        except DoesNotExist:
            return None

    def _trail(self, tracking_code: str) -> list[AuditItem]:
        return list(
            self.table.audit.query(task_key(tracking_code), AuditItem.sk.startswith(AUDIT_PREFIX), consistent_read=True)
        )

    def get(self, tracking_code: str) -> Task | None:
        """The task with its audit trail; None when the rating has no task."""
        item = self._item(tracking_code)
        return None if item is None else _from_items(item, self._trail(tracking_code))

    def get_many(self, tracking_codes: Collection[str]) -> dict[str, Task]:
        """The tasks of these ratings that exist, without their audit trails: BatchGetItem, 100 keys a request."""
        keys = [(task_key(code), TASK_SORT_KEY) for code in tracking_codes]
        return {
            item.tracking_code: _from_items(item, []) for item in self.table.task.batch_get(keys, consistent_read=True)
        }

    def tasks_of_hall(self, hall_code: str, recent: int) -> list[Task]:
        """Every open task of the hall, and its newest ``recent`` whatever their state, newest first.

        Two index queries, no scan: open tasks are the hall's work and are never left out, however
        many closed ones came after them.
        """
        key = hall_key(hall_code)
        found = {item.tracking_code: item for item in self.table.task.open_tasks_by_hall.query(key)}
        for item in self.table.task.tasks_by_hall.query(key, scan_index_forward=False, limit=recent):
            found.setdefault(item.tracking_code, item)
        items = sorted(found.values(), key=lambda item: item.opened_key, reverse=True)
        return [_from_items(item, []) for item in items]

    def due_steps(self, now: datetime, page_size: int = 500) -> tuple[list[tuple[str, str]], int]:
        """(tracking code, step key) of every task whose next step has come, through the sparse
        EscalationDue index, and how many index items were read to find them."""
        results = self.table.task.escalations_due.query(
            DUE_KEY, TaskItem.next_step_at <= now.astimezone(UTC).isoformat(), page_size=page_size
        )
        found = [(tracking_code_of_task(item.pk), item.next_step or "") for item in results]
        return found, results.page_iter.total_scanned_count

    def reports(self, division_code: str, limit: int = 200) -> list[Report]:
        """The division's reports of not-adopted decisions, newest first.

        A report written before reports said whom they concern reads that from its task: without
        it, the staff member who was rated might read the report on themselves.
        """
        items = self.table.report.query(report_key(division_code), scan_index_forward=False, limit=limit)
        return [
            _report_of(item, division_code, self._item(item.tracking_code) if item.appeal_to_division is None else None)
            for item in items
        ]

    def personal_data_due(self, now: datetime, limit: int = 500) -> list[str]:
        """Tracking codes whose evaluator's data has passed its retention, through the sparse PurgeDue index."""
        items = self.table.evaluator.purge_due.query(
            PURGE_KEY, EvaluatorItem.purge_at <= now.astimezone(UTC).isoformat(), limit=limit
        )
        return [tracking_code_of_rating(item.pk) for item in items]

    # Writing

    def create(self, task: Task, officers: list[str], step_ahead: Step | None) -> bool:
        """Write a new task with its first audit lines; False when the bad review already has one."""
        item = _to_item(self.table.task, task, officers, step_ahead)
        item.revision = 1
        try:
            with TransactWrite(connection=self.table.connection) as transaction:
                transaction.save(item, condition=TaskItem.pk.does_not_exist())
                for entry in task.audit:
                    transaction.save(
                        _audit_item(self.table.audit, task.tracking_code, entry),
                        condition=AuditItem.pk.does_not_exist(),
                    )
        except TransactWriteError as error:
            if _first_part_failed(error):
                return False
            raise
        return True

    def change(self, tracking_code: str, decide: Callable[[Task], TaskChange | None]) -> tuple[Task, Task] | None:
        """Read the task, let ``decide`` work out the move, and write it only over what was read.

        Returns (before, after); None when there is no task. ``decide`` returning None, or a change
        that leaves the task and its next step as they were, writes nothing. Raises
        ChangedMeanwhile when the task was written between the read and the write.
        """
        item = self._item(tracking_code)
        if item is None:
            return None
        before = _from_items(item, self._trail(tracking_code))
        change = decide(before)
        if change is None:
            return before, before
        ahead = change.step_ahead.key if change.step_ahead else None
        if change.task == before and ahead == item.next_step:
            return before, before
        self._write(item, before, change)
        return before, change.task

    def _write(self, item: TaskItem, before: Task, change: TaskChange) -> None:
        """The task (only if nobody wrote it since `item` was read), its new audit lines, and what
        follows from the move (the rating voided or restored, the report, the personal data's
        removal date), all or nothing."""
        after = change.task
        new_item = _to_item(
            self.table.task, after, [str(officer) for officer in item.officers or []], change.step_ahead
        )
        new_item.revision = (item.revision or 0) + 1
        rating = rating_key(after.tracking_code)
        try:
            with TransactWrite(connection=self.table.connection) as transaction:
                # The revision, not the version: a system write since the read leaves the version as it is.
                transaction.save(new_item, condition=_unchanged_since(item))
                for entry in after.audit[len(before.audit) :]:
                    transaction.save(
                        _audit_item(self.table.audit, after.tracking_code, entry),
                        condition=AuditItem.pk.does_not_exist(),
                    )
                if change.rating_void is not None:
                    transaction.update(
                        self.table.rating(rating, RATING_SORT_KEY),
                        actions=[RatingItem.not_adopted.set(change.rating_void)],
                        condition=RatingItem.pk.exists(),
                    )
                if change.report is not None:
                    transaction.save(self._report_item(change.report), condition=ReportItem.pk.does_not_exist())
                if change.purge_personal_data_at is not None and after.real_name:
                    purge_at = change.purge_personal_data_at
                    transaction.update(
                        self.table.evaluator(rating, EVALUATOR_SORT_KEY),
                        actions=[
                            EvaluatorItem.purge_key.set(PURGE_KEY),
                            EvaluatorItem.purge_at.set(purge_at.astimezone(UTC).isoformat()),
                            EvaluatorItem.expires_at.set(purge_at),
                        ],
                        condition=EvaluatorItem.pk.exists(),
                    )
                if change.keep_personal_data and after.real_name:
                    transaction.update(
                        self.table.evaluator(rating, EVALUATOR_SORT_KEY),
                        actions=[
                            EvaluatorItem.purge_key.remove(),
                            EvaluatorItem.purge_at.remove(),
                            EvaluatorItem.expires_at.remove(),
                        ],
                        condition=EvaluatorItem.pk.exists(),
                    )
        except TransactWriteError as error:
            if _first_part_failed(error):
                raise ChangedMeanwhile("the task changed meanwhile; reload it") from None
            raise

    def _report_item(self, report: Report) -> ReportItem:
        return report_item(self.table, report)

    def mark_officers_notified(self, tracking_code: str, at: datetime) -> None:
        self._update(tracking_code, [TaskItem.notified_at.set(at)])

    def mark_step_notified(self, tracking_code: str, step_key: str) -> None:
        self._update(tracking_code, [TaskItem.notified_step.set(step_key)])

    def _update(self, tracking_code: str, actions: list[Action], condition: Condition | None = None) -> bool:
        """Write some of the task item's attributes, its revision bumped as by every write of it;
        False when the task is not there or `condition` does not hold."""
        item = self.table.task(task_key(tracking_code), TASK_SORT_KEY)
        guard = TaskItem.pk.exists() if condition is None else TaskItem.pk.exists() & condition
        try:
            item.update(actions=[*actions, TaskItem.revision.add(1)], condition=guard)
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def remove_personal_data(self, tracking_code: str) -> None:
        self.table.evaluator(rating_key(tracking_code), EVALUATOR_SORT_KEY).delete()

    def index_open_tasks(self) -> int:
        """Put into the OpenTasksByHall index every open task written before the index existed;
        returns how many. A one-off scan for an admin (`haochaping tasks reindex`): no function does this."""
        indexed = 0
        stale = (TaskItem.kind == "task") & TaskItem.open_hall_key.does_not_exist() & (TaskItem.state != "closed")
        for item in self.table.task.scan(stale, consistent_read=True):
            # Closed or indexed meanwhile: that write set the key right.
            indexed += self._update(item.tracking_code, [TaskItem.open_hall_key.set(item.hall_key)], stale)
        return indexed
