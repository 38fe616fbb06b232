"""Least privilege, proven by use: each function's role grants exactly the actions its calls used.

Every twin of the session records the actions and resources its functions' allowed calls touched
(localtwin.iam_usage, into ``iam_usage_dir``). This check runs after every other test of the
session (tests/integration/conftest.py moves it last) and fails for each action a function's role
grants that no call of the function used on any twin that ran its code, unless ``EXCEPTIONS``
gives a reason for it: calls made with the function's role by AWS itself (logs, traces, the
event source mappings' reads), which the twin does not make or does not check. An exception that
names an action the role does not grant, or one a call did use, fails too: remove it.
"""

from __future__ import annotations

import pytest
from localtwin.divisions import division_parameters
from localtwin.iam_usage import read_uses
from localtwin.template import transform_template

from tests.conftest import TEMPLATE
from tests.integration.conftest import WHOLE_TIER
from tests.least_privilege import function_statements, least_privilege_findings, template_uses

pytestmark = pytest.mark.integration

_LOGS = "Lambda writes the function's log to CloudWatch Logs with its role; the twin has no CloudWatch Logs"
_TRACES = "Tracing: Active: Lambda's X-Ray daemon sends the function's segments with its role; X-Ray is off on the twin"
_EVERY_FUNCTION = {
    "logs:CreateLogGroup": _LOGS,
    "logs:CreateLogStream": _LOGS,
    "logs:PutLogEvents": _LOGS,
    "xray:PutTraceSegments": _TRACES,
    "xray:PutTelemetryRecords": _TRACES,
    "xray:GetSamplingRules": _TRACES,
    "xray:GetSamplingTargets": _TRACES,
    "xray:GetSamplingStatisticSummaries": _TRACES,
}
_QUEUE = (
    "its SQS event source: Lambda polls the queue with the function's role; "
    "the twin's poller makes these calls unchecked"
)
_QUEUE_CONSUMER = {
    "sqs:ReceiveMessage": _QUEUE,
    "sqs:DeleteMessage": _QUEUE,
    "sqs:GetQueueAttributes": _QUEUE,
}
_STREAM = (
    "its DynamoDB stream event source: Lambda reads the stream with the function's role; "
    "the twin's poller makes these calls unchecked"
)
_STREAM_CONSUMER = {
    "dynamodb:DescribeStream": _STREAM,
    "dynamodb:GetRecords": _STREAM,
    "dynamodb:GetShardIterator": _STREAM,
    "dynamodb:ListStreams": _STREAM,
}

# Granted, never used by the function's own calls, on purpose: {function: {action: reason}}.
EXCEPTIONS: dict[str, dict[str, str]] = {
    "CitizenFollowupFunction": _EVERY_FUNCTION,
    "ConsoleFunction": _EVERY_FUNCTION,
    "EscalateFunction": {**_EVERY_FUNCTION, **_QUEUE_CONSUMER},
    "OpenApiFunction": _EVERY_FUNCTION,
    "OpenFollowupFunction": {**_EVERY_FUNCTION, **_QUEUE_CONSUMER},
    "PublishResultsFunction": _EVERY_FUNCTION,
    "PublishedFilesFunction": _EVERY_FUNCTION,
    "PurgePersonalDataFunction": _EVERY_FUNCTION,
    "RatingFormFunction": _EVERY_FUNCTION,
    "RatingStatusFunction": _EVERY_FUNCTION,
    "ReconcileScoresFunction": _EVERY_FUNCTION,
    "ScoreRatingsFunction": {**_EVERY_FUNCTION, **_STREAM_CONSUMER},
    "StaffSessionFunction": _EVERY_FUNCTION,
    "StaffTasksFunction": _EVERY_FUNCTION,
    "SubmitRatingFunction": _EVERY_FUNCTION,
    "SweepDeadlinesFunction": _EVERY_FUNCTION,
}


def test_each_role_grants_only_what_the_functions_calls_used(iam_usage_dir, request):
    if not request.config.stash.get(WHOLE_TIER, False):
        pytest.skip("judges the usage of the whole integration tier: run it with every test of tests/integration")
    assert read_uses(iam_usage_dir), f"no twin recorded what its functions used in {iam_usage_dir}"
    tt = transform_template(TEMPLATE, division_parameters("640100"))

    findings = least_privilege_findings(function_statements(tt), template_uses(iam_usage_dir, tt), EXCEPTIONS)

    failed = [f for f in findings if not f.ok]
    report = "\n".join(f.text() for f in findings)
    if request.session.testsfailed:
        report += f"\n({request.session.testsfailed} tests failed before this check: their calls may be missing)"
    assert not failed, (
        f"{len(failed)} roles grant what no call used ({', '.join(f.function for f in failed)}):\n{report}"
    )
