"""The citizen's pages: the one-tap form, the receipt and status page, and the error page.

One request each: styles, faces and the small script are inline, nothing comes from other
hosts, and every control works without JavaScript (the script only saves a round trip).
The templates (web/templates) escape every value given to them: nothing the citizen or a
registry file supplied is ever read as HTML.

The status page says what the task records, step by step: each step is done (with the day it
was done, from the audit trail), in progress, or still to come (with the day it is due by).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from haochaping.domain.rating import CHINA_TIME, Level, Rating, utc_now
from haochaping.domain.registry import TagSet, WindowEntry
from haochaping.domain.suspicion import Review
from haochaping.domain.task import DeadlineKind, Task, TaskState, Verdict
from haochaping.web.i18n import LEVEL_NAMES, TEXT, VERDICT_NAMES, error_message, field_name, field_problem
from haochaping.web.render import render

if TYPE_CHECKING:
    from haochaping.domain.escalation import TaskDeadlines

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FIXES = {
    TaskState.RESOLVED_ON_SPOT: "resolve_on_spot",
    TaskState.RECTIFIED: "mark_rectified",
    TaskState.EXPLAINED: "explain",
}
# The form's fields by the name a problem gives them, and the control a problem list links to.
FORM_CONTROLS = {
    "level": "faces",
    "tags": "tags",
    "comment": "comment",
    "evaluator": "ev-name",
    "evaluator.name": "ev-name",
    "evaluator.phone": "ev-phone",
    "evaluator.consent": "ev-consent",
}


CALL_BACK_FIELDS = ("evaluator.name", "evaluator.phone", "evaluator.consent")


def _other(lang: str) -> str:
    return "en" if lang == "zh" else "zh"


def _named(lang: str, name: str, name_en: str) -> str:
    return name_en if lang == "en" and name_en else name


def day_text(lang: str, day: date) -> str:
    """A day as the page's language writes it."""
    return (
        f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    )


@dataclass(frozen=True, slots=True)
class Problem:
    """One field's problem as the page shows it: the field in words, what is wrong, where it is."""

    field: str
    label: str
    message: str
    control: str | None = None


def problems_for(lang: str, problems: Sequence[tuple[str, str]]) -> list[Problem]:
    """(field, kind) pairs, as the API found them, in the page's words; each field once."""
    shown: dict[str, Problem] = {}
    for field, kind in problems:
        base = field.split(".")[0] if field.split(".")[-1].isdigit() else field
        if base not in shown:
            control = FORM_CONTROLS.get(base)
            shown[base] = Problem(base, field_name(lang, base), field_problem(lang, base, kind), control)
    return list(shown.values())


