"""`make bench`: figures, not pass/fail.

Cold import of each function's handler module beside `import boto3` alone, each in a fresh
interpreter (a cold start's import phase), median of several runs, in the same run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from localtwin.divisions import division_parameters
from localtwin.template import transform_template

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
TARGET_RATIO = 1.5

_TIMER = """
import sys, time
for path in {paths!r}:
    sys.path.insert(0, path)
started = time.perf_counter()
{statement}
print(time.perf_counter() - started)
"""


def _cold_import_seconds(statement: str, paths: list[str]) -> float:
    # As on Lambda: LAMBDA_TASK_ROOT makes the X-Ray SDK sample locally instead of building
    # an X-Ray client at import (which it does, at ~150 ms, anywhere else).
    env = {
        "LAMBDA_TASK_ROOT": paths[0],
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "PATH": os.environ.get("PATH", ""),
        "POWERTOOLS_SERVICE_NAME": "bench",
        "POWERTOOLS_METRICS_NAMESPACE": "Bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONDONTWRITEBYTECODE": "",
    }
    code = _TIMER.format(paths=paths, statement=statement)
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    return float(output.strip().splitlines()[-1])


def median_ms(statement: str, paths: list[str]) -> float:
    _cold_import_seconds(statement, paths)  # warm the file cache and the .pyc files
    return statistics.median(_cold_import_seconds(statement, paths) for _ in range(RUNS)) * 1000


def import_times() -> list[tuple[str, float, float]]:
    tt = transform_template(ROOT / "template.yaml", division_parameters("640100"))
    rows = []
    for logical_id, spec in sorted(tt.functions.items()):
        module = spec.handler.rpartition(".")[0]
        paths = [str(spec.code_dir), *map(str, spec.layer_dirs)]
        boto3_ms = median_ms("import boto3", paths)
        handler_ms = median_ms(f"import {module}", paths)
        rows.append((logical_id, handler_ms, boto3_ms))
    return rows


def main() -> int:
    print(f"cold import, median of {RUNS} fresh interpreters (Python {sys.version.split()[0]})")
    print(f"{'function':<28}{'handler ms':>12}{'boto3 ms':>10}{'ratio':>8}  target ≤ {TARGET_RATIO}")
    worst = 0.0
    for name, handler_ms, boto3_ms in import_times():
        ratio = handler_ms / boto3_ms
        worst = max(worst, ratio)
        flag = "" if ratio <= TARGET_RATIO else "  over target"
        print(f"{name:<28}{handler_ms:>12.1f}{boto3_ms:>10.1f}{ratio:>8.2f}{flag}")
    print(f"worst ratio {worst:.2f}")
    print()
    from bench import submission

    submission.requests_per_rating()
    print()
    submission.latency()
    print()
    from bench import sweep

    sweep.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
