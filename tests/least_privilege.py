"""Least privilege, read from the template and proven by use on the twin.

``function_statements`` lists, per function of the *transformed* template (SAM's policy templates
expanded, its event-source and tracing policies added, as on AWS), every statement of its role's
policies: inline ones, and managed ones, AWS's read from the copy moto ships and the template's
own from their resources. Values are written symbolically: ``Ref X`` as ``${X}``, ``GetAtt X.A``
as ``${X.A}``, ``Fn::Sub`` with its variables put in.

``recording_iam_usage`` points every twin a test session starts at one directory, where each
records what its functions' allowed calls did (localtwin.iam_usage); ``template_uses`` reads back
the uses of the template's own functions, and ``least_privilege_report`` sets them against what
each role grants.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from localtwin.iam_usage import ENVIRONMENT_VARIABLE, Use, read_uses
from localtwin.intrinsics import SUB_VARIABLE
from localtwin.permissions import matches
from localtwin.template import TwinTemplate

# Services that hold or guard the district's data: no wildcard actions or resources on these.
DATA_SERVICES = ("dynamodb", "sqs", "sns", "kms", "secretsmanager", "s3", "cognito-idp")


# -- what the template grants ----------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One statement of one policy of a function's role, its values written symbolically."""

    function: str
    policy: str  # the inline policy's name, or the managed policy's ARN or logical id
    effect: str
    actions: tuple[str, ...]  # NotAction's list when ``not_action``
    resources: tuple[str, ...]  # NotResource's list when ``not_resource``
    not_action: bool = False
    not_resource: bool = False

    def describe(self) -> str:
        resources = ", ".join(short_arn(r) for r in self.resources)
        return f"{self.policy} on {'everything but ' if self.not_resource else ''}{resources}"


def render(value: Any) -> Any:
    """A template value with its intrinsics written as text: ``${Logical}``, ``${Logical.Attribute}``."""
    if isinstance(value, list):
        return [render(item) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return "${" + str(value["Ref"]) + "}"
    if set(value) == {"Fn::GetAtt"}:
        target = value["Fn::GetAtt"]
        return "${" + (".".join(str(t) for t in target) if isinstance(target, list) else str(target)) + "}"
    if set(value) == {"Fn::Sub"}:
        argument = value["Fn::Sub"]
        text, variables = (argument[0], argument[1]) if isinstance(argument, list) else (argument, {})
        values = {name: str(render(item)) for name, item in variables.items()}
        written = SUB_VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), str(text))
        return written.replace("${!", "${")
    if set(value) == {"Fn::Join"}:
        separator, items = value["Fn::Join"]
        return str(separator).join(str(render(item)) for item in items)
    if len(value) == 1 and next(iter(value)).startswith("Fn::"):
        return json.dumps(value)  # an intrinsic the listing does not write out
    return {key: render(item) for key, item in value.items()}


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (str(value),) if not isinstance(value, list) else tuple(str(v) for v in value)


def _aws_managed_policy(arn: str) -> dict[str, Any] | None:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    known = json.loads(aws_managed_policies_data).get(arn.rsplit("/", 1)[-1])
    return dict(known["Document"]) if known else None