def form_page(
    entry: WindowEntry,
    tag_set: TagSet,
    lang: str,
    credentials: dict[str, str],
    submission_id: str,
    staff_job_number: str | None,
    chosen_level: Level | None = None,
    values: dict[str, Any] | None = None,
    problems: Sequence[tuple[str, str]] = (),
    message: str | None = None,
) -> str:
    """The rating form. ``credentials`` is the plate's sig or the ticket, carried through.

    Shown again after a refused post with what was typed (``values``, as the post carried them)
    and what was wrong (``problems``, or a ``message`` for the whole form).
    """
    text = TEXT[lang]
    names = LEVEL_NAMES[lang]
    code = entry.window.code
    values = values or {}
    given = values.get("evaluator")
    evaluator: dict[str, Any] = given if isinstance(given, dict) else {}
    chosen_tags = {str(tag) for tag in values.get("tags") or []}
    # A bad face chosen without JavaScript: the page again, at its details step.
    step_two = chosen_level is not None and chosen_level.is_bad_review
    faces = [
        {"level": int(level), "label": names[level], "bad": level.is_bad_review, "pressed": chosen_level == level}
        for level in Level
    ]
    tag_groups = [
        {
            "level": int(level),
            "shown": step_two and chosen_level == level,
            "tags": [
                {"code": tag.code, "name": _named(lang, tag.name, tag.name_en), "checked": tag.code in chosen_tags}
                for tag in tag_set.for_level(level)
            ],
        }
        for level in (Level.DISSATISFIED, Level.VERY_DISSATISFIED)
    ]
    shown = problems_for(lang, problems)
    return render(
        "form.html",
        text=text,
        other_text=TEXT[_other(lang)],
        title=text["title"],
        script="form.js",
        code=code,
        switch_query=urlencode({**credentials, "lang": _other(lang)}),
        hall=_named(lang, entry.hall.name, entry.hall.name_en),
        window_number=entry.window.number,
        window=_named(lang, entry.window.name, entry.window.name_en),
        department=_named(lang, entry.department.name, entry.department.name_en),
        staff=staff_job_number,
        hidden={"window_code": code, **credentials, "submission_id": submission_id, "lang": lang},
        step_two=step_two,
        chosen_level=int(chosen_level) if chosen_level is not None else None,
        back=f"/r/{code}?{urlencode({**credentials, 'lang': lang})}",
        faces=faces,
        tag_groups=tag_groups,
        # What was chosen comes back (the face, the tags, the consent); what was written does not:
        # a submitted text is never sent back, since it may hold a name or a number (form.js checks
        # the call-back's fields before sending, so with JavaScript nothing typed is lost to them).
        values={"consent": evaluator.get("consent") is True},
        retype_personal=bool(values.get("comment") or evaluator.get("name") or evaluator.get("phone")),
        field_names={field: field_name(lang, field) for field in CALL_BACK_FIELDS},
        client_problems={
            "name": field_problem(lang, "evaluator.name", "missing"),
            "phone_missing": field_problem(lang, "evaluator.phone", "missing"),
            "phone": field_problem(lang, "evaluator.phone", "string_pattern_mismatch"),
            "consent": field_problem(lang, "evaluator.consent", "value_error"),
        },
        message=message,
        problems=shown,
        invalid={p.control: f"problem-{p.field.replace('.', '-')}" for p in shown if p.control},
    )


# ---------------------------------------------------------------- where a bad review stands


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a bad review's follow-up as the citizen sees it."""

    key: str  # the step's words: TEXT["step_" + key]
    status: str  # done, current or upcoming
    on: date | None = None  # the day it was done
    due: date | None = None  # the day it is due by, while not done: at its end (24:00) …
    due_time: str | None = None  # … or at this time of it (an appeal period runs to the minute)
    overdue: bool = False
    detail: str = ""  # a verdict's name, say


def due_day(due_at: datetime) -> datetime:
    """The day a deadline ends; the escalation rules (and the calendar they load) only with a status page."""
    from haochaping.domain.escalation import due_day as day_of

    return day_of(due_at)


def fix_deadline_runs(task: Task) -> bool:
    """Whether the rectification deadline still runs (not once closed, nor after not adopted)."""
    from haochaping.domain.escalation import running_deadlines

    return any(kind == DeadlineKind.RECTIFICATION for kind, _ in running_deadlines(task))


def _day(moment: datetime | None) -> date | None:
    return moment.astimezone(CHINA_TIME).date() if moment else None


def _last(task: Task, *actions: str) -> date | None:
    """The day of the trail's last line of one of these moves."""
    return next((_day(e.at) for e in reversed(task.audit) if e.action in actions), None)


def _moment(moment: datetime | None) -> tuple[date | None, str | None]:
    """A moment that is not the end of a day, as its day and time in China."""
    if moment is None:
        return None, None
    local = moment.astimezone(CHINA_TIME)
    return local.date(), local.strftime("%H:%M")


def _due(moment: datetime | None, now: datetime) -> tuple[date | None, bool]:
    if moment is None:
        return None, False
    return due_day(moment).date(), now > moment


