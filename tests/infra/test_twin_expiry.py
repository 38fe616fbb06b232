"""The twin's Time to Live on DynamoDB Local, which never deletes an expired item itself.

A table whose stream shows new images is followed through its stream (the cost follows the
writes); a table without one is scanned. Either way an item goes once the twin's clock passes
its TTL, and an item whose TTL moved later meanwhile stays.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from localtwin.clock import Clock
from localtwin.dynamodb_local import DynamoDBLocalProcess
from localtwin.expiry import ExpiryDriver
from localtwin.stack import Stack

pytestmark = pytest.mark.template

# Ahead of the real clock: on a busy machine, items whose time had passed on the real clock were seen
# to vanish before the twin expired them (DynamoDB Local's own sweep), racing the clock this test
# drives. Only the twin's clock may reach these.
START = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)


@pytest.fixture(scope="module")
def engine() -> Iterator[DynamoDBLocalProcess]:
    process = DynamoDBLocalProcess()
    process.start()
    yield process
    process.stop()


def _client(engine: DynamoDBLocalProcess, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=engine.endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def _table(dynamodb: Any, name: str, stream: bool) -> str:
    extra: dict[str, Any] = {}
    if stream:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    return name


def _put(dynamodb: Any, table: str, pk: str, expires: datetime | None) -> None:
    item = {"pk": {"S": pk}, "sk": {"S": "MARK"}}
    if expires is not None:
        item["expires_at"] = {"N": str(int(expires.timestamp()))}
    dynamodb.put_item(TableName=table, Item=item)


def _left(dynamodb: Any, table: str) -> list[str]:
    return sorted(item["pk"]["S"] for item in dynamodb.scan(TableName=table)["Items"])


@pytest.mark.parametrize("stream", [True, False], ids=["followed-through-its-stream", "scanned"])
def test_an_item_goes_when_the_twins_clock_passes_its_ttl(engine: DynamoDBLocalProcess, stream: bool) -> None:
    # Given a table with TTL, and items that expire in an hour, in a day, never, and one moved later
    dynamodb = _client(engine, "dynamodb")
    table = _table(dynamodb, f"expiry-{'stream' if stream else 'scan'}", stream)
    clock = Clock(start=START)
    stack = Stack(name="expiry", resources={"Table": ("AWS::DynamoDB::Table", table)}, outputs={})
    driver = ExpiryDriver(stack, dynamodb, _client(engine, "dynamodbstreams"), clock)
    _put(dynamodb, table, "hour", START + timedelta(hours=1))
    _put(dynamodb, table, "day", START + timedelta(days=1))
    _put(dynamodb, table, "never", None)
    _put(dynamodb, table, "moved", START + timedelta(hours=1))
    assert driver.expire_once() == 0
    _put(dynamodb, table, "moved", START + timedelta(days=2))  # written again, expiring later

    # When the clock passes two hours, then three days
    clock.advance(timedelta(hours=2))
    after_hours = driver.expire_once()
    left_after_hours = _left(dynamodb, table)
    clock.advance(timedelta(days=3))
    after_days = driver.expire_once()

    # Then each item goes once, when its own time has passed, and an item without TTL stays
    assert (after_hours, left_after_hours) == (1, ["day", "moved", "never"])
    assert (after_days, _left(dynamodb, table)) == (2, ["never"])
    assert driver.expire_once() == 0
    assert driver.deleted == 3
