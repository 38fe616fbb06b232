"""Schedules (EventBridge Scheduler and scheduled rules) fired on the twin's clock.

When the clock jumps past several firings of one schedule (advanced by hand, or a sped-up
clock outrunning a slow function), those missed firings coalesce into one: the function is
invoked once, with the event time of the latest missed firing, and the schedule continues from
its next firing after now. That is what EventBridge Scheduler would have delivered last; a
sweep that looks at "everything due by now" then does the work of all the missed runs at once,
and advancing a week costs one invocation per schedule instead of thousands.

A cron expression with a ``ScheduleExpressionTimezone`` (EventBridge Scheduler) is read in that
zone; scheduled rules, like EventBridge's, are always UTC.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aws_croniter.aws_croniter import AwsCroniter

from localtwin.clock import Clock
from localtwin.functions import FunctionPool, InvocationError
from localtwin.template import Schedule

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
NEVER = datetime.max.replace(tzinfo=UTC)  # a cron whose last year has passed


def _rate(expression: str) -> timedelta | None:
    rate = _RATE.match(expression.strip())
    if not rate:
        return None
    amount, unit = int(rate.group(1)), rate.group(2).rstrip("s")
    return timedelta(**{f"{unit}s": amount})


def _cron(expression: str) -> AwsCroniter:
    if expression.startswith("cron(") and expression.endswith(")"):
        return AwsCroniter(expression[5:-1])
    raise ValueError(f"unsupported schedule expression: {expression}")


def _as_wall_time(moment: datetime, zone: ZoneInfo | None) -> datetime:
    # aws_croniter works in UTC only: read the zone's wall-clock time as if it were UTC.
    return moment if zone is None else moment.astimezone(zone).replace(tzinfo=UTC)


def _from_wall_time(moment: datetime | None, zone: ZoneInfo | None) -> datetime:
    if moment is None:
        return NEVER
    return moment if zone is None else moment.replace(tzinfo=zone).astimezone(UTC)


def next_fire(expression: str, after: datetime, timezone: str | None = None) -> datetime:
    """The first moment strictly after ``after`` at which the expression fires."""
    period = _rate(expression)
    if period is not None:
        return after + period
    zone = ZoneInfo(timezone) if timezone else None
    wall = _as_wall_time(after.replace(microsecond=0), zone)
    return _from_wall_time(_cron(expression).get_next(wall, n=1)[0], zone)


def latest_fire(expression: str, due: datetime, now: datetime, timezone: str | None = None) -> datetime:
    """The latest firing at or before ``now``, given ``due``, a firing at or before ``now``."""
    period = _rate(expression)
    if period is not None:
        return due + period * ((now - due) // period)
    zone = ZoneInfo(timezone) if timezone else None
    wall = _as_wall_time(now.replace(microsecond=0), zone)
    latest = _from_wall_time(_cron(expression).get_prev(wall, n=1, inclusive=True)[0], zone)
    return latest if due <= latest <= now else due


class ScheduleDriver(threading.Thread):
    def __init__(
        self, schedules: list[Schedule], functions: FunctionPool, clock: Clock, account: str, region: str
    ) -> None:
        super().__init__(daemon=True, name="schedules")
        self.schedules = [s for s in schedules if s.enabled]
        self.functions = functions
        self.clock = clock
        self.account = account
        self.region = region
        self.stopping = threading.Event()
        self.wake = threading.Event()
        now = clock.now()
        self.next_at = {i: next_fire(s.expression, now, s.timezone) for i, s in enumerate(self.schedules)}
        self.fired: list[tuple[str, datetime]] = []

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def poke(self) -> None:
        """Re-read the clock now (after it was advanced)."""
        self.wake.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.clear()  # before reading the clock, so a poke from now on is never lost
            now = self.clock.now()
            for index, schedule in enumerate(self.schedules):
                due = self.next_at[index]
                if due > now or self.stopping.is_set():
                    continue
                # Every firing missed up to now is one firing, at the latest one's time.
                latest = latest_fire(schedule.expression, due, now, schedule.timezone)
                self.next_at[index] = next_fire(schedule.expression, latest, schedule.timezone)
                self._fire(schedule, latest)
            if not self.next_at:
                self.wake.wait(1.0)
            else:
                soonest = min(self.next_at.values())
                self.wake.wait(min(1.0, self.clock.real_seconds_until(soonest)))

    def _fire(self, schedule: Schedule, at: datetime) -> None:
        event: Any
        if schedule.input is not None:
            event = json.loads(schedule.input)
        else:
            event = {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": self.account,
                "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": self.region,
                "resources": [],
                "detail": {},
            }
        self.fired.append((schedule.function, at))
        # A failed scheduled run is in the function's log; the next run still comes.
        with contextlib.suppress(InvocationError):
            self.functions.invoke(schedule.function, event)


class RuleRouter(threading.Thread):
    """Delivers events that moto matched to an EventBridge rule to the rule's function."""

    def __init__(self, rule_queues: list[tuple[str, str | None, str]], functions: FunctionPool, sqs: Any) -> None:
        super().__init__(daemon=True, name="rules")
        self.rule_queues = rule_queues  # (function, constant input, queue url)
        self.functions = functions
        self.sqs = sqs
        self.stopping = threading.Event()
        self.delivered = 0

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            worked = False
            for function, constant, queue_url in self.rule_queues:
                try:
                    messages = self.sqs.receive_message(
                        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
                    ).get("Messages", [])
                except Exception:  # moto stopping; try again or stop
                    messages = []
                for message in messages:
                    worked = True
                    event = json.loads(constant) if constant is not None else json.loads(message["Body"])
                    try:
                        self.functions.invoke(function, event)
                        self.delivered += 1
                    except InvocationError:
                        continue  # left on the queue: EventBridge retries asynchronous invokes too
                    self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            if not worked:
                self.stopping.wait(0.1)
