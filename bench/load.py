"""A busy day of a whole division on the twin, as `make run` serves it.

The twin runs in a process of its own (``python -m localtwin``, the demo division and its
registry, exactly what ``make run`` starts); this process is only its clients. ``CLIENTS``
threads post ``RATINGS`` JSON ratings over HTTP on loopback to windows spread over every hall of
the demo registry, one in ten a bad review. Then it waits for the stream and the queues to drain
and counts what the table holds: every acknowledged rating stored, every bad review's follow-up
task opened. Figures: p50 and p99 latency of the first and of the last 1,000 ratings,
throughput, and the resident memory of every process of the twin after the run.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml
from localtwin.endpoints import Endpoints
from localtwin.processes import free_port
from localtwin.twin import env_for_clients

from bench.submission import percentile

ROOT = Path(__file__).resolve().parent.parent
DEMO_REGISTRY = ROOT / "infra" / "registry" / "demo-640100" / "registry.yaml"
DIVISION = "640100"
STACK = f"haochaping-{DIVISION}"
RATINGS = int(os.environ.get("BENCH_LOAD_RATINGS", "20000"))
CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "20"))
BAD_EVERY = 10  # one rating in ten is a bad review
EDGE = min(1000, max(1, RATINGS // 10))  # the first and last this many ratings are compared
TARGET_DRIFT = 1.2  # last-1,000 p50 within this of the first-1,000 p50
TARGET_MEMORY_GB = 2.0
DRAIN_PATIENCE = float(os.environ.get("BENCH_LOAD_DRAIN_PATIENCE", "120"))  # seconds without progress


@dataclass(frozen=True)
class Twin:
    process: subprocess.Popen[str]
    url: str
    endpoints: Endpoints

    def client_environment(self) -> dict[str, str]:
        return env_for_clients(self.endpoints)


@contextmanager
def twin_process() -> Iterator[Twin]:
    """``make run``'s twin, quiet, on a free port; stopped with SIGTERM as a service manager would."""
    cli = Path(sys.executable).parent / "haochaping"
    port = free_port("127.0.0.1")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "localtwin",
            "--port",
            str(port),
            "--quiet",
            "--after",
            f"{cli} registry load {DEMO_REGISTRY} --stack {{stack}}",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    printed: dict[str, str] = {}
    for line in process.stdout:
        for name, pattern in (
            ("aws", r"AWS API \(moto\)\s+(\S+)"),
            ("dynamodb", r"DynamoDB \(DynamoDB Local\)\s+(\S+)"),
        ):
            if found := re.search(pattern, line):
                printed[name] = found.group(1)
        if line.startswith("Ctrl-C stops."):
            break
    if set(printed) != {"aws", "dynamodb"}:
        process.kill()
        raise RuntimeError(f"the twin did not start (exit {process.wait()})")
    threading.Thread(target=lambda: process.stdout and process.stdout.read(), daemon=True).start()
    try:
        yield Twin(process, f"http://127.0.0.1:{port}", Endpoints(aws=printed["aws"], dynamodb=printed["dynamodb"]))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def _windows() -> list[str]:
    """Active windows, hall by hall in turn, so consecutive ratings land in different halls."""
    registry = yaml.safe_load(DEMO_REGISTRY.read_text(encoding="utf-8"))
    by_hall: dict[str, list[str]] = {}
    for window in registry["windows"]:
        if window.get("active", True):
            by_hall.setdefault(window["hall_code"], []).append(window["code"])
    spread = itertools.zip_longest(*by_hall.values())
    return [code for row in spread for code in row if code is not None]


def _signatures(twin: Twin, windows: list[str]) -> tuple[dict[str, str], bytes]:
    """Each window's plate signature, as `haochaping qr url` prints it, and the stack's secret, read once."""
    os.environ.update(twin.client_environment())
    from haochaping.admin.stack import describe_district_stack, read_signing_secret
    from haochaping.domain.plates import plate_signature

    secret = read_signing_secret(describe_district_stack(STACK))
    return {code: plate_signature(code, secret) for code in windows}, secret


def _device_cookie(secret: bytes) -> str:
    """A phone's device cookie, as the form a plate opens would have given it: each rating is a new phone."""
    from haochaping.domain.plates import issue_device_token

    return f"hcp_device={issue_device_token(uuid.uuid4().hex, secret)}"


