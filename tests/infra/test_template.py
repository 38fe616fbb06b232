"""Template tier: cfn-lint, the offline transform, the stack in moto, and the API's routes."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import boto3
import pytest
from localtwin.divisions import division_codes, division_parameters, samconfig_text
from localtwin.stack import create_stack
from localtwin.template import transform_template

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
        overrides = config[division]["deploy"]["parameters"]["parameter_overrides"]
        assert f"DivisionCode={division}" in overrides


def test_division_settings_satisfy_the_template_parameters():
    parameters = transform_template(TEMPLATE, division_parameters("640100")).sam["Parameters"]
    required = {name for name, spec in parameters.items() if "Default" not in spec}
    for division in division_codes():
        given = division_parameters(division)
        assert required <= set(given), division
        assert given["DivisionCode"] == division


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
