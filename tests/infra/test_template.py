"""Template tier: cfn-lint, the offline transform, the stack in moto, and the API's routes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import boto3
import pytest
from localtwin.divisions import division_codes, division_parameters, division_settings, samconfig_text
from localtwin.intrinsics import Resolver
from localtwin.stack import StackRuleFailed, create_stack
from localtwin.template import load_sam, transform_template

from tests.conftest import ROOT, TEMPLATE

pytestmark = pytest.mark.template


@pytest.mark.parametrize(
    ("template", "region"),
    [
        (TEMPLATE, "us-east-1"),
        # AWS China (Ningxia): the district stack names no type the region lacks (Cognito lives in
        # the identity stack, made only where StaffIdentity is cognito).
        (TEMPLATE, "cn-northwest-1"),
        (ROOT / "identity" / "staff-user-pool.yaml", "us-east-1"),
    ],
    ids=["district-global", "district-ningxia", "identity-global"],
)
def test_cfn_lint_reports_nothing(template, region):
    cfn_lint = str(Path(sys.executable).parent / "cfn-lint")
    result = subprocess.run(
        [cfn_lint, "--regions", region, "--", str(template)], capture_output=True, text=True, check=False
    )
    assert result.stdout + result.stderr == ""
    assert result.returncode == 0


def test_offline_transform_gives_plain_cloudformation():
    tt = transform_template(TEMPLATE, division_parameters("640104"))
    types = {r["Type"] for r in tt.cfn["Resources"].values()}
    assert not any(t.startswith("AWS::Serverless::") for t in types)
    assert {"AWS::Lambda::Function", "AWS::DynamoDB::Table", "AWS::KMS::Key"} <= types
    assert "Transform" not in tt.cfn


@pytest.mark.parametrize("division", division_codes())
def test_stack_reaches_create_complete_in_moto_for_every_division(offline_aws, division):
    # Given a division's settings
    parameters = division_parameters(division)
    tt = transform_template(TEMPLATE, parameters)
    # When the stack is created
    stack = create_stack(boto3.Session(), tt, f"haochaping-{division}", parameters)
    # Then it is complete, and each function's environment is resolved
    status = boto3.client("cloudformation").describe_stacks(StackName=stack.name)["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"
    environment = stack.functions["SubmitRatingFunction"].environment
    assert environment["DIVISION_CODE"] == division
    assert environment["RATINGS_TABLE"] == stack.physical_id("RatingsTable")
    assert environment["SIGNING_SECRET_NAME"] == f"haochaping/{division}/signing"
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=f"haochaping/{division}/signing")
    assert len(secret["SecretString"]) == 48


def test_every_stream_and_queue_consumer_reports_item_failures_and_has_a_dead_letter_queue():
    tt = transform_template(TEMPLATE, division_parameters("640100"))
    assert tt.event_sources, "the template has consumers"
    for source in tt.event_sources:
        assert source.report_item_failures, source.function
        if source.kind == "dynamodb":
            assert source.on_failure_output is not None, source.function
    for logical_id, resource in tt.cfn["Resources"].items():
        if resource["Type"] == "AWS::SQS::Queue" and "DeadLetter" not in logical_id:
            assert "RedrivePolicy" in resource["Properties"], logical_id


def test_every_function_runs_on_a_current_python_and_arm64():
    tt = transform_template(TEMPLATE, division_parameters("640100"))
    for resource in tt.cfn["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            runtime = resource["Properties"]["Runtime"]
            assert runtime.startswith("python3.") and int(runtime.split(".")[1]) >= 12
            assert resource["Properties"]["Architectures"] == ["arm64"]


def _template_routes() -> set[tuple[str, str]]:
    tt = transform_template(TEMPLATE, division_parameters("640100"))
    return {(route.method.lower(), route.path) for route in tt.routes}


def _document_routes() -> set[tuple[str, str]]:
    from haochaping.api.openapi import document_resolver

    document = json.loads(document_resolver().get_openapi_json_schema())
    return {(method, path) for path, item in document["paths"].items() for method in item}


def test_openapi_document_and_template_declare_the_same_routes():
    assert _document_routes() == _template_routes()


def test_each_function_serves_exactly_the_routes_the_template_gives_it():
    import importlib.util

    tt = transform_template(TEMPLATE, division_parameters("640100"))
    for logical_id, spec in tt.functions.items():
        routes = {(r.method.lower(), r.path) for r in tt.routes if r.function == logical_id}
        if not routes:
            continue
        module_spec = importlib.util.spec_from_file_location(f"handler_{logical_id}", spec.code_dir / "app.py")
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        document = json.loads(module.app.get_openapi_json_schema())
        served = {(method, path) for path, item in document["paths"].items() for method in item}
        if logical_id == "OpenApiFunction":
            assert routes <= served
        else:
            assert served == routes, logical_id


def test_samconfig_has_one_config_env_per_division_and_is_in_step_with_the_settings_files():
    text = (ROOT / "samconfig.toml").read_text(encoding="utf-8")
    assert text == samconfig_text(), "run `make samconfig` after editing infra/divisions/"
    config = tomllib.loads(text)
    for division in division_codes():
        overrides = dict(o.split("=", 1) for o in config[division]["deploy"]["parameters"]["parameter_overrides"])
        assert overrides["DivisionCode"] + overrides.get("TownshipCode", "") == division
        assert config[division]["deploy"]["parameters"]["stack_name"] == f"haochaping-{division}"


def test_division_settings_satisfy_the_template_parameters():
    parameters = transform_template(TEMPLATE, division_parameters("640100")).sam["Parameters"]
    required = {name for name, spec in parameters.items() if "Default" not in spec}
    for division in division_codes():
        given = division_parameters(division)
        assert required <= set(given), division
        assert given["DivisionCode"] + given.get("TownshipCode", "") == division
        assert _constraint_problems(given) == [], division


def test_no_settings_file_names_a_real_person_or_secret():
    for path in (ROOT / "infra" / "divisions").glob("*.toml"):
        text = path.read_text(encoding="utf-8").lower()
        assert "password" not in text and "secret" not in text, path.name


def test_the_document_declares_the_jwt_security_exactly_on_the_routes_the_template_protects():
    from haochaping.api.openapi import document_resolver

    tt = transform_template(TEMPLATE, division_parameters("640100"))
    protected = {(r.method.lower(), r.path) for r in tt.routes if r.authorizer == "StaffJwt"}
    document = json.loads(document_resolver().get_openapi_json_schema())
    declared = {
        (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if {"StaffJwt": []} in (operation.get("security") or [])
    }
    assert protected, "the template protects the staff routes"
    assert declared == protected
    assert document["components"]["securitySchemes"]["StaffJwt"]["scheme"] == "bearer"


# --- Divisions of 6 digits (city, county/district) and 9 (township, street) ----------------------

SAM = load_sam(TEMPLATE)
IDENTITY = TEMPLATE.parent / "identity" / "staff-user-pool.yaml"


def _constraint_problems(parameters: dict[str, str], template: dict | None = None) -> list[str]:
    """What CloudFormation's parameter constraints (AllowedPattern, AllowedValues) refuse in these values."""
    declared = (template or SAM)["Parameters"]
    problems = []
    for name, value in parameters.items():
        spec = declared[name]
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
            problems.append(f"{name}={value!r} does not match {spec['AllowedPattern']}")
        if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
            problems.append(f"{name}={value!r} is not one of {spec['AllowedValues']}")
    return problems


