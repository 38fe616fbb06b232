"""Repository of follow-up tasks and their audit trail, and the officers' notifications."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
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
    tracking_code_of_task,
)
from haochaping.adapters.tables import (
    AuditItem,
    EvaluatorItem,
    RatingItem,
    ReportItem,
    TaskItem,
    transaction_connection,
)
from haochaping.domain.escalation import Step
from haochaping.domain.followup import StaleVersion
from haochaping.domain.task import (
    AuditEntry,
    DeadlineKind,
    Escalation,
    NotAdoptedReason,
    Rung,
    Task,
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
    "appeal",
    "appeal_open",
    "appeal_decided",
    "appeal_deadline",
    "called_back",
    "closed_at",
    "rating_void",
    "counted_from",
)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, StrEnum):
        return value.value
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


def _to_items(task: Task, officers: list[str], due: Step | None) -> TaskItem:
    body = {name: _encode(getattr(task, name)) for name in _BODY_FIELDS}
    body["escalations"] = [_encode_escalation(e) for e in task.escalations]
    return TaskItem(
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
        # Only a task with a step ahead is in the EscalationDue index: the sweep reads nothing else.
        **_index_keys(due),
    )


class ChangedMeanwhile(StaleVersion):
    """The task was written after it was read: the move must be worked out again on the new task."""


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
        appeal=body.get("appeal", ""),
        appeal_open=bool(body.get("appeal_open")),
        appeal_decided=bool(body.get("appeal_decided")),
        appeal_deadline=moment("appeal_deadline"),
        called_back=bool(body.get("called_back")),
        closed_at=moment("closed_at"),
        rating_void=bool(body.get("rating_void")),
        counted_from=moment("counted_from"),
        escalations=tuple(_decode_escalation(e) for e in body.get("escalations", [])),
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
            )
            for a in audit
        ),
    )


def _audit_item(tracking_code: str, entry: AuditEntry) -> AuditItem:
    return AuditItem(
        pk=task_key(tracking_code),
        sk=audit_sort_key(entry.sequence),
        actor=entry.actor,
        role=entry.role,
        at=entry.at,
        action=entry.action,
        from_state=entry.from_state,
        to_state=entry.to_state,
        reason=entry.reason,
    )


def find_task(tracking_code: str) -> tuple[Task, TaskItem] | None:
    item = find_task_item(tracking_code)
    if item is None:
        return None
    return _from_items(item, audit_trail(tracking_code)), item


def _unchanged_since(item: TaskItem) -> Condition:
    """The task item has not been written since `item` was read (items from before revisions have none)."""
    return TaskItem.revision.does_not_exist() if item.revision is None else TaskItem.revision == item.revision


def save_transition(
    before: Task,
    after: Task,
    item: TaskItem,
    void_rating: bool | None,
    report: ReportItem | None,
    purge_after: datetime | None,
    keep_personal_data: bool = False,
    due: Step | None = None,
) -> TaskItem:
    """Write a move: the task (only if nobody moved it meanwhile), its new audit lines, and
    what follows from it (the rating voided or restored, the report, the personal data's
    removal date), all or nothing; returns the task's item as written."""
    new_item = _to_items(after, [str(officer) for officer in item.officers or []], due)
    new_item.notified_at = item.notified_at
    new_item.notified_step = item.notified_step
    new_item.revision = (item.revision or 0) + 1
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            # The revision, not the version: a system write since the read leaves the version as it is.
            transaction.save(new_item, condition=_unchanged_since(item))
            for entry in after.audit[len(before.audit) :]:
                transaction.save(_audit_item(after.tracking_code, entry), condition=AuditItem.pk.does_not_exist())
            if void_rating is not None:
                transaction.update(
                    RatingItem(rating_key(after.tracking_code), RATING_SORT_KEY),
                    actions=[RatingItem.not_adopted.set(void_rating)],
                    condition=RatingItem.pk.exists(),
                )
            if report is not None:
                transaction.save(report, condition=ReportItem.pk.does_not_exist())
            if purge_after is not None and after.real_name:
                transaction.update(
                    EvaluatorItem(rating_key(after.tracking_code), EVALUATOR_SORT_KEY),
                    actions=[
                        EvaluatorItem.purge_key.set(PURGE_KEY),
                        EvaluatorItem.purge_at.set(purge_after.astimezone(UTC).isoformat()),
                        EvaluatorItem.expires_at.set(purge_after),
                    ],
                    condition=EvaluatorItem.pk.exists(),
                )
            if keep_personal_data and after.real_name:
                # Reopened: the removal date set at the first close no longer holds.
                transaction.update(
                    EvaluatorItem(rating_key(after.tracking_code), EVALUATOR_SORT_KEY),
                    actions=[
                        EvaluatorItem.purge_key.remove(),
                        EvaluatorItem.purge_at.remove(),
                        EvaluatorItem.expires_at.remove(),
                    ],
                    condition=EvaluatorItem.pk.exists(),
                )
    except TransactWriteError as error:
        reasons = error.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            raise ChangedMeanwhile("the task changed meanwhile; reload it") from None
        raise
    return new_item


