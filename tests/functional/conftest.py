"""Functional tier: each Lambda handler, invoked in-process against moto (``mock_aws``).

The AWS resources the handlers use are created from template.yaml, not by hand: every
``AWS::DynamoDB::Table`` with its keys, billing mode, stream and indexes, the signing secret
under the template's name, a KMS key, the queues and topics, and the staff user pool with its
client and groups (from the template's own properties). The function environment is exactly
the template's ``Globals.Function.Environment.Variables``, each value resolved against those
resources, so a variable, table or index added to the template reaches these tests (or
stops them with a message saying what to teach this file).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from datetime import time as dt_time
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from haochaping import observability
from haochaping.domain.registry import Department, Hall, Registry, Shift, Staff, StaffRole, Tag, TagSet, Window
from haochaping.wiring import AwsStores, forget, wired
from moto import mock_aws
from samtranslator.yaml_helper import yaml_parse

from tests.conftest import use_offline_aws

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
EVENTS = ROOT / "events"

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
STACK_NAME = "haochaping-640104"

# The parameters of one district stack (infra/divisions/640104.toml); the rest take their defaults.
PARAMETERS = {
    "DivisionCode": "640104",
    "DivisionName": "兴庆区",
    "DivisionLevel": "county",
    "PublicBaseUrl": "https://haochaping-640104.yinchuan.example",
}

# Like the template's GenerateSecretString: 48 characters, no punctuation. Not a real secret.
# The plate signatures (sig) and tracking codes in events/ were made with it.
SIGNING_SECRET_VALUE = "FunctionalTestSigningSecretNotUsedAnywhere012345"

HALL = "XQZWFW"
DEPARTMENT = "11640104MB0000001A"  # made up; shaped like a 统一社会信用代码
CLERK = "XQ1017"
TAG_VERSION = "2026.1"
# Follow-up staff of the service centre: two officers (XQ2002 also serves at window D008) and
# two supervisors. A second hall, 不动产登记中心, has an officer and a supervisor of its own.
OFFICERS = ("XQ2001", "XQ2002")
OFFICER_AT_WINDOW = "XQ2002"
SUPERVISORS = ("XQ3001", "XQ3002")
OTHER_HALL = "XQBDC"
OTHER_OFFICER = "XQ2101"
OTHER_SUPERVISOR = "XQ3101"


def sample_registry() -> Registry:
    """The registry the sample events point at: 兴庆区's service centre with four windows.

    640104-A017 has a clerk on duty round the clock; 640104-C021 serves one item only;
    640104-Z099 is out of service; 640104-D008 has a follow-up officer on duty round the clock.
    640104-E001 is in a second hall, with follow-up staff of its own.
    """
    round_the_clock = {
        "weekdays": (1, 2, 3, 4, 5, 6, 7),
        "start": dt_time(0, 0),
        "end": dt_time(23, 59, 59, 999999),
        "valid_from": date(2020, 1, 1),
    }
    return Registry(
        division_code=PARAMETERS["DivisionCode"],
        halls=(
            Hall(code=HALL, name="兴庆区政务服务中心", name_en="Xingqing District Service Centre"),
            Hall(code=OTHER_HALL, name="兴庆区不动产登记中心", name_en="Xingqing Real Estate Registration Centre"),
        ),
        departments=(Department(code=DEPARTMENT, name="兴庆区行政审批服务局"),),
        windows=(
            Window(code="640104-A017", hall_code=HALL, number="17", name="社保综合窗口", department_code=DEPARTMENT),
            Window(code="640104-B003", hall_code=HALL, number="3", name="不动产登记窗口", department_code=DEPARTMENT),
            Window(
                code="640104-C021",
                hall_code=HALL,
                number="21",
                name="综合受理窗口",
                department_code=DEPARTMENT,
                item_codes=("ITEM-0001",),
            ),
            Window(
                code="640104-Z099",
                hall_code=HALL,
                number="99",
                name="已撤销窗口",
                department_code=DEPARTMENT,
                active=False,
            ),
            Window(code="640104-D008", hall_code=HALL, number="8", name="医保窗口", department_code=DEPARTMENT),
            Window(code="640104-E001", hall_code=OTHER_HALL, number="1", name="登记窗口", department_code=DEPARTMENT),
        ),
        staff=(
            Staff(job_number=CLERK, name="测试员甲", role=StaffRole.CLERK, hall_code=HALL),
            Staff(job_number=OFFICERS[0], name="回访员乙", role=StaffRole.OFFICER, hall_code=HALL),
            Staff(job_number=OFFICERS[1], name="回访员丙", role=StaffRole.OFFICER, hall_code=HALL),
            Staff(job_number=SUPERVISORS[0], name="审核员丁", role=StaffRole.SUPERVISOR, hall_code=HALL),
            Staff(job_number=SUPERVISORS[1], name="审核员戊", role=StaffRole.SUPERVISOR, hall_code=HALL),
            Staff(job_number=OTHER_OFFICER, name="回访员己", role=StaffRole.OFFICER, hall_code=OTHER_HALL),
            Staff(job_number=OTHER_SUPERVISOR, name="审核员庚", role=StaffRole.SUPERVISOR, hall_code=OTHER_HALL),
        ),
        shifts=(
            Shift(window_code="640104-A017", job_number=CLERK, **round_the_clock),
            Shift(window_code="640104-D008", job_number=OFFICER_AT_WINDOW, **round_the_clock),
        ),
        tag_set=TagSet(
            version=TAG_VERSION,
            tags=(
                Tag(code="101", name="态度恶劣"),
                Tag(code="102", name="多次跑腿"),
                Tag(code="201", name="等候时间长"),
                Tag(code="202", name="解释不清楚"),
                Tag(code="203", name="叫号混乱"),
                Tag(code="301", name="效率一般"),
                Tag(code="401", name="办事顺利"),
                Tag(code="501", name="办事快"),
                Tag(code="502", name="讲解耐心"),
            ),
        ),
    )


class TemplateNotUnderstood(RuntimeError):
    """template.yaml holds something this conftest does not know how to recreate in moto."""


def load_template() -> dict[str, Any]:
    return yaml_parse(TEMPLATE_PATH.read_text(encoding="utf-8"))


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == resource_type
    }


def global_environment(template: dict[str, Any]) -> dict[str, Any]:
    return template["Globals"]["Function"]["Environment"]["Variables"]


def parameter_values(template: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, declaration in template.get("Parameters", {}).items():
        if name in PARAMETERS:
            values[name] = PARAMETERS[name]
        elif "Default" in declaration:
            values[name] = str(declaration["Default"])
        else:
            raise TemplateNotUnderstood(
                f"template parameter {name} has no default; give it a value in PARAMETERS in {__file__}"
            )
    return values


@dataclass
class Intrinsics:
    """What ``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` and ``Fn::If`` resolve to in the moto stack."""

    refs: dict[str, str]
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    condition_definitions: dict[str, Any] = field(default_factory=dict)

    def condition(self, name: str, where: str = "Conditions") -> bool:
        if name not in self.condition_definitions:
            raise TemplateNotUnderstood(f"{where}: no condition {name}")
        return self.holds(self.condition_definitions[name], f"Conditions.{name}")

    def holds(self, expression: Any, where: str) -> bool:
        ((function, argument),) = expression.items()
        if function == "Condition":
            return self.condition(argument, where)
        if function == "Fn::Equals":
            return self.resolve(argument[0], where) == self.resolve(argument[1], where)
        if function == "Fn::Not":
            return not self.holds(argument[0], where)
        if function == "Fn::And":
            return all(self.holds(item, where) for item in argument)
        if function == "Fn::Or":
            return any(self.holds(item, where) for item in argument)
        raise TemplateNotUnderstood(f"{where}: cannot evaluate {function}; teach {__file__} how")

    def ref(self, name: str, where: str) -> str:
        if name not in self.refs:
            raise TemplateNotUnderstood(f"{where}: Ref {name} is not created by {__file__}")
        return self.refs[name]

    def get_att(self, logical_id: str, attribute: str, where: str) -> str:
        if (logical_id, attribute) not in self.attributes:
            raise TemplateNotUnderstood(f"{where}: Fn::GetAtt {logical_id}.{attribute} is not created by {__file__}")
        return self.attributes[(logical_id, attribute)]

    def resolve(self, value: Any, where: str) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        if isinstance(value, dict) and len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                return self.ref(argument, where)
            if function == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.get_att(logical_id, attribute, where)
            if function == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                return self._substitute(text, variables, where)
            if function == "Fn::If":
                name, when_true, when_false = argument
                return self.resolve(when_true if self.condition(name, where) else when_false, where)
        raise TemplateNotUnderstood(f"{where}: cannot resolve {value!r}; teach {__file__} how")

    def resolve_properties(self, value: Any, where: str) -> Any:
        """A resource's properties with every intrinsic inside resolved; other values kept as typed."""
        if isinstance(value, dict):
            if len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt", "Fn::Sub"):
                return self.resolve(value, where)
            return {key: self.resolve_properties(item, f"{where}.{key}") for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve_properties(item, where) for item in value]
        return value

    def _substitute(self, text: str, variables: dict[str, Any], where: str) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return self.resolve(variables[name], where)
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute, where)
            return self.ref(name, where)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


def create_table(dynamodb: Any, logical_id: str, properties: dict[str, Any], intrinsics: Intrinsics) -> dict[str, Any]:
    """Create one table as the template declares it; returns DescribeTable's Table."""
    where = f"{logical_id} (AWS::DynamoDB::Table)"
    name = (
        intrinsics.resolve(properties["TableName"], where)
        if "TableName" in properties
        else f"{STACK_NAME}-{logical_id}-FUNCTIONAL"
    )
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": properties.get("BillingMode", "PROVISIONED"),
    }
    if request["BillingMode"] == "PROVISIONED":
        request["ProvisionedThroughput"] = {
            key: int(intrinsics.resolve(value, where)) for key, value in properties["ProvisionedThroughput"].items()
        }
    if "StreamSpecification" in properties:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": properties["StreamSpecification"]["StreamViewType"],
        }
    for indexes in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if indexes in properties:
            request[indexes] = copy.deepcopy(properties[indexes])
    dynamodb.create_table(**request)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )
    return dynamodb.describe_table(TableName=name)["Table"]


# CloudFormation property → Cognito API parameter, where the names differ.
USER_POOL_PROPERTY_NAMES = {"UserPoolName": "PoolName"}


def nested_templates(intrinsics: Intrinsics, template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The template's nested stacks (``AWS::Serverless::Application`` with a local ``Location``)
    whose Condition holds: logical id → their template."""
    found = {}
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Application").items():
        if "Condition" in resource and not intrinsics.condition(resource["Condition"], logical_id):
            continue
        found[logical_id] = yaml_parse((ROOT / resource["Properties"]["Location"]).read_text(encoding="utf-8"))
    return found


def create_staff_directory(intrinsics: Intrinsics, template: dict[str, Any]) -> dict[str, str]:
    """The Cognito user pools, their clients and groups of the template's nested stacks, created
    through the cognito-idp API from their templates' properties; each nested stack's outputs
    become its ``Outputs.<name>`` attributes. Returns the nested logical id → physical id."""
    created: dict[str, str] = {}
    for logical_id, nested in nested_templates(intrinsics, template).items():
        parameters = template["Resources"][logical_id]["Properties"].get("Parameters") or {}
        inner = Intrinsics(
            refs={
                **{k: v for k, v in intrinsics.refs.items() if k.startswith("AWS::")},
                **{
                    name: intrinsics.resolve(value, f"{logical_id}.Parameters.{name}")
                    for name, value in parameters.items()
                },
            }
        )
        created |= _create_cognito(inner, nested)
        for name, output in (nested.get("Outputs") or {}).items():
            intrinsics.attributes[(logical_id, f"Outputs.{name}")] = inner.resolve(
                output["Value"], f"{logical_id}.{name}"
            )
    return created


def _create_cognito(intrinsics: Intrinsics, template: dict[str, Any]) -> dict[str, str]:
    cognito = boto3.client("cognito-idp")
    created: dict[str, str] = {}
    for logical_id, resource in resources_of_type(template, "AWS::Cognito::UserPool").items():
        where = f"{logical_id} (AWS::Cognito::UserPool)"
        properties = intrinsics.resolve_properties(resource.get("Properties", {}), where)
        request = {USER_POOL_PROPERTY_NAMES.get(name, name): value for name, value in properties.items()}
        request.setdefault("PoolName", f"{STACK_NAME}-{logical_id}")
        pool = cognito.create_user_pool(**request)["UserPool"]
        created[logical_id] = intrinsics.refs[logical_id] = pool["Id"]
        intrinsics.attributes[(logical_id, "Arn")] = pool["Arn"]
        intrinsics.attributes[(logical_id, "ProviderName")] = f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
        intrinsics.attributes[(logical_id, "ProviderURL")] = f"https://cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
    for logical_id, resource in resources_of_type(template, "AWS::Cognito::UserPoolClient").items():
        where = f"{logical_id} (AWS::Cognito::UserPoolClient)"
        properties = intrinsics.resolve_properties(resource.get("Properties", {}), where)
        properties.setdefault("ClientName", logical_id)
        client = cognito.create_user_pool_client(**properties)["UserPoolClient"]
        created[logical_id] = intrinsics.refs[logical_id] = client["ClientId"]
    for logical_id, resource in resources_of_type(template, "AWS::Cognito::UserPoolGroup").items():
        where = f"{logical_id} (AWS::Cognito::UserPoolGroup)"
        properties = intrinsics.resolve_properties(resource.get("Properties", {}), where)
        group = cognito.create_group(**properties)["Group"]
        created[logical_id] = intrinsics.refs[logical_id] = group["GroupName"]
    return created


MARK_KINDS = frozenset({"cooldown", "ticket", "case"})


@dataclass
class Stack:
    """The moto resources of one district stack and the environment the functions see."""

    template: dict[str, Any]
    tables: dict[str, str]  # logical id → table name
    environment: dict[str, str]
    signing_secret: bytes
    key_arn: str
    stream_arns: dict[str, str]
    registry: Registry
    queues: dict[str, str] = field(default_factory=dict)  # logical id → queue URL
    topics: dict[str, str] = field(default_factory=dict)  # logical id → topic ARN
    buckets: dict[str, str] = field(default_factory=dict)  # logical id → bucket name
    staff_directory: dict[str, str] = field(default_factory=dict)  # logical id → pool / client id / group
    region: str = REGION

    @property
    def stores(self) -> AwsStores:
        """The stores the functions of this stack build from its environment."""
        return wired()[0]

    @property
    def ratings_table(self) -> str:
        return self.environment["RATINGS_TABLE"]

    def items(self, logical_id: str = "RatingsTable") -> list[dict[str, Any]]:
        """Every item of a table, in DynamoDB's wire format."""
        client = boto3.client("dynamodb")
        pages = client.get_paginator("scan").paginate(TableName=self.tables[logical_id], ConsistentRead=True)
        return [item for page in pages for item in page["Items"]]

    def ratings(self) -> list[dict[str, Any]]:
        """The rating items of the Ratings table (not the marks written with them)."""
        return [item for item in self.items() if item.get("kind") == {"S": "rating"}]

    def marks(self) -> list[dict[str, Any]]:
        """The one-time marks of the Ratings table (cool-downs, tickets, cases)."""
        return [item for item in self.items() if item.get("kind", {}).get("S") in MARK_KINDS]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """The Ratings table's items of one kind: evaluator, task, audit, report."""
        return [item for item in self.items() if item.get("kind") == {"S": kind}]


def reset_cached_state() -> None:
    """Forget what an execution environment keeps between invocations."""
    forget()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials in us-east-1, and no endpoint override: with one, mock_aws intercepts nothing."""
    use_offline_aws(monkeypatch, tmp_path, REGION)


@pytest.fixture
def stack(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The district stack's data resources in moto, and the functions' environment set from the template."""
    template = load_template()
    with mock_aws():
        reset_cached_state()
        intrinsics = Intrinsics(
            refs={
                "AWS::Region": REGION,
                "AWS::AccountId": ACCOUNT_ID,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::StackName": STACK_NAME,
                **parameter_values(template),
            },
            condition_definitions=template.get("Conditions") or {},
        )

        dynamodb = boto3.client("dynamodb")
        table_names: dict[str, str] = {}
        stream_arns: dict[str, str] = {}
        for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
            table = create_table(dynamodb, logical_id, resource["Properties"], intrinsics)
            table_names[logical_id] = table["TableName"]
            intrinsics.refs[logical_id] = table["TableName"]
            intrinsics.attributes[(logical_id, "Arn")] = table["TableArn"]
            if "LatestStreamArn" in table:
                stream_arns[logical_id] = table["LatestStreamArn"]
                intrinsics.attributes[(logical_id, "StreamArn")] = table["LatestStreamArn"]

        kms = boto3.client("kms")
        for logical_id, resource in resources_of_type(template, "AWS::KMS::Key").items():
            key = kms.create_key(Description=resource["Properties"].get("Description", logical_id))["KeyMetadata"]
            intrinsics.refs[logical_id] = key["KeyId"]
            intrinsics.attributes[(logical_id, "Arn")] = key["Arn"]
            intrinsics.attributes[(logical_id, "KeyId")] = key["KeyId"]

        secrets = boto3.client("secretsmanager")
        for logical_id, resource in resources_of_type(template, "AWS::SecretsManager::Secret").items():
            name = intrinsics.resolve(resource["Properties"]["Name"], f"{logical_id}.Name")
            secret = secrets.create_secret(Name=name, SecretString=SIGNING_SECRET_VALUE)
            intrinsics.refs[logical_id] = secret["ARN"]
            intrinsics.attributes[(logical_id, "Id")] = secret["ARN"]

        sqs = boto3.client("sqs")
        queues: dict[str, str] = {}
        for logical_id, resource in resources_of_type(template, "AWS::SQS::Queue").items():
            del resource  # attributes such as the redrive policy do not matter to a handler
            name = f"{STACK_NAME}-{logical_id}-FUNCTIONAL"
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            queues[logical_id] = url
            intrinsics.refs[logical_id] = url
            intrinsics.attributes[(logical_id, "Arn")] = arn
            intrinsics.attributes[(logical_id, "QueueName")] = name

        sns = boto3.client("sns")
        topics: dict[str, str] = {}
        for logical_id in resources_of_type(template, "AWS::SNS::Topic"):
            name = f"{STACK_NAME}-{logical_id}-FUNCTIONAL"
            arn = sns.create_topic(Name=name)["TopicArn"]
            topics[logical_id] = arn
            intrinsics.refs[logical_id] = arn
            intrinsics.attributes[(logical_id, "TopicName")] = name

        s3 = boto3.client("s3")
        buckets: dict[str, str] = {}
        for logical_id in resources_of_type(template, "AWS::S3::Bucket"):
            name = f"{STACK_NAME}-{logical_id}-functional".lower()
            s3.create_bucket(Bucket=name)
            buckets[logical_id] = name
            intrinsics.refs[logical_id] = name
            intrinsics.attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"

        staff_directory = create_staff_directory(intrinsics, template)

        environment = {
            name: intrinsics.resolve(value, f"Globals.Function.Environment.Variables.{name}")
            for name, value in global_environment(template).items()
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        registry = sample_registry()
        wired()[0].registry.save_registry(registry)
        reset_cached_state()

        # Metrics and Logger read their variables when haochaping.observability is first imported,
        # which may have happened before this environment existed.
        monkeypatch.setattr(observability.metrics, "namespace", environment["POWERTOOLS_METRICS_NAMESPACE"])
        monkeypatch.setattr(observability.metrics, "service", environment["POWERTOOLS_SERVICE_NAME"])

        yield Stack(
            template=template,
            tables=table_names,
            environment=environment,
            signing_secret=SIGNING_SECRET_VALUE.encode("utf-8"),
            key_arn=environment["PERSONAL_DATA_KEY_ID"],
            stream_arns=stream_arns,
            registry=registry,
            queues=queues,
            topics=topics,
            buckets=buckets,
            staff_directory=staff_directory,
        )
        observability.metrics.clear_metrics()
        reset_cached_state()


_HANDLER_MODULES: dict[str, ModuleType] = {}


def function_module(logical_id: str) -> ModuleType:
    """The handler module of a function of the template, imported from its CodeUri by file path.

    Every handler is an ``app.py``, so each gets a module name of its own.
    """
    if logical_id not in _HANDLER_MODULES:
        template = load_template()
        properties = template["Resources"][logical_id]["Properties"]
        module_file, _ = properties["Handler"].rsplit(".", 1)
        path = ROOT / properties["CodeUri"] / f"{module_file.replace('.', '/')}.py"
        name = f"haochaping_functional_{logical_id}_{module_file}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None, f"cannot import {path}"
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        _HANDLER_MODULES[logical_id] = module
    return _HANDLER_MODULES[logical_id]


@dataclass
class LambdaContextStub:
    """What Powertools reads from the Lambda context object."""

    function_name: str = f"{STACK_NAME}-Function"
    function_version: str = "$LATEST"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{STACK_NAME}-Function"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "6f1c2b7d-9e0a-4c5b-8d7e-8f90a1b2c3d4"
    log_group_name: str = f"/aws/lambda/{STACK_NAME}-Function"
    log_stream_name: str = "2026/11/26/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@pytest.fixture
def invoke(stack: Stack) -> Callable[[str, dict[str, Any]], Any]:
    """Invoke a function of the template by logical id, the way Lambda does."""

    def call(logical_id: str, event: dict[str, Any]) -> Any:
        module = function_module(logical_id)
        handler_name = stack.template["Resources"][logical_id]["Properties"]["Handler"].rsplit(".", 1)[1]
        context = LambdaContextStub(function_name=f"{STACK_NAME}-{logical_id}")
        return getattr(module, handler_name)(copy.deepcopy(event), context)

    return call


@pytest.fixture
def load_event() -> Callable[[str], dict[str, Any]]:
    """A fresh copy of a sample event from events/, e.g. ``load_event("submit_rating/post_rating.json")``."""

    def load(relative: str) -> dict[str, Any]:
        return json.loads((EVENTS / relative).read_text(encoding="utf-8"))

    return load


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is at the moment of writing (capsys's, during a test)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture
def captured_output(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], str]]:
    """Everything the functions write (Powertools logs and metrics go to stdout), as text.

    The Powertools handler keeps the stdout of the moment it was created, before any test;
    for the test it writes to the current one, which capsys captures.
    """
    handler = observability.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.stream
    handler.stream = _CurrentStdout()
    written: list[str] = []

    def read() -> str:
        captured = capsys.readouterr()
        written.append(captured.out + captured.err)
        return "".join(written)

    yield read
    handler.stream = previous


@pytest.fixture
def log_records(captured_output: Callable[[], str]) -> Callable[[], list[dict[str, Any]]]:
    """The JSON lines written so far (log records and metric blobs)."""

    def read() -> list[dict[str, Any]]:
        records = []
        for line in captured_output().splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        return records

    return read


@contextmanager
def division_stack_in_moto(config_dir: Path, division: str, stack_name: str) -> Iterator[tuple[Any, dict[str, str]]]:
    """A division's stack created in moto (in-process) from template.yaml by the local twin's code,
    as the admin command line finds it."""
    from localtwin.divisions import division_parameters
    from localtwin.stack import create_stack
    from localtwin.template import transform_template

    with pytest.MonkeyPatch.context() as environment:
        use_offline_aws(environment, config_dir)
        with mock_aws():
            parameters = division_parameters(division)
            stack = create_stack(boto3.Session(), transform_template(TEMPLATE_PATH, parameters), stack_name, parameters)
            yield stack, parameters
