"""The citizen's pages and the console's sign-in on a 360 × 740 phone, in Chinese and in English:
each fits the screen, speaks the page's language alone (its refusals included) and passes axe-core.

The status page in every task state, and the console's list and task pages, are checked the same
way in test_task_states_truth.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from haochaping.web import console_i18n
from haochaping.web.i18n import FIELD_NAMES, TEXT, field_problem
from localtwin.twin import LocalTwin
from playwright.sync_api import Browser, Page, expect

from tests.browser.checks import PHONE, check_page
from tests.browser.conftest import plate_url
from tests.browser.test_console import OFFICER, PASSWORD, call, sign_in_with_the_keyboard, staff_users
from tests.browser.test_task_states_truth import LABELS, LOCALES, open_in_console
from tests.integration.conftest import staff_sign_in, wait_for

pytestmark = pytest.mark.browser

__all__ = ["staff_users"]

WINDOW = "YC01-A003"
LANGS = ("zh", "en")
# What a validator or a pattern looks like: never on a citizen's page.
MACHINE_WORDS = re.compile(r"Value error|String should|pattern|\^\[|\]\{|\$'|Field required|Input should")


@pytest.fixture(
    params=[(lang, js) for lang in LANGS for js in (True, False)],
    ids=lambda p: f"{p[0]}-{'javascript' if p[1] else 'no-javascript'}",
)
def phone(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, bool, Page]]:
    lang, javascript = request.param
    context = browser.new_context(locale=LOCALES[lang], viewport=PHONE, java_script_enabled=javascript)
    yield lang, javascript, context.new_page()
    context.close()


@pytest.fixture(params=LANGS)
def phone_js(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    context = browser.new_context(locale=LOCALES[request.param], viewport=PHONE)
    yield request.param, context.new_page()
    context.close()


def opened_task(twin: LocalTwin, code: str) -> dict[str, Any]:
    """The rating's follow-up task as an officer reads it, once the queue has opened it."""
    token = staff_sign_in(twin, OFFICER, PASSWORD)

    def read() -> dict[str, Any] | None:
        status, task = call("GET", f"{twin.url}/staff/tasks/{code}", token=token)
        return task if status == 200 else None

    return dict(wait_for(read, timeout=30))


def form_url(twin: LocalTwin, lang: str) -> str:
    return f"{plate_url(twin, WINDOW)}&lang={lang}"


def sig_of(twin: LocalTwin) -> str:
    return parse_qs(urlparse(plate_url(twin, WINDOW)).query)["sig"][0]


def test_the_form_and_its_details_step_fit_a_phone(phone: tuple[str, bool, Page], demo_twin: LocalTwin) -> None:
    lang, javascript, page = phone
    text = TEXT[lang]
    # Given the rating form of a window
    page.goto(form_url(demo_twin, lang))
    # Then it fits, in one language, and the last face is on the screen whole
    check_page(page, lang, "the rating form")
    last = page.locator(".face").last.bounding_box()
    assert last is not None and last["x"] >= 0 and last["x"] + last["width"] <= PHONE["width"]
    expect(page.locator("main")).to_contain_text(text["tap_good"])
    # When a bad face is tapped: the details step, in place or as a page of its own
    page.locator(".face").last.click()
    expect(page.get_by_role("heading", name=text["details_heading"])).to_be_visible()
    check_page(page, lang, "the rating form's details step")
    # Then, without JavaScript, the details step is a page of its own, which no longer says a tap
    # rates: there, it does not
    if not javascript:
        expect(page.locator("main")).not_to_contain_text(text["tap_good"])
        expect(page.locator("main")).to_contain_text(text["details_note"])


