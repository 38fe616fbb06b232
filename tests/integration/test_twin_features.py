"""The twin runs every trigger a template declares: routes, queues, streams, schedules, rules.

The fixture stack under fixtures/twin_features has tiny functions that print what they saw,
so each test reads the twin's captured logs of one function.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from localtwin.twin import LocalTwin

from tests.integration.conftest import http, wait_for

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parent / "fixtures" / "twin_features" / "template.yaml"


@pytest.fixture(scope="module")
def twin() -> Iterator[LocalTwin]:
    with LocalTwin(FIXTURE, {}, "twin-features") as running:
        yield running


def _seen(twin: LocalTwin, function: str) -> list[dict]:
    return [json.loads(line) for line in twin.logs(function) if line.startswith("{")]


def test_http_routes_come_from_the_template_with_path_parameters_and_greedy_paths(twin):
    status, headers, body = http("GET", f"{twin.url}/echo/window-7?lang=en", headers={"Cookie": "device=abc"})
    event = json.loads(body)
    assert status == 200
    assert event["routeKey"] == "GET /echo/{name}"
    assert event["pathParameters"] == {"name": "window-7"}
    assert event["query"] == {"lang": "en"}
    assert event["cookies"] == ["device=abc"]
    assert "seen=1" in headers["Set-Cookie"]

    status, _, body = http("DELETE", f"{twin.url}/files/a/b/c.txt")
    assert status == 200
    assert json.loads(body)["pathParameters"] == {"path": "a/b/c.txt"}


def test_queue_batch_retries_only_reported_failures_and_redrives_poison_to_the_dlq(twin):
    # Given a good and a poison message on the queue
    sqs = twin.client("sqs")
    queue = twin.stack.physical_id("WorkQueue")
    sqs.send_message(QueueUrl=queue, MessageBody="good-q1")
    sqs.send_message(QueueUrl=queue, MessageBody="poison-q1")
    dead_letters = twin.stack.physical_id("WorkDeadLetterQueue")

    # When the twin polls: the poison one fails until the queue's redrive policy moves it
    def in_dlq() -> list[str]:
        messages = sqs.receive_message(QueueUrl=dead_letters, MaxNumberOfMessages=10).get("Messages", [])
        return [m["Body"] for m in messages]

    assert wait_for(in_dlq, timeout=15) == ["poison-q1"]
    # Then the good message was handled once and the poison one as often as maxReceiveCount
    bodies = [x["seen"] for x in _seen(twin, "QueueConsumerFunction")]
    assert bodies.count("good-q1") == 1
    assert bodies.count("poison-q1") == 2


def test_stream_retries_from_the_failed_record_then_sends_the_batch_to_on_failure(twin):
    # Given three writes, the middle one poison
    dynamodb = twin.client("dynamodb")
    table = twin.stack.physical_id("ItemsTable")
    for item_id in ("s-a", "poison-s", "s-b"):
        dynamodb.put_item(TableName=table, Item={"id": {"S": item_id}})
    failures = twin.stack.physical_id("StreamFailureQueue")
    sqs = twin.client("sqs")

    def failure_records() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=failures, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    # When retries are exhausted (MaximumRetryAttempts: 1)
    records = wait_for(failure_records, timeout=10)
    # Then the on-failure destination describes the failed part of the batch
    info = records[0]["DDBStreamBatchInfo"]
    assert records[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["batchSize"] == 2
    seen = [x["seen"] for x in _seen(twin, "StreamConsumerFunction")]
    assert seen.count("s-a") == 1  # records before the failure are never redelivered
    assert seen.count("poison-s") == 2  # first attempt plus one retry


def test_schedules_fire_on_the_twin_clock_when_it_is_advanced(twin):
    # Given the clock moved forward by an hour and a bit, to the middle of a five-minute slot
    before = len(_seen(twin, "TickerFunction"))
    five_minutely_due = min(at for i, at in twin.schedules.next_at.items() if twin.schedules.schedules[i].input is None)
    twin.advance_to(five_minutely_due + timedelta(minutes=60, seconds=150))
    # Then the hourly rule fired with its constant input, and the thirteen five-minute slots it passed
    # coalesced into one firing, at the latest of them
    ticks = wait_for(lambda: [x for x in _seen(twin, "TickerFunction")[before:] if x["tick"] == "hourly"], 5)
    wait_for(lambda: [x for x in _seen(twin, "TickerFunction")[before:] if x["tick"] == "Scheduled Event"], 5)
    five_minutely = [x for x in _seen(twin, "TickerFunction")[before:] if x["tick"] == "Scheduled Event"]
    assert len(ticks) == 1
    assert five_minutely == [
        {"tick": "Scheduled Event", "time": (five_minutely_due + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    ]


def test_eventbridge_rule_routes_matching_events_only(twin):
    events = twin.client("events")
    events.put_events(
        Entries=[
            {"Source": "haochaping.test", "DetailType": "RatingRecorded", "Detail": json.dumps({"n": 1})},
            {"Source": "haochaping.test", "DetailType": "SomethingElse", "Detail": json.dumps({"n": 2})},
        ]
    )
    delivered = wait_for(lambda: _seen(twin, "RuleTargetFunction"), timeout=5)
    assert delivered == [{"rule_event": "RatingRecorded", "detail": {"n": 1}}]


def test_each_function_runs_in_its_own_reused_process(twin):
    for _ in range(3):
        http("GET", f"{twin.url}/echo/x")
    worker = twin.functions.workers["EchoFunction"]
    assert worker.starts == 1
    assert worker.invocations >= 3
    other = twin.functions.workers["QueueConsumerFunction"]
    assert worker.process is not None and other.process is not None
    assert worker.process.pid != other.process.pid
