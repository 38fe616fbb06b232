"""The twin checks each function's AWS calls against its own role's policies, as IAM does on AWS.

The fixture stack under fixtures/twin_permissions has one function whose role allows some of the
calls it can make (a table read but no write, the table but not its index, a queue, a secret by
name, a user pool the twin creates itself) and not others. The last test takes one policy out of
a copy of template.yaml: the stack's own functions (PynamoDB included) are checked the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.twin import ACCOUNT, REGION, LocalTwin

from tests.integration.conftest import http, template_copy

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parent / "fixtures" / "twin_permissions" / "template.yaml"


@pytest.fixture(scope="module")
def twin() -> Iterator[LocalTwin]:
    with LocalTwin(FIXTURE, {}, "twin-permissions") as running:
        yield running


def _try(twin: LocalTwin, call: str) -> tuple[int, dict]:
    status, _, body = http("GET", f"{twin.url}/try/{call}")
    return status, json.loads(body)


def _errors(twin: LocalTwin, call: str) -> list[dict]:
    lines = [json.loads(line) for line in twin.logs("CallerFunction") if line.startswith("{")]
    return [line for line in lines if line["call"] == call]


def _table_arn(twin: LocalTwin) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{twin.stack.physical_id('ItemsTable')}"


@pytest.mark.parametrize("call", ["get-item", "send-message", "get-secret"])
def test_calls_the_role_allows_go_through(twin, call):
    # When the function makes a call its policies grant
    status, outcome = _try(twin, call)

    # Then it reaches the service, judged on its resource, not on its action alone
    assert (status, outcome["code"]) == (200, None)
    assert not [line for line in twin.logs("CallerFunction") if "judged on the action alone" in line]


def test_a_policy_on_a_resource_the_twin_creates_names_it(twin):
    # Given a policy whose resource is the user pool's ARN (moto's CloudFormation skips pools)
    # When the function asks the pool for a user that does not exist
    status, outcome = _try(twin, "get-user")

    # Then the call was allowed, and the pool answered
    assert (status, outcome["code"]) == (200, "UserNotFoundException")


def test_a_write_without_a_write_policy_is_denied_as_on_aws(twin):
    # When the function writes to a table it may only read
    status, _ = _try(twin, "put-item")

    # Then the invocation fails with IAM's error, named in the function's log
    assert status == 500
    [error] = _errors(twin, "put-item")
    role = twin.stack.functions["CallerFunction"].role_arn.rsplit("/", 1)[-1]
    function_name = twin.stack.functions["CallerFunction"].name
    assert error["code"] == "AccessDeniedException"
    assert error["message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{function_name} is not authorized to perform: "
        f"dynamodb:PutItem on resource: {_table_arn(twin)} because no identity-based policy allows the "
        "dynamodb:PutItem action"
    )
    assert f"[localtwin IAM] CallerFunction: AccessDenied: dynamodb:PutItem on {_table_arn(twin)}" in twin.logs(
        "CallerFunction"
    )
    # and nothing was written
    item = twin.client("dynamodb").get_item(TableName=twin.stack.physical_id("ItemsTable"), Key={"pk": {"S": "a"}})
    assert "Item" not in item


def test_a_query_on_an_index_needs_the_index_in_the_policy(twin):
    status, _ = _try(twin, "query-index")

    assert status == 500
    [error] = _errors(twin, "query-index")
    assert f"dynamodb:Query on resource: {_table_arn(twin)}/index/ByOwner because" in error["message"]


def test_a_transaction_needs_each_item_action(twin):
    status, _ = _try(twin, "transact-put")

    assert status == 500
    [error] = _errors(twin, "transact-put")
    assert f"dynamodb:PutItem on resource: {_table_arn(twin)} because" in error["message"]


def test_a_denied_publish_gets_the_error_code_sns_gives(twin):
    status, _ = _try(twin, "publish")

    assert status == 500
    [error] = _errors(twin, "publish")
    topic = twin.stack.physical_id("NewsTopic")
    assert error["code"] == "AuthorizationError"
    assert f"sns:Publish on resource: {topic} because" in error["message"]


def test_a_stack_function_without_its_registry_policy_fails_on_the_twin(tmp_path):
    # Given template.yaml without the rating form's statement on the registry table
    template = template_copy()
    statements = template["Resources"]["RatingFormFunction"]["Properties"]["Policies"][0]["Statement"]
    registry_read = {
        "Effect": "Allow",
        "Action": ["dynamodb:BatchGetItem"],
        "Resource": {"Fn::GetAtt": ["RegistryTable", "Arn"]},
    }
    assert registry_read in statements
    statements.remove(registry_read)
    path = tmp_path / "template.yaml"
    path.write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")

    # When a citizen opens a plate's form
    with LocalTwin(path, division_parameters("640104"), "haochaping-640104", clock_hook=CLOCK_HOOK) as twin:
        status, _, _ = http("GET", f"{twin.url}/r/YC01-A001?sig=unchecked")
        registry = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{twin.stack.physical_id('RegistryTable')}"
        denials = [line for line in twin.logs("RatingFormFunction") if line.startswith("[localtwin IAM]")]

    # Then its registry read is refused, as it would be on AWS
    assert status == 500
    assert denials
    assert all(line.startswith("[localtwin IAM] RatingFormFunction: AccessDenied: dynamodb:") for line in denials)
    assert all(line.endswith(f" on {registry}") for line in denials)
