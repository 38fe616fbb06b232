"""The adapters' DynamoDB behaviour, the same on moto and on AWS's DynamoDB Local.

The functional tier runs on moto's in-process ``mock_aws``; the local twin runs DynamoDB Local.
Each test here runs once on each engine, against a Ratings table created from template.yaml's own
properties (a new name per test), and calls the stores bound to it: the rating's transaction
with its one-time marks and the cancellation reasons it reads back, the task item's
revision-conditioned writes, the sparse indexes the sweep and the hall's work list read, and
paging through the due index. An outcome that differs between the engines fails here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from haochaping.adapters import keys
from haochaping.adapters.ratings import RatingStore, _Cancelled
from haochaping.adapters.tables import RatingsTable
from haochaping.adapters.tasks import TaskStore
from haochaping.domain.errors import Conflict, Forbidden, TooManyRequests
from haochaping.domain.followup import Action, Actor, ChangedMeanwhile, Role, apply, open_task
from haochaping.domain.plates import Ticket
from haochaping.domain.rating import Channel, Level, Rating, tracking_code_for
from haochaping.domain.submission import PreparedRating, device_key
from haochaping.domain.task import DeadlineKind, Rung, Step, Task, TaskChange, TaskState
from localtwin.dynamodb_local import ENGINE_ARN_PREFIX, DynamoDBLocalProcess
from moto import mock_aws
from pynamodb.connection.base import Connection

from tests.conftest import use_offline_aws
from tests.functional.conftest import (
    DEPARTMENT,
    HALL,
    OFFICERS,
    OTHER_HALL,
    PARAMETERS,
    REGION,
    Intrinsics,
    create_table,
    load_template,
)

pytestmark = pytest.mark.functional

MOTO = "moto"
DYNAMODB_LOCAL = "dynamodb-local"

DIVISION = PARAMETERS["DivisionCode"]
WINDOW = f"{DIVISION}-A017"
SECRET = b"StoreContractTestSecretNotUsedAnywhere0123456789"
CONDITION_FAILED = "ConditionalCheckFailed"

COOLDOWN = timedelta(minutes=10)
FOLLOW_UP_PERIOD = timedelta(days=15)
TICKET_VALIDITY = timedelta(hours=24)
RATED_AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Beijing
EVALUATOR_CIPHERTEXT = b"\x01\x02ciphertext of a name and a phone\x00\xff"

OFFICER = Actor(OFFICERS[0], frozenset({Role.OFFICER}), HALL, DIVISION)
NOW = datetime(2026, 3, 12, 8, 0, tzinfo=UTC)


# -- the two engines ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Engine:
    name: str
    table: str
    client: Any  # boto3's DynamoDB client, pointed where the stores are
    ratings: RatingStore
    tasks: TaskStore


@pytest.fixture(scope="module")
def dynamodb_local() -> Iterator[DynamoDBLocalProcess]:
    """One DynamoDB Local for the module, in memory; stopped after its last test."""
    process = DynamoDBLocalProcess()
    process.start()
    yield process
    process.stop()


@pytest.fixture(params=[MOTO, DYNAMODB_LOCAL])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """A Ratings table made from template.yaml on one engine, with the stores bound to it."""
    use_offline_aws(monkeypatch, tmp_path, REGION)
    mock = None
    if request.param == MOTO:
        mock = mock_aws()
        mock.start()
    else:
        # With an endpoint set, mock_aws would intercept nothing: this engine runs without it.
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", request.getfixturevalue("dynamodb_local").endpoint)
    try:
        client = boto3.client("dynamodb")
        name = f"contract-{re.sub(r'[^A-Za-z0-9]+', '-', request.node.name)[:150]}-{uuid.uuid4().hex[:8]}"
        properties = {**load_template()["Resources"]["RatingsTable"]["Properties"], "TableName": name}
        created = create_table(client, "RatingsTable", properties, Intrinsics(refs={}))
        # Which engine answered: DynamoDB Local names every table in its own fake region and account.
        assert created["TableArn"].startswith(ENGINE_ARN_PREFIX) == (request.param == DYNAMODB_LOCAL)
        table = RatingsTable.named(name)
        yield Engine(request.param, name, client, RatingStore(table), TaskStore(table))
        if request.param == DYNAMODB_LOCAL:
            client.delete_table(TableName=name)
    finally:
        if mock is not None:
            mock.stop()


# -- ratings --------------------------------------------------------------------------------------


@dataclass
class Cancellations:
    """What the rating store read from each cancelled transaction, and what it made of it."""

    reasons: list[list[tuple[str, dict[str, Any] | None] | None]] = field(default_factory=list)
    failed_parts: list[dict[str, dict[str, Any] | None]] = field(default_factory=list)


@pytest.fixture
def cancellations(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Cancellations:
    seen = Cancellations()
    reads = engine.ratings._failed_parts

    def recording(prepared: PreparedRating, cancelled: _Cancelled) -> dict[str, dict[str, Any] | None]:
        seen.reasons.append(
            [
                None if reason is None else (reason.code, reason.raw_item)
                for reason in cancelled.error.cancellation_reasons or []
            ]
        )
        failed = reads(prepared, cancelled)
        seen.failed_parts.append(failed)
        return failed

    monkeypatch.setattr(engine.ratings, "_failed_parts", recording)
    return seen


def prepared_rating(
    submission_id: str,
    rated_at: datetime = RATED_AT,
    *,
    device: str | None = None,
    ticket: Ticket | None = None,
    case_no: str | None = None,
    real_name: bool = False,
    level: Level = Level.VERY_DISSATISFIED,
) -> PreparedRating:
    rating = Rating(
        tracking_code=tracking_code_for(submission_id, SECRET),
        submission_id=submission_id,
        division_code=DIVISION,
        window_code=WINDOW,
        hall_code=HALL,
        department_code=DEPARTMENT,
        staff_job_number="XQ1017",
        level=level,
        channel=Channel.QR,
        tags=("101", "102"),
        tag_version="2026.1",
        comment="等了很久没人理",
        case_no=case_no,
        item_code=None,
        real_name=real_name,
        assess_number=1,
        rated_at=rated_at,
    )
    return PreparedRating(
        rating=rating,
        ticket=ticket,
        cooldown_key=device_key(device, WINDOW) if device else None,
        cooldown_until=rated_at + COOLDOWN if device else None,
    )


def record(engine: Engine, prepared: PreparedRating, ciphertext: bytes | None = None) -> tuple[Rating, bool]:
    return engine.ratings.record(prepared, ciphertext, FOLLOW_UP_PERIOD, TICKET_VALIDITY)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def raw_item(engine: Engine, pk: str, sk: str) -> dict[str, Any] | None:
    return engine.client.get_item(
        TableName=engine.table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
    ).get("Item")


def cooldown_mark(device: str, until: datetime) -> dict[str, Any]:
    return {
        "pk": {"S": keys.cooldown_key(device_key(device, WINDOW))},
        "sk": {"S": keys.MARK_SORT_KEY},
        "kind": {"S": "cooldown"},
        "until": {"N": str(epoch(until))},
        "expires_at": {"N": str(epoch(until + timedelta(days=1)))},
    }


TICKET = Ticket(window_code=WINDOW, number="A0042", issued_at=RATED_AT - timedelta(minutes=30))


def test_first_submission_stores_the_rating_with_every_mark(engine: Engine) -> None:
    # Given a real-name bad review with a device, a ticket and a case
    prepared = prepared_rating(
        "first-submission-01", device="phone-1", ticket=TICKET, case_no="CASE-2026-0001", real_name=True
    )

    # When it is recorded
    stored, created = record(engine, prepared, EVALUATOR_CIPHERTEXT)

    # Then the rating is new and reads back as written, with its personal data beside it
    code = prepared.rating.tracking_code
    assert (stored, created) == (prepared.rating, True)
    assert engine.ratings.get(code) == prepared.rating
    assert engine.ratings.evaluator_ciphertext(code) == EVALUATOR_CIPHERTEXT
    # And every one-time mark is claimed in the same write
    assert raw_item(engine, keys.cooldown_key(device_key("phone-1", WINDOW)), keys.MARK_SORT_KEY) == cooldown_mark(
        "phone-1", RATED_AT + COOLDOWN
    )
    ticket = raw_item(engine, keys.ticket_key(TICKET.ticket_id), keys.MARK_SORT_KEY)
    assert ticket is not None
    assert ticket["kind"] == {"S": "ticket"}
    assert ticket["expires_at"] == {"N": str(epoch(TICKET.issued_at + TICKET_VALIDITY + timedelta(days=1)))}
    case = raw_item(engine, keys.case_key("CASE-2026-0001"), keys.MARK_SORT_KEY)
    assert case is not None
    assert case["rating_count"] == {"N": "1"}
    assert case["tracking_codes"] == {"L": [{"S": code}]}


def test_same_submission_again_returns_the_stored_rating(engine: Engine, cancellations: Cancellations) -> None:
    # Given a rating recorded with all its marks
    first = prepared_rating(
        "resubmitted-0001", device="phone-1", ticket=TICKET, case_no="CASE-2026-0002", real_name=True
    )
    record(engine, first, EVALUATOR_CIPHERTEXT)

    # When the same submission arrives again half a minute later (a retried request)
    retry = prepared_rating(
        "resubmitted-0001",
        RATED_AT + timedelta(seconds=30),
        device="phone-1",
        ticket=TICKET,
        case_no="CASE-2026-0002",
        real_name=True,
    )
    stored, created = record(engine, retry, EVALUATOR_CIPHERTEXT)

    # Then the first rating is returned, not written again
    assert (stored, created) == (first.rating, False)
    assert engine.ratings.get(first.rating.tracking_code) == first.rating
    # And every part failed its condition, only the cool-down (which asked for it) with its old item
    assert cancellations.reasons == [
        [
            (CONDITION_FAILED, None),  # rating
            (CONDITION_FAILED, None),  # evaluator
            (CONDITION_FAILED, cooldown_mark("phone-1", RATED_AT + COOLDOWN)),
            (CONDITION_FAILED, None),  # ticket
            (CONDITION_FAILED, None),  # case
        ]
    ]
    assert cancellations.failed_parts == [
        {
            "rating": None,
            "evaluator": None,
            "cooldown": cooldown_mark("phone-1", RATED_AT + COOLDOWN),
            "ticket": None,
            "case": None,
        }
    ]
    # And the marks are as the first write left them
    case = raw_item(engine, keys.case_key("CASE-2026-0002"), keys.MARK_SORT_KEY)
    assert case is not None
    assert (case["rating_count"], case["tracking_codes"]) == ({"N": "1"}, {"L": [{"S": first.rating.tracking_code}]})


def test_another_rating_from_the_same_device_within_the_cooldown_is_too_many_requests(
    engine: Engine, cancellations: Cancellations
) -> None:
    # Given a rating from a device at a window
    record(engine, prepared_rating("device-first-01", device="phone-2"))

    # When the same device rates the same window again four minutes later
    second = prepared_rating("device-second-1", RATED_AT + timedelta(minutes=4), device="phone-2")
    with pytest.raises(TooManyRequests) as refused:
        record(engine, second)

    # Then it is refused, told to wait what the stored mark's ALL_OLD image says is left
    assert refused.value.retry_after_seconds == 6 * 60
    assert cancellations.reasons == [[None, (CONDITION_FAILED, cooldown_mark("phone-2", RATED_AT + COOLDOWN))]]
    assert engine.ratings.get(second.rating.tracking_code) is None

    # When it rates again once the cool-down is over
    third = prepared_rating("device-third-01", RATED_AT + COOLDOWN + timedelta(seconds=1), device="phone-2")
    stored, created = record(engine, third)

    # Then it is stored and the cool-down runs from the new rating
    assert (stored, created) == (third.rating, True)
    assert raw_item(engine, keys.cooldown_key(device_key("phone-2", WINDOW)), keys.MARK_SORT_KEY) == cooldown_mark(
        "phone-2", third.rating.rated_at + COOLDOWN
    )


def test_a_used_ticket_is_forbidden(engine: Engine, cancellations: Cancellations) -> None:
    # Given a rating made with a ticket
    record(engine, prepared_rating("ticket-first-001", ticket=TICKET))

    # When another submission uses the same ticket
    second = prepared_rating("ticket-second-01", RATED_AT + timedelta(minutes=1), ticket=TICKET)
    with pytest.raises(Forbidden):
        record(engine, second)

    # Then only the ticket's condition failed, and nothing of the second rating was written
    assert cancellations.reasons == [[None, (CONDITION_FAILED, None)]]
    assert engine.ratings.get(second.rating.tracking_code) is None
    assert raw_item(engine, keys.rating_key(second.rating.tracking_code), keys.RATING_SORT_KEY) is None


def test_a_case_takes_one_follow_up_rating_then_conflict(engine: Engine, cancellations: Cancellations) -> None:
    # Given a case rated once
    first = prepared_rating("case-first-0001", case_no="CASE-2026-0003")
    record(engine, first)

    # When a second submission rates the same case within the follow-up period
    second = prepared_rating("case-second-001", RATED_AT + timedelta(days=2), case_no="CASE-2026-0003")
    stored, created = record(engine, second)

    # Then it is stored as the case's follow-up rating 追评 and the case mark counts both
    assert created is True
    assert stored.assess_number == 2
    assert engine.ratings.get(second.rating.tracking_code) == stored
    case = raw_item(engine, keys.case_key("CASE-2026-0003"), keys.MARK_SORT_KEY)
    assert case is not None
    assert case["rating_count"] == {"N": "2"}
    assert case["tracking_codes"] == {"L": [{"S": first.rating.tracking_code}, {"S": second.rating.tracking_code}]}
    assert cancellations.reasons == [[None, (CONDITION_FAILED, None)]]

    # When a third submission rates the case
    third = prepared_rating("case-third-0001", RATED_AT + timedelta(days=3), case_no="CASE-2026-0003")
    with pytest.raises(Conflict, match="already had its rating and its one follow-up"):
        record(engine, third)

    # Then it is refused and not stored
    assert cancellations.reasons[-1] == [None, (CONDITION_FAILED, None)]
    assert engine.ratings.get(third.rating.tracking_code) is None


def test_ratings_are_read_many_at_once_and_an_unknown_code_is_left_out(engine: Engine) -> None:
    # Given 120 ratings stored (more than one BatchGetItem takes)
    stored = [record(engine, prepared_rating(f"many-{n:04d}-0000"))[0] for n in range(120)]
    # When they are read at once with a code that names no rating
    codes = [rating.tracking_code for rating in stored]
    found = engine.ratings.get_many([*codes, "NOSUCHRATING"])
    # Then each stored rating comes back, by its code, as it was stored
    assert found == {rating.tracking_code: rating for rating in stored}
    assert engine.ratings.get_many([]) == {}


# -- tasks ----------------------------------------------------------------------------------------


def task_code(name: str) -> str:
    return tracking_code_for(f"task-{name}", SECRET)


def new_task(code: str, opened_at: datetime, hall: str = HALL, real_name: bool = False) -> Task:
    return open_task(
        tracking_code=code,
        division_code=DIVISION,
        hall_code=hall,
        window_code=WINDOW,
        rated_staff="XQ1017",
        real_name=real_name,
        opened_at=opened_at,
        first_contact_due=opened_at + timedelta(days=1),
        rectification_due=opened_at + timedelta(days=7),
        provisional=False,
        counted_from=opened_at,
        officers=OFFICERS,
    )


def reminder_at(at: datetime) -> Step:
    return Step(DeadlineKind.FIRST_CONTACT, at + timedelta(days=1), Rung.REMINDER, at)


def move(
    engine: Engine,
    code: str,
    action: Action,
    at: datetime,
    text: str = "",
    purge_after: datetime | None = None,
    verdict: str | None = None,
) -> Task:
    """An officer's move over the task as the store reads it, written by the store; no step ahead after it."""

    def decide(before: Task) -> TaskChange:
        after = apply(before, OFFICER, action, before.version, at, text=text, verdict=verdict)
        return TaskChange(after, None, purge_personal_data_at=purge_after)

    changed = engine.tasks.change(code, decide)
    assert changed is not None
    return changed[1]


