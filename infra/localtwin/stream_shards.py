"""Where a reader stands in each shard of one DynamoDB stream, in DynamoDB Local.

Shards are found as they appear; a child shard is read only once its parent is read to its end
(and whatever the reader still holds of it is done), as Lambda's stream mappings read them.
Used by the stream event sources (localtwin.pollers) and the twin's TTL (localtwin.expiry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class ShardPosition:
    parent: str | None
    iterator: str | None = None  # the next read's; None until the first read
    last: str | None = None  # sequence number of the last record read
    exhausted: bool = False  # a closed shard read to its end


class StreamShards:
    def __init__(self, streams: Any, stream_arn: str, from_latest: bool = False) -> None:
        self.streams = streams
        self.stream_arn = stream_arn  # DynamoDB Local's own ARN of the stream
        self.from_latest = from_latest  # LATEST: what the stream holds at the first look is skipped
        self.positions: dict[str, ShardPosition] = {}
        self._first_look = True

    def refresh(self) -> None:
        arguments: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            description = self.streams.describe_stream(**arguments)["StreamDescription"]
            for shard in description.get("Shards", []):
                shard_id = shard["ShardId"]
                if shard_id not in self.positions:
                    self.positions[shard_id] = ShardPosition(parent=shard.get("ParentShardId"))
                    if self._first_look and self.from_latest:
                        self.positions[shard_id].last = self._last_sequence_number(shard_id)
            if not description.get("LastEvaluatedShardId"):
                break
            arguments["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]
        self._first_look = False

    def readable(self, done_with: Callable[[str], bool] = lambda _shard_id: True) -> list[str]:
        """Shards to read now: not read to their end, and their parent (if known) read and
        ``done_with`` (the reader holds nothing more of it)."""
        ready = []
        for shard_id, position in self.positions.items():
            parent = self.positions.get(position.parent or "")
            parent_done = parent is None or (parent.exhausted and done_with(position.parent or ""))
            if parent_done and not (position.exhausted and done_with(shard_id)):
                ready.append(shard_id)
        return ready

    def read(self, shard_id: str, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` records after the last one read; marks a closed shard's end."""
        position = self.positions[shard_id]
        if position.exhausted:
            return []
        if position.iterator is None or position.last is None:
            # Until a shard has given a record, each read starts afresh from its beginning:
            # DynamoDB Local's iterator over an empty shard goes stale once any table is written.
            position.iterator = self._iterator(shard_id, position.last)
        try:
            response = self.streams.get_records(ShardIterator=position.iterator, Limit=limit)
        except (self.streams.exceptions.ExpiredIteratorException, self.streams.exceptions.TrimmedDataAccessException):
            position.iterator = None  # a new one after the last record read, next time
            return []
        next_iterator = response.get("NextShardIterator")
        if next_iterator is None:
            position.exhausted = True  # a closed shard gives no next iterator after its last record
        position.iterator = next_iterator
        records = list(response.get("Records", []))
        if records:
            position.last = str(records[-1]["dynamodb"]["SequenceNumber"])
        return records

    def _iterator(self, shard_id: str, after: str | None) -> str:
        position: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        if after is not None:
            position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        response = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id, **position)
        return str(response["ShardIterator"])

    def _last_sequence_number(self, shard_id: str) -> str | None:
        last = None
        iterator: str | None = self._iterator(shard_id, None)
        while iterator:
            response = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            records = response.get("Records", [])
            if not records:
                break
            last = str(records[-1]["dynamodb"]["SequenceNumber"])
            iterator = response.get("NextShardIterator")
        return last
