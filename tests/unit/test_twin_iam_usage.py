"""The twin's record of what each function's allowed calls did, and how it is read back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from localtwin.iam_usage import UsageFiles, UsageRecorder, name_of, read_uses, resource_arns
from localtwin.permissions import Guard, install

pytestmark = pytest.mark.unit

REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE_NAME = "stack-RatingsTable-ABC"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE_NAME}"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/stack-FRole-ABC"


def allow(action: Any, resource: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


@pytest.fixture
def files(tmp_path: Path) -> UsageFiles:
    usage = UsageFiles.for_twin(tmp_path / "usage", "stack")
    names = resource_arns({"RatingsTable": ("AWS::DynamoDB::Table", TABLE_NAME)}, REGION, ACCOUNT)
    usage.write_manifest(tmp_path / "template.yaml", "stack", {"F": tmp_path / "f"}, names)
    return usage


@pytest.fixture
def guarded(files: UsageFiles) -> Iterator[Guard]:
    policies = [allow(["dynamodb:GetItem", "dynamodb:Query"], [TABLE, f"{TABLE}/index/*"])]
    guard = Guard("F", "stack-F-XYZ", ROLE, ACCOUNT, policies, usage=UsageRecorder(files.of_function("F")))
    uninstall = install(guard)
    yield guard
    uninstall()


def test_allowed_calls_are_recorded_once_each_and_denied_ones_not(guarded, files):
    client = boto3.client("dynamodb", region_name=REGION)
    with Stubber(client) as stub:
        for _ in range(3):
            stub.add_response("get_item", {})
        stub.add_response("query", {"Items": []})
        # When the function reads an item three times, queries an index, and tries a write
        for _ in range(3):
            client.get_item(TableName=TABLE_NAME, Key={"pk": {"S": "a"}})
        client.query(TableName=TABLE_NAME, IndexName="Due", KeyConditionExpression="x = :x")
        with pytest.raises(ClientError):
            client.put_item(TableName=TABLE_NAME, Item={"pk": {"S": "a"}})

    # Then each allowed action on each resource is written once, the denied write not at all
    lines = [json.loads(line) for line in files.of_function("F").read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {"action": "dynamodb:GetItem", "resource": TABLE, "checked": True},
        {"action": "dynamodb:Query", "resource": f"{TABLE}/index/Due", "checked": True},
    ]
    # and read back with the resources named as the template names them
    uses = {(use.function, use.action, use.named) for use in read_uses(files.directory)}
    assert uses == {("F", "dynamodb:GetItem", "RatingsTable"), ("F", "dynamodb:Query", "RatingsTable/index/Due")}


def test_calls_to_a_service_the_twin_does_not_check_are_recorded_as_such(guarded, files):
    client = boto3.client("s3", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_response("list_objects_v2", {})
        client.list_objects_v2(Bucket="results")

    [use] = read_uses(files.directory)
    assert (use.action, use.resource, use.checked, use.named) == ("s3:ListObjectsV2", None, False, "*")


def test_a_restarted_worker_appends_and_the_reader_takes_each_use_once(files):
    # Given two processes of one function, one after the other, and a line cut short by a kill
    for _ in range(2):
        UsageRecorder(files.of_function("F")).record("dynamodb:GetItem", TABLE)
    with files.of_function("F").open("a", encoding="utf-8") as file:
        file.write('{"action": "dynamodb:Put')

    # Then the use is read once
    assert [(u.action, u.resource) for u in read_uses(files.directory)] == [("dynamodb:GetItem", TABLE)]


def test_twins_sharing_a_directory_keep_their_own_uses(tmp_path):
    directory = tmp_path / "usage"
    twins = [UsageFiles.for_twin(directory, "stack") for _ in range(2)]
    for number, twin in enumerate(twins):
        twin.write_manifest(tmp_path / "template.yaml", "stack", {"F": tmp_path / "f"}, {})
        UsageRecorder(twin.of_function("F")).record(f"sqs:Action{number}", None)

    assert twins[0].twin != twins[1].twin
    assert [u.action for u in read_uses(directory, twin=twins[1].twin)] == ["sqs:Action1"]
    assert sorted(u.action for u in read_uses(directory)) == ["sqs:Action0", "sqs:Action1"]


def test_resources_are_named_by_logical_id_from_their_arns():
    names = resource_arns(
        {
            "RatingsTable": ("AWS::DynamoDB::Table", TABLE_NAME),
            "FollowUpQueue": ("AWS::SQS::Queue", f"http://127.0.0.1:5000/{ACCOUNT}/stack-FollowUpQueue-X"),
            "OfficerTopic": ("AWS::SNS::Topic", f"arn:aws:sns:{REGION}:{ACCOUNT}:stack-OfficerTopic-X"),
            "PersonalDataKey": ("AWS::KMS::Key", "1234abcd"),
            "StaffUserPool": ("AWS::Cognito::UserPool", "us-east-1_Abc"),
        },
        REGION,
        ACCOUNT,
    )
    assert name_of(f"{TABLE}/index/Due", names) == "RatingsTable/index/Due"
    assert name_of(f"{TABLE}/stream/2026-01-01T00:00:00.000", names) == "RatingsTable/stream/2026-01-01T00:00:00.000"
    assert name_of(f"{TABLE}X", names) is None  # another table whose name begins the same
    assert name_of(f"arn:aws:sqs:{REGION}:{ACCOUNT}:stack-FollowUpQueue-X", names) == "FollowUpQueue"
    assert name_of(f"arn:aws:sns:{REGION}:{ACCOUNT}:stack-OfficerTopic-X", names) == "OfficerTopic"
    assert name_of(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd", names) == "PersonalDataKey"
    assert name_of(f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/us-east-1_Abc", names) == "StaffUserPool"
