"""Create the transformed template as a stack in moto and read back what it resolved."""

from __future__ import annotations

import ast
import copy
import functools
import graphlib
import io
import json
import logging
import secrets
import string
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localtwin.dynamodb_local import EngineArns
from localtwin.intrinsics import (
    Created,
    Resolver,
    moto_parts,
    output_name,
    referenced_names,
    replace_touching,
    substitute_known,
    touches,
)
from localtwin.template import CODE_BUCKET, TwinTemplate, transform_template

log = logging.getLogger(__name__)

# What moto's copy of the template holds where the twin fills in a value it resolves itself.
PENDING = "localtwin-pending"


@dataclass
class FunctionRuntimeConfig:
    logical_id: str
    name: str
    arn: str
    environment: dict[str, str]
    timeout: int
    memory: int
    role_arn: str = ""
    policies: list[dict[str, Any]] = field(default_factory=list)  # the role's, as IAM holds them


@dataclass
class Stack:
    name: str
    resources: dict[str, tuple[str, str]]  # logical id → (type, physical id)
    outputs: dict[str, str]
    functions: dict[str, FunctionRuntimeConfig] = field(default_factory=dict)
    resolver: Resolver | None = None
    engine_arns: EngineArns | None = None  # tables' ARNs between the stack's and DynamoDB Local's

    def physical_id(self, logical_id: str) -> str:
        return self.resources[logical_id][1]

    def resolve(self, value: Any) -> Any:
        """A template value with its intrinsics resolved, as CloudFormation would."""
        assert self.resolver is not None
        return self.resolver.resolve(value)


def _placeholder_zip() -> bytes:
    # moto keeps the code but never runs it; the twin runs the local folders instead.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "code runs from the local checkout\n")
    return buffer.getvalue()


# -- resources the twin creates itself, through the service APIs ----------------------------------
# Those moto's CloudFormation skips, and the tables, which live in DynamoDB Local. One creator per
# resource *type*: it turns the template's (resolved) properties into the service's create call,
# and returns what Ref and Fn::GetAtt give for the new resource.


@dataclass(frozen=True)
class CreationContext:
    stack_name: str
    logical_id: str
    arns: EngineArns
    template_root: Path  # where the template's local paths (a nested stack's TemplateURL) start

    def physical_name(self, max_length: int = 255) -> str:
        """A name as CloudFormation generates one: stack, logical id, a random suffix."""
        suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(12))
        stem = f"{self.stack_name}-{self.logical_id}"[: max_length - len(suffix) - 1]
        return f"{stem}-{suffix}"


Creator = Callable[[Any, dict[str, Any], CreationContext], Created]