def close(engine: Engine, code: str, at: datetime, purge_after: datetime | None = None) -> None:
    move(engine, code, Action.RECORD_CONTACT, at)
    move(engine, code, Action.RESOLVE_ON_SPOT, at, text="当场重新办理")
    if move(engine, code, Action.GIVE_FEEDBACK, at, text="已向您说明并当场办结").real_name:
        move(engine, code, Action.RECORD_CALL_BACK, at, verdict="satisfied")  # the call-back after the fix
    move(engine, code, Action.CLOSE, at, purge_after=purge_after)


def test_a_task_is_created_once(engine: Engine) -> None:
    # Given a task opened for a bad review, for the officers it goes to
    code = task_code("created-once")
    task = replace(new_task(code, RATED_AT), officers=tuple(OFFICERS))
    assert engine.tasks.create(task, list(OFFICERS), reminder_at(NOW)) is True

    # When the same bad review's task is opened again (a redelivered message)
    again = engine.tasks.create(new_task(code, RATED_AT + timedelta(hours=1)), ["XQ9999"], None)

    # Then the second write is refused and the first task stays as written
    assert again is False
    assert engine.tasks.get(code) == task
    item = engine.tasks._item(code)
    assert item is not None
    assert (item.revision, item.officers, item.opened_at) == (1, list(OFFICERS), RATED_AT)
    assert (item.due_key, item.next_step_at, item.next_step) == (
        keys.DUE_KEY,
        NOW.isoformat(),
        reminder_at(NOW).key,
    )
    assert [line.sk for line in engine.tasks._trail(code)] == [keys.audit_sort_key(1)]


