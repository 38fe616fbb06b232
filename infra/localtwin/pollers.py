"""Event source mappings as Lambda runs them: DynamoDB streams and SQS queues, in batches.

Both honour ``ReportBatchItemFailures``: only the reported items are retried. A stream batch
that keeps failing is sent to its on-failure destination after ``MaximumRetryAttempts``, then
the shard moves on; a queue message that keeps failing is moved by the queue's own redrive
policy (moto applies it on receive). A stream mapping with ``TumblingWindowInSeconds`` invokes
as Lambda's tumbling windows do: each batch within one window of its records' creation times,
the event naming the window, the shard and the state the previous answer returned, an answer
without ``state`` taken for a failure, and a closing invocation (no records,
``isFinalInvokeForWindow``) once the window is over.

``StreamFaults`` is a test hook, off unless a twin is given one: it makes the faults a stream
mapping meets on AWS frequent enough for a test to see them.
"""

from __future__ import annotations

import base64
import collections
import json
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3

from localtwin.dynamodb_local import EngineArns
from localtwin.functions import FunctionPool, InvocationError
from localtwin.stream_shards import StreamShards
from localtwin.template import EventSource


def _failed_ids(result: Any, report_item_failures: bool) -> set[str] | None:
    """The item ids to retry; None means the whole batch failed."""
    if not report_item_failures:
        return set()
    if not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures") or []
    ids = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier:
            return None  # an unusable report fails the whole batch, as Lambda does
        ids.add(str(identifier))
    return ids


class Poller(threading.Thread):
    def __init__(
        self,
        source: EventSource,
        source_arn: str,
        on_failure_arn: str | None,
        functions: FunctionPool,
        session: boto3.Session,
        region: str,
        idle_sleep: float = 0.1,
    ) -> None:
        super().__init__(daemon=True, name=f"poller-{source.function}")
        self.source = source
        self.source_arn = source_arn
        self.on_failure_arn = on_failure_arn
        self.functions = functions
        self.session = session
        self.region = region
        self.idle_sleep = idle_sleep
        self.stopping = threading.Event()
        self.batches = 0
        self.errors = 0

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                worked = self.poll_once()
            except Exception:  # the poller survives a server's hiccup and keeps its position
                self.errors += 1
                worked = False
            if not worked:
                self.stopping.wait(self.idle_sleep)

    def poll_once(self) -> bool:
        raise NotImplementedError

    def invoke(self, records: list[dict[str, Any]]) -> set[str] | None:
        try:
            result = self.functions.invoke(self.source.function, {"Records": records})
        except InvocationError:
            return None
        self.batches += 1
        return _failed_ids(result, self.source.report_item_failures)


@dataclass(frozen=True)
class StreamFaults:
    """Faults a stream mapping meets on AWS, made frequent (a test hook; a twin has none unless given).

    Each batch meets at most one of them, once, chosen with ``seed``:

    - ``half_way``: the share of batches whose invocation handles a first part of the batch and
      then fails, as one that timed out with some of its work done; the whole batch is retried.
      The injected failure does not count against ``MaximumRetryAttempts``.
    - ``twice``: the share of batches whose progress is lost after they succeeded: a tail of the
      batch is delivered again, at the head of the shard's next batch.
    """

    half_way: float = 0.0
    twice: float = 0.0
    seed: int = 0


@dataclass
class _Window:
    """A shard's open tumbling window: its bounds (epoch seconds) and the state the function returned."""

    start: int
    end: int
    state: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        return {
            "window": {"start": _iso(self.start), "end": _iso(self.end)},
            "state": self.state,
            "isWindowTerminatedEarly": False,
        }


