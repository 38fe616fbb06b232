"""A citizen rates a window from the demo registry in Chromium, with and without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import plate_url

pytestmark = pytest.mark.browser

WINDOW = "YC01-A001"
PHONE = "13912345678"


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def context(request, browser: Browser) -> Iterator[BrowserContext]:
    created = browser.new_context(java_script_enabled=request.param, locale="zh-CN")
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext, demo_twin) -> Iterator[Page]:
    opened = context.new_page()
    foreign: list[str] = []
    # Nothing may be loaded from other hosts.
    opened.on("request", lambda r: foreign.append(r.url) if urlparse(r.url).port != demo_twin.http_port else None)
    yield opened
    assert foreign == []
    opened.close()


def test_one_tap_good_review_gives_a_receipt(page: Page, demo_twin):
    # Given the plate of a window
    page.goto(plate_url(demo_twin, WINDOW))
    expect(page.get_by_role("heading", level=1)).to_have_text("请为本次服务评价")
    # When the citizen taps 非常满意
    page.get_by_role("button", name="非常满意").click()
    # Then the receipt shows a tracking code
    expect(page.get_by_role("heading", level=1)).to_have_text("评价已提交")
    expect(page.locator("#tracking-code")).to_have_text(re.compile(r"^[2-9A-HJ-NP-Z]{12}$"))
    expect(page.locator("#status")).to_contain_text("无需处理")


def test_bad_review_with_tags_and_call_back_gives_a_receipt(page: Page, demo_twin):
    # Given the plate of a window
    page.goto(plate_url(demo_twin, WINDOW))
    # When the citizen taps 非常不满意, chooses tags and leaves a name and phone for the call-back
    page.get_by_role("button", name="非常不满意").click()
    expect(page.get_by_role("heading", name="哪里让您不满意？")).to_be_visible()
    tags = page.locator("fieldset[data-level='1']:not([disabled]) input[name=tags]")
    tags.nth(0).check()
    tags.nth(1).check()
    page.get_by_label("补充说明").fill("等了很久 <script>alert(1)</script>")
    page.get_by_label("姓名").fill("测试者")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_label("我同意").check()
    page.get_by_role("button", name="提交评价").click()
    # Then the receipt says the bad review was received and by when the citizen will be called,
    # and shows no personal data
    expect(page.get_by_role("heading", level=1)).to_have_text("评价已提交")
    expect(page.locator("#steps li").first).to_contain_text("已受理")
    expect(page.locator("#status")).to_contain_text(re.compile(r"回访专员将在 \d{4}年\d+月\d+日 24:00 前与您联系核实"))
    assert PHONE not in page.content()
    assert "测试者" not in page.content()


def test_english_switch(page: Page, demo_twin):
    page.goto(plate_url(demo_twin, WINDOW))
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How was your service today?")
    page.get_by_role("button", name="Very satisfied").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rating received")


def test_form_is_one_small_page_with_labelled_controls(page: Page, demo_twin):
    response = page.goto(plate_url(demo_twin, WINDOW))
    assert response is not None
    assert len(response.body()) < 30 * 1024
    assert page.locator("meta[charset='utf-8']").count() == 1
    # every visible or revealable input has a label
    for control in page.locator("input:not([type=hidden]), textarea").all():
        control_id = control.get_attribute("id")
        labelled = control.evaluate("e => e.labels && e.labels.length > 0")
        assert labelled, control_id or control.get_attribute("name")


def test_a_changed_window_code_is_refused(page: Page, demo_twin):
    url = plate_url(demo_twin, WINDOW).replace(WINDOW, "YC01-A002")
    response = page.goto(url)
    assert response is not None and response.status == 403
