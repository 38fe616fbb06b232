"""Deadlines and escalation 督办, handler by handler, against the stack's resources in moto.

SweepDeadlinesFunction (every 5 minutes) reads the EscalationDue index and queues each step
whose time has come → EscalateFunction takes it once, records it on the task and in its audit
trail, and tells the officers (reminder) or the escalation topic (hall supervisor, district
bureau, city). The functions' clock is moved with the same hook the local twin uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from haochaping.adapters import keys
from haochaping.domain.calendar import CalendarYear
from haochaping.domain.followup import Action, Actor, Role, StaleVersion, apply
from haochaping.domain.rating import set_clock_offset, utc_now
from haochaping.domain.task import Rung, Step, Task, TaskChange
from haochaping.wiring import wired

from tests.functional.test_followup_functions import (
    DIVISION,
    HALL,
    OFFICER,
    District,
    Inbox,
    body_of,
    district_of,
    subscribe,
)

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

OFFICER_ACTOR = Actor(OFFICER.username, frozenset({Role.OFFICER}), HALL, DIVISION)
RUNGS_IN_ORDER = [Rung.REMINDER, Rung.HALL_SUPERVISOR, Rung.DISTRICT_BUREAU, Rung.CITY]


@pytest.fixture(autouse=True)
def real_time_afterwards() -> Iterator[None]:
    yield
    set_clock_offset(0)


def move_clock_to(moment: datetime) -> None:
    """What the twin does to a function's process after its clock was advanced."""
    set_clock_offset((moment - datetime.now(UTC)).total_seconds())


