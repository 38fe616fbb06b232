"""Figures for the deadline sweep: 10 due tasks among 1,000 and among 50,000 closed ones.

The Ratings table is created in moto (in-process) from the template's own definition, with its
EscalationDue index; closed tasks carry no escalation keys, due ones do. The sweep runs as its
function runs it (query the index up to now, queue each step) and the figures are its time and
the items DynamoDB reports as read (ScannedCount), side by side. The time spent inside moto's
Query is shown apart: moto finds index items by walking every item of the table, which
DynamoDB does not, so that part grows with the table here and not on AWS.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.client import BaseClient
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
CLOSED = tuple(int(n) for n in os.environ.get("BENCH_CLOSED_TASKS", "1000,50000").split(","))
DUE = 10
RUNS = int(os.environ.get("BENCH_SWEEP_RUNS", "7"))
TARGET_RATIO = 1.2


@contextmanager
def query_time() -> Iterator[list[float]]:
    """Seconds spent in each DynamoDB Query call (moto's share of the sweep)."""
    spent: list[float] = []
    original = BaseClient._make_api_call

    def timed(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation != "Query":
            return original(self, operation, params)
        started = time.perf_counter()
        try:
            return original(self, operation, params)
        finally:
            spent.append(time.perf_counter() - started)

    BaseClient._make_api_call = timed  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def _ratings_table_definition() -> dict[str, Any]:
    template = yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))
    properties = template["Resources"]["RatingsTable"]["Properties"]
    return {
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "GlobalSecondaryIndexes": properties["GlobalSecondaryIndexes"],
        "BillingMode": properties["BillingMode"],
    }


def _task(code: str, due_at: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": f"TASK#{code}",
        "sk": "TASK",
        "kind": "task",
        "hall_key": "HALL#YC01",
        "opened_key": "2026-03-02T02:00:00+00:00",
        "tracking_code": code,
        "state": "closed" if due_at is None else "verifying",
        "version": 6,
        "body": "{}",
    }
    if due_at is not None:
        item |= {"due_key": "DUE", "next_step_at": due_at, "next_step": f"rectification|{due_at}|hall_supervisor"}
    return item


def sweep_among(closed: int) -> tuple[float, float, int, int]:
    """(median sweep ms, of which in moto's Query ms, items read, steps queued)."""
    from haochaping import escalations
    from haochaping.adapters import queues
    from haochaping.adapters.tables import bind_tables
    from haochaping.domain.rating import utc_now
    from haochaping.settings import Settings
    from moto import mock_aws

    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        table = dynamodb.create_table(TableName=f"bench-ratings-{closed}", **_ratings_table_definition())
        queue_url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="bench-escalation")["QueueUrl"]
        due_at = (utc_now() - timedelta(hours=1)).isoformat()
        with table.batch_writer() as batch:
            for n in range(closed):
                batch.put_item(Item=_task(f"C{n:011d}", None))
            for n in range(DUE):
                batch.put_item(Item=_task(f"D{n:011d}", due_at))
        # The sweep reads these three settings only.
        settings = Settings.model_construct(
            ratings_table=table.name, registry_table="bench-registry", escalation_queue_url=queue_url
        )
        queues.sqs.cache_clear()
        bind_tables(table.name, reconnect=True)
        times, in_query, read, queued = [], [], 0, 0
        for _ in range(RUNS + 1):
            with query_time() as spent:
                started = time.perf_counter()
                result = escalations.sweep(settings)
                times.append(time.perf_counter() - started)
            in_query.append(sum(spent))
            read, queued = result.items_read, result.queued
        queues.sqs.cache_clear()
    # The first run builds clients and connections: left out of the median.
    return statistics.median(times[1:]) * 1000, statistics.median(in_query[1:]) * 1000, read, queued


def main() -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    for variable in ("AWS_ENDPOINT_URL",):  # mock_aws intercepts only without an endpoint
        os.environ.pop(variable, None)
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    print(f"deadline sweep, {DUE} due tasks among closed ones, median of {RUNS} sweeps (moto in-process)")
    print(f"{'closed tasks':>12}{'sweep ms':>10}{'in Query':>10}{'rest ms':>9}{'items read':>12}{'queued':>8}")
    rows = []
    for closed in CLOSED:
        total, query, read, queued = sweep_among(closed)
        rows.append((closed, total, query, read))
        print(f"{closed:>12,}{total:>10.1f}{query:>10.1f}{total - query:>9.1f}{read:>12}{queued:>8}")
    (small, small_ms, small_q, small_read), (large, large_ms, large_q, large_read) = rows[0], rows[-1]
    print(
        f"time ratio {large:,} ÷ {small:,}: {large_ms / small_ms:.2f} overall, "
        f"{(large_ms - large_q) / (small_ms - small_q):.2f} outside moto's Query (target ≤ {TARGET_RATIO}); "
        f"items read {'equal' if small_read == large_read else 'NOT equal'} ({small_read} and {large_read})"
    )
