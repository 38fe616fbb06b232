"""Run checkov over the transformed template and hold its failures against the skip list.

    python infra/scan/run_checkov.py CHECKOV TEMPLATE_JSON [SKIP_LIST]

CHECKOV is the checkov executable of its own venv (`make lint` builds .venv-checkov), TEMPLATE_JSON
what infra/scan/transformed.py wrote. Fails on any failed check the skip list does not name, on a
skip without a reason, and on a skip that no longer matches a failure (remove it: it would hide
the check's next failure). checkov runs offline: no platform download, no update check.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SKIP_LIST = Path(__file__).with_name("checkov-skips.yaml")
CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_\d+$")
# Keep checkov off the network: no Prisma Cloud guidelines download (--skip-download; BC_SKIP_MAPPING
# is its environment spelling), no PyPI update check, and no API key picked up from the environment.
OFFLINE_ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}


@dataclass(frozen=True)
class Skip:
    check_id: str
    reason: str
    resources: frozenset[str] | None  # logical ids; None: every resource


def load_skips(path: Path) -> list[Skip]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("skips") or []
    problems: list[str] = []
    skips: list[Skip] = []
    for n, entry in enumerate(entries, 1):
        where = f"{path}: entry {n}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping with id and reason")
            continue
        unknown = set(entry) - {"id", "reason", "resources"}
        check_id = str(entry.get("id", ""))
        reason = str(entry.get("reason") or "").strip()
        resources = entry.get("resources")
        if unknown:
            problems.append(f"{where} ({check_id}): unknown keys {sorted(unknown)}")
        if not CHECK_ID.match(check_id):
            problems.append(f"{where}: id {check_id!r} is not a checkov check id")
        if len(reason) < 20:
            problems.append(f"{where} ({check_id}): every skip needs its reason, specific to this stack")
        if resources is not None and (
            not isinstance(resources, list) or not resources or not all(isinstance(r, str) for r in resources)
        ):
            problems.append(f"{where} ({check_id}): resources must be a non-empty list of logical ids")
            continue
        skips.append(Skip(check_id, reason, None if resources is None else frozenset(resources)))
    if problems:
        raise SystemExit("\n".join(problems))
    return skips


def run_checkov(checkov: str, template: Path) -> dict[str, Any]:
    command = [
        checkov,
        "--file",
        str(template),
        "--framework",
        "cloudformation",
        "--skip-download",
        "--output",
        "json",
    ]
    env = {k: v for k, v in os.environ.items() if k not in {"BC_API_KEY", "PRISMA_API_URL"}} | OFFLINE_ENV
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603 (our own argv)
    except FileNotFoundError:
        raise SystemExit(f"no checkov at {checkov}: `make lint` installs it into .venv-checkov") from None
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"checkov gave no JSON report (exit {done.returncode}): {' '.join(command)}") from None
    reports = report if isinstance(report, list) else [report]
    for one in reports:
        if one.get("check_type") == "cloudformation":
            summary = one["summary"]
            if summary["parsing_errors"] or not summary["passed"] + summary["failed"]:
                raise SystemExit(f"checkov could not read {template}: {summary}")
            return dict(one)
    raise SystemExit(f"checkov found no CloudFormation in {template}: {report}")


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    checkov, template = argv[0], Path(argv[1])
    skip_list = Path(os.path.relpath(argv[2] if len(argv) == 3 else SKIP_LIST))
    skips = load_skips(skip_list)
    report = run_checkov(checkov, template)
    failed = report["results"]["failed_checks"]

    used: set[tuple[int, str]] = set()  # (skip index, logical id)
    unexpected: list[dict[str, Any]] = []
    for check in failed:
        logical_id = check["resource"].split(".", 1)[-1]
        match = next(
            (
                i
                for i, s in enumerate(skips)
                if s.check_id == check["check_id"] and (s.resources is None or logical_id in s.resources)
            ),
            None,
        )
        if match is None:
            unexpected.append(check)
        else:
            used.add((match, logical_id))

    stale: list[str] = []
    for i, skip in enumerate(skips):
        if skip.resources is None:
            if not any(j == i for j, _ in used):
                stale.append(f"{skip.check_id} (every resource)")
        else:
            stale += [f"{skip.check_id} {r}" for r in sorted(skip.resources) if (i, r) not in used]

    for check in unexpected:
        first, last = check["file_line_range"]
        print(f"{check['check_id']}: {check['check_name']}")
        print(f"    {check['resource']}  ({template}:{first}-{last})")
    for entry in stale:
        print(f"{skip_list}: {entry} no longer fails: remove that skip")
    summary = report["summary"]
    print(
        f"checkov {summary['checkov_version']} over {template} ({summary['resource_count']} resources):"
        f" {summary['passed']} checks pass, {len(failed) - len(unexpected)} failures skipped as listed"
        f" in {skip_list}, {len(unexpected)} not skipped, {len(stale)} stale skips"
    )
    return 1 if unexpected or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
