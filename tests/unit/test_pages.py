"""The pages as templates make them: escaped values, browser code inlined from files, data as JSON."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from haochaping.domain.escalation import TaskDeadlines
from haochaping.domain.followup import Action, Actor, Role, allowed_actions, apply, open_task
from haochaping.domain.rating import Channel, Level, Rating
from haochaping.domain.registry import Department, Hall, Tag, TagSet, Window, WindowEntry
from haochaping.domain.task import Task
from haochaping.web import render
from haochaping.web.console import ACTION_INPUTS, IRREVERSIBLE, TEXT_LIMIT, console_page
from haochaping.web.console_i18n import strings
from haochaping.web.i18n import FIELD_NAMES, FIELD_PROBLEMS, PROBLEMS, TEXT, error_message, field_name
from haochaping.web.pages import error_page, form_page, progress, receipt_page

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


def bad_rating() -> Rating:
    """An anonymous 不满意 of 2026-03-04."""
    now = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    return Rating(
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
        comment="",
        case_no=None,
        item_code=None,
        real_name=False,
        assess_number=1,
        rated_at=now,
    )


def test_the_receipt_and_the_error_page_show_the_citizens_words_as_text() -> None:
    # Given a bad review whose follow-up says something with markup in it
    now = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    rating = dataclasses.replace(bad_rating(), comment=MARKUP)
    task = open_task("ABCD2345EFGH", "640104", "XQ01", "640104-A017", None, False, now, now, now, False)
    task = dataclasses.replace(task, feedback=MARKUP)
    # When the receipt and an error page are made
    # (the citizen's key comes from the page's link, so anyone can make it anything)
    receipt = receipt_page(rating, entry_named(MARKUP), "en", task, ["appeal"], citizen_key=MARKUP)
    error = error_page("zh", MARKUP, back=f"/r/x?{MARKUP}")
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
        assert json.loads(data) == {
            "strings": strings(lang),
            "inputs": ACTION_INPUTS,
            "limit": TEXT_LIMIT,
            "confirm": list(IRREVERSIBLE),
        }
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


# ---------------------------------------------------------------- the status page tells the truth

OPENED = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # Wed 10:00 in China
CONTACT_DUE = datetime(2026, 3, 5, 16, 0, tzinfo=UTC)  # end of Thu 03-05
FIX_DUE = datetime(2026, 3, 11, 16, 0, tzinfo=UTC)  # end of Wed 03-11
OFFICER = Actor("XQ2001", frozenset({Role.OFFICER}), "XQ01", "640104")
SUPERVISOR = Actor("XQ3001", frozenset({Role.SUPERVISOR}), "XQ01", "640104")
SECOND_SUPERVISOR = Actor("XQ3002", frozenset({Role.SUPERVISOR}), "XQ01", "640104")  # took no part: decides appeals


def opened(real_name: bool) -> Task:
    return open_task(
        "ABCD2345EFGH", "640104", "XQ01", "640104-A017", None, real_name, OPENED, CONTACT_DUE, FIX_DUE, False
    )


def moved(task: Task, actor: Actor, action: Action, **kwargs: Any) -> Task:
    return apply(task, actor, action, task.version, OPENED + timedelta(days=len(task.audit)), **kwargs)


def steps_of(task: Task, now: datetime = OPENED) -> list[tuple[str, str]]:
    actions = [a.value for a in allowed_actions(task, Actor.citizen(), now)]
    return [(step.key, step.status) for step in progress(task, OPENED, actions, "zh", now)]


def test_the_steps_follow_a_real_name_review_to_its_fix_and_verdict() -> None:
    # Given a real-name bad review just opened
    task = opened(real_name=True)
    # Then the citizen is to be called by the first-contact deadline
    assert steps_of(task) == [
        ("received", "done"),
        ("contact", "current"),
        ("handle", "upcoming"),
        ("feedback", "upcoming"),
        ("verdict", "upcoming"),
        ("closed", "upcoming"),
    ]
    (contact,) = [s for s in progress(task, OPENED, [], "zh", OPENED) if s.key == "contact"]
    assert contact.due == date(2026, 3, 5)
    # When the call is recorded, the fix started and done, and the reply given
    task = moved(task, OFFICER, Action.RECORD_CONTACT)
    assert steps_of(task)[1:3] == [("contact", "done"), ("handle", "current")]
    task = moved(task, OFFICER, Action.START_RECTIFICATION, text="培训")
    assert steps_of(task)[2] == ("rectifying", "current")
    task = moved(task, OFFICER, Action.MARK_RECTIFIED, text="已培训")
    task = moved(task, OFFICER, Action.GIVE_FEEDBACK, text="已整改")
    # Then each step done is dated by its line in the trail, and the verdict is asked for now
    shown = progress(task, OPENED, ["give_verdict"], "zh", OPENED)
    assert [(s.key, s.status, s.on) for s in shown[:4]] == [
        ("received", "done", date(2026, 3, 4)),
        ("contact", "done", date(2026, 3, 5)),
        ("rectified", "done", date(2026, 3, 7)),
        ("feedback", "done", date(2026, 3, 8)),
    ]
    assert steps_of(task)[4:] == [("verdict", "current"), ("closed", "upcoming")]


def test_an_anonymous_review_is_verified_never_said_to_be_contacted() -> None:
    # Given an anonymous review whose officer went straight to the fix
    task = moved(opened(real_name=False), OFFICER, Action.START_RECTIFICATION, text="培训")
    # Then the first step after receiving it is the verification, done: no call is claimed
    assert steps_of(task)[:3] == [("received", "done"), ("verify", "done"), ("rectifying", "current")]
    # And the same for a real-name review whose contact was never recorded
    real = moved(opened(real_name=True), OFFICER, Action.START_RECTIFICATION, text="培训")
    assert ("contact", "done") not in steps_of(real)
    assert steps_of(real)[1] == ("verify", "done")


def test_a_review_not_adopted_offers_the_appeal_and_never_a_verdict() -> None:
    # Given a review proposed not adopted
    task = moved(
        moved(opened(real_name=False), OFFICER, Action.RECORD_CONTACT),
        OFFICER,
        Action.PROPOSE_NOT_ADOPTED,
        reason="mistaken",
        text="监控显示未在本窗口办理",
    )
    assert steps_of(task)[2] == ("proposed_not_adopted", "current")
    # When it is approved and the reply given
    task = moved(moved(task, SUPERVISOR, Action.APPROVE_NOT_ADOPTED), OFFICER, Action.GIVE_FEEDBACK, text="误评")
    now = task.audit[-1].at
    # Then the appeal is offered until its deadline; no verdict is asked; no deadline runs
    assert steps_of(task, now) == [
        ("received", "done"),
        ("verify", "done"),
        ("not_adopted", "done"),
        ("feedback", "done"),
        ("appeal", "current"),
        ("closed", "upcoming"),
    ]
    assert all(step.due is None for step in progress(task, OPENED, [], "zh", now) if step.key == "closed")
    # When the citizen appeals, it is under review; once dismissed, the decision stands
    appealed = apply(task, Actor.citizen(), Action.APPEAL, task.version, now, text="我有受理单")
    assert steps_of(appealed, now)[4] == ("appeal_open", "current")
    dismissed = moved(appealed, SECOND_SUPERVISOR, Action.DISMISS_APPEAL, text="监控为证")
    assert steps_of(dismissed, now)[4] == ("appeal_dismissed", "done")


def test_the_receipt_names_the_call_back_day_before_the_task_is_opened() -> None:
    # Given a real-name bad review whose task is not opened yet, and the deadlines it will have
    rating = dataclasses.replace(bad_rating(), real_name=True)
    deadlines = TaskDeadlines(OPENED, CONTACT_DUE, FIX_DUE, False)
    # When its receipt is made, in each language
    zh = receipt_page(rating, None, "zh", None, None, deadlines, "https://hcp.example/ratings/ABCD2345EFGH")
    en = receipt_page(rating, None, "en", None, None, deadlines, "https://hcp.example/ratings/ABCD2345EFGH")
    # Then it says by when the citizen will be called, and where to look the review up
    assert "回访专员将在 2026年3月5日 24:00 前与您联系核实。" in zh
    assert "A follow-up officer will call you by 24:00 on 5 Mar 2026." in en
    for page in (zh, en):
        assert ">https://hcp.example/ratings/ABCD2345EFGH</a>" in page


def test_a_move_is_confirmed_only_as_the_task_records_it() -> None:
    # Given a resolved review, its feedback given
    task = moved(
        moved(opened(real_name=False), OFFICER, Action.RESOLVE_ON_SPOT, text="当场解决"),
        OFFICER,
        Action.GIVE_FEEDBACK,
        text="已解决",
    )
    # When the page is asked to confirm a verdict the task does not have
    page = receipt_page(bad_rating(), None, "zh", task, ["give_verdict"], done="verdict")
    # Then it confirms nothing
    assert 'id="confirmation"' not in page
    # And once the verdict is recorded, it is confirmed by name
    rated = apply(task, Actor.citizen(), Action.GIVE_VERDICT, task.version, OPENED, verdict="basically_satisfied")
    assert "已收到您对整改结果的评价：基本满意。" in receipt_page(bad_rating(), None, "zh", rated, [], done="verdict")


# ---------------------------------------------------------------- every message in the page's language


@pytest.mark.parametrize(
    ("field", "kind", "zh", "en"),
    [
        ("evaluator.consent", "value_error", "请勾选同意回访", "tick the box agreeing to it"),
        ("tracking_code", "string_pattern_mismatch", "查询码共12位", "A tracking code has 12 characters"),
        ("evaluator.phone", "string_pattern_mismatch", "11位手机号", "11-digit mobile number"),
        ("tags.3", "string_pattern_mismatch", "格式不正确", "not in the right form"),
        ("lang", "string_too_long", "内容太长", "too long"),
    ],
)
def test_a_fields_problem_is_said_in_words_in_the_pages_language(field: str, kind: str, zh: str, en: str) -> None:
    # When a refused field is shown on an error page in each language
    for lang, expected in (("zh", zh), ("en", en)):
        page = error_page(lang, "", [(field, kind)])
        # Then it is named in words and its problem said in that language, never as a pattern
        assert expected in page
        assert field_name(lang, field) in page
        assert "[" not in page.split("<main>")[1] and "Value error" not in page


def test_an_error_code_is_said_in_the_pages_language() -> None:
    assert error_message("zh", "conflict", 409).startswith("此操作现在无法进行")
    assert error_message("en", "conflict", 409).startswith("This cannot be done now")
    assert error_message("en", "something_new", 418) == TEXT["en"]["error_client"]
    assert error_message("zh", "something_new", 503) == TEXT["zh"]["error_server"]


def test_every_message_is_in_both_languages() -> None:
    # The citizen pages' and the console's tables have the same entries in Chinese and English
    assert set(TEXT["zh"]) == set(TEXT["en"])
    assert set(FIELD_NAMES["zh"]) == set(FIELD_NAMES["en"])
    assert set(FIELD_PROBLEMS["zh"]) == set(FIELD_PROBLEMS["en"])
    assert set(PROBLEMS["zh"]) == set(PROBLEMS["en"])
    zh, en = strings("zh"), strings("en")
    assert set(zh) == set(en)
    for table in zh:
        assert set(zh[table]) == set(en[table]), table  # type: ignore[call-overload]


def test_a_refused_form_comes_back_with_what_was_chosen_but_nothing_written() -> None:
    # Given a form post refused for its call-back, with tags, a comment, a name and a number
    tags = TagSet(version="v1", tags=(Tag(code="201", name="态度差"), Tag(code="202", name="效率低")))
    values = {
        "level": "2",
        "tags": ["202"],
        "comment": "等了一个小时",
        "evaluator": {"name": "李雷", "phone": "1391234", "consent": False},
    }
    problems = [("evaluator.phone", "string_pattern_mismatch"), ("evaluator.consent", "value_error")]
    # When the form is shown again
    page = form_page(
        entry_named("甲"), tags, "zh", {"sig": "s1"}, "sub-1234567890", None, Level.DISSATISFIED, values, problems
    )
    # Then the face and the tags are as chosen, each problem is said in words and points at its field
    assert re.search(r'value="202" checked', page) and not re.search(r'value="201" checked', page)
    assert '<a href="#ev-phone">手机号</a>：请填写以1开头的11位手机号。' in page
    assert re.search(r'id="ev-phone"[^>]*aria-invalid="true" aria-describedby="problem-evaluator-phone"', page)
    # And nothing written is sent back, which may hold a name or a number: the page asks for it again
    assert "李雷" not in page and "1391234" not in page and "等了一个小时" not in page
    assert TEXT["zh"]["retype_personal"] in page
