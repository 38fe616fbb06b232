"""The functional tier's moto stack follows template.yaml; a change there reaches these tests."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest

from tests.functional.conftest import Intrinsics, TemplateNotUnderstood, resources_of_type

pytestmark = pytest.mark.functional


def test_every_table_of_the_template_exists_as_declared(stack: Any) -> None:
    # Given the template's DynamoDB tables
    declared = resources_of_type(stack.template, "AWS::DynamoDB::Table")
    client = boto3.client("dynamodb")
    # When describing each table created for the tests
    for logical_id, resource in declared.items():
        table = client.describe_table(TableName=stack.tables[logical_id])["Table"]
        properties = resource["Properties"]
        # Then keys, billing and stream are the template's
        assert table["KeySchema"] == properties["KeySchema"], logical_id
        assert {tuple(a.items()) for a in table["AttributeDefinitions"]} == {
            tuple(a.items()) for a in properties["AttributeDefinitions"]
        }, logical_id
        assert table["BillingModeSummary"]["BillingMode"] == properties["BillingMode"], logical_id
        stream = properties.get("StreamSpecification")
        assert table.get("StreamSpecification", {}).get("StreamViewType") == (stream or {}).get("StreamViewType")
        indexes = {index["IndexName"] for index in properties.get("GlobalSecondaryIndexes", [])}
        assert {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])} == indexes
    assert set(stack.tables) == set(declared)


def test_every_global_variable_is_set_for_the_functions(stack: Any) -> None:
    # Given the template's Globals
    names = set(stack.template["Globals"]["Function"]["Environment"]["Variables"])
    # When looking at the environment the functions run in
    # Then each variable is set, to the resolved value
    assert names == set(stack.environment)
    for name in names:
        assert os.environ[name] == stack.environment[name]
    assert stack.environment["SIGNING_SECRET_NAME"] == f"haochaping/{stack.environment['DIVISION_CODE']}/signing"
    assert stack.environment["PERSONAL_DATA_KEY_ID"].startswith("arn:aws:kms:")


@pytest.mark.parametrize(
    "value",
    [{"Ref": "QueueNobodyCreated"}, {"Fn::GetAtt": ["RatingsTable", "Nonsense"]}, {"Fn::ImportValue": "x"}],
)
def test_a_variable_the_tests_cannot_resolve_stops_the_setup_naming_it(value: dict[str, Any]) -> None:
    # Given a Globals variable that refers to something this tier does not create
    intrinsics = Intrinsics(refs={"DivisionCode": "640104"})
    # When resolving it
    with pytest.raises(TemplateNotUnderstood) as raised:
        intrinsics.resolve(value, "Globals.Function.Environment.Variables.NEW_VARIABLE")
    # Then the error names the variable
    assert "NEW_VARIABLE" in str(raised.value)


def test_sub_resolves_parameters_and_attributes() -> None:
    # Given parameters and an attribute
    intrinsics = Intrinsics(
        refs={"DivisionCode": "640104", "AWS::Region": "us-east-1"},
        attributes={("PersonalDataKey", "Arn"): "arn:aws:kms:us-east-1:123456789012:key/k"},
    )
    # When substituting a string with both
    value = intrinsics.resolve({"Fn::Sub": "haochaping/${DivisionCode}/${AWS::Region}/${PersonalDataKey.Arn}"}, "x")
    # Then each is replaced
    assert value == "haochaping/640104/us-east-1/arn:aws:kms:us-east-1:123456789012:key/k"