def progress(task: Task, rated_at: datetime, actions: Sequence[str], lang: str, now: datetime) -> list[Step]:
    """The steps of the task's follow-up, each as the task records it."""
    contact_due, contact_overdue = _due(task.first_contact_due if task.contacted_at is None else None, now)
    fix_due, fix_overdue = _due(task.rectification_due if fix_deadline_runs(task) else None, now)
    steps = [Step("received", "done", on=_day(rated_at))]

    # First contact: a call recorded with a real-name citizen, or, when none was recorded (an
    # anonymous review cannot be called), the verification that met the deadline.
    if task.real_name and (task.contact_recorded_at is not None or task.contacted_at is None):
        if task.contact_recorded_at is not None:
            steps.append(Step("contact", "done", on=_day(task.contact_recorded_at)))
        else:
            steps.append(Step("contact", "current", due=contact_due, overdue=contact_overdue))
    elif task.contacted_at is not None:
        steps.append(Step("verify", "done", on=_day(task.contacted_at)))
    else:
        steps.append(Step("verify", "current", due=contact_due, overdue=contact_overdue))
    verifying = task.contacted_at is None

    void = task.rating_void or task.state == TaskState.PROPOSED_NOT_ADOPTED
    if void:
        if task.state == TaskState.PROPOSED_NOT_ADOPTED:
            steps.append(Step("proposed_not_adopted", "current", due=fix_due, overdue=fix_overdue))
        else:
            steps.append(Step("not_adopted", "done", on=_last(task, "approve_not_adopted")))
    elif task.outcome in FIXES:
        steps.append(Step(task.outcome.value, "done", on=_last(task, FIXES[task.outcome])))
    elif task.state == TaskState.RECTIFYING:
        steps.append(Step("rectifying", "current", due=fix_due, overdue=fix_overdue))
    else:
        steps.append(Step("handle", "upcoming" if verifying else "current", due=fix_due, overdue=fix_overdue))

    replied = task.state in (TaskState.FEEDBACK_GIVEN, TaskState.CALLED_BACK, TaskState.CLOSED)
    decided = task.outcome is not None and not (void and task.state == TaskState.PROPOSED_NOT_ADOPTED)
    if replied:
        steps.append(Step("feedback", "done", on=_last(task, "give_feedback")))
    else:
        steps.append(Step("feedback", "current" if decided else "upcoming", due=fix_due, overdue=fix_overdue))

    if task.rating_void:
        appeal_day, appeal_time = _moment(task.appeal_deadline)
        if task.appeal_open:
            steps.append(Step("appeal_open", "current"))
        elif task.appeal_decided:
            steps.append(Step("appeal_dismissed", "done", on=_last(task, "dismiss_appeal")))
        elif "appeal" in actions:
            steps.append(Step("appeal", "current", due=appeal_day, due_time=appeal_time))
        elif task.appeal_deadline is not None and now > task.appeal_deadline:
            steps.append(Step("appeal_lapsed", "done", on=appeal_day))
        else:
            steps.append(Step("appeal", "upcoming", due=appeal_day, due_time=appeal_time))
    elif not void and (task.verdict is not None or task.state != TaskState.CLOSED):
        # A verdict is asked for on a fix or an explanation; a task closed without one skips it.
        if task.verdict is not None:
            name = VERDICT_NAMES[lang][task.verdict]
            steps.append(Step("verdict", "done", on=_last(task, "give_verdict", "record_call_back"), detail=name))
        else:
            steps.append(Step("verdict", "current" if task.state == TaskState.FEEDBACK_GIVEN else "upcoming"))

    if task.state == TaskState.CLOSED:
        steps.append(Step("closed", "done", on=_day(task.closed_at)))
    else:
        steps.append(Step("closed", "upcoming", due=fix_due, overdue=fix_overdue))
    return steps


def expected_progress(
    real_name: bool, rated_at: datetime, deadlines: TaskDeadlines | None, now: datetime
) -> list[Step]:
    """The steps of a bad review whose task is not opened yet, with the deadlines it will have."""
    contact_due, contact_overdue = _due(deadlines.first_contact_due if deadlines else None, now)
    fix_due, fix_overdue = _due(deadlines.rectification_due if deadlines else None, now)
    return [
        Step("received", "done", on=_day(rated_at)),
        Step("contact" if real_name else "verify", "current", due=contact_due, overdue=contact_overdue),
        Step("handle", "upcoming", due=fix_due, overdue=fix_overdue),
        Step("feedback", "upcoming", due=fix_due, overdue=fix_overdue),
        Step("closed", "upcoming", due=fix_due, overdue=fix_overdue),
    ]


