"""Create the transformed template as a stack in moto and read back what it resolved."""

from __future__ import annotations

import io
import json
import secrets
import string
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any

import boto3

from localtwin.template import CODE_BUCKET, TwinTemplate

# moto's CloudFormation skips these with only a warning; the twin creates them through the
# service APIs from the template's own properties — code per type, never per resource.
SKIPPED_TYPES = ("AWS::SecretsManager::Secret",)


@dataclass
class FunctionRuntimeConfig:
    logical_id: str
    name: str
    arn: str
    environment: dict[str, str]
    timeout: int
    memory: int


@dataclass
class Stack:
    name: str
    resources: dict[str, tuple[str, str]]  # logical id → (type, physical id)
    outputs: dict[str, str]
    functions: dict[str, FunctionRuntimeConfig] = field(default_factory=dict)

    def physical_id(self, logical_id: str) -> str:
        return self.resources[logical_id][1]


def _placeholder_zip() -> bytes:
    # moto keeps the code but never runs it; the twin runs the local folders instead.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "code runs from the local checkout\n")
    return buffer.getvalue()


def _skipped_property_outputs(tt: TwinTemplate) -> dict[str, tuple[str, str]]:
    """Outputs that make moto resolve the top-level properties of resources it skips."""
    wanted: dict[str, tuple[str, str]] = {}
    for logical_id, resource in tt.cfn["Resources"].items():
        if resource["Type"] not in SKIPPED_TYPES:
            continue
        for prop, value in resource.get("Properties", {}).items():
            if isinstance(value, dict) and any(k == "Ref" or k.startswith("Fn::") for k in value):
                output = f"TwinProp{logical_id}{prop}"
                tt.cfn.setdefault("Outputs", {})[output] = {"Value": value}
                wanted[output] = (logical_id, prop)
    return wanted


def _resolved_properties(
    tt: TwinTemplate, outputs: dict[str, str], wanted: dict[str, tuple[str, str]], logical_id: str
) -> dict[str, Any]:
    props = dict(tt.cfn["Resources"][logical_id].get("Properties", {}))
    for output, (owner, prop) in wanted.items():
        if owner == logical_id:
            props[prop] = outputs[output]
    return props


def _create_secret(session: boto3.Session, props: dict[str, Any]) -> None:
    generate = props.get("GenerateSecretString") or {}
    alphabet = string.ascii_letters + string.digits
    if not generate.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    value = props.get("SecretString") or "".join(
        secrets.choice(alphabet) for _ in range(int(generate.get("PasswordLength", 32)))
    )
    client = session.client("secretsmanager")
    client.create_secret(Name=props["Name"], Description=props.get("Description", ""), SecretString=value)


CREATORS = {"AWS::SecretsManager::Secret": _create_secret}


def create_stack(session: boto3.Session, tt: TwinTemplate, name: str, parameters: dict[str, str]) -> Stack:
    s3 = session.client("s3")
    s3.create_bucket(Bucket=CODE_BUCKET)
    placeholder = _placeholder_zip()
    for key in tt.code_keys:
        s3.put_object(Bucket=CODE_BUCKET, Key=key, Body=placeholder)

    wanted = _skipped_property_outputs(tt)
    cloudformation = session.client("cloudformation")
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(tt.cfn),
        Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    description = _wait_for_stack(cloudformation, name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}
    resources: dict[str, tuple[str, str]] = {}
    paginator = cloudformation.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=name):
        for summary in page["StackResourceSummaries"]:
            resources[summary["LogicalResourceId"]] = (summary["ResourceType"], summary.get("PhysicalResourceId", ""))

    for logical_id, resource in tt.cfn["Resources"].items():
        creator = CREATORS.get(resource["Type"])
        if creator is not None:
            creator(session, _resolved_properties(tt, outputs, wanted, logical_id))

    stack = Stack(name=name, resources=resources, outputs=outputs)
    lambda_client = session.client("lambda")
    for logical_id in tt.functions:
        config = lambda_client.get_function_configuration(FunctionName=stack.physical_id(logical_id))
        stack.functions[logical_id] = FunctionRuntimeConfig(
            logical_id=logical_id,
            name=config["FunctionName"],
            arn=config["FunctionArn"],
            environment=dict(config.get("Environment", {}).get("Variables", {})),
            timeout=int(config.get("Timeout", 3)),
            memory=int(config.get("MemorySize", 128)),
        )
    return stack


def _wait_for_stack(cloudformation: Any, name: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if status == "CREATE_COMPLETE":
            return stack
        if status.endswith("FAILED") or status.startswith("ROLLBACK") or time.monotonic() > deadline:
            events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
            reasons = [e.get("ResourceStatusReason") for e in events if e.get("ResourceStatusReason")]
            raise RuntimeError(f"stack {name} ended {status}: {reasons[:5]}")
        time.sleep(0.1)
