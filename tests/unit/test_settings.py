"""The function's settings: every variable from the template, or a clear error naming it."""

from __future__ import annotations

import pytest
from haochaping.settings import SettingsError, get_settings

pytestmark = pytest.mark.unit

REQUIRED = [
    "DIVISION_CODE",
    "DIVISION_NAME",
    "DIVISION_LEVEL",
    "PUBLIC_BASE_URL",
    "RATINGS_TABLE",
    "REGISTRY_TABLE",
    "SCORES_TABLE",
    "SIGNING_SECRET_NAME",
    "PERSONAL_DATA_KEY_ID",
    "FIRST_CONTACT_WORKING_DAYS",
    "RECTIFICATION_WORKING_DAYS",
    "RATING_COOLDOWN_MINUTES",
    "FOLLOW_UP_RATING_DAYS",
    "TICKET_VALIDITY_HOURS",
    "CALL_BACK_ATTEMPTS",
    "CALL_BACK_ATTEMPT_WORKING_DAYS",
    "DISSATISFIED_REOPENINGS",
]


def test_settings_are_read_from_the_environment(settings_env: dict[str, str]) -> None:
    # Given every variable the template sets
    # When reading the settings
    settings = get_settings()
    # Then each is there, numbers as numbers
    assert settings.division_code == "640104"
    assert settings.division_name == "兴庆区"
    assert settings.division_level == "county"
    assert settings.public_base_url == "https://haochaping-640104.yinchuan.example"
    assert settings.ratings_table == settings_env["RATINGS_TABLE"]
    assert settings.registry_table == settings_env["REGISTRY_TABLE"]
    assert settings.scores_table == settings_env["SCORES_TABLE"]
    assert settings.signing_secret_name == "haochaping/640104/signing"
    assert settings.personal_data_key_id == settings_env["PERSONAL_DATA_KEY_ID"]
    assert settings.first_contact_working_days == 1
    assert settings.rectification_working_days == 5
    assert settings.rating_cooldown_minutes == 10
    assert settings.follow_up_rating_days == 15
    assert settings.ticket_validity_hours == 24
    assert settings.call_back_attempts == 3
    assert settings.call_back_attempt_working_days == 2
    assert settings.dissatisfied_reopenings == 1


