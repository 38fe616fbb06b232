"""Repository of follow-up tasks and their audit trail, and the officers' notifications."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from botocore.session import get_session
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from haochaping.adapters.tables import AuditItem, TaskItem, transaction_connection
from haochaping.domain.followup import AuditEntry, Task, TaskState

TASK_SORT_KEY = "TASK"


def _key(tracking_code: str) -> str:
    return f"TASK#{tracking_code}"


def _to_items(task: Task, officers: list[str]) -> TaskItem:
    return TaskItem(
        pk=_key(task.tracking_code),
        sk=TASK_SORT_KEY,
        hall_key=f"HALL#{task.hall_code}",
        opened_key=task.opened_at.astimezone(UTC).isoformat(),
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
        body=json.dumps({"outcome": None}),
    )


def _audit_item(tracking_code: str, entry: AuditEntry) -> AuditItem:
    return AuditItem(
        pk=_key(tracking_code),
        sk=f"AUDIT#{entry.sequence:04d}",
        actor=entry.actor,
        role=entry.role,
        at=entry.at,
        action=entry.action,
        from_state=entry.from_state,
        to_state=entry.to_state,
        reason=entry.reason,
    )


def create_task(task: Task, officers: list[str]) -> bool:
    """Write a new task with its first audit line; False when the bad review already has one."""
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(_to_items(task, officers), condition=TaskItem.pk.does_not_exist())
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
        return TaskItem.get(_key(tracking_code), TASK_SORT_KEY, consistent_read=True)
    except TaskItem.DoesNotExist:
        return None


def mark_notified(item: TaskItem, at: datetime) -> None:
    item.update(actions=[TaskItem.notified_at.set(at)])


def audit_trail(tracking_code: str) -> list[AuditItem]:
    return list(AuditItem.query(_key(tracking_code), AuditItem.sk.startswith("AUDIT#"), consistent_read=True))


def task_state(item: TaskItem) -> TaskState:
    return TaskState(item.state)


@lru_cache(maxsize=1)
def _sns() -> Any:
    return get_session().create_client("sns")


@lru_cache(maxsize=1)
def _sqs() -> Any:
    return get_session().create_client("sqs")


def notify_officers(topic_arn: str, message: dict[str, str]) -> None:
    """Tell the hall's officers a task is waiting: a link and codes, never personal data."""
    _sns().publish(
        TopicArn=topic_arn,
        Subject="好差评 回访核实任务",
        Message=json.dumps(message, ensure_ascii=False),
        MessageAttributes={"hall_code": {"DataType": "String", "StringValue": message["hall_code"]}},
    )


def send_bad_review(queue_url: str, tracking_code: str) -> None:
    _sqs().send_message(QueueUrl=queue_url, MessageBody=json.dumps({"tracking_code": tracking_code}))