class StreamPoller(Poller):
    """Reads every shard of a table's stream in order, a child only after its parent is done; a
    shard waits on its failing batch, as Lambda's stream mapping does.

    The stream lives in DynamoDB Local, whose ARNs differ from the stack's (``EngineArns``); the
    records carry the stack's, as Lambda's do.
    """

    def __init__(self, *args: Any, engine_arns: EngineArns, faults: StreamFaults | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.source.parallelization != 1:
            raise ValueError(
                f"{self.source.function}: ParallelizationFactor {self.source.parallelization}; "
                "the twin reads a shard one batch at a time (1)"
            )
        self.shards = StreamShards(
            self.session.client("dynamodbstreams"),
            engine_arns.for_engine(self.source_arn),
            from_latest=self.source.starting_position != "TRIM_HORIZON",
        )
        self.pending: dict[str, list[dict[str, Any]]] = {}  # shard → records read, not yet done
        self.attempts: dict[str, int] = {}
        self.windows: dict[str, _Window] = {}  # shard → its open tumbling window
        self.faults = faults
        self.random = random.Random(faults.seed if faults else 0)  # noqa: S311 - reproducible test faults, no secret
        self.faulted: set[str] = set()  # first sequence numbers of the batches a fault met
        self.injected: collections.Counter[str] = collections.Counter()  # faults injected, by kind

    def _done_with(self, shard_id: str) -> bool:
        return not self.pending.get(shard_id)

    def poll_once(self) -> bool:
        self.shards.refresh()
        worked = False
        for shard_id in self.shards.readable(self._done_with):
            worked |= self._poll_shard(shard_id)
        for shard_id in list(self.windows):
            if not self.pending.get(shard_id) and self.windows[shard_id].end <= time.time():
                worked |= self._close_window(shard_id)
        return worked

    def _invoke_stream(self, shard_id: str, records: list[dict[str, Any]]) -> set[str] | None:
        """Invoke with the records; in a tumbling window with the window's fields, keeping the
        state the function returns (an answer without one is a failure, as on AWS)."""
        window = self.windows.get(shard_id)
        if window is None:
            return self.invoke(records)
        event = {
            "Records": records,
            **window.fields(),
            "shardId": shard_id,
            "eventSourceARN": self.source_arn,
            "isFinalInvokeForWindow": False,
        }
        try:
            result = self.functions.invoke(self.source.function, event)
        except InvocationError:
            return None
        self.batches += 1
        if not isinstance(result, dict) or not isinstance(result.get("state"), dict):
            return None
        window.state = result["state"]
        return _failed_ids(result, self.source.report_item_failures)

    def _close_window(self, shard_id: str) -> bool:
        """The window's closing invocation; the window stays open until it succeeds."""
        window = self.windows[shard_id]
        event = {
            "Records": [],
            **window.fields(),
            "shardId": shard_id,
            "eventSourceARN": self.source_arn,
            "isFinalInvokeForWindow": True,
        }
        try:
            result = self.functions.invoke(self.source.function, event)
        except InvocationError:
            return True
        if isinstance(result, dict) and isinstance(result.get("state"), dict):
            del self.windows[shard_id]
        return True

    def _in_window(self, shard_id: str, pending: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """The next batch: in a tumbling window, the leading records of the first record's window
        (None: the shard's previous window must close first)."""
        batch = pending[: self.source.batch_size]
        size = self.source.tumbling_window
        if not size:
            return batch
        start = _created(batch[0]) - _created(batch[0]) % size
        window = self.windows.get(shard_id)
        if window is not None and window.start != start:
            return None
        if window is None:
            self.windows[shard_id] = _Window(start, start + size)
        count = 0
        while count < len(batch) and start <= _created(batch[count]) < start + size:
            count += 1
        return batch[:count]

    def _fail_half_way(self, shard_id: str, batch: list[dict[str, Any]]) -> bool:
        """Maybe the batch meets an invocation that handles a first part and fails (a test hook)."""
        if not self.faults or len(batch) < 2 or not self._meets(batch, self.faults.half_way):
            return False
        cut = self.random.randint(1, len(batch) - 1)
        self._invoke_stream(shard_id, batch[:cut])
        self.injected["half_way"] += 1
        return True

    def _delivered_again(self, batch: list[dict[str, Any]]) -> int:
        """How many of the batch's last records come again with the next batch (a test hook)."""
        if not self.faults or not self._meets(batch, self.faults.twice):
            return 0
        self.injected["twice"] += 1
        return self.random.randint(1, len(batch))

    def _meets(self, batch: list[dict[str, Any]], share: float) -> bool:
        first = batch[0]["dynamodb"]["SequenceNumber"]
        if first in self.faulted or self.random.random() >= share:
            return False
        self.faulted.add(first)
        return True

    def _poll_shard(self, shard_id: str) -> bool:
        pending = self.pending.setdefault(shard_id, [])
        if len(pending) < self.source.batch_size:
            for record in self.shards.read(shard_id, self.source.batch_size - len(pending)):
                record = dict(record)
                record["eventSourceARN"] = self.source_arn
                record["awsRegion"] = self.region  # DynamoDB Local says "ddblocal"
                pending.append(json.loads(json.dumps(record, default=_json_default)))
        if not pending:
            return False
        batch = self._in_window(shard_id, pending)
        if batch is None:
            return self._close_window(shard_id)
        if self._fail_half_way(shard_id, batch):
            return True
        failed = self._invoke_stream(shard_id, batch)
        if failed is not None and not failed:
            del pending[: len(batch) - self._delivered_again(batch)]
            self.attempts[shard_id] = 0
            return True
        # Retry from the first failed record: records before it are done, as on AWS.
        start = 0
        if failed:
            sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
            start = min(sequence.index(f) for f in failed if f in sequence) if failed & set(sequence) else 0
        del pending[:start]
        self.attempts[shard_id] = self.attempts.get(shard_id, 0) + 1
        limit = self.source.max_retries
        if limit >= 0 and self.attempts[shard_id] > limit:
            self._send_on_failure(shard_id, pending[: len(batch) - start])
            del pending[: len(batch) - start]
            self.attempts[shard_id] = 0
        return True

    def _send_on_failure(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        if not records or self.on_failure_arn is None:
            return
        # Lambda sends a description of the failed batch, not the records themselves.
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        message = {
            "requestContext": {
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self.source.max_retries + 1,
            },
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "batchSize": len(records),
                "streamArn": self.source_arn,
            },
            "timestamp": datetime.now(UTC).isoformat(),
        }
        queue_url = _queue_url(self.session, self.on_failure_arn)
        self.session.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))


class QueuePoller(Poller):
    """Long-polls a queue; deletes what succeeded, makes failed messages visible again soon."""

    retry_delay_seconds = 1  # the twin retries quickly; AWS waits for the visibility timeout

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sqs = self.session.client("sqs")
        self.queue_url = _queue_url(self.session, self.source_arn)

    def poll_once(self) -> bool:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(10, self.source.batch_size),
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return False
        records = [self._record(m) for m in messages]
        failed = self.invoke(records)
        for message in messages:
            if failed is None or message["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self.retry_delay_seconds,
                )
            else:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return True

    def _record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        attributes = {k: str(v) for k, v in (message.get("Attributes") or {}).items()}
        message_attributes = {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType"),
            }
            for name, value in (message.get("MessageAttributes") or {}).items()
        }
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": attributes,
            "messageAttributes": message_attributes,
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.source_arn,
            "awsRegion": self.region,
        }


def _queue_url(session: boto3.Session, arn: str) -> str:
    parts = arn.split(":")
    return session.client("sqs").get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]


def _created(record: dict[str, Any]) -> int:
    return int(record["dynamodb"]["ApproximateCreationDateTime"])


def _iso(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)