def now_line(
    task: Task | None, real_name: bool, actions: Sequence[str], first_contact_due: date | None
) -> tuple[str, dict[str, str]]:
    """The one sentence that says where the review stands: a TEXT key and its values (raw days)."""
    if task is None or (task.state == TaskState.VERIFYING and task.contacted_at is None):
        if first_contact_due is None:
            return "now_received", {}
        return ("now_contact_by" if real_name else "now_verify_by"), {"day": first_contact_due.isoformat()}
    if task.appeal_open:
        return "now_appeal_open", {}
    state = task.state
    if state == TaskState.VERIFYING:
        return "now_verifying", {}
    if state == TaskState.RECTIFYING:
        return "now_rectifying", {}
    if state in FIXES:
        return "now_outcome", {}
    if state == TaskState.PROPOSED_NOT_ADOPTED:
        return "now_proposed_not_adopted", {}
    if state == TaskState.CLOSED:
        return "now_closed", {}
    if task.rating_void:
        return "now_not_adopted", {}
    if "give_verdict" in actions:
        return "now_please_rate", {}
    if task.verdict is not None:
        return "now_verdict_given", {}
    return "now_replied", {}


def _step_view(step: Step, lang: str) -> dict[str, Any]:
    text = TEXT[lang]
    return {
        "key": step.key,
        "name": text[f"step_{step.key}"] + (f"{text['colon']}{step.detail}" if step.detail else ""),
        "status": step.status,
        "status_name": text[f"step_{step.status}"],
        "on": step.on.isoformat() if step.on else None,
        "on_text": day_text(lang, step.on) if step.on else None,
        "due": (f"{step.due.isoformat()}T{step.due_time}" if step.due_time else step.due.isoformat())
        if step.due
        else None,
        "due_text": _due_text(lang, step.due, step.due_time) if step.due else None,
        "overdue": step.overdue,
    }


def _due_text(lang: str, day: date, time: str | None) -> str:
    text = TEXT[lang]
    if time is None:
        return text["due_by"].format(day=day_text(lang, day))
    return text["due_by_time"].format(day=day_text(lang, day), time=time)


def _fill(lang: str, key: str, values: dict[str, str]) -> str:
    return TEXT[lang][key].format(**{k: day_text(lang, date.fromisoformat(v)) for k, v in values.items()})


