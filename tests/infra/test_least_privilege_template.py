"""Template tier: what each function's role grants, read from the transformed template.

No statement on a data service may grant every action (``*``, ``service:*``) or every resource.
The policies SAM adds by itself for a function's event sources (AWSLambdaSQSQueueExecutionRole,
AWSLambdaDynamoDBExecutionRole) grant theirs on ``*``: the consumers have roles of their own.
"""

from __future__ import annotations

import functools

import pytest
from localtwin.divisions import division_parameters
from localtwin.template import TwinTemplate, load_sam, transform_template

from tests.conftest import TEMPLATE
from tests.least_privilege import (
    Statement,
    broad_grants,
    function_statements,
    granted_actions,
    least_privilege_findings,
    render,
    short_arn,
)

pytestmark = pytest.mark.template

FUNCTIONS = sorted(
    logical_id
    for logical_id, resource in load_sam(TEMPLATE)["Resources"].items()
    if resource["Type"] == "AWS::Serverless::Function"
)


@functools.cache
def _transformed() -> TwinTemplate:
    return transform_template(TEMPLATE, division_parameters("640100"))


@functools.cache
def _statements() -> dict[str, list[Statement]]:
    return function_statements(_transformed())


def test_values_are_written_symbolically():
    table_arn = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}/index/*"
    assert render({"Fn::Sub": [table_arn, {"tableName": {"Ref": "RatingsTable"}}]}) == (
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${RatingsTable}/index/*"
    )
    assert render({"Fn::GetAtt": ["FollowUpQueue", "QueueName"]}) == "${FollowUpQueue.QueueName}"
    assert render({"Fn::Sub": "a-${!Literal}"}) == "a-${Literal}"
    assert render({"Fn::Join": ["/", ["a", {"Ref": "B"}]]}) == "a/${B}"


def test_policy_templates_are_expanded_and_managed_policies_read():
    statements = _statements()["SubmitRatingFunction"]
    policies = {statement.policy for statement in statements}
    # SAM's own policies for every function, and Tracing: Active
    assert {"AWSLambdaBasicExecutionRole (AWS managed)", "AWSXrayWriteOnlyAccess (AWS managed)"} <= policies
    writes = next(s for s in statements if "dynamodb:PutItem" in s.actions)
    assert writes.resources == ("${RatingsTable.Arn}",)
    granted = granted_actions(_transformed())
    assert {"dynamodb:PutItem", "kms:Encrypt", "secretsmanager:GetSecretValue", "logs:PutLogEvents"} <= granted[
        "SubmitRatingFunction"
    ]
    assert "kms:Decrypt" not in granted["SubmitRatingFunction"]
    # a consumer's own role, which Lambda reads its queue with
    assert "sqs:ReceiveMessage" in granted["OpenFollowupFunction"]
    assert set(granted) == set(FUNCTIONS)


def test_a_broad_grant_is_named_with_its_policy():
    def statement(actions: tuple[str, ...], resources: tuple[str, ...], **extra: bool) -> Statement:
        return Statement("F", "P", "Allow", actions, resources, **extra)

    assert broad_grants(statement(("dynamodb:GetItem",), ("arn:aws:dynamodb:${AWS::Region}:1:table/${T}",))) == []
    assert broad_grants(statement(("logs:PutLogEvents",), ("*",))) == []  # not a data service
    assert broad_grants(statement(("sqs:*",), ("arn:aws:sqs:us-east-1:1:q",))) == [
        "sqs:*: every action of sqs (P on arn:aws:sqs:us-east-1:1:q)"
    ]
    assert broad_grants(statement(("*",), ("arn:x",)))[0].startswith("*: every action of dynamodb, sqs, sns")
    assert broad_grants(statement(("kms:Decrypt", "logs:PutLogEvents"), ("arn:aws:kms:*:*:*",))) == [
        "kms:Decrypt on every resource (P on arn:aws:kms:*:*:*)"
    ]
    assert broad_grants(statement(("s3:GetObject",), ("*",), not_resource=True)) == [
        "s3:GetObject on every resource but *"
    ]
    assert broad_grants(statement(("iam:PassRole",), ("*",), not_action=True))[0].startswith("NotAction")
    assert broad_grants(statement(("sqs:SendMessage",), ("arn:${AWS::Partition}:sqs:*:*:*",)))
    assert not broad_grants(statement(("sqs:SendMessage",), ("arn:${AWS::Partition}:sqs:*:*:${Q.QueueName}",)))
    assert short_arn("arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${T}") == "table/${T}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_statement_grants_a_data_service_by_wildcard(function):
    problems = [problem for statement in _statements()[function] for problem in broad_grants(statement)]

    assert not problems, f"{function}'s role grants by wildcard:\n  " + "\n  ".join(problems)


def test_a_grant_no_use_proved_is_found_and_stale_exceptions_too():
    from localtwin.iam_usage import Use

    statements = {
        "F": [
            Statement("F", "P0", "Allow", ("dynamodb:GetItem", "dynamodb:Scan"), ("table/${T}",)),
            Statement("F", "P1", "Allow", ("sqs:SendMessage*",), ("${Q.QueueName}",)),
            Statement("F", "Basic", "Allow", ("logs:PutLogEvents", "logs:CreateLogGroup"), ("*",)),
        ]
    }
    uses = {
        "F": [
            Use("F", "dynamodb:GetItem", "arn:t", True, "twin", "t.yaml", "f", "T"),
            Use("F", "sqs:SendMessage", "arn:q", True, "twin", "t.yaml", "f", "Q"),
        ]
    }
    exceptions = {
        "F": {"logs:PutLogEvents": "Lambda", "kms:Decrypt": "old", "dynamodb:GetItem": "old"},
        "G": {"x:Y": "-"},
    }

    found = {f.function: f for f in least_privilege_findings(statements, uses, exceptions)}

    assert found["F"].used == {"dynamodb:GetItem": {"T"}, "sqs:SendMessage": {"Q"}}
    assert list(found["F"].unused) == ["dynamodb:Scan", "logs:CreateLogGroup"]
    assert found["F"].excepted == {"logs:PutLogEvents": "Lambda"}
    assert found["F"].stale_exceptions == {
        "kms:Decrypt": "the role does not grant it",
        "dynamodb:GetItem": "a call used it: proven by use, no exception needed",
    }
    assert found["G"].stale_exceptions == {"x:Y": "no such function in the template"}
    assert "    dynamodb:Scan  (P0 on table/${T})" in found["F"].text()
    assert "    logs:CreateLogGroup  (Basic on *)" in found["F"].text()