def _coerce(value: Any, shape: Any) -> Any:
    """A CloudFormation property value in the type the service API's shape wants."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: _coerce(v, shape.members[k]) for k, v in value.items() if k in shape.members}
    if kind == "list" and isinstance(value, list):
        return [_coerce(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {str(k): _coerce(v, shape.value) for k, v in value.items()}
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("float", "double"):
        return float(value)
    if kind == "boolean":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if kind == "string":
        return str(value)
    return value


def api_arguments(
    client: Any, operation: str, properties: dict[str, Any], renames: dict[str, str] | None = None
) -> dict[str, Any]:
    """The template's properties as arguments of a create call: same names, the API's types.

    CloudFormation's property names are the API's for these types, bar a few renames; a
    property the API call does not take is left out (and logged).
    """
    shape = client.meta.service_model.operation_model(operation).input_shape
    arguments: dict[str, Any] = {}
    for key, value in properties.items():
        name = (renames or {}).get(key, key)
        if name in shape.members:
            arguments[name] = _coerce(value, shape.members[name])
        else:
            log.info("%s: the local twin does not apply property %s", operation, key)
    return arguments


def _create_secret(session: Any, props: dict[str, Any], _context: CreationContext) -> Created:
    generate = props.get("GenerateSecretString") or {}
    alphabet = string.ascii_letters + string.digits
    if not generate.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    value = props.get("SecretString") or "".join(
        secrets.choice(alphabet) for _ in range(int(generate.get("PasswordLength", 32)))
    )
    client = session.client("secretsmanager")
    arguments = api_arguments(client, "CreateSecret", {**props, "SecretString": value})
    arn = client.create_secret(**arguments)["ARN"]
    return Created(arn, {"Id": arn})


def _create_user_pool(session: Any, props: dict[str, Any], _context: CreationContext) -> Created:
    client = session.client("cognito-idp")
    arguments = api_arguments(client, "CreateUserPool", props, {"UserPoolName": "PoolName"})
    pool = client.create_user_pool(**arguments)["UserPool"]
    provider = f"cognito-idp.{client.meta.region_name}.amazonaws.com/{pool['Id']}"
    return Created(
        pool["Id"],
        {"Arn": pool["Arn"], "ProviderName": provider, "ProviderURL": f"https://{provider}", "UserPoolId": pool["Id"]},
    )


def _create_user_pool_client(session: Any, props: dict[str, Any], _context: CreationContext) -> Created:
    client = session.client("cognito-idp")
    created = client.create_user_pool_client(**api_arguments(client, "CreateUserPoolClient", props))["UserPoolClient"]
    attributes = {"ClientId": created["ClientId"], "Name": created["ClientName"]}
    if created.get("ClientSecret"):
        attributes["ClientSecret"] = created["ClientSecret"]
    return Created(created["ClientId"], attributes)


def _create_user_pool_group(session: Any, props: dict[str, Any], _context: CreationContext) -> Created:
    client = session.client("cognito-idp")
    group = client.create_group(**api_arguments(client, "CreateGroup", props))["Group"]
    return Created(group["GroupName"])


def _create_subscription(session: Any, props: dict[str, Any], _context: CreationContext) -> Created:
    """A topic's subscriber (someone told of alarms, the office that receives reports): moto's
    CloudFormation skips the type, its SNS takes the subscription."""
    client = session.client("sns")
    subscribed = client.subscribe(**api_arguments(client, "Subscribe", props), ReturnSubscriptionArn=True)
    return Created(subscribed["SubscriptionArn"])


def _create_table(session: Any, props: dict[str, Any], context: CreationContext) -> Created:
    client = session.client("dynamodb")
    properties = dict(props)
    properties.setdefault("TableName", context.physical_name())
    sse = properties.pop("SSESpecification", None)
    time_to_live = properties.pop("TimeToLiveSpecification", None)
    for unapplied in ("PointInTimeRecoverySpecification", "ContributorInsightsSpecification", "ResourcePolicy"):
        if properties.pop(unapplied, None) is not None:
            log.info("CreateTable: DynamoDB Local does not apply %s; the twin leaves it out", unapplied)
    arguments = api_arguments(client, "CreateTable", properties)
    if "StreamSpecification" in arguments:
        # CloudFormation's StreamSpecification means "enabled"; the API says so explicitly.
        arguments["StreamSpecification"]["StreamEnabled"] = True
    if sse:
        # Same setting, two spellings: SSEEnabled in CloudFormation, Enabled in the API.
        arguments["SSESpecification"] = _coerce(
            {"Enabled": sse.get("SSEEnabled", False), **{k: v for k, v in sse.items() if k != "SSEEnabled"}},
            client.meta.service_model.operation_model("CreateTable").input_shape.members["SSESpecification"],
        )
    table = client.create_table(**arguments)["TableDescription"]
    client.get_waiter("table_exists").wait(TableName=table["TableName"], WaiterConfig={"Delay": 0.2})
    if time_to_live and str(time_to_live.get("Enabled")).lower() == "true":
        client.update_time_to_live(
            TableName=table["TableName"],
            TimeToLiveSpecification={"Enabled": True, "AttributeName": str(time_to_live["AttributeName"])},
        )
    attributes = {"Arn": context.arns.for_stack(table["TableArn"])}
    if table.get("LatestStreamArn"):
        attributes["StreamArn"] = context.arns.for_stack(table["LatestStreamArn"])
    return Created(table["TableName"], attributes)


def _create_nested_stack(session: Any, props: dict[str, Any], context: CreationContext) -> Created:
    """A nested stack (``AWS::Serverless::Application`` with a local ``Location``, as ``sam build``
    leaves it before packaging): its template made the way the twin makes the district's own."""
    path = (context.template_root / str(props["TemplateURL"])).resolve()
    parameters = {str(k): str(v) for k, v in (props.get("Parameters") or {}).items()}
    nested = create_stack(
        session,
        transform_template(path, parameters, context.arns.region),
        context.physical_name(128),
        parameters,
        account=context.arns.account,
    )
    assert nested.resolver is not None
    stack_id = str(nested.resolver.pseudo["AWS::StackId"])
    return Created(stack_id, {f"Outputs.{key}": value for key, value in nested.outputs.items()})


