"""The console's figures 评价数据 in Chromium: a supervisor reads the hall's figures of the day after a
few ratings, the same as GET /staff/figures gives for the same query, and downloads them as CSV;
an officer is not offered the staff members' figures; on a 360 px phone, in Chinese and in English,
the figures fit the screen, speak the page's language alone and pass axe-core.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from haochaping.domain.rating import CHINA_TIME
from haochaping.web import console_i18n
from localtwin.twin import LocalTwin
from playwright.sync_api import Browser, Page, expect

from tests.browser.checks import PHONE, check_page
from tests.browser.conftest import plate_url
from tests.browser.test_console import OFFICER, PASSWORD, SUPERVISOR, call, sign_in_with_the_keyboard, staff_users
from tests.browser.test_task_states_truth import LABELS, LOCALES
from tests.integration.conftest import http, post_rating, staff_sign_in, wait_for

pytestmark = pytest.mark.browser

__all__ = ["staff_users"]

HALL = "YC01"
WINDOW = "YC01-A005"
LEVELS = (5, 4, 2)  # 非常满意, 满意, 不满意
RATES = (
    "good_rate",
    "bad_rate",
    "reply_rate",
    "call_back_rate",
    "real_name_call_back_rate",
    "fix_satisfaction",
    "on_time_rate",
)


def today() -> str:
    return datetime.now(CHINA_TIME).date().isoformat()


def figures(twin: LocalTwin, token: str, period: str, scope: str) -> dict[str, Any]:
    status, body = call("GET", f"{twin.url}/staff/figures?{urlencode({'period': period, 'scope': scope})}", token=token)
    assert status == 200, body
    return dict(body)


def shown(row: dict[str, Any]) -> list[str]:
    """A row of GET /staff/figures as the console shows it: rates in percent, "—" for nothing to rate."""

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.2f}%"

    mean = row["mean_score"]
    return [
        row["code"],
        str(row["valid"]),
        pct(row["good_rate"]),
        pct(row["bad_rate"]),
        "—" if mean is None else f"{mean:.2f}",
        *(pct(row[name]) for name in RATES[2:]),
    ]


def table_rows(page: Page) -> list[list[str]]:
    rows = page.locator("#figures-rows tr")
    return [[cell.strip() for cell in rows.nth(i).locator("td > span").all_inner_texts()] for i in range(rows.count())]


@pytest.fixture(scope="module")
def rated_today(demo_twin: LocalTwin, staff_users: None) -> str:
    """A few ratings of a window of the hall, counted in today's figures; returns the day."""
    token = staff_sign_in(demo_twin, SUPERVISOR, PASSWORD)
    day = today()

    def valid() -> int:
        rows = figures(demo_twin, token, day, "window")["figures"]
        return sum(r["valid"] for r in rows if r["code"] == WINDOW)

    before = valid()
    sig = parse_qs(urlparse(plate_url(demo_twin, WINDOW)).query)["sig"][0]
    for level in LEVELS:  # each from a phone that opened the plate's form
        status, receipt = post_rating(
            demo_twin, {"window_code": WINDOW, "sig": sig, "level": level, "submission_id": uuid.uuid4().hex}
        )
        assert status == 201, receipt
    wait_for(lambda: valid() >= before + len(LEVELS), timeout=60, interval=0.5)
    return day


def console(twin: LocalTwin, lang: str) -> str:
    return f"{twin.url}/console{'?lang=en' if lang == 'en' else ''}"


def open_figures(page: Page, twin: LocalTwin, lang: str, who: str) -> None:
    words = console_i18n.TEXT[lang]
    page.goto(console(twin, lang))
    sign_in_with_the_keyboard(page, who, LABELS[lang])
    expect(page.get_by_role("heading", level=2)).to_have_text(words["tasks_heading"])
    page.get_by_role("link", name=words["nav_figures"]).click()
    expect(page.get_by_role("heading", level=2)).to_have_text(words["figures_heading"])
    expect(page.locator("#figures-table")).to_have_attribute("aria-busy", "false")


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    yield context.new_page()
    context.close()


