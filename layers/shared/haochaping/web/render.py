"""The pages' templates and the browser code they inline, loaded once per process.

Pages are written as Jinja2 templates (web/templates) that escape every value they are given.
Their scripts and style sheets are files of this package (web/static, checked by ESLint in
`make lint`) and go into the page inline, through ``inline``: each page is one request, and
nothing comes from other hosts. A value a script needs goes in as JSON (``tojson``), never
into the script's source.

Jinja2 is imported, and the environment made, at the first page: a function that imports the
pages' modules but answers without one (the OpenAPI document; a status asked for as JSON) never
pays for it. `make bench` measures the import and, apart, the first page.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

# What would end a <script> or <style> element early, or start a comment in one.
_BREAKS_OUT = re.compile(r"</(?:script|style)|<!--", re.IGNORECASE)


@cache
def inline(name: str) -> Markup:
    """A script or style sheet of web/static as it goes into a page, read once per process."""
    from markupsafe import Markup

    text = (STATIC / name).read_text(encoding="utf-8")
    if _BREAKS_OUT.search(text):
        raise ValueError(f"web/static/{name} cannot be inlined: it holds </script, </style or <!--")
    return Markup(text)  # noqa: S704 -- our own file, checked above: never a value from a request


@cache
def environment() -> Environment:
    """The one template environment of the process; it compiles each template once, at its first use."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from haochaping.domain.followup import TEXT_LIMIT
    from haochaping.domain.rating import COMMENT_MAX_LENGTH
    from haochaping.domain.submission import EVALUATOR_NAME_MAX_LENGTH

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt name fails the render instead of vanishing
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the files do not change under a running function
    )
    env.globals["inline"] = inline
    # The fields' lengths, as the rules that check them say: the browser's limit is never another.
    env.globals["limits"] = {
        "comment": COMMENT_MAX_LENGTH,
        "evaluator_name": EVALUATOR_NAME_MAX_LENGTH,
        "text": TEXT_LIMIT,
    }
    # tojson escapes <, >, & and ' for a <script> element; Chinese stays as it is, at half the
    # bytes of \u escapes.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


def render(template: str, **values: Any) -> str:
    """The page that ``template`` makes of ``values``."""
    return environment().get_template(template).render(**values)
