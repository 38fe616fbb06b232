"""The twin's IAM check: policy evaluation, the resources a call touches, the error a denial gives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from localtwin.permissions import Guard, Lookups, Request, evaluate, install, is_allowed, matches, requests_of

pytestmark = pytest.mark.unit

REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Ratings"
REGISTRY = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Registry"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:haochaping/640104/signing-Ab12Cd"


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}],
    }


def deny(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": action, "Resource": resource}}


def requests(
    service: str, operation: str, params: dict[str, Any], lookups: Lookups | None = None
) -> list[Request] | None:
    return requests_of(service, operation, params, REGION, ACCOUNT, lookups)


# -- matching and evaluation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "case_sensitive", "expected"),
    [
        ("dynamodb:Get*", "dynamodb:GetItem", False, True),
        ("dynamodb:Get*", "dynamodb:PutItem", False, False),
        ("dynamodb:getitem", "dynamodb:GetItem", False, True),  # actions ignore case
        ("sqs:SendMessage?", "sqs:SendMessage", False, False),  # ? is exactly one character
        ("sqs:SendMessage?", "sqs:SendMessageX", False, True),
        ("*", "kms:Decrypt", False, True),
        (f"{TABLE}/index/*", f"{TABLE}/index/TasksByHall", True, True),  # * crosses "/"
        (TABLE, f"{TABLE}/index/TasksByHall", True, False),  # the table is not its indexes
        (TABLE.lower(), TABLE, True, False),  # resources keep their case
        ("arn:aws:sqs:*:*:queue.name", "arn:aws:sqs:us-east-1:1:queueXname", True, False),  # "." is literal
    ],
)
def test_iam_wildcards(pattern, value, case_sensitive, expected):
    assert matches(pattern, value, case_sensitive) is expected


def test_a_missing_permission_is_denied():
    # Given a role that may read the registry only
    policies = [allow(["dynamodb:GetItem", "dynamodb:Query"], [REGISTRY, f"{REGISTRY}/index/*"])]

    # Then it may query the registry, but not the ratings table, nor write the registry
    assert evaluate(policies, "dynamodb:Query", REGISTRY).allowed
    decision = evaluate(policies, "dynamodb:Query", TABLE)
    assert not decision.allowed and not decision.explicit_deny
    assert not evaluate(policies, "dynamodb:PutItem", REGISTRY).allowed
    assert not evaluate([], "dynamodb:GetItem", REGISTRY).allowed


def test_deny_wins_over_any_allow():
    policies = [allow("dynamodb:*"), deny("dynamodb:DeleteItem", TABLE)]

    assert evaluate(policies, "dynamodb:PutItem", TABLE).allowed
    decision = evaluate(policies, "dynamodb:DeleteItem", TABLE)
    assert not decision.allowed and decision.explicit_deny
    assert evaluate(policies, "dynamodb:DeleteItem", REGISTRY).allowed


def test_not_action_and_not_resource():
    # Given everything but IAM, on every table but the registry
    policies = [{"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "NotResource": REGISTRY}]}]

    assert evaluate(policies, "dynamodb:PutItem", TABLE).allowed
    assert not evaluate(policies, "iam:CreateRole", TABLE).allowed
    assert not evaluate(policies, "dynamodb:PutItem", REGISTRY).allowed


def test_conditions_are_not_evaluated():
    # A known limit: a statement's Condition counts as met.
    policies = [allow("kms:Decrypt", KEY, Condition={"StringEquals": {"kms:ViaService": "nowhere"}})]

    assert evaluate(policies, "kms:Decrypt", KEY).allowed


def test_every_resource_must_be_allowed():
    policies = [allow("dynamodb:BatchGetItem", TABLE)]

    assert is_allowed(policies, "dynamodb:BatchGetItem", [TABLE])
    assert not is_allowed(policies, "dynamodb:BatchGetItem", [TABLE, REGISTRY])


def test_a_call_judged_on_its_action_alone():
    # Given grants on named resources only
    policies = [allow("s3:GetObject", "arn:aws:s3:::bucket/*"), deny("s3:GetObject", "arn:aws:s3:::bucket/private/*")]

    # Then, with no resource known, the action decides; a Deny on some resources does not block it
    assert evaluate(policies, "s3:GetObject", None).allowed
    assert not evaluate(policies, "s3:PutObject", None).allowed
    assert is_allowed(policies, "s3:GetObject", [])
    # but a Deny on every resource does
    assert not evaluate([*policies, deny("s3:*")], "s3:GetObject", None).allowed


# -- the resources a call touches -------------------------------------------------------------


def test_dynamodb_items_and_indexes():
    assert requests("dynamodb", "GetItem", {"TableName": "Ratings", "Key": {}}) == [Request("dynamodb:GetItem", TABLE)]
    assert requests("dynamodb", "Query", {"TableName": "Ratings", "IndexName": "EscalationDue"}) == [
        Request("dynamodb:Query", f"{TABLE}/index/EscalationDue")
    ]
    assert requests("dynamodb", "Scan", {"TableName": TABLE}) == [Request("dynamodb:Scan", TABLE)]


def test_dynamodb_transactions_need_each_item_action_on_its_table():
    params = {
        "TransactItems": [
            {"Put": {"TableName": "Ratings", "Item": {}}},
            {"ConditionCheck": {"TableName": "Registry", "Key": {}, "ConditionExpression": "x"}},
            {"Update": {"TableName": "Ratings", "Key": {}, "UpdateExpression": "y"}},
            {"Delete": {"TableName": "Ratings", "Key": {}}},
        ]
    }
    assert requests("dynamodb", "TransactWriteItems", params) == [
        Request("dynamodb:PutItem", TABLE),
        Request("dynamodb:ConditionCheckItem", REGISTRY),
        Request("dynamodb:UpdateItem", TABLE),
        Request("dynamodb:DeleteItem", TABLE),
    ]
    gets = {"TransactItems": [{"Get": {"TableName": "Registry", "Key": {}}}]}
    assert requests("dynamodb", "TransactGetItems", gets) == [Request("dynamodb:GetItem", REGISTRY)]


def test_dynamodb_batches_touch_every_table_named():
    params = {"RequestItems": {"Ratings": {"Keys": []}, "Registry": {"Keys": []}}}
    assert requests("dynamodb", "BatchGetItem", params) == [
        Request("dynamodb:BatchGetItem", TABLE),
        Request("dynamodb:BatchGetItem", REGISTRY),
    ]
    writes = {"RequestItems": {"Ratings": []}}
    assert requests("dynamodb", "BatchWriteItem", writes) == [Request("dynamodb:BatchWriteItem", TABLE)]


@pytest.mark.parametrize(
    "url", ["https://sqs.us-east-1.amazonaws.com/123456789012/FollowUp", "http://127.0.0.1:5000/123456789012/FollowUp"]
)
def test_sqs_queue_urls_become_queue_arns(url):
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:FollowUp"
    assert requests("sqs", "SendMessage", {"QueueUrl": url}) == [Request("sqs:SendMessage", queue)]
    # a batch needs the single message's permission
    assert requests("sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": []}) == [Request("sqs:SendMessage", queue)]


def test_sns_topics():
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:officers"
    assert requests("sns", "Publish", {"TopicArn": topic}) == [Request("sns:Publish", topic)]
    assert requests("sns", "PublishBatch", {"TopicArn": topic}) == [Request("sns:Publish", topic)]


def test_kms_keys_by_arn_id_alias_and_ciphertext():
    lookups = Lookups(
        key_arn=lambda alias: KEY if alias == "alias/personal-data" else None, decrypting_key=lambda _: KEY
    )

    assert requests("kms", "Encrypt", {"KeyId": KEY}) == [Request("kms:Encrypt", KEY)]
    assert requests("kms", "Encrypt", {"KeyId": KEY.rsplit("/", 1)[1]}) == [Request("kms:Encrypt", KEY)]
    # KMS authorises a call through an alias on the key behind it
    assert requests("kms", "Encrypt", {"KeyId": "alias/personal-data"}, lookups) == [Request("kms:Encrypt", KEY)]
    assert requests("kms", "Decrypt", {"CiphertextBlob": b"..."}, lookups) == [Request("kms:Decrypt", KEY)]
    # an alias nobody knows: judged on the action alone
    assert requests("kms", "Encrypt", {"KeyId": "alias/unknown"}, lookups) == [Request("kms:Encrypt", None)]


def test_secrets_by_name_take_the_real_arn_with_its_suffix():
    lookups = Lookups(secret_arn=lambda name: SECRET if name == "haochaping/640104/signing" else None)

    found = requests("secretsmanager", "GetSecretValue", {"SecretId": "haochaping/640104/signing"}, lookups)
    assert found == [Request("secretsmanager:GetSecretValue", SECRET)]
    assert requests("secretsmanager", "GetSecretValue", {"SecretId": SECRET}) == [
        Request("secretsmanager:GetSecretValue", SECRET)
    ]
    # which SAM's policy, written by name, allows
    policy = allow(
        "secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:haochaping/640104/signing-*"
    )
    assert evaluate([policy], "secretsmanager:GetSecretValue", SECRET).allowed


def test_cognito_user_pools_and_unmapped_calls():
    pool = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/us-east-1_Abc"
    assert requests("cognito-idp", "AdminGetUser", {"UserPoolId": "us-east-1_Abc"}) == [
        Request("cognito-idp:AdminGetUser", pool)
    ]
    assert requests("s3", "ListObjectsV2", {"Bucket": "b"}) is None  # needs s3:ListBucket: not guessed
    assert requests("dynamodb", "ListTables", {}) == [Request("dynamodb:ListTables", None)]


# -- the guard in a worker --------------------------------------------------------------------


ROLE = f"arn:aws:iam::{ACCOUNT}:role/stack-SubmitRatingFunctionRole-ABC"


@pytest.fixture
def guarded() -> Iterator[Guard]:
    guard = Guard(
        "SubmitRatingFunction", "stack-SubmitRatingFunction-XYZ", ROLE, ACCOUNT, [allow("dynamodb:GetItem", TABLE)]
    )
    uninstall = install(guard)
    yield guard
    uninstall()


def test_a_denied_call_raises_access_denied_before_anything_is_sent(guarded, capsys):
    # Given a client whose every sent request would be answered by the stub
    client = boto3.client("dynamodb", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_response("get_item", {})

        # When the function reads, then writes
        client.get_item(TableName="Ratings", Key={"pk": {"S": "a"}})
        with pytest.raises(ClientError) as raised:
            client.put_item(TableName="Ratings", Item={"pk": {"S": "a"}})

        # Then the read went out, the write did not
        stub.assert_no_pending_responses()
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/stack-SubmitRatingFunctionRole-ABC/stack-SubmitRatingFunction-XYZ"
        f" is not authorized to perform: dynamodb:PutItem on resource: {TABLE}"
        " because no identity-based policy allows the dynamodb:PutItem action"
    )
    assert f"[localtwin IAM] SubmitRatingFunction: AccessDenied: dynamodb:PutItem on {TABLE}" in capsys.readouterr().err


def test_each_service_answers_with_its_own_code(guarded):
    client = boto3.client("sns", region_name=REGION)

    with pytest.raises(client.exceptions.AuthorizationErrorException):
        client.publish(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:officers", Message="m")


def test_unsigned_calls_need_no_permission(guarded):
    client = boto3.client("cognito-idp", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_response("initiate_auth", {})
        client.initiate_auth(ClientId="c", AuthFlow="USER_PASSWORD_AUTH", AuthParameters={})
        stub.assert_no_pending_responses()


def test_a_service_the_twin_does_not_map_goes_unchecked_and_is_logged_once(guarded, capsys):
    # Given a role that grants nothing on S3
    client = boto3.client("s3", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_response("list_objects_v2", {})
        stub.add_response("list_objects_v2", {})
        # When the function lists a bucket twice
        client.list_objects_v2(Bucket="results")
        client.list_objects_v2(Bucket="results")
        # Then both calls went out, and the log says once that S3 is not checked
        stub.assert_no_pending_responses()
    log = capsys.readouterr().err
    assert log.count("[localtwin IAM] SubmitRatingFunction: calls to s3 are not checked by the twin") == 1
    assert "AccessDenied" not in log


def test_uninstall_lets_calls_through_again():
    # Given a guard that allows nothing, installed and then removed
    install(Guard("F", "f", ROLE, ACCOUNT, []))()

    # Then calls go out unchecked
    client = boto3.client("dynamodb", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_response("put_item", {})
        client.put_item(TableName="Ratings", Item={"pk": {"S": "a"}})
        stub.assert_no_pending_responses()
