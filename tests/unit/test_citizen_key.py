"""The citizen's key 评价人密钥: derived, never stored, asked for by the verdict and the appeal;
wrong keys counted per rating and source, and a source that sent too many refused for a while."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from haochaping.domain.citizen_key import (
    CITIZEN_KEY_PATTERN,
    WRONG_KEY_PERIOD,
    WRONG_KEYS_ALLOWED,
    CitizenKeyRefused,
    TooManyWrongKeys,
    citizen_key_for,
    citizen_key_matches,
    source_of,
)
from haochaping.domain.errors import NotFound
from haochaping.domain.followup import Action, Actor, Role
from haochaping.domain.periods import period_start
from haochaping.domain.rating import tracking_code_for
from haochaping.domain.task import TaskState
from haochaping.operations import citizen, followup, ratings
from haochaping.operations.rules import Rules, rules_from
from haochaping.settings import settings_from

from tests.unit.conftest import SETTINGS_VARIABLES
from tests.unit.fakes import MemoryStores
from tests.unit.test_operations import HALL, RATED_AT, a_rating

pytestmark = pytest.mark.unit

SECRET = b"unit-test-signing-secret"
OFFICER = Actor("XQ2001", frozenset({Role.OFFICER}), HALL, "640104")
CITIZEN_ADDRESS = "203.0.113.7"
OFFICE_ADDRESS = "198.51.100.40"


@pytest.fixture
def rules() -> Rules:
    return rules_from(settings_from(SETTINGS_VARIABLES))


@pytest.fixture
def stores() -> MemoryStores:
    stores = MemoryStores()
    stores.registry.officers[HALL] = ["XQ2001"]
    return stores


# -- the key -----------------------------------------------------------------------------------


def test_the_key_is_the_same_for_the_same_submission_and_unlike_anything_else() -> None:
    # Given two submissions
    first, second = citizen_key_for("submission-0001", SECRET), citizen_key_for("submission-0002", SECRET)
    # Then each has a key of 128 bits in URL-safe characters, the same every time
    assert re.fullmatch(CITIZEN_KEY_PATTERN, first) and re.fullmatch(CITIZEN_KEY_PATTERN, second)
    assert citizen_key_for("submission-0001", SECRET) == first
    # And the keys differ between submissions, between stacks, and from the tracking code
    assert first != second
    assert citizen_key_for("submission-0001", b"another-stack-secret") != first
    assert first != tracking_code_for("submission-0001", SECRET)


@pytest.mark.parametrize(
    "given",
    [None, "", "x", "not-the-key-at-all-0000", "\udcff" * 22, "ＡＢＣ"],
    ids=["none", "empty", "short", "wrong", "surrogates", "full-width"],
)
def test_only_the_key_itself_matches(given: str | None) -> None:
    assert citizen_key_matches("submission-0001", citizen_key_for("submission-0001", SECRET), SECRET)
    assert not citizen_key_matches("submission-0001", given, SECRET)
    assert not citizen_key_matches("submission-0001", citizen_key_for("submission-0002", SECRET), SECRET)


def test_a_source_is_counted_by_a_keyed_hash_of_its_address() -> None:
    counted = source_of(CITIZEN_ADDRESS, SECRET)
    assert CITIZEN_ADDRESS not in counted and counted == source_of(CITIZEN_ADDRESS, SECRET)
    assert counted != source_of(OFFICE_ADDRESS, SECRET) != source_of(CITIZEN_ADDRESS, b"another-secret")


def test_periods_are_fixed_and_aligned() -> None:
    now = datetime(2026, 3, 10, 2, 7, 31, tzinfo=UTC)
    assert period_start(now, timedelta(minutes=15)) == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    assert period_start(now, timedelta(hours=1)) == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


# -- the receipt gives it -------------------------------------------------------------------------


def test_the_receipt_carries_the_key_of_its_submission(stores: MemoryStores) -> None:
    rating = a_rating(stores)
    receipt = ratings.receipt_for(rating, stores)
    assert receipt.citizen_key == citizen_key_for(rating.submission_id, stores.signing_secret())
    assert receipt.tracking_code == rating.tracking_code


# -- the verdict and the appeal ask for it --------------------------------------------------------


def _replied(stores: MemoryStores, rules: Rules) -> tuple[str, str]:
    """An anonymous bad review worked to feedback: its tracking code and its citizen's key."""
    rating = a_rating(stores)
    code = rating.tracking_code
    followup.open_followup(code, stores, rules, now=RATED_AT)
    now = RATED_AT + timedelta(hours=1)
    for action, text in ((Action.RESOLVE_ON_SPOT, "当场补办"), (Action.GIVE_FEEDBACK, "已当场解决")):
        version = stores.tasks.rows[code].task.version
        followup.act(OFFICER, code, action, version, stores, rules, text=text, now=now)
    return code, citizen_key_for(rating.submission_id, stores.signing_secret())


