"""Notices on the stack's topics: to the hall's officers, escalations, not-adopted reports.

Codes, dates and links only: the evaluator is never named in a notice.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from botocore.session import get_session

if TYPE_CHECKING:
    from haochaping.adapters.tables import ReportItem


@lru_cache(maxsize=1)
def sns() -> Any:
    return get_session().create_client("sns")


def notify_officers(topic_arn: str, message: dict[str, str]) -> None:
    """Tell the hall's officers a task is waiting: a link and codes, never personal data."""
    sns().publish(
        TopicArn=topic_arn,
        Subject="好差评 回访核实任务",
        Message=json.dumps(message, ensure_ascii=False),
        MessageAttributes={"hall_code": {"DataType": "String", "StringValue": message["hall_code"]}},
    )


def publish_step(topic_arn: str, message: dict[str, str]) -> None:
    """A reminder or an escalation notice; its rung and hall as attributes for subscriptions' filters."""
    sns().publish(
        TopicArn=topic_arn,
        Subject=f"好差评 {message['rung_name']}",
        Message=json.dumps(message, ensure_ascii=False),
        MessageAttributes={
            "hall_code": {"DataType": "String", "StringValue": message["hall_code"]},
            "rung": {"DataType": "String", "StringValue": message["rung"]},
        },
    )


def publish_report(topic_arn: str, report: ReportItem) -> None:
    """通报: the decision, its reason and who took it; the evaluator is never named."""
    sns().publish(
        TopicArn=topic_arn,
        Subject="好差评 不予采纳通报",
        Message=json.dumps(
            {
                "type": "not_adopted",
                "tracking_code": report.tracking_code,
                "hall_code": report.hall_code,
                "window_code": report.window_code,
                "reason": report.reason,
                "proposed_by": report.proposed_by,
                "approved_by": report.approved_by,
                "decided_at": report.decided_at.isoformat(),
            },
            ensure_ascii=False,
        ),
    )
