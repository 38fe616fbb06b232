"""Cold import of each function's handler module beside `import boto3` alone.

Each import runs in a fresh interpreter (a cold start's import phase) with the function's own
literal environment from the template, as Lambda would set it. The two are measured in pairs,
one right after the other and in alternating order, and the ratio is the median of the pairs'
ratios: on a shared machine the speed drifts between runs, and a pair sees the same drift.

Two more rows measure the design's own floor: a handler that only sets up the stack every
function is built on (Powertools Logger, Metrics and Tracer, one pydantic model, one PynamoDB
model, and the HTTP resolver with validation or the batch processor), with none of our code.

Two last tables take the import one step further. The stores (tables, topics, queues, key) are
built on a function's first request, so the import alone no longer loads the store modules: the
first table adds building every store, an upper bound of what any first request loads. The
second takes the functions that answer with a page to their first page, which compiles its
templates (bench/first_page.py).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from localtwin.divisions import division_parameters
from localtwin.template import TwinTemplate, transform_template

from bench import first_page

ROOT = Path(__file__).resolve().parent.parent
FLOOR = Path(__file__).resolve().parent / "floor"
RUNS = int(os.environ.get("BENCH_RUNS", "9"))
TARGET_RATIO = 1.5

_TIMER = """
import sys, time
for path in reversed({paths!r}):
    sys.path.insert(0, path)
started = time.perf_counter()
{statement}
print(time.perf_counter() - started)
"""


@dataclass(frozen=True)
class Subject:
    name: str
    module: str
    paths: tuple[str, ...]
    environment: dict[str, str]
    python: tuple[str, ...] = (sys.executable,)  # the interpreter and its options


@dataclass(frozen=True)
class ImportTime:
    name: str
    handler_ms: float
    boto3_ms: float
    ratio: float  # median of the pairs' ratios


def _literal_environment(tt: TwinTemplate, logical_id: str) -> dict[str, str]:
    """The variables whose values the template spells out; references stay unresolved here."""
    props = tt.cfn["Resources"][logical_id].get("Properties", {})
    variables = (props.get("Environment") or {}).get("Variables") or {}
    return {name: value for name, value in variables.items() if isinstance(value, str)}


def _globals_environment(tt: TwinTemplate) -> dict[str, object]:
    function = tt.sam.get("Globals", {}).get("Function", {})
    return dict((function.get("Environment") or {}).get("Variables") or {})


def _lambda_environment(paths: tuple[str, ...], environment: dict[str, str]) -> dict[str, str]:
    # As on Lambda: LAMBDA_TASK_ROOT makes the X-Ray SDK sample locally instead of building an
    # X-Ray client at import (which it does, at ~150 ms, anywhere else). Tracing stays off
    # because there is no daemon to send segments to.
    return {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DEFAULT_REGION": "us-east-1",
        "LAMBDA_TASK_ROOT": paths[0],
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        **environment,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def subjects() -> list[Subject]:
    tt = transform_template(ROOT / "template.yaml", division_parameters("640100"))
    found = []
    for logical_id, spec in sorted(tt.functions.items()):
        paths = (str(spec.code_dir), *map(str, spec.layer_dirs))
        found.append(Subject(logical_id, spec.handler.rpartition(".")[0], paths, _literal_environment(tt, logical_id)))
    # The floors run with what every function gets from Globals: what the template spells out.
    stack = {name: value for name, value in _globals_environment(tt).items() if isinstance(value, str)}
    for floor in ("http", "queue"):
        found.append(Subject(f"(design floor, {floor})", f"{floor}_floor", (str(FLOOR),), stack))
    return found


def cold_import_seconds(subject: Subject, statement: str) -> float:
    code = _TIMER.format(paths=list(subject.paths), statement=statement)
    env = _lambda_environment(subject.paths, subject.environment)
    output = subprocess.run([*subject.python, "-c", code], capture_output=True, text=True, check=True, env=env)
    return float(output.stdout.strip().splitlines()[-1])


def measure(
    subject: Subject, runs: int = RUNS, baseline: Subject | None = None, statement: str | None = None
) -> ImportTime:
    """The handler's import (or ``statement``) against `import boto3` where `baseline` has it (the
    subject's own place)."""
    handler = statement or f"import {subject.module}"
    baseline = baseline or subject
    cold_import_seconds(baseline, "import boto3")  # warm the file cache and the .pyc files
    cold_import_seconds(subject, handler)
    handler_s, boto3_s = [], []
    for run in range(runs):
        if run % 2:
            boto3_s.append(cold_import_seconds(baseline, "import boto3"))
            handler_s.append(cold_import_seconds(subject, handler))
        else:
            handler_s.append(cold_import_seconds(subject, handler))
            boto3_s.append(cold_import_seconds(baseline, "import boto3"))
    ratios = [h / b for h, b in zip(handler_s, boto3_s, strict=True)]
    return ImportTime(
        subject.name,
        statistics.median(handler_s) * 1000,
        statistics.median(boto3_s) * 1000,
        statistics.median(ratios),
    )


