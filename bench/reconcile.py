"""Figures for the nightly reconcile: requests, capacity and time to recount one day.

A day of ratings (13 halls of 30 windows, one in ten a bad review with its task resolved on the
spot) is written to a Ratings table on DynamoDB Local created from the template's own definition
(its RatingsByDay index included), beside an empty ScoresTable. The reconcile then runs twice,
as its function runs it (no settle wait: nothing else writes here):

- first over empty sheets, as after a day the stream lost entirely: everything is repaired;
- then over the sheets it repaired, as on an ordinary night: nothing differs.

Counted at the DynamoDB client: requests by operation and the capacity DynamoDB Local reports
(ReturnConsumedCapacity). Wall time is this machine's, on DynamoDB Local: an order, not a promise.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.client import BaseClient
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
RATINGS = int(os.environ.get("BENCH_RECONCILE_RATINGS", "2000"))
HALLS, WINDOWS, DEPARTMENTS = 13, 30, 5
DAY = date(2026, 3, 11)
RATED_AT = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # 09:00 in China
COUNTED = {"Query", "BatchGetItem", "TransactWriteItems"}


def _table_definition(logical_id: str) -> dict[str, Any]:
    template = yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))
    properties = template["Resources"][logical_id]["Properties"]
    keep = ("AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes")
    return {key: properties[key] for key in keep if key in properties}


@contextmanager
def requests() -> Iterator[dict[str, Any]]:
    """Requests by operation and the read and write capacity reported, while the block runs."""
    seen: dict[str, Any] = {"calls": Counter(), "read": 0.0, "write": 0.0}
    original = BaseClient._make_api_call

    def recording(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        seen["calls"][operation] += 1
        if operation in COUNTED:
            params = {**params, "ReturnConsumedCapacity": "TOTAL"}
        answer = original(self, operation, params)
        consumed = answer.get("ConsumedCapacity") if isinstance(answer, dict) else None
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            units = float(entry.get("CapacityUnits", 0))
            seen["write" if operation == "TransactWriteItems" else "read"] += units
        return answer

    BaseClient._make_api_call = recording  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


class _Stores:
    def __init__(self, ratings: Any, tasks: Any, scores: Any) -> None:
        self.ratings, self.tasks, self.scores = ratings, tasks, scores


def _write_day(table: Any, tasks: Any) -> int:
    from haochaping.adapters.ratings import _to_item
    from haochaping.domain.followup import Action, Actor, Role, apply, open_task
    from haochaping.domain.rating import Channel, Level, Rating

    bad = 0
    with table.rating.batch_write() as batch:
        for n in range(RATINGS):
            hall, window = n % HALLS, (n // HALLS) % WINDOWS
            level = Level(1 + n % 2 if n % 10 == 0 else 3 + n % 3)
            rating = Rating(
                tracking_code=f"R{n:011d}",
                submission_id=f"bench-{n}",
                division_code="640100",
                window_code=f"YC{hall + 1:02d}-A{window + 1:03d}",
                hall_code=f"YC{hall + 1:02d}",
                department_code=f"11640100MB{hall:04d}{window % DEPARTMENTS:04d}",
                staff_job_number=f"YC{hall + 1:02d}{window + 1:04d}",
                level=level,
                channel=Channel.QR,
                tags=(),
                tag_version="2026.1",
                comment="",
                case_no=None,
                item_code=None,
                real_name=n % 30 == 0,
                assess_number=1,
                rated_at=RATED_AT + timedelta(seconds=n * 10),
            )
            batch.save(_to_item(table.rating, rating))
            if rating.is_bad_review:
                bad += 1
                opened = open_task(
                    tracking_code=rating.tracking_code,
                    division_code=rating.division_code,
                    hall_code=rating.hall_code,
                    window_code=rating.window_code,
                    rated_staff=rating.staff_job_number,
                    real_name=rating.real_name,
                    opened_at=rating.rated_at,
                    first_contact_due=rating.rated_at + timedelta(days=1),
                    rectification_due=rating.rated_at + timedelta(days=7),
                    provisional=False,
                )
                officer = Actor("YC019999", frozenset({Role.OFFICER}), rating.hall_code, "640100")
                resolved = apply(opened, officer, Action.RESOLVE_ON_SPOT, 1, rating.rated_at, text="当场解决")
                tasks.create(resolved, [], None)
    return bad


def measure() -> dict[str, Any]:
    import boto3
    from haochaping.adapters import scores as score_items
    from haochaping.adapters.ratings import RatingStore
    from haochaping.adapters.tables import RatingsTable
    from haochaping.adapters.tasks import TaskStore
    from haochaping.observability import logger, metrics
    from haochaping.operations import reconcile
    from localtwin.dynamodb_local import DynamoDBLocalProcess

    engine = DynamoDBLocalProcess()
    engine.start()
    names = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_DEFAULT_REGION", "POWERTOOLS_METRICS_NAMESPACE")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": engine.endpoint, "AWS_DEFAULT_REGION": "us-east-1"})
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    metrics.namespace = "HaochapingBench"
    logger.setLevel("ERROR")  # the lost day logs every sheet it repairs
    score_items.dynamodb.cache_clear()
    try:
        client = boto3.client("dynamodb", endpoint_url=engine.endpoint, region_name="us-east-1")
        client.create_table(TableName="bench-ratings", **_table_definition("RatingsTable"))
        client.create_table(TableName="bench-scores", **_table_definition("ScoresTable"))
        table = RatingsTable.named("bench-ratings")
        tasks = TaskStore(table)
        bad = _write_day(table, tasks)
        stores = _Stores(RatingStore(table), tasks, score_items.ScoreStore("bench-scores"))
        runs = {}
        for run in ("lost day", "ordinary night"):
            with requests() as seen:
                started = time.perf_counter()
                result = reconcile.reconcile_day(DAY, stores, settle=0)  # type: ignore[arg-type]
                elapsed = time.perf_counter() - started
            runs[run] = {"result": result, "seen": seen, "seconds": elapsed}
            metrics.clear_metrics()
        return {"bad": bad, "runs": runs}
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
        f"reconcile of one day: {RATINGS} ratings over {HALLS} halls × {WINDOWS} windows, {figures['bad']} bad "
        "reviews with their tasks, on DynamoDB Local; counters repaired on the day, month and year sheets"
    )
    print(f"{'':<16}{'requests':<52}{'RCU':>8}{'WCU':>8}{'repaired':>10}{'seconds':>9}")
    for run, found in figures["runs"].items():
        calls = found["seen"]["calls"]
        shown = ", ".join(f"{calls[op]} {op}" for op in ("Query", "BatchGetItem", "TransactWriteItems") if calls[op])
        result = found["result"]
        print(
            f"{run:<16}{shown:<52}{found['seen']['read']:>8.1f}{found['seen']['write']:>8.1f}"
            f"{result.repaired:>10}{found['seconds']:>9.2f}"
        )