def test_who_holds_a_task_and_whom_it_went_to_are_read_back_as_written(engine: Engine) -> None:
    # Given a task opened for the hall's officers
    code = task_code("held")
    engine.tasks.create(new_task(code, RATED_AT), list(OFFICERS), reminder_at(NOW))
    opened = engine.tasks.get(code)
    assert opened is not None and (opened.officers, opened.holder) == (tuple(OFFICERS), None)
    # When one of them claims it
    claimed = move(engine, code, Action.CLAIM, NOW)
    # Then the store gives back the holder, the officers and the claim's line, as the move left them
    reread = engine.tasks.get(code)
    assert reread == claimed
    assert (reread.holder, reread.officers) == (OFFICER.identity, tuple(OFFICERS))
    assert [(line.actor, line.action) for line in reread.audit] == [("system", "open"), (OFFICER.identity, "claim")]
    # And the hall's list gives the holder too, without reading the trail
    (listed,) = [t for t in engine.tasks.tasks_of_hall(HALL, 50) if t.tracking_code == code]
    assert listed.holder == OFFICER.identity


def test_a_move_over_a_stale_read_is_changed_meanwhile(engine: Engine) -> None:
    # Given a task that a staff form reads, and that the system writes (officers notified) before
    # the form's move is written
    code = task_code("stale")
    engine.tasks.create(new_task(code, RATED_AT), list(OFFICERS), reminder_at(NOW))
    notified_at = RATED_AT + timedelta(seconds=5)

    def contact_while_the_system_writes(seen_by_form: Task) -> TaskChange:
        engine.tasks.mark_officers_notified(code, notified_at)
        return TaskChange(apply(seen_by_form, OFFICER, Action.RECORD_CONTACT, seen_by_form.version, NOW), None)

    # When the form's move, worked out on the earlier read, is written
    with pytest.raises(ChangedMeanwhile):
        engine.tasks.change(code, contact_while_the_system_writes)

    # Then the task is as the system left it: its partial write bumped the revision, nothing else moved
    stored = engine.tasks._item(code)
    assert stored is not None
    assert (stored.revision, stored.notified_at, stored.version, stored.state) == (2, notified_at, 1, "verifying")
    assert stored.due_key == keys.DUE_KEY
    assert len(engine.tasks._trail(code)) == 1

    # When the move is worked out again on a fresh read and written
    changed = engine.tasks.change(
        code, lambda fresh: TaskChange(apply(fresh, OFFICER, Action.RECORD_CONTACT, fresh.version, NOW), None)
    )

    # Then it is written over the system's write, which it keeps, and leaves the due index
    assert changed is not None
    before, after = changed
    assert (before.version, after.version) == (1, 2)
    assert before.officers_notified_at == after.officers_notified_at == notified_at
    stored = engine.tasks._item(code)
    assert stored is not None
    assert (stored.revision, stored.version) == (3, 2)
    assert stored.notified_at == notified_at
    assert stored.due_key is None and stored.next_step_at is None and stored.next_step is None
    reread = engine.tasks.get(code)
    assert reread is not None
    assert reread == after
    assert reread.contacted_at == NOW
    assert [line.action for line in engine.tasks._trail(code)] == ["open", "record_contact"]


