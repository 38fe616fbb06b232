"""Notices on the stack's topics: to the hall's officers, escalations, not-adopted reports.

Codes, dates and links only: the evaluator is never named in a notice.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from botocore.session import get_session

if TYPE_CHECKING:
    from haochaping.domain.task import Report


@lru_cache(maxsize=1)
def sns() -> Any:
    return get_session().create_client("sns")


class SnsNotices:
    """The stack's topics: the hall's officers, escalations, not-adopted reports, publication."""

    def __init__(
        self, officer_topic_arn: str, escalation_topic_arn: str, report_topic_arn: str, publication_topic_arn: str = ""
    ) -> None:
        self.officer_topic_arn = officer_topic_arn
        self.escalation_topic_arn = escalation_topic_arn
        self.report_topic_arn = report_topic_arn
        self.publication_topic_arn = publication_topic_arn

    def published(self, message: dict[str, str]) -> None:
        """Results published 结果公示: the period and where the files are; no figures of any person."""
        sns().publish(
            TopicArn=self.publication_topic_arn,
            Subject=f"好差评 结果公示 {message.get('period', '')}".strip(),
            Message=json.dumps(message, ensure_ascii=False),
        )

    def to_officers(self, message: dict[str, str], officers: list[str]) -> None:
        """Tell the hall's officers a task is waiting, or that a deadline nears: a link and codes.

        Addressed to ``officers`` (the attribute ``officers``, a list of job numbers): a person's
        subscription filters on their own job number (``{"officers": ["YC018001"]}``), so the staff
        member who was rated, never among them, is never told of their own bad review.
        """
        attributes = _attributes(message)
        if officers:
            attributes["officers"] = {"DataType": "String.Array", "StringValue": json.dumps(officers)}
        sns().publish(
            TopicArn=self.officer_topic_arn,
            Subject=f"好差评 {message.get('rung_name', '回访核实任务')}",
            Message=json.dumps(message, ensure_ascii=False),
            MessageAttributes=attributes,
        )

    def escalation(self, message: dict[str, str]) -> None:
        """An escalation 督办; its level as an attribute so the hall, the bureau and the city each
        subscribe to theirs."""
        sns().publish(
            TopicArn=self.escalation_topic_arn,
            Subject=f"好差评 {message['rung_name']}",
            Message=json.dumps(message, ensure_ascii=False),
            MessageAttributes=_attributes(message),
        )

    def report(self, report: Report) -> None:
        """通报: the decision, its reason and who took it; the evaluator is never named."""
        sns().publish(
            TopicArn=self.report_topic_arn,
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


def _attributes(message: dict[str, str]) -> dict[str, dict[str, str]]:
    """The hall, and the rung of a step, for subscriptions' filter policies."""
    return {
        name: {"DataType": "String", "StringValue": message[name]} for name in ("hall_code", "rung") if name in message
    }
