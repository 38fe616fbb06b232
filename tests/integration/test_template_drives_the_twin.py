"""Adding a function with an HttpApi event to template.yaml makes its route work locally.

The test writes a copy of the real template with one more function and starts the twin on it:
nothing in infra/ is changed or told about the new function.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin

from tests.integration.conftest import http, template_copy, wait_for

pytestmark = pytest.mark.integration

ECHO = Path(__file__).parent / "fixtures" / "twin_features" / "functions" / "echo"


def test_a_new_function_in_the_template_gets_its_route(tmp_path):
    # Given template.yaml plus one function with an HttpApi event
    template = template_copy()
    template["Resources"]["HelloFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": str(ECHO),
            "Handler": "app.lambda_handler",
            "Events": {
                "Hello": {
                    "Type": "HttpApi",
                    "Properties": {"ApiId": {"Ref": "HttpApi"}, "Path": "/hello/{name}", "Method": "GET"},
                }
            },
        },
    }
    path = tmp_path / "template.yaml"
    path.write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")

    # When the twin starts on it
    with LocalTwin(path, division_parameters("640104"), "haochaping-640104", clock_hook=CLOCK_HOOK) as twin:
        status, _, body = http("GET", f"{twin.url}/hello/world")
        rating_status, _, _ = http("POST", f"{twin.url}/ratings", b"{}", {"Content-Type": "application/json"})

    # Then the new route answers, and the stack's own routes still do
    assert status == 200
    assert json.loads(body)["pathParameters"] == {"name": "world"}
    assert rating_status == 422


NOTES = Path(__file__).parent / "fixtures" / "twin_tables" / "functions" / "notes"


def test_a_new_table_in_the_template_is_created_with_its_indexes_stream_and_ttl(tmp_path):
    # Given template.yaml plus one table (sort key, a GSI, an LSI, a stream, TTL) and one function
    # that writes to it from a route and reads its stream
    template = template_copy()
    template["Resources"]["NotesTable"] = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": "owner", "AttributeType": "S"},
                {"AttributeName": "written_at", "AttributeType": "S"},
                {"AttributeName": "topic", "AttributeType": "S"},
                {"AttributeName": "expires_at", "AttributeType": "N"},
            ],
            "KeySchema": [
                {"AttributeName": "owner", "KeyType": "HASH"},
                {"AttributeName": "written_at", "KeyType": "RANGE"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "ByTopic",
                    "KeySchema": [
                        {"AttributeName": "topic", "KeyType": "HASH"},
                        {"AttributeName": "written_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["text"]},
                }
            ],
            "LocalSecondaryIndexes": [
                {
                    "IndexName": "ByExpiry",
                    "KeySchema": [
                        {"AttributeName": "owner", "KeyType": "HASH"},
                        {"AttributeName": "expires_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
        },
    }
    template["Resources"]["NotesFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": str(NOTES),
            "Handler": "app.lambda_handler",
            "Environment": {"Variables": {"NOTES_TABLE": {"Ref": "NotesTable"}}},
            "Policies": [{"DynamoDBCrudPolicy": {"TableName": {"Ref": "NotesTable"}}}],
            "Events": {
                "Write": {
                    "Type": "HttpApi",
                    "Properties": {"ApiId": {"Ref": "HttpApi"}, "Path": "/notes/{owner}", "Method": "POST"},
                },
                "Changes": {
                    "Type": "DynamoDB",
                    "Properties": {
                        "Stream": {"Fn::GetAtt": ["NotesTable", "StreamArn"]},
                        "StartingPosition": "TRIM_HORIZON",
                        "BatchSize": 10,
                    },
                },
            },
        },
    }
    path = tmp_path / "template.yaml"
    path.write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")
    note = {"written_at": "2025-05-06T09:30:00+08:00", "text": "窗口排队久", "topic": "queue", "expires_at": 4102444800}

    # When the twin starts on it, and the new route is called
    with LocalTwin(path, division_parameters("640104"), "haochaping-640104", clock_hook=CLOCK_HOOK) as twin:
        dynamodb = twin.client("dynamodb")
        table_name = twin.function_environment("NotesFunction")["NOTES_TABLE"]
        table = dynamodb.describe_table(TableName=table_name)["Table"]
        time_to_live = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
        table_ref = twin.resolve({"Ref": "NotesTable"})
        stream_arn = twin.resolve({"Fn::GetAtt": ["NotesTable", "StreamArn"]})
        status, _, body = http(
            "POST", f"{twin.url}/notes/window-7", json.dumps(note).encode(), {"Content-Type": "application/json"}
        )
        written = dynamodb.get_item(
            TableName=table_name,
            Key={"owner": {"S": "window-7"}, "written_at": {"S": note["written_at"]}},
            ConsistentRead=True,
        ).get("Item")
        seen = wait_for(
            lambda: dynamodb.get_item(
                TableName=table_name,
                Key={"owner": {"S": "SEEN#window-7"}, "written_at": {"S": note["written_at"]}},
                ConsistentRead=True,
            ).get("Item"),
            timeout=30,
        )
        by_topic = dynamodb.query(
            TableName=table_name,
            IndexName="ByTopic",
            KeyConditionExpression="topic = :t",
            ExpressionAttributeValues={":t": {"S": "queue"}},
        )["Items"]

    # Then the table is made from the template's own properties, under the name the function is given
    assert table_name == table_ref
    assert table_name.startswith("haochaping-640104-NotesTable-")
    assert table["KeySchema"] == [
        {"AttributeName": "owner", "KeyType": "HASH"},
        {"AttributeName": "written_at", "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    [gsi] = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "ByTopic"
    assert gsi["KeySchema"] == [
        {"AttributeName": "topic", "KeyType": "HASH"},
        {"AttributeName": "written_at", "KeyType": "RANGE"},
    ]
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["text"]}
    [lsi] = table["LocalSecondaryIndexes"]
    assert lsi["IndexName"] == "ByExpiry"
    assert lsi["KeySchema"] == [
        {"AttributeName": "owner", "KeyType": "HASH"},
        {"AttributeName": "expires_at", "KeyType": "RANGE"},
    ]
    assert lsi["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert time_to_live == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    # and the route writes the note there, which the stream hands to the function as an INSERT
    assert status == 201
    assert json.loads(body) == {"table": table_name, "owner": "window-7"}
    assert written is not None and written["text"] == {"S": "窗口排队久"}
    assert seen["event"] == {"S": "INSERT"}
    assert seen["view"] == {"S": "NEW_AND_OLD_IMAGES"}
    assert seen["new_text"] == {"S": "窗口排队久"}
    assert seen["source"] == {"S": stream_arn}
    assert [item["text"] for item in by_topic] == [{"S": "窗口排队久"}]
