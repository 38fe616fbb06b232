"""The staff console in Chromium: an officer works a real-name bad review to closure.

On the demo twin with the demo registry loaded and console users created by the admin command
line (`haochaping staff users`), as an admin would do it.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from localtwin.twin import LocalTwin, env_for_clients
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.conftest import plate_url
from tests.integration.conftest import post_rating, staff_sign_in

pytestmark = pytest.mark.browser

WINDOW = "YC01-A001"
OFFICER = "YC018001"  # 演示回访员甲1: officer of hall YC01 in the demo registry
OTHER_OFFICER = "YC018002"  # 演示回访员甲2, same hall
SUPERVISOR = "YC019001"  # 演示督办员甲, same hall
OVERSEER = "YC019801"  # 演示管理办督查员: the division's management office 管理办公室
PASSWORD = "Console-Browser-2026"
EVALUATOR = {"name": "回访测试人", "phone": "13800138000", "consent": True}
# Citizens write the comments: the console must show this as text, never as markup.
COMMENT = "窗口人员态度很差 <b id=injected>加粗</b>"
SCREENSHOT = Path("/tmp/console.png")


@pytest.fixture(scope="module")
def staff_users(demo_twin: LocalTwin) -> None:
    """Console users for the registry's officers, supervisors and admins, made as an admin would."""
    cli = Path(sys.executable).parent / "haochaping"
    result = subprocess.run(
        [str(cli), "staff", "users", "--stack", demo_twin.stack_name, "--password", PASSWORD],
        env={**os.environ, **env_for_clients(demo_twin.endpoints)},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(f"`haochaping staff users` failed ({result.returncode}): {result.stderr or result.stdout}")


def call(method: str, url: str, body: dict[str, Any] | None = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture
def rate_badly(demo_twin: LocalTwin, staff_users: None) -> Callable[[], str]:
    """A citizen sends a real-name 非常不满意 for the window; returns its code once its task exists."""

    def rate() -> str:
        sig = parse_qs(urlparse(plate_url(demo_twin, WINDOW)).query)["sig"][0]
        rating = {
            "window_code": WINDOW,
            "sig": sig,
            "level": 1,
            "tags": ["101", "104"],
            "comment": COMMENT,
            "evaluator": EVALUATOR,
            "submission_id": uuid.uuid4().hex,
        }
        status, receipt = post_rating(demo_twin, rating)  # from a phone that opened the plate's form
        assert status == 201, receipt
        code = str(receipt["tracking_code"])
        # The task is opened from the queue: wait until the officer's list has it.
        token = staff_sign_in(demo_twin, OFFICER, PASSWORD)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, listed = call("GET", f"{demo_twin.url}/staff/tasks?real_name=true", token=token)
            assert status == 200, listed
            if any(task["tracking_code"] == code for task in listed["tasks"]):
                return code
            time.sleep(0.3)
        raise AssertionError(f"no follow-up task for {code} after 30 s")

    return rate


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext, demo_twin: LocalTwin) -> Iterator[Page]:
    opened = context.new_page()
    foreign: list[str] = []
    # Nothing may be loaded from other hosts.
    opened.on("request", lambda r: foreign.append(r.url) if urlparse(r.url).port != demo_twin.http_port else None)
    yield opened
    assert foreign == []
    opened.close()


def sign_in_with_the_keyboard(page: Page, job_number: str, labels: tuple[str, str] = ("工号", "密码")) -> None:
    expect(page.get_by_label(labels[0])).to_be_focused()
    page.keyboard.type(job_number)
    page.keyboard.press("Tab")
    expect(page.get_by_label(labels[1])).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def action_form(page: Page, button: str) -> Locator:
    return page.locator("form.act").filter(has=page.get_by_role("button", name=button, exact=True))


# The moves the console asks about before sending (web.console.IRREVERSIBLE), by their buttons.
CONFIRMED = {"办结", "同意不予采纳", "申诉成立，恢复评价", "驳回申诉"}


def act(page: Page, button: str, text: str | None = None, choice: str | None = None) -> None:
    """Fill what the action needs, press its button (and confirm it, when the console asks), and
    wait for the result to be announced."""
    form = action_form(page, button)
    if choice is not None:
        form.get_by_label(choice, exact=True).check()
    if text is not None:
        form.locator("textarea").fill(text)
    action = form.get_attribute("data-action")
    form.get_by_role("button", name=button, exact=True).click()
    if button in CONFIRMED:  # the form's own button is hidden while it asks
        page.locator(f"form.act[data-action={action}]").get_by_role("button", name=f"确认：{button}").click()
    expect(page.locator("#notice")).to_contain_text(f"已完成：{button}")


def facts(page: Page) -> Locator:
    return page.locator("#task-facts")


def test_an_officer_works_a_real_name_bad_review_to_closure(page: Page, demo_twin: LocalTwin, rate_badly):
    # Given a real-name bad review whose task the officer's notification links to
    code = rate_badly()
    page.goto(f"{demo_twin.url}/console#task={code}")
    assert page.locator("meta[charset='utf-8']").count() == 1
    expect(page.get_by_role("heading", level=1)).to_have_text("回访核实工作台")

    # When the officer signs in with the keyboard alone
    sign_in_with_the_keyboard(page, OFFICER)

    # Then the task opens, with the rating as text and the evaluator's phone for the call-back
    expect(page.get_by_role("heading", level=2)).to_have_text(f"任务 {code}")
    expect(page.locator("#who")).to_contain_text(OFFICER)
    expect(facts(page)).to_contain_text("回访核实中")
    rating = page.locator("#task-rating")
    expect(rating).to_contain_text("非常不满意")
    expect(rating).to_contain_text(COMMENT)  # the markup shows as typed …
    assert page.locator("#injected").count() == 0  # … and was never parsed
    expect(page.locator("#evaluator-phone")).to_have_text(EVALUATOR["phone"])
    expect(page.locator("#task-evaluator")).to_contain_text(EVALUATOR["name"])
    expect(facts(page)).to_contain_text("剩余")

    # When the officer records the contact
    act(page, "记录已联系评价人", "已电话联系评价人，核实属实")
    expect(facts(page)).to_contain_text("已联系评价人")
    # … and so holds it: a colleague may not act on it
    colleague = staff_sign_in(demo_twin, OTHER_OFFICER, PASSWORD)
    status, body = call(
        "POST",
        f"{demo_twin.url}/staff/tasks/{code}/actions",
        {"action": "record_contact", "version": 2, "text": "同事再次联系"},
        colleague,
    )
    assert (status, body["error"]["code"]) == (403, "not_holder"), body
    # … while the officer acts on the same task from another window, so the version this one holds is stale
    status, body = call(
        "POST",
        f"{demo_twin.url}/staff/tasks/{code}/actions",
        {"action": "record_contact", "version": 2, "text": "再次联系评价人"},
        staff_sign_in(demo_twin, OFFICER, PASSWORD),
    )
    assert status == 200, body
    action_form(page, "开始整改").locator("textarea").fill("加强窗口服务培训")
    action_form(page, "开始整改").get_by_role("button", name="开始整改").click()
    # Then the console shows the server's message and the task as it is now
    expect(page.locator("#problem")).to_have_text("任务已被他人更新，已重新载入，请核对后再办理。")  # no version shown
    expect(page.locator("#audit-rows")).to_contain_text("再次联系评价人")

    # When the officer works the task to closure
    act(page, "开始整改", "加强窗口服务培训")
    expect(facts(page)).to_contain_text("整改中")
    act(page, "整改完成", "已对窗口人员进行服务规范培训并调整排班")
    expect(facts(page)).to_contain_text("已整改")
    act(page, "反馈评价人", "您反映的问题已整改，感谢监督。")
    expect(facts(page)).to_contain_text("已反馈")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    act(page, "记录回访结果", "评价人表示满意", choice="满意")
    expect(facts(page)).to_contain_text("已回访")
    act(page, "办结")

    # Then the task is closed and the audit trail has every step, who took it and how the state moved
    expect(facts(page)).to_contain_text("已办结")
    expect(page.locator("#task-actions")).to_contain_text("当前没有您可以办理的操作")
    rows = page.locator("#audit-rows tr")
    expect(rows).to_have_count(8)
    steps = [
        ("收到差评，生成任务", "系统", "— → 回访核实中"),
        ("记录已联系评价人", OFFICER, "回访核实中 → 回访核实中"),
        ("记录已联系评价人", OFFICER, "回访核实中 → 回访核实中"),
        ("开始整改", OFFICER, "回访核实中 → 整改中"),
        ("整改完成", OFFICER, "整改中 → 已整改"),
        ("反馈评价人", OFFICER, "已整改 → 已反馈"),
        ("记录回访结果", OFFICER, "已反馈 → 已回访"),
        ("办结", OFFICER, "已回访 → 已办结"),
    ]
    for index, (action, who, change) in enumerate(steps):
        cells = rows.nth(index).locator("td")
        expect(cells.nth(2)).to_have_text(who)
        expect(cells.nth(4)).to_have_text(action)
        expect(cells.nth(5)).to_contain_text(change)
        if who != "系统":
            expect(cells.nth(3)).to_have_text("回访专员")
            expect(cells.nth(1)).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))
    # the verdict is kept beside the note, and named in the console's words
    expect(rows.nth(6).locator("td").nth(6)).to_have_text("满意、评价人表示满意")
    expect(facts(page)).to_contain_text("评价人对整改的评价满意")

    # When the officer signs out, the task and the evaluator's phone are gone from the page
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.locator("#notice")).to_have_text("已退出登录。")
    assert EVALUATOR["phone"] not in page.content()


