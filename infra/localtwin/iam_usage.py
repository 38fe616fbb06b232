"""What each function's AWS calls were allowed to do on the twin: "least privilege, proven by use".

When asked (``LocalTwin(iam_usage_dir=...)`` or the ``LOCALTWIN_IAM_USAGE_DIR`` variable), the
guard in each function's worker (localtwin.permissions) appends every action and resource ARN a
call of the function was allowed, once per worker process, as a JSON line to a file of its own in
that directory; a worker that restarts appends to the same file. Each twin also writes a manifest
there: its template, its functions' code folders and their usage files, and the ARN of each of
its resources with the resource's logical id, so that a use can be named as the template names
the resource (``RatingsTable/index/EscalationDue``) after the twin is gone.

The files of many twins may share one directory (a test session's, say): each twin's names begin
with its own token. Nothing is recorded when no directory is given, nor while the twin does not
check permissions.
"""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENVIRONMENT_VARIABLE = "LOCALTWIN_IAM_USAGE_DIR"
_MANIFEST_SUFFIX = ".twin.json"


@dataclass
class UsageRecorder:
    """In a worker: appends each allowed (action, resource) to ``path``, once per process."""

    path: Path
    _seen: set[tuple[str, str | None, bool]] = field(default_factory=set)

    def record(self, action: str, resource: str | None, checked: bool = True) -> None:
        """``checked`` False: a call of a service the twin does not check; ``action`` is then the
        service and operation name, which need not be an IAM action."""
        key = (action, resource, checked)
        if key in self._seen:
            return
        line = json.dumps({"action": action, "resource": resource, "checked": checked}) + "\n"
        try:
            # One short write in append mode: whole lines even if a restarted worker shares the file.
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line)
        except OSError as error:  # the function goes on; the unrecorded use shows up as unused
            print(f"[localtwin IAM] could not record {action} in {self.path}: {error}", file=sys.stderr, flush=True)
            return
        self._seen.add(key)


@dataclass(frozen=True)
class UsageFiles:
    """One twin's files in a usage directory."""

    directory: Path
    twin: str  # unique to one twin: the stack name and a random token

    @classmethod
    def for_twin(cls, directory: str | Path, stack_name: str) -> UsageFiles:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        return cls(path, f"{stack_name}-{uuid.uuid4().hex[:12]}")

    def of_function(self, logical_id: str) -> Path:
        return self.directory / f"{self.twin}.{logical_id}.jsonl"

    @property
    def manifest(self) -> Path:
        return self.directory / f"{self.twin}{_MANIFEST_SUFFIX}"

    def write_manifest(
        self, template: Path, stack_name: str, code_dirs: dict[str, Path], names: dict[str, str]
    ) -> None:
        """``code_dirs``: each function's code folder; ``names``: each resource's ARN → logical id."""
        document = {
            "twin": self.twin,
            "template": str(template.resolve()),
            "stack": stack_name,
            "functions": {
                logical_id: {"code_dir": str(code_dir), "usage": self.of_function(logical_id).name}
                for logical_id, code_dir in code_dirs.items()
            },
            "resources": names,
        }
        self.manifest.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")


@dataclass(frozen=True)
class Use:
    """One action a function's call was allowed on one resource, on one twin."""

    function: str  # the template's logical id
    action: str
    resource: str | None  # the ARN the call touched; None: the twin could not tell
    checked: bool  # False: a service the twin does not check (action is then service:Operation)
    twin: str
    template: str
    code_dir: str
    resource_name: str | None = None  # as the template names it: "RatingsTable/index/EscalationDue"

    @property
    def named(self) -> str:
        """The resource by its logical id where the twin knows it, else its ARN, else "*"."""
        return self.resource_name or self.resource or "*"


def read_uses(directory: str | Path, twin: str | None = None) -> list[Use]:
    """Every use recorded in ``directory`` (by one twin only, with ``twin``), duplicates removed."""
    uses: dict[tuple[Any, ...], Use] = {}
    for manifest_path in sorted(Path(directory).glob(f"*{_MANIFEST_SUFFIX}")):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if twin is not None and manifest["twin"] != twin:
            continue
        names: dict[str, str] = manifest["resources"]
        for function, entry in manifest["functions"].items():
            path = manifest_path.parent / entry["usage"]
            if not path.exists():
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a killed worker
                resource = record.get("resource")
                use = Use(
                    function=function,
                    action=record["action"],
                    resource=resource,
                    checked=bool(record.get("checked", True)),
                    twin=manifest["twin"],
                    template=manifest["template"],
                    code_dir=entry["code_dir"],
                    resource_name=name_of(resource, names) if resource else None,
                )
                uses.setdefault((function, use.action, resource, use.checked, use.twin), use)
    return list(uses.values())


def name_of(arn: str, names: dict[str, str]) -> str | None:
    """``arn`` written with the logical id of the resource it is or lies under, or None.

    ``names`` maps resource ARNs to logical ids: ``…:table/haochaping-640100-RatingsTable-X/index/Due``
    becomes ``RatingsTable/index/Due``.
    """
    best: tuple[int, str] | None = None
    for known, logical_id in names.items():
        under = arn == known or arn.startswith(known + "/")
        if under and (best is None or len(known) > best[0]):
            best = (len(known), logical_id + arn[len(known) :])
    return best[1] if best else None


def resource_arns(resources: dict[str, tuple[str, str]], region: str, account: str) -> dict[str, str]:
    """ARN → logical id for a stack's resources (``logical id → (type, physical id)``), by type."""

    def arn(service: str, resource: str) -> str:
        return f"arn:aws:{service}:{region}:{account}:{resource}"

    found: dict[str, str] = {}
    for logical_id, (kind, physical) in resources.items():
        if not physical:
            continue
        if kind == "AWS::DynamoDB::Table":
            found[arn("dynamodb", f"table/{physical}")] = logical_id
        elif kind == "AWS::SQS::Queue":  # the physical id is the queue's URL
            found[arn("sqs", physical.rstrip("/").rsplit("/", 1)[-1])] = logical_id
        elif kind == "AWS::KMS::Key":
            found[physical if physical.startswith("arn:") else arn("kms", f"key/{physical}")] = logical_id
        elif kind == "AWS::KMS::Alias":
            found[arn("kms", physical)] = logical_id
        elif kind == "AWS::Cognito::UserPool":
            found[arn("cognito-idp", f"userpool/{physical}")] = logical_id
        elif kind == "AWS::S3::Bucket":
            found[f"arn:aws:s3:::{physical}"] = logical_id
        elif kind == "AWS::Lambda::Function":
            found[arn("lambda", f"function:{physical}")] = logical_id
        elif kind == "AWS::Events::EventBus":
            found[arn("events", f"event-bus/{physical}")] = logical_id
        elif physical.startswith("arn:"):  # topics, secrets and others whose id is their ARN
            found[physical] = logical_id
    return found
