"""Scores on the twin, exactly once under the faults of a stream mapping.

The demo division runs on a twin whose ratings stream fails batches half way (the function
handles a first part, then the invocation fails and the whole batch comes again) and loses
progress after batches succeeded (their tails come again with the next batch). While ~2,000
ratings are posted by concurrent clients, bad reviews are worked through the staff API to every
outcome (not adopted and an appeal upheld among them). Afterwards every counter of every score
sheet equals a recount from the raw ratings and tasks, and the nightly reconcile, recounting the
day itself, finds no drift; a counter then changed in the table is found, logged, counted and
repaired by it.
"""

from __future__ import annotations

import concurrent.futures
import json
import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from haochaping.adapters.rating_items import rating_from_stream_image
from haochaping.adapters.scores import REVISION, counter_name, sheet_key
from haochaping.adapters.tasks import task_from_stream_image
from haochaping.domain.plates import plate_signature
from haochaping.domain.rating import Rating
from haochaping.domain.scores import SheetCounts, SheetKey, add_to, placed, rating_counts, task_counts
from localtwin.__main__ import CLOCK_HOOK
from localtwin.divisions import division_parameters
from localtwin.pollers import StreamFaults, StreamPoller
from localtwin.twin import LocalTwin

from tests.conftest import TEMPLATE
from tests.integration.conftest import (
    DEMO_PASSWORD,
    DEMO_REGISTRY,
    admin,
    demo_staff,
    http,
    post_json,
    post_rating,
    staff_act,
    staff_sign_in,
    wait_for,
)

pytestmark = pytest.mark.integration

RATINGS = 2000
CLIENTS = 16
HALL = "YC01"  # the demo staff's hall, where the bad reviews are worked
NAME, PHONE = "计分测试人", "13955557777"  # made up
CITIZEN_KEYS: dict[str, str] = {}  # tracking code → the citizen's key its receipt gave
FAULTS = StreamFaults(half_way=0.3, twice=0.3, seed=20261126)


@pytest.fixture(scope="module")
def twin() -> Iterator[LocalTwin]:
    """The demo division, its stream mapping meeting faults, its registry and staff users loaded."""
    running = LocalTwin(
        TEMPLATE,
        division_parameters("640100"),
        "haochaping-640100",
        warm=True,
        clock_hook=CLOCK_HOOK,
        stream_faults=FAULTS,
    )
    running.start()
    try:
        admin(running, "registry", "load", str(DEMO_REGISTRY))
        admin(running, "staff", "users", "--password", DEMO_PASSWORD)
        yield running
    finally:
        running.stop()


def windows() -> dict[str, list[str]]:
    """The demo registry's active windows, by hall."""
    registry = yaml.safe_load(DEMO_REGISTRY.read_text(encoding="utf-8"))
    by_hall: dict[str, list[str]] = {}
    for window in registry["windows"]:
        if window.get("active", True):
            by_hall.setdefault(window["hall_code"], []).append(window["code"])
    return by_hall


def signing_secret(twin: LocalTwin) -> bytes:
    name = twin.function_environment("SubmitRatingFunction")["SIGNING_SECRET_NAME"]
    return str(twin.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]).encode()


def rate(twin: LocalTwin, window: str, sig: str, level: int, real_name: bool = False) -> str:
    """A rating from a new phone: the plate's form opened (its device cookie), then the rating sent.
    A window gets a handful of the 2,000, well within one address's budget: none is held."""
    body: dict[str, Any] = {"window_code": window, "sig": sig, "level": level, "submission_id": uuid.uuid4().hex}
    if real_name:
        body["evaluator"] = {"name": NAME, "phone": PHONE, "consent": True}
    status, receipt = post_rating(twin, body)
    assert status == 201, receipt
    CITIZEN_KEYS[receipt["tracking_code"]] = receipt["citizen_key"]
    return str(receipt["tracking_code"])


def follow_up_status(twin: LocalTwin, code: str) -> str:
    _, _, raw = http("GET", f"{twin.url}/ratings/{code}?format=json")
    return str(json.loads(raw).get("follow_up_status"))


