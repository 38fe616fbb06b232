"""Messages on the stack's queues: a bad review to follow up, an escalation step to take.

Only botocore: the stream consumer and the sweep send messages without loading the table models.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from botocore.session import get_session


@lru_cache(maxsize=1)
def sqs() -> Any:
    return get_session().create_client("sqs")


class SqsQueues:
    """The stack's two queues: bad reviews to follow up, escalation steps to take."""

    def __init__(self, follow_up_queue_url: str, escalation_queue_url: str) -> None:
        self.follow_up_queue_url = follow_up_queue_url
        self.escalation_queue_url = escalation_queue_url

    def bad_review(self, tracking_code: str) -> None:
        sqs().send_message(QueueUrl=self.follow_up_queue_url, MessageBody=json.dumps({"tracking_code": tracking_code}))

    def steps(self, steps: list[tuple[str, str]]) -> None:
        """Queue escalation steps, ten to a request; a step the queue refused is sent again by itself."""
        for start in range(0, len(steps), 10):
            batch = steps[start : start + 10]
            entries = [
                {"Id": str(n), "MessageBody": json.dumps({"tracking_code": code, "step": key})}
                for n, (code, key) in enumerate(batch)
            ]
            failed = sqs().send_message_batch(QueueUrl=self.escalation_queue_url, Entries=entries).get("Failed", [])
            for failure in failed:
                entry = entries[int(failure["Id"])]
                sqs().send_message(QueueUrl=self.escalation_queue_url, MessageBody=entry["MessageBody"])