def test_a_cooldown_of_zero_minutes_is_allowed(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a district that lets a device rate a window again at once
    monkeypatch.setenv("RATING_COOLDOWN_MINUTES", "0")
    # When reading the settings
    settings = get_settings()
    # Then zero is accepted (the template's MinValue is 0)
    assert settings.rating_cooldown_minutes == 0


def test_settings_are_read_once_per_execution_environment(
    settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given settings already read
    first = get_settings()
    # When a variable changes afterwards
    monkeypatch.setenv("RATINGS_TABLE", "another-table")
    # Then the cached settings are returned until the cache is cleared
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().ratings_table == "another-table"


@pytest.mark.parametrize("missing", REQUIRED)
def test_a_missing_variable_is_named(
    settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    # Given every variable but one
    monkeypatch.delenv(missing)
    get_settings.cache_clear()
    # When reading the settings
    with pytest.raises(SettingsError) as raised:
        get_settings()
    # Then the error names exactly that variable as missing
    assert f"{missing} (missing)" in str(raised.value)
    others = [name for name in REQUIRED if name != missing]
    assert not any(name in str(raised.value) for name in others)


def test_all_missing_variables_are_named_at_once(no_settings_env: None) -> None:
    # Given none of the variables
    # When reading the settings
    with pytest.raises(SettingsError) as raised:
        get_settings()
    # Then every one is named
    for name in REQUIRED:
        assert name in str(raised.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DIVISION_CODE", "64010"),
        ("DIVISION_CODE", "6401040"),
        ("DIVISION_CODE", "64010400"),
        ("DIVISION_CODE", "6401040010"),
        ("DIVISION_CODE", "yinchuan"),
        ("DIVISION_LEVEL", "province"),
        ("DIVISION_LEVEL", "township"),  # with the 6-digit code of the fixture
        ("FIRST_CONTACT_WORKING_DAYS", "0"),
        ("FIRST_CONTACT_WORKING_DAYS", "one"),
        ("RECTIFICATION_WORKING_DAYS", "-5"),
        ("RATING_COOLDOWN_MINUTES", "-1"),
        ("FOLLOW_UP_RATING_DAYS", "0"),
        ("TICKET_VALIDITY_HOURS", "a day"),
        ("CALL_BACK_ATTEMPTS", "0"),
        ("CALL_BACK_ATTEMPT_WORKING_DAYS", "0"),
        ("DISSATISFIED_REOPENINGS", "-1"),
        ("DISSATISFIED_REOPENINGS", "once"),
    ],
)
def test_an_unusable_value_is_named(
    settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    # Given one variable with a value that cannot be used
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    # When reading the settings
    with pytest.raises(SettingsError) as raised:
        get_settings()
    # Then the error names that variable, not as missing
    assert variable in str(raised.value)
    assert f"{variable} (missing)" not in str(raised.value)


def test_a_failed_read_is_not_cached(no_settings_env: None, request: pytest.FixtureRequest) -> None:
    # Given a first read that failed for lack of variables
    with pytest.raises(SettingsError):
        get_settings()
    # When the variables are set afterwards
    request.getfixturevalue("settings_env")
    settings = get_settings()
    # Then the next read succeeds
    assert settings.division_code == "640104"


def test_a_township_has_a_nine_digit_code(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a street of 兴庆区, as the template sets it: the county's 6 digits and its own 3
    monkeypatch.setenv("DIVISION_CODE", "640104001")
    monkeypatch.setenv("DIVISION_NAME", "凤凰北街街道")
    monkeypatch.setenv("DIVISION_LEVEL", "township")
    monkeypatch.setenv("SIGNING_SECRET_NAME", "haochaping/640104001/signing")
    get_settings.cache_clear()
    # When reading the settings
    settings = get_settings()
    # Then the whole code is the division's
    assert (settings.division_code, settings.division_level) == ("640104001", "township")
    assert settings.signing_secret_name == "haochaping/640104001/signing"


@pytest.mark.parametrize("level", ["city", "county"])
def test_a_nine_digit_code_is_refused_for_a_city_or_county(
    settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, level: str
) -> None:
    # Given a 9-digit code with a city's or county's level
    monkeypatch.setenv("DIVISION_CODE", "640104001")
    monkeypatch.setenv("DIVISION_LEVEL", level)
    get_settings.cache_clear()
    # When reading the settings
    with pytest.raises(SettingsError) as raised:
        get_settings()
    # Then the level is named as not fitting the code, and the code itself is not blamed
    message = str(raised.value)
    assert f"DIVISION_LEVEL (Value error, {level} does not fit the 9-digit DIVISION_CODE 640104001)" in message
    assert "DIVISION_CODE (" not in message


def test_an_unusable_code_is_named_alone_and_the_level_not_judged_against_it(
    settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a code of neither 6 nor 9 digits, with a township's level
    monkeypatch.setenv("DIVISION_CODE", "64010400")
    monkeypatch.setenv("DIVISION_LEVEL", "township")
    get_settings.cache_clear()
    # When reading the settings
    with pytest.raises(SettingsError) as raised:
        get_settings()
    # Then only the code is named
    assert "DIVISION_CODE (" in str(raised.value)
    assert "DIVISION_LEVEL" not in str(raised.value)


def test_no_reopening_on_a_dissatisfied_verdict_is_allowed(
    settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a district whose 不满意 verdicts never reopen a fix
    monkeypatch.setenv("DISSATISFIED_REOPENINGS", "0")
    get_settings.cache_clear()
    # When reading the settings
    # Then zero is accepted
    assert get_settings().dissatisfied_reopenings == 0