def test_partial_writes_bump_the_revision_and_a_change_respects_it(engine: Engine) -> None:
    # Given a task with a step ahead
    code = task_code("partial")
    engine.tasks.create(new_task(code, RATED_AT), list(OFFICERS), reminder_at(NOW))

    # When the step ahead is moved (the index fix), and the step's notice is marked sent
    later = reminder_at(NOW + timedelta(hours=3))
    engine.tasks.change(code, lambda task: TaskChange(task, later))
    engine.tasks.mark_step_notified(code, reminder_at(NOW).key)

    # Then each write bumped the revision once
    stored = engine.tasks._item(code)
    assert stored is not None
    assert stored.revision == 3
    assert (stored.next_step_at, stored.next_step, stored.notified_step) == (
        later.at.isoformat(),
        later.key,
        reminder_at(NOW).key,
    )
    # And the task read back carries the notice sent
    task = engine.tasks.get(code)
    assert task is not None and task.notified_step == reminder_at(NOW).key

    # When the same step ahead is set again on the task as it is
    unchanged = engine.tasks.change(code, lambda task: TaskChange(task, later))

    # Then nothing is written
    assert unchanged is not None and unchanged[0] == unchanged[1]
    stored = engine.tasks._item(code)
    assert stored is not None
    assert (stored.revision, stored.next_step) == (3, later.key)

    # When a reader, whose read goes stale before it writes (the officers notified meanwhile),
    # takes the task out of the index
    notified_at = NOW + timedelta(minutes=1)

    def take_out_while_the_system_writes(task: Task) -> TaskChange:
        engine.tasks.mark_officers_notified(code, notified_at)
        return TaskChange(task, None)

    with pytest.raises(ChangedMeanwhile):
        engine.tasks.change(code, take_out_while_the_system_writes)

    # Then nothing of the stale reader's is written: only the system's partial write, which bumped the revision
    stored = engine.tasks._item(code)
    assert stored is not None
    assert (stored.revision, stored.due_key, stored.next_step) == (4, keys.DUE_KEY, later.key)
    assert stored.notified_at == notified_at

    # When a task that does not exist is given a step, or marked notified
    missing = task_code("missing")
    nothing = engine.tasks.change(missing, lambda task: TaskChange(task, later))
    engine.tasks.mark_step_notified(missing, later.key)
    engine.tasks.mark_officers_notified(missing, notified_at)

    # Then no item is made for it
    assert nothing is None
    assert engine.tasks._item(missing) is None
    assert engine.tasks.get(missing) is None


