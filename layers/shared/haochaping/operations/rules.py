"""The district's rules, built from its settings: every operation reads them here.

Deadlines, the escalation ladder, the rating rules, the appeal period, the call-back after the fix
and how long personal data is kept are set per stack (template parameters); this is the one place
they become domain values.
Each is built when first asked for, so a function imports only the rules it uses (the rating
form never loads the working-day calendar).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from haochaping.settings import Settings

if TYPE_CHECKING:
    from haochaping.domain.calendar import WorkingCalendar
    from haochaping.domain.escalation import Ladder, TaskDeadlines
    from haochaping.domain.followup import CallBackRules
    from haochaping.domain.rankings import AssessmentRules
    from haochaping.domain.submission import RatingRules
    from haochaping.domain.task import Step, Task


@dataclass(frozen=True)
class Rules:
    settings: Settings

    @cached_property
    def rating(self) -> RatingRules:
        from haochaping.domain.submission import RatingRules
        from haochaping.domain.suspicion import FloodRules

        return RatingRules(
            division_code=self.settings.division_code,
            cooldown=timedelta(minutes=self.settings.rating_cooldown_minutes),
            follow_up_period=timedelta(days=self.settings.follow_up_rating_days),
            ticket_validity=timedelta(hours=self.settings.ticket_validity_hours),
            floods=FloodRules(
                period=timedelta(minutes=self.settings.rating_budget_minutes),
                per_address=self.settings.rating_budget_per_address,
                per_device=self.settings.rating_budget_per_device,
            ),
        )

    @cached_property
    def ladder(self) -> Ladder:
        from haochaping.domain.escalation import Ladder

        return Ladder(
            reminder_working_days_before=self.settings.reminder_working_days,
            bureau_after_working_days=self.settings.bureau_escalation_working_days,
            city_after_working_days=self.settings.city_escalation_working_days,
        )

    @cached_property
    def assessment(self) -> AssessmentRules:
        """Rankings and lists: the minimum sample, the 红榜's size, the 重点对象 thresholds, deductions."""
        from haochaping.domain.rankings import AssessmentRules

        return AssessmentRules(
            minimum_sample=self.settings.ranking_minimum_sample,
            red_list_size=self.settings.red_list_size,
            unit_supervision_bad_reviews=self.settings.unit_supervision_bad_reviews,
            staff_supervision_bad_reviews=self.settings.staff_supervision_bad_reviews,
            deduction_points=self.settings.deduction_points,
            repeated_bad_reviews=self.settings.repeated_bad_reviews,
        )

    @property
    def first_contact_working_days(self) -> int:  # 首次联系
        return self.settings.first_contact_working_days

    @property
    def rectification_working_days(self) -> int:  # 整改
        return self.settings.rectification_working_days

    @property
    def appeal_period(self) -> timedelta:  # 申诉期
        return timedelta(days=self.settings.appeal_period_days)

    @cached_property
    def call_back(self) -> CallBackRules:  # 回访: attempts before unreachable, reopenings on 不满意
        from haochaping.domain.followup import CallBackRules

        return CallBackRules(
            attempts=self.settings.call_back_attempts,
            attempt_working_days=self.settings.call_back_attempt_working_days,
            reopenings=self.settings.dissatisfied_reopenings,
        )

    @property
    def personal_data_retention(self) -> timedelta:
        return timedelta(days=self.settings.personal_data_retention_days)

    @property
    def public_base_url(self) -> str:
        return self.settings.public_base_url

    def deadlines(self, calendar: WorkingCalendar, since: datetime) -> TaskDeadlines:
        """A task's first-contact and rectification deadlines, counted from ``since``."""
        from haochaping.domain.escalation import count_deadlines

        return count_deadlines(calendar, since, self.first_contact_working_days, self.rectification_working_days)

    def recount(self, task: Task, calendar: WorkingCalendar, now: datetime) -> Task:
        """A provisionally counted task counted again on the calendar as it is now."""
        from haochaping.domain.escalation import recount_deadlines

        return recount_deadlines(task, calendar, self.first_contact_working_days, self.rectification_working_days, now)

    def step_ahead(self, task: Task, calendar: WorkingCalendar) -> Step | None:
        """The task's next escalation step, which decides its place in the EscalationDue index."""
        from haochaping.domain.escalation import next_step

        return next_step(task, self.ladder, calendar)

    def console_link(self, tracking_code: str) -> str:
        """Where staff open a task: the link a notice carries instead of any personal data."""
        return f"{self.public_base_url.rstrip('/')}/console#task={tracking_code}"


def rules_from(settings: Settings) -> Rules:
    return Rules(settings)
