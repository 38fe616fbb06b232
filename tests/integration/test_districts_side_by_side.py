"""Two district stacks in one AWS account and region, side by side on one twin's servers.

Districts that share an account must not share a table, a queue, a schedule or an alarm: each
stack's names carry its own name or division. Here both stacks are created in the same moto and
the same DynamoDB Local, each rated through its own API, and each rating stays in its district.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin, TwinServers

from tests.conftest import TEMPLATE
from tests.integration.conftest import DEMO_REGISTRY, admin, http, plate_sig_of, post_json, rate, wait_for

pytestmark = pytest.mark.integration

DIVISIONS = ("640100", "640104")
WINDOW = "YC01-A001"


def _registry_of(division: str, folder: Path) -> Path:
    """The demo registry, as the given division's (its windows and staff are fictitious anyway)."""
    registry = yaml.safe_load(DEMO_REGISTRY.read_text(encoding="utf-8"))
    registry["division_code"] = division
    path = folder / f"registry-{division}.yaml"
    path.write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def districts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LocalTwin]]:
    folder = tmp_path_factory.mktemp("registries")
    with TwinServers() as servers:
        twins = {
            division: LocalTwin(
                TEMPLATE,
                division_parameters(division),
                f"haochaping-{division}",
                clock_hook=CLOCK_HOOK,
                servers=servers,
            )
            for division in DIVISIONS
        }
        try:
            for division, twin in twins.items():
                twin.start()
                admin(twin, "registry", "load", str(_registry_of(division, folder)))
            yield twins
        finally:
            for twin in twins.values():
                twin.stop()


def _follow_up_status(twin: LocalTwin, code: str) -> str:
    _, _, body = http("GET", f"{twin.url}/ratings/{code}?format=json")
    return str(json.loads(body).get("follow_up_status"))


def _ratings(twin: LocalTwin) -> list[str]:
    table = twin.function_environment("SubmitRatingFunction")["RATINGS_TABLE"]
    items = twin.client("dynamodb").scan(
        TableName=table, FilterExpression="kind = :k", ExpressionAttributeValues={":k": {"S": "rating"}}
    )["Items"]
    return sorted(item["tracking_code"]["S"] for item in items)


def test_both_stacks_share_the_servers_and_nothing_else(districts: dict[str, LocalTwin]) -> None:
    first, second = districts.values()
    # Given two stacks on the same servers
    assert first.endpoints == second.endpoints
    stacks = first.client("cloudformation").describe_stacks()["Stacks"]
    assert {s["StackName"] for s in stacks} >= {"haochaping-640100", "haochaping-640104"}
    # Then no resource of one is the other's (a user pool's groups are named within their pool)
    shared = {
        (kind, physical)
        for kind, physical in set(first.stack.resources.values()) & set(second.stack.resources.values())
        if physical and kind != "AWS::Cognito::UserPoolGroup"
    }
    assert shared == set()
    for name in ("RATINGS_TABLE", "REGISTRY_TABLE", "FOLLOW_UP_QUEUE_URL", "SIGNING_SECRET_NAME"):
        assert (
            first.function_environment("SubmitRatingFunction")[name]
            != second.function_environment("SubmitRatingFunction")[name]
        ), name


def test_each_district_rates_and_follows_up_on_its_own(districts: dict[str, LocalTwin]) -> None:
    # Given a bad review posted to each district's own API, with its own plate
    codes = {}
    for division, twin in districts.items():
        status, receipt = rate(twin, WINDOW, plate_sig_of(twin, WINDOW), level=1)
        assert status == 201, receipt
        codes[division] = receipt["tracking_code"]
    # When each district's stream and queue have done their work
    for division, twin in districts.items():
        wait_for(lambda twin=twin, code=codes[division]: _follow_up_status(twin, code) == "verifying", timeout=20)
    # Then each rating is in its own district's table only, and a plate of one is refused by the other
    first, second = DIVISIONS
    assert _ratings(districts[first]) == [codes[first]]
    assert _ratings(districts[second]) == [codes[second]]
    foreign = {
        "window_code": WINDOW,
        "sig": plate_sig_of(districts[first], WINDOW),
        "level": 5,
        "submission_id": uuid.uuid4().hex,
    }
    status, _ = post_json(f"{districts[second].url}/ratings", foreign)
    assert status == 403