def work(twin: LocalTwin, codes: list[str], real_name: set[str]) -> None:
    """Bad reviews of the hall worked to every outcome through the staff and citizen APIs."""
    officer = staff_sign_in(twin, demo_staff("officer", HALL)[0])
    supervisor = staff_sign_in(twin, demo_staff("supervisor", HALL)[0])
    plans: list[list[tuple[str, str, dict[str, Any]]]] = [
        [("o", "resolve_on_spot", {"text": "当场补办"}), ("o", "give_feedback", {"text": "已当场解决"})],
        [("o", "explain", {"text": "超出本窗口职权"}), ("o", "give_feedback", {"text": "已解释"}), ("o", "close", {})],
        [
            ("o", "start_rectification", {"text": "调整叫号"}),
            ("o", "mark_rectified", {"text": "已增设引导员"}),
            ("o", "give_feedback", {"text": "已整改"}),
            ("c", "verdict", {"verdict": "basically_satisfied"}),
        ],
        [
            ("o", "propose_not_adopted", {"reason": "malicious", "text": "监控显示未办理业务"}),
            ("s", "approve_not_adopted", {}),
            ("o", "give_feedback", {"text": "经核实为恶意差评"}),
        ],
        [
            ("o", "propose_not_adopted", {"reason": "mistaken", "text": "评价人误选窗口"}),
            ("s", "approve_not_adopted", {}),
            ("o", "give_feedback", {"text": "经核实为误评"}),
            ("c", "appeal", {"text": "我确实在该窗口办理"}),
            ("d", "uphold_appeal", {}),  # a supervisor who took no part in the decision: another hall's
        ],
    ]
    real_name_plan = [
        ("o", "resolve_on_spot", {"text": "当场补办"}),
        ("o", "give_feedback", {"text": "已当场解决"}),
        ("o", "record_call_back", {"verdict": "satisfied"}),
        ("o", "close", {}),
    ]
    tokens = {"o": officer, "s": supervisor, "d": staff_sign_in(twin, demo_staff("supervisor", "YC02")[0])}
    anonymous = [code for code in codes if code not in real_name]
    jobs = [(code, plans[n % len(plans)]) for n, code in enumerate(anonymous)]
    jobs += [(code, real_name_plan) for code in codes if code in real_name]
    # The hall's supervisor first gives each task to the one officer who works them all here (a task
    # goes to its department's follow-up officers, when it has some).
    assign = ("s", "assign", {"assignee": demo_staff("officer", HALL)[0], "text": "统一由本大厅回访专员办理"})
    for code, plan in jobs:
        for who, action, fields in [assign, *plan]:
            if who == "c":
                citizen = {**fields, "citizen_key": CITIZEN_KEYS[code]}
                status, body = post_json(f"{twin.url}/ratings/{code}/{action}", citizen)
            else:
                status, body = staff_act(twin, tokens[who], code, action, **fields)
            assert status == 200, (code, action, body)


def post_many(twin: LocalTwin, sigs: dict[str, str], count: int) -> list[str]:
    """``count`` ratings over every hall's windows by concurrent clients, one in ten a bad review."""
    codes = list(sigs)
    chooser = random.Random(7)  # a reproducible mix
    plan = [(codes[n % len(codes)], 1 + n % 2 if n % 10 == 0 else chooser.choice((3, 4, 5))) for n in range(count)]

    def one(item: tuple[str, int]) -> str:
        window, level = item
        return rate(twin, window, sigs[window], level)

    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, plan))


def scan(twin: LocalTwin, table: str) -> list[dict[str, Any]]:
    client = twin.client("dynamodb")
    pages = client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]


def recount(twin: LocalTwin) -> dict[tuple[str, str], dict[str, int]]:
    """Every sheet's counters recounted from the raw ratings and tasks of the Ratings table."""
    items = scan(twin, twin.function_environment("ScoreRatingsFunction")["RATINGS_TABLE"])
    ratings: dict[str, tuple[Rating, bool]] = {}
    for item in items:
        rating = rating_from_stream_image(item)
        if rating is not None:
            ratings[rating.tracking_code] = (rating, bool(item.get("not_adopted", {}).get("BOOL")))
    sheets: dict[SheetKey, SheetCounts] = {}
    for rating, not_adopted in ratings.values():
        add_to(sheets, placed(rating, rating_counts(rating, not_adopted)))
    for item in items:
        task = task_from_stream_image(item)
        if task is not None:
            rating, _ = ratings[task.tracking_code]
            add_to(sheets, placed(rating, task_counts(task, rating)))
    return {
        (sheet_key(key.period), key.hall_code): {counter_name(scope, count): n for (scope, count), n in entries.items()}
        for key, entries in sheets.items()
    }