# -- indexes --------------------------------------------------------------------------------------


def test_the_sweep_reads_the_due_tasks_in_due_order(engine: Engine) -> None:
    # Given open tasks with steps due at different times, one not yet due, one with no step,
    # one taken out of the index, and one closed
    steps = {
        "due-3h": reminder_at(NOW - timedelta(hours=3)),
        "due-1h": reminder_at(NOW - timedelta(hours=1)),
        "due-2h": reminder_at(NOW - timedelta(hours=2)),
        "due-now": reminder_at(NOW),
        "later": reminder_at(NOW + timedelta(minutes=1)),
        "taken-out": reminder_at(NOW - timedelta(hours=4)),
        "closed": reminder_at(NOW - timedelta(hours=5)),
    }
    for name, step in steps.items():
        engine.tasks.create(new_task(task_code(name), RATED_AT), list(OFFICERS), step)
    engine.tasks.create(new_task(task_code("no-step"), RATED_AT), list(OFFICERS), None)
    assert engine.tasks.change(task_code("taken-out"), lambda task: TaskChange(task, None)) is not None
    close(engine, task_code("closed"), NOW - timedelta(hours=6))

    # When the sweep reads the due index
    due, items_read = engine.tasks.due_steps(NOW)

    # Then it finds exactly the due steps, oldest first, and read nothing else
    assert due == [(task_code(name), steps[name].key) for name in ("due-3h", "due-2h", "due-1h", "due-now")]
    assert items_read == 4