def test_a_township_settings_file_gives_its_county_code_and_its_own_three_digits():
    # Given the settings file of a street of 兴庆区, which names its whole 9-digit code
    settings = division_settings("640104001")
    assert (settings["division_code"], settings["division_level"]) == ("640104001", "township")
    # When it is read as the template's parameters
    parameters = division_parameters("640104001")
    # Then the county's 6 digits and the township's 3 are given apart, and a county gives no TownshipCode
    assert (parameters["DivisionCode"], parameters["TownshipCode"]) == ("640104", "001")
    assert "TownshipCode" not in division_parameters("640104")
    assert _constraint_problems(parameters) == []


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        ({"DivisionCode": "640104001"}, "DivisionCode"),  # the whole 9 digits in the county's parameter
        ({"DivisionCode": "6401040"}, "DivisionCode"),
        ({"TownshipCode": "01"}, "TownshipCode"),
        ({"TownshipCode": "0001"}, "TownshipCode"),
        ({"TownshipCode": "A01"}, "TownshipCode"),
        ({"DivisionLevel": "street"}, "DivisionLevel"),
    ],
)
def test_the_parameter_constraints_refuse_a_code_of_any_other_shape(changes, refused):
    # Given a township's parameters with one value of the wrong shape
    parameters = {**division_parameters("640104001"), **changes}
    # Then CloudFormation's constraints refuse exactly that parameter
    problems = _constraint_problems(parameters)
    assert len(problems) == 1 and problems[0].startswith(f"{refused}="), problems


