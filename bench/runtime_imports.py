"""Cold import on the Lambda runtime's own Python, with the shared layer exactly as it is built.

The first import table runs on this project's interpreter with its virtual environment. This one
takes the runtime's Python version from the template (Globals: Runtime) and the layer from
layers/shared/Makefile (what `sam build` ships, built for this machine's platform; boto3 and
botocore are in it), and writes no bytecode, as on Lambda where /opt is read-only. Beside a few
functions it also measures the same layer without its bytecode: what the default Python builder
ships, which compiles every module imported on each cold start.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from localtwin.divisions import division_parameters
from localtwin.template import transform_template

from bench.imports import FLOOR, ROOT, TARGET_RATIO, Subject, measure, subjects

BENCH_DIR = ROOT / ".bench"
RUNS = 5
COMPARED = ("SubmitRatingFunction", "ScoreRatingsFunction", "(design floor, http)")


def runtime_version() -> str:
    tt = transform_template(ROOT / "template.yaml", division_parameters("640100"))
    return str(tt.sam["Globals"]["Function"]["Runtime"]).removeprefix("python")


def find_python(version: str) -> str | None:
    """An interpreter of exactly that version on this machine, if there is one."""
    candidates = [shutil.which(f"python{version}")]
    candidates += [str(p) for p in sorted(Path.home().glob(f".pyenv/versions/{version}*/bin/python{version}"))]
    for candidate in candidates:
        if candidate is None:
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def build_layer(python: str, version: str) -> tuple[Path, Path]:
    """The layer as the Makefile builds it, for this machine, and a copy without its bytecode."""
    built = BENCH_DIR / f"layer-{version}"
    shutil.rmtree(built, ignore_errors=True)  # exactly what the Makefile makes, nothing left from before
    subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(ROOT / "layers" / "shared"),
            "build-SharedLayer",
            f"ARTIFACTS_DIR={built}",
            f"PYTHON={python}",
            "PLATFORM=here",
        ],
        check=True,
        capture_output=True,
    )
    sources = BENCH_DIR / f"layer-{version}-sources"
    shutil.rmtree(sources, ignore_errors=True)
    shutil.copytree(built, sources, ignore=shutil.ignore_patterns("__pycache__"))
    return built / "python", sources / "python"


def main() -> None:
    version = runtime_version()
    python = find_python(version)
    print(f"cold import on the runtime's Python {version}, layer as layers/shared/Makefile builds it")
    if python is None:
        print(f"  not measured: no Python {version} on this machine (install python{version} to measure)")
        return
    layer, layer_sources = build_layer(python, version)
    interpreter = (python, "-S", "-B")  # no site-packages but ours; nothing written, as on Lambda
    print(f"median of {RUNS} paired fresh interpreters ({python})")
    print(f"{'function':<28}{'layer':>9}{'handler ms':>12}{'boto3 ms':>10}{'ratio':>8}  target ≤ {TARGET_RATIO}")
    for subject in subjects():
        code_dir = str(FLOOR) if subject.name.startswith("(") else subject.paths[0]
        shipped = [("built", layer)]
        if subject.name in COMPARED:
            shipped.append(("sources", layer_sources))
        # boto3 is in the layer: its import is always timed from the built one, so that the
        # sources row shows the handler's whole cost of compiling, boto3's part included.
        baseline = Subject(subject.name, subject.module, (code_dir, str(layer)), subject.environment, interpreter)
        for label, directory in shipped:
            paths = (code_dir, str(directory))
            subject_here = Subject(subject.name, subject.module, paths, subject.environment, interpreter)
            row = measure(subject_here, runs=RUNS, baseline=baseline)
            flag = "" if row.ratio <= TARGET_RATIO else "  over target"
            print(f"{row.name:<28}{label:>9}{row.handler_ms:>12.1f}{row.boto3_ms:>10.1f}{row.ratio:>8.2f}{flag}")