def due_steps(now: datetime, page_size: int = 500) -> tuple[list[tuple[str, str]], int]:
    """(tracking code, step key) of every task whose next step has come, through the sparse
    EscalationDue index, and how many index items were read to find them."""
    found: list[tuple[str, str]] = []
    results = TaskItem.escalations_due.query(
        DUE_KEY, TaskItem.next_step_at <= now.astimezone(UTC).isoformat(), page_size=page_size
    )
    for item in results:
        found.append((tracking_code_of_task(item.pk), item.next_step or ""))
    return found, results.page_iter.total_scanned_count


def set_step_ahead(item: TaskItem, due: Step | None) -> None:
    """Put the task's next step in the EscalationDue index, or take the task out of it, unless
    the task was written since `item` was read: that write put its own next step there."""
    actions = [
        getattr(TaskItem, name).remove() if value is None else getattr(TaskItem, name).set(value)
        for name, value in _index_keys(due).items()
    ]
    _update(item, actions, TaskItem.pk.exists() & _unchanged_since(item))


def mark_step_notified(tracking_code: str, step_key: str) -> None:
    item = TaskItem(task_key(tracking_code), TASK_SORT_KEY)
    _update(item, [TaskItem.notified_step.set(step_key)], TaskItem.pk.exists())


def _update(item: TaskItem, actions: list[Action], condition: Condition | None = None) -> bool:
    """Write some of the task item's attributes, its revision bumped as by every write of it;
    False when `condition` does not hold."""
    try:
        item.update(actions=[*actions, TaskItem.revision.add(1)], condition=condition)
    except UpdateError as error:
        if condition is None or error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


RECENT_TASKS = 200


def tasks_of_hall(hall_code: str) -> list[Task]:
    """Every open task of the hall, and its newest RECENT_TASKS whatever their state, newest first.

    Two index queries, no scan: open tasks are the hall's work and are never left out, however
    many closed ones came after them.
    """
    key = hall_key(hall_code)
    found = {item.tracking_code: item for item in TaskItem.open_tasks_by_hall.query(key)}
    for item in TaskItem.tasks_by_hall.query(key, scan_index_forward=False, limit=RECENT_TASKS):
        found.setdefault(item.tracking_code, item)
    items = sorted(found.values(), key=lambda item: item.opened_key, reverse=True)
    return [_from_items(item, []) for item in items]


def index_open_tasks() -> int:
    """Put into the OpenTasksByHall index every open task written before the index existed;
    returns how many. A one-off scan for an admin (`haochaping tasks reindex`): no function does this."""
    indexed = 0
    stale = (TaskItem.kind == "task") & TaskItem.open_hall_key.does_not_exist() & (TaskItem.state != "closed")
    for item in TaskItem.scan(stale, consistent_read=True):
        # Closed or indexed meanwhile: that write set the key right.
        indexed += _update(item, [TaskItem.open_hall_key.set(item.hall_key)], stale)
    return indexed


def reports(division_code: str, limit: int = 200) -> list[ReportItem]:
    return list(ReportItem.query(report_key(division_code), scan_index_forward=False, limit=limit))


def due_for_purge(now: datetime, limit: int = 500) -> list[tuple[str, str]]:
    """Keys of personal data whose retention ended, through the sparse PurgeDue index."""
    items = EvaluatorItem.purge_due.query(
        PURGE_KEY, EvaluatorItem.purge_at <= now.astimezone(UTC).isoformat(), limit=limit
    )
    return [(item.pk, item.sk) for item in items]


def delete_personal_data(pk: str, sk: str) -> None:
    EvaluatorItem(pk, sk).delete()


def create_task(task: Task, officers: list[str], due: Step | None) -> bool:
    """Write a new task with its first audit line; False when the bad review already has one."""
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            item = _to_items(task, officers, due)
            item.revision = 1
            transaction.save(item, condition=TaskItem.pk.does_not_exist())
            for entry in task.audit:
                transaction.save(_audit_item(task.tracking_code, entry), condition=AuditItem.pk.does_not_exist())
        return True
    except TransactWriteError as error:
        reasons = error.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return False
        raise


def find_task_item(tracking_code: str) -> TaskItem | None:
    try:
        return TaskItem.get(task_key(tracking_code), TASK_SORT_KEY, consistent_read=True)
    except TaskItem.DoesNotExist:
        return None


def mark_notified(item: TaskItem, at: datetime) -> None:
    _update(item, [TaskItem.notified_at.set(at)])


def audit_trail(tracking_code: str) -> list[AuditItem]:
    return list(AuditItem.query(task_key(tracking_code), AuditItem.sk.startswith(AUDIT_PREFIX), consistent_read=True))


def task_state(item: TaskItem) -> TaskState:
    return TaskState(item.state)