@pytest.mark.parametrize(
    ("division", "changes", "rule"),
    [
        # a 9-digit code given a city's or county's level
        ("640104001", {"DivisionLevel": "county"}, "CityAndCountyHaveSixDigits"),
        ("640104001", {"DivisionLevel": "city"}, "CityAndCountyHaveSixDigits"),
        ("640104", {"TownshipCode": "001"}, "CityAndCountyHaveSixDigits"),
        # a 6-digit code given a township's level
        ("640104", {"DivisionLevel": "township"}, "TownshipHasNineDigits"),
        ("640104001", {"TownshipCode": ""}, "TownshipHasNineDigits"),
    ],
)
def test_a_code_whose_length_does_not_fit_the_level_is_refused_before_anything_is_made(
    offline_aws, division, changes, rule
):
    # Given a division's parameters whose code length and level disagree (each value of a valid shape)
    parameters = {**division_parameters(division), **changes}
    assert _constraint_problems(parameters) == []
    # When the stack is created
    with pytest.raises(StackRuleFailed, match=rule):
        create_stack(boto3.Session(), transform_template(TEMPLATE, parameters), f"haochaping-{division}", parameters)
    # Then the template's Rules refuse it, as CloudFormation would, and nothing of it was made
    assert boto3.client("cloudformation").describe_stacks()["Stacks"] == []
    assert boto3.client("secretsmanager").list_secrets()["SecretList"] == []


# AWS's limits on the names a template gives (what CloudFormation generates, it keeps within them).
NAME_LIMITS = {
    ("AWS::Serverless::LayerVersion", "LayerName"): 140,
    ("AWS::KMS::Alias", "AliasName"): 256,
    ("AWS::SecretsManager::Secret", "Name"): 512,
    ("AWS::SNS::Topic", "DisplayName"): 100,
    ("AWS::Cognito::UserPool", "UserPoolName"): 128,
    ("AWS::Cognito::UserPoolClient", "ClientName"): 128,
    ("AWS::Cognito::UserPoolGroup", "GroupName"): 128,
    ("ScheduleV2", "Name"): 64,  # an EventBridge Scheduler schedule, named in a function's event
}
STACK_NAME_LIMIT = 128


def _given_names(template: dict) -> list[tuple[str, str, str, object]]:
    """(logical id, type, property, value) of every name the template gives a resource or a schedule."""
    names = []
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties") or {}
        for key, value in properties.items():
            if key.endswith("Name") and key not in ("MetricName", "PolicyName"):
                names.append((logical_id, resource["Type"], key, value))
        for event_id, event in (properties.get("Events") or {}).items():
            if "Name" in (event.get("Properties") or {}):
                names.append((f"{logical_id}.{event_id}", event["Type"], "Name", event["Properties"]["Name"]))
    return names


def _resolver(parameters: dict[str, str], template: dict, stack_name: str) -> Resolver:
    declared = template.get("Parameters") or {}
    return Resolver(
        created={},
        moto_values={},
        parameters={**{k: str(v["Default"]) for k, v in declared.items() if "Default" in v}, **parameters},
        pseudo={"AWS::StackName": stack_name, "AWS::Region": "cn-northwest-1", "AWS::Partition": "aws-cn"},
        physical_ids=lambda _logical_id: None,
    )


@pytest.mark.parametrize("division", division_codes())
def test_every_name_the_stacks_give_fits_its_aws_limit(division):
    # Given a division deployed as samconfig deploys it (a township's code has 9 digits)
    stack_name = f"haochaping-{division}"
    assert len(stack_name) <= STACK_NAME_LIMIT
    parameters = division_parameters(division)
    district = _resolver(parameters, SAM, stack_name)
    # When every name the district stack and its staff identity stack give is resolved
    resolved = [(place, kind, key, str(district.resolve(value))) for place, kind, key, value in _given_names(SAM)]
    for logical_id, resource in SAM["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Application":
            nested = load_sam(TEMPLATE.parent / resource["Properties"]["Location"])
            given = {k: str(district.resolve(v)) for k, v in resource["Properties"]["Parameters"].items()}
            assert _constraint_problems(given, nested) == [], logical_id
            inner = _resolver(given, nested, f"{stack_name}-{logical_id}-ABCDEFGHIJKL")
            resolved += [(p, kind, key, str(inner.resolve(v))) for p, kind, key, v in _given_names(nested)]
    # Then each is within AWS's limit for it, and those that name the division carry the whole code
    assert resolved, "no names found: the test reads nothing"
    for place, kind, key, name in resolved:
        assert (kind, key) in NAME_LIMITS, f"{place}.{key}: add the AWS limit of a {kind} {key} to NAME_LIMITS"
        assert len(name) <= NAME_LIMITS[(kind, key)], f"{place}.{key} = {name!r} ({len(name)} characters)"
    by_place = {place: name for place, _, _, name in resolved}
    assert by_place["SigningSecret"] == f"haochaping/{division}/signing"
    assert by_place["StaffUserPool"] == f"haochaping-{division}-staff"