def test_an_officer_records_a_call_back_that_reached_nobody(page: Page, demo_twin: LocalTwin, rate_badly):
    # Given a real-name bad review explained to the citizen
    code = rate_badly()
    token = staff_sign_in(demo_twin, OFFICER, PASSWORD)
    for version, (action, text) in enumerate((("explain", "须本人到场办理"), ("give_feedback", "已说明")), start=1):
        status, body = call(
            "POST",
            f"{demo_twin.url}/staff/tasks/{code}/actions",
            {"action": action, "version": version, "text": text},
            token,
        )
        assert status == 200, body
    # When the officer opens it in the console
    page.goto(f"{demo_twin.url}/console#task={code}")
    sign_in_with_the_keyboard(page, OFFICER)
    expect(page.get_by_role("heading", level=2)).to_have_text(f"任务 {code}")
    # Then the call-back and the unsuccessful attempt are offered, with the attempt's outcomes, and closing is not
    attempt = action_form(page, "记录回访未果")
    expect(attempt.locator("legend")).to_have_text("未果原因（必填）")
    for outcome in ("无人接听或占线", "关机、停机或无法接通", "接通但拒绝回访"):
        expect(attempt.get_by_label(outcome, exact=True)).to_have_count(1)
    expect(action_form(page, "记录回访结果")).to_have_count(1)
    expect(action_form(page, "办结")).to_have_count(0)
    # When they record that nobody answered
    act(page, "记录回访未果", "上午十点致电无人接听", choice="无人接听或占线")
    # Then the task shows the attempt, and the trail has it with its outcome
    expect(facts(page)).to_contain_text("回访未果记录")
    expect(facts(page)).to_contain_text("无人接听或占线")
    last = page.locator("#audit-rows tr").last.locator("td")
    expect(last.nth(4)).to_have_text("记录回访未果")
    expect(last.nth(6)).to_have_text("no_answer 上午十点致电无人接听")
    expect(action_form(page, "办结")).to_have_count(0)


