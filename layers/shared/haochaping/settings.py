"""The function's settings, read once per execution environment from its variables.

Every variable is declared in template.yaml (Globals); a missing one fails the first
invocation with a message naming it, instead of a KeyError deep inside a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

# 行政区划代码: 6 digits for a city or county/district, 9 (the county's 6 and 3) for a township or street.
DIVISION_CODE_PATTERN = r"^(\d{6}|\d{9})$"
TOWNSHIP_CODE_LENGTH = 9


class SettingsError(RuntimeError):
    """The execution environment lacks a variable the template should have set."""


class Settings(BaseModel):
    """One field per variable, named as the variable in lower case."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    division_code: str = Field(pattern=DIVISION_CODE_PATTERN)
    division_name: str
    division_level: Literal["city", "county", "township"]
    public_base_url: str
    ratings_table: str
    registry_table: str
    scores_table: str
    follow_up_queue_url: str
    officer_topic_arn: str
    report_topic_arn: str
    staff_user_pool_id: str
    staff_user_pool_client_id: str
    appeal_period_days: int = Field(ge=1)
    call_back_attempts: int = Field(ge=1)  # unsuccessful call-backs before unreachable 多次回访未果
    call_back_attempt_working_days: int = Field(ge=1)  # ... on at least this many working days
    dissatisfied_reopenings: int = Field(ge=0)  # 不满意 reopens a fix this many times
    personal_data_retention_days: int = Field(ge=1)
    signing_secret_name: str
    personal_data_key_id: str
    first_contact_working_days: int = Field(ge=1)
    rectification_working_days: int = Field(ge=1)
    rating_cooldown_minutes: int = Field(ge=0)
    follow_up_rating_days: int = Field(ge=1)
    ticket_validity_hours: int = Field(ge=1)
    # 疑似刷评: ratings of one window from one source in one period before the rest are held for review
    rating_budget_minutes: int = Field(ge=1)
    rating_budget_per_address: int = Field(ge=1)
    rating_budget_per_device: int = Field(ge=1)
    escalation_queue_url: str
    escalation_topic_arn: str
    reminder_working_days: int = Field(ge=1)  # before a deadline 到期提醒
    bureau_escalation_working_days: int = Field(ge=1)  # after the deadline 区局督办
    city_escalation_working_days: int = Field(ge=1)  # after the bureau 市级督办
    ranking_minimum_sample: int = Field(ge=1)  # valid ratings a unit needs to be ranked
    red_list_size: int = Field(ge=0)  # units of each kind on the 红榜
    unit_supervision_bad_reviews: int = Field(ge=1)  # valid bad reviews in a month: a unit is 重点对象
    staff_supervision_bad_reviews: int = Field(ge=1)  # the same for a staff member (internal)
    deduction_points: Decimal = Field(ge=0)  # performance points per verified bad review 绩效扣分
    repeated_bad_reviews: int = Field(ge=1)  # verified bad reviews: on the 组织部门 list
    published_bucket: str  # where publish_results writes published/ 结果公示
    publication_topic_arn: str  # told when results are published

    @field_validator("division_level")
    @classmethod
    def _level_fits_the_code(cls, level: str, info: ValidationInfo) -> str:
        """A 9-digit code is a township's or street's, a 6-digit one a city's or county's."""
        code = info.data.get("division_code")  # absent when the code itself is unusable (named on its own)
        if code is not None and (len(code) == TOWNSHIP_CODE_LENGTH) != (level == "township"):
            raise ValueError(f"{level} does not fit the {len(code)}-digit DIVISION_CODE {code}")
        return level


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