CREATORS: dict[str, Creator] = {
    "AWS::CloudFormation::Stack": _create_nested_stack,
    "AWS::DynamoDB::Table": _create_table,
    "AWS::SecretsManager::Secret": _create_secret,
    "AWS::Cognito::UserPool": _create_user_pool,
    "AWS::Cognito::UserPoolClient": _create_user_pool_client,
    "AWS::Cognito::UserPoolGroup": _create_user_pool_group,
    "AWS::SNS::Subscription": _create_subscription,
}
# moto's CloudFormation skips these with only a warning (and the tables belong in DynamoDB Local).
TWIN_TYPES = tuple(CREATORS)
# What a resource created before moto's stack may refer to, besides parameters and each other.
_KNOWN_BEFORE_STACK = {"AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::Partition", "AWS::URLSuffix"}


def _creation_order(resources: dict[str, Any], created: set[str]) -> list[str]:
    """The twin's own resources, each after those its properties refer to."""
    graph: dict[str, set[str]] = {}
    for logical_id in created:
        resource = resources[logical_id]
        depends = resource.get("DependsOn") or []
        depends = [depends] if isinstance(depends, str) else list(depends)
        graph[logical_id] = (referenced_names(resource.get("Properties", {})) | set(depends)) & created
    return list(graphlib.TopologicalSorter(graph).static_order())


def _values_the_twin_resolves(cfn: dict[str, Any], created: set[str]) -> Iterable[Any]:
    """Every value in the template that touches a resource the twin creates, and their properties."""
    for logical_id, resource in cfn["Resources"].items():
        if logical_id in created:
            yield resource.get("Properties", {})
        elif resource["Type"] == "AWS::Lambda::Function":
            variables = (resource.get("Properties", {}).get("Environment") or {}).get("Variables") or {}
            yield from (v for v in variables.values() if touches(v, created))
        elif resource["Type"] == "AWS::IAM::Role":
            # The twin checks functions' calls against their roles' policies: all must hold real ARNs.
            properties = resource.get("Properties", {})
            yield from properties.get("ManagedPolicyArns") or []
            yield from (p["PolicyDocument"] for p in properties.get("Policies") or [] if touches(p, created))
    for output in (cfn.get("Outputs") or {}).values():
        if touches(output.get("Value"), created):
            yield output.get("Value")


def _template_for_moto(
    cfn: dict[str, Any], created: set[str], wanted: Iterable[Any], known: Resolver, known_ids: set[str]
) -> dict[str, Any]:
    """moto's copy: none of the twin's resources, nothing that touches one still to be made (the
    parts the twin needs are outputs), and what refers to one made already written as its value."""
    body = copy.deepcopy(cfn)
    body.pop("Rules", None)  # the twin checked them (moto does not know the section)
    for logical_id in [*created, *known_ids]:
        body["Resources"].pop(logical_id, None)
    for resource in body["Resources"].values():
        depends = resource.get("DependsOn")
        if depends is not None:
            depends = [depends] if isinstance(depends, str) else list(depends)
            resource["DependsOn"] = [d for d in depends if d not in created and d not in known_ids]
        if "Properties" in resource:
            # Ref would give nothing, Fn::Sub keep its ${...} and Fn::GetAtt fail the create.
            resource["Properties"] = replace_touching(resource["Properties"], created, PENDING)
    outputs = body.setdefault("Outputs", {})
    for key in [k for k, v in outputs.items() if touches(v.get("Value"), created)]:
        del outputs[key]  # moto drops these anyway; the twin resolves them
    for value in wanted:
        for part in moto_parts(value, created):
            outputs[output_name(part)] = {"Value": part}
    return dict(substitute_known(body, known_ids, known.resolve))