def _verdict(stores: MemoryStores, rules: Rules, code: str, key: str | None, address: str, now: datetime) -> TaskState:
    task = citizen.act(code, key, address, Action.GIVE_VERDICT, stores, rules, verdict="satisfied", now=now)
    return task.state


@pytest.mark.parametrize("key", [None, "", "aaaaaaaaaaaaaaaaaaaaaa"], ids=["missing", "empty", "wrong"])
def test_without_the_key_the_verdict_is_refused_and_the_task_unchanged(
    stores: MemoryStores, rules: Rules, key: str | None
) -> None:
    # Given a bad review replied to, whose tracking code staff know
    code, _ = _replied(stores, rules)
    before = stores.tasks.rows[code].task
    # When the verdict is posted with the tracking code alone, or a wrong key
    with pytest.raises(CitizenKeyRefused) as refused:
        _verdict(stores, rules, code, key, OFFICE_ADDRESS, RATED_AT + timedelta(hours=2))
    # Then it is refused (403) and nothing changed
    assert refused.value.code == "citizen_key_refused"
    assert stores.tasks.rows[code].task == before
    # And only a wrong key was counted, never a missing one
    assert sum(stores.wrong_keys.counts.values()) == (1 if key else 0)


def test_with_the_key_the_citizens_verdict_closes_the_task(stores: MemoryStores, rules: Rules) -> None:
    code, key = _replied(stores, rules)
    assert _verdict(stores, rules, code, key, CITIZEN_ADDRESS, RATED_AT + timedelta(hours=2)) == TaskState.CLOSED
    assert stores.tasks.rows[code].task.audit[-1].action == "give_verdict"


def test_an_unknown_tracking_code_is_404_before_any_key_is_counted(stores: MemoryStores, rules: Rules) -> None:
    with pytest.raises(NotFound):
        _verdict(stores, rules, "22222222222Z", "aaaaaaaaaaaaaaaaaaaaaa", OFFICE_ADDRESS, RATED_AT)
    assert stores.wrong_keys.counts == {}


def test_a_source_that_sent_too_many_wrong_keys_is_refused_until_its_period_ends_and_no_one_else_is(
    stores: MemoryStores, rules: Rules
) -> None:
    # Given an office that sent the allowed number of wrong keys for a rating
    code, key = _replied(stores, rules)
    now = period_start(RATED_AT + timedelta(hours=3), WRONG_KEY_PERIOD) + timedelta(minutes=1)
    for _ in range(WRONG_KEYS_ALLOWED):
        with pytest.raises(CitizenKeyRefused):
            _verdict(stores, rules, code, "aaaaaaaaaaaaaaaaaaaaaa", OFFICE_ADDRESS, now)
    # When it sends any key again in the period, even the right one
    with pytest.raises(TooManyWrongKeys) as limited:
        _verdict(stores, rules, code, key, OFFICE_ADDRESS, now)
    # Then it is 429 until the period ends, and nothing more is counted
    assert limited.value.retry_after_seconds == int((WRONG_KEY_PERIOD - timedelta(minutes=1)).total_seconds()) + 1
    assert sum(stores.wrong_keys.counts.values()) == WRONG_KEYS_ALLOWED
    # And the citizen, from their own address, is not locked out of their own verdict
    assert _verdict(stores, rules, code, key, CITIZEN_ADDRESS, now) == TaskState.CLOSED


def test_the_lock_ends_with_its_period(stores: MemoryStores, rules: Rules) -> None:
    code, key = _replied(stores, rules)
    now = period_start(RATED_AT + timedelta(hours=3), WRONG_KEY_PERIOD)
    for _ in range(WRONG_KEYS_ALLOWED):
        with pytest.raises(CitizenKeyRefused):
            _verdict(stores, rules, code, "aaaaaaaaaaaaaaaaaaaaaa", OFFICE_ADDRESS, now)
    assert _verdict(stores, rules, code, key, OFFICE_ADDRESS, now + WRONG_KEY_PERIOD) == TaskState.CLOSED


def test_only_the_citizens_moves_go_through_the_key(stores: MemoryStores, rules: Rules) -> None:
    code, key = _replied(stores, rules)
    with pytest.raises(ValueError, match="not a citizen's move"):
        citizen.act(code, key, CITIZEN_ADDRESS, Action.CLOSE, stores, rules)