def receipt_page(
    rating: Rating,
    entry: WindowEntry | None,
    lang: str,
    task: Task | None = None,
    actions: list[str] | None = None,
    deadlines: TaskDeadlines | None = None,
    status_url: str = "",
    done: str | None = None,
    citizen_key: str | None = None,
    now: datetime | None = None,
) -> str:
    """A rating's receipt and status: what was recorded and, for a bad review, where it stands.

    ``deadlines`` are those a task not opened yet will have; ``status_url`` is this page's own
    address to keep; ``done`` names the citizen's move just made, confirmed only as the task records it.
    With the citizen's key (from the receipt's link) it offers the citizen's verdict and appeal, each
    form carrying the key; without it, it only shows where the review stands and where the key is.
    """
    now = now or utc_now()
    text = TEXT[lang]
    actions = (actions or []) if task else []
    link = f"/ratings/{rating.tracking_code}?{urlencode({'key': citizen_key, 'lang': lang})}" if citizen_key else None
    level_name = LEVEL_NAMES[lang][rating.level]
    if rating.is_follow_up:
        level_name += f" ({text['follow_up_rating']})"
    where = rating.window_code
    if entry is not None:
        hall = _named(lang, entry.hall.name, entry.hall.name_en)
        where = f"{hall} · {entry.window.number} {_named(lang, entry.window.name, entry.window.name_en)}"
    steps: list[Step] = []
    status_lines: list[str] = []
    details: list[tuple[str, str, str]] = []  # (id, term, what it says)
    confirmation = None
    if rating.held_for_review:
        status_lines.append(text["status_held"])
    elif rating.review == Review.REJECTED:
        status_lines.append(text["status_rejected"])
    elif rating.is_bad_review:
        if task is None:
            steps = expected_progress(rating.real_name, rating.rated_at, deadlines, now)
            contact_day = due_day(deadlines.first_contact_due).date() if deadlines else None
            key, values = now_line(None, rating.real_name, actions, contact_day)
        else:
            steps = progress(task, rating.rated_at, actions, lang, now)
            contact_day = due_day(task.first_contact_due).date()
            key, values = now_line(task, task.real_name, actions, contact_day)
            if fix_deadline_runs(task):
                status_lines.append(_fill(lang, "fix_by", {"day": due_day(task.rectification_due).date().isoformat()}))
            if "appeal" in actions and task.appeal_deadline is not None:
                day, time = _moment(task.appeal_deadline)
                if day is not None:
                    status_lines.append(text["appeal_by"].format(when=_due_text(lang, day, time)))
            if any(e.action == "uphold_appeal" for e in task.audit) and not task.rating_void:
                status_lines.append(text["appeal_upheld"])
            if task.outcome in FIXES and task.explanation:
                details.append(("outcome", text["outcome"], task.explanation))
            if task.feedback:
                details.append(("feedback", text["feedback"], task.feedback))
            if task.appeal:
                details.append(("appeal", text["appeal_text"], task.appeal))
            if done == "verdict" and task.verdict is not None:
                confirmation = text["done_verdict"].format(verdict=VERDICT_NAMES[lang][task.verdict])
            elif done == "appeal" and (task.appeal_open or task.appeal_decided):
                confirmation = text["done_appeal"]
        status_lines.insert(0, _fill(lang, key, values))
    here = next((index for index, step in enumerate(steps) if step.status == "current"), None)
    return render(
        "receipt.html",
        text=text,
        title=text["receipt_title"],
        script=None,
        lang=lang,
        switch_href=f"/ratings/{rating.tracking_code}?{urlencode({'lang': _other(lang)})}",
        other_text=TEXT[_other(lang)],
        tracking_code=rating.tracking_code,
        level_name=level_name,
        where=where,
        rated_at=rating.rated_at_china.strftime("%Y-%m-%d %H:%M"),
        bad_review=rating.is_bad_review,
        status_lines=status_lines,
        # The step the review is at: the first one in progress.
        steps=[{**_step_view(step, lang), "here": index == here} for index, step in enumerate(steps)],
        details=details,
        confirmation=confirmation,
        status_url=status_url or f"/ratings/{rating.tracking_code}",
        status_href=f"/ratings/{rating.tracking_code}?{urlencode({'lang': lang})}",
        # The citizen's verdict and appeal: only with the task they belong to, and the key.
        actions=actions if citizen_key else [],
        # Without the key, say where it is, when there is something the key would allow.
        key_needed=bool(actions and not citizen_key),
        citizen_key=citizen_key,
        link=link,
        shown_link=f"{status_url.split('?')[0]}?{urlencode({'key': citizen_key, 'lang': lang})}" if link else None,
        verdicts=[(v.value, VERDICT_NAMES[lang][v]) for v in Verdict],
    )


def error_page(
    lang: str,
    message: str,
    problems: Sequence[tuple[str, str]] = (),
    back: str | None = None,
    posted: bool = False,
) -> str:
    """A refusal in the page's language: ``message`` for the whole, each field's problem in words."""
    text = TEXT[lang]
    shown = problems_for(lang, problems)
    return render(
        "error.html",
        text=text,
        title=text["error_title" if posted else "error_title_page"],
        script=None,
        message=text["field_problem"] if shown else message,
        problems=shown,
        back=back,
    )


__all__ = ["error_message", "error_page", "form_page", "progress", "receipt_page"]