def _role_of(resources: dict[str, Any], function: str) -> str:
    role = resources[function]["Properties"].get("Role")
    if isinstance(role, dict) and "Fn::GetAtt" in role:
        target = role["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else target.split(".")[0])
    raise ValueError(f"{function}: its role is not a role of this template ({role!r}): its policies cannot be read")


def _refers_to(value: Any, logical_id: str) -> bool:
    return value == {"Ref": logical_id} or render(value) == "${" + logical_id + "}"


def _documents(resources: dict[str, Any], role_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(policy label, document) for each identity-based policy of the role ``role_id``."""
    properties = resources[role_id].get("Properties", {})
    for policy in properties.get("Policies") or []:
        yield str(policy["PolicyName"]), policy["PolicyDocument"]
    attached: list[str] = []  # the template's own policies attached to the role
    for arn in properties.get("ManagedPolicyArns") or []:
        managed = next((k for k in resources if _refers_to(arn, k)), None)
        if managed is not None:
            attached.append(managed)
            continue
        text = str(render(arn)).replace("${AWS::Partition}", "aws")
        document = _aws_managed_policy(text) if ":iam::aws:policy/" in text else None
        if document is None:
            raise ValueError(f"role {role_id}: managed policy {text} is unknown here")
        yield text.rsplit("/", 1)[-1] + " (AWS managed)", document
    for logical_id, resource in resources.items():
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            if any(_refers_to(role, role_id) for role in props.get("Roles") or []):
                attached.append(logical_id)
        elif kind == "AWS::IAM::RolePolicy" and _refers_to(props.get("RoleName"), role_id):
            attached.append(logical_id)
    for logical_id in dict.fromkeys(attached):
        yield logical_id, resources[logical_id]["Properties"]["PolicyDocument"]


def function_statements(tt: TwinTemplate) -> dict[str, list[Statement]]:
    """Every statement of each function's role, by the function's logical id."""
    resources = tt.cfn["Resources"]
    found: dict[str, list[Statement]] = {}
    for function in tt.functions:
        statements = found.setdefault(function, [])
        for label, document in _documents(resources, _role_of(resources, function)):
            listed = document.get("Statement", [])
            for statement in [listed] if isinstance(listed, dict) else listed:
                written = render(statement)
                statements.append(
                    Statement(
                        function=function,
                        policy=label,
                        effect=str(written.get("Effect")),
                        actions=_as_tuple(written.get("Action", written.get("NotAction"))),
                        resources=_as_tuple(written.get("Resource", written.get("NotResource"))),
                        not_action="NotAction" in written,
                        not_resource="NotResource" in written,
                    )
                )
    return found


def granted_actions(tt: TwinTemplate) -> dict[str, set[str]]:
    """The action patterns each function's role allows (NotAction statements left out)."""
    return {
        function: {
            action
            for statement in statements
            if statement.effect == "Allow" and not statement.not_action
            for action in statement.actions
        }
        for function, statements in function_statements(tt).items()
    }


_PSEUDO = {"${AWS::Partition}": "aws", "${AWS::Region}": "\0region", "${AWS::AccountId}": "\0account"}


def _arn_parts(resource: str) -> list[str]:
    """arn, partition, service, region, account, resource: pseudo parameters kept whole."""
    for pseudo, token in _PSEUDO.items():
        resource = resource.replace(pseudo, token)
    parts = resource.split(":", 5)
    for pseudo, token in _PSEUDO.items():
        parts = [part.replace(token, pseudo) for part in parts]
    return parts if len(parts) == 6 and parts[0] == "arn" else []


def short_arn(resource: str) -> str:
    """An ARN of the stack's own region and account without its prefix: ``table/${RatingsTable}``."""
    parts = _arn_parts(resource)
    if parts and parts[3:5] == ["${AWS::Region}", "${AWS::AccountId}"]:
        return parts[5]
    return resource


def _service_patterns(action: str) -> str:
    return action.split(":", 1)[0] if ":" in action else action


def _on_data_service(action: str) -> list[str]:
    service = _service_patterns(action)
    return [s for s in DATA_SERVICES if matches(service, s, case_sensitive=False)]


def _every_resource(resource: str) -> bool:
    if resource == "*":
        return True
    parts = _arn_parts(resource)
    # arn:aws:sqs:*:*:* and the like name every resource of the service too.
    return bool(parts) and all(set(part) <= {"*"} for part in parts[3:]) and "*" in parts[5]


def broad_grants(statement: Statement) -> list[str]:
    """What an Allow statement grants on a data service by wildcard: ``*`` or ``service:*`` as an
    action, ``*`` (or every resource) as a resource, NotAction or NotResource."""
    if statement.effect != "Allow":
        return []
    where = statement.describe()
    if statement.not_action:
        return [f"NotAction: every action but {', '.join(statement.actions)} ({where})"]
    data_actions = [a for a in statement.actions if _on_data_service(a)]
    problems = [
        f"{action}: every action of {', '.join(_on_data_service(action))} ({where})"
        for action in data_actions
        if action == "*" or action.split(":", 1)[1] == "*"
    ]
    if data_actions and statement.not_resource:
        problems.append(f"{', '.join(data_actions)} on every resource but {', '.join(statement.resources)}")
    elif data_actions and any(_every_resource(r) for r in statement.resources):
        problems.append(f"{', '.join(data_actions)} on every resource ({where})")
    return problems


# -- what the functions used on the twin ---------------------------------------------------------


@contextmanager
def recording_iam_usage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every twin started meanwhile records its functions' IAM usage in the session's one directory."""
    directory = tmp_path_factory.getbasetemp() / "iam-usage"
    directory.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENVIRONMENT_VARIABLE, str(directory))
        yield directory


def template_uses(directory: Path, tt: TwinTemplate) -> dict[str, list[Use]]:
    """The uses recorded by the template's functions, on any twin that ran their code (a copy of the
    template included; another template's function of the same name is not counted)."""
    uses: dict[str, list[Use]] = {function: [] for function in tt.functions}
    for use in read_uses(directory):
        spec = tt.functions.get(use.function)
        if spec is not None and Path(use.code_dir) == spec.code_dir:
            uses[use.function].append(use)
    return uses


@dataclass
class FunctionFindings:
    function: str
    used: dict[str, set[str]] = field(default_factory=dict)  # action → resources, as the template names them
    unchecked: dict[str, set[str]] = field(default_factory=dict)  # service:Operation the twin does not check
    unused: dict[str, list[Statement]] = field(default_factory=dict)  # granted action → its statements
    excepted: dict[str, str] = field(default_factory=dict)  # granted, unused, with its reason
    stale_exceptions: dict[str, str] = field(default_factory=dict)  # exception → why it is not needed
    unprovable: list[Statement] = field(default_factory=list)  # NotAction statements

    @property
    def ok(self) -> bool:
        return not (self.unused or self.stale_exceptions or self.unprovable)

    def text(self) -> str:
        lines = [f"{self.function}:"]
        if self.used:
            lines.append("  used by its calls on the twin:")
            lines += [f"    {action} on {', '.join(sorted(self.used[action]))}" for action in sorted(self.used)]
        else:
            lines.append("  used by its calls on the twin: nothing")
        if self.unchecked:
            lines.append("  calls to services the twin does not check:")
            lines += [f"    {call} on {', '.join(sorted(self.unchecked[call]))}" for call in sorted(self.unchecked)]
        if self.unused:
            lines.append("  granted but never used:")
            by_statement: dict[str, list[str]] = {}
            for action in sorted(self.unused):
                for statement in self.unused[action]:
                    by_statement.setdefault(statement.describe(), []).append(action)
            lines += [f"    {', '.join(actions)}  ({where})" for where, actions in by_statement.items()]
        if self.unprovable:
            lines.append("  granted by NotAction, which no use can prove:")
            lines += [f"    {s.describe()}: every action but {', '.join(s.actions)}" for s in self.unprovable]
        if self.excepted:
            lines.append(f"  granted, unused, excepted: {', '.join(sorted(self.excepted))}")
        if self.stale_exceptions:
            lines.append("  exceptions to remove:")
            lines += [f"    {action}: {why}" for action, why in sorted(self.stale_exceptions.items())]
        return "\n".join(lines)


def least_privilege_findings(
    statements: dict[str, list[Statement]],
    uses: dict[str, list[Use]],
    exceptions: dict[str, dict[str, str]],
) -> list[FunctionFindings]:
    """Per function (``statements`` as ``function_statements`` gives them): what it used, what its
    role grants that no use proved, and which exceptions are stale (naming an action the role does
    not grant, or one a call did use)."""
    found = []
    for function in sorted(statements):
        findings = FunctionFindings(function)
        for use in uses.get(function, []):
            into = findings.used if use.checked else findings.unchecked
            into.setdefault(use.action, set()).add(use.named)
        used_actions = [*findings.used, *findings.unchecked]
        granted: dict[str, list[Statement]] = {}
        for statement in statements[function]:
            if statement.effect == "Allow" and statement.not_action:
                findings.unprovable.append(statement)
            elif statement.effect == "Allow":
                for action in statement.actions:
                    granted.setdefault(action, []).append(statement)
        excepted = exceptions.get(function, {})
        for action, granting in granted.items():
            if any(matches(action, used, case_sensitive=False) for used in used_actions):
                continue
            reason = next((r for e, r in excepted.items() if matches(e, action, case_sensitive=False)), None)
            if reason is not None:
                findings.excepted[action] = reason
            else:
                findings.unused[action] = granting
        for action in excepted:
            if not any(matches(action, g, case_sensitive=False) for g in granted):
                findings.stale_exceptions[action] = "the role does not grant it"
            elif any(matches(action, used, case_sensitive=False) for used in used_actions):
                findings.stale_exceptions[action] = "a call used it: proven by use, no exception needed"
        found.append(findings)
    for function in sorted(set(exceptions) - set(statements)):
        stale = FunctionFindings(function)
        stale.stale_exceptions = dict.fromkeys(exceptions[function], "no such function in the template")
        found.append(stale)
    return found
