"""`haochaping calendar load` against the 640100 stack created from template.yaml in moto, and the
calendar the functions read back from the registry table.

The 2027 schedule here is made up for the tests (shaped like a State Council notice, not the real one).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import boto3
import pytest
from haochaping.adapters import registry_records
from haochaping.adapters.calendar import CALENDAR, CalendarStore
from haochaping.adapters.registry_records import RecordCache
from haochaping.adapters.tables import registry_table
from haochaping.admin.calendar_files import read_calendar_file
from haochaping.admin.cli import main
from haochaping.domain.calendar import CalendarBasis
from haochaping.domain.rating import CHINA_TIME
from localtwin.stack import Stack

from tests.conftest import ROOT
from tests.functional.conftest import division_stack_in_moto

pytestmark = pytest.mark.functional

DIVISION = "640100"
STACK_NAME = f"haochaping-{DIVISION}"
DEMO_YAML = ROOT / "infra" / "registry" / "demo-640100" / "registry.yaml"

SCHEDULE_2027 = """\
# 测试用: shaped like the State Council's notice, not the real 2027 schedule
year: 2027
official: true
source: 测试用2027年节假日安排（虚构）
holidays:
  - 2027-01-01..2027-01-03
  - 2027-02-05..2027-02-11
  - 2027-04-03..2027-04-05
  - 2027-05-01..2027-05-05
  - 2027-06-09
  - 2027-09-15
  - 2027-10-01..2027-10-07
working_days: [2027-02-14, 2027-05-08, 2027-09-26, 2027-10-09]
closures:
  - {hall: YC03, dates: ["2027-03-02"], reason: 水管抢修}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The division's stack, created from template.yaml by the local twin's code, with the demo registry."""
    with division_stack_in_moto(tmp_path_factory.mktemp("aws"), DIVISION, STACK_NAME) as (created, _):
        assert main(["registry", "load", str(DEMO_YAML), "--stack", STACK_NAME], out=io.StringIO()) == 0
        yield created


def function_calendar(stack: Stack) -> CalendarStore:
    """The calendar store of a function's new execution environment (nothing cached yet)."""
    return CalendarStore(registry_table(stack.outputs["RegistryTableName"]), RecordCache())


def calendar_items(stack: Stack) -> list[dict[str, Any]]:
    table = stack.outputs["RegistryTableName"]
    items = boto3.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]
    return [item for item in items if item["kind"] == {"S": CALENDAR}]


@pytest.fixture
def district(stack: Stack) -> Iterator[Stack]:
    """The stack with no calendar loaded, before and after each test."""
    yield stack
    model = registry_table(stack.outputs["RegistryTableName"])
    for item in calendar_items(stack):
        model(kind=CALENDAR, code=item["code"]["S"]).delete()


@pytest.fixture
def schedule(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str = SCHEDULE_2027) -> Path:
        path = tmp_path / "2027.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def morning(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=CHINA_TIME).astimezone(UTC)


def test_calendar_load_writes_the_year_and_deadlines_follow_it(district: Stack, schedule: Callable[..., Path]) -> None:
    # Given 2027's schedule in a file
    path = schedule()
    # When an admin loads it into the stack
    code, out, err = run(["calendar", "load", str(path), "--stack", STACK_NAME])
    # Then it is written as one record for the year, with what was loaded and when
    assert (code, err) == (0, "")
    assert out.startswith(
        f"loaded the 2027 calendar into stack {STACK_NAME}: 2027: official, 测试用2027年节假日安排（虚构）"
    )
    assert "27 holidays (17 on weekdays); 4 swapped working days 调休; 1 hall closure (YC03 1 day)" in out
    (item,) = calendar_items(district)
    assert item["code"] == {"S": "2027"}
    assert "loaded_at" in item
    body = json.loads(item["body"]["S"])
    assert body["official"] is True
    assert body["source"] == "测试用2027年节假日安排（虚构）"
    assert body["holidays"][1] == "2027-02-05..2027-02-11"
    assert body["working_days"] == ["2027-02-14", "2027-05-08", "2027-09-26", "2027-10-09"]
    assert body["closures"] == [{"hall": "YC03", "dates": ["2027-03-02"], "reason": "水管抢修"}]
    assert datetime.fromisoformat(body["loaded_at"]).tzinfo is not None
    # And the calendar the functions read follows it, finally
    calendar = function_calendar(district).calendar()
    assert calendar.basis(2027) is CalendarBasis.LOADED
    spring = calendar.deadline(morning(date(2027, 2, 4)), 2)  # 02-05..02-11 rest, Fri 02-12, swapped Sun 02-14
    assert (spring.due_date, spring.provisional) == (date(2027, 2, 14), False)
    year_end = calendar.deadline(morning(date(2026, 12, 28)), 5)
    assert (year_end.due_date, year_end.provisional) == (date(2027, 1, 5), False)
    # And YC03's closure moves only YC03's deadlines
    assert calendar.for_hall("YC03").deadline(morning(date(2027, 3, 1)), 1).due_date == date(2027, 3, 3)
    assert calendar.for_hall("YC01").deadline(morning(date(2027, 3, 1)), 1).due_date == date(2027, 3, 2)


