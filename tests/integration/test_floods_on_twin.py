"""Floods 疑似刷评 on the twin, over HTTP from one address (127.0.0.1, as a hall's shared Wi-Fi):

- 500 JSON posts to one window by its plate, without the device cookie of the form the plate
  opens, are all refused, and none is stored;
- 500 JSON posts to another window claiming to be its rating pad (no form to open) count no more
  than the address's budget; every other one is answered 202, held for review, and stored;
- 30 citizens at a third window, each with their own phone (the form's cookie), all count;
- the hall's supervisor finds the held ones with their evidence, rejects one (not adopted,
  reported) and releases a bad review, whose follow-up task then opens.

Each window is rated by this module only, so the budgets are this module's alone.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from localtwin.twin import LocalTwin

from tests.integration.conftest import (
    DEMO_PASSWORD,
    admin,
    demo_staff,
    http,
    rate,
    staff_sign_in,
    staff_task,
    wait_for,
)

pytestmark = pytest.mark.integration

SCRIPTED_WINDOW = "YC01-A007"  # a script with the plate's signature, posing as phones
PAD_WINDOW = "YC01-A008"  # a script with the plate's signature, posing as the window's pad
CROWD_WINDOW = "YC01-A009"  # thirty citizens on the hall's Wi-Fi
POSTS = 500
CITIZENS = 30
THREADS = 4


def _post(twin: LocalTwin, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, _, raw = http(
        "POST", f"{twin.url}/ratings", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    return status, json.loads(raw)


def _flood(twin: LocalTwin, sig: str, window: str, **fields: Any) -> list[tuple[int, dict[str, Any]]]:
    """POSTS JSON ratings to one window from one address, a few at a time, each a new submission."""

    def one(n: int) -> tuple[int, dict[str, Any]]:
        level = 1 if n % 5 == 0 else 5  # some bad reviews among them, as a flood against a window would
        return _post(
            twin, {"window_code": window, "sig": sig, "level": level, "submission_id": uuid.uuid4().hex, **fields}
        )

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(POSTS)))


def _ratings_of(twin: LocalTwin, window: str) -> list[dict[str, Any]]:
    """Every rating item of a window in the Ratings table (a scan: this is a test, not a request path)."""
    table = twin.function_environment("SubmitRatingFunction")["RATINGS_TABLE"]
    pages = (
        twin.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=table,
            ConsistentRead=True,
            FilterExpression="kind = :rating AND window_code = :window",
            ExpressionAttributeValues={":rating": {"S": "rating"}, ":window": {"S": window}},
        )
    )
    return [item for page in pages for item in page["Items"]]


def _budget(twin: LocalTwin) -> tuple[int, timedelta]:
    environment = twin.function_environment("SubmitRatingFunction")
    return int(environment["RATING_BUDGET_PER_ADDRESS"]), timedelta(minutes=int(environment["RATING_BUDGET_MINUTES"]))


def _periods_between(start: datetime, end: datetime, period: timedelta) -> int:
    """How many of the budget's fixed periods a run from start to end touched."""
    seconds = int(period.total_seconds())
    return int(end.timestamp()) // seconds - int(start.timestamp()) // seconds + 1


@pytest.fixture(scope="module")
def supervisor(district_twin: LocalTwin) -> str:
    admin(district_twin, "staff", "users", "--password", DEMO_PASSWORD)
    return staff_sign_in(district_twin, demo_staff("supervisor")[0])


def test_a_script_without_the_forms_cookie_is_refused_every_time(
    district_twin: LocalTwin, plate_sig: Callable[[str], str]
) -> None:
    # Given a script holding the plate's printed signature, never having opened the plate's form
    sig = plate_sig(SCRIPTED_WINDOW)
    # When it posts 500 JSON ratings to the window from one address
    answers = _flood(district_twin, sig, SCRIPTED_WINDOW)
    # Then every one is refused, saying what is missing, and none is stored: no citizen is counted
    assert Counter(status for status, _ in answers) == {403: POSTS}
    assert {body["error"]["code"] for _, body in answers} == {"device_evidence_required"}
    assert _ratings_of(district_twin, SCRIPTED_WINDOW) == []


@pytest.fixture(scope="module")
def pad_flood(district_twin: LocalTwin, plate_sig: Callable[[str], str]) -> tuple[list[tuple[int, Any]], int]:
    """A script posing as the PAD_WINDOW's rating pad (which has no form to open) posts 500 JSON
    ratings from one address: the answers, and how many budget periods the run touched."""
    _, period = _budget(district_twin)
    started = district_twin.now()
    answers = _flood(district_twin, plate_sig(PAD_WINDOW), PAD_WINDOW, channel="window_device")
    return answers, _periods_between(started, district_twin.now(), period)