def test_the_task_list_filters_and_counts_down(page: Page, demo_twin: LocalTwin, rate_badly):
    # Given an open real-name task of the officer's hall
    code = rate_badly()
    page.goto(f"{demo_twin.url}/console")
    sign_in_with_the_keyboard(page, OFFICER)
    expect(page.get_by_role("heading", level=2)).to_have_text("本大厅回访任务")
    # Then the list shows its code, window, state, real-name flag and a clock to the contact deadline
    row = page.locator("#task-rows tr").filter(has=page.get_by_role("link", name=code, exact=True))
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text(WINDOW)
    expect(row.locator("td").nth(2)).to_have_text("非常不满意服务态度恶劣、办事效率极低")  # level and tags
    expect(row.locator("td").nth(3)).to_have_text("回访核实中")
    expect(row.locator("td").nth(4)).to_have_text("实名")
    expect(row.locator("td").nth(5)).to_have_text("待认领")
    expect(row.locator("td").nth(6)).to_contain_text("联系时限")
    expect(page.locator("#task-count")).to_have_text(re.compile(r"^共 \d+ 件（所有未办结的任务，及最近的 200 件）$"))
    clock = row.locator(".clock")
    expect(clock).to_have_text(re.compile(r"^(剩余|已超期) "))
    before = clock.inner_text()
    expect(clock).not_to_have_text(before, timeout=3000)  # live
    # When the officer shows anonymous tasks only, it is not listed
    page.get_by_label("实名").select_option("false")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("link", name=code, exact=True)).to_have_count(0)
    # … and with real-name tasks in 回访核实中 it is
    page.get_by_label("实名").select_option("true")
    page.get_by_label("状态").select_option("verifying")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("link", name=code, exact=True)).to_have_count(1)
    # When the officer opens it from the list, the address names the task
    page.get_by_role("link", name=code, exact=True).click()
    expect(page.get_by_role("heading", level=2)).to_have_text(f"任务 {code}")
    assert page.url.endswith(f"#task={code}")
    # Officers do not get the supervisors' reports
    expect(page.get_by_role("link", name="不予采纳通报")).to_have_count(0)