def test_calendar_due_and_show_read_the_stack(district: Stack, schedule: Callable[..., Path]) -> None:
    # Given no 2027 schedule loaded: the stack's answer is provisional and says why
    code, out, _ = run(["calendar", "due", "2027-02-04", "2", "--stack", STACK_NAME])
    assert code == 0
    assert out.splitlines()[0] == "2027-02-12"  # by rule 02-05..02-08 rest, and 补假 02-09, 02-10 for the weekend
    assert out.splitlines()[1].startswith("provisional: 2027 is not in the official calendar;")
    # When the schedule is loaded
    assert run(["calendar", "load", str(schedule()), "--stack", STACK_NAME])[0] == 0
    # Then the same question has a final answer
    assert run(["calendar", "due", "2027-02-04", "2", "--stack", STACK_NAME]) == (0, "2027-02-14\n", "")
    # And a hall's closure shows in its count
    code, out, _ = run(["calendar", "due", "2027-03-01", "1", "--stack", STACK_NAME, "--hall", "YC03"])
    assert (code, out) == (0, "2027-03-03\n2027-03-02: hall YC03 closed (水管抢修), not counted\n")
    # And `show` lists the year as loaded
    code, out, _ = run(["calendar", "show", "2027", "--stack", STACK_NAME])
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("2027: official schedule loaded — 测试用2027年节假日安排（虚构）, loaded ")
    assert "working weekend days 调休 (4):" in lines
    assert "  2027-02-14 Sun  loaded" in lines
    assert "  YC03 2027-03-02  水管抢修" in lines
    # And a hall the registry does not have is refused
    code, _, err = run(["calendar", "due", "2027-03-01", "1", "--stack", STACK_NAME, "--hall", "ZZ99"])
    assert code == 2
    assert "no hall ZZ99" in err


def test_loading_a_year_again_replaces_it(district: Stack, schedule: Callable[..., Path]) -> None:
    # Given 2027 loaded once
    assert run(["calendar", "load", str(schedule()), "--stack", STACK_NAME])[0] == 0
    # When a corrected schedule is loaded (Spring Festival one day longer, no closure)
    corrected = SCHEDULE_2027.replace("2027-02-05..2027-02-11", "2027-02-05..2027-02-12").split("closures:")[0]
    code, out, _ = run(["calendar", "load", str(schedule(corrected)), "--stack", STACK_NAME])
    # Then the year has one record, the new one, and the output says it replaced the old
    assert code == 0
    assert "replaced the 2027 calendar loaded " in out
    (item,) = calendar_items(district)
    assert json.loads(item["body"]["S"])["closures"] == []
    calendar = function_calendar(district).calendar()
    assert calendar.is_working_day(date(2027, 2, 12)) == (False, False)
    assert calendar.for_hall("YC03").is_working_day(date(2027, 3, 2)) == (True, False)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            SCHEDULE_2027.replace("  - 2027-06-09\n", "  - 2028-06-09\n"),
            "line 10, holidays[4]: 2028-06-09 is not in 2027",
        ),
        (SCHEDULE_2027.replace("[2027-02-14,", "[2027-02-08,"), "2027-02-08 (holidays[1]): listed both"),
        (
            SCHEDULE_2027.replace("official: true", "official: ture"),
            "line 3, official: Input should be a valid boolean",
        ),
        (SCHEDULE_2027.replace("holidays:", "holiday:"), "line 5, holiday: Extra inputs are not permitted"),
        (SCHEDULE_2027.replace("hall: YC03", "hall: ZZ99"), "closures[0].hall: no hall ZZ99 in the registry"),
        ("year: 2027\nholidays: [2027-01-01\n", "not valid YAML"),
    ],
    ids=["other-year", "rest-and-worked", "bad-flag", "misspelt-field", "unknown-hall", "broken-yaml"],
)
def test_a_bad_file_gives_a_clear_error_and_writes_nothing(
    district: Stack, schedule: Callable[..., Path], text: str, problem: str
) -> None:
    # Given a file with one mistake
    path = schedule(text)
    # When an admin loads it
    code, out, err = run(["calendar", "load", str(path), "--stack", STACK_NAME])
    # Then the command exits 2 naming the file and the problem, and nothing was written
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {path}: the calendar is not valid")
    assert problem in err
    assert calendar_items(district) == []


def test_a_function_reads_every_year_with_one_query_and_sees_a_new_schedule_within_minutes(
    district: Stack, schedule: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a warm execution environment that has read the calendar (no 2027 yet)
    queries: list[str] = []
    store = function_calendar(district)
    query = store.model.query

    def counted(hash_key: str, *args: Any, **kwargs: Any) -> Any:
        queries.append(hash_key)
        return query(hash_key, *args, **kwargs)

    monkeypatch.setattr(store.model, "query", counted)
    assert store.calendar().basis(2027) is CalendarBasis.PROVISIONAL
    assert store.calendar().basis(2027) is CalendarBasis.PROVISIONAL
    assert queries == [CALENDAR]
    # When an admin loads 2027 elsewhere (another process: this one's cache is not told)
    year = json.loads(read_calendar_file(schedule()).model_dump_json())
    record = json.dumps({**year, "loaded_at": "2026-11-20T08:00:00+00:00"}, ensure_ascii=False)
    registry_table(district.outputs["RegistryTableName"])(
        kind=CALENDAR, code="2027", body=record, loaded_at=datetime(2026, 11, 20, 8, tzinfo=UTC)
    ).save()
    # Then the environment keeps its answer while the cache is fresh ...
    assert store.calendar().basis(2027) is CalendarBasis.PROVISIONAL
    # ... and reads the new schedule once the cache's few minutes have passed
    assert registry_records.CACHE_SECONDS <= 300
    monkeypatch.setattr(registry_records, "CACHE_SECONDS", 0.0)
    assert store.calendar().basis(2027) is CalendarBasis.LOADED
    assert queries == [CALENDAR, CALENDAR]
