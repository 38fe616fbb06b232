"""The staff console 工作台: one page whose small script (web/static/console.js) calls the staff API.

Like the citizen's pages it is one request: styles and script are inline and nothing comes
from other hosts. The officer signs in with a job number and password (POST /staff/session);
the id token stays in this tab (sessionStorage, never a cookie) and goes out as
``Authorization: Bearer`` on every call to the staff API. Whatever the API returns — above all
the citizen's comment — is inserted with textContent, never parsed as HTML.
"""

from __future__ import annotations

from typing import Any

from haochaping.domain.followup import MOVE_INPUTS, TEXT_LIMIT, TRANSITIONS, Action, MoveInputs, Role
from haochaping.domain.rating import JOB_NUMBER_PATTERN
from haochaping.web.console_i18n import FLAG_NAMES, STATE_NAMES, TEXT, strings
from haochaping.web.render import render

# Each staff move's form, from the rules the move is checked by (haochaping.domain.followup).
ACTION_INPUTS: dict[str, dict[str, Any]] = {
    action.value: {
        "text": "required" if needs.text_required else "optional",
        **({"reason": list(needs.reasons)} if needs.reasons else {}),
        **({"verdict": list(needs.verdicts)} if needs.verdicts else {}),
        # The officer named must be given, a job number: the pattern the server checks it by.
        **({"assignee": JOB_NUMBER_PATTERN} if needs.assignee else {}),
    }
    for action, (_, roles, _) in TRANSITIONS.items()
    if Role.CITIZEN not in roles
    for needs in [MOVE_INPUTS.get(action, MoveInputs())]
}


# Moves that cannot be taken back: the console asks before sending them.
IRREVERSIBLE = (
    Action.CLOSE.value,
    Action.APPROVE_NOT_ADOPTED.value,
    Action.UPHOLD_APPEAL.value,
    Action.DISMISS_APPEAL.value,
)


def console_page(lang: str) -> str:
    """The whole console in ``lang`` ("zh" or "en"): sign-in, task list, one task, reports, figures."""
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
        holder_options=[everything, ("me", text["holder_me"]), ("nobody", text["holder_nobody"])],
        flag_options=[everything, *FLAG_NAMES[lang].items()],
        period_kind_options=[(kind, text[f"period_{kind}"]) for kind in ("day", "month", "year")],
        data={"strings": strings(lang), "inputs": ACTION_INPUTS, "limit": TEXT_LIMIT, "confirm": IRREVERSIBLE},
    )
