"""A township or street (乡镇/街道) stack on the twin: a division with a 9-digit code, deployed from its
settings file in infra/divisions/ like any other, takes a rating and finds it again by its tracking code.

The template takes the code as the county's 6 digits (DivisionCode) and the township's 3
(TownshipCode); everything the stack names and tells its functions carries the whole code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin

from tests.conftest import ROOT, TEMPLATE
from tests.integration.conftest import admin, http, plate_sig_of, rate, wait_for

pytestmark = pytest.mark.integration

DIVISION = "640104001"  # 凤凰北街街道, a street of 兴庆区 (640104)
REGISTRY = ROOT / "infra" / "registry" / f"demo-{DIVISION}" / "registry.yaml"
WINDOW = "FB01-A01"


@pytest.fixture(scope="module")
def township() -> Iterator[LocalTwin]:
    """The township's stack from infra/divisions/640104001.toml, its demo registry loaded by the admin tools."""
    twin = LocalTwin(TEMPLATE, division_parameters(DIVISION), f"haochaping-{DIVISION}", clock_hook=CLOCK_HOOK)
    twin.start()
    try:
        admin(twin, "registry", "load", str(REGISTRY))
        yield twin
    finally:
        twin.stop()


def _rate(twin: LocalTwin, level: int) -> dict[str, object]:
    status, receipt = rate(twin, WINDOW, plate_sig_of(twin, WINDOW), level=level)
    assert status == 201, receipt
    return receipt


def _read_back(twin: LocalTwin, code: str) -> dict[str, object]:
    status, _, raw = http("GET", f"{twin.url}/ratings/{code}?format=json")
    assert status == 200, raw
    return dict(json.loads(raw))


def test_the_stack_carries_the_whole_nine_digit_code(township: LocalTwin) -> None:
    # Given the township's stack, made from its settings file
    stack = township.client("cloudformation").describe_stacks(StackName=f"haochaping-{DIVISION}")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    # Then its functions are told the whole code and the level, and its secret and staff pool are named by it
    environment = township.function_environment("SubmitRatingFunction")
    assert environment["DIVISION_CODE"] == DIVISION
    assert environment["DIVISION_LEVEL"] == "township"
    assert environment["SIGNING_SECRET_NAME"] == f"haochaping/{DIVISION}/signing"
    pools = township.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
    assert f"haochaping-{DIVISION}-staff" in {pool["Name"] for pool in pools}


def test_a_rating_at_a_township_window_is_taken_and_read_back_by_its_tracking_code(township: LocalTwin) -> None:
    # Given a citizen at the street's service centre, with the window's QR plate
    # When they rate the service
    receipt = _rate(township, level=5)
    code = str(receipt["tracking_code"])
    # Then the rating is found again by its tracking code, at that window of that centre
    rating = _read_back(township, code)
    assert rating["tracking_code"] == code
    assert rating["level"] == 5
    assert rating["window_code"] == WINDOW
    assert rating["hall_name"] == "凤凰北街街道便民服务中心"
    assert rating["bad_review"] is False
    # And it is stored as the township's, under its 9-digit code
    table = township.function_environment("SubmitRatingFunction")["RATINGS_TABLE"]
    items = township.client("dynamodb").scan(
        TableName=table,
        FilterExpression="kind = :k AND tracking_code = :c",
        ExpressionAttributeValues={":k": {"S": "rating"}, ":c": {"S": code}},
    )["Items"]
    assert [item["division_code"]["S"] for item in items] == [DIVISION]


def test_a_bad_review_at_a_township_window_opens_its_follow_up(township: LocalTwin) -> None:
    # Given a bad review at the township's window
    code = str(_rate(township, level=1)["tracking_code"])
    # When the stream and the follow-up queue have done their work
    # Then the citizen sees the follow-up under way, by the same tracking code
    wait_for(lambda: _read_back(township, code)["follow_up_status"] == "verifying", timeout=20)
