"""The citizen's pages: the one-tap form, the receipt and the error page.

One request each: styles, faces and the small script are inline, nothing comes from other
hosts, and every control works without JavaScript (the script only saves a round trip).
Everything the citizen or a registry file supplied is escaped.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from haochaping.domain.followup import Task, Verdict
from haochaping.domain.rating import Level, Rating
from haochaping.domain.registry import TagSet, WindowEntry
from haochaping.web.i18n import FIELD_NAMES, LEVEL_NAMES, STATE_NAMES, TEXT, VERDICT_NAMES

STYLE = """
*{box-sizing:border-box}body{margin:0;font:17px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",
sans-serif;color:#1a1a1a;background:#f4f6f8}main{max-width:34rem;margin:0 auto;padding:1rem}
header p{margin:.1rem 0;color:#333}h1{font-size:1.35rem;margin:.6rem 0}.lang{float:right;color:#0b57d0}
a{color:#0b57d0}.faces{display:grid;grid-template-columns:repeat(5,1fr);gap:.4rem;margin:1rem 0}
.face{display:flex;flex-direction:column;align-items:center;gap:.3rem;min-height:6.2rem;padding:.5rem .2rem;
border:2px solid #c4c9d0;border-radius:.8rem;background:#fff;color:#1a1a1a;font:inherit;font-size:.85rem;
cursor:pointer}.face svg{width:2.8rem;height:2.8rem}.face[aria-pressed=true]{border-color:#0b57d0;
background:#e8f0fe}:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}fieldset{border:1px solid
#c4c9d0;border-radius:.6rem;margin:.8rem 0;padding:.6rem .8rem;background:#fff}legend{font-weight:600}
label{display:block;margin:.35rem 0}input[type=text],input[type=tel],textarea{width:100%;font:inherit;
padding:.5rem;border:1px solid #6b7280;border-radius:.4rem}input[type=checkbox]{width:1.3rem;height:1.3rem;
vertical-align:middle;margin-right:.4rem}.send{width:100%;min-height:3.2rem;margin:.6rem 0;border:0;
border-radius:.6rem;background:#0b57d0;color:#fff;font:inherit;font-weight:600;cursor:pointer}
.note{color:#4b5563;font-size:.9rem}.code{font:700 1.6rem/1.2 ui-monospace,monospace;letter-spacing:.12em}
.card{background:#fff;border-radius:.8rem;padding:1rem;margin:1rem 0}dt{color:#4b5563;font-size:.9rem}
dd{margin:0 0 .5rem}.error{border-left:4px solid #b3261e}
"""

_MOUTHS = {
    Level.VERY_SATISFIED: "M12 26q12 10 24 0",
    Level.SATISFIED: "M14 27q10 6 20 0",
    Level.BASICALLY_SATISFIED: "M15 29h18",
    Level.DISSATISFIED: "M14 31q10-5 20 0",
    Level.VERY_DISSATISFIED: "M12 33q12-10 24 0",
}
_COLOURS = {
    Level.VERY_SATISFIED: "#1e8e3e",
    Level.SATISFIED: "#5f9e2f",
    Level.BASICALLY_SATISFIED: "#b08400",
    Level.DISSATISFIED: "#d35400",
    Level.VERY_DISSATISFIED: "#c5221f",
}

SCRIPT = """
(function(){var f=document.getElementById('rate');if(!f)return;var d=document.getElementById('details'),
h=document.getElementById('chosen');f.addEventListener('click',function(e){var b=e.target.closest('.face');
if(!b)return;var bad=b.dataset.bad==='1';f.querySelectorAll('.face').forEach(function(x){
x.setAttribute('aria-pressed',x===b?'true':'false')});f.querySelectorAll('fieldset[data-level]').forEach(
function(s){var on=bad&&s.dataset.level===b.value;s.hidden=!on;s.disabled=!on});if(!bad)return;
e.preventDefault();h.disabled=false;h.value=b.value;d.hidden=false;d.querySelector('h2').focus()})})();
"""


def _face(level: Level) -> str:
    colour = _COLOURS[level]
    return (
        f'<svg viewBox="0 0 48 48" aria-hidden="true"><circle cx="24" cy="24" r="22" fill="{colour}"/>'
        f'<circle cx="16" cy="19" r="3" fill="#fff"/><circle cx="32" cy="19" r="3" fill="#fff"/>'
        f'<path d="{_MOUTHS[level]}" stroke="#fff" stroke-width="3.5" fill="none" stroke-linecap="round"/></svg>'
    )


def _page(lang: str, title: str, body: str, script: bool = False) -> str:
    text = TEXT[lang]
    tail = f"<script>{SCRIPT}</script>" if script else ""
    return (
        f'<!doctype html><html lang="{text["html_lang"]}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><main>{body}</main>{tail}</body></html>"
    )


def _window_header(entry: WindowEntry, lang: str, staff_job_number: str | None) -> str:
    text = TEXT[lang]
    hall = entry.hall.name_en if lang == "en" and entry.hall.name_en else entry.hall.name
    window = entry.window.name_en if lang == "en" and entry.window.name_en else entry.window.name
    dept = entry.department.name_en if lang == "en" and entry.department.name_en else entry.department.name
    staff = f"<p>{text['staff']}: {escape(staff_job_number)}</p>" if staff_job_number else ""
    return (
        f"<header><p>{text['hall']}: {escape(hall)}</p>"
        f"<p>{text['window']}: {escape(entry.window.number)} {escape(window)}</p>"
        f"<p>{text['department']}: {escape(dept)}</p>{staff}</header>"
    )


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
    text = TEXT[lang]
    names = LEVEL_NAMES[lang]
    code = escape(entry.window.code)
    other_lang = "en" if lang == "zh" else "zh"
    switch_query = urlencode({**credentials, "lang": other_lang})
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in {
            "window_code": entry.window.code,
            **credentials,
            "submission_id": submission_id,
            "lang": lang,
        }.items()
    )
    step_two = chosen_level is not None and chosen_level.is_bad_review
    faces = []
    for level in Level:
        label = names[level]
        if level.is_bad_review:
            # Without JavaScript a bad face opens the details step; with it, the script shows them here.
            action = f' formmethod="get" formaction="/r/{code}" data-bad="1"'
        else:
            action = ' formmethod="post" formaction="/ratings" data-bad="0"'
        pressed = "true" if chosen_level == level else "false"
        faces.append(
            f'<button class="face" type="submit" name="level" value="{int(level)}"{action} '
            f'aria-pressed="{pressed}">{_face(level)}<span>{escape(label)}</span></button>'
        )
    tag_groups = []
    for level in (Level.DISSATISFIED, Level.VERY_DISSATISFIED):
        shown = step_two and chosen_level == level
        boxes = "".join(
            f'<label><input type="checkbox" name="tags" value="{escape(tag.code)}">'
            f"{escape(tag.name_en if lang == 'en' and tag.name_en else tag.name)}</label>"
            for tag in tag_set.for_level(level)
        )
        state = "" if shown else " hidden disabled"
        tag_groups.append(
            f'<fieldset data-level="{int(level)}"{state}><legend>{text["tags_legend"]}</legend>{boxes}</fieldset>'
        )
    chosen = (
        f'<input type="hidden" id="chosen" name="level" value="{int(chosen_level)}">'
        if step_two and chosen_level is not None
        else '<input type="hidden" id="chosen" name="level" value="" disabled>'
    )
    details = (
        f'<section id="details"{"" if step_two else " hidden"} aria-labelledby="details-h">'
        f'<h2 id="details-h" tabindex="-1">{text["details_heading"]}</h2>{chosen}{"".join(tag_groups)}'
        f'<label for="comment">{text["comment"]}</label>'
        f'<textarea id="comment" name="comment" rows="3" maxlength="500"></textarea>'
        f'<fieldset><legend>{text["callback_legend"]}</legend><p class="note">{text["callback_hint"]}</p>'
        f'<label for="ev-name">{text["name"]}</label>'
        f'<input type="text" id="ev-name" name="evaluator_name" autocomplete="name" maxlength="40">'
        f'<label for="ev-phone">{text["phone"]}</label>'
        f'<input type="tel" id="ev-phone" name="evaluator_phone" autocomplete="tel" inputmode="numeric" '
        f'pattern="1[3-9][0-9]{{9}}" maxlength="11">'
        f'<label><input type="checkbox" name="evaluator_consent" value="true">{text["consent"]}</label>'
        f"</fieldset>"
        f'<button class="send" type="submit" formmethod="post" formaction="/ratings">{text["submit"]}</button>'
        f"</section>"
    )
    if step_two:
        back = f"/r/{code}?{urlencode({**credentials, 'lang': lang})}"
        face_block = f'<p><a href="{escape(back)}">{text["change_level"]}</a></p>'
    else:
        face_block = f'<div class="faces" role="group" aria-label="{text["heading"]}">{"".join(faces)}</div>'
    body = (
        f'<a class="lang" href="/r/{code}?{escape(switch_query)}" lang="{TEXT[other_lang]["html_lang"]}">'
        f"{text['switch']}</a>{_window_header(entry, lang, staff_job_number)}"
        f'<h1>{text["heading"]}</h1><p class="note">{text["tap_good"]} {text["voluntary"]}</p>'
        f'<form id="rate" method="post" action="/ratings">{hidden}{face_block}{details}</form>'
    )
    return _page(lang, text["title"], body, script=not step_two)


def _follow_up_block(task: Task, actions: list[str], lang: str, tracking_code: str) -> tuple[str, str]:
    """Where the bad review stands, what the officer said, and the citizen's verdict / appeal."""
    text = TEXT[lang]
    state = STATE_NAMES[lang][task.state]
    parts = [f'<dt>{text["state"]}</dt><dd id="task-state">{escape(state)}</dd>']
    if task.outcome is not None and task.explanation:
        parts.append(f'<dt>{text["outcome"]}</dt><dd id="outcome">{escape(task.explanation)}</dd>')
    if task.feedback:
        parts.append(f'<dt>{text["feedback"]}</dt><dd id="feedback">{escape(task.feedback)}</dd>')
    if task.verdict is not None:
        parts.append(f'<dt>{text["verdict"]}</dt><dd id="verdict">{escape(VERDICT_NAMES[lang][task.verdict])}</dd>')
    forms = ""
    hidden = f'<input type="hidden" name="lang" value="{escape(lang)}">'
    if "give_verdict" in actions:
        options = "".join(
            f'<label><input type="radio" name="verdict" value="{v.value}" required>'
            f"{escape(VERDICT_NAMES[lang][v])}</label>"
            for v in Verdict
        )
        forms += (
            f'<form method="post" action="/ratings/{escape(tracking_code)}/verdict" class="card">{hidden}'
            f"<fieldset><legend>{text['verdict_legend']}</legend>{options}</fieldset>"
            f'<button class="send" type="submit">{text["send_verdict"]}</button></form>'
        )
    if "appeal" in actions:
        forms += (
            f'<form method="post" action="/ratings/{escape(tracking_code)}/appeal" class="card">{hidden}'
            f'<label for="appeal-text">{text["appeal_label"]}</label>'
            f'<textarea id="appeal-text" name="text" rows="3" maxlength="2000" required></textarea>'
            f'<button class="send" type="submit">{text["send_appeal"]}</button></form>'
        )
    return "".join(parts), forms


def receipt_page(
    rating: Rating, entry: WindowEntry | None, lang: str, task: Task | None = None, actions: list[str] | None = None
) -> str:
    text = TEXT[lang]
    level_name = LEVEL_NAMES[lang][rating.level]
    if rating.is_follow_up:
        level_name += f" ({text['follow_up_rating']})"
    status = text["status_received"] if rating.is_bad_review else text["status_good"]
    task_rows, forms = _follow_up_block(task, actions or [], lang, rating.tracking_code) if task else ("", "")
    where = escape(rating.window_code)
    if entry is not None:
        where = f"{escape(entry.hall.name)} · {escape(entry.window.number)} {escape(entry.window.name)}"
    body = (
        f"<h1>{text['receipt_title']}</h1><p>{text['thanks']}</p>"
        f'<div class="card"><dl><dt>{text["tracking_code"]}</dt>'
        f'<dd class="code" id="tracking-code">{escape(rating.tracking_code)}</dd>'
        f"<dt>{text['rated']}</dt><dd>{escape(level_name)}</dd>"
        f"<dt>{text['window']}</dt><dd>{where}</dd>"
        f"<dt>{text['time']}</dt><dd>{rating.rated_at_china.strftime('%Y-%m-%d %H:%M')}</dd>"
        f'<dt>{text["status"]}</dt><dd id="status">{status}</dd>{task_rows}</dl></div>{forms}'
        f'<p class="note">{text["keep_code"]}</p>'
    )
    return _page(lang, text["receipt_title"], body)


def _field_label(names: dict[str, str], field: str) -> str:
    # "tags.1" is the second tag: shown under the tags' own label.
    return names.get(field) or names.get(field.split(".")[0]) or field


def error_page(lang: str, message: str, fields: list[dict[str, str]] | None = None, back: str | None = None) -> str:
    text = TEXT[lang]
    items = ""
    if fields:
        names = FIELD_NAMES.get(lang, {})
        items = (
            "<ul>"
            + "".join(f"<li>{escape(_field_label(names, f['field']))}: {escape(f['problem'])}</li>" for f in fields)
            + "</ul>"
        )
        message = f"{text['field_problem']}"
    link = f'<p><a href="{escape(back)}">{text["back"]}</a></p>' if back else ""
    body = (
        f'<h1>{text["error_title"]}</h1><div class="card error" role="alert"><p>{escape(message)}</p>{items}</div>'
        f"{link}"
    )
    return _page(lang, text["error_title"], body)
