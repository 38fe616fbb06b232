"""Publication on the twin, shared by the integration and browser tiers: ratings posted on a weekday
(so that the roster puts staff on duty at the windows), counted by the stream, then the twin's
clock moved past the next 01:30 in China, when the daily schedule publishes them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any

import yaml
from haochaping.adapters.scores import counter_name, sheet_key
from haochaping.domain.plates import plate_signature
from haochaping.domain.rating import CHINA_TIME
from haochaping.domain.scores import Count, Period, PeriodKind, Scope, ScopeKind
from localtwin.twin import LocalTwin

from tests.conftest import ROOT
from tests.integration.conftest import post_rating

DEMO_REGISTRY = ROOT / "infra" / "registry" / "demo-640100" / "registry.yaml"
RANKED_WINDOW, SMALL_WINDOW = "YC01-A001", "YC01-A002"
GOOD, BAD, SMALL = 32, 3, 5  # A001: 32 非常满意 and 3 非常不满意 (real-name): 重点对象; A002: 5 满意
EVALUATOR, PHONE = "公示测试人", "13966668888"  # made up; named on the bad reviews


def staff_of_the_registry() -> list[tuple[str, str]]:
    """Every staff member of the demo registry: (job number, name)."""
    registry = yaml.safe_load(DEMO_REGISTRY.read_text(encoding="utf-8"))
    return [(str(person["job_number"]), str(person["name"])) for person in registry["staff"]]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.5)


def next_weekday_morning(now: datetime) -> datetime:
    """10:00 in China on the next weekday after ``now``: staff are on the roster then."""
    day = now.astimezone(CHINA_TIME).date() + timedelta(days=1)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=CHINA_TIME)


def publish_on_twin(twin: LocalTwin, secret: bytes) -> dict[str, Any]:
    """Post the ratings on a weekday, let the stream count them, move the clock past the next daily
    publication (01:30 China) and return latest.json once it holds them."""
    rated_at = twin.advance_to(next_weekday_morning(twin.now()))
    plan = [(RANKED_WINDOW, 5)] * GOOD + [(RANKED_WINDOW, 1)] * BAD + [(SMALL_WINDOW, 4)] * SMALL
    for window, level in plan:
        body: dict[str, Any] = {
            "window_code": window,
            "sig": plate_signature(window, secret),
            "level": level,
            "submission_id": uuid.uuid4().hex,
        }
        if level == 1:
            body["evaluator"] = {"name": EVALUATOR, "phone": PHONE, "consent": True}
        status, receipt = post_rating(twin, body)  # from a phone that opened the plate's form
        assert status == 201, receipt
    total = GOOD + BAD + SMALL
    day = rated_at.astimezone(CHINA_TIME).date()
    month = Period(PeriodKind.MONTH, f"{day.year:04d}-{day.month:02d}")
    # The stream counts them first; only then does the clock move on to the daily publication, so
    # that the one run of the schedule publishes them all (and nothing rewrites the files after).
    scores_table = twin.function_environment("ScoreRatingsFunction")["SCORES_TABLE"]
    valid = counter_name(Scope(ScopeKind.HALL, "YC01"), Count.VALID)

    def counted() -> bool:
        item = twin.client("dynamodb").get_item(
            TableName=scores_table, Key={"pk": {"S": sheet_key(month)}, "sk": {"S": "YC01"}}, ConsistentRead=True
        )
        return int(item.get("Item", {}).get(valid, {}).get("N", "0")) == total

    _wait(counted, 60, f"the stream to count {total} ratings")
    publication = datetime(day.year, day.month, day.day, 1, 31, tzinfo=CHINA_TIME) + timedelta(days=1)
    twin.advance_to(publication)

    def published() -> Any:
        status, raw = _get(f"{twin.url}/published/latest.json")
        if status != 200:
            return False
        latest = json.loads(raw)
        # That run's, not an earlier one's (moving the clock to the morning may have run the schedule).
        if datetime.fromisoformat(latest["published_at"]) < publication - timedelta(minutes=2):
            return False
        assert latest["period"]["key"] == month.key and latest["figures"]["division"]["valid"] == total, latest
        return latest

    return dict(_wait(published, 60, f"latest.json for {month.key} with {total} valid ratings"))


def fetch(twin: LocalTwin, name: str) -> tuple[int, bytes]:
    return _get(f"{twin.url}/published/{name}")
