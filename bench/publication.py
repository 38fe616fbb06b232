"""Figures for publishing results: the time publish_results takes with 10,000 and with 200,000
ratings recorded in the month. It reads the score sheets (the counters), never the ratings, so the
two should take about as long (target: within a ratio of 1.2).

How the counters are seeded: not through the stream. For each size, the month's ratings are
spread over 5 halls × 20 windows (20 staff, 5 departments per hall) and the 20 days before the
run, one in ten a bad review with its task's outcome; what they count for is computed with the
domain's own rating_counts and placed() (the day's, month's and year's sheets), summed in memory,
and written with the ScoreStore's own transactions (ScoreStore.apply) onto a ScoresTable created
from the template's definition on DynamoDB Local. Both sizes therefore hold the same sheets with
the same counters, only larger numbers. The run is the operation as the function runs it
(operations.publication.publish, the real pages and CSV); the files go to memory instead of S3
(the same 11 PUTs either way) and the units' names come from memory instead of the Registry table
(one query either way).
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bench.scores import _scores_table_definition

SIZES = (10_000, 200_000)
HALLS, WINDOWS, DEPARTMENTS = 5, 20, 5
DAYS = 20
RUNS = int(os.environ.get("BENCH_PUBLICATION_RUNS", "9"))
TARGET_RATIO = 1.2
RUN_AT = datetime(2026, 3, 20, 17, 30, tzinfo=UTC)  # 2026-03-21 01:30 in China: days 1–20 published


def _sheets(ratings: int) -> dict[Any, Any]:
    from haochaping.domain.rating import Channel, Level, Rating
    from haochaping.domain.scores import Count, add_to, placed, rating_counts

    spread: Counter[tuple[int, int, int, int]] = Counter()
    for n in range(ratings):
        hall, window, day = n % HALLS, (n // HALLS) % WINDOWS, (n // (HALLS * WINDOWS)) % DAYS
        level = 1 + n % 2 if n % 10 == 0 else 3 + n % 3
        spread[(hall, window, day, level)] += 1
    sheets: dict[Any, Any] = {}
    for (hall, window, day, level), k in spread.items():
        rating = Rating(
            tracking_code=f"P{hall}{window:03d}{day:02d}{level}",
            submission_id="bench",
            division_code="640100",
            window_code=f"YC{hall + 1:02d}-A{window + 1:03d}",
            hall_code=f"YC{hall + 1:02d}",
            department_code=f"11640100MB{hall:04d}{window % DEPARTMENTS:04d}",
            staff_job_number=f"YC{hall + 1:02d}{window + 1:04d}",
            level=Level(level),
            channel=Channel.QR,
            tags=(),
            tag_version="2026.1",
            comment="",
            case_no=None,
            item_code=None,
            real_name=False,
            assess_number=1,
            rated_at=datetime(2026, 3, 1 + day, 2, 0, tzinfo=UTC),
        )
        counts = {count: n * k for count, n in rating_counts(rating, False).items()}
        if level <= 2:  # the bad reviews' tasks: half rectified, half explained, all told and closed
            counts |= {
                Count.RECTIFIED: k // 2,
                Count.EXPLAINED: k - k // 2,
                Count.FEEDBACK_GIVEN: k,
                Count.TASKS_CLOSED: k,
                Count.TASKS_CLOSED_ON_TIME: k,
            }
        add_to(sheets, placed(rating, counts))
    return sheets


def _seed(store: Any, sheets: dict[Any, Any]) -> int:
    """Write the sheets with the store's own transactions, a sheet's counters split to fit one."""
    writes = 0
    for key, entries in sorted(sheets.items()):
        items = sorted(entries.items())
        for start in range(0, len(items), store.max_counts_per_sheet):
            writes += 1
            piece = dict(items[start : start + store.max_counts_per_sheet])
            store.apply("bench-seed", f"seed-{writes}", None, "1", {key: piece})
    return writes


class _Files:
    def __init__(self) -> None:
        self.files: dict[str, int] = {}

    def put(self, name: str, body: bytes, content_type: str) -> None:
        self.files[name] = len(body)


class _Notices:
    def published(self, message: dict[str, str]) -> None:
        pass


class _Registry:
    def unit_names(self) -> dict[Any, tuple[str, str]]:
        from haochaping.domain.scores import Scope, ScopeKind

        names = {}
        for hall in range(HALLS):
            names[Scope(ScopeKind.HALL, f"YC{hall + 1:02d}")] = (f"第{hall + 1}政务服务大厅", f"Hall {hall + 1}")
            for window in range(WINDOWS):
                code = f"YC{hall + 1:02d}-A{window + 1:03d}"
                names[Scope(ScopeKind.WINDOW, code)] = (f"综合受理{window + 1}号窗口", f"Window {window + 1}")
        return names


class _Stores:
    def __init__(self, scores: Any) -> None:
        self.scores, self.published, self.notices, self.registry = scores, _Files(), _Notices(), _Registry()


def measure() -> dict[int, dict[str, float]]:
    import boto3
    from haochaping.adapters import scores as score_items
    from haochaping.observability import logger
    from haochaping.operations.publication import publish
    from haochaping.operations.rules import rules_from
    from haochaping.settings import Settings
    from haochaping.web.publication import WebFormats
    from localtwin.dynamodb_local import DynamoDBLocalProcess

    # Only what publishing reads; the rankings' parameters are the template's defaults.
    rules = rules_from(
        Settings.model_construct(
            division_code="640100",
            division_name="银川市",
            public_base_url="https://haochaping-640100.yinchuan.example",
            ranking_minimum_sample=30,
            red_list_size=10,
            unit_supervision_bad_reviews=3,
            staff_supervision_bad_reviews=2,
            deduction_points=Decimal(2),
            repeated_bad_reviews=2,
        )
    )
    engine = DynamoDBLocalProcess()
    engine.start()
    saved = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_DEFAULT_REGION")}
    os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": engine.endpoint, "AWS_DEFAULT_REGION": "us-east-1"})
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    score_items.dynamodb.cache_clear()
    logger.setLevel("WARNING")  # the operation's "results published" lines would fill the bench's output
    results: dict[int, dict[str, float]] = {}
    try:
        client = boto3.client("dynamodb", endpoint_url=engine.endpoint, region_name="us-east-1")
        formats = WebFormats()
        prepared = {}
        for size in SIZES:
            table = f"bench-publication-{size}"
            client.create_table(TableName=table, **_scores_table_definition())
            store = score_items.ScoreStore(table)
            seeded = _seed(store, _sheets(size))
            stores = _Stores(store)
            publish(stores, rules, formats, RUN_AT, "daily")  # type: ignore[arg-type]  # warm: templates, client
            prepared[size] = (stores, seeded)
        timings: dict[int, list[float]] = {size: [] for size in SIZES}
        for _ in range(RUNS):  # the sizes taken in turn, so that neither has the warmer engine
            for size in SIZES:
                started = time.perf_counter()
                result = publish(prepared[size][0], rules, formats, RUN_AT, "daily")  # type: ignore[arg-type]
                timings[size].append(time.perf_counter() - started)
                results[size] = {
                    "seconds": 0.0,
                    "queries": result.sheets_read,
                    "seed_writes": prepared[size][1],
                    "bytes": sum(prepared[size][0].published.files.values()),
                }
        for size in SIZES:
            results[size]["seconds"] = statistics.median(timings[size])
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        score_items.dynamodb.cache_clear()
        engine.stop()
    return results


def main() -> None:
    results = measure()
    small, large = (results[size] for size in SIZES)
    print(
        f"publication time (publish_results' operation, daily run: 20 days and the month of {HALLS} halls × "
        f"{WINDOWS} windows, DynamoDB Local; median of {RUNS}):"
    )
    print(
        "  counters seeded directly: the ratings' counts computed with rating_counts/placed and written with "
        "ScoreStore.apply, not streamed; files kept in memory instead of S3"
    )
    for size in SIZES:
        figures = results[size]
        print(
            f"  {size:>7,} ratings: {figures['seconds'] * 1000:7.1f} ms, {figures['queries']:.0f} sheet queries, "
            f"{figures['bytes'] / 1024:.0f} KB written (seeded with {figures['seed_writes']:.0f} transactions)"
        )
    ratio = large["seconds"] / small["seconds"]
    met = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"  ratio 200,000 / 10,000: {ratio:.2f} (target ≤ {TARGET_RATIO}: {met})")


if __name__ == "__main__":
    main()
