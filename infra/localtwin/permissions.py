"""IAM on the twin: a function's AWS calls are checked against its own role's policies.

On AWS a call the role does not allow fails with AccessDenied; moto allows everything, so a
missing ``Policies:`` entry in the template would show only after deployment. The twin's
worker therefore wraps botocore's ``BaseClient._make_api_call`` (boto3 and PynamoDB both go
through it) with a ``Guard``: before each call, the actions and resource ARNs it touches are
worked out from the parameters (``requests_of``) and judged against the role's identity-based
policies (``evaluate``), as IAM does: a request is allowed when some Allow statement matches
its action and resource and no Deny statement does. A denied call raises botocore's
ClientError with the service's AccessDenied code and AWS's message, before anything is sent.

Known limits, on purpose:

- ``Condition`` blocks are not evaluated: a statement with conditions counts as matching.
  Policy variables (``${aws:username}``) are taken literally.
- Only identity-based policies are read: resource policies (key policies, queue and topic
  policies), permission boundaries and SCPs are not.
- Only the services mapped below are checked (DynamoDB, SQS, SNS, KMS, Secrets Manager, Cognito):
  elsewhere an API operation's name is often not its IAM action (S3's ListObjectsV2 needs
  s3:ListBucket, CloudWatch signs as "monitoring"), so a guess could deny what AWS allows. The
  guard lets such calls through and logs each service once.
- A call of a mapped service whose resource the twin cannot work out is judged on its action
  alone: allowed when some Allow statement grants the action on any resource, denied by a Deny
  statement only when it covers every resource (``"*"``). The guard logs each such action once.
- Operations that AWS does not sign (Cognito's InitiateAuth, say) need no permission and are
  not checked.

With a ``UsageRecorder`` (localtwin.iam_usage), the guard also records each action and resource
an allowed call touched, so that a test can show which granted actions no call ever used.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from localtwin.iam_usage import UsageRecorder

Policy = dict[str, Any]


# -- policy evaluation ------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _wildcard(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    # IAM's wildcards: * is any run of characters (":" and "/" included), ? is one character.
    text = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(text, 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def matches(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    """Whether ``value`` matches an IAM ``pattern`` (actions compare case-insensitively, ARNs not)."""
    return _wildcard(pattern, case_sensitive).fullmatch(value) is not None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def statements(policies: Iterable[Policy]) -> Iterator[dict[str, Any]]:
    for policy in policies:
        found = policy.get("Statement", [])
        yield from [found] if isinstance(found, dict) else found


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    if "Action" in statement:
        return any(matches(p, action, case_sensitive=False) for p in _as_list(statement["Action"]))
    if "NotAction" in statement:
        return not any(matches(p, action, case_sensitive=False) for p in _as_list(statement["NotAction"]))
    return False


def _resource_matches(statement: dict[str, Any], resource: str | None) -> bool:
    if resource is None:
        # Judged on the action alone: an Allow counts whatever it names; a Deny only when it
        # names every resource, so a call the twin cannot judge is never blocked by a guess.
        if statement.get("Effect") == "Allow":
            return True
        return "*" in _as_list(statement.get("Resource"))
    if "Resource" in statement:
        return any(matches(p, resource) for p in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(matches(p, resource) for p in _as_list(statement["NotResource"]))
    return False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    explicit_deny: bool = False


def evaluate(policies: Iterable[Policy], action: str, resource: str | None) -> Decision:
    """IAM's answer for one action on one resource (``None``: the action alone).

    Conditions are not evaluated: a statement with a ``Condition`` counts as matching.
    """
    allowed = False
    for statement in statements(policies):
        if not (_action_matches(statement, action) and _resource_matches(statement, resource)):
            continue
        if statement.get("Effect") == "Deny":
            return Decision(allowed=False, explicit_deny=True)
        if statement.get("Effect") == "Allow":
            allowed = True
    return Decision(allowed=allowed)


def is_allowed(policies: list[Policy], action: str, resources: list[str]) -> bool:
    """Whether the action is allowed on every one of ``resources`` (none: on the action alone)."""
    targets: list[str | None] = [*resources] or [None]
    return all(evaluate(policies, action, resource).allowed for resource in targets)


# -- which actions and resources a call touches -----------------------------------------------


@dataclass(frozen=True)
class Request:
    """One action on one resource that IAM authorises; ``resource`` None: the twin could not tell."""

    action: str
    resource: str | None


@dataclass
class Lookups:
    """Answers only the service knows, asked of moto without any check (the guard sets them).

    ``secret_arn``: a secret's full ARN (with AWS's 6-character suffix) from its name;
    ``key_arn``: a KMS key's ARN from an alias; ``decrypting_key``: the key ARN that a
    ciphertext in Decrypt's parameters was made with. Each returns None when it cannot tell.
    """

    secret_arn: Callable[[str], str | None] = lambda _name: None
    key_arn: Callable[[str], str | None] = lambda _alias: None
    decrypting_key: Callable[[dict[str, Any]], str | None] = lambda _params: None


# DynamoDB transactions are authorised item by item, as the single-item actions.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
# Batch operations of SQS and SNS need the single message's permission: there is no IAM action
# named after the batch.
_ACTION_NAMES = {
    "sqs": {
        "SendMessageBatch": "SendMessage",
        "DeleteMessageBatch": "DeleteMessage",
        "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    },
    "sns": {"PublishBatch": "Publish"},
}


def requests_of(
    service: str,
    operation: str,
    params: dict[str, Any],
    region: str,
    account: str,
    lookups: Lookups | None = None,
) -> list[Request] | None:
    """What IAM authorises for one call, or None for a service the twin does not check;
    ``service`` is the signing name (``dynamodb``, ``sqs``...)."""
    lookups = lookups or Lookups()
    mapper = _MAPPERS.get(service)
    if mapper is None:
        return None
    action = f"{service}:{_ACTION_NAMES.get(service, {}).get(operation, operation)}"
    found = mapper(operation, params, _Arns(region, account), lookups)
    if found is None:
        return [Request(action, None)]
    return [Request(a or action, r) for a, r in found]


@dataclass(frozen=True)
class _Arns:
    region: str
    account: str

    def of(self, service: str, resource: str, region: str | None = None, account: str | None = None) -> str:
        return f"arn:aws:{service}:{self.region if region is None else region}:{account or self.account}:{resource}"


# Each mapper gives (action or None for the call's own, resource ARN) pairs, or None: not mapped.
_Found = list[tuple[str | None, str | None]] | None


def _dynamodb(operation: str, params: dict[str, Any], arns: _Arns, _lookups: Lookups) -> _Found:
    def table(name: str) -> str:
        return name if name.startswith("arn:") else arns.of("dynamodb", f"table/{name}")

    if operation == "TransactWriteItems":
        return [
            (f"dynamodb:{_TRANSACT_ACTIONS[kind]}", table(item[kind]["TableName"]))
            for item in params.get("TransactItems", [])
            for kind in item
            if kind in _TRANSACT_ACTIONS
        ]
    if operation == "TransactGetItems":
        return [("dynamodb:GetItem", table(item["Get"]["TableName"])) for item in params.get("TransactItems", [])]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(None, table(name)) for name in params.get("RequestItems", {})]
    if "TableName" in params:
        resource = table(params["TableName"])
        if params.get("IndexName"):
            resource += f"/index/{params['IndexName']}"
        return [(None, resource)]
    if "StreamArn" in params:
        return [(None, params["StreamArn"])]
    return None


def _sqs(operation: str, params: dict[str, Any], arns: _Arns, _lookups: Lookups) -> _Found:
    if "QueueUrl" in params:
        # https://sqs.<region>.amazonaws.com/<account>/<name>, or moto's http://host:port/<account>/<name>
        account, name = urlparse(params["QueueUrl"]).path.strip("/").split("/")[-2:]
        return [(None, arns.of("sqs", name, account=account))]
    if "QueueName" in params:
        return [(None, arns.of("sqs", params["QueueName"], account=params.get("QueueOwnerAWSAccountId")))]
    return None


def _sns(operation: str, params: dict[str, Any], arns: _Arns, _lookups: Lookups) -> _Found:
    arn = params.get("TopicArn") or params.get("TargetArn")
    return [(None, arn)] if arn else None


def _kms(operation: str, params: dict[str, Any], arns: _Arns, lookups: Lookups) -> _Found:
    key_id = params.get("KeyId")
    if key_id is None:
        if operation != "Decrypt":
            return None
        # A symmetric ciphertext names its key; KMS authorises Decrypt on that key.
        key = lookups.decrypting_key(params)
        return [(None, key)] if key else None
    if key_id.startswith("arn:") and ":key/" in key_id:
        return [(None, key_id)]
    if key_id.startswith("alias/") or ":alias/" in key_id:
        # KMS authorises a cryptographic call made through an alias on the key behind it.
        key = lookups.key_arn(key_id)
        return [(None, key)] if key else None
    return [(None, arns.of("kms", f"key/{key_id}"))]


def _secretsmanager(operation: str, params: dict[str, Any], arns: _Arns, lookups: Lookups) -> _Found:
    secret_id = params.get("SecretId")
    if secret_id is None:
        return None
    if re.fullmatch(r"arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:.+-[A-Za-z0-9]{6}", secret_id):
        return [(None, secret_id)]
    # A name or a partial ARN: policies are written for the full ARN, whose 6-character suffix
    # only the service knows.
    arn = lookups.secret_arn(secret_id)
    return [(None, arn)] if arn else None


def _cognito_idp(operation: str, params: dict[str, Any], arns: _Arns, _lookups: Lookups) -> _Found:
    pool = params.get("UserPoolId")
    return [(None, arns.of("cognito-idp", f"userpool/{pool}"))] if pool else None


_MAPPERS: dict[str, Callable[[str, dict[str, Any], _Arns, Lookups], _Found]] = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "sns": _sns,
    "kms": _kms,
    "secretsmanager": _secretsmanager,
    "cognito-idp": _cognito_idp,
}


# -- the guard in a function's worker ---------------------------------------------------------

# The error code each service answers a denied call with (most say AccessDeniedException).
_DENIED_CODES = {"sqs": ("AccessDenied", 403), "sns": ("AuthorizationError", 403), "s3": ("AccessDenied", 403)}


def denial_message(principal: str, action: str, resource: str | None, explicit: bool) -> str:
    """AWS's wording for an identity-based denial."""
    denied = f"User: {principal} is not authorized to perform: {action}"
    if resource:
        denied += f" on resource: {resource}"
    if explicit:
        return f"{denied} with an explicit deny in an identity-based policy"
    return f"{denied} because no identity-based policy allows the {action} action"