def test_a_supervisor_approves_not_adopted_and_reads_the_report(page: Page, demo_twin: LocalTwin, rate_badly):
    # Given an officer proposed not adopting a bad review, as malicious
    code = rate_badly()
    page.goto(f"{demo_twin.url}/console#task={code}")
    sign_in_with_the_keyboard(page, OFFICER)
    expect(page.get_by_role("heading", level=2)).to_have_text(f"任务 {code}")
    form = action_form(page, "提请不予采纳")
    form.locator("textarea").fill("监控显示评价人未在该窗口办理业务")
    form.get_by_role("button", name="提请不予采纳").click()
    # the reason is required: the browser holds the form back until one is chosen
    assert form.locator("input[name=reason]").first.evaluate("e => !e.validity.valid")
    expect(page.locator("#notice")).not_to_contain_text("已完成")
    act(page, "提请不予采纳", "监控显示评价人未在该窗口办理业务", choice="恶意差评")
    expect(facts(page)).to_contain_text("拟不予采纳，待审核")
    expect(action_form(page, "同意不予采纳")).to_have_count(0)
    page.get_by_role("button", name="退出登录").click()
    # When the hall's supervisor follows the same link and approves
    page.goto(f"{demo_twin.url}/console#task={code}")
    sign_in_with_the_keyboard(page, SUPERVISOR)
    expect(page.get_by_role("heading", level=2)).to_have_text(f"任务 {code}")
    act(page, "同意不予采纳")
    expect(facts(page)).to_contain_text("不予采纳")
    expect(facts(page)).to_contain_text("恶意差评")
    # Then the not-adopted reports list it
    page.get_by_role("link", name="不予采纳通报").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("不予采纳通报")
    report = page.locator("#report-rows tr").filter(has=page.get_by_role("link", name=code, exact=True))
    expect(report).to_have_count(1)
    expect(report).to_contain_text("恶意差评")
    expect(report).to_contain_text(OFFICER)
    expect(report).to_contain_text(SUPERVISOR)


def test_an_officer_takes_a_task_on_lists_it_as_theirs_and_a_supervisor_hands_it_on(
    page: Page, demo_twin: LocalTwin, rate_badly
):
    # Given a bad review nobody has taken on yet, opened by an officer it went to
    code = rate_badly()
    page.goto(f"{demo_twin.url}/console#task={code}")
    sign_in_with_the_keyboard(page, OFFICER)
    expect(facts(page)).to_contain_text("负责人（专人）待认领")
    expect(facts(page)).to_contain_text(f"派给{OFFICER}、{OTHER_OFFICER}")
    # When the officer claims it
    act(page, "认领")
    # Then it is theirs, and their "mine" list has it, marked
    expect(facts(page)).to_contain_text(f"负责人（专人）{OFFICER}（我）")
    expect(action_form(page, "认领")).to_have_count(0)
    page.get_by_role("link", name="返回任务列表").click()
    page.get_by_label("负责人").select_option("me")
    page.get_by_role("button", name="查询").click()
    row = page.locator("#task-rows tr").filter(has=page.get_by_role("link", name=code, exact=True))
    expect(row.locator("td").nth(4)).to_have_text(f"{OFFICER}（我）")
    expect(row.locator(".mine")).to_have_count(1)
    page.get_by_role("button", name="退出登录").click()
    # When the hall's supervisor reassigns it to the other officer, saying why
    page.goto(f"{demo_twin.url}/console#task={code}")
    sign_in_with_the_keyboard(page, SUPERVISOR)
    form = action_form(page, "指派 / 改派")
    form.get_by_label("指派给（回访专员工号）").fill(OTHER_OFFICER.lower())
    form.locator("textarea").fill("原回访专员外出培训")
    form.get_by_role("button", name="指派 / 改派").click()
    expect(page.locator("#notice")).to_contain_text("已完成：指派 / 改派")
    # Then the other officer holds it, and the audit trail says who handed it from whom to whom, and why
    expect(facts(page)).to_contain_text(f"负责人（专人）{OTHER_OFFICER}")
    last = page.locator("#audit-rows tr").last.locator("td")
    expect(last.nth(2)).to_have_text(SUPERVISOR)
    expect(last.nth(4)).to_have_text("指派 / 改派")
    expect(last.nth(6)).to_have_text(f"{OFFICER} → {OTHER_OFFICER} 原回访专员外出培训")


