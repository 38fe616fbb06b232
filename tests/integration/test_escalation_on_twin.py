"""Escalation 督办 on the twin, with its clock advanced: a task left alone climbs every rung, each
once and in order; a task resolved in time hears nothing.

A twin of its own: advancing the clock by weeks would age every other test's tasks.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin

from tests.conftest import TEMPLATE
from tests.integration.conftest import (
    DEMO_PASSWORD,
    DEMO_REGISTRY,
    admin,
    next_step_at,
    plate_sig_of,
    post_rating,
    staff_act,
    staff_sign_in,
    staff_task,
    wait_for,
)

pytestmark = pytest.mark.integration

WINDOW = "YC01-A001"
OFFICER = "YC018001"
RUNGS = ["reminder", "hall_supervisor", "district_bureau", "city"]


@pytest.fixture(scope="module")
def twin() -> Iterator[LocalTwin]:
    twin = LocalTwin(TEMPLATE, division_parameters("640100"), "haochaping-640100-esc", warm=True, clock_hook=CLOCK_HOOK)
    twin.start()
    try:
        admin(twin, "registry", "load", str(DEMO_REGISTRY))
        admin(twin, "staff", "users", "--password", DEMO_PASSWORD)
        yield twin
    finally:
        twin.stop()


class Inbox:
    """An SQS queue subscribed to one of the stack's topics in the twin."""

    def __init__(self, twin: LocalTwin, variable: str, name: str) -> None:
        self.sqs = twin.client("sqs")
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        topic = twin.function_environment("EscalateFunction")[variable]
        twin.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        self.received: list[dict[str, Any]] = []

    def notices(self, code: str) -> list[dict[str, Any]]:
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                self.received.append(json.loads(json.loads(message["Body"])["Message"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return [m for m in self.received if m["tracking_code"] == code]


def test_a_task_left_alone_climbs_every_rung_once_while_one_resolved_in_time_hears_nothing(
    twin: LocalTwin, plate_of: Callable[[str], str]
) -> None:
    officers = Inbox(twin, "OFFICER_TOPIC_ARN", "officer-inbox")
    escalations = Inbox(twin, "ESCALATION_TOPIC_ARN", "escalation-inbox")
    token = staff_sign_in(twin, OFFICER)
    # Given two bad reviews: a real-name one left alone, and one the officer resolves at once
    left_alone = rate(twin, plate_of(WINDOW), real_name=True)
    resolved = rate(twin, plate_of(WINDOW), real_name=False)
    for code in (left_alone, resolved):
        wait_for(lambda code=code: staff_task(twin, token, code)[0] == 200, timeout=10)
    moves: list[tuple[str, dict[str, str]]] = [
        ("resolve_on_spot", {"text": "当场补办"}),
        ("give_feedback", {"text": "已办结"}),
        ("close", {}),
    ]
    for action, fields in moves:
        status, body = staff_act(twin, token, resolved, action, **fields)
        assert status == 200, body
    # When the twin's clock is moved to each step of the left-alone task in turn
    taken: list[tuple[str, str]] = []
    while (step_at := next_step_at(twin, left_alone)) is not None:
        assert len(taken) < 8, f"more steps than two ladders have: {taken}"
        # A step may already be due (a reminder of a task opened on a weekend): still move on a sweep
        twin.advance_to(max(step_at, twin.now()) + timedelta(minutes=6))
        # Then the sweep (every 5 minutes) and the escalation queue take the step within seconds
        seen = len(taken)
        escalated = wait_for(lambda seen=seen: _escalations(twin, token, left_alone)[seen:], timeout=15)
        assert len(escalated) == 1, escalated
        taken.append((escalated[0]["deadline"], escalated[0]["rung"]))
    # Then each deadline climbed reminder → hall supervisor → district bureau → city, each once
    for deadline in ("first_contact", "rectification"):
        assert [rung for d, rung in taken if d == deadline] == RUNGS
    _, final = staff_task(twin, token, left_alone)
    assert final["escalation"]["rung"] == "city" and final["escalation"]["level"] == 3
    # And each step was notified once: the two reminders to the officers, six escalations
    assert [m["rung"] for m in officers.notices(left_alone) if m["type"] == "reminder"] == ["reminder", "reminder"]
    assert [m["rung"] for m in escalations.notices(left_alone)] == [r for _, r in taken if r != "reminder"]
    # And a sweep a month later takes nothing more
    sweeps = sweeps_fired(twin)
    twin.advance(timedelta(days=30))
    wait_for(lambda: sweeps_fired(twin) > sweeps, timeout=10)
    time.sleep(1.5)  # time for the escalation queue's consumer, had anything been queued
    assert len(_escalations(twin, token, left_alone)) == 8
    # And the task resolved in time received no reminder and no escalation
    assert officers.notices(resolved) == [m for m in officers.notices(resolved) if m["type"] == "followup_opened"]
    assert escalations.notices(resolved) == []
    assert staff_task(twin, token, resolved)[1]["escalations"] == []


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def plate_of(twin: LocalTwin) -> Callable[[str], str]:
    return lambda window_code: plate_sig_of(twin, window_code)


def rate(twin: LocalTwin, sig: str, real_name: bool) -> str:
    body: dict[str, Any] = {"window_code": WINDOW, "sig": sig, "level": 1, "submission_id": uuid.uuid4().hex}
    if real_name:
        body["evaluator"] = {"name": "督办测试人", "phone": "13955557777", "consent": True}
    status, receipt = post_rating(twin, body)
    assert status == 201, receipt
    return str(receipt["tracking_code"])


def _escalations(twin: LocalTwin, token: str, code: str) -> list[dict[str, Any]]:
    status, body = staff_task(twin, token, code)
    assert status == 200, body
    return list(body["escalations"])


def sweeps_fired(twin: LocalTwin) -> int:
    return sum(1 for function, _ in twin.schedules.fired if function == "SweepDeadlinesFunction")
