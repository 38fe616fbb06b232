"""The citizen's pages: the one-tap form, the receipt and the error page.

One request each: styles, faces and the small script are inline, nothing comes from other
hosts, and every control works without JavaScript (the script only saves a round trip).
The templates (web/templates) escape every value given to them: nothing the citizen or a
registry file supplied is ever read as HTML.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from haochaping.domain.rating import Level, Rating
from haochaping.domain.registry import TagSet, WindowEntry
from haochaping.domain.suspicion import Review
from haochaping.domain.task import Task, Verdict
from haochaping.web.i18n import FIELD_NAMES, LEVEL_NAMES, STATE_NAMES, TEXT, VERDICT_NAMES
from haochaping.web.render import render


def _other(lang: str) -> str:
    return "en" if lang == "zh" else "zh"


def _named(lang: str, name: str, name_en: str) -> str:
    return name_en if lang == "en" and name_en else name


def form_page(
    entry: WindowEntry,
    tag_set: TagSet,
    lang: str,
    credentials: dict[str, str],
    submission_id: str,
    staff_job_number: str | None,
    chosen_level: Level | None = None,
) -> str:
    """The rating form. ``credentials`` is the plate's sig or the ticket, carried through."""
    names = LEVEL_NAMES[lang]
    code = entry.window.code
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
                {"code": tag.code, "name": _named(lang, tag.name, tag.name_en)} for tag in tag_set.for_level(level)
            ],
        }
        for level in (Level.DISSATISFIED, Level.VERY_DISSATISFIED)
    ]
    return render(
        "form.html",
        text=TEXT[lang],
        other_text=TEXT[_other(lang)],
        title=TEXT[lang]["title"],
        script=None if step_two else "form.js",
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
    )


def _task_view(task: Task, lang: str) -> dict[str, Any]:
    """Where the bad review stands and what the officer said, as the citizen sees it."""
    return {
        "state": STATE_NAMES[lang][task.state],
        "outcome": task.explanation if task.outcome is not None else "",
        "feedback": task.feedback,
        "verdict": VERDICT_NAMES[lang][task.verdict] if task.verdict is not None else "",
    }


def _status_text(rating: Rating, text: dict[str, str]) -> str:
    if rating.held_for_review:
        return text["status_held"]
    if rating.review == Review.REJECTED:
        return text["status_rejected"]
    return text["status_received"] if rating.is_bad_review else text["status_good"]


def receipt_page(
    rating: Rating,
    entry: WindowEntry | None,
    lang: str,
    task: Task | None = None,
    actions: list[str] | None = None,
    citizen_key: str | None = None,
    public_base_url: str = "",
) -> str:
    """The receipt and status of a rating. With the citizen's key (from the receipt's link) it
    offers the citizen's verdict and appeal, each form carrying the key; without it, only shows."""
    text = TEXT[lang]
    link = f"/ratings/{rating.tracking_code}?{urlencode({'key': citizen_key, 'lang': lang})}" if citizen_key else None
    level_name = LEVEL_NAMES[lang][rating.level]
    if rating.is_follow_up:
        level_name += f" ({text['follow_up_rating']})"
    where = rating.window_code
    if entry is not None:
        where = f"{entry.hall.name} · {entry.window.number} {entry.window.name}"
    return render(
        "receipt.html",
        text=text,
        title=text["receipt_title"],
        script=None,
        lang=lang,
        tracking_code=rating.tracking_code,
        level_name=level_name,
        where=where,
        rated_at=rating.rated_at_china.strftime("%Y-%m-%d %H:%M"),
        status=_status_text(rating, text),
        task=_task_view(task, lang) if task else None,
        # The citizen's verdict and appeal: only with the task they belong to, and the key.
        actions=(actions or []) if task and citizen_key else [],
        # Without the key, say where it is, when there is something the key would allow.
        key_needed=bool(task and actions and not citizen_key),
        citizen_key=citizen_key,
        link=link,
        shown_link=f"{public_base_url.rstrip('/')}{link}" if link else None,
        bad_review=rating.is_bad_review,
        verdicts=[(v.value, VERDICT_NAMES[lang][v]) for v in Verdict],
    )


def _field_label(names: dict[str, str], field: str) -> str:
    # "tags.1" is the second tag: shown under the tags' own label.
    return names.get(field) or names.get(field.split(".")[0]) or field


def error_page(lang: str, message: str, fields: list[dict[str, str]] | None = None, back: str | None = None) -> str:
    text = TEXT[lang]
    names = FIELD_NAMES.get(lang, {})
    return render(
        "error.html",
        text=text,
        title=text["error_title"],
        script=None,
        message=text["field_problem"] if fields else message,
        fields=[(_field_label(names, f["field"]), f["problem"]) for f in fields or []],
        back=back,
    )