def test_the_management_office_opens_on_the_reports(page: Page, demo_twin: LocalTwin, staff_users: None):
    # Given the management office's overseer of the demo division
    page.goto(f"{demo_twin.url}/console")
    # When they sign in
    sign_in_with_the_keyboard(page, OVERSEER)
    # Then the console opens on the not-adopted reports, with no hall's task list to go to
    expect(page.get_by_role("heading", level=2)).to_have_text("不予采纳通报")
    expect(page.locator("#who")).to_contain_text("管理办公室")
    expect(page.get_by_role("link", name="不予采纳通报")).to_be_visible()
    expect(page.get_by_role("link", name="任务列表")).to_have_count(0)


def test_english_switch(page: Page, demo_twin: LocalTwin, staff_users: None):
    page.goto(f"{demo_twin.url}/console")
    expect(page.get_by_role("heading", level=2)).to_have_text("登录")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-up console")
    assert page.locator("html").get_attribute("lang") == "en"
    sign_in_with_the_keyboard(page, OFFICER, ("Job number", "Password"))
    expect(page.get_by_role("heading", level=2)).to_have_text("Follow-up tasks of my hall")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Tracking code")).to_be_visible()


def test_a_wrong_password_is_refused_in_the_live_region(page: Page, demo_twin: LocalTwin, staff_users: None):
    page.goto(f"{demo_twin.url}/console")
    page.get_by_label("工号").fill(OFFICER)
    page.get_by_label("密码").fill("not-the-password-1A")
    page.get_by_label("密码").press("Enter")
    expect(page.get_by_role("alert")).to_have_text("工号或密码不正确，请重试。")
    expect(page.get_by_label("密码")).to_be_focused()
    expect(page.get_by_label("密码")).to_have_value("")


def test_every_control_is_labelled_and_reachable_by_tab(page: Page, demo_twin: LocalTwin, rate_badly):
    code = rate_badly()
    page.goto(f"{demo_twin.url}/console#task={code}")
    sign_in_with_the_keyboard(page, OFFICER)
    expect(page.get_by_role("heading", level=2)).to_have_text(f"任务 {code}")
    # every input has a label; every control is a native, focusable one
    for control in page.locator("input, textarea, select").all():
        assert control.evaluate("e => e.labels && e.labels.length > 0"), control.get_attribute("id")
    assert page.locator("[onclick], div[role=button], span[role=button]").count() == 0
    # headings do not skip a level
    headings = page.locator("h1, h2, h3, h4, h5, h6").all()
    levels = [int(h.evaluate("e => e.tagName.slice(1)")) for h in headings if h.is_visible()]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    # Tab reaches every visible button, link and field, each with a visible focus ring
    # (a radio group is one Tab stop: the arrow keys move within it)
    wanted = set(
        page.evaluate(
            """() => [...document.querySelectorAll('a[href], button, input, textarea, select')]
                .filter(e => e.offsetParent !== null)
                .filter(e => e.type !== 'radio' || e.form.querySelector(`input[name=${e.name}]`) === e)
                .map(e => e.id || e.textContent.trim() || e.name)"""
        )
    )
    reached: set[str] = set()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(len(wanted) * 3 + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.id || e.textContent.trim() || e.name, s.outlineStyle, s.outlineWidth]; }"
        )
        if focused[0] in wanted:
            assert focused[1] != "none" and focused[2] != "0px", focused
        reached.add(focused[0])
    assert wanted <= reached, wanted - reached
