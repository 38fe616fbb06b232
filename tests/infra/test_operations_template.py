"""Template tier: what an operator relies on — logs kept and bounded, alarms per stack that reach
someone, state kept across deletes, several districts in one account, limits where abuse lands."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from localtwin.divisions import division_parameters
from localtwin.stack import StackRuleFailed, create_stack
from localtwin.template import load_sam, transform_template

from tests.conftest import ROOT, TEMPLATE

pytestmark = pytest.mark.template

SAM = load_sam(TEMPLATE)
RESOURCES: dict[str, Any] = SAM["Resources"]
# With the nested stacks' resources (the staff user pool's, identity/staff-user-pool.yaml).
EVERY_RESOURCE: dict[str, Any] = {
    **RESOURCES,
    **{
        logical_id: resource
        for nested in RESOURCES.values()
        if nested["Type"] == "AWS::Serverless::Application"
        for logical_id, resource in load_sam(TEMPLATE.parent / nested["Properties"]["Location"])["Resources"].items()
    },
}
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}
CONSUMERS = {
    k
    for k, v in FUNCTIONS.items()
    if any(e["Type"] in ("SQS", "DynamoDB") for e in (v["Properties"].get("Events") or {}).values())
}
# Names that identify a district's state: renaming them replaces the resource and loses what it holds
# (the secret behind every printed plate, the staff accounts). One stack per division, so the
# division code is as unique in an account as the stack's name.
NAMED_BY_DIVISION = {
    ("SigningSecret", "Name"): "renaming replaces the secret: every printed QR plate would stop working",
    ("StaffUserPool", "UserPoolName"): "renaming replaces the user pool: every staff account would be lost",
}
# Names unique within their parent resource, not in the account.
NAMED_WITHIN_PARENT = {"ClientName", "GroupName", "AttributeName", "IndexName", "StageName", "MetricName"}


def _names(value: Any) -> str:
    """The text of a name property, with its ${...} kept."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return str(value)


def test_every_account_wide_name_carries_the_stack_name():
    # Given every name property of every resource, and every schedule's name
    names: dict[tuple[str, str], str] = {}
    for logical_id, resource in EVERY_RESOURCE.items():
        for key, value in (resource.get("Properties") or {}).items():
            if (key == "Name" or key.endswith("Name")) and key not in NAMED_WITHIN_PARENT and key != "DisplayName":
                names[(logical_id, key)] = _names(value)
        for event_id, event in ((resource.get("Properties") or {}).get("Events") or {}).items():
            if event["Type"] in ("Schedule", "ScheduleV2"):
                names[(f"{logical_id}.{event_id}", "Name")] = _names(event["Properties"].get("Name", ""))
    # Then each is unique to the stack, or to its division for the reasons given
    assert names, "no names found: the test reads nothing"
    for place, name in names.items():
        if place in NAMED_BY_DIVISION:
            assert "${DivisionCode}" in name, place
        else:
            assert "${AWS::StackName}" in name, f"{place}: {name!r} is fixed, so a second stack in the account fails"


