"""The pages as templates make them: escaped values, browser code inlined from files, data as JSON."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from haochaping.domain.followup import open_task
from haochaping.domain.rating import Channel, Level, Rating
from haochaping.domain.registry import Department, Hall, Tag, TagSet, Window, WindowEntry
from haochaping.web import render
from haochaping.web.console import ACTION_INPUTS, TEXT_LIMIT, console_page
from haochaping.web.console_i18n import strings
from haochaping.web.pages import error_page, form_page, receipt_page

pytestmark = pytest.mark.unit

MARKUP = '<b onclick="x()">&'
ESCAPED = "&lt;b onclick=&#34;x()&#34;&gt;&amp;"


def entry_named(name: str) -> WindowEntry:
    department = Department(code="11640104MB1234567X", name=f"社保局{name}")
    window = Window(
        code="640104-A017", hall_code="XQ01", number="A017", name=f"窗口{name}", department_code=department.code
    )
    return WindowEntry(window=window, hall=Hall(code="XQ01", name=f"大厅{name}"), department=department)


def test_the_form_shows_what_a_registry_file_supplied_as_text() -> None:
    # Given a window, its hall, department and tags named with markup
    tags = TagSet(version="v1", tags=(Tag(code="201", name=f"态度{MARKUP}"),))
    # When its form is made, and its details step
    pages = [
        form_page(entry_named(MARKUP), tags, "zh", {"sig": f"s{MARKUP}"}, "sub-1234567890", f"XQ{MARKUP}", level)
        for level in (None, Level.DISSATISFIED)
    ]
    # Then every one of them is text on the page, never an element
    for page in pages:
        assert "<b " not in page
        assert page.count(ESCAPED) >= 5


def test_the_receipt_and_the_error_page_show_the_citizens_words_as_text() -> None:
    # Given a bad review whose follow-up says something with markup in it
    now = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    rating = Rating(
        tracking_code="ABCD2345EFGH",
        submission_id="sub-1234567890",
        division_code="640104",
        window_code="640104-A017",
        hall_code="XQ01",
        department_code="11640104MB1234567X",
        staff_job_number=None,
        level=Level.DISSATISFIED,
        channel=Channel.QR,
        tags=(),
        tag_version="v1",
        comment=MARKUP,
        case_no=None,
        item_code=None,
        real_name=False,
        assess_number=1,
        rated_at=now,
    )
    task = open_task("ABCD2345EFGH", "640104", "XQ01", "640104-A017", None, False, now, now, now, False)
    task = dataclasses.replace(task, feedback=MARKUP)
    # When the receipt and an error page with a field problem are made
    # (the citizen's key comes from the page's link, so anyone can make it anything)
    receipt = receipt_page(rating, entry_named(MARKUP), "en", task, ["appeal"], MARKUP, "https://example.test")
    error = error_page("zh", MARKUP, [{"field": f"x{MARKUP}", "problem": MARKUP}], back=f"/r/x?{MARKUP}")
    # Then the markup is text on both
    for page in (receipt, error):
        assert "<b " not in page
        assert ESCAPED in page


def test_the_console_gives_its_script_the_words_and_inputs_as_json() -> None:
    # Given the console page in each language
    for lang in ("zh", "en"):
        page = console_page(lang)
        # When its script's data is read back as the browser reads it
        (data,) = re.findall(r'<script type="application/json" id="console-data">(.*?)</script>', page, re.S)
        # Then it is the console's words, each action's inputs and the text limit
        assert json.loads(data) == {"strings": strings(lang), "inputs": ACTION_INPUTS, "limit": TEXT_LIMIT}
        # And the script itself is the package's file, as it is
        assert f"<script>{(render.STATIC / 'console.js').read_text(encoding='utf-8')}</script>" in page


def test_a_file_that_would_end_its_element_early_is_not_inlined(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given a script holding what ends a <script> element
    (tmp_path / "bad.js").write_text('document.write("</script><script>alert(1)</script>");\n', encoding="utf-8")
    monkeypatch.setattr(render, "STATIC", tmp_path)
    render.inline.cache_clear()
    # When it is inlined, then it is refused
    try:
        with pytest.raises(ValueError, match="cannot be inlined"):
            render.inline("bad.js")
    finally:
        render.inline.cache_clear()


def test_every_script_and_style_sheet_of_the_package_can_be_inlined() -> None:
    # Given every file under web/static
    files = sorted(render.STATIC.iterdir())
    assert {f.suffix for f in files} == {".js", ".css"}
    # When each is inlined, then none is refused
    for file in files:
        assert str(render.inline(file.name)).strip()
