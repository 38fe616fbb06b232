"""The functional tier's staff user pool, client and groups are the template's (its nested
identity stack's, identity/staff-user-pool.yaml)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from samtranslator.yaml_helper import yaml_parse

from tests.conftest import ROOT

pytestmark = pytest.mark.functional


def test_the_user_pool_and_its_client_are_created_from_the_templates_properties(stack: Any) -> None:
    # Given the identity stack's pool and client, and the ids the functions are given
    location = stack.template["Resources"]["StaffIdentityPool"]["Properties"]["Location"]
    identity = yaml_parse((ROOT / location).read_text(encoding="utf-8"))
    pool_id, client_id = stack.staff_directory["StaffUserPool"], stack.staff_directory["StaffUserPoolClient"]
    assert stack.environment["STAFF_USER_POOL_ID"] == pool_id
    assert stack.environment["STAFF_USER_POOL_CLIENT_ID"] == client_id
    declared = identity["Resources"]["StaffUserPool"]["Properties"]
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
    assert groups == {"officer", "supervisor", "admin", "overseer"}
