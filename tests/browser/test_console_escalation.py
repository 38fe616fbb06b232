"""The console shows how far an overdue task has climbed 督办, on a twin whose clock moved days ahead.

A twin of its own: moving the clock would age the other console tests' tasks.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from localtwin.twin import LocalTwin, env_for_clients
from playwright.sync_api import Browser, Page, expect

from tests.browser import test_console
from tests.browser.conftest import demo_division
from tests.browser.test_console import OFFICER, PASSWORD, call, sign_in_with_the_keyboard
from tests.integration.conftest import next_step_at, staff_sign_in

pytestmark = pytest.mark.browser

rate_badly = test_console.rate_badly  # the console tests' fixture, on this module's twin


@pytest.fixture(scope="module")
def demo_twin() -> Iterator[LocalTwin]:
    with demo_division("haochaping-640100-escalation") as twin:
        yield twin


@pytest.fixture(scope="module")
def staff_users(demo_twin: LocalTwin) -> None:
    cli = Path(sys.executable).parent / "haochaping"
    subprocess.run(
        [str(cli), "staff", "users", "--stack", demo_twin.stack_name, "--password", PASSWORD],
        env={**os.environ, **env_for_clients(demo_twin.endpoints)},
        check=True,
        capture_output=True,
    )


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_an_overdue_task_shows_its_escalation_level_in_the_list_the_task_and_its_trail(
    page: Page, demo_twin: LocalTwin, rate_badly
) -> None:
    # Given a real-name bad review left alone past its first-contact deadline: reminded, then escalated
    code = rate_badly()
    token = staff_sign_in(demo_twin, OFFICER, PASSWORD)
    for taken in (1, 2):
        step_at = next_step_at(demo_twin, code)
        assert step_at is not None
        demo_twin.advance_to(max(step_at, demo_twin.now()) + timedelta(minutes=6))
        deadline = time.monotonic() + 15
        while len(call("GET", f"{demo_twin.url}/staff/tasks/{code}", token=token)[1]["escalations"]) < taken:
            assert time.monotonic() < deadline, "the step was not taken within 15 s"
            time.sleep(0.2)
    # When the officer opens the console
    page.goto(f"{demo_twin.url}/console")
    sign_in_with_the_keyboard(page, OFFICER)
    # Then the task's row says it was escalated to the hall supervisor, and its clock is overdue
    # by the server's time (the twin's), not the PC's
    row = page.locator("#task-rows tr").filter(has=page.get_by_role("link", name=code, exact=True))
    expect(row.locator(".esc")).to_have_text("督办 1 · 大厅督办")
    expect(row.locator(".clock")).to_have_text(re.compile(r"^已超期 "))
    # And the task shows the level with its time, and the trail one line per step, by the system
    row.get_by_role("link", name=code, exact=True).click()
    expect(page.locator("#task-facts .esc")).to_have_text("督办 1 · 大厅督办")
    trail = page.locator("#audit-rows tr")
    expect(trail.filter(has_text="到期提醒")).to_have_count(1)
    expect(trail.filter(has_text="大厅督办")).to_have_count(1)
    expect(trail.filter(has_text="大厅督办").locator("td").nth(2)).to_have_text("系统")