class Ladder:
    """Drives the sweep and the escalation queue's consumer as the schedule and the queue would."""

    def __init__(self, district: District, invoke: Callable[[str, dict[str, Any]], Any]) -> None:
        self.district = district
        self.invoke = invoke
        self.queue_url = district.stack.environment["ESCALATION_QUEUE_URL"]
        self.escalation_inbox = subscribe(district.stack.environment["ESCALATION_TOPIC_ARN"], "escalation-inbox")

    def sweep(self) -> dict[str, Any]:
        return dict(self.invoke("SweepDeadlinesFunction", self.district.load_event("sweep_deadlines/scheduled.json")))

    def queued(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        messages: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", []):
            messages.extend(batch)
            for message in batch:
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return messages

    def deliver(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        (template,) = self.district.load_event("escalate/step_message.json")["Records"]
        records = [
            template
            | {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"], "md5OfBody": ""}
            for m in messages
        ]
        return dict(self.invoke("EscalateFunction", {"Records": records}))

    def step_of(self, code: str) -> Step | None:
        stores, rules = wired()
        task = stores.tasks.get(code)
        assert task is not None
        return rules.step_ahead(task, stores.calendar.for_hall(task.hall_code))


@pytest.fixture
def district(stack: Any, invoke: Callable[[str, dict[str, Any]], Any], load_event: Callable[[str], Any]) -> District:
    return district_of(stack, invoke, load_event)


@pytest.fixture
def ladder(district: District, invoke: Callable[[str, dict[str, Any]], Any]) -> Ladder:
    return Ladder(district, invoke)


def notices(inbox: Inbox, code: str) -> list[dict[str, Any]]:
    return [m for m in inbox.messages() if m["message"]["tracking_code"] == code]


def test_a_task_left_alone_climbs_each_rung_once_and_in_order(
    district: District, ladder: Ladder, captured_output: Callable[[], str]
) -> None:
    # Given a real-name bad review left alone, and one resolved and closed at once
    left_alone = district.bad_review(real_name=True)
    resolved = district.bad_review()
    district.acted(resolved, OFFICER, "resolve_on_spot", text="当场重新办理")
    district.acted(resolved, OFFICER, "give_feedback", text="已当场办结")
    district.acted(resolved, OFFICER, "close")
    district.officer_inbox.messages().clear()
    taken: list[tuple[str, str]] = []
    # When the clock reaches each step in turn and the sweep runs, its messages delivered twice
    while (step := ladder.step_of(left_alone)) is not None:
        move_clock_to(step.at + timedelta(minutes=4))
        swept = ladder.sweep()
        messages = ladder.queued()
        assert [json.loads(m["Body"]) for m in messages] == [{"tracking_code": left_alone, "step": step.key}]
        assert swept == {"queued": 1, "items_read": 1}
        assert ladder.deliver(messages) == {"batchItemFailures": []}
        assert ladder.deliver(messages) == {"batchItemFailures": []}  # redelivered: nothing more
        taken.append((step.deadline.value, step.rung.value))
        assert len(taken) <= 8
    # Then both deadlines climbed the four rungs, each once, in order
    for deadline in ("first_contact", "rectification"):
        assert [r for d, r in taken if d == deadline] == [r.value for r in RUNGS_IN_ORDER]
    task = district.task(left_alone)
    assert [(e["deadline"], e["rung"]) for e in task["escalations"]] == taken
    assert task["escalation"]["rung"] == "city" and task["escalation"]["level"] == 3
    # And each step is one line of the audit trail, by the system, the state unchanged
    lines = [e for e in task["audit"] if e["action"].startswith("escalate:")]
    assert [e["action"] for e in lines] == [f"escalate:{r}" for _, r in taken]
    assert all(e["actor"] == "system" and e["from_state"] == e["to_state"] == "verifying" for e in lines)
    # And each was notified once: reminders to the officers, the rest on the escalation topic
    reminders = notices(district.officer_inbox, left_alone)
    escalated = notices(ladder.escalation_inbox, left_alone)
    assert [m["message"]["rung"] for m in reminders] == ["reminder", "reminder"]
    assert [m["message"]["rung"] for m in escalated] == [r for _, r in taken if r != "reminder"]
    assert [m["attributes"]["rung"]["Value"] for m in escalated] == [m["message"]["rung"] for m in escalated]
    # Without the evaluator's name or phone
    assert all("欧阳晓燕" not in m["raw"] and "13912345678" not in m["raw"] for m in reminders + escalated)
    # And the resolved task received nothing
    assert notices(ladder.escalation_inbox, resolved) == [] and notices(district.officer_inbox, resolved) == []
    assert "escalation" not in json.dumps(district.task(resolved)["audit"])
    # And the overdue real-name task raised its alarm's metric
    assert "RealNameTaskOverdue" in captured_output()
    # And once the ladder is climbed the task leaves the index: the sweep finds nothing more
    move_clock_to(utc_now() + timedelta(days=60))
    assert ladder.sweep() == {"queued": 0, "items_read": 0}


def test_contact_made_in_time_stops_the_first_contact_ladder(district: District, ladder: Ladder) -> None:
    # Given a bad review whose officer called the citizen at once
    code = district.bad_review()
    district.acted(code, OFFICER, "record_contact")
    # Then the next step is the rectification reminder, and nothing is due now
    step = ladder.step_of(code)
    assert step is not None and (step.deadline.value, step.rung) == ("rectification", Rung.REMINDER)
    assert ladder.sweep() == {"queued": 0, "items_read": 0}


def test_a_stale_step_is_dropped_and_the_index_corrected(district: District, ladder: Ladder) -> None:
    # Given the first-contact reminder queued, then the officer makes contact before it is taken
    code = district.bad_review()
    step = ladder.step_of(code)
    assert step is not None
    move_clock_to(step.at + timedelta(minutes=1))
    ladder.sweep()
    messages = ladder.queued()
    district.acted(code, OFFICER, "record_contact")
    # When the queued reminder arrives
    assert ladder.deliver(messages) == {"batchItemFailures": []}
    # Then nothing was taken, and the task waits in the index for its rectification reminder
    assert district.task(code)["escalations"] == []
    item = district.item(keys.task_key(code), keys.TASK_SORT_KEY)
    assert item is not None and item["next_step"]["S"].startswith("rectification|")


def test_a_form_opened_before_a_step_is_still_good_and_a_move_racing_it_is_refused(
    district: District, ladder: Ladder
) -> None:
    # Given the officer has the task open (its version as the console loaded it), and the
    # reminder is taken meanwhile
    code = district.bad_review()
    seen = district.task(code)["version"]
    step = ladder.step_of(code)
    assert step is not None
    move_clock_to(step.at + timedelta(minutes=2))

    def move_while_the_step_is_taken(before: Task) -> TaskChange:
        ladder.sweep()
        assert ladder.deliver(ladder.queued()) == {"batchItemFailures": []}
        assert [e["rung"] for e in district.task(code)["escalations"]] == ["reminder"]
        return TaskChange(apply(before, OFFICER_ACTOR, Action.RECORD_CONTACT, before.version, utc_now()), None)

    # When a move computed from the task as it was before the step is written
    # Then it is refused as stale, and the step stays recorded
    with pytest.raises(StaleVersion):
        wired()[0].tasks.change(code, move_while_the_step_is_taken)
    assert [e["rung"] for e in district.task(code)["escalations"]] == ["reminder"]
    # And the officer's form, sent with the version seen before the step, goes through on the task
    # as it is now, keeping the step
    response = district.act(code, OFFICER, "record_contact", version=seen)
    assert response["statusCode"] == 200, response["body"]
    task = district.task(code)
    assert task["contacted"] and [e["rung"] for e in task["escalations"]] == ["reminder"]
    assert [e["action"] for e in task["audit"]][-2:] == ["escalate:reminder", "record_contact"]


def test_a_step_taken_while_a_move_reads_the_task_is_kept(
    district: District, ladder: Ladder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the reminder queued, and taken just as the officer's move has read the task but not
    # yet its audit trail
    code = district.bad_review()
    step = ladder.step_of(code)
    assert step is not None
    move_clock_to(step.at + timedelta(minutes=2))
    ladder.sweep()
    pending = [ladder.queued()]
    tasks = wired()[0].tasks
    read_trail = tasks._trail

    def trail_read_after_the_step(tracking_code: str) -> list[Any]:
        if pending:
            assert ladder.deliver(pending.pop()) == {"batchItemFailures": []}
        return read_trail(tracking_code)

    monkeypatch.setattr(tasks, "_trail", trail_read_after_the_step)
    # When the officer records the contact
    response = district.act(code, OFFICER, "record_contact")
    # Then the move went through on the task as it is after the step, and the step is kept
    assert response["statusCode"] == 200, response["body"]
    assert pending == []
    task = district.task(code)
    assert task["contacted"] and [e["rung"] for e in task["escalations"]] == ["reminder"]
    assert [e["action"] for e in task["audit"]][-2:] == ["escalate:reminder", "record_contact"]


def test_a_message_for_no_task_is_dropped_and_a_malformed_one_fails_alone(district: District, ladder: Ladder) -> None:
    code = district.bad_review()
    step = ladder.step_of(code)
    assert step is not None
    move_clock_to(step.at + timedelta(minutes=1))
    good = {"MessageId": "good", "ReceiptHandle": "r1", "Body": json.dumps({"tracking_code": code, "step": step.key})}
    nobody = json.dumps({"tracking_code": "Q" * 12, "step": "x"})
    unknown = {"MessageId": "unknown", "ReceiptHandle": "r2", "Body": nobody}
    broken = {"MessageId": "broken", "ReceiptHandle": "r3", "Body": "{not json"}
    assert ladder.deliver([good, unknown, broken]) == {"batchItemFailures": [{"itemIdentifier": "broken"}]}
    assert [e["rung"] for e in district.task(code)["escalations"]] == ["reminder"]


def test_the_sweep_reads_only_the_due_tasks_among_ten_thousand_closed(district: District, ladder: Ladder) -> None:
    # Given 10,000 closed tasks (they carry no escalation keys) and 10 tasks whose step has come
    table = boto3.resource("dynamodb").Table(district.stack.ratings_table)
    due_at = (utc_now() - timedelta(hours=1)).isoformat()
    with table.batch_writer() as batch:
        for n in range(10_000):
            batch.put_item(Item=closed_task(f"C{n:011d}"))
        for n in range(10):
            code = f"D{n:011d}"
            batch.put_item(
                Item=closed_task(code)
                | {
                    "state": "verifying",
                    "due_key": keys.DUE_KEY,
                    "next_step_at": due_at,
                    "next_step": f"rectification|x|{n}",
                }
            )
    # When the sweep runs
    swept = ladder.sweep()
    # Then it read ten index items and queued ten steps
    assert swept == {"queued": 10, "items_read": 10}
    assert len(ladder.queued()) == 10


def closed_task(code: str) -> dict[str, Any]:
    opened = "2026-03-02T02:00:00.000000+0000"
    return {
        "pk": keys.task_key(code),
        "sk": keys.TASK_SORT_KEY,
        "kind": "task",
        "hall_key": keys.hall_key("XQZWFW"),
        "opened_key": opened,
        "tracking_code": code,
        "division_code": "640104",
        "hall_code": "XQZWFW",
        "window_code": "640104-A017",
        "state": "closed",
        "version": 6,
        "opened_at": opened,
        "first_contact_due": "2026-03-03T16:00:00.000000+0000",
        "rectification_due": "2026-03-09T16:00:00.000000+0000",
        "body": "{}",
    }


def test_the_console_sees_the_level_a_task_reached(district: District, ladder: Ladder) -> None:
    code = district.bad_review()
    for _ in range(2):  # the reminder, then the hall supervisor
        step = ladder.step_of(code)
        assert step is not None
        move_clock_to(step.at + timedelta(minutes=1))
        ladder.sweep()
        ladder.deliver(ladder.queued())
    listed = body_of(district.staff(OFFICER, "GET", "/staff/tasks"))["tasks"]
    (mine,) = [t for t in listed if t["tracking_code"] == code]
    assert mine["escalation"]["rung"] == "hall_supervisor"
    assert mine["escalation"]["rung_name"] == "大厅督办" and mine["escalation"]["level"] == 1


def test_an_official_schedule_loaded_later_moves_a_provisional_deadline_when_its_step_comes(
    district: District, ladder: Ladder
) -> None:
    # Given a bad review on Mon 2026-12-28: rectification due on the provisional 2027 calendar (01-05)
    move_clock_to(datetime(2026, 12, 28, 2, 0, tzinfo=UTC))
    code = district.bad_review()
    opened = district.task(code)
    assert opened["deadlines_provisional"] is True
    assert opened["rectification_due"] == "2027-01-05T16:00:00+00:00"
    # When the admins load the State Council's 2027 schedule (here: 01-01 to 01-04 off)
    wired()[0].calendar.save(
        CalendarYear.model_validate(
            {
                "year": 2027,
                "official": True,
                "source": "国务院办公厅通知（测试）",
                "holidays": ["2027-01-01..2027-01-04"],
            }
        )
    )
    # And the first step of the task comes (the reminder before first contact, due Tue 12-29)
    step = ladder.step_of(code)
    assert step is not None and step.deadline.value == "first_contact"
    move_clock_to(step.at + timedelta(minutes=4))
    ladder.sweep()
    assert ladder.deliver(ladder.queued()) == {"batchItemFailures": []}
    # Then the task was counted again first: due a day later, settled, and the trail says so
    task = district.task(code)
    assert task["rectification_due"] == "2027-01-06T16:00:00+00:00"
    assert task["deadlines_provisional"] is False
    actions = [e["action"] for e in task["audit"]]
    assert actions[-2:] == ["recount_deadlines", "escalate:reminder"]
