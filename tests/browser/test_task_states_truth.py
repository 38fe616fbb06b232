"""Every task state, as the citizen's status page and the officer's console say it, against what
the task records — on a 360 × 740 phone, in Chinese and in English.

Four bad reviews are walked through every state a follow-up task has: a real-name one fixed and
called back; an anonymous one not adopted, appealed and dismissed; an anonymous one explained and
rated by the citizen; a real-name one not adopted, whose appeal is upheld and which is then
resolved. At each state both pages, in both languages, must fit the screen, speak one language
and pass axe-core, and every fact they show must be the task's (read from the staff API).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from haochaping.domain.rating import Level
from haochaping.web import console_i18n, i18n
from localtwin.twin import LocalTwin
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.checks import PHONE, check_page
from tests.browser.conftest import plate_url
from tests.browser.test_console import OFFICER, PASSWORD, SUPERVISOR, call, sign_in_with_the_keyboard, staff_users
from tests.integration.conftest import staff_sign_in

pytestmark = pytest.mark.browser

__all__ = ["staff_users"]  # the console tests' fixture: the demo staff's console users, once per module

WINDOW = "YC01-A002"
CHINA = ZoneInfo("Asia/Shanghai")
LOCALES = {"zh": "zh-CN", "en": "en-US"}
LABELS = {"zh": ("工号", "密码"), "en": ("Job number", "Password")}
# The moves whose trail line dates a step the status page shows as done.
DATED_BY = {
    "contact": ("record_contact",),
    "rectified": ("mark_rectified",),
    "resolved_on_spot": ("resolve_on_spot",),
    "explained": ("explain",),
    "not_adopted": ("approve_not_adopted",),
    "feedback": ("give_feedback",),
    "verdict": ("give_verdict", "record_call_back"),
    "appeal_dismissed": ("dismiss_appeal",),
    "closed": ("close", "give_verdict"),
}


class Walk:
    """The twin, the staff's tokens and one phone per language: the citizen's tab and the console's."""

    def __init__(self, twin: LocalTwin, pages: dict[str, dict[str, Page]]) -> None:
        self.twin = twin
        self.pages = pages
        self.officer = staff_sign_in(twin, OFFICER, PASSWORD)
        self.supervisor = staff_sign_in(twin, SUPERVISOR, PASSWORD)
        self.sig = parse_qs(urlparse(plate_url(twin, WINDOW)).query)["sig"][0]

    def rate(self, real_name: bool) -> str:
        """A 非常不满意 with two tags; its code once its task is open."""
        rating: dict[str, Any] = {
            "window_code": WINDOW,
            "sig": self.sig,
            "level": 1,
            "tags": ["102", "105"],
            "submission_id": uuid.uuid4().hex,
        }
        if real_name:
            rating["evaluator"] = {"name": "王五", "phone": "13700137000", "consent": True}
        status, receipt = call("POST", f"{self.twin.url}/ratings", rating)
        assert status == 201, receipt
        code = str(receipt["tracking_code"])
        deadline = time.monotonic() + 30
        while call("GET", f"{self.twin.url}/staff/tasks/{code}", token=self.officer)[0] != 200:
            assert time.monotonic() < deadline, f"no task for {code} after 30 s"
            time.sleep(0.2)
        return code

    def act(self, code: str, action: str, supervisor: bool = False, **fields: Any) -> None:
        token = self.supervisor if supervisor else self.officer
        _, task = call("GET", f"{self.twin.url}/staff/tasks/{code}", token=token)
        body = {"action": action, "version": task["version"], **fields}
        status, answer = call("POST", f"{self.twin.url}/staff/tasks/{code}/actions", body, token=token)
        assert status == 200, answer

    def facts(self, code: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """What the task records (the staff API) and what the citizen may do (the status as JSON)."""
        status, task = call("GET", f"{self.twin.url}/staff/tasks/{code}", token=self.officer)
        assert status == 200, task
        status, rating = call("GET", f"{self.twin.url}/ratings/{code}?format=json")
        assert status == 200, rating
        return task, rating

    def check(self, code: str, label: str, steps: list[str]) -> None:
        """Both pages in both languages say what the task records; ``steps`` as "key:status"."""
        task, rating = self.facts(code)
        for lang in ("zh", "en"):
            self.status_page(code, lang, label, steps, task, rating)
            self.console_page(code, lang, label, task)

    def status_page(
        self, code: str, lang: str, label: str, steps: list[str], task: dict[str, Any], rating: dict[str, Any]
    ) -> None:
        page = self.pages[lang]["citizen"]
        page.goto(f"{self.twin.url}/ratings/{code}?lang={lang}")
        check_page(page, lang, f"the status page, {label}")
        shown = page.locator("#steps li").evaluate_all(
            "items => items.map(i => i.dataset.step + ':' + i.dataset.status)"
        )
        assert shown == steps, f"{label} ({lang})"
        # Each step done carries the day of its line in the trail; each step due, the deadline it runs to
        for item in page.locator("#steps li").all():
            key, status = item.get_attribute("data-step"), item.get_attribute("data-status")
            done_on = item.locator("time:not(.due)")
            if status == "done" and key in DATED_BY and key != "received":
                assert done_on.get_attribute("datetime") == day_of_last(task, DATED_BY[key]), (label, key)
            due = item.locator("time.due")
            if due.count():
                assert due.get_attribute("datetime") == due_day_of(key, task, rating), (label, key)
        # A verdict is asked only when the citizen may give one; an appeal likewise
        actions = rating["citizen_actions"]
        expect(page.locator("#verdict-form")).to_have_count(1 if "give_verdict" in actions else 0)
        expect(page.locator("#appeal-form")).to_have_count(1 if "appeal" in actions else 0)
        assert ("give_verdict" in actions) <= (not task["rating_void"])  # never after not adopted

    def console_page(self, code: str, lang: str, label: str, task: dict[str, Any]) -> None:
        page = self.pages[lang]["console"]
        words = console_i18n.TEXT[lang]
        open_in_console(page, f"{self.twin.url}/console{'?lang=en' if lang == 'en' else ''}#task={code}")
        expect(page.locator("#task-h")).to_have_text(words["task_heading"].format(code=code))
        facts = page.locator("#task-facts")
        expect(facts).to_contain_text(console_i18n.STATE_NAMES[lang][task["state"]])
        expect(page.locator("#audit-rows tr")).to_have_count(len(task["audit"]))
        check_page(page, lang, f"the console's task page, {label}")
        text = facts.inner_text()
        # Contacted only as recorded
        if not task["real_name"]:
            assert words["anonymous_no_contact"] in text, label
        elif task["contacted"]:
            assert words["contacted_at"].split("（")[0].split("(")[0] in text, label
            assert words["not_contacted"] not in text
        else:
            assert words["not_contacted"] in text, label
        if not task["contacted"]:
            assert words["contacted_at"].split("（")[0].split("(")[0] not in text, label
        # A countdown only for a deadline that still runs
        expect(facts.locator(".clock")).to_have_count(1 if task["running_deadline"] else 0)
        if not task["running_deadline"]:
            assert words["clock_closed" if task["state"] == "closed" else "clock_void"] in text, label
        # What it waits for, as badges
        expect(facts.locator(".badge.wait")).to_have_count(1 if task["awaiting_supervisor"] else 0)
        expect(facts.locator(".badge.appeal")).to_have_count(1 if task["appeal_open"] else 0)
        # Each deadline as the end of its day, and no version number
        for day in (task["first_contact_day"], task["rectification_day"]):
            assert f"{day[5:]} 24:00" in text, label
        assert not re.search(r"(版本|[Vv]ersion)\s*\d", page.locator("main").inner_text())


def open_in_console(page: Page, url: str) -> None:
    """The console at this address, its task read afresh (the same address again is a reload)."""
    if page.url == url:
        page.reload()
    else:
        page.goto(url)


def day_of_last(task: dict[str, Any], actions: tuple[str, ...]) -> str:
    at = next(e["at"] for e in reversed(task["audit"]) if e["action"] in actions)
    return datetime.fromisoformat(at).astimezone(CHINA).date().isoformat()


def due_day_of(key: str | None, task: dict[str, Any], rating: dict[str, Any]) -> str:
    if key in ("contact", "verify"):
        return str(task["first_contact_day"])
    if key == "appeal":  # the appeal period runs to the minute, not to the end of a working day
        return datetime.fromisoformat(rating["appeal_deadline"]).astimezone(CHINA).strftime("%Y-%m-%dT%H:%M")
    return str(task["rectification_day"])


@pytest.fixture(scope="module")
def walk(browser: Browser, demo_twin: LocalTwin, staff_users: None) -> Iterator[Walk]:
    contexts: list[BrowserContext] = []
    pages: dict[str, dict[str, Page]] = {}
    for lang, locale in LOCALES.items():
        context = browser.new_context(locale=locale, viewport=PHONE)
        contexts.append(context)
        console = context.new_page()
        console.goto(f"{demo_twin.url}/console{'?lang=en' if lang == 'en' else ''}")
        sign_in_with_the_keyboard(console, OFFICER, LABELS[lang])
        expect(console.get_by_role("heading", level=2)).to_have_text(console_i18n.TEXT[lang]["tasks_heading"])
        pages[lang] = {"citizen": context.new_page(), "console": console}
    yield Walk(demo_twin, pages)
    for context in contexts:
        context.close()


def test_a_real_name_review_fixed_and_called_back(walk: Walk) -> None:
    # Given a real-name bad review just opened
    code = walk.rate(real_name=True)
    walk.check(
        code,
        "opened",
        [
            "received:done",
            "contact:current",
            "handle:upcoming",
            "feedback:upcoming",
            "verdict:upcoming",
            "closed:upcoming",
        ],
    )
    # When the officer records the call, then rectifies, then replies
    walk.act(code, "record_contact", text="已电话联系")
    walk.check(
        code,
        "contacted",
        ["received:done", "contact:done", "handle:current", "feedback:upcoming", "verdict:upcoming", "closed:upcoming"],
    )
    walk.act(code, "start_rectification", text="调整排班")
    walk.check(
        code,
        "rectifying",
        [
            "received:done",
            "contact:done",
            "rectifying:current",
            "feedback:upcoming",
            "verdict:upcoming",
            "closed:upcoming",
        ],
    )
    walk.act(code, "mark_rectified", text="已增开窗口")
    walk.check(
        code,
        "rectified",
        ["received:done", "contact:done", "rectified:done", "feedback:current", "verdict:upcoming", "closed:upcoming"],
    )
    walk.act(code, "give_feedback", text="已增开窗口，感谢监督")
    walk.check(
        code,
        "replied",
        ["received:done", "contact:done", "rectified:done", "feedback:done", "verdict:current", "closed:upcoming"],
    )
    walk.act(code, "record_call_back", verdict="basically_satisfied", text="电话回访")
    walk.check(
        code,
        "called back",
        ["received:done", "contact:done", "rectified:done", "feedback:done", "verdict:done", "closed:upcoming"],
    )
    # When the officer closes it in the console, which asks first
    page = walk.pages["zh"]["console"]
    open_in_console(page, f"{walk.twin.url}/console#task={code}")
    close = page.locator("form.act[data-action=close]")
    close.get_by_role("button", name="办结", exact=True).click()
    expect(close.get_by_role("group")).to_contain_text(console_i18n.TEXT["zh"]["confirm_close"])
    close.get_by_role("button", name="取消").click()
    expect(page.locator("#notice")).to_have_text(console_i18n.TEXT["zh"]["cancelled"])
    assert walk.facts(code)[0]["state"] == "called_back"  # nothing was sent
    close.get_by_role("button", name="办结", exact=True).click()
    close.get_by_role("button", name="确认：办结").click()
    expect(page.locator("#notice")).to_contain_text("已完成：办结")
    # Then it is closed, on both pages
    walk.check(
        code,
        "closed",
        ["received:done", "contact:done", "rectified:done", "feedback:done", "verdict:done", "closed:done"],
    )


def test_an_anonymous_review_not_adopted_appealed_and_dismissed(walk: Walk) -> None:
    # Given an anonymous bad review just opened
    code = walk.rate(real_name=False)
    walk.check(
        code,
        "anonymous, opened",
        [
            "received:done",
            "verify:current",
            "handle:upcoming",
            "feedback:upcoming",
            "verdict:upcoming",
            "closed:upcoming",
        ],
    )
    # When the officer proposes not adopting it, and the supervisor approves
    walk.act(code, "propose_not_adopted", reason="mistaken", text="监控显示评价人未在该窗口办理")
    walk.check(
        code,
        "proposed not adopted",
        ["received:done", "verify:done", "proposed_not_adopted:current", "feedback:upcoming", "closed:upcoming"],
    )
    walk.act(code, "approve_not_adopted", supervisor=True)
    walk.check(
        code,
        "not adopted",
        ["received:done", "verify:done", "not_adopted:done", "feedback:current", "appeal:upcoming", "closed:upcoming"],
    )
    walk.act(code, "give_feedback", text="经核实为误评，不予采纳")
    walk.check(
        code,
        "not adopted, replied",
        ["received:done", "verify:done", "not_adopted:done", "feedback:done", "appeal:current", "closed:upcoming"],
    )
    # When the citizen appeals on the status page
    page = walk.pages["zh"]["citizen"]
    page.goto(f"{walk.twin.url}/ratings/{code}?lang=zh")
    page.get_by_label(i18n.TEXT["zh"]["appeal_label"]).fill("我当天确实在该窗口办理过业务，有受理单")
    page.get_by_role("button", name=i18n.TEXT["zh"]["send_appeal"]).click()
    # Then the page confirms it, as the task records it
    expect(page.locator("#confirmation")).to_have_text(i18n.TEXT["zh"]["done_appeal"])
    walk.check(
        code,
        "appeal open",
        ["received:done", "verify:done", "not_adopted:done", "feedback:done", "appeal_open:current", "closed:upcoming"],
    )
    # When the supervisor dismisses it, and the officer closes the task
    walk.act(code, "dismiss_appeal", supervisor=True, text="监控记录为证")
    walk.check(
        code,
        "appeal dismissed",
        [
            "received:done",
            "verify:done",
            "not_adopted:done",
            "feedback:done",
            "appeal_dismissed:done",
            "closed:upcoming",
        ],
    )
    walk.act(code, "close")
    walk.check(
        code,
        "not adopted, closed",
        ["received:done", "verify:done", "not_adopted:done", "feedback:done", "appeal_dismissed:done", "closed:done"],
    )


def test_an_anonymous_review_explained_and_rated_by_the_citizen(walk: Walk) -> None:
    # Given an anonymous bad review whose officer went straight to the fix: nobody was contacted
    code = walk.rate(real_name=False)
    walk.act(code, "start_rectification", text="核实排队系统")
    walk.check(
        code,
        "anonymous, rectifying",
        [
            "received:done",
            "verify:done",
            "rectifying:current",
            "feedback:upcoming",
            "verdict:upcoming",
            "closed:upcoming",
        ],
    )
    walk.act(code, "explain", text="系统升级期间无法缩短等候")
    walk.check(
        code,
        "explained",
        ["received:done", "verify:done", "explained:done", "feedback:current", "verdict:upcoming", "closed:upcoming"],
    )
    walk.act(code, "give_feedback", text="系统升级后将恢复")
    walk.check(
        code,
        "explained, replied",
        ["received:done", "verify:done", "explained:done", "feedback:done", "verdict:current", "closed:upcoming"],
    )
    # When the citizen gives their verdict on the English status page
    page = walk.pages["en"]["citizen"]
    page.goto(f"{walk.twin.url}/ratings/{code}?lang=en")
    page.get_by_label("Satisfied", exact=True).check()
    page.get_by_role("button", name=i18n.TEXT["en"]["send_verdict"]).click()
    # Then the page confirms it by name, and the task closes with it
    expect(page.locator("#confirmation")).to_have_text("Your verdict on the fix was received: Satisfied.")
    walk.check(
        code,
        "rated by the citizen",
        ["received:done", "verify:done", "explained:done", "feedback:done", "verdict:done", "closed:done"],
    )


def test_an_upheld_appeal_is_worked_anew_and_resolved(walk: Walk) -> None:
    # Given a real-name bad review not adopted, whose citizen appealed
    code = walk.rate(real_name=True)
    walk.act(code, "record_contact", text="已联系")
    walk.act(code, "propose_not_adopted", reason="malicious", text="重复差评")
    walk.act(code, "approve_not_adopted", supervisor=True)
    walk.act(code, "give_feedback", text="不予采纳")
    status, body = call("POST", f"{walk.twin.url}/ratings/{code}/appeal", {"text": "我没有恶意"})
    assert status == 200, body
    # When the supervisor upholds the appeal
    walk.act(code, "uphold_appeal", supervisor=True, text="证据不足")
    # Then the review counts again and is worked anew, with its deadlines counted again
    walk.check(
        code,
        "appeal upheld",
        ["received:done", "contact:done", "handle:current", "feedback:upcoming", "verdict:upcoming", "closed:upcoming"],
    )
    page = walk.pages["zh"]["citizen"]
    page.goto(f"{walk.twin.url}/ratings/{code}?lang=zh")
    expect(page.locator("#status")).to_contain_text(i18n.TEXT["zh"]["appeal_upheld"])
    walk.act(code, "resolve_on_spot", text="当面致歉并办结业务")
    walk.check(
        code,
        "resolved on the spot",
        [
            "received:done",
            "contact:done",
            "resolved_on_spot:done",
            "feedback:current",
            "verdict:upcoming",
            "closed:upcoming",
        ],
    )


def test_the_task_list_flags_what_waits_and_fits_a_phone(walk: Walk) -> None:
    # Given a task waiting for a supervisor beside others
    code = walk.rate(real_name=False)
    walk.act(code, "propose_not_adopted", reason="mistaken", text="误评")
    for lang in ("zh", "en"):
        page = walk.pages[lang]["console"]
        words = console_i18n.TEXT[lang]
        page.goto(f"{walk.twin.url}/console{'?lang=en' if lang == 'en' else ''}#tasks")
        # When the list is filtered on what waits for a supervisor
        page.get_by_label(words["filter_flag"]).select_option("awaiting_supervisor")
        page.get_by_role("button", name=words["apply"]).click()
        rows = page.locator("#task-rows tr")
        # Then every task listed waits for one and says so, and it is among them, with its level and tags
        expect(page.locator("#task-rows tr:not(:has(.badge.wait))")).to_have_count(0)
        expect(rows.filter(has=page.get_by_role("link", name=code, exact=True))).to_have_count(1)
        row = rows.filter(has=page.get_by_role("link", name=code, exact=True))
        expect(row).to_contain_text(i18n.LEVEL_NAMES[lang][Level.VERY_DISSATISFIED])
        expect(row).to_contain_text("Passed from desk to desk" if lang == "en" else "推诿扯皮")
        check_page(page, lang, "the console's task list")
        # And the whole list, unfiltered, fits the phone and speaks one language
        page.get_by_label(words["filter_flag"]).select_option("")
        page.get_by_role("button", name=words["apply"]).click()
        expect(page.locator("#task-rows tr").first).to_be_visible()
        check_page(page, lang, "the console's task list, unfiltered")