def counters(twin: LocalTwin) -> dict[tuple[str, str], dict[str, int]]:
    """Every sheet's counters as the Scores table holds them (counters at 0 left out)."""
    found = {}
    for item in scan(twin, twin.function_environment("ScoreRatingsFunction")["SCORES_TABLE"]):
        if not item["pk"]["S"].startswith("SHEET#"):
            continue
        values = {
            name: int(value["N"])
            for name, value in item.items()
            if "N" in value and int(value["N"]) and name != REVISION
        }
        if values:
            found[(item["pk"]["S"], item["sk"]["S"])] = values
    return found


def test_every_counter_equals_a_recount_after_2000_ratings_under_stream_faults(twin: LocalTwin) -> None:
    # Given every window's plate, and bad reviews at the staff's hall (a third real-name) with their tasks open
    secret = signing_secret(twin)
    by_hall = windows()
    sigs = {code: plate_signature(code, secret) for codes in by_hall.values() for code in codes}
    hall_windows = by_hall[HALL]
    bad = [rate(twin, hall_windows[n], sigs[hall_windows[n]], 1 + n % 2, real_name=n % 3 == 0) for n in range(15)]
    real_name = {code for n, code in enumerate(bad) if n % 3 == 0}
    wait_for(lambda: all(follow_up_status(twin, code) == "verifying" for code in bad), timeout=30)

    # When 2,000 ratings are posted by concurrent clients while those bad reviews are worked
    with concurrent.futures.ThreadPoolExecutor(1) as background:
        posted = background.submit(post_many, twin, sigs, RATINGS - len(bad))
        work(twin, bad, real_name)
        codes = posted.result(timeout=150)
    assert len(set(codes)) == RATINGS - len(bad)

    # Then, once the stream has drained, every counter equals the recount, and stays so
    wait_for(lambda: counters(twin) == recount(twin), timeout=60, interval=1.0)
    time.sleep(3)
    assert counters(twin) == recount(twin)
    # And the faults were met: batches failed half way and tails came twice, and the function saw them
    (poller,) = [p for p in twin.pollers if isinstance(p, StreamPoller)]
    assert poller.injected["half_way"] >= 3 and poller.injected["twice"] >= 3, poller.injected
    skipped = [
        value
        for line in twin.logs("ScoreRatingsFunction")
        if line.startswith("{") and "ScoreRecordsAlreadyCounted" in line
        for value in _values(json.loads(line)["ScoreRecordsAlreadyCounted"])
    ]
    assert sum(skipped) > 0
    # And the halls' days hold every rating as valid but the two not adopted
    days = {key: values for key, values in counters(twin).items() if key[0].startswith("SHEET#day#")}
    assert sum(values.get(f"h{hall}.va", 0) for (_, hall), values in days.items()) == RATINGS - 2
    assert sum(values.get(f"h{hall}.na", 0) for (_, hall), values in days.items()) == 2
    # And the nightly reconcile, recounting each day from the RatingsByDay index, finds nothing to repair
    for day in days_counted(twin):
        result = twin.invoke(RECONCILE, {"day": day, "settle_seconds": 1})
        assert (result["drift"], result["repaired"], result["unsettled"]) == (0, 0, 0), result
    assert sum(result["ratings"] for result in reconciled(twin)) == RATINGS
    assert drift_metrics(twin) and sum(drift_metrics(twin)) == 0


