"""utc_now() is real time unless the local twin set its clock offset in this process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from haochaping.domain import rating
from haochaping.domain.rating import set_clock_offset, utc_now

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def real_time_afterwards() -> Iterator[None]:
    yield
    set_clock_offset(0)


def test_utc_now_is_real_time_when_nothing_set_an_offset():
    # Given a fresh process's offset (as on AWS)
    assert rating._clock_offset == timedelta(0)
    # When
    before = datetime.now(UTC)
    now = utc_now()
    # Then
    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)


def test_utc_now_runs_ahead_by_the_offset_the_twin_set():
    # Given the twin's clock five working days and a weekend ahead
    set_clock_offset(timedelta(days=7).total_seconds())
    # When
    before = datetime.now(UTC)
    now = utc_now()
    # Then
    assert before + timedelta(days=7) <= now <= datetime.now(UTC) + timedelta(days=7)


def test_a_zero_offset_brings_real_time_back():
    set_clock_offset(3600.5)
    set_clock_offset(0)
    assert abs(utc_now() - datetime.now(UTC)) < timedelta(seconds=1)
