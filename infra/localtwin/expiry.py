"""Time to Live on the twin's clock: items whose TTL attribute has passed are deleted.

DynamoDB Local keeps a table's TimeToLiveSpecification but never deletes an expired item, so
without this the template's retention promise (cool-down marks, tickets, evaluators' personal
data) would not show on the twin. AWS deletes within about two days of expiry, on its own
schedule; the twin deletes within ``interval`` real seconds of the twin's clock passing the
time, and at once when the clock is advanced. Each deletion is conditioned on the item still
being expired, so an item whose TTL was moved later in the meantime stays, as on AWS.

Its cost follows the writes, not the table: for a table whose stream shows new images, the twin
learns each item's expiry from the stream as it is written and keeps a queue of them by time
(a Scan of DynamoDB Local grows faster than the table: 2.7 s at 20,000 items, 23 s at 60,000).
Only a table without such a stream is scanned, each round. This is the twin doing the part of
AWS's work that no function does: no function's request path or timer ever scans.
"""

from __future__ import annotations

import heapq
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from localtwin.clock import Clock
from localtwin.stack import Stack
from localtwin.stream_shards import StreamShards

log = logging.getLogger(__name__)
TABLE_TYPE = "AWS::DynamoDB::Table"
IMAGE_VIEWS = {"NEW_IMAGE", "NEW_AND_OLD_IMAGES"}
PAGE = 1000


@dataclass
class _Table:
    name: str
    keys: list[str]
    shards: StreamShards | None  # None: no stream with new images, so it is scanned
    due: list[tuple[int, str]] = field(default_factory=list)  # (expiry, item key as JSON), a heap
    expiry: dict[str, int] = field(default_factory=dict)  # item key as JSON → its latest expiry


class ExpiryDriver(threading.Thread):
    def __init__(self, stack: Stack, dynamodb: Any, streams: Any, clock: Clock, interval: float = 30.0) -> None:
        super().__init__(daemon=True, name="ttl-expiry")
        self.table_names = [physical for kind, physical in stack.resources.values() if kind == TABLE_TYPE]
        self.dynamodb = dynamodb
        self.streams = streams
        self.clock = clock
        self.interval = interval
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self.tables: list[_Table] | None = None
        self.deleted = 0

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def poke(self) -> None:
        """Look again now (the clock was advanced)."""
        self.wake.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.clear()
            try:
                self.expire_once()
            except Exception:  # DynamoDB Local stopping, or a hiccup: the next round tries again
                log.debug("TTL expiry round failed", exc_info=True)
            self.wake.wait(self.interval)

    def expire_once(self) -> int:
        """Delete every item expired by the twin's now; returns how many."""
        if self.tables is None:
            self.tables = [self._describe(name) for name in self.table_names]
        now = int(self.clock.now().timestamp())
        deleted = 0
        for table in self.tables:
            attribute = self._ttl_attribute(table.name)
            if attribute is None:
                continue
            if table.shards is None:
                expired = self._scanned(table, attribute, now)
            else:
                self._follow(table, attribute)
                expired = self._due(table, now)
            for key in expired:
                if self.stopping.is_set():
                    return deleted
                deleted += self._delete_expired(table.name, key, attribute, now)
        self.deleted += deleted
        return deleted

    def _describe(self, name: str) -> _Table:
        description = self.dynamodb.describe_table(TableName=name)["Table"]
        keys = [k["AttributeName"] for k in description["KeySchema"]]
        view = (description.get("StreamSpecification") or {}).get("StreamViewType")
        stream = description.get("LatestStreamArn")
        shards = StreamShards(self.streams, stream) if stream and view in IMAGE_VIEWS else None
        return _Table(name, keys, shards)

    def _ttl_attribute(self, table: str) -> str | None:
        description = self.dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        if description.get("TimeToLiveStatus") != "ENABLED":
            return None
        return str(description["AttributeName"])

    def _follow(self, table: _Table, attribute: str) -> None:
        """Learn from the stream what was written since: each item's latest expiry, or none."""
        assert table.shards is not None
        table.shards.refresh()
        for shard_id in table.shards.readable():
            while records := table.shards.read(shard_id, PAGE):
                for record in records:
                    change = record["dynamodb"]
                    key = json.dumps(change["Keys"], sort_keys=True)
                    expires = (change.get("NewImage") or {}).get(attribute, {}).get("N")
                    if record["eventName"] == "REMOVE" or expires is None:
                        table.expiry.pop(key, None)
                        continue
                    table.expiry[key] = int(float(expires))
                    heapq.heappush(table.due, (table.expiry[key], key))

    @staticmethod
    def _due(table: _Table, now: int) -> list[dict[str, Any]]:
        expired = []
        while table.due and table.due[0][0] < now:
            expires, key = heapq.heappop(table.due)
            if table.expiry.get(key) == expires:  # not rewritten, moved or removed since
                del table.expiry[key]
                expired.append(json.loads(key))
        return expired

    def _delete_expired(self, table: str, key: dict[str, Any], attribute: str, now: int) -> int:
        try:
            self.dynamodb.delete_item(
                TableName=table,
                Key=key,
                ConditionExpression="#ttl < :now",
                ExpressionAttributeNames={"#ttl": attribute},
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
            return 1
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return 0  # written again since: no longer expired

    def _scanned(self, table: _Table, attribute: str, now: int) -> list[dict[str, Any]]:
        names = {f"#k{i}": key for i, key in enumerate(table.keys)} | {"#ttl": attribute}
        arguments: dict[str, Any] = {
            "TableName": table.name,
            "FilterExpression": "#ttl < :now",
            "ProjectionExpression": ", ".join(n for n in names if n != "#ttl"),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {":now": {"N": str(now)}},
        }
        found: list[dict[str, Any]] = []
        while True:
            page = self.dynamodb.scan(**arguments)
            found.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