def test_the_hall_list_keeps_every_open_task_newest_first(engine: Engine) -> None:
    # Given a hall's tasks opened a day apart, two of them closed, and a task of another hall
    opened = {name: RATED_AT + timedelta(days=day) for day, name in enumerate(("t1", "t2", "t3", "t4", "t5"))}
    for name, at in opened.items():
        engine.tasks.create(new_task(task_code(name), at), list(OFFICERS), None)
    engine.tasks.create(new_task(task_code("elsewhere"), RATED_AT, hall=OTHER_HALL), ["XQ2101"], None)
    close(engine, task_code("t2"), NOW)
    close(engine, task_code("t4"), NOW)

    # When the hall's work list is read (the newest two, and every open task)
    listed = engine.tasks.tasks_of_hall(HALL, recent=2)

    # Then the open tasks are all there however old, the newest closed one too, newest first
    assert [(task.tracking_code, task.state) for task in listed] == [
        (task_code("t5"), TaskState.VERIFYING),
        (task_code("t4"), TaskState.CLOSED),
        (task_code("t3"), TaskState.VERIFYING),
        (task_code("t1"), TaskState.VERIFYING),
    ]
    assert [task.opened_at for task in listed] == [opened["t5"], opened["t4"], opened["t3"], opened["t1"]]
    # And the other hall's list is its own
    assert [task.tracking_code for task in engine.tasks.tasks_of_hall(OTHER_HALL, recent=2)] == [task_code("elsewhere")]


