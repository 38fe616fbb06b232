"""Schedules (EventBridge Scheduler and scheduled rules) fired on the twin's clock."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from aws_croniter.aws_croniter import AwsCroniter

from localtwin.clock import Clock
from localtwin.functions import FunctionPool, InvocationError
from localtwin.template import Schedule

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")


def next_fire(expression: str, after: datetime) -> datetime:
    """The first moment strictly after ``after`` at which the expression fires."""
    rate = _RATE.match(expression.strip())
    if rate:
        amount, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        return after + timedelta(**{f"{unit}s": amount})
    if expression.startswith("cron(") and expression.endswith(")"):
        return AwsCroniter(expression[5:-1]).get_next(after.replace(microsecond=0), n=1)[0]
    raise ValueError(f"unsupported schedule expression: {expression}")


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
        self.next_at = {i: next_fire(s.expression, now) for i, s in enumerate(self.schedules)}
        self.fired: list[tuple[str, datetime]] = []

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def poke(self) -> None:
        """Re-read the clock now (after it was advanced)."""
        self.wake.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            now = self.clock.now()
            for index, schedule in enumerate(self.schedules):
                # A clock advanced past several firings fires each of them, in order.
                while self.next_at[index] <= now and not self.stopping.is_set():
                    self._fire(schedule, self.next_at[index])
                    self.next_at[index] = next_fire(schedule.expression, self.next_at[index])
            if not self.next_at:
                self.wake.wait(1.0)
            else:
                soonest = min(self.next_at.values())
                self.wake.wait(min(1.0, self.clock.real_seconds_until(soonest)))
            self.wake.clear()

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