def _made_before_stack(cfn: dict[str, Any], created: set[str]) -> set[str]:
    """The twin's resources that refer only to parameters and to each other: made before moto's
    stack, so that moto's copy holds their names and ARNs as values, outputs included."""
    parameters = set(cfn.get("Parameters") or {})
    early: set[str] = set()
    for logical_id in _creation_order(cfn["Resources"], created):
        resource = cfn["Resources"][logical_id]
        depends = resource.get("DependsOn") or []
        depends = [depends] if isinstance(depends, str) else depends
        needs = referenced_names(resource.get("Properties", {})) | set(depends)
        if needs <= early | parameters | _KNOWN_BEFORE_STACK and "Condition" not in resource:
            early.add(logical_id)
    return early


def _exists(declaration: dict[str, Any], resolver: Resolver) -> bool:
    """Whether a resource or output is made: it has no Condition, or its Condition holds."""
    return "Condition" not in declaration or resolver.condition(str(declaration["Condition"]))


class StackRuleFailed(ValueError):
    """A template Rule's assertion does not hold for these parameters: CloudFormation refuses them."""


def _check_rules(cfn: dict[str, Any], resolver: Resolver) -> None:
    for name, rule in (cfn.get("Rules") or {}).items():
        applies = rule.get("RuleCondition")
        if applies is not None and not resolver.holds(applies):
            continue
        for assertion in rule.get("Assertions") or []:
            if not resolver.holds(assertion["Assert"]):
                raise StackRuleFailed(f"rule {name}: {assertion.get('AssertDescription', 'an assertion fails')}")


def _parameter_values(cfn: dict[str, Any], parameters: dict[str, str]) -> dict[str, str]:
    declared = cfn.get("Parameters") or {}
    values = {k: str(v["Default"]) for k, v in declared.items() if "Default" in v}
    return {**values, **{k: str(v) for k, v in parameters.items()}}


def _create_own(
    session: Any, tt: TwinTemplate, logical_ids: set[str], resolver: Resolver, stack_name: str, arns: EngineArns
) -> dict[str, Created]:
    made: dict[str, Created] = {}
    cfn = tt.cfn
    for logical_id in _creation_order(cfn["Resources"], logical_ids):
        resource = cfn["Resources"][logical_id]
        context = CreationContext(stack_name, logical_id, arns, tt.root)
        properties = resolver.resolve(resource.get("Properties", {}))
        made[logical_id] = CREATORS[resource["Type"]](session, properties, context)
        resolver.created[logical_id] = made[logical_id]
    return made


