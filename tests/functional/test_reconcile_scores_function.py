"""ReconcileScoresFunction on moto: a day rated and worked through the functions reconciles with
no drift; a counter changed in the Scores table is found, logged without personal data, counted
in the ScoreDrift metric and repaired; the day an event names is checked."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
import pytest
from haochaping.adapters.scores import counter_name, sheet_key
from haochaping.domain.rating import CHINA_TIME, utc_now
from haochaping.domain.scores import Count, Period, PeriodKind, Scope, ScopeKind
from haochaping.operations import scores
from haochaping.wiring import wired

from tests.functional.test_score_ratings_function import DONE, metric_values

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

FUNCTION = "ReconcileScoresFunction"

Invoke = Callable[[str, dict[str, Any]], Any]
LoadEvent = Callable[[str], dict[str, Any]]
LogRecords = Callable[[], list[dict[str, Any]]]


def a_worked_day(stack: Any, invoke: Invoke, load_event: LoadEvent) -> str:
    """Four ratings (one a real-name bad review resolved and told), each change counted by the
    stream; returns today's key (Asia/Shanghai)."""
    from tests.functional.test_followup_functions import OFFICER, district_of

    district = district_of(stack, invoke, load_event)
    fixed = district.bad_review(real_name=True)
    for level in (5, 4, 3):
        district.rate(level=level)
    district.acted(fixed, OFFICER, "resolve_on_spot", text="当场补办完成")
    district.acted(fixed, OFFICER, "give_feedback", text="已当场解决")
    assert district.stream() == DONE
    return utc_now().astimezone(CHINA_TIME).date().isoformat()


def test_a_day_the_stream_counted_reconciles_with_no_drift(
    stack: Any, invoke: Invoke, load_event: LoadEvent, log_records: LogRecords
) -> None:
    day = a_worked_day(stack, invoke, load_event)
    result = invoke(FUNCTION, {"day": day, "settle_seconds": 0})
    assert (result["day"], result["ratings"], result["drift"], result["repaired"]) == (day, 4, 0, 0)
    assert metric_values(log_records, "ScoreDrift") == [0]


def test_a_counter_changed_in_the_table_is_found_logged_counted_and_repaired(
    stack: Any, invoke: Invoke, load_event: LoadEvent, log_records: LogRecords
) -> None:
    # Given a day counted right
    day = a_worked_day(stack, invoke, load_event)
    period = Period(PeriodKind.DAY, day)
    right = scores.figures_for(period, wired()[0])
    # And its hall's count of very satisfied ratings changed by hand on the day sheet
    sheet = boto3.client("dynamodb").query(
        TableName=stack.tables["ScoresTable"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": sheet_key(period)}},
    )["Items"][0]
    hall = sheet["sk"]["S"]
    boto3.client("dynamodb").update_item(
        TableName=stack.tables["ScoresTable"],
        Key={"pk": sheet["pk"], "sk": sheet["sk"]},
        UpdateExpression="SET #c = :n",
        ExpressionAttributeNames={"#c": counter_name(Scope(ScopeKind.HALL, hall), Count.VERY_SATISFIED)},
        ExpressionAttributeValues={":n": {"N": "7"}},
    )
    assert scores.figures_for(period, wired()[0]) != right
    # When the day is reconciled
    result = invoke(FUNCTION, {"day": day, "settle_seconds": 0})
    # Then the one counter was found and repaired, and every figure is back
    assert (result["drift"], result["repaired"], result["unsettled"]) == (1, 1, 0)
    assert result["sheets"] == {f"day:{day}:{hall}": 1}
    assert scores.figures_for(period, wired()[0]) == right
    # And the month was left alone: the change was on the day sheet only
    assert result["sheets"].keys() == {f"day:{day}:{hall}"}
    # And the difference was logged, naming the counter, and counted in the metric
    [line] = [r for r in log_records() if r.get("message") == "scores: a sheet differs from its recount"]
    assert (line["hall"], line["period"], line["key"]) == (hall, "day", day)
    assert line["differences"] == [
        {"scope": "hall", "code": hall, "count": "l5", "stored": 7, "difference": -6, "settled": True}
    ]
    assert metric_values(log_records, "ScoreDrift") == [1]
    # And nothing personal was logged: no evaluator's phone, no comment
    from tests.functional.test_followup_functions import EVALUATOR

    logged = json.dumps(log_records(), ensure_ascii=False)
    assert EVALUATOR["phone"] not in logged and EVALUATOR["name"] not in logged
    assert "排队等了很久" not in logged
    # And a second run finds nothing
    assert invoke(FUNCTION, {"day": day, "settle_seconds": 0})["drift"] == 0


def test_the_nightly_event_reconciles_yesterday(stack: Any, invoke: Invoke, load_event: LoadEvent) -> None:
    a_worked_day(stack, invoke, load_event)
    yesterday = (utc_now().astimezone(CHINA_TIME).date() - timedelta(days=1)).isoformat()
    result = invoke(FUNCTION, {**load_event("reconcile_scores/nightly.json"), "settle_seconds": 0})
    assert (result["day"], result["ratings"], result["drift"]) == (yesterday, 0, 0)


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({"day": "2026-02-30"}, "day"),
        ({"day": "yesterday"}, "day"),
        ({"settle_seconds": -1}, "settle_seconds"),
        ({"settle_seconds": "60"}, "settle_seconds"),
    ],
)
def test_a_bad_event_is_refused_naming_its_field(stack: Any, invoke: Invoke, event: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=f"^{named}:"):
        invoke(FUNCTION, event)