def _self_times(subject: Subject, statement: str) -> dict[str, int]:
    """Microseconds each module spent importing itself, from `python -X importtime`."""
    code = _TIMER.format(paths=list(subject.paths), statement=statement)
    env = _lambda_environment(subject.paths, subject.environment)
    stderr = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True, env=env
    ).stderr
    times = {}
    for line in stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[0].strip().isdigit():
            times[fields[2].strip()] = int(fields[0])
    return times


def beyond_boto3(subject: Subject, top: int = 8) -> list[tuple[str, float]]:
    """Where a handler's import time goes beyond what `import boto3` already loads, by package."""
    baseline = _self_times(subject, "import boto3")
    groups: Counter[str] = Counter()
    for module, micros in _self_times(subject, f"import {subject.module}").items():
        if module not in baseline:
            parts = module.split(".")
            depth = 3 if parts[0] in {"haochaping", "aws_lambda_powertools"} else 1
            groups[".".join(parts[:depth])] += micros
    return [(name, micros / 1000) for name, micros in groups.most_common(top)]


# Every store a function may build, each on its own: what a first request adds to the import.
_BUILD_STORES = """
from haochaping.settings import Settings
from haochaping.wiring import AwsStores
stores = AwsStores(Settings.model_construct(**{name: "bench" for name in Settings.model_fields}))
for name in ("ratings", "tasks", "scores", "registry", "calendar", "notices", "queues", "evaluators"):
    getattr(stores, name)
"""


def with_stores(found: list[Subject]) -> None:
    """Each function's import and then every store built, against `import boto3`."""
    print(f"import and every store built, median of {RUNS} paired fresh interpreters")
    print(f"{'function':<28}{'import+stores ms':>18}{'boto3 ms':>10}{'ratio':>8}")
    for subject in found:
        if subject.name.startswith("("):
            continue
        row = measure(subject, statement=f"import {subject.module}\n{_BUILD_STORES}")
        print(f"{row.name:<28}{row.handler_ms:>18.1f}{row.boto3_ms:>10.1f}{row.ratio:>8.2f}")


def first_pages(found: list[Subject]) -> None:
    """The functions that answer with a page: their import and then their first page, whose
    templates compile then (bench/first_page.py makes it), against `import boto3`."""
    print(f"import and first page, median of {RUNS} paired fresh interpreters")
    print(f"{'function':<28}{'import+page ms':>16}{'boto3 ms':>10}{'ratio':>8}")
    for subject in found:
        page = first_page.PAGES.get(subject.name)
        if page is None:
            continue
        statement = f"import {subject.module}\nfrom bench import first_page\nfirst_page.{page}()"
        row = measure(replace(subject, paths=(*subject.paths, str(ROOT))), statement=statement)
        print(f"{row.name:<28}{row.handler_ms:>16.1f}{row.boto3_ms:>10.1f}{row.ratio:>8.2f}")


def main() -> None:
    print(f"cold import, median of {RUNS} paired fresh interpreters (Python {sys.version.split()[0]})")
    print(f"{'function':<28}{'handler ms':>12}{'boto3 ms':>10}{'ratio':>8}  target ≤ {TARGET_RATIO}")
    found = subjects()
    rows = [measure(subject) for subject in found]
    for row in rows:
        flag = "" if row.ratio <= TARGET_RATIO else "  over target"
        print(f"{row.name:<28}{row.handler_ms:>12.1f}{row.boto3_ms:>10.1f}{row.ratio:>8.2f}{flag}")
    functions = [row for row in rows if not row.name.startswith("(")]
    worst = max(functions, key=lambda row: row.ratio)
    print(f"worst function ratio {worst.ratio:.2f} ({worst.name})")
    subject = next(s for s in found if s.name == worst.name)
    print(f"where {worst.name}'s import goes beyond boto3's (one run under -X importtime, ms):")
    for name, ms in beyond_boto3(subject):
        print(f"  {ms:8.1f}  {name}")
    with_stores(found)
    first_pages(found)
