"""The function's settings, read once per execution environment from its variables.

Every variable is declared in template.yaml (Globals); a missing one fails the first
invocation with a message naming it, instead of a KeyError deep inside a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SettingsError(RuntimeError):
    """The execution environment lacks a variable the template should have set."""


class Settings(BaseModel):
    """One field per variable, named as the variable in lower case."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    division_code: str = Field(pattern=r"^\d{6}$")
    division_name: str
    division_level: str
    public_base_url: str
    ratings_table: str
    registry_table: str
    follow_up_queue_url: str
    officer_topic_arn: str
    report_topic_arn: str
    staff_user_pool_id: str
    staff_user_pool_client_id: str
    appeal_period_days: int = Field(ge=1)
    personal_data_retention_days: int = Field(ge=1)
    signing_secret_name: str
    personal_data_key_id: str
    first_contact_working_days: int = Field(ge=1)
    rectification_working_days: int = Field(ge=1)
    rating_cooldown_minutes: int = Field(ge=0)
    follow_up_rating_days: int = Field(ge=1)
    ticket_validity_hours: int = Field(ge=1)
    escalation_queue_url: str
    escalation_topic_arn: str
    reminder_working_days: int = Field(ge=1)  # before a deadline 到期提醒
    bureau_escalation_working_days: int = Field(ge=1)  # after the deadline 区局督办
    city_escalation_working_days: int = Field(ge=1)  # after the bureau 市级督办


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return settings_from(os.environ)
    except ValidationError as error:
        problems = ", ".join(
            f"{str(e['loc'][0]).upper()} ({'missing' if e['type'] == 'missing' else e['msg']})" for e in error.errors()
        )
        raise SettingsError(f"environment variables not usable: {problems}") from None


def settings_from(environment: Mapping[str, str]) -> Settings:
    """The settings from variables such as ``DIVISION_CODE``; numbers arrive as text and are parsed."""
    return Settings.model_validate(
        {name: environment[name.upper()] for name in Settings.model_fields if name.upper() in environment}
    )