@dataclass
class Guard:
    """One function's role and policies, as the twin read them from its stack in moto."""

    function: str  # the template's logical id, for the log line
    function_name: str
    role_arn: str
    account: str
    policies: list[Policy]
    unjudged: set[str] = field(default_factory=set)
    unchecked_services: set[str] = field(default_factory=set)
    usage: UsageRecorder | None = None  # records what each allowed call did (localtwin.iam_usage)
    _secrets: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: str | Path, usage: str | Path | None = None) -> Guard:
        """The guard for the role in ``path``; with ``usage``, each allowed call is recorded in that file."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        guard = cls(data["function"], data["function_name"], data["role_arn"], data["account"], data["policies"])
        if usage is not None:
            guard.usage = UsageRecorder(Path(usage))
        return guard

    @property
    def principal(self) -> str:
        # Lambda runs the function as its role's session named after the function.
        role_name = self.role_arn.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{self.account}:assumed-role/{role_name}/{self.function_name}"

    def check(self, client: Any, operation: str, params: dict[str, Any], unchecked: Callable[..., Any]) -> None:
        """Raise the service's AccessDenied ClientError when the role does not allow the call."""
        model = client.meta.service_model
        if model.operation_model(operation).auth == ["smithy.api#noAuth"]:
            return  # AWS takes the call unsigned: no identity, no policy
        service = model.signing_name
        lookups = self._lookups(client, unchecked)
        requests = requests_of(service, operation, params, client.meta.region_name, self.account, lookups)
        if requests is None:
            if service not in self.unchecked_services:
                self.unchecked_services.add(service)
                self._log(f"calls to {service} are not checked by the twin")
            if self.usage is not None:
                self.usage.record(f"{service}:{operation}", None, checked=False)
            return
        for request in requests:
            if request.resource is None and request.action not in self.unjudged:
                self.unjudged.add(request.action)
                self._log(f"{request.action}: no resource known to the twin, judged on the action alone")
            decision = evaluate(self.policies, request.action, request.resource)
            if decision.allowed:
                continue
            self._log(f"AccessDenied: {request.action} on {request.resource or '*'}")
            code, status = _DENIED_CODES.get(service, ("AccessDeniedException", 400))
            message = denial_message(self.principal, request.action, request.resource, decision.explicit_deny)
            error = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
            raise client.exceptions.from_code(code)(error, operation)
        if self.usage is not None:  # the whole call is allowed: it is sent
            for request in requests:
                self.usage.record(request.action, request.resource)

    def _log(self, text: str) -> None:
        print(f"[localtwin IAM] {self.function}: {text}", file=sys.stderr, flush=True)

    def _lookups(self, client: Any, unchecked: Callable[..., Any]) -> Lookups:
        def ask(operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
            try:
                return dict(unchecked(client, operation, params))
            except Exception:  # the call itself will fail the same way, unchecked by a guess
                return None

        def secret_arn(name: str) -> str | None:
            if name not in self._secrets:
                answer = ask("DescribeSecret", {"SecretId": name})
                self._secrets[name] = answer["ARN"] if answer else None
            return self._secrets[name]

        def key_arn(alias: str) -> str | None:
            answer = ask("DescribeKey", {"KeyId": alias})
            return answer["KeyMetadata"]["Arn"] if answer else None

        def decrypting_key(params: dict[str, Any]) -> str | None:
            answer = ask("Decrypt", params)  # reads nothing the caller is not about to read
            return answer.get("KeyId") if answer else None

        return Lookups(secret_arn, key_arn, decrypting_key)


def install(guard: Guard) -> Callable[[], None]:
    """Check every botocore call in this process with ``guard``; returns what undoes it."""
    from botocore.client import BaseClient

    original = getattr(BaseClient, "_make_api_call")  # noqa: B009 - private, so not in botocore's stubs

    def checked(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        guard.check(self, operation_name, api_params, original)
        return original(self, operation_name, api_params)

    setattr(BaseClient, "_make_api_call", checked)  # noqa: B010

    def uninstall() -> None:
        setattr(BaseClient, "_make_api_call", original)  # noqa: B010

    return uninstall
