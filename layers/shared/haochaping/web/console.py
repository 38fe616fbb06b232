"""The staff console 工作台: one page whose small script (web/static/console.js) calls the staff API.

Like the citizen's pages it is one request: styles and script are inline and nothing comes
from other hosts. The officer signs in with a job number and password (POST /staff/session);
the id token stays in this tab (sessionStorage, never a cookie) and goes out as
``Authorization: Bearer`` on every call to the staff API. Whatever the API returns — above all
the citizen's comment — is inserted with textContent, never parsed as HTML.
"""

from __future__ import annotations

from typing import Any

from haochaping.domain.followup import TEXT_LIMIT, Action
from haochaping.domain.task import NotAdoptedReason, Verdict
from haochaping.web.console_i18n import STATE_NAMES, TEXT, strings
from haochaping.web.render import render

# What each staff action needs besides the version: its text box (required or optional), and
# the reason (propose_not_adopted) or the citizen's verdict (record_call_back). Mirrors the
# domain's checks in haochaping.domain.followup.apply, so the form asks before the server refuses.
ACTION_INPUTS: dict[str, dict[str, Any]] = {
    Action.RECORD_CONTACT.value: {"text": "optional"},
    Action.RESOLVE_ON_SPOT.value: {"text": "required"},
    Action.START_RECTIFICATION.value: {"text": "optional"},
    Action.MARK_RECTIFIED.value: {"text": "required"},
    Action.EXPLAIN.value: {"text": "required"},
    Action.PROPOSE_NOT_ADOPTED.value: {"text": "required", "reason": [r.value for r in NotAdoptedReason]},
    Action.APPROVE_NOT_ADOPTED.value: {"text": "optional"},
    Action.REJECT_NOT_ADOPTED.value: {"text": "required"},
    Action.GIVE_FEEDBACK.value: {"text": "required"},
    Action.RECORD_CALL_BACK.value: {"text": "optional", "verdict": [v.value for v in Verdict]},
    Action.CLOSE.value: {"text": "optional"},
    Action.UPHOLD_APPEAL.value: {"text": "optional"},
    Action.DISMISS_APPEAL.value: {"text": "required"},
}


def console_page(lang: str) -> str:
    """The whole console in ``lang`` ("zh" or "en"): sign-in, task list, one task, reports."""
    text = TEXT[lang]
    other = "en" if lang == "zh" else "zh"
    everything = ("", text["all"])
    return render(
        "console.html",
        text=text,
        other_text=TEXT[other],
        switch_href="/console?lang=en" if other == "en" else "/console",
        state_options=[everything, *STATE_NAMES[lang].items()],
        due_options=[everything, ("soon", text["due_soon"]), ("overdue", text["due_overdue"])],
        real_name_options=[everything, ("true", text["real_name_only"]), ("false", text["anonymous_only"])],
        data={"strings": strings(lang), "inputs": ACTION_INPUTS, "limit": TEXT_LIMIT},
    )
