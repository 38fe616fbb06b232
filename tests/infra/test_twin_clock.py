"""The twin's clock: the functions' "now" follows it, it only moves forward, and a jump past many
firings of a schedule fires it once.

The fixture stack under fixtures/twin_clock has one function that answers (or, on a schedule,
prints) utc_now() from the project's shared layer.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from localtwin.__main__ import CLOCK_HOOK
from localtwin.clock import Clock, ClockError
from localtwin.schedules import latest_fire, next_fire
from localtwin.twin import LocalTwin

from tests.conftest import ROOT

pytestmark = pytest.mark.template

FIXTURE = Path(__file__).parent / "fixtures" / "twin_clock" / "template.yaml"
NOW_FUNCTION = "NowFunction"


@pytest.fixture(scope="module")
def twin() -> Iterator[LocalTwin]:
    with LocalTwin(FIXTURE, {}, "twin-clock", clock_hook=CLOCK_HOOK, warm=True) as running:
        yield running


def request(method: str, url: str, payload: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    body = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else None)
    message = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(message, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for(condition: Callable[[], Any], timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {timeout} s")
        time.sleep(0.05)
    return value


def function_now(twin: LocalTwin) -> datetime:
    status, body = request("GET", f"{twin.url}/now")
    assert status == 200, body
    return datetime.fromisoformat(body["now"])


def scheduled_runs(twin: LocalTwin) -> list[dict[str, str]]:
    return [json.loads(line) for line in twin.logs(NOW_FUNCTION) if line.startswith('{"event_time"')]


def close(a: datetime, b: datetime, seconds: float = 5) -> bool:
    return abs(a - b) < timedelta(seconds=seconds)


# -- the clock and the firing rules, without a twin ----------------------------------------------
def test_the_clock_offset_is_constant_at_real_speed_and_grows_by_what_was_advanced():
    clock = Clock()
    assert clock.offset_seconds() == 0.0
    clock.advance(timedelta(days=1, seconds=1))
    assert clock.offset_seconds() == 86401.0
    assert clock.offset_seconds() == 86401.0


def test_a_sped_up_clock_runs_ahead_of_real_time():
    clock = Clock(speed=600)
    time.sleep(0.05)
    assert clock.offset_seconds() >= 0.05 * 599
    assert close(clock.now(), datetime.now(UTC) + timedelta(seconds=clock.offset_seconds()), 1)


def test_the_clock_never_goes_backwards():
    clock = Clock()
    before = clock.now()
    with pytest.raises(ClockError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ClockError):
        clock.advance_to(before - timedelta(minutes=1))
    assert clock.advance_to(before + timedelta(hours=2)) >= before + timedelta(hours=2)


def test_missed_rate_firings_coalesce_into_the_latest_one():
    due = datetime(2026, 3, 2, 8, 5, tzinfo=UTC)
    now = due + timedelta(days=1, minutes=2, seconds=30)
    latest = latest_fire("rate(5 minutes)", due, now)
    assert latest == datetime(2026, 3, 3, 8, 5, tzinfo=UTC)
    assert next_fire("rate(5 minutes)", latest) == datetime(2026, 3, 3, 8, 10, tzinfo=UTC)


def test_missed_cron_firings_coalesce_into_the_latest_one_in_the_schedule_time_zone():
    # cron(30 2 * * ? *) in Asia/Shanghai is 18:30 UTC the day before
    expression, zone = "cron(30 2 * * ? *)", "Asia/Shanghai"
    first = next_fire(expression, datetime(2026, 3, 2, 12, 0, tzinfo=UTC), zone)
    assert first == datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
    latest = latest_fire(expression, first, first + timedelta(days=6, hours=3), zone)
    assert latest == datetime(2026, 3, 8, 18, 30, tzinfo=UTC)
    assert next_fire(expression, datetime(2026, 3, 2, 12, 0, tzinfo=UTC)) == datetime(2026, 3, 3, 2, 30, tzinfo=UTC)


# -- the twin -------------------------------------------------------------------------------------
def test_the_functions_now_moves_with_the_twin_clock(twin):
    # Given the function's now agrees with the twin's
    assert close(function_now(twin), twin.now())
    # When the twin is advanced five working days and a weekend
    new_now = twin.advance(timedelta(days=7))
    # Then the function's now is a week ahead of real time, with the twin
    seen = function_now(twin)
    assert close(seen, new_now)
    assert seen - datetime.now(UTC) > timedelta(days=7) - timedelta(seconds=5)


def test_get_clock_tells_now_speed_and_offset(twin):
    status, body = request("GET", twin.clock_url)
    assert status == 200
    assert set(body) == {"now", "speed", "offset_seconds"}
    assert body["speed"] == 1.0
    assert close(datetime.fromisoformat(body["now"]), twin.now())
    assert body["offset_seconds"] == pytest.approx(twin.clock.offset_seconds(), abs=0.01)


def test_post_clock_advances_the_twin_and_the_functions(twin):
    # Given
    before = twin.now()
    # When advanced by an hour over HTTP
    status, body = request("POST", twin.clock_url, {"advance_seconds": 3600})
    # Then the answer is the new time, and the function sees it
    assert status == 200
    answered = datetime.fromisoformat(body["now"])
    assert close(answered, before + timedelta(hours=1))
    assert close(function_now(twin), answered)

    # When advanced to a moment given with its offset
    target = (answered + timedelta(days=2)).astimezone(UTC).replace(microsecond=0)
    status, body = request("POST", twin.clock_url, {"to": target.isoformat()})
    # Then
    assert status == 200
    assert close(datetime.fromisoformat(body["now"]), target, 1)
    assert close(function_now(twin), target)


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"advance_seconds": -60}, "advance_seconds"), ({"to": "2020-01-01T00:00:00Z"}, "to")],
)
def test_post_clock_backwards_is_a_conflict_and_leaves_the_clock(twin, payload, field):
    before = twin.now()
    status, body = request("POST", twin.clock_url, payload)
    assert status == 409
    assert body["field"] == field
    assert "backwards" in body["message"]
    assert close(twin.now(), before, 1)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"not json", None),
        (b"[]", None),
        (b"{}", None),
        (b'{"advance_seconds": 1, "to": "2030-01-01T00:00:00Z"}', None),
        (b'{"advance_seconds": "60"}', "advance_seconds"),
        (b'{"advance_seconds": true}', "advance_seconds"),
        (b'{"advance_seconds": 1e300}', "advance_seconds"),
        (b'{"to": "2030-01-01T00:00:00"}', "to"),
        (b'{"to": "next tuesday"}', "to"),
    ],
)
def test_post_clock_with_a_body_it_cannot_use_is_a_bad_request(twin, raw, field):
    status, body = request("POST", twin.clock_url, raw=raw)
    assert status == 400
    assert body["field"] == field
    assert body["message"]


def test_other_methods_on_the_clock_are_not_allowed(twin):
    status, body = request("PUT", twin.clock_url, {"advance_seconds": 1})
    assert status == 405
    assert body["message"]


def test_advancing_a_day_fires_a_five_minute_schedule_once_at_the_latest_slot(twin):
    # Given every firing so far delivered, and the next slot known
    wait_for(lambda: len(scheduled_runs(twin)) == len(twin.schedules.fired))
    runs_before = len(scheduled_runs(twin))
    fired_before = len(twin.schedules.fired)
    due = twin.schedules.next_at[0]
    # When the twin jumps a day past it (289 five-minute slots), to the middle of a slot
    now = twin.advance_to(due + timedelta(days=1, minutes=2, seconds=30))
    # Then the function ran once, for the last slot before now, and saw the new now
    wait_for(lambda: len(scheduled_runs(twin)) > runs_before)
    time.sleep(0.3)  # room for any further firing to show up
    runs = scheduled_runs(twin)[runs_before:]
    fired = twin.schedules.fired[fired_before:]
    assert len(runs) == 1
    assert fired == [(NOW_FUNCTION, due + timedelta(days=1))]
    assert runs[0]["event_time"] == fired[0][1].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert close(datetime.fromisoformat(runs[0]["now"]), now)
    # and the schedule goes on from its next slot after now
    assert twin.schedules.next_at[0] == due + timedelta(days=1, minutes=5)


def worker_replies(hook: str, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the now function's worker by itself, as the twin starts it, and collect its replies."""
    code = FIXTURE.parent / "functions" / "now"
    layer = ROOT / "layers" / "shared"
    command = [sys.executable, "-m", "localtwin.worker", "--clock-hook", hook, str(code), "app.lambda_handler"]
    command.append(str(layer))
    lines = "".join(
        json.dumps({"event": {}, "request_id": f"r{i}", "deadline": time.time() + 5, **r}) + "\n"
        for i, r in enumerate(requests)
    )
    done = subprocess.run(command, input=lines, capture_output=True, text=True, timeout=30, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_worker_passes_a_changed_offset_to_the_hook_before_the_invocation():
    day = timedelta(days=1).total_seconds()
    replies = worker_replies(CLOCK_HOOK, [{"clock_offset": day}, {"clock_offset": day}, {"clock_offset": 0.0}])
    seen = [datetime.fromisoformat(json.loads(r["result"]["body"])["now"]) for r in replies]
    assert close(seen[0], datetime.now(UTC) + timedelta(days=1))
    assert close(seen[1], datetime.now(UTC) + timedelta(days=1))
    assert close(seen[2], datetime.now(UTC))


@pytest.mark.parametrize("hook", ["no_such_package.clock:set_clock_offset", "haochaping.domain.rating:no_such_hook"])
def test_a_clock_hook_the_function_cannot_import_fails_every_invocation_clearly(hook):
    replies = worker_replies(hook, [{"clock_offset": 0.0}, {"clock_offset": 60.0}])
    assert [r["ok"] for r in replies] == [False, False]
    assert {r["error_type"] for r in replies} == {"Runtime.ClockHookError"}
    assert hook in replies[0]["error_message"]


def test_a_clock_hook_name_must_name_a_module_and_a_function():
    with pytest.raises(ValueError, match="MODULE:FUNCTION"):
        LocalTwin(FIXTURE, {}, "twin-clock-bad-hook", clock_hook="haochaping.domain.rating.set_clock_offset")