def test_every_function_logs_json_to_its_own_log_group_kept_the_retention_period():
    log_groups = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Logs::LogGroup"}
    assert SAM["Globals"]["Function"]["LoggingConfig"]["LogFormat"] == "JSON"
    for logical_id, function in FUNCTIONS.items():
        target = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert target in log_groups, logical_id
    used = {f["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for f in FUNCTIONS.values()}
    assert len(used) == len(FUNCTIONS), "two functions share a log group"
    for logical_id, group in log_groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, logical_id
    assert SAM["Parameters"]["LogRetentionDays"]["Default"] == 180


def test_the_api_access_log_never_holds_a_query_string():
    settings = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": "ApiAccessLogGroup.Arn"} or settings["DestinationArn"] == {
        "Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]
    }
    variables = set(re.findall(r"\$context\.[\w.]+", settings["Format"]))
    assert "$context.path" in variables
    # The raw URL, the query string and the request's headers could carry a plate's signature or a ticket.
    assert not any(v.startswith(("$context.requestOverride", "$request")) for v in variables)
    assert "querystring" not in settings["Format"].lower()


@pytest.mark.parametrize("logical_id", ["PersonalDataKey", "SigningSecret", "StaffUserPool", "RatingsTable"])
def test_state_is_kept_when_the_stack_is_deleted_or_replaced(logical_id):
    assert EVERY_RESOURCE[logical_id]["DeletionPolicy"] == "Retain"
    assert EVERY_RESOURCE[logical_id]["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize("queue", ["FollowUpQueue", "EscalationQueue"])
def test_queues_of_work_keep_a_message_fourteen_days(queue):
    assert RESOURCES[queue]["Properties"]["MessageRetentionPeriod"] == 1209600


def _alarms() -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in RESOURCES.items() if v["Type"] == "AWS::CloudWatch::Alarm"}


def _metrics(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(namespace, metric, dimensions) of every metric an alarm reads."""
    if "MetricName" in alarm:
        return [(alarm["Namespace"], alarm["MetricName"], {d["Name"]: d["Value"] for d in alarm["Dimensions"]})]
    found = []
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            found.append((metric["Namespace"], metric["MetricName"], dimensions))
    return found


def test_every_function_has_an_alarm_on_its_errors_and_throttles():
    watched: dict[str, set[str]] = {}
    for alarm in _alarms().values():
        for namespace, metric, dimensions in _metrics(alarm):
            if namespace == "AWS/Lambda":
                watched.setdefault(dimensions["FunctionName"]["Ref"], set()).add(metric)
    for logical_id in FUNCTIONS:
        assert {"Errors", "Throttles"} <= watched.get(logical_id, set()), logical_id


def test_the_api_failing_and_the_timers_not_running_raise_alarms():
    read = [m for alarm in _alarms().values() for m in _metrics(alarm)]
    assert ("AWS/ApiGateway", "5xx", {"ApiId": {"Ref": "HttpApi"}}) in read
    not_run = {
        dims["FunctionName"]["Ref"]: alarm
        for alarm in _alarms().values()
        for namespace, metric, dims in _metrics(alarm)
        if metric == "Invocations"
    }
    for timer in ("PurgePersonalDataFunction", "SweepDeadlinesFunction"):
        alarm = not_run[timer]
        assert alarm["ComparisonOperator"] == "LessThanThreshold"
        assert alarm["TreatMissingData"] == "breaching", "no invocations at all must fire it"


def test_every_alarm_is_this_stacks_own_and_reaches_the_alarm_topic():
    for name, alarm in _alarms().items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        for namespace, _, dimensions in _metrics(alarm):
            # A dimension that other stacks share (the service name alone) would let them set it off.
            assert dimensions, name
            for value in dimensions.values():
                assert value != "haochaping", f"{name}: dimension shared by every stack"
            if namespace == "Haochaping":
                assert dimensions == {"service": {"Ref": "AWS::StackName"}}, name
    assert SAM["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == {
        "Ref": "AWS::StackName"
    }
    subscription = RESOURCES["AlarmSubscription"]
    assert subscription["Condition"] == "HasAlarmEndpoint"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEndpoint"}


def test_routes_where_abuse_lands_are_throttled_tighter_than_the_default():
    api = RESOURCES["HttpApi"]["Properties"]
    default = api["DefaultRouteSettings"]
    for route in (
        "POST /ratings",
        "POST /staff/session",
        "POST /ratings/{tracking_code}/verdict",
        "POST /ratings/{tracking_code}/appeal",
    ):
        limits = api["RouteSettings"][route]
        assert limits["ThrottlingRateLimit"] < default["ThrottlingRateLimit"], route
        assert limits["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"], route
    routes = {
        f"{e['Properties']['Method']} {e['Properties']['Path']}"
        for f in FUNCTIONS.values()
        for e in (f["Properties"].get("Events") or {}).values()
        if e["Type"] == "HttpApi"
    }
    assert set(api["RouteSettings"]) <= routes, "a throttle names a route the API does not have"


def test_queue_and_stream_consumers_keep_their_own_concurrency():
    assert {"ScoreRatingsFunction", "OpenFollowupFunction", "EscalateFunction"} == CONSUMERS
    for logical_id in CONSUMERS:
        reserved = FUNCTIONS[logical_id]["Properties"]["ReservedConcurrentExecutions"]
        assert reserved == {
            "Fn::If": ["ReservesConsumerConcurrency", {"Ref": "ConsumerReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
        }


def test_two_districts_are_created_side_by_side_in_one_account(offline_aws):
    # Given two divisions' stacks in the same account and region
    made = {}
    for division in ("640100", "640104"):
        parameters = division_parameters(division)
        made[division] = create_stack(
            boto3.Session(), transform_template(TEMPLATE, parameters), f"haochaping-{division}", parameters
        )
    # Then both are complete, and no table, queue, topic, secret, key alias or pool is shared
    cloudformation = boto3.client("cloudformation")
    for division in made:
        status = cloudformation.describe_stacks(StackName=f"haochaping-{division}")["Stacks"][0]["StackStatus"]
        assert status == "CREATE_COMPLETE", division
    first, second = (set(stack.resources.values()) for stack in made.values())
    # (a user pool's groups are named within their pool)
    shared = {
        (kind, physical) for kind, physical in first & second if physical and kind != "AWS::Cognito::UserPoolGroup"
    }
    assert shared == set()
    aliases = [a["AliasName"] for a in boto3.client("kms").list_aliases()["Aliases"] if "haochaping" in a["AliasName"]]
    assert sorted(aliases) == ["alias/haochaping-640100-personal-data", "alias/haochaping-640104-personal-data"]


def test_an_external_identity_without_its_issuer_is_refused(offline_aws):
    # Given a division that says its staff sign in elsewhere, but not where
    parameters = {
        **division_parameters("640104"),
        "StaffIdentity": "external",
        "StaffIssuerUrl": "",
        "StaffAudience": "console",
    }
    # Then the stack is refused, naming what is missing, as CloudFormation's Rules refuse it
    with pytest.raises(StackRuleFailed, match="StaffIssuerUrl"):
        create_stack(boto3.Session(), transform_template(TEMPLATE, parameters), "haochaping-640104", parameters)


def _report_subscribers(stack_name: str) -> list[tuple[str, str]]:
    """(protocol, endpoint) of every subscription to the report topic of a stack made in moto."""
    sns = boto3.client("sns")
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"] if f":{stack_name}-ReportTopic-" in t["TopicArn"]]
    assert len(topics) == 1, topics
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topics[0])["Subscriptions"]
    return [(s["Protocol"], s["Endpoint"]) for s in subscriptions]


def test_the_same_level_management_office_named_in_the_settings_is_subscribed_to_the_reports(offline_aws, tmp_path):
    # Given the template's subscription to the report topic, made only when an endpoint is named
    subscription = RESOURCES["ReportSubscription"]
    assert subscription["Condition"] == "HasReportEndpoint"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "ReportTopic"},
        "Protocol": {"Ref": "ReportEndpointProtocol"},
        "Endpoint": {"Ref": "ReportEndpoint"},
    }
    assert SAM["Parameters"]["ReportEndpointProtocol"]["AllowedValues"] == ["email", "https", "sms"]
    # And one division whose settings name its management office (通报 by e-mail), one whose settings do not
    settings = (ROOT / "infra" / "divisions" / "640105.toml").read_text(encoding="utf-8")
    (tmp_path / "640105.toml").write_text(
        settings + 'report_endpoint = "tongbao@xixia.example"\nreport_endpoint_protocol = "email"\n', encoding="utf-8"
    )
    named = division_parameters("640105", tmp_path)
    assert (named["ReportEndpoint"], named["ReportEndpointProtocol"]) == ("tongbao@xixia.example", "email")
    unnamed = division_parameters("640106")
    # When both stacks are made
    for division, parameters in (("640105", named), ("640106", unnamed)):
        create_stack(boto3.Session(), transform_template(TEMPLATE, parameters), f"haochaping-{division}", parameters)
    # Then the office is the one subscriber of its own division's reports, and the other division's have none
    assert _report_subscribers("haochaping-640105") == [("email", "tongbao@xixia.example")]
    assert _report_subscribers("haochaping-640106") == []