def test_a_supervisor_reads_the_figures_the_api_gives_and_downloads_them(
    desktop: Page, demo_twin: LocalTwin, rated_today: str
) -> None:
    page, words = desktop, console_i18n.TEXT["zh"]
    token = staff_sign_in(demo_twin, SUPERVISOR, PASSWORD)
    # When the hall's supervisor opens the figures
    open_figures(page, demo_twin, "zh", SUPERVISOR)
    # Then they are today's, per hall, by default
    expect(page.get_by_label(words["figures_kind"])).to_have_value("day")
    expect(page.get_by_label(words["figures_period_day"])).to_have_value(rated_today)
    expect(page.get_by_label(words["figures_scope"])).to_have_value("hall")
    # And the hall's row is the one GET /staff/figures gives for the same query
    [hall] = figures(demo_twin, token, rated_today, "hall")["figures"]
    assert hall["code"] == HALL and hall["valid"] >= len(LEVELS)
    expect(page.locator("#figures-rows tr")).to_have_count(1)
    assert table_rows(page) == [shown(hall)]
    # When the figures per window are asked for
    page.get_by_label(words["figures_scope"]).select_option("window")
    page.get_by_role("button", name=words["figures_show"]).click()
    expected = [shown(r) for r in figures(demo_twin, token, rated_today, "window")["figures"]]
    expect(page.locator("#figures-rows tr")).to_have_count(len(expected))
    # Then each window's row matches the API's, the rated window's among them
    assert table_rows(page) == expected
    assert any(row[0] == WINDOW for row in expected)
    # And the same query is offered as a CSV file, fetched with the token
    link = page.get_by_role("link", name=words["figures_csv"])
    expect(link).to_have_attribute("href", f"/staff/figures?period={rated_today}&scope=window&format=csv")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"figures-window-{rated_today}.csv"
    status, _, csv_body = http(
        "GET",
        f"{demo_twin.url}/staff/figures?period={rated_today}&scope=window&format=csv",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert status == 200
    saved = download.value.path().read_bytes()
    assert saved.startswith("\ufeff".encode()) and saved == csv_body
    expect(page.locator("#notice")).to_have_text(words["figures_csv_ready"])
    # And a month's figures are there too, per staff member for a supervisor
    page.get_by_label(words["figures_kind"]).select_option("month")
    expect(page.get_by_label(words["figures_period_month"])).to_have_value(rated_today[:7])
    page.get_by_label(words["figures_scope"]).select_option("staff")
    page.get_by_role("button", name=words["figures_show"]).click()
    expected = [shown(r) for r in figures(demo_twin, token, rated_today[:7], "staff")["figures"]]
    expect(page.locator("#figures-summary")).to_contain_text(rated_today[:7])
    assert table_rows(page) == expected


def test_an_officer_is_not_offered_the_staff_members_figures(
    desktop: Page, demo_twin: LocalTwin, rated_today: str
) -> None:
    # When an officer of the hall opens the figures
    open_figures(desktop, demo_twin, "zh", OFFICER)
    # Then the hall's, its departments' and its windows' are offered, not each staff member's
    options = desktop.locator("#g-scope option")
    expect(options).to_have_count(3)
    assert [options.nth(i).get_attribute("value") for i in range(3)] == ["hall", "department", "window"]
    # And the API refuses them too
    status, body = call(
        "GET",
        f"{demo_twin.url}/staff/figures?period={rated_today}&scope=staff",
        token=staff_sign_in(demo_twin, OFFICER, PASSWORD),
    )
    assert status == 403, body


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_figures_fit_a_phone_in_either_language(
    browser: Browser, demo_twin: LocalTwin, rated_today: str, lang: str
) -> None:
    words = console_i18n.TEXT[lang]
    context = browser.new_context(locale=LOCALES[lang], viewport=PHONE)
    page = context.new_page()
    try:
        # Given the figures per window on a phone
        open_figures(page, demo_twin, lang, SUPERVISOR)
        page.get_by_label(words["figures_scope"]).select_option("window")
        page.get_by_role("button", name=words["figures_show"]).click()
        expect(page.locator("#figures-summary")).to_contain_text(words["scope_window"])
        expect(page.locator("#figures-table")).to_have_attribute("aria-busy", "false")
        # Then each row is a card that fits, in the page's language alone, with no axe violation
        row = page.locator("#figures-rows tr").first.bounding_box()
        assert row is not None and row["x"] >= 0 and row["x"] + row["width"] <= PHONE["width"]
        check_page(page, lang, "the console's figures")
    finally:
        context.close()


# -- rankings and internal lists 排名与榜单 (GET /staff/assessment) ---------------------------------

LISTS = ("ranking", "unranked", "red", "supervision", "performance", "organisation")


def assessment(twin: LocalTwin, token: str, period: str) -> dict[str, Any]:
    status, body = call("GET", f"{twin.url}/staff/assessment?{urlencode({'period': period})}", token=token)
    assert status == 200, body
    return dict(body)


def shown_lists(answer: dict[str, Any], words: dict[str, str]) -> dict[str, list[list[str]]]:
    """GET /staff/assessment as the console's tables show it: the bound in percent, kinds named."""

    def kind(x: dict[str, Any]) -> str:
        return words[f"scope_{x['scope']}"]

    def bound(x: dict[str, Any]) -> str:
        return f"{x['lower_bound'] * 100:.2f}%"

    def number(value: float) -> str:  # as JavaScript's String() writes it
        return str(int(value)) if float(value).is_integer() else str(value)

    ranked = [x for r in answer["rankings"] for x in r["ranked"]]
    unranked = [x for r in answer["rankings"] for x in r["not_ranked"]]
    return {
        "ranking": [[kind(x), str(x["rank"]), x["code"], str(x["valid"]), str(x["good"]), bound(x)] for x in ranked],
        "unranked": [[kind(x), x["code"], str(x["valid"]), str(x["good"])] for x in unranked],
        "red": [[kind(x), str(x["rank"]), x["code"], bound(x)] for x in answer["red_list"]],
        "supervision": [
            [kind(x), x["code"], str(x["bad_reviews"]), str(x["valid"])] for x in answer["key_supervision"]
        ],
        "performance": [
            [
                kind(x),
                x["code"],
                str(x["bad_reviews"]),
                str(x["verified_bad_reviews"]),
                number(x["deduction"]),
                words["eligible_yes"] if x["excellence_eligible"] else words["eligible_no"],
            ]
            for x in answer["performance"]
        ],
        "organisation": [
            [x["code"], str(x["verified_bad_reviews"]), number(x["deduction"])] for x in answer["organisation_list"]
        ],
    }


def list_rows(page: Page, name: str) -> list[list[str]]:
    rows = page.locator(f"#{name}-rows tr")
    return [[cell.strip() for cell in rows.nth(i).locator("td > span").all_inner_texts()] for i in range(rows.count())]


def test_a_supervisor_reads_the_internal_lists_the_api_gives(
    desktop: Page, demo_twin: LocalTwin, rated_today: str
) -> None:
    page, words = desktop, console_i18n.TEXT["zh"]
    token = staff_sign_in(demo_twin, SUPERVISOR, PASSWORD)
    # When the hall's supervisor opens the figures and asks for the month
    open_figures(page, demo_twin, "zh", SUPERVISOR)
    page.get_by_label(words["figures_kind"]).select_option("month")
    page.get_by_role("button", name=words["figures_show"]).click()
    expect(page.locator("#figures-summary")).to_contain_text(rated_today[:7])
    expect(page.locator("#assessment")).to_be_visible()
    # Then the page says the lists are internal
    expect(page.locator("#assessment")).to_contain_text(words["assessment_internal"])
    expect(page.get_by_role("heading", name=words["red_heading"], exact=True)).to_be_visible()
    # And every list is the one GET /staff/assessment gives for the month, the rated window among them
    expected = shown_lists(assessment(demo_twin, token, rated_today[:7]), words)
    assert any(WINDOW in row for rows in expected.values() for row in rows)
    for name in LISTS:
        assert list_rows(page, name) == expected[name], name
        none = page.locator(f"#{name}-none")
        if expected[name]:
            expect(none).to_be_hidden()
        else:
            expect(none).to_be_visible()
    expect(page.locator("#supervision-monthly")).to_be_hidden()


def test_an_officer_sees_no_internal_list(desktop: Page, demo_twin: LocalTwin, rated_today: str) -> None:
    open_figures(desktop, demo_twin, "zh", OFFICER)
    expect(desktop.locator("#figures-rows tr")).to_have_count(1)
    expect(desktop.locator("#assessment")).to_be_hidden()
    status, body = call(
        "GET",
        f"{demo_twin.url}/staff/assessment?period={rated_today}",
        token=staff_sign_in(demo_twin, OFFICER, PASSWORD),
    )
    assert status == 403, body


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_internal_lists_fit_a_phone_in_either_language(
    browser: Browser, demo_twin: LocalTwin, rated_today: str, lang: str
) -> None:
    words = console_i18n.TEXT[lang]
    context = browser.new_context(locale=LOCALES[lang], viewport=PHONE)
    page = context.new_page()
    try:
        # Given the month's lists on a phone
        open_figures(page, demo_twin, lang, SUPERVISOR)
        page.get_by_label(words["figures_kind"]).select_option("month")
        page.get_by_role("button", name=words["figures_show"]).click()
        expect(page.locator("#assessment")).to_be_visible()
        expect(page.locator("#assessment-summary")).to_contain_text(rated_today[:7])
        # Then every row of every list is a card that fits, and the page passes axe in its language
        for name in LISTS:
            rows = page.locator(f"#{name}-rows tr")
            for i in range(rows.count()):
                box = rows.nth(i).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], name
        check_page(page, lang, "the console's rankings and lists")
    finally:
        context.close()
