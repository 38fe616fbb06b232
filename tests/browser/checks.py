"""What every page must be, checked the same way on each: it fits a phone, speaks one language,
and axe-core finds nothing wrong with it.

axe-core comes from npm, pinned in infra/axe (installed by `make test`); its script is injected
into the page under test, which loads nothing from other hosts itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import pytest
from haochaping.web import console_i18n, i18n
from playwright.sync_api import Page

from tests.conftest import ROOT

AXE = ROOT / "infra" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
# The language switch names the other language in that language: the one string allowed across.
SWITCH_KEYS = {"switch", "html_lang"}
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


@cache
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make test` (it runs npm ci in infra/axe)")
    return AXE.read_text(encoding="utf-8")


def _has_axe(page: Page) -> bool:
    return bool(page.evaluate("() => typeof window.axe !== 'undefined'"))


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA, and best practice)."""
    if not _has_axe(page):
        page.add_script_tag(content=axe_source())
    if not _has_axe(page):
        # Scripts are off in this page (the no-JavaScript tests): check the same document in a
        # page of the same size where they run. Its styles are inline, so it looks the same.
        browser = page.context.browser
        assert browser is not None
        context = browser.new_context(viewport=page.viewport_size, java_script_enabled=True)
        try:
            copy = context.new_page()
            copy.set_content(page.content())
            return axe_violations(copy)
        finally:
            context.close()
    result: dict[str, Any] = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
        }"""
    )
    return list(result)


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen (0 when it fits)."""
    return int(page.evaluate("() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"))


def _values(table: Mapping[str, Any]) -> Iterable[str]:
    for key, value in table.items():
        if isinstance(value, Mapping):
            yield from _values(value)
        elif isinstance(value, str) and key not in SWITCH_KEYS:
            yield value


def _fragments(message: str) -> Iterable[str]:
    """The literal parts of a message: what surrounds its {placeholders}, stripped."""
    for part in re.split(r"\{\w+\}", message):
        part = part.strip(" :：,，.。()（）·—→-")
        if len(part) >= 2:
            yield part


@cache
def ui_messages(lang: str) -> tuple[str, ...]:
    """Every message of the citizen pages and the console in one language, from their tables."""
    tables: list[Mapping[str, Any]] = [
        i18n.TEXT[lang],
        {str(k): v for k, v in i18n.LEVEL_NAMES[lang].items()},
        {str(k): v for k, v in i18n.VERDICT_NAMES[lang].items()},
        i18n.FIELD_NAMES[lang],
        {f"{f}|{k}": v for (f, k), v in i18n.FIELD_PROBLEMS[lang].items()},
        i18n.PROBLEMS[lang],
        console_i18n.strings(lang),
    ]
    found = {fragment for table in tables for value in _values(table) for fragment in _fragments(value)}
    return tuple(sorted(found, key=len, reverse=True))


def shown_text(page: Page) -> str:
    """What a reader meets on the page in the page's own words: its visible text, its title, and the
    names and values of its controls and landmarks (aria-label, alt, title, placeholder, button
    values). Words as a person wrote them (``.said``: a comment, an officer's note) are left out:
    they are in whatever language their writer used."""
    return str(
        page.evaluate(
            """() => {
                const said = [...document.querySelectorAll('.said')];
                const before = said.map(e => e.style.display);
                said.forEach(e => { e.style.display = 'none'; });
                const text = document.body.innerText;
                said.forEach((e, i) => { e.style.display = before[i]; });
                const parts = [document.title, text];
                for (const e of document.querySelectorAll('[aria-label],[alt],[title],[placeholder]')) {
                    for (const a of ['aria-label', 'alt', 'title', 'placeholder']) {
                        if (e.hasAttribute(a)) parts.push(e.getAttribute(a));
                    }
                }
                for (const e of document.querySelectorAll('input[type=submit],input[type=button]')) parts.push(e.value);
                return parts.join('\\n');
            }"""
        )
    )


def switch_link_texts(page: Page) -> list[str]:
    return [
        str(t)
        for t in page.evaluate(
            "() => [...document.querySelectorAll('a[hreflang], a.lang, #lang')].map(a => a.innerText)"
        )
    ]


def other_language(page: Page, lang: str) -> list[str]:
    """The other language's UI messages found on a page in ``lang`` (the switch link aside)."""
    other = "en" if lang == "zh" else "zh"
    text = shown_text(page)
    for switch in switch_link_texts(page):
        text = text.replace(switch, " ")
    found = []
    for message in ui_messages(other):
        if message in ui_messages(lang):
            continue  # the same in both (a code, a number, a dash)
        if other == "en":
            if re.search(rf"(?<![A-Za-z]){re.escape(message)}(?![A-Za-z])", text):
                found.append(message)
        elif message in text:
            found.append(message)
    return found


def check_page(page: Page, lang: str, what: str) -> None:
    """The three checks every page gets: fits 360 px, one language, no axe violation."""
    overflow = horizontal_overflow(page)
    assert overflow <= 0, f"{what} ({lang}) is {overflow} px wider than the screen"
    stray = other_language(page, lang)
    assert stray == [], f"{what} ({lang}) shows the other language: {stray}"
    violations = axe_violations(page)
    assert violations == [], f"{what} ({lang}): axe-core found {violations}"