def test_reconcile_finds_logs_counts_and_repairs_a_counter_changed_in_the_table(twin: LocalTwin) -> None:
    # Given a hall's day sheet whose valid ratings were counted (a rating posted if none was yet)
    secret = signing_secret(twin)
    window = windows()[HALL][0]
    rate(twin, window, plate_signature(window, secret), 5)
    wait_for(lambda: counters(twin) == recount(twin), timeout=60, interval=1.0)
    right = counters(twin)
    day = days_counted(twin)[-1]
    pk = f"SHEET#day#{day}"
    # When its hall counter of valid ratings is changed directly in the table, and the month's
    # count of very satisfied ratings too
    client = twin.client("dynamodb")
    for sheet, counter, n in ((pk, "va", 5), (f"SHEET#month#{day[:7]}", "l5", -1)):
        client.update_item(
            TableName=twin.function_environment(RECONCILE)["SCORES_TABLE"],
            Key={"pk": {"S": sheet}, "sk": {"S": HALL}},
            UpdateExpression="ADD #c :n",
            ExpressionAttributeNames={"#c": f"h{HALL}.{counter}"},
            ExpressionAttributeValues={":n": {"N": str(n)}},
        )
    assert counters(twin) != right
    before = len(drift_metrics(twin))
    # And the day is reconciled
    result = twin.invoke(RECONCILE, {"day": day, "settle_seconds": 1})
    # Then each counter was found and repaired on its own sheet: the day's from its ratings, the
    # month's from its days
    assert (result["drift"], result["repaired"], result["unsettled"]) == (2, 2, 0), result
    assert result["sheets"] == {f"day:{day}:{HALL}": 1, f"month:{day[:7]}:{HALL}": 1}
    assert counters(twin) == right == recount(twin)
    # And it was logged (the hall and the counter, nothing personal) and counted in ScoreDrift
    lines = [
        json.loads(line)
        for line in twin.logs(RECONCILE)
        if line.startswith("{") and "a sheet differs from its recount" in line
    ]
    assert [(line["hall"], line["key"]) for line in lines[-2:]] == [(HALL, day), (HALL, day[:7])]
    assert lines[-2]["differences"][0] | {"stored": 0} == {
        "scope": "hall",
        "code": HALL,
        "count": "va",
        "stored": 0,
        "difference": -5,
        "settled": True,
    }
    assert NAME not in "".join(twin.logs(RECONCILE)) and PHONE not in "".join(twin.logs(RECONCILE))
    assert drift_metrics(twin)[before:] == [2.0]
    # And a second run finds nothing
    assert twin.invoke(RECONCILE, {"day": day, "settle_seconds": 0})["drift"] == 0


def test_staff_read_the_figures_the_sheets_hold(twin: LocalTwin) -> None:
    # Given a rating counted at the hall today
    secret = signing_secret(twin)
    window = windows()[HALL][0]
    rate(twin, window, plate_signature(window, secret), 4)
    wait_for(lambda: counters(twin) == recount(twin), timeout=60, interval=1.0)
    day = days_counted(twin)[-1]
    valid = counters(twin)[(f"SHEET#day#{day}", HALL)][f"h{HALL}.va"]
    # When the hall's supervisor asks for the day's figures, as JSON and as CSV
    token = staff_sign_in(twin, demo_staff("supervisor")[0])
    auth = {"Authorization": f"Bearer {token}"}
    status, _, raw = http("GET", f"{twin.url}/staff/figures?period={day}", headers=auth)
    # Then the hall's row holds the sheet's valid ratings
    assert status == 200, raw
    [row] = json.loads(raw)["figures"]
    assert (row["scope"], row["code"], row["valid"]) == ("hall", HALL, valid)
    status, headers, raw = http(
        "GET", f"{twin.url}/staff/figures?period={day}&scope=staff", headers=auth | {"Accept": "text/csv"}
    )
    assert status == 200 and headers["Content-Type"].startswith("text/csv") and raw.startswith("\ufeff".encode())
    # And a bad period is named
    status, _, raw = http("GET", f"{twin.url}/staff/figures?period={day[:4]}-13", headers=auth)
    assert status == 422 and json.loads(raw)["error"]["fields"][0]["field"] == "period"


RECONCILE = "ReconcileScoresFunction"


def days_counted(twin: LocalTwin) -> list[str]:
    """The days (Asia/Shanghai, by the twin's clock) whose sheets exist."""
    return sorted({key.removeprefix("SHEET#day#") for key, _ in counters(twin) if key.startswith("SHEET#day#")})


def reconciled(twin: LocalTwin) -> list[dict[str, Any]]:
    """Each reconcile run's summary, as it logged it."""
    return [json.loads(line) for line in twin.logs(RECONCILE) if line.startswith("{") and '"scores reconciled"' in line]


def drift_metrics(twin: LocalTwin) -> list[float]:
    """Every ScoreDrift value the reconcile runs emitted so far."""
    return [
        value
        for line in twin.logs(RECONCILE)
        if line.startswith("{") and "ScoreDrift" in line and "_aws" in line
        for value in _values(json.loads(line)["ScoreDrift"])
    ]


def _values(value: Any) -> list[float]:
    return [float(v) for v in value] if isinstance(value, list) else [float(value)]