def test_closing_a_real_name_task_schedules_the_personal_data_purge(engine: Engine) -> None:
    # Given a real-name bad review with its personal data, and its task
    prepared = prepared_rating("real-name-00001", real_name=True)
    record(engine, prepared, EVALUATOR_CIPHERTEXT)
    code = prepared.rating.tracking_code
    engine.tasks.create(new_task(code, RATED_AT, real_name=True), list(OFFICERS), reminder_at(NOW))
    purge_after = NOW + timedelta(days=180)

    # When the task closes with the retention period's end
    close(engine, code, NOW, purge_after=purge_after)

    # Then the personal data is found by the purge index only once that end has passed
    assert engine.tasks.personal_data_due(purge_after - timedelta(seconds=1)) == []
    assert engine.tasks.personal_data_due(purge_after) == [code]
    evaluator = raw_item(engine, keys.rating_key(code), keys.EVALUATOR_SORT_KEY)
    assert evaluator is not None
    assert evaluator["expires_at"] == {"N": str(epoch(purge_after))}
    assert (evaluator["purge_key"], evaluator["purge_at"]) == ({"S": keys.PURGE_KEY}, {"S": purge_after.isoformat()})
    # And the closed task has left the due index
    assert engine.tasks.due_steps(NOW + timedelta(days=30))[0] == []


# -- paging ---------------------------------------------------------------------------------------


def test_the_sweep_pages_through_every_due_task_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given seven due tasks and two not yet due
    due_at = {f"page-{n}": NOW - timedelta(minutes=10 * (7 - n)) for n in range(7)}
    not_due = {f"ahead-{n}": NOW + timedelta(minutes=1 + n) for n in range(2)}
    for name, at in {**due_at, **not_due}.items():
        engine.tasks.create(new_task(task_code(name), RATED_AT), list(OFFICERS), reminder_at(at))
    queries: list[dict[str, Any]] = []
    send = Connection._make_api_call

    def counting(connection: Connection, operation: str, arguments: dict[str, Any]) -> dict[str, Any]:
        response = send(connection, operation, arguments)
        if operation == "Query":
            queries.append({"Limit": arguments.get("Limit"), "Count": response["Count"]})
        return response

    monkeypatch.setattr(Connection, "_make_api_call", counting)

    # When the sweep reads the due index two items a page
    due, items_read = engine.tasks.due_steps(NOW, page_size=2)

    # Then it got every due task exactly once, in due order, over several pages
    assert due == [(task_code(name), reminder_at(at).key) for name, at in due_at.items()]
    assert items_read == 7
    assert len(queries) >= 4
    assert all(query["Limit"] == 2 and query["Count"] <= 2 for query in queries)
    assert sum(query["Count"] for query in queries) == 7
