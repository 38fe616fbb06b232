"""Time to Live on the twin's clock: items whose TTL attribute has passed are deleted.

DynamoDB Local keeps a table's TimeToLiveSpecification but never deletes an expired item, so
without this the template's retention promise (cool-down marks, tickets, evaluators' personal
data) would not show on the twin. AWS deletes within about two days of expiry, on its own
schedule; the twin deletes within ``interval`` real seconds of the twin's clock passing the
time, and at once when the clock is advanced. Each deletion is conditioned on the item still
being expired, so an item whose TTL was moved later in the meantime stays, as on AWS.

This is the twin doing the Lambda-free part of AWS's work, so it reads with a Scan: no
function's request path or timer ever does.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from localtwin.clock import Clock
from localtwin.stack import Stack

log = logging.getLogger(__name__)
TABLE_TYPE = "AWS::DynamoDB::Table"


class ExpiryDriver(threading.Thread):
    def __init__(self, stack: Stack, dynamodb: Any, clock: Clock, interval: float = 30.0) -> None:
        super().__init__(daemon=True, name="ttl-expiry")
        self.tables = [physical for kind, physical in stack.resources.values() if kind == TABLE_TYPE]
        self.dynamodb = dynamodb
        self.clock = clock
        self.interval = interval
        self.stopping = threading.Event()
        self.wake = threading.Event()
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
        now = int(self.clock.now().timestamp())
        deleted = 0
        for table in self.tables:
            attribute = self._ttl_attribute(table)
            if attribute is None:
                continue
            keys = [k["AttributeName"] for k in self.dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]]
            for key in self._expired(table, attribute, keys, now):
                if self.stopping.is_set():
                    return deleted
                try:
                    self.dynamodb.delete_item(
                        TableName=table,
                        Key=key,
                        ConditionExpression="#ttl < :now",
                        ExpressionAttributeNames={"#ttl": attribute},
                        ExpressionAttributeValues={":now": {"N": str(now)}},
                    )
                    deleted += 1
                except self.dynamodb.exceptions.ConditionalCheckFailedException:
                    continue  # written again since the scan: no longer expired
        self.deleted += deleted
        return deleted

    def _ttl_attribute(self, table: str) -> str | None:
        description = self.dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        if description.get("TimeToLiveStatus") != "ENABLED":
            return None
        return str(description["AttributeName"])

    def _expired(self, table: str, attribute: str, keys: list[str], now: int) -> list[dict[str, Any]]:
        names = {f"#k{i}": key for i, key in enumerate(keys)} | {"#ttl": attribute}
        arguments: dict[str, Any] = {
            "TableName": table,
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