def test_a_script_posing_as_the_windows_pad_counts_no_more_than_the_addresss_budget(
    district_twin: LocalTwin, pad_flood: tuple[list[tuple[int, Any]], int]
) -> None:
    budget, _ = _budget(district_twin)
    # Given a script posing as the window's rating pad that posted 500 JSON ratings from one address
    answers, periods = pad_flood
    # Then the address's budget counts, and every other one is answered 202, held for review
    statuses = Counter(status for status, _ in answers)
    assert set(statuses) == {201, 202}, statuses
    assert statuses[201] == budget * periods  # one budget per period the run touched (nearly always one)
    assert all(body["held_for_review"] is (status == 202) for status, body in answers)
    # And all 500 are stored (nothing acknowledged is lost); those held carry the evidence
    stored = _ratings_of(district_twin, PAD_WINDOW)
    assert len(stored) == POSTS
    assert {item["tracking_code"]["S"] for item in stored} == {body["tracking_code"] for _, body in answers}
    held = [item for item in stored if item.get("review") == {"S": "held"}]
    assert len(held) == statuses[202] and all("suspicion" in item for item in held)
    assert len(stored) - len(held) == statuses[201]


def test_thirty_citizens_behind_one_address_each_with_their_phone_all_count(
    district_twin: LocalTwin, plate_sig: Callable[[str], str]
) -> None:
    # Given thirty citizens at one window, all on the hall's Wi-Fi, each opening the plate's form
    sig = plate_sig(CROWD_WINDOW)
    # When each rates from their own phone
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(
            pool.map(lambda n: rate(district_twin, CROWD_WINDOW, sig, level=5 if n % 3 else 2), range(CITIZENS))
        )
    # Then every one counts
    assert [status for status, _ in answers] == [201] * CITIZENS, [body for _, body in answers][:3]
    assert not any(body["held_for_review"] for _, body in answers)
    stored = _ratings_of(district_twin, CROWD_WINDOW)
    assert len(stored) == CITIZENS and not any("review" in item for item in stored)


def test_the_supervisor_sees_the_evidence_rejects_one_and_releases_a_bad_review_which_is_then_followed_up(
    district_twin: LocalTwin, supervisor: str, pad_flood: tuple[list[tuple[int, Any]], int]
) -> None:
    # Given the ratings of the pad's flood held for review
    held = {body["tracking_code"] for status, body in pad_flood[0] if status == 202}
    assert held
    auth = {"Authorization": f"Bearer {supervisor}", "Content-Type": "application/json"}
    # When the hall's supervisor lists them
    status, _, raw = http("GET", f"{district_twin.url}/staff/suspected-ratings", headers=auth)
    assert status == 200, raw
    listed = json.loads(raw)["ratings"]
    # Then each comes with its evidence: the address's budget at the window, and how many share its source
    ours = [r for r in listed if r["tracking_code"] in held]
    assert ours and all(r["window_code"] == PAD_WINDOW and "同一网络地址" in r["evidence"] for r in ours)
    (over,) = ours[0]["over_budgets"]
    assert over["source"] == "address" and over["held_from_this_source"] >= len(ours)
    assert b"127.0.0.1" not in raw
    # When the supervisor rejects a good one as malicious, and releases a bad review
    good = next(r["tracking_code"] for r in ours if not r["bad_review"])
    bad = next(r["tracking_code"] for r in ours if r["bad_review"])
    url = f"{district_twin.url}/staff/suspected-ratings"
    rejected, _, body = http(
        "POST", f"{url}/{good}/decision", json.dumps({"decision": "reject", "text": "刷评"}).encode(), auth
    )
    assert rejected == 200, body
    released, _, body = http("POST", f"{url}/{bad}/decision", json.dumps({"decision": "release"}).encode(), auth)
    assert released == 200, body
    # Then the rejected one is not adopted and reported; the released bad review's task opens
    _, _, status_raw = http("GET", f"{district_twin.url}/ratings/{good}?format=json")
    assert json.loads(status_raw)["not_adopted"] is True
    _, _, reports = http("GET", f"{district_twin.url}/staff/reports", headers=auth)
    assert good in [r["tracking_code"] for r in json.loads(reports)["reports"]]
    officer = staff_sign_in(district_twin, demo_staff("officer")[0])
    wait_for(lambda: staff_task(district_twin, officer, bad)[0] == 200, timeout=15)
    assert staff_task(district_twin, officer, bad)[1]["state"] == "verifying"
