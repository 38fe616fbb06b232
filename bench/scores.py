"""Figures for counting scores: item writes and write capacity per rating, at steady state.

The stream consumer's counting (operations/scores.py with the ScoresTable store, as its function
runs it) is fed batches of 100 new ratings over the 20 windows of one hall (20 staff members on
duty, 5 departments), one in ten a bad review, on DynamoDB Local with the ScoresTable created
from the template's own definition. After warm-up batches, so that the day's, month's and year's
sheets already hold every window, staff member and department, the figures are counted at the
DynamoDB client:

- item writes per rating: every item a TransactWriteItems writes, the high-water mark (the
  idempotency write) included, beside the naive scheme's 15 (one update per scope and period:
  window, staff member, department, hall and division, by day, month and year);
- write capacity units per rating: a transactional write costs 2 units per KB of the item
  (the larger of its size before and after), sizes computed by DynamoDB's rules from the items
  as stored; the naive updates are standard writes of items under 1 KB, 1 unit each.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from botocore.client import BaseClient
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
BATCH = 100
WINDOWS, DEPARTMENTS = 20, 5
WARM_UP = int(os.environ.get("BENCH_SCORES_WARM_UP", "10"))
MEASURED = int(os.environ.get("BENCH_SCORES_BATCHES", "50"))
NAIVE_WRITES = 15  # 5 scopes × 3 periods, one update each
TARGET_WRITES, TARGET_COUNTER_WRITES = 1.1, 0.1
STREAM = "arn:aws:dynamodb:cn-northwest-1:123456789012:table/bench-Ratings/stream/2026-03-01T00:00:00.000"
SHARD = "shardId-00000001772323200000-bench"
RATED_AT = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # 09:00 in China


def _scores_table_definition() -> dict[str, Any]:
    template = yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))
    properties = template["Resources"]["ScoresTable"]["Properties"]
    return {key: properties[key] for key in ("AttributeDefinitions", "KeySchema", "BillingMode")}


def value_size(value: dict[str, Any]) -> int:
    """DynamoDB's size of a string or number value."""
    if "S" in value:
        return len(value["S"].encode("utf-8"))
    digits = Decimal(value["N"]).normalize().as_tuple().digits
    return math.ceil(len(digits) / 2) + 1


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def transactional_units(size: int) -> int:
    return 2 * max(1, math.ceil(size / 1024))


