"""The published results page 结果公示 in Chromium, without JavaScript: its charts and lists render,
its figures are latest.json's, and it names no evaluator, phone or staff member of the test data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from localtwin.twin import LocalTwin
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import demo_division, signing_secret
from tests.publication_on_twin import EVALUATOR, PHONE, fetch, publish_on_twin, staff_of_the_registry

pytestmark = pytest.mark.browser

CHARTS = {
    "trend",
    "levels",
    "ranking-halls",
    "ranking-departments",
    "ranking-windows",
    "key-supervision",
    "outcomes",
    "on-time",
}


@pytest.fixture(scope="module")
def published() -> Iterator[tuple[LocalTwin, dict[str, Any]]]:
    """A twin of its own (its clock is moved a day on), the results published there."""
    with demo_division("haochaping-640100") as twin:
        yield twin, publish_on_twin(twin, signing_secret(twin))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@pytest.fixture
def page(browser: Browser, published: tuple[LocalTwin, dict[str, Any]]) -> Iterator[Page]:
    twin, _ = published
    context = browser.new_context(java_script_enabled=False)
    opened = context.new_page()
    foreign: list[str] = []
    opened.on("request", lambda r: foreign.append(r.url) if urlparse(r.url).port != twin.http_port else None)
    yield opened
    assert foreign == []
    context.close()


@pytest.mark.parametrize(("name", "lang"), [("index.html", "zh-CN"), ("index.en.html", "en")])
def test_the_page_renders_its_charts_and_lists_with_latests_figures(
    page: Page, published: tuple[LocalTwin, dict[str, Any]], name: str, lang: str
) -> None:
    twin, latest = published
    # When the public opens the page, JavaScript off
    page.goto(f"{twin.url}/published/{name}")
    # Then it is the division's, in its language
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", level=1)).to_contain_text(latest["division"]["name"])
    # And every chart is drawn, visible, with a text alternative whose title and description exist
    charts = page.locator('svg[role="img"]')
    drawn = {charts.nth(i).get_attribute("data-chart") for i in range(charts.count())}
    assert drawn >= CHARTS
    for i in range(charts.count()):
        chart = charts.nth(i)
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 10
        for label_id in (chart.get_attribute("aria-labelledby") or "").split():
            assert page.locator(f"#{label_id}").count() == 1, label_id
        expect(chart.locator("title").first).not_to_be_empty()
    # And the overview says what latest.json says
    division = latest["figures"]["division"]
    overview = page.locator('table[data-figures="division"]')
    expect(overview.locator('[data-field="valid"]')).to_have_text(str(division["valid"]))
    expect(overview.locator('[data-field="good_rate"]')).to_have_text(percent(division["good_rate"]))
    expect(overview.locator('[data-field="on_time_rate"]')).to_have_text(percent(division["on_time_rate"]))
    # And each ranking lists latest.json's units in its order, with their bounds, then the not ranked
    for key, ranking in latest["rankings"].items():
        rows = page.locator(f'section[data-ranking="{key}"] tr[data-code]')
        assert [rows.nth(i).get_attribute("data-code") for i in range(rows.count())] == [
            u["code"] for u in ranking["ranked"]
        ]
        for i, unit in enumerate(ranking["ranked"]):
            expect(rows.nth(i).locator('[data-field="lower_bound"]')).to_have_text(percent(unit["lower_bound"]))
        red = page.locator(f'ol[data-red-list="{key}"] li[data-code]')
        assert [red.nth(i).get_attribute("data-code") for i in range(red.count())] == [
            u["code"] for u in latest["red_list"][key]
        ]
        not_ranked = page.locator(f'ul[data-not-ranked="{key}"] li')
        assert not_ranked.count() == len(ranking["not_ranked"])
    # And the key-supervision list is latest.json's units (A001, its department, its hall: 3 bad reviews)
    listed = page.locator("[data-key-supervision] tr[data-code]")
    assert len(latest["key_supervision"]) == 3
    assert [listed.nth(i).get_attribute("data-code") for i in range(listed.count())] == [
        u["code"] for u in latest["key_supervision"]
    ]
    # And no evaluator, phone or staff member of the test data is named anywhere on it
    content = page.content()
    shown = page.locator("body").inner_text()
    for text in (content, shown):
        assert EVALUATOR not in text and PHONE not in text
        for job_number, staff_name in staff_of_the_registry():
            assert job_number not in text and staff_name not in text, job_number


def test_latest_json_is_the_same_document_as_the_page_was_drawn_from(published: tuple[LocalTwin, Any]) -> None:
    twin, latest = published
    status, raw = fetch(twin, "latest.json")
    assert status == 200 and json.loads(raw) == latest
