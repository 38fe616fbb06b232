"""Unit tier: pure rules and the HTTP error shapes, with no AWS and no network at all.

Every test runs with sockets refused and recorded: a connection attempt raises at once and,
in case something swallows the error, fails the test at teardown. AWS endpoints and
credentials are replaced by values that cannot reach anything.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from haochaping.wiring import forget

from tests.conftest import use_offline_aws

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"

SETTINGS_VARIABLES = {
    "DIVISION_CODE": "640104",
    "DIVISION_NAME": "兴庆区",
    "DIVISION_LEVEL": "county",
    "PUBLIC_BASE_URL": "https://haochaping-640104.yinchuan.example",
    "RATINGS_TABLE": "haochaping-640104-RatingsTable-UNIT",
    "REGISTRY_TABLE": "haochaping-640104-RegistryTable-UNIT",
    "SCORES_TABLE": "haochaping-640104-ScoresTable-UNIT",
    "SIGNING_SECRET_NAME": "haochaping/640104/signing",
    "PERSONAL_DATA_KEY_ID": "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
    "FIRST_CONTACT_WORKING_DAYS": "1",
    "RECTIFICATION_WORKING_DAYS": "5",
    "RATING_COOLDOWN_MINUTES": "10",
    "FOLLOW_UP_RATING_DAYS": "15",
    "TICKET_VALIDITY_HOURS": "24",
    "RATING_BUDGET_MINUTES": "60",
    "RATING_BUDGET_PER_ADDRESS": "60",
    "RATING_BUDGET_PER_DEVICE": "3",
    "FOLLOW_UP_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/unit-follow-up",
    "OFFICER_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:unit-officers",
    "REPORT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:unit-reports",
    "STAFF_USER_POOL_ID": "us-east-1_UnitPool0",
    "STAFF_USER_POOL_CLIENT_ID": "unitclient0000000000000000",
    "APPEAL_PERIOD_DAYS": "15",
    "CALL_BACK_ATTEMPTS": "3",
    "CALL_BACK_ATTEMPT_WORKING_DAYS": "2",
    "DISSATISFIED_REOPENINGS": "1",
    "PERSONAL_DATA_RETENTION_DAYS": "180",
    "ESCALATION_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/unit-escalation",
    "ESCALATION_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:unit-escalations",
    "REMINDER_WORKING_DAYS": "1",
    "BUREAU_ESCALATION_WORKING_DAYS": "2",
    "CITY_ESCALATION_WORKING_DAYS": "3",
    "RANKING_MINIMUM_SAMPLE": "30",
    "RED_LIST_SIZE": "10",
    "UNIT_SUPERVISION_BAD_REVIEWS": "3",
    "STAFF_SUPERVISION_BAD_REVIEWS": "2",
    "DEDUCTION_POINTS": "2",
    "REPEATED_BAD_REVIEWS": "2",
    "PUBLISHED_BUCKET": "haochaping-640104-publishedbucket-unit",
    "PUBLICATION_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:unit-publication",
}


class NetworkAccessInUnitTest(RuntimeError):
    """A unit test tried to open a connection."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Refuse every socket connection; the yielded list holds the addresses that were tried."""
    attempts: list[Any] = []

    connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    # Only the test's own thread is refused: a twin that another tier left running in this
    # process keeps its background threads, which are not the unit under test.
    def refuse(self: socket.socket, address: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return connect(self, address)
        attempts.append(address)
        raise NetworkAccessInUnitTest(f"unit tests must not use the network (tried to connect to {address!r})")

    def refuse_ex(self: socket.socket, address: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return connect_ex(self, address)
        return refuse(self, address)

    def refuse_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return getaddrinfo(host, *args, **kwargs)
        attempts.append(host)
        raise NetworkAccessInUnitTest(f"unit tests must not use the network (tried to resolve {host!r})")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse_ex)
    monkeypatch.setattr(socket, "getaddrinfo", refuse_lookup)
    yield attempts
    assert attempts == [], f"a unit test tried to use the network: {attempts!r}"


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No endpoint, profile or real credential can be picked up by an accidental AWS call."""
    use_offline_aws(monkeypatch, tmp_path)
    forget()
    yield
    forget()


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The variables the template's Globals set, with sample values for 兴庆区."""
    for name, value in SETTINGS_VARIABLES.items():
        monkeypatch.setenv(name, value)
    return dict(SETTINGS_VARIABLES)


@pytest.fixture
def no_settings_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the settings variables is set."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    forget()


@dataclass
class LambdaContextStub:
    """What Powertools reads from the Lambda context object."""

    function_name: str = "haochaping-640104-SubmitRatingFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:haochaping-640104-SubmitRatingFunction"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "6f1c2b7d-9e0a-4c5b-8d7e-8f90a1b2c3d4"
    log_group_name: str = "/aws/lambda/haochaping-640104-SubmitRatingFunction"
    log_stream_name: str = "2026/11/26/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@pytest.fixture
def lambda_context() -> LambdaContextStub:
    return LambdaContextStub()


@pytest.fixture
def load_event() -> Callable[[str], dict[str, Any]]:
    """A fresh copy of a sample event from events/, e.g. ``load_event("submit_rating/post_rating.json")``."""

    def load(relative: str) -> dict[str, Any]:
        return json.loads((EVENTS / relative).read_text(encoding="utf-8"))

    return load
