"""The district's rules, built once from its settings: every operation reads them here.

Deadlines, the escalation ladder, the rating rules, the appeal period and how long personal data
is kept are set per stack (template parameters); this is the one place they become domain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from haochaping.domain.calendar import WorkingCalendar
from haochaping.domain.escalation import Ladder, TaskDeadlines, count_deadlines, next_step, recount_deadlines
from haochaping.domain.submission import RatingRules
from haochaping.domain.task import Step, Task
from haochaping.settings import Settings


@dataclass(frozen=True)
class Rules:
    rating: RatingRules
    ladder: Ladder
    first_contact_working_days: int  # 首次联系
    rectification_working_days: int  # 整改
    appeal_period: timedelta  # 申诉期
    personal_data_retention: timedelta
    public_base_url: str

    def deadlines(self, calendar: WorkingCalendar, since: datetime) -> TaskDeadlines:
        """A task's first-contact and rectification deadlines, counted from ``since``."""
        return count_deadlines(calendar, since, self.first_contact_working_days, self.rectification_working_days)

    def recount(self, task: Task, calendar: WorkingCalendar, now: datetime) -> Task:
        """A provisionally counted task counted again on the calendar as it is now."""
        return recount_deadlines(task, calendar, self.first_contact_working_days, self.rectification_working_days, now)

    def step_ahead(self, task: Task, calendar: WorkingCalendar) -> Step | None:
        """The task's next escalation step, which decides its place in the EscalationDue index."""
        return next_step(task, self.ladder, calendar)

    def console_link(self, tracking_code: str) -> str:
        """Where staff open a task: the link a notice carries instead of any personal data."""
        return f"{self.public_base_url.rstrip('/')}/console#task={tracking_code}"


def rules_from(settings: Settings) -> Rules:
    return Rules(
        rating=RatingRules(
            division_code=settings.division_code,
            cooldown=timedelta(minutes=settings.rating_cooldown_minutes),
            follow_up_period=timedelta(days=settings.follow_up_rating_days),
            ticket_validity=timedelta(hours=settings.ticket_validity_hours),
        ),
        ladder=Ladder(
            reminder_working_days_before=settings.reminder_working_days,
            bureau_after_working_days=settings.bureau_escalation_working_days,
            city_after_working_days=settings.city_escalation_working_days,
        ),
        first_contact_working_days=settings.first_contact_working_days,
        rectification_working_days=settings.rectification_working_days,
        appeal_period=timedelta(days=settings.appeal_period_days),
        personal_data_retention=timedelta(days=settings.personal_data_retention_days),
        public_base_url=settings.public_base_url,
    )
