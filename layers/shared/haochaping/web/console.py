"""The staff console page (HTML with a small script that calls the staff API)."""

from __future__ import annotations

from haochaping.web.pages import _page


def console_page(lang: str) -> str:
    return _page(lang, "工作台", "<h1>工作台</h1>")
