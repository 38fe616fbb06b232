"""The twin's stream mappings: tumbling windows as Lambda runs them, and the fault hook for tests.

The poller is driven here with a shard and a function that live in memory: what matters is what
the function is handed, batch by batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from localtwin.dynamodb_local import EngineArns
from localtwin.pollers import StreamFaults, StreamPoller
from localtwin.template import EventSource

pytestmark = pytest.mark.template

STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/Ratings/stream/2026-03-01T00:00:00.000"
SHARD = "shardId-00000001-aaaa"
WINDOW = 900
T0 = 1_795_674_600  # 2026-11-26T06:30:00Z, the start of a 15-minute window


def record(n: int, created: int) -> dict[str, Any]:
    return {
        "eventID": f"e{n}",
        "eventName": "INSERT",
        "dynamodb": {"SequenceNumber": f"{n:021d}", "ApproximateCreationDateTime": created, "Keys": {}},
    }


@dataclass
class MemoryShard:
    """One open shard in memory, read as StreamShards reads DynamoDB Local's."""

    records: list[dict[str, Any]]
    position: int = 0

    def refresh(self) -> None:
        pass

    def readable(self, done_with: Callable[[str], bool] = lambda _shard_id: True) -> list[str]:
        return [SHARD]

    def read(self, shard_id: str, limit: int) -> list[dict[str, Any]]:
        taken = self.records[self.position : self.position + limit]
        self.position += len(taken)
        return taken


@dataclass
class Function:
    """Records every event; answers with ``answer(event)``, by default a state counting invocations."""

    events: list[dict[str, Any]] = field(default_factory=list)
    answer: Callable[[dict[str, Any]], Any] | None = None

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if self.answer is not None:
            return self.answer(event)
        return {"state": {"invocations": len(self.events)}, "batchItemFailures": []}

    def batches(self) -> list[list[int]]:
        """The sequence numbers handed over, invocation by invocation (closing ones left out)."""
        return [[int(r["dynamodb"]["SequenceNumber"]) for r in e["Records"]] for e in self.events if e["Records"]]


class Session:
    def client(self, service: str) -> object:
        return object()


def source(tumbling: int = WINDOW, batch_size: int = 4, parallelization: int = 1) -> EventSource:
    return EventSource(
        function="Consumer",
        kind="dynamodb",
        source_output="Stream",
        batch_size=batch_size,
        report_item_failures=True,
        max_retries=5,
        starting_position="TRIM_HORIZON",
        on_failure_output=None,
        batching_window=0,
        tumbling_window=tumbling,
        parallelization=parallelization,
    )


def poller(
    records: list[dict[str, Any]], function: Function, faults: StreamFaults | None = None, **kwargs: Any
) -> StreamPoller:
    polling = StreamPoller(
        source(**kwargs),
        STREAM,
        None,
        function,  # type: ignore[arg-type]
        Session(),  # type: ignore[arg-type]
        "us-east-1",
        engine_arns=EngineArns("us-east-1", "123456789012"),
        faults=faults,
    )
    polling.shards = MemoryShard(records)  # type: ignore[assignment]
    return polling


def run(polling: StreamPoller, rounds: int = 30) -> None:
    for _ in range(rounds):
        polling.poll_once()


def test_a_tumbling_window_names_the_shard_carries_the_state_and_closes() -> None:
    # Given six records: three in one window, three in the next
    records = [record(n, T0 + n) for n in (1, 2, 3)] + [record(n, T0 + WINDOW + n) for n in (4, 5, 6)]
    function = Function()
    # When the twin polls the shard, four records a batch
    run(poller(records, function))
    # Then no batch spans two windows, each invocation names the shard, the stream and its window
    assert function.batches() == [[1, 2, 3], [4, 5, 6]]
    first, closing, second = function.events[:3]
    assert first["shardId"] == SHARD and first["eventSourceARN"] == STREAM
    assert first["window"] == {"start": "2026-11-26T06:30:00Z", "end": "2026-11-26T06:45:00Z"}
    assert (first["state"], first["isFinalInvokeForWindow"], first["isWindowTerminatedEarly"]) == ({}, False, False)
    # And the first window closed, with the state its last answer returned, before the next began
    assert (closing["Records"], closing["isFinalInvokeForWindow"], closing["state"]) == ([], True, {"invocations": 1})
    assert second["window"] == {"start": "2026-11-26T06:45:00Z", "end": "2026-11-26T07:00:00Z"}
    assert second["state"] == {}


def test_an_answer_without_state_is_a_failure_and_the_batch_comes_again() -> None:
    # Given a function that answers its first invocation without the window's state
    records = [record(n, T0 + n) for n in (1, 2)]
    answers = [{"batchItemFailures": []}]
    function = Function(answer=lambda event: answers.pop() if answers else {"state": {}, "batchItemFailures": []})
    # When the twin polls
    run(poller(records, function), rounds=3)
    # Then the batch was handed over again, as Lambda retries a failed invocation
    assert function.batches()[:2] == [[1, 2], [1, 2]]


def test_without_a_tumbling_window_the_event_is_the_records_alone() -> None:
    function = Function(answer=lambda event: {"batchItemFailures": []})
    run(poller([record(1, T0)], function, tumbling=0), rounds=2)
    assert [set(event) for event in function.events] == [{"Records"}]


def test_no_fault_is_injected_unless_the_twin_is_given_some() -> None:
    # Given twenty records and no faults
    records = [record(n, T0 + n) for n in range(1, 21)]
    function = Function()
    polling = poller(records, function)
    # When the twin polls
    run(polling)
    # Then each record was handed over once, in order
    assert [n for batch in function.batches() for n in batch] == list(range(1, 21))
    assert sum(polling.injected.values()) == 0


def test_a_batch_failing_half_way_hands_a_first_part_over_then_the_whole_batch() -> None:
    # Given every batch meets a failure half way
    records = [record(n, T0 + n) for n in range(1, 9)]
    function = Function()
    polling = poller(records, function, StreamFaults(half_way=1.0, seed=3))
    # When the twin polls
    run(polling)
    # Then each batch came first in part (a strict beginning of it) and then whole, once
    batches = function.batches()
    assert batches[1] == [1, 2, 3, 4] and batches[3] == [5, 6, 7, 8]
    assert batches[0] == [1, 2, 3, 4][: len(batches[0])] and 0 < len(batches[0]) < 4
    assert batches[2] == [5, 6, 7, 8][: len(batches[2])] and 0 < len(batches[2]) < 4
    assert len(batches) == 4 and polling.injected["half_way"] == 2


def test_a_batch_delivered_twice_comes_again_at_the_head_of_the_next() -> None:
    # Given every batch's progress is lost after it succeeded
    records = [record(n, T0 + n) for n in range(1, 9)]
    function = Function()
    polling = poller(records, function, StreamFaults(twice=1.0, seed=5))
    # When the twin polls
    run(polling)
    # Then some records came twice, each time at the head of the next batch, and none was lost
    handed = [n for batch in function.batches() for n in batch]
    assert sorted(set(handed)) == list(range(1, 9))
    assert len(handed) > 8 and polling.injected["twice"] >= 1
    first, second = function.batches()[:2]
    repeated = [n for n in second if n in first]
    assert repeated and second[: len(repeated)] == first[-len(repeated) :]


def test_a_parallelization_factor_the_twin_cannot_honour_stops_it() -> None:
    with pytest.raises(ValueError, match="ParallelizationFactor 2"):
        poller([], Function(), parallelization=2)
