"""Read template.yaml, transform it offline, and list what the twin must run.

Everything about a resource comes from the template: add a function with an HttpApi event
and its route exists locally with no change here.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

CODE_BUCKET = "localtwin-code"

# samtranslator records usage metrics meant for AWS's own transform service and, when they are
# garbage-collected unpublished, warns on stderr; offline there is nowhere to publish them.
logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)

# Types moto's CloudFormation skips (or cannot create) that the twin creates through the
# service APIs itself, or runs itself.
TYPES_RUN_BY_TWIN = {"AWS::Lambda::EventSourceMapping", "AWS::Scheduler::Schedule"}


class _BundledPolicies:
    """Managed policy names → ARNs without calling IAM (samtranslator's bundled map)."""

    def load(self) -> dict[str, str]:
        return get_bundled_managed_policy_map("aws")


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    timeout: int
    layer_dirs: tuple[Path, ...]


@dataclass(frozen=True)
class HttpRoute:
    function: str
    method: str  # upper case, or ANY
    path: str  # as in the template: /ratings/{code}, /{proxy+}
    authorizer: str | None = None
    authorizer_config: dict[str, Any] | None = None

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class EventSource:
    """A stream or queue mapping; ``source`` and ``on_failure`` are stack output names."""

    function: str
    kind: str  # "dynamodb" | "sqs"
    source_output: str
    batch_size: int
    report_item_failures: bool
    max_retries: int
    starting_position: str
    on_failure_output: str | None
    batching_window: float
    tumbling_window: int = 0  # seconds; 0: none (a stream's TumblingWindowInSeconds)
    parallelization: int = 1  # a stream's ParallelizationFactor


@dataclass(frozen=True)
class Schedule:
    function: str
    expression: str  # rate(...) or cron(...)
    input: str | None
    enabled: bool
    timezone: str | None = None  # EventBridge Scheduler's ScheduleExpressionTimezone; rules are UTC


@dataclass(frozen=True)
class Rule:
    """An EventBridge rule with a function target; the twin adds a queue target to see matches."""

    logical_id: str
    function: str
    input: str | None


@dataclass
class TwinTemplate:
    root: Path
    sam: dict[str, Any]
    cfn: dict[str, Any]  # what is created in moto
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    routes: list[HttpRoute] = field(default_factory=list)
    event_sources: list[EventSource] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    code_keys: dict[str, Path] = field(default_factory=dict)  # S3 key → local folder


def load_sam(path: Path) -> dict[str, Any]:
    return yaml_parse(path.read_text(encoding="utf-8"))


def _local_uri(value: Any) -> str | None:
    if isinstance(value, str) and not value.startswith("s3://"):
        return value
    return None


def transform_template(path: Path, parameters: dict[str, str], region: str = "us-east-1") -> TwinTemplate:
    """Transform template.yaml offline and prepare the CloudFormation that moto can create."""
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    root = path.parent.resolve()
    sam = load_sam(path)
    fragment = copy.deepcopy(sam)
    code_keys: dict[str, Path] = {}
    for logical_id, resource in fragment.get("Resources", {}).items():
        props = resource.get("Properties", {})
        for prop in ("CodeUri", "ContentUri"):
            local = _local_uri(props.get(prop))
            if local is not None:
                key = f"{logical_id}.zip"
                code_keys[key] = (root / local).resolve()
                props[prop] = f"s3://{CODE_BUCKET}/{key}"
    cfn = transform(fragment, dict(parameters), _BundledPolicies())
    result = TwinTemplate(root=root, sam=sam, cfn=cfn, code_keys=code_keys)
    _collect(result)
    _prepare_for_moto(result)
    return result


def _ref_target(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else target.split(".")[0])
    return None


def _collect(tt: TwinTemplate) -> None:
    sam_resources = tt.sam.get("Resources", {})
    globals_fn = tt.sam.get("Globals", {}).get("Function", {})
    layer_dirs: dict[str, Path] = {}
    for logical_id, resource in sam_resources.items():
        if resource.get("Type") == "AWS::Serverless::LayerVersion":
            local = _local_uri(resource.get("Properties", {}).get("ContentUri"))
            if local is not None:
                layer_dirs[logical_id] = (tt.root / local).resolve()

    for logical_id, resource in sam_resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties", {})
        layers = props.get("Layers", globals_fn.get("Layers", []))
        dirs = tuple(layer_dirs[t] for t in (_ref_target(x) for x in layers) if t in layer_dirs)
        local = _local_uri(props.get("CodeUri", globals_fn.get("CodeUri")))
        if local is None:
            continue  # code not on this machine: nothing to run
        tt.functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_dir=(tt.root / local).resolve(),
            handler=props.get("Handler", globals_fn.get("Handler", "app.lambda_handler")),
            timeout=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
            layer_dirs=dirs,
        )
        for event in (props.get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                tt.routes.append(_http_route(tt.sam, logical_id, event.get("Properties") or {}))

    resources = tt.cfn["Resources"]
    for logical_id, resource in list(resources.items()):
        kind = resource["Type"]
        props = resource.get("Properties", {})
        if kind == "AWS::Lambda::EventSourceMapping":
            tt.event_sources.append(_event_source(tt, logical_id, props))
        elif kind == "AWS::Scheduler::Schedule":
            target = props.get("Target", {})
            function = _ref_target(target.get("Arn"))
            if function in tt.functions:
                tt.schedules.append(
                    Schedule(
                        function,
                        props["ScheduleExpression"],
                        target.get("Input"),
                        props.get("State", "ENABLED") == "ENABLED",
                        props.get("ScheduleExpressionTimezone"),
                    )
                )
        elif kind == "AWS::Events::Rule":
            for target in props.get("Targets", []):
                function = _ref_target(target.get("Arn"))
                if function not in tt.functions:
                    continue
                if "ScheduleExpression" in props:
                    tt.schedules.append(
                        Schedule(
                            function,
                            props["ScheduleExpression"],
                            target.get("Input"),
                            props.get("State", "ENABLED") == "ENABLED",
                        )
                    )
                elif "EventPattern" in props:
                    tt.rules.append(Rule(logical_id, function, target.get("Input")))


def _http_route(sam: dict[str, Any], function: str, props: dict[str, Any]) -> HttpRoute:
    method = str(props.get("Method", "ANY")).upper()
    if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
        method = "ANY"
    path = str(props.get("Path", "$default"))
    authorizer_name = None
    config = None
    api_id = _ref_target(props.get("ApiId"))
    api_auth: dict[str, Any] = {}
    if api_id:
        api_auth = sam["Resources"].get(api_id, {}).get("Properties", {}).get("Auth", {}) or {}
    route_auth = props.get("Auth") or {}
    authorizer_name = route_auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
    if authorizer_name == "NONE":
        authorizer_name = None
    if authorizer_name:
        config = (api_auth.get("Authorizers") or {}).get(authorizer_name)
    return HttpRoute(function, method, path, authorizer_name, config)


def _event_source(tt: TwinTemplate, logical_id: str, props: dict[str, Any]) -> EventSource:
    function = _ref_target(props["FunctionName"]) or ""
    source_output = f"TwinSource{logical_id}"
    tt.cfn.setdefault("Outputs", {})[source_output] = {"Value": props["EventSourceArn"]}
    kind = "dynamodb" if "StreamArn" in json.dumps(props["EventSourceArn"]) else "sqs"
    on_failure = (props.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
    on_failure_output = None
    if on_failure is not None:
        on_failure_output = f"TwinOnFailure{logical_id}"
        tt.cfn["Outputs"][on_failure_output] = {"Value": on_failure}
    return EventSource(
        function=function,
        kind=kind,
        source_output=source_output,
        batch_size=int(props.get("BatchSize", 100 if kind == "dynamodb" else 10)),
        report_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        max_retries=int(props.get("MaximumRetryAttempts", -1)),
        starting_position=str(props.get("StartingPosition", "LATEST")),
        on_failure_output=on_failure_output,
        batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
        tumbling_window=int(props.get("TumblingWindowInSeconds", 0)),
        parallelization=int(props.get("ParallelizationFactor", 1)),
    )


def _prepare_for_moto(tt: TwinTemplate) -> None:
    """Shape the transformed template so that moto creates it, type by type."""
    resources = tt.cfn["Resources"]
    for logical_id in [k for k, v in resources.items() if v["Type"] in TYPES_RUN_BY_TWIN]:
        del resources[logical_id]
    for resource in resources.values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::KMS::Key" and isinstance(props.get("KeyPolicy"), dict):
            # moto's DescribeKey breaks on a policy given as an object: give it as a string.
            props["KeyPolicy"] = {"Fn::Sub": json.dumps(_as_sub_text(props["KeyPolicy"]))}
    for resource in resources.values():
        if resource["Type"] == "AWS::Events::Rule":
            # moto fails every put_events that meets a rule with a function target (it invokes
            # none): in moto's copy the twin runs those targets itself.
            properties = resource["Properties"]
            properties["Targets"] = [
                t for t in properties.get("Targets", []) if _ref_target(t.get("Arn")) not in tt.functions
            ]
    for rule in tt.rules:
        # moto delivers matched events to queue targets: one queue per rule shows the twin each match.
        queue_id = f"TwinRuleQueue{rule.logical_id}"
        resources[queue_id] = {"Type": "AWS::SQS::Queue", "Properties": {}}
        resources[rule.logical_id]["Properties"]["Targets"].append(
            {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}, "Id": "LocalTwinQueue"}
        )
        tt.cfn.setdefault("Outputs", {})[queue_id] = {"Value": {"Ref": queue_id}}


def _as_sub_text(value: Any) -> Any:
    """Replace Ref / Fn::Sub inside a JSON document by ${...} text for one outer Fn::Sub."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return "${" + str(value["Ref"]) + "}"
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            return value["Fn::Sub"]
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            return "${" + (".".join(target) if isinstance(target, list) else target) + "}"
        return {key: _as_sub_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_sub_text(item) for item in value]
    if isinstance(value, str):
        return value.replace("${", "${!")
    return value


def path_regex(path: str) -> re.Pattern[str]:
    """API Gateway path template → regex: {name} is one segment, {name+} the rest."""
    pattern = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("+}"):
            pattern += f"(?P<{part[1:-2]}>.+)"
        elif part.startswith("{"):
            pattern += f"(?P<{part[1:-1]}>[^/]+)"
        else:
            pattern += re.escape(part)
    return re.compile(f"^{pattern}$")
