"""The twin records what each function's allowed calls did, by logical id, across worker restarts.

The fixture stack under fixtures/twin_permissions has one function whose role allows some of the
calls it can make; the twin is given a usage directory of its own (the session's is shared by every
twin and read by the least-privilege check).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from localtwin.twin import ACCOUNT, REGION, LocalTwin

from tests.integration.conftest import http

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parent / "fixtures" / "twin_permissions" / "template.yaml"


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTwin]:
    directory = tmp_path_factory.mktemp("iam-usage-of-one-twin")
    with LocalTwin(FIXTURE, {}, "twin-iam-usage", iam_usage_dir=directory) as running:
        yield running


def _try(twin: LocalTwin, call: str) -> int:
    status, _, _ = http("GET", f"{twin.url}/try/{call}")
    return status


def test_each_allowed_action_is_recorded_with_its_resource_and_a_denied_one_is_not(twin):
    # When the function makes calls its role allows, and one it does not
    assert [_try(twin, call) for call in ("get-item", "send-message", "get-secret", "get-user")] == [200] * 4
    assert _try(twin, "put-item") == 500

    # Then the twin lists the allowed actions under the function's logical id
    assert twin.actions_used() == {
        "CallerFunction": {
            "dynamodb:GetItem",
            "sqs:SendMessage",
            "secretsmanager:GetSecretValue",
            "cognito-idp:AdminGetUser",
        }
    }
    # with the resources each touched, by ARN and as the template names them
    uses = {(use.action, use.named): use.resource for use in twin.iam_usage()}
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{twin.stack.physical_id('ItemsTable')}"
    assert uses[("dynamodb:GetItem", "ItemsTable")] == table
    assert ("sqs:SendMessage", "WorkQueue") in uses
    assert ("secretsmanager:GetSecretValue", "ApiSecret") in uses
    assert ("cognito-idp:AdminGetUser", "UserPool") in uses


def test_what_a_worker_recorded_outlives_it(twin):
    # Given a use recorded, then the function's execution environment lost
    assert _try(twin, "get-item") == 200
    worker = twin.functions.workers["CallerFunction"]
    starts = worker.starts
    assert worker.process is not None
    worker.process.kill()
    worker.process.wait()

    # When a new one makes another call
    assert _try(twin, "get-secret") == 200

    # Then both are listed
    assert worker.starts == starts + 1
    assert {"dynamodb:GetItem", "secretsmanager:GetSecretValue"} <= twin.actions_used()["CallerFunction"]


def test_a_twin_asked_for_no_usage_records_none(monkeypatch):
    monkeypatch.delenv("LOCALTWIN_IAM_USAGE_DIR", raising=False)
    quiet = LocalTwin(FIXTURE, {}, "twin-no-usage")

    assert quiet.iam_usage_files is None
    with pytest.raises(RuntimeError, match="records no IAM usage"):
        quiet.actions_used()
