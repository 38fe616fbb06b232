"""One page of each function that answers with HTML, made as its handler would make it.

Run inside a fresh interpreter right after the handler's import (bench/imports.py): a page's
cold start is not over with the import, since the first page compiles its templates. The data
is made up and small; no AWS is called.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def _window() -> tuple[Any, Any]:
    from haochaping.domain.registry import Department, Hall, Tag, TagSet, Window, WindowEntry

    department = Department(code="11640104MB1234567X", name="社会保险事业管理局")
    window = Window(
        code="640104-A017",
        hall_code="XQ01",
        number="A017",
        name="社保综合窗口",
        department_code=department.code,
    )
    tags = TagSet(version="bench", tags=(Tag(code="201", name="服务态度差"), Tag(code="101", name="推诿扯皮")))
    entry = WindowEntry(window=window, hall=Hall(code="XQ01", name="兴庆区政务服务中心"), department=department)
    return entry, tags


def form() -> str:
    """RatingFormFunction's page: the form a window's plate opens."""
    from haochaping.web.pages import form_page

    entry, tags = _window()
    return form_page(entry, tags, "zh", {"sig": "bench-signature"}, "bench-submission-1", "XQ1017")


def receipt() -> str:
    """RatingStatusFunction's page: a bad review's receipt, its task open."""
    from haochaping.domain.followup import open_task
    from haochaping.domain.rating import Channel, Level, Rating
    from haochaping.web.pages import receipt_page

    entry, _ = _window()
    now = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    rating = Rating(
        tracking_code="ABCD2345EFGH",
        submission_id="bench-submission-1",
        division_code="640104",
        window_code=entry.window.code,
        hall_code=entry.hall.code,
        department_code=entry.department.code,
        staff_job_number=None,
        level=Level.DISSATISFIED,
        channel=Channel.QR,
        tags=("201",),
        tag_version="bench",
        comment="",
        case_no=None,
        item_code=None,
        real_name=False,
        assess_number=1,
        rated_at=now,
    )
    task = open_task(
        rating.tracking_code,
        rating.division_code,
        rating.hall_code,
        rating.window_code,
        None,
        False,
        now,
        now + timedelta(days=1),
        now + timedelta(days=7),
        False,
    )
    return receipt_page(rating, entry, "zh", task, ["appeal"])


def console() -> str:
    """ConsoleFunction's page: the staff console."""
    from haochaping.web.console import console_page

    return console_page("zh")


# Which of the above each function's page is.
PAGES = {"RatingFormFunction": "form", "RatingStatusFunction": "receipt", "ConsoleFunction": "console"}
