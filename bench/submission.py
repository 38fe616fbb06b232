"""Figures for the submission path.

1. DynamoDB requests per accepted rating, counted at the botocore client inside the handler
   (in-process, against the twin): the first rating of a window (registry not yet cached) and
   the next ones.
2. Submit latency over HTTP against the twin, p50/p99 over sequential ratings, beside a bare
   PutItem and a one-item transaction against the same DynamoDB Local in the same run.
"""

from __future__ import annotations

import collections
import contextlib
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.client import BaseClient

ROOT = Path(__file__).resolve().parent.parent
DEMO_REGISTRY = ROOT / "infra" / "registry" / "demo-640100" / "registry.yaml"
WINDOW = "YC01-A001"
# Sequential, one client: the figure per request. The load under many clients is bench/load.py.
RATINGS = int(os.environ.get("BENCH_RATINGS", "1000"))


@contextmanager
def counted_calls() -> Iterator[collections.Counter[str]]:
    """Count every AWS API call made through botocore while the block runs."""
    counts: collections.Counter[str] = collections.Counter()
    original = BaseClient._make_api_call

    caller = threading.get_ident()

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if threading.get_ident() == caller:  # the handler's calls, not the twin's pollers'
            counts[f"{self.meta.service_model.service_name}:{operation}"] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def _cli(*args: str, env: dict[str, str]) -> str:
    cli = Path(sys.executable).parent / "haochaping"
    return subprocess.run([str(cli), *args], env=env, check=True, capture_output=True, text=True).stdout


@contextmanager
def demo_twin(stack_name: str) -> Iterator[tuple[Any, dict[str, str], str]]:
    """The demo division on the twin with its registry loaded, the admin's environment and a plate's sig."""
    from localtwin.__main__ import CLOCK_HOOK
    from localtwin.divisions import division_parameters
    from localtwin.twin import LocalTwin, env_for_clients

    # Every rating goes to one window from one address: a flood, were the budget the district's.
    # The figure is the cost of a rating that counts, so this twin's address budget is set out of reach.
    parameters = {**division_parameters("640100"), "RatingBudgetPerAddress": str(10 * RATINGS)}
    with LocalTwin(ROOT / "template.yaml", parameters, stack_name, clock_hook=CLOCK_HOOK) as twin:
        env = {**os.environ, **env_for_clients(twin.endpoints)}
        _cli("registry", "load", str(DEMO_REGISTRY), "--stack", twin.stack_name, env=env)
        url = _cli("qr", "url", WINDOW, "--stack", twin.stack_name, env=env).split()[-1]
        yield twin, env, url.split("sig=")[1]


def device_cookie(twin_url: str, sig: str) -> str:
    """A new phone's device cookie, as the form the plate opens gives it (one GET of the form, not timed)."""
    with urllib.request.urlopen(f"{twin_url}/r/{WINDOW}?sig={sig}") as response:
        return str(response.headers["Set-Cookie"]).split(";", 1)[0]


def requests_per_rating() -> None:
    with demo_twin("bench-requests") as (twin, env, sig):
        os.environ.update(env)
        os.environ.update(twin.function_environment("SubmitRatingFunction"))
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # figures, not the handler's log lines
        spec = importlib.util.spec_from_file_location(
            "submit_rating_app", ROOT / "functions" / "submit_rating" / "app.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)

        class Context:
            function_name = "bench"
            memory_limit_in_mb = 512
            invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
            aws_request_id = "bench"

        def submit(level: int) -> tuple[int, collections.Counter[str]]:
            body = {"window_code": WINDOW, "sig": sig, "level": level, "submission_id": uuid.uuid4().hex}
            event = {
                "version": "2.0",
                "routeKey": "POST /ratings",
                "rawPath": "/ratings",
                "rawQueryString": "",
                "headers": {"content-type": "application/json"},
                "body": json.dumps(body),
                "requestContext": {
                    "http": {"method": "POST", "path": "/ratings", "sourceIp": "127.0.0.1"},
                    "requestId": "bench",
                    "routeKey": "POST /ratings",
                    "stage": "$default",
                },
                "isBase64Encoded": False,
                "cookies": [device_cookie(twin.url, sig)],
            }
            with counted_calls() as counts, contextlib.redirect_stdout(io.StringIO()):
                response = module.lambda_handler(event, Context())
            return int(response["statusCode"]), counts

        cold_status, cold = submit(5)
        warm = [submit(level) for level in (5, 4, 3, 1, 2)]
    dynamodb = lambda counts: {k: v for k, v in counts.items() if k.startswith("dynamodb:")}  # noqa: E731
    print("DynamoDB requests per accepted rating (submission path, in-process against the twin)")
    others = {k: v for k, v in cold.items() if not k.startswith("dynamodb:")}
    print(
        f"  first rating, registry not cached: {sum(dynamodb(cold).values())}  {dict(dynamodb(cold))}"
        f"  (status {cold_status}; other AWS calls: {others})"
    )
    for status, counts in warm:
        print(
            f"  next rating, registry cached:      {sum(dynamodb(counts).values())}  {dict(dynamodb(counts))}"
            f"  (status {status})"
        )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency() -> None:
    with demo_twin("bench-latency") as (twin, _, sig):

        def post() -> float:
            body = json.dumps(
                {"window_code": WINDOW, "sig": sig, "level": 5, "submission_id": uuid.uuid4().hex}
            ).encode()
            headers = {"Content-Type": "application/json", "Cookie": device_cookie(twin.url, sig)}
            request = urllib.request.Request(f"{twin.url}/ratings", data=body, method="POST", headers=headers)
            started = time.perf_counter()
            with urllib.request.urlopen(request) as response:
                assert response.status == 201
            return (time.perf_counter() - started) * 1000

        post()  # the function's cold start is not part of the figure
        submit_ms = [post() for _ in range(RATINGS)]

        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=twin.endpoints.dynamodb,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        table = twin.stack.outputs["RatingsTableName"]

        def put() -> float:
            started = time.perf_counter()
            dynamodb.put_item(
                TableName=table,
                Item={"pk": {"S": f"BENCH#{uuid.uuid4().hex}"}, "sk": {"S": "BENCH"}, "kind": {"S": "bench"}},
            )
            return (time.perf_counter() - started) * 1000

        def transact_put() -> float:
            started = time.perf_counter()
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {
                                "pk": {"S": f"BENCH#{uuid.uuid4().hex}"},
                                "sk": {"S": "BENCH"},
                                "kind": {"S": "bench"},
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    }
                ]
            )
            return (time.perf_counter() - started) * 1000

        put()
        transact_put()
        put_ms = [put() for _ in range(RATINGS)]
        transact_ms = [transact_put() for _ in range(RATINGS)]
        first, last = submit_ms[:100], submit_ms[-100:]
    print(f"latency over {RATINGS} sequential requests, same DynamoDB Local, same run (ms)")
    print(f"  {'':<34}{'p50':>8}{'p99':>8}{'mean':>8}")
    rows = (
        ("POST /ratings through the twin", submit_ms),
        ("  its first 100", first),
        ("  its last 100", last),
        ("bare PutItem against DynamoDB Local", put_ms),
        ("bare 1-item TransactWriteItems", transact_ms),
    )
    for name, values in rows:
        print(
            f"  {name:<34}{percentile(values, 0.5):>8.1f}{percentile(values, 0.99):>8.1f}"
            f"{statistics.fmean(values):>8.1f}"
        )


if __name__ == "__main__":
    requests_per_rating()
    latency()
