"""Figures for the deadline sweep: 10 due tasks among 1,000 and among 50,000 closed ones.

The Ratings table is created from the template's own definition, with its EscalationDue index;
closed tasks carry no escalation keys, due ones do. The sweep runs as its function runs it
(query the index up to now, queue each step) and the figures are its time and the items the
database reports as read (ScannedCount), on the twin's own engines: the table in DynamoDB Local
(AWS's implementation, which keeps each index as an index and reads a range of it, as DynamoDB
does), the queue in moto's server. The time spent inside the Query call is shown apart.
"""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.client import BaseClient
from haochaping.adapters import keys
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
CLOSED = tuple(int(n) for n in os.environ.get("BENCH_CLOSED_TASKS", "1000,50000").split(","))
DUE = 10
RUNS = int(os.environ.get("BENCH_SWEEP_RUNS", "7"))
TARGET_RATIO = 1.2


@contextmanager
def query_time() -> Iterator[list[float]]:
    """Seconds spent in each DynamoDB Query call (the engine's share of the sweep)."""
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
        "pk": keys.task_key(code),
        "sk": keys.TASK_SORT_KEY,
        "kind": "task",
        "hall_key": keys.hall_key("YC01"),
        "opened_key": "2026-03-02T02:00:00+00:00",
        "tracking_code": code,
        "state": "closed" if due_at is None else "verifying",
        "version": 6,
        "body": "{}",
    }
    if due_at is not None:
        item |= {
            "due_key": keys.DUE_KEY,
            "next_step_at": due_at,
            "next_step": f"rectification|{due_at}|hall_supervisor",
        }
    return item


@contextmanager
def twin_engines() -> Iterator[None]:
    """Tables in DynamoDB Local and the queue in moto's server, each in its own process, as the
    twin runs them (the bench's process holds only the sweep)."""
    from localtwin.twin import TwinServers

    with TwinServers() as servers:
        endpoints = servers.endpoints.environment()
        saved = {name: os.environ.get(name) for name in endpoints}
        os.environ.update(endpoints)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


Backend = Callable[[], contextlib.AbstractContextManager[None]]


def sweep_among(closed: int, backend: Backend) -> tuple[float, float, int, int]:
    """(median sweep ms, of which in the Query call ms, items read, steps queued)."""
    from haochaping.adapters import queues
    from haochaping.domain.rating import utc_now
    from haochaping.operations import escalation
    from haochaping.settings import Settings
    from haochaping.wiring import AwsStores

    with backend():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        table = dynamodb.create_table(TableName=f"bench-ratings-{closed}", **_ratings_table_definition())
        table.wait_until_exists()
        sqs = boto3.client("sqs", region_name="us-east-1")
        due_at = (utc_now() - timedelta(hours=1)).isoformat()
        with table.batch_writer() as batch:
            for n in range(closed):
                batch.put_item(Item=_task(f"C{n:011d}", None))
            for n in range(DUE):
                batch.put_item(Item=_task(f"D{n:011d}", due_at))
        queues.sqs.cache_clear()
        times, in_query, read, queued = [], [], 0, 0
        for run in range(RUNS + 1):
            # A queue of its own for each sweep: the emulator's send slows as a queue fills.
            queue_url = sqs.create_queue(QueueName=f"bench-escalation-{closed}-{run}")["QueueUrl"]
            # The sweep reads these settings only; the stores are built once, as in a warm function.
            if run == 0:
                stores = AwsStores(
                    Settings.model_construct(
                        ratings_table=table.name,
                        registry_table="bench-registry",
                        escalation_queue_url=queue_url,
                        follow_up_queue_url="",
                    )
                )
            stores.queues.escalation_queue_url = queue_url
            # As timeit does: no garbage collection inside the timed sweep, whose pauses would
            # follow the number of objects an in-process emulator holds, not the sweep's work.
            gc.collect()
            gc.disable()
            try:
                with query_time() as spent:
                    started = time.perf_counter()
                    result = escalation.sweep(stores)
                    times.append(time.perf_counter() - started)
            finally:
                gc.enable()
            in_query.append(sum(spent))
            read, queued = result.items_read, result.queued
        queues.sqs.cache_clear()
    # The first run builds clients and connections: left out of the median.
    return statistics.median(times[1:]) * 1000, statistics.median(in_query[1:]) * 1000, read, queued


BACKENDS: list[tuple[str, Backend]] = [("the twin's engines: DynamoDB Local, the queue in moto", twin_engines)]


def main() -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    for variable in ("AWS_ENDPOINT_URL",):  # mock_aws intercepts only without an endpoint
        os.environ.pop(variable, None)
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    for name, backend in BACKENDS:
        print(f"deadline sweep, {DUE} due tasks among closed ones, median of {RUNS} sweeps, on {name}")
        print(f"{'closed tasks':>12}{'sweep ms':>10}{'in Query':>10}{'rest ms':>9}{'items read':>12}{'queued':>8}")
        rows = []
        for closed in CLOSED:
            total, query, read, queued = sweep_among(closed, backend)
            rows.append((closed, total, query, read))
            print(f"{closed:>12,}{total:>10.1f}{query:>10.1f}{total - query:>9.1f}{read:>12}{queued:>8}")
        (small, small_ms, small_q, small_read), (large, large_ms, large_q, large_read) = rows[0], rows[-1]
        print(
            f"time ratio {large:,} ÷ {small:,}: {large_ms / small_ms:.2f} (target ≤ {TARGET_RATIO}), "
            f"{(large_ms - large_q) / (small_ms - small_q):.2f} outside the Query call; "
            f"items read {'equal' if small_read == large_read else 'NOT equal'} ({small_read} and {large_read})"
        )
        print()