def _level(n: int) -> int:
    if n % BAD_EVERY == 0:
        return 1 + (n // BAD_EVERY) % 2  # 非常不满意 and 不满意 in turn
    return 3 + n % 3


def post_ratings(
    url: str, windows: list[str], signatures: dict[str, str], secret: bytes
) -> tuple[list[float], list[int], float]:
    """(latency ms by rating number, HTTP status by rating number, seconds the whole posting took)."""
    latencies = [0.0] * RATINGS
    statuses = [0] * RATINGS
    numbers = iter(range(RATINGS))
    take = threading.Lock()

    def client() -> None:
        while True:
            with take:
                n = next(numbers, None)
            if n is None:
                return
            window = windows[n % len(windows)]
            body = {
                "window_code": window,
                "sig": signatures[window],
                "level": _level(n),
                "submission_id": uuid.uuid4().hex,
            }
            headers = {"Content-Type": "application/json", "Cookie": _device_cookie(secret)}
            request = urllib.request.Request(f"{url}/ratings", json.dumps(body).encode(), headers, method="POST")
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    statuses[n] = response.status
            except urllib.error.HTTPError as error:
                statuses[n] = error.code
            except OSError:
                statuses[n] = -1
            latencies[n] = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - started


def _count(dynamodb: Any, table: str, kind: str) -> int:
    arguments: dict[str, Any] = {
        "TableName": table,
        "Select": "COUNT",
        "FilterExpression": "kind = :kind",
        "ExpressionAttributeValues": {":kind": {"S": kind}},
    }
    total = 0
    while True:
        page = dynamodb.scan(**arguments)
        total += int(page["Count"])
        if "LastEvaluatedKey" not in page:
            return total
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def wait_for_tasks(twin: Twin, expected_tasks: int) -> tuple[int, int, float]:
    """(ratings stored, tasks opened, seconds waited): waits while the tasks still grow."""
    environment = twin.client_environment()
    session = boto3.Session(
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        region_name=environment["AWS_DEFAULT_REGION"],
    )
    cloudformation = session.client("cloudformation", endpoint_url=twin.endpoints.aws)
    outputs = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    table = {o["OutputKey"]: o["OutputValue"] for o in outputs["Outputs"]}["RatingsTableName"]
    dynamodb = session.client("dynamodb", endpoint_url=twin.endpoints.dynamodb)
    started = last_progress = time.monotonic()
    tasks = -1
    while True:
        now_tasks = _count(dynamodb, table, "task")
        if now_tasks != tasks:
            tasks, last_progress = now_tasks, time.monotonic()
        if tasks >= expected_tasks or time.monotonic() - last_progress > DRAIN_PATIENCE:
            return _count(dynamodb, table, "rating"), tasks, time.monotonic() - started
        time.sleep(2)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def resident_memory(pid: int) -> dict[str, int]:
    """Resident bytes of the twin's process tree, by program (java, moto, workers, the twin)."""
    totals: dict[str, int] = {}
    for process in _descendants(pid):
        try:
            status = Path(f"/proc/{process}/status").read_text()
            command = Path(f"/proc/{process}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        rss = re.search(r"VmRSS:\s+(\d+) kB", status)
        if rss is None:
            continue
        words = [w.decode(errors="replace") for w in command]
        if "java" in Path(words[0]).name:
            name = "DynamoDB Local (Java)"
        elif "moto.server" in words:
            name = "moto's server"
        elif "localtwin.worker" in words:
            name = "function workers"
        else:
            name = "the twin (HTTP, pollers, schedules)"
        totals[name] = totals.get(name, 0) + int(rss.group(1)) * 1024
    return totals


def main() -> None:
    windows = _windows()
    halls = {code.split("-")[0] for code in windows}
    bad = sum(1 for n in range(RATINGS) if _level(n) <= 2)
    print(
        f"twin load: {RATINGS:,} JSON ratings over HTTP from {CLIENTS} clients to {len(windows)} windows in "
        f"{len(halls)} halls ({bad:,} bad reviews), against `python -m localtwin` as `make run` starts it"
    )
    with twin_process() as twin:
        signatures, secret = _signatures(twin, windows)
        latencies, statuses, seconds = post_ratings(twin.url, windows, signatures, secret)
        accepted = sum(1 for s in statuses if s == 201)
        accepted_bad = sum(1 for n, s in enumerate(statuses) if s == 201 and _level(n) <= 2)
        stored, tasks, drained = wait_for_tasks(twin, accepted_bad)
        memory = resident_memory(twin.process.pid)
    refused = {s: statuses.count(s) for s in sorted(set(statuses)) if s != 201}
    first, last = latencies[:EDGE], latencies[-EDGE:]
    print(f"  acknowledged {accepted:,} of {RATINGS:,} (other answers: {refused or 'none'})")
    print(
        f"  stored {stored:,} ratings; {tasks:,} follow-up tasks opened for {accepted_bad:,} bad reviews acknowledged"
    )
    print(
        f"  throughput {accepted / seconds:.1f} ratings per second ({seconds:.0f} s); "
        f"queues drained {drained:.0f} s later"
    )
    print(f"  {'latency ms':<22}{'p50':>8}{'p99':>8}{'mean':>8}")
    for name, values in ((f"first {EDGE:,}", first), (f"last {EDGE:,}", last), ("all", latencies)):
        print(
            f"  {name:<22}{percentile(values, 0.5):>8.1f}{percentile(values, 0.99):>8.1f}"
            f"{statistics.fmean(values):>8.1f}"
        )
    drift = percentile(last, 0.5) / percentile(first, 0.5)
    print(f"  last ÷ first p50: {drift:.2f} (target ≤ {TARGET_DRIFT})")
    total = sum(memory.values())
    print(
        f"  resident memory of the twin's processes after the run: {total / 2**30:.2f} GB "
        f"(target < {TARGET_MEMORY_GB} GB)"
    )
    for name, size in sorted(memory.items(), key=lambda item: -item[1]):
        print(f"    {name:<38}{size / 2**20:>8.0f} MB")
    complete = accepted == stored == RATINGS and tasks == accepted_bad == bad
    print(f"  every rating stored and every bad review's task opened: {'yes' if complete else 'NO'}")


if __name__ == "__main__":
    main()
