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

from tests.integration.conftest import http, template_copy

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