def create_stack(
    session: Any,
    tt: TwinTemplate,
    name: str,
    parameters: dict[str, str],
    extra_values: Iterable[Any] = (),
    account: str = "123456789012",
) -> Stack:
    """Create the twin's own resources that need nothing of moto's, then the stack in moto, then
    the rest of the twin's own, and fix what moto resolved without them.

    ``extra_values`` are template values the caller will resolve later with ``Stack.resolve``
    (an HttpApi's authorizers, say): their parts that moto resolves are asked of moto now.
    ``account`` is the account moto's stack is made in (moto's default).
    """
    s3 = session.client("s3")
    s3.create_bucket(Bucket=CODE_BUCKET)
    placeholder = _placeholder_zip()
    for key in tt.code_keys:
        s3.put_object(Bucket=CODE_BUCKET, Key=key, Body=placeholder)

    region = s3.meta.region_name
    arns = EngineArns(region, account)
    early = Resolver(
        created={},
        moto_values={},
        parameters=_parameter_values(tt.cfn, parameters),
        pseudo={
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::StackName": name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        },
        physical_ids=lambda _logical_id: None,
        condition_definitions=tt.cfn.get("Conditions") or {},
    )
    _check_rules(tt.cfn, early)
    # The twin's types: made by the twin where their Condition holds, never by moto.
    twin_ids = {k for k, v in tt.cfn["Resources"].items() if v["Type"] in CREATORS}
    own_ids = {k for k in twin_ids if _exists(tt.cfn["Resources"][k], early)}
    early_ids = _made_before_stack(tt.cfn, own_ids)
    made_early = _create_own(session, tt, early_ids, early, name, arns)

    created_ids = twin_ids - early_ids
    wanted = [*_values_the_twin_resolves(tt.cfn, created_ids), *extra_values]
    body = _template_for_moto(tt.cfn, created_ids, wanted, early, early_ids)
    cloudformation = session.client("cloudformation")
    if body["Resources"]:
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=json.dumps(body),
            Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        description = _wait_for_stack(cloudformation, name)
    else:  # every resource is the twin's own (a nested stack of Cognito types, say): nothing for moto
        description = {
            "StackId": f"arn:aws:cloudformation:{region}:{account}:stack/{name}/{uuid.uuid4()}",
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in early.parameters.items()],
        }
    all_outputs = {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}
    outputs = {k: v for k, v in all_outputs.items() if k in (tt.cfn.get("Outputs") or {})}
    resources: dict[str, tuple[str, str]] = {
        logical_id: (tt.cfn["Resources"][logical_id]["Type"], made.physical_id)
        for logical_id, made in made_early.items()
    }
    if body["Resources"]:
        paginator = cloudformation.get_paginator("list_stack_resources")
        for page in paginator.paginate(StackName=name):
            for summary in page["StackResourceSummaries"]:
                resources[summary["LogicalResourceId"]] = (
                    summary["ResourceType"],
                    summary.get("PhysicalResourceId", ""),
                )

    resolver = Resolver(
        created=dict(made_early),
        moto_values=all_outputs,
        parameters={
            p["ParameterKey"]: p.get("ResolvedValue", p.get("ParameterValue", ""))
            for p in description.get("Parameters", [])
        },
        pseudo={**early.pseudo, "AWS::StackId": description["StackId"]},
        physical_ids=lambda logical_id: resources[logical_id][1] if logical_id in resources else None,
        condition_definitions=early.condition_definitions,
        conditions=early.conditions,
    )
    stack = Stack(name=name, resources=resources, outputs=outputs, resolver=resolver, engine_arns=arns)

    for logical_id, made in _create_own(session, tt, own_ids - early_ids, resolver, name, arns).items():
        resources[logical_id] = (tt.cfn["Resources"][logical_id]["Type"], made.physical_id)
    for key, output in (tt.cfn.get("Outputs") or {}).items():
        if touches(output.get("Value"), twin_ids) and _exists(output, resolver):
            outputs[key] = str(resolver.resolve(output["Value"]))

    lambda_client = session.client("lambda")
    iam = session.client("iam")
    _resolve_function_environments(lambda_client, tt.cfn, stack, created_ids)
    _resolve_role_policies(iam, tt.cfn, stack, created_ids)
    for logical_id in tt.functions:
        config = lambda_client.get_function_configuration(FunctionName=stack.physical_id(logical_id))
        stack.functions[logical_id] = FunctionRuntimeConfig(
            logical_id=logical_id,
            name=config["FunctionName"],
            arn=config["FunctionArn"],
            environment=dict(config.get("Environment", {}).get("Variables", {})),
            timeout=int(config.get("Timeout", 3)),
            memory=int(config.get("MemorySize", 128)),
            role_arn=config["Role"],
            policies=role_policies(iam, config["Role"], _template_managed_policies(tt.cfn, stack, config["Role"])),
        )
    return stack


