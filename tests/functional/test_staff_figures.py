"""GET /staff/figures on moto: the figures of the reader's hall (an admin's: the division's), per
day, month or year and per window, department, hall, staff member or the division, as JSON or
CSV; staff figures for supervisors and admins only; a bad period is a 422 naming it."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from haochaping.domain.rating import CHINA_TIME, utc_now

from tests.functional.conftest import CLERK, HALL, OTHER_HALL
from tests.functional.test_followup_functions import (
    DIVISION,
    OFFICER,
    OTHER_HALL_OFFICER,
    SUPERVISOR,
    District,
    Person,
    district_of,
)

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

ADMIN = Person("XQ9001", ("admin",))
OVERSEER = Person("XQ9002", ("overseer",))  # the management office 管理办公室
Invoke = Callable[[str, dict[str, Any]], Any]
LoadEvent = Callable[[str], dict[str, Any]]


@pytest.fixture
def district(stack: Any, invoke: Invoke, load_event: LoadEvent) -> District:
    return district_of(stack, invoke, load_event)


def figures(
    district: District, who: Person | None, query: dict[str, str], accept: str = "application/json"
) -> dict[str, Any]:
    event = district.load_event("staff_tasks/get_task.json")
    event.pop("pathParameters", None)
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/staff/figures"
    event["routeKey"] = event["requestContext"]["routeKey"] = "GET /staff/figures"
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    event["queryStringParameters"] = dict(query)
    event["headers"]["accept"] = accept
    if who is None:
        del event["requestContext"]["authorizer"]
    else:
        claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
        claims["cognito:username"] = who.username
        claims["cognito:groups"] = "[" + " ".join(who.groups) + "]"
        claims["custom:hall"] = who.hall
        claims["custom:division"] = who.division
    return dict(district.invoke("StaffTasksFunction", event))


def rows(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert response["statusCode"] == 200, response["body"]
    assert response["headers"]["Content-Type"] == "application/json"
    return {row["code"]: row for row in json.loads(response["body"])["figures"]}


@pytest.fixture
def rated(district: District) -> str:
    """Today (Asia/Shanghai): at the hall, 5, 4 and 2 at window A017 (its clerk on duty) and 5 at
    B003; at the other hall one 1 at E001. All counted by the stream."""
    for level in (5, 4, 2):
        district.rate(level=level, window="640104-A017")
    district.rate(level=5, window="640104-B003")
    district.rate(level=1, window="640104-E001")
    assert district.stream()["batchItemFailures"] == []
    return utc_now().astimezone(CHINA_TIME).date().isoformat()


def test_an_officer_reads_their_halls_figures_per_hall_and_window(district: District, rated: str) -> None:
    # Given the day rated (fixture), when an officer of the hall asks for the day's hall figures
    hall = rows(figures(district, OFFICER, {"period": rated}))
    # Then one row, their hall's, with every figure of its four ratings
    assert list(hall) == [HALL]
    assert hall[HALL] | {} == {
        "scope": "hall",
        "code": HALL,
        "ratings": 4,
        "not_adopted": 0,
        "valid": 4,
        "good_rate": 0.75,
        "bad_rate": 0.25,
        "mean_score": 4.0,
        "reply_rate": 0.0,
        "call_back_rate": 0.0,
        "real_name_call_back_rate": None,
        "fix_satisfaction": None,
        "on_time_rate": None,
    }
    # And per window, only the hall's windows
    windows = rows(figures(district, OFFICER, {"period": rated, "scope": "window"}))
    assert {code: row["valid"] for code, row in windows.items()} == {"640104-A017": 3, "640104-B003": 1}
    assert windows["640104-A017"]["mean_score"] == round(11 / 3, 4)
    # The month and the year hold the same ratings
    for key in (rated[:7], rated[:4]):
        assert rows(figures(district, OFFICER, {"period": key}))[HALL]["valid"] == 4


def test_staff_figures_are_for_supervisors_and_admins(district: District, rated: str) -> None:
    # An officer is refused; the hall's supervisor and the division's admin see the clerk rated
    refused = figures(district, OFFICER, {"period": rated, "scope": "staff"})
    assert refused["statusCode"] == 403
    staff = rows(figures(district, SUPERVISOR, {"period": rated, "scope": "staff"}))
    assert {code: row["valid"] for code, row in staff.items()} == {CLERK: 3}
    assert rows(figures(district, ADMIN, {"period": rated, "scope": "staff"}))[CLERK]["valid"] == 3


def test_an_admin_reads_every_hall_and_the_division(district: District, rated: str) -> None:
    # The division's admin sees both halls, and the division as their sum
    halls = rows(figures(district, ADMIN, {"period": rated}))
    assert {code: row["valid"] for code, row in halls.items()} == {HALL: 4, OTHER_HALL: 1}
    division = rows(figures(district, ADMIN, {"period": rated, "scope": "division"}))
    assert {code: row["valid"] for code, row in division.items()} == {DIVISION: 5}
    assert division[DIVISION]["bad_rate"] == 0.4
    # Hall staff see neither the division nor another hall
    assert figures(district, OFFICER, {"period": rated, "scope": "division"})["statusCode"] == 403
    other = rows(figures(district, OTHER_HALL_OFFICER, {"period": rated}))
    assert list(other) == [OTHER_HALL]


def test_the_management_office_reads_the_division_but_no_staff_member(district: District, rated: str) -> None:
    division = rows(figures(district, OVERSEER, {"period": rated, "scope": "division"}))
    assert {code: row["valid"] for code, row in division.items()} == {DIVISION: 5}
    assert set(rows(figures(district, OVERSEER, {"period": rated}))) == {HALL, OTHER_HALL}
    assert figures(district, OVERSEER, {"period": rated, "scope": "staff"})["statusCode"] == 403


def test_figures_as_csv_with_a_bom_by_query_or_by_accept(district: District, rated: str) -> None:
    # When the window figures are asked for as CSV, by the query and by the Accept header
    by_query = figures(district, OFFICER, {"period": rated, "scope": "window", "format": "csv"})
    by_accept = figures(district, OFFICER, {"period": rated, "scope": "window"}, accept="text/csv")
    for response in (by_query, by_accept):
        assert response["statusCode"] == 200
        assert response["headers"]["Content-Type"] == "text/csv; charset=utf-8"
        assert response["headers"]["Content-Disposition"] == f'attachment; filename="figures-window-{rated}.csv"'
    # Then both are the same file: a BOM, a heading row, a row per window, an empty cell for a null rate
    body = by_query["body"]
    assert body == by_accept["body"]
    assert body.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    assert [(row["period"], row["code"], row["valid"], row["real_name_call_back_rate"]) for row in table] == [
        (rated, "640104-A017", "3", ""),
        (rated, "640104-B003", "1", ""),
    ]
    # JSON stays the default, and format=json wins over the Accept header
    assert rows(figures(district, OFFICER, {"period": rated, "format": "json"}, accept="text/csv"))


@pytest.mark.parametrize("period", ["2026-13", "2026-02-30", "yesterday", "26-03-05", "2026-3-5", ""])
def test_a_bad_period_is_a_422_naming_it(district: District, period: str) -> None:
    response = figures(district, OFFICER, {"period": period})
    assert response["statusCode"] == 422, response["body"]
    error = json.loads(response["body"])["error"]
    assert [field["field"] for field in error["fields"]] == ["period"]


def test_a_bad_scope_or_format_and_a_missing_period_are_named(district: District) -> None:
    for query, named in (
        ({"period": "2026", "scope": "planet"}, "scope"),
        ({"period": "2026", "format": "xlsx"}, "format"),
        ({}, "period"),
    ):
        response = figures(district, OFFICER, query)
        assert response["statusCode"] == 422, response["body"]
        assert [field["field"] for field in json.loads(response["body"])["error"]["fields"]] == [named]


def test_no_staff_role_no_figures(district: District) -> None:
    assert figures(district, None, {"period": "2026"})["statusCode"] == 403
    assert figures(district, Person(CLERK, ()), {"period": "2026"})["statusCode"] == 403