@contextmanager
def transactions() -> Iterator[list[dict[str, Any]]]:
    """Every TransactWriteItems request's items while the block runs."""
    seen: list[dict[str, Any]] = []
    original = BaseClient._make_api_call

    def recording(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems":
            seen.append(params)
        return original(self, operation, params)

    BaseClient._make_api_call = recording  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


class _Stores:
    """What counting ratings needs: the score store (no task, so no rating is read)."""

    def __init__(self, scores: Any) -> None:
        self.scores = scores
        self.ratings = None


def _batch(number: int) -> Any:
    from haochaping.domain.rating import Channel, Level, Rating
    from haochaping.domain.scores import RatingChanged, RatingState, StreamBatch, StreamRecord

    records = []
    for n in range(number * BATCH, (number + 1) * BATCH):
        window = n % WINDOWS
        rating = Rating(
            tracking_code=f"B{n:011d}",
            submission_id=f"bench-{n}",
            division_code="640100",
            window_code=f"YC01-A{window + 1:03d}",
            hall_code="YC01",
            department_code=f"11640100MB{window % DEPARTMENTS:08d}",
            staff_job_number=f"YC01{window + 1:04d}",
            level=Level(1 + n % 2 if n % 10 == 0 else 3 + n % 3),
            channel=Channel.QR,
            tags=(),
            tag_version="2026.1",
            comment="",
            case_no=None,
            item_code=None,
            real_name=n % 30 == 0,
            assess_number=1,
            rated_at=RATED_AT + timedelta(seconds=n),
        )
        records.append(StreamRecord(f"{4_421_584_500_000_000_000 + n:028d}", RatingChanged(None, RatingState(rating))))
    return StreamBatch(STREAM, SHARD, tuple(records))


def measure() -> dict[str, float]:
    """Writes and capacity per rating at steady state, on DynamoDB Local."""
    import boto3
    from haochaping.adapters import scores as score_items
    from haochaping.operations import scores
    from localtwin.dynamodb_local import DynamoDBLocalProcess

    engine = DynamoDBLocalProcess()
    engine.start()
    saved = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_DEFAULT_REGION")}
    os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": engine.endpoint, "AWS_DEFAULT_REGION": "us-east-1"})
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    score_items.dynamodb.cache_clear()
    try:
        client = boto3.client("dynamodb", endpoint_url=engine.endpoint, region_name="us-east-1")
        client.create_table(TableName="bench-scores", **_scores_table_definition())
        stores = _Stores(score_items.ScoreStore("bench-scores"))
        for number in range(WARM_UP):
            assert scores.count_batch(_batch(number), stores) == []  # type: ignore[arg-type]
        sizes: dict[tuple[str, str], int] = {}  # each item's size as last written

        def stored_size(key: dict[str, Any]) -> int:
            item = client.get_item(TableName="bench-scores", Key=key, ConsistentRead=True).get("Item", {})
            return item_size(item)

        for item in client.scan(TableName="bench-scores")["Items"]:
            sizes[(item["pk"]["S"], item["sk"]["S"])] = item_size(item)
        writes = counter_writes = units = 0
        with transactions() as seen:
            for number in range(WARM_UP, WARM_UP + MEASURED):
                seen.clear()
                assert scores.count_batch(_batch(number), stores) == []  # type: ignore[arg-type]
                for request in seen:
                    for entry in request["TransactItems"]:
                        ((kind, body),) = entry.items()
                        key = body["Key"] if kind == "Update" else {k: body["Item"][k] for k in ("pk", "sk")}
                        before = sizes.get((key["pk"]["S"], key["sk"]["S"]), 0)
                        after = stored_size(key)
                        sizes[(key["pk"]["S"], key["sk"]["S"])] = after
                        units += transactional_units(max(before, after))
                        writes += 1
                        counter_writes += kind == "Update"
        ratings = MEASURED * BATCH
        sheet_sizes = sorted(size for (pk, _), size in sizes.items() if pk.startswith("SHEET#"))
        return {
            "writes": writes / ratings,
            "counter_writes": counter_writes / ratings,
            "units": units / ratings,
            "smallest_sheet_kb": sheet_sizes[0] / 1024,
            "largest_sheet_kb": sheet_sizes[-1] / 1024,
        }
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        score_items.dynamodb.cache_clear()
        engine.stop()


def main() -> None:
    figures = measure()
    print(
        f"scoring writes per rating at steady state: batches of {BATCH} ratings over {WINDOWS} windows "
        f"({WINDOWS} staff, {DEPARTMENTS} departments) of one hall, {MEASURED} batches after {WARM_UP}, "
        "on DynamoDB Local"
    )
    print(f"{'':>34}{'item writes':>13}{'of them counters':>18}{'WCU':>8}")
    print(
        f"{'naive: an update per scope+period':>34}{NAIVE_WRITES:>13}{NAIVE_WRITES:>18}{NAIVE_WRITES:>8}"
        "   (standard writes, items under 1 KB; 30 WCU as transactions)"
    )
    print(
        f"{'score sheets + high-water mark':>34}{figures['writes']:>13.3f}{figures['counter_writes']:>18.3f}"
        f"{figures['units']:>8.2f}   (transactional: 2 WCU per KB)"
    )
    met = {True: "met", False: "NOT met"}
    print(
        f"targets: ≤ {TARGET_WRITES} item writes per rating ({met[figures['writes'] <= TARGET_WRITES]}), "
        f"counters alone ≤ {TARGET_COUNTER_WRITES} ({met[figures['counter_writes'] <= TARGET_COUNTER_WRITES]}); "
        f"sheets {figures['smallest_sheet_kb']:.1f}–{figures['largest_sheet_kb']:.1f} KB"
    )
