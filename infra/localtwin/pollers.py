"""Event source mappings as Lambda runs them: DynamoDB streams and SQS queues, in batches.

Both honour ``ReportBatchItemFailures``: only the reported items are retried. A stream batch
that keeps failing is sent to its on-failure destination after ``MaximumRetryAttempts``, then
the shard moves on; a queue message that keeps failing is moved by the queue's own redrive
policy (moto applies it on receive).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
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


class StreamPoller(Poller):
    """Reads every shard of a table's stream in order, a child only after its parent is done; a
    shard waits on its failing batch, as Lambda's stream mapping does.

    The stream lives in DynamoDB Local, whose ARNs differ from the stack's (``EngineArns``); the
    records carry the stack's, as Lambda's do.
    """

    def __init__(self, *args: Any, engine_arns: EngineArns, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shards = StreamShards(
            self.session.client("dynamodbstreams"),
            engine_arns.for_engine(self.source_arn),
            from_latest=self.source.starting_position != "TRIM_HORIZON",
        )
        self.pending: dict[str, list[dict[str, Any]]] = {}  # shard → records read, not yet done
        self.attempts: dict[str, int] = {}

    def _done_with(self, shard_id: str) -> bool:
        return not self.pending.get(shard_id)

    def poll_once(self) -> bool:
        self.shards.refresh()
        worked = False
        for shard_id in self.shards.readable(self._done_with):
            worked |= self._poll_shard(shard_id)
        return worked

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
        batch = pending[: self.source.batch_size]
        failed = self.invoke(batch)
        if failed is not None and not failed:
            del pending[: len(batch)]
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


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)