def _resolve_role_policies(iam: Any, cfn: dict[str, Any], stack: Stack, created: set[str]) -> None:
    """Write the twin's values into each inline role policy that refers to a resource the twin created."""
    for logical_id, resource in cfn["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role" or logical_id not in stack.resources:
            continue
        for policy in resource.get("Properties", {}).get("Policies") or []:
            if touches(policy, created):
                # moto's IAM refuses a document without a Version, which IAM accepts (as 2008-10-17).
                document = {"Version": "2012-10-17", **stack.resolve(policy["PolicyDocument"])}
                iam.put_role_policy(
                    RoleName=stack.physical_id(logical_id),
                    PolicyName=str(stack.resolve(policy["PolicyName"])),
                    PolicyDocument=json.dumps(document),
                )


def _template_managed_policies(cfn: dict[str, Any], stack: Stack, role_arn: str) -> list[str]:
    """The role's ManagedPolicyArns, which moto's CloudFormation does not attach."""
    role_name = role_arn.rsplit("/", 1)[-1]
    for logical_id, (kind, physical_id) in stack.resources.items():
        if kind == "AWS::IAM::Role" and physical_id == role_name:
            arns = cfn["Resources"][logical_id].get("Properties", {}).get("ManagedPolicyArns") or []
            return [str(arn) for arn in stack.resolve(arns)]
    return []


def _policy_document(document: Any) -> dict[str, Any]:
    if isinstance(document, dict):
        return document
    try:
        return dict(json.loads(document))
    except ValueError:
        # moto's CloudFormation stores a role's inline policies as the Python text of the dict.
        return dict(ast.literal_eval(document))


def role_policies(iam: Any, role_arn: str, managed_arns: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Every identity-based policy document of a role, as moto's IAM holds it.

    Its inline policies and attached managed policies, plus ``managed_arns`` (the template's
    ManagedPolicyArns): AWS-managed ones that moto does not load come from the copy moto ships.
    """
    role_name = role_arn.rsplit("/", 1)[-1]
    documents = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
        for name in page["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
            documents.append(_policy_document(document))
    attached = [
        policy["PolicyArn"]
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name)
        for policy in page["AttachedPolicies"]
    ]
    for arn in dict.fromkeys([*attached, *managed_arns]):
        document = _managed_policy_document(iam, arn)
        if document is None:
            log.warning("role %s: managed policy %s unknown to the twin, left out of its checks", role_name, arn)
        else:
            documents.append(document)
    return documents


def _managed_policy_document(iam: Any, arn: str) -> dict[str, Any] | None:
    if ":iam::aws:policy/" in arn:
        known = _aws_managed_policies().get(arn.rsplit("/", 1)[-1])
        return dict(known["Document"]) if known else None
    try:
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        return _policy_document(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])
    except iam.exceptions.NoSuchEntityException:
        return None


@functools.cache
def _aws_managed_policies() -> dict[str, Any]:
    # moto's server loads AWS-managed policies only when asked to; the copy moto ships has them all.
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return dict(json.loads(aws_managed_policies_data))


def _resolve_function_environments(lambda_client: Any, cfn: dict[str, Any], stack: Stack, created: set[str]) -> None:
    """Write the twin's values into each function variable that refers to a resource the twin created."""
    for logical_id, resource in cfn["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function" or logical_id not in stack.resources:
            continue
        variables = (resource.get("Properties", {}).get("Environment") or {}).get("Variables") or {}
        fixed = {key: str(stack.resolve(value)) for key, value in variables.items() if touches(value, created)}
        if not fixed:
            continue
        function = stack.physical_id(logical_id)
        current = lambda_client.get_function_configuration(FunctionName=function)
        environment = {k: str(v) for k, v in current.get("Environment", {}).get("Variables", {}).items()}
        lambda_client.update_function_configuration(
            FunctionName=function, Environment={"Variables": {**environment, **fixed}}
        )


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
