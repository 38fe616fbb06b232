"""GET /staff/assessment on moto: the period's rankings and internal lists 排名与榜单 for a hall's
supervisor (their hall, staff included), the division's admin (every hall) and the management office
(units only, never a staff member); officers are refused and a bad period is a 422 naming it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from haochaping.domain.rating import CHINA_TIME, utc_now

from tests.functional.conftest import CLERK, HALL, OTHER_HALL
from tests.functional.test_followup_functions import (
    OFFICER,
    OTHER_HALL_OFFICER,
    OTHER_HALL_SUPERVISOR,
    SUPERVISOR,
    District,
    Person,
    district_of,
)
from tests.functional.test_staff_figures import ADMIN, OVERSEER, Invoke, LoadEvent

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]


@pytest.fixture
def district(stack: Any, invoke: Invoke, load_event: LoadEvent) -> District:
    return district_of(stack, invoke, load_event)


def assessment(district: District, who: Person | None, period: str) -> dict[str, Any]:
    return _call(district, who, {"period": period})


def _call(district: District, who: Person | None, query: dict[str, str]) -> dict[str, Any]:
    """The route as the gateway hands it on: the same function as /staff/figures, another path."""
    event = district.load_event("staff_tasks/get_task.json")
    event.pop("pathParameters", None)
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/staff/assessment"
    event["routeKey"] = event["requestContext"]["routeKey"] = "GET /staff/assessment"
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    event["queryStringParameters"] = dict(query)
    if who is None:
        del event["requestContext"]["authorizer"]
    else:
        claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
        claims["cognito:username"] = who.username
        claims["cognito:groups"] = "[" + " ".join(who.groups) + "]"
        claims["custom:hall"] = who.hall
        claims["custom:division"] = who.division
    return dict(district.invoke("StaffTasksFunction", event))


def body(response: dict[str, Any]) -> dict[str, Any]:
    assert response["statusCode"] == 200, response["body"]
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["Cache-Control"] == "no-store"
    return dict(json.loads(response["body"]))


def codes(entries: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(entry["scope"], entry["code"]) for entry in entries}


def every_code(answer: dict[str, Any]) -> set[tuple[str, str]]:
    """Every unit and staff member the answer names, on any list."""
    found = codes(answer["red_list"]) | codes(answer["key_supervision"]) | codes(answer["performance"])
    found |= codes(answer["organisation_list"])
    for ranking in answer["rankings"]:
        found |= codes(ranking["ranked"]) | codes(ranking["not_ranked"])
    return found


@pytest.fixture
def month(district: District) -> str:
    """This month (Asia/Shanghai): at the hall three bad reviews at window A017 (its clerk on duty)
    and a 5 at B003; at the other hall one 1 at E001. All counted by the stream."""
    for level in (2, 2, 1):
        district.rate(level=level, window="640104-A017")
    district.rate(level=5, window="640104-B003")
    district.rate(level=1, window="640104-E001")
    assert district.stream()["batchItemFailures"] == []
    return utc_now().astimezone(CHINA_TIME).date().isoformat()[:7]


def test_a_supervisor_reads_their_halls_units_and_staff(district: District, month: str) -> None:
    # When the hall's supervisor asks for the month
    answer = body(assessment(district, SUPERVISOR, month))
    assert (answer["period"], answer["period_kind"], answer["monthly"]) == (month, "month", True)
    # Then halls, departments and windows are each ranked; with a handful of ratings none reaches the
    # minimum sample: every unit is listed as not ranked, and the 红榜 is empty
    assert [ranking["kind"] for ranking in answer["rankings"]] == ["hall", "department", "window"]
    windows = answer["rankings"][2]
    assert windows["ranked"] == []
    assert {(u["code"], u["good"], u["valid"]) for u in windows["not_ranked"]} == {
        ("640104-A017", 0, 3),
        ("640104-B003", 1, 1),
    }
    assert answer["red_list"] == []
    # The window and the hall with three bad reviews are under key supervision, and the clerk with them
    supervised = {(s["scope"], s["code"]): s["bad_reviews"] for s in answer["key_supervision"]}
    assert supervised[("window", "640104-A017")] == 3
    assert supervised[("hall", HALL)] == 3
    assert supervised[("staff", CLERK)] == 3
    # No bad review was found a failure yet: no deduction, everyone still eligible, nobody on the list
    clerk = next(p for p in answer["performance"] if p["code"] == CLERK)
    assert clerk == {
        "scope": "staff",
        "code": CLERK,
        "bad_reviews": 3,
        "verified_bad_reviews": 0,
        "deduction": 0.0,
        "excellence_eligible": True,
    }
    assert answer["organisation_list"] == []
    # And nothing of the other hall
    assert ("window", "640104-E001") not in every_code(answer)
    assert ("hall", OTHER_HALL) not in every_code(answer)


def test_a_hall_supervisor_never_sees_another_halls_staff(district: District, month: str) -> None:
    answer = body(assessment(district, OTHER_HALL_SUPERVISOR, month))
    named = every_code(answer)
    assert ("window", "640104-E001") in named
    assert not {code for kind, code in named if kind == "staff"}
    assert ("hall", HALL) not in named and ("window", "640104-A017") not in named


def test_an_admin_reads_the_division(district: District, month: str) -> None:
    answer = body(assessment(district, ADMIN, month))
    named = every_code(answer)
    assert {("hall", HALL), ("hall", OTHER_HALL), ("window", "640104-E001"), ("staff", CLERK)} <= named


def test_the_management_office_sees_the_units_and_no_staff_member(district: District, month: str) -> None:
    answer = body(assessment(district, OVERSEER, month))
    named = every_code(answer)
    assert {("hall", HALL), ("hall", OTHER_HALL), ("window", "640104-A017")} <= named
    assert not [code for kind, code in named if kind == "staff"]
    assert answer["organisation_list"] == []
    assert ("window", "640104-A017") in codes(answer["key_supervision"])


def test_the_key_supervision_list_is_a_months(district: District, month: str) -> None:
    for period in (month[:4], utc_now().astimezone(CHINA_TIME).date().isoformat()):
        answer = body(assessment(district, SUPERVISOR, period))
        assert answer["monthly"] is False
        assert answer["key_supervision"] == []
        assert any(p["code"] == CLERK for p in answer["performance"])


def test_officers_and_accounts_without_a_role_are_refused(district: District) -> None:
    for who in (OFFICER, OTHER_HALL_OFFICER, Person(CLERK, ()), None):
        assert assessment(district, who, "2026")["statusCode"] == 403
    # A supervisor without a hall has nothing to assess
    assert assessment(district, Person(SUPERVISOR.username, ("supervisor",), hall=None), "2026")["statusCode"] == 403


@pytest.mark.parametrize(
    "period",
    ["2026-13", "2026-02-30", "2023-02-29", "1900-02-29", "0000-01-01", "yesterday", "26-03-05", "2026-3-5", ""],
)
def test_a_bad_period_is_a_422_naming_it(district: District, period: str) -> None:
    response = assessment(district, SUPERVISOR, period)
    assert response["statusCode"] == 422, response["body"]
    assert [field["field"] for field in json.loads(response["body"])["error"]["fields"]] == ["period"]


def test_a_leap_day_is_a_day(district: District) -> None:
    for period in ("2024-02-29", "2000-02-29"):
        assert body(assessment(district, SUPERVISOR, period))["period_kind"] == "day"


def test_a_missing_period_is_named(district: District) -> None:
    response = _call(district, SUPERVISOR, {})
    assert response["statusCode"] == 422, response["body"]
    assert [field["field"] for field in json.loads(response["body"])["error"]["fields"]] == ["period"]
