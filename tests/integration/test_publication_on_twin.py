"""Publication on the twin: ratings posted through the API, counted from the stream, published by
the daily schedule at 01:30 China time, and read back at /published/ as the public would."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.twin import LocalTwin

from tests.conftest import TEMPLATE
from tests.integration.conftest import DEMO_REGISTRY, admin
from tests.publication_on_twin import (
    BAD,
    EVALUATOR,
    GOOD,
    PHONE,
    RANKED_WINDOW,
    SMALL,
    SMALL_WINDOW,
    fetch,
    publish_on_twin,
    staff_of_the_registry,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def twin() -> Iterator[LocalTwin]:
    running = LocalTwin(TEMPLATE, division_parameters("640100"), "haochaping-640100", warm=True, clock_hook=CLOCK_HOOK)
    running.start()
    try:
        admin(running, "registry", "load", str(DEMO_REGISTRY))
        yield running
    finally:
        running.stop()


def signing_secret(twin: LocalTwin) -> bytes:
    name = twin.function_environment("SubmitRatingFunction")["SIGNING_SECRET_NAME"]
    return str(twin.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]).encode()


def test_the_daily_schedule_publishes_what_the_twin_serves_at_published(twin: LocalTwin) -> None:
    # Given ratings posted on a weekday and counted, and the clock past 01:30 the next day
    latest = publish_on_twin(twin, signing_secret(twin))
    # Then latest.json holds them: 40 valid, 37 good (0.925), A001 ranked (35 ≥ 30), A002 not (5)
    division = latest["figures"]["division"]
    assert (division["valid"], division["good_rate"]) == (GOOD + BAD + SMALL, 0.925)
    windows = latest["rankings"]["windows"]
    assert [u["code"] for u in windows["ranked"]] == [RANKED_WINDOW]
    assert [u["code"] for u in windows["not_ranked"]] == [SMALL_WINDOW]
    assert latest["bad_reviews_by_outcome"]["open"] == BAD
    # And A001, its department and its hall reach 3 bad reviews in the month: 重点对象, units only
    assert {(u["kind"], u["bad_reviews"]) for u in latest["key_supervision"]} == {
        ("hall", BAD),
        ("department", BAD),
        ("window", BAD),
    }
    # And the period's JSON is the same document, the CSV opens in Excel, both pages are served
    month = latest["period"]["key"]
    status, raw = fetch(twin, f"{month}.json")
    assert status == 200 and json.loads(raw) == latest
    status, csv = fetch(twin, f"{month}.csv")
    assert status == 200 and csv.startswith(b"\xef\xbb\xbf")
    pages = {}
    for name in ("index.html", "index.en.html"):
        status, body = fetch(twin, name)
        assert status == 200, name
        pages[name] = body.decode("utf-8")
    assert "综合受理窗口" in pages["index.html"] and "General Intake Window" in pages["index.en.html"]
    assert pages["index.html"].count('<svg role="img"') >= 6
    # And no published file names the evaluator, their phone, or any staff member
    for name, text in {**pages, "latest.json": json.dumps(latest, ensure_ascii=False), "csv": csv.decode()}.items():
        assert EVALUATOR not in text and PHONE not in text, name
        for job_number, staff_name in staff_of_the_registry():
            assert job_number not in text and staff_name not in text, (name, job_number)
    # And anything else under /published/ is not found
    assert fetch(twin, "nothing-here.json")[0] == 404
