"""The functional tier's staff user pool, client and groups are the template's."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.functional.conftest import resources_of_type

pytestmark = pytest.mark.functional


def test_the_user_pool_and_its_client_are_created_from_the_templates_properties(stack: Any) -> None:
    # Given the template's pool and client, and the ids the functions are given
    (pool_id,) = [stack.staff_directory[i] for i in resources_of_type(stack.template, "AWS::Cognito::UserPool")]
    (client_id,) = [stack.staff_directory[i] for i in resources_of_type(stack.template, "AWS::Cognito::UserPoolClient")]
    assert stack.environment["STAFF_USER_POOL_ID"] == pool_id
    assert stack.environment["STAFF_USER_POOL_CLIENT_ID"] == client_id
    declared = stack.template["Resources"]["StaffUserPool"]["Properties"]
    cognito = boto3.client("cognito-idp")
    # When describing them
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    # Then they have the template's name, policies, custom attributes and flows
    assert pool["Name"] == f"haochaping-{stack.environment['DIVISION_CODE']}-staff"
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    policy = pool["Policies"]["PasswordPolicy"]
    for name, value in declared["Policies"]["PasswordPolicy"].items():
        assert policy[name] == value, name
    attributes = {a["Name"] for a in pool["SchemaAttributes"]}
    assert {"custom:hall", "custom:division"} <= attributes
    assert pool["UserPoolTags"] == {"haochaping:division": stack.environment["DIVISION_CODE"]}
    assert client["ClientName"] == "staff-console"
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert "ClientSecret" not in client
    # And the console's groups exist
    groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
    assert groups == {"officer", "supervisor", "admin"}