def test_a_refused_form_keeps_what_was_typed_and_says_each_problem_in_words(
    phone: tuple[str, bool, Page], demo_twin: LocalTwin, staff_users: None
) -> None:
    lang, javascript, page = phone
    text = TEXT[lang]
    comment, name = ("Waited an hour", "Li Lei") if lang == "en" else ("等了一个小时", "李雷")
    # Given the details step of a bad review, filled with a name, a wrong mobile number and no consent
    page.goto(form_url(demo_twin, lang))
    page.locator(".face").nth(3).click()
    page.locator("fieldset:not([disabled]) input[name=tags]").first.check()
    page.get_by_label(text["comment"]).fill(comment)
    page.get_by_label(text["name"], exact=True).fill(name)
    page.get_by_label(text["phone"]).fill("1391234")
    # When it is sent
    page.get_by_role("button", name=text["submit"]).click()
    # Then what is wrong is said field by field, in words, in the page's language …
    problems = page.locator("#problems")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text(FIELD_NAMES[lang]["evaluator.phone"])
    expect(problems).to_contain_text(field_problem(lang, "evaluator.phone", "string_pattern_mismatch"))
    expect(problems).to_contain_text(field_problem(lang, "evaluator.consent", "value_error"))
    assert not MACHINE_WORDS.search(page.locator("main").inner_text())
    expect(page.get_by_label(text["phone"])).to_have_attribute("aria-invalid", "true")
    # … and what was given is still there: all of it, checked before sending; or, when the server
    # refused it (no JavaScript), what was chosen, since it never sends back what was written
    expect(page.locator("fieldset:not([disabled]) input[name=tags]").first).to_be_checked()
    if javascript:
        expect(page.get_by_label(text["comment"])).to_have_value(comment)
        expect(page.get_by_label(text["name"], exact=True)).to_have_value(name)
        expect(page.get_by_label(text["phone"])).to_have_value("1391234")
    else:
        expect(page.get_by_label(text["name"], exact=True)).to_have_value("")
        expect(page.locator("#retype")).to_have_text(text["retype_personal"])
        page.get_by_label(text["comment"]).fill(comment)
        page.get_by_label(text["name"], exact=True).fill(name)
    check_page(page, lang, "the rating form, refused")
    # When the citizen puts it right and sends it again
    page.get_by_label(text["phone"]).fill("13912345678")
    page.get_by_label(text["consent"]).check()
    page.get_by_role("button", name=text["submit"]).click()
    # Then the receipt says where to look the review up and by when the citizen will be called
    expect(page.get_by_role("heading", level=1)).to_have_text(text["receipt_title"])
    code = page.locator("#tracking-code").inner_text()
    expect(page.locator("#status-link")).to_have_text(f"{demo_twin.url}/ratings/{code}")
    call_by = page.locator("#steps li[data-step=contact] time.due").get_attribute("datetime")
    assert call_by is not None
    expect(page.locator("#status")).to_contain_text(re.compile(r"24:00"))
    check_page(page, lang, "the receipt of a real-name bad review")
    # And the day it names is the one the task records once it is open
    task = opened_task(demo_twin, code)
    assert task["first_contact_day"] == call_by


@pytest.mark.parametrize("lang", LANGS)
def test_a_malformed_tracking_code_is_said_in_words(browser: Browser, demo_twin: LocalTwin, lang: str) -> None:
    context = browser.new_context(locale=LOCALES[lang], viewport=PHONE)
    page = context.new_page()
    try:
        # When a citizen opens the status page of a code mistyped
        response = page.goto(f"{demo_twin.url}/ratings/abc0?lang={lang}")
        # Then the page says so in its language, naming the field, never its pattern
        assert response is not None and response.status == 422
        main = page.locator("main")
        expect(main).to_contain_text(FIELD_NAMES[lang]["tracking_code"])
        expect(main).to_contain_text(field_problem(lang, "tracking_code", "string_pattern_mismatch"))
        assert not MACHINE_WORDS.search(main.inner_text())
        check_page(page, lang, "the error page of a malformed tracking code")
    finally:
        context.close()


def test_the_consoles_sign_in_and_its_forms_speak_the_pages_language(
    phone_js: tuple[str, Page], demo_twin: LocalTwin, staff_users: None
) -> None:
    lang, page = phone_js
    words = console_i18n.TEXT[lang]
    # Given the console's sign-in on a phone
    page.goto(f"{demo_twin.url}/console{'?lang=en' if lang == 'en' else ''}")
    check_page(page, lang, "the console's sign-in")
    # When it is sent empty, the browser's refusal is in the page's words, not the browser's
    page.get_by_role("button", name=words["sign_in"]).click()
    assert page.get_by_label(LABELS[lang][0]).evaluate("e => e.validationMessage") == words["need_username"]
    # And a move that needs a text says so in the page's words too
    status, receipt = call(
        "POST",
        f"{demo_twin.url}/ratings",
        {"window_code": WINDOW, "sig": sig_of(demo_twin), "level": 2, "submission_id": uuid.uuid4().hex},
    )
    assert status == 201, receipt
    code = str(opened_task(demo_twin, receipt["tracking_code"])["tracking_code"])
    sign_in_with_the_keyboard(page, OFFICER, LABELS[lang])
    expect(page.get_by_role("heading", level=2)).to_have_text(words["tasks_heading"])
    open_in_console(page, f"{demo_twin.url}/console{'?lang=en' if lang == 'en' else ''}#task={code}")
    form = page.locator("form.act:has(textarea[required])").first
    expect(form).to_be_visible()
    action = form.get_attribute("data-action")
    assert action is not None
    form.locator("button[type=submit]").click()
    label = console_i18n.TEXT_LABELS[lang][action]
    assert form.locator("textarea").evaluate("e => e.validationMessage") == words["need_text"].format(label=label)
