"""Publication from one source: the public report, its pages with SVG charts, the CSV, and the
rule that public files name units, never a staff member or an evaluator.

The month is test_rankings' (computed by hand there): W-A 36 good of 40 (bound 0.769479), W-B
30 of 30 (0.886483), W-C 10 of 10 (not ranked); D1 and the hall 76 of 80 (0.878375); 重点对象 the
hall, D1 and W-A (4 bad reviews each) and, internally only, staff XQ1001.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from haochaping.domain.publication import NotPublic, assert_public
from haochaping.domain.scores import Scope, ScopeKind, add_to, placed, rating_counts, task_counts
from haochaping.operations.publication import publish
from haochaping.operations.rules import rules_from
from haochaping.settings import settings_from
from haochaping.web.publication import WebFormats, csv_bytes

from tests.unit.conftest import SETTINGS_VARIABLES
from tests.unit.fakes import MemoryStores
from tests.unit.test_rankings import A_RATINGS, A_TASKS, DEPARTMENT, HALL, MONTH_RATINGS

pytestmark = pytest.mark.unit

RULES = rules_from(settings_from(SETTINGS_VARIABLES))
NOW = datetime(2026, 3, 11, 17, 30, tzinfo=UTC)  # 2026-03-12 01:30 in China: yesterday is 03-11
STAFF = ("XQ1001", "XQ1002", "XQ1003")
NAMES = {
    Scope(ScopeKind.HALL, HALL): ("兴庆区政务服务中心", "Xingqing Government Service Centre"),
    Scope(ScopeKind.DEPARTMENT, DEPARTMENT): ("兴庆区市场监督管理局", "Market Regulation Bureau"),
    Scope(ScopeKind.WINDOW, "W-A"): ("综合受理A窗", "Window A"),
    Scope(ScopeKind.WINDOW, "W-B"): ("<b>综合受理B窗</b>", "Window B"),  # escaped wherever it is shown
    Scope(ScopeKind.WINDOW, "W-C"): ('=HYPERLINK("http://x")', "Window C"),  # a formula, never in a CSV
}


def the_stores() -> MemoryStores:
    stores = MemoryStores()
    stores.registry.names = dict(NAMES)
    for rating, not_adopted in MONTH_RATINGS:
        add_to(stores.scores.sheets_by_key, placed(rating, rating_counts(rating, not_adopted)))
    for rating, task in A_TASKS:
        add_to(stores.scores.sheets_by_key, placed(rating, task_counts(task, rating)))
    return stores


def published(run: str = "daily") -> tuple[MemoryStores, Any]:
    stores = the_stores()
    result = publish(stores, RULES, WebFormats(), NOW, run)  # type: ignore[arg-type]
    return stores, result


def text_of(stores: MemoryStores, name: str) -> str:
    return stores.published.files[name][0].decode("utf-8")


def test_the_daily_run_writes_the_day_and_the_month_and_latest() -> None:
    # When the results are published after midnight on 2026-03-12 (China)
    stores, result = published()
    # Then the month so far and yesterday each have their JSON, CSV and two pages, the month is latest
    assert set(stores.published.files) == {
        *(f"2026-03{ext}" for ext in (".json", ".csv", ".html", ".en.html")),
        *(f"2026-03-11{ext}" for ext in (".json", ".csv", ".html", ".en.html")),
        "latest.json",
        "index.html",
        "index.en.html",
    }
    files = stores.published.files
    assert result.latest.key == "2026-03" and files["latest.json"] == files["2026-03.json"]
    assert stores.published.files["latest.json"][1].startswith("application/json")
    assert stores.published.files["2026-03.csv"][1].startswith("text/csv")
    assert stores.published.files["index.html"][1].startswith("text/html")
    # And it read one score-sheet query per day of the month so far and one for the month, no rating
    assert result.sheets_read == 11 + 1
    # And the publication topic was told once, with the period and the public URL
    (notice,) = stores.notices.publications.sent
    assert notice["period"] == "2026-03" and notice["url"].endswith("/published/latest.json")  # type: ignore[index]


def test_latest_holds_the_figures_ranking_and_lists_as_computed_by_hand() -> None:
    stores, _ = published()
    latest = json.loads(text_of(stores, "latest.json"))
    assert latest["period"] == {"kind": "month", "key": "2026-03"}
    assert (latest["final"], latest["minimum_sample"]) == (False, 30)
    division = latest["figures"]["division"]
    # 80 valid, 76 good → 0.95; 4 bad → 0.05; levels 76 × 5 and 4 × 1
    assert (division["valid"], division["good_rate"], division["bad_rate"]) == (80, 0.95, 0.05)
    assert division["levels"] == {"l5": 76, "l4": 0, "l3": 0, "l2": 0, "l1": 4}
    windows = latest["rankings"]["windows"]
    assert [(u["rank"], u["code"], u["lower_bound"]) for u in windows["ranked"]] == [
        (1, "W-B", 0.8865),
        (2, "W-A", 0.7695),
    ]
    assert [u["code"] for u in windows["not_ranked"]] == ["W-C"]
    assert [u["code"] for u in latest["red_list"]["windows"]] == ["W-B", "W-A"]
    assert [(u["kind"], u["code"], u["bad_reviews"]) for u in latest["key_supervision"]] == [
        ("hall", HALL, 4),
        ("department", DEPARTMENT, 4),
        ("window", "W-A", 4),
    ]
    # Bad reviews by outcome: 2 rectified, 1 on the spot, 1 explained, none open or not adopted
    assert latest["bad_reviews_by_outcome"] == {
        "on_the_spot": 1,
        "rectified": 2,
        "explained": 1,
        "not_adopted": 0,
        "open": 0,
    }
    # The trend: the days 03-01 to 03-11, all ratings on 03-11 (00:30 China)
    assert latest["trend"][0]["period"] == "2026-03-01" and len(latest["trend"]) == 11
    assert latest["trend"][-1] == {"period": "2026-03-11", "valid": 80, "good_rate": 0.95}
    assert all(p["good_rate"] is None for p in latest["trend"][:-1])


def test_no_public_file_names_a_staff_member_or_an_evaluator() -> None:
    stores, _ = published()
    for name, (body, _) in stores.published.files.items():
        text = body.decode("utf-8")
        for job_number in STAFF:
            assert job_number not in text, f"{job_number} in {name}"
        if name.endswith(".json"):
            assert not {"staff", "evaluator", "job_number", "phone"} & keys_and_kinds(json.loads(text)), name
    # And the internal lists are there to be had, but not in public: XQ1001 is under supervision
    assert "XQ1001" in {s.scope.code for s in _month_assessment().key_supervision}


def keys_and_kinds(value: Any) -> set[str]:
    """Every key of a JSON document, and every value of a "kind"."""
    if isinstance(value, dict):
        found = {str(k) for k in value} | ({str(value["kind"])} if "kind" in value else set())
        return found.union(*(keys_and_kinds(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_and_kinds(v) for v in value))
    return set()


def _month_assessment() -> Any:
    from haochaping.domain.rankings import assess
    from haochaping.domain.scores import Period, PeriodKind, board

    return assess(board(the_stores().scores.sheets(Period(PeriodKind.MONTH, "2026-03"))), RULES.assessment, True)


def test_a_report_naming_a_staff_member_is_refused() -> None:
    stores, _ = published()
    report = json.loads(text_of(stores, "latest.json"))
    report["key_supervision"].append({"kind": "staff", "code": "XQ1001", "name": "XQ1001", "bad_reviews": 4})
    board = {Scope(ScopeKind.STAFF, "XQ1001"): {}}
    with pytest.raises(NotPublic):
        assert_public(report, board)


def test_the_pages_draw_each_chart_as_accessible_svg_with_its_table() -> None:
    stores, _ = published()
    for name, lang in (("index.html", "zh-CN"), ("index.en.html", "en")):
        page = text_of(stores, name)
        assert f'<html lang="{lang}">' in page
        assert "<script" not in page.lower()
        charts = re.findall(r'<svg role="img" aria-labelledby="([\w-]+)-title \1-desc"', page)
        # trend, levels, three rankings, key supervision, outcomes, on time
        assert set(charts) == {
            "trend",
            "levels",
            "ranking-halls",
            "ranking-departments",
            "ranking-windows",
            "key-supervision",
            "outcomes",
            "on-time",
        }
        for chart in charts:
            assert f'<title id="{chart}-title">' in page and f'<desc id="{chart}-desc">' in page
        assert page.count("<figure>") == len(charts) == page.count("<table", page.index("<figure>"))
        # And a name is escaped wherever it is shown
        assert "<b>" not in page
        if lang == "zh-CN":
            assert "&lt;b&gt;综合受理B窗&lt;/b&gt;" in page
    # And the ranking chart marks the bound: W-B's line at 200 + 380 × 0.886483
    page = text_of(stores, "index.html")
    assert 'x1="536.9"' in page
    assert "兴庆区市场监督管理局" in page and "Market Regulation Bureau" in text_of(stores, "index.en.html")


def test_the_csv_is_utf8_with_a_bom_and_never_a_formula() -> None:
    stores, _ = published()
    body = stores.published.files["2026-03.csv"][0]
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:5] == ["kind", "code", "name", "name_en", "rank"]
    assert rows[1][:3] == ["division", "640104", "兴庆区"]
    by_code = {row[1]: row for row in rows[1:]}
    assert by_code["W-B"][4:6] == ["1", "0.8865"] and by_code["W-C"][4] == ""
    assert by_code["W-C"][2] == '\'=HYPERLINK("http://x")'
    assert csv_bytes(json.loads(text_of(stores, "latest.json"))) == body


def test_the_monthly_run_publishes_the_month_just_ended_as_final() -> None:
    # Given the run on the 1st of April (China), the month of March ended
    stores = the_stores()
    result = publish(stores, RULES, WebFormats(), datetime(2026, 3, 31, 19, 0, tzinfo=UTC), "monthly")
    latest = json.loads(text_of(stores, "latest.json"))
    assert (result.latest.key, latest["final"], len(latest["trend"])) == ("2026-03", True, 31)
    assert not any(name.startswith("2026-03-31") for name in stores.published.files)
    assert latest["figures"]["division"]["valid"] == 80 == len(A_RATINGS) * 2


def test_a_long_name_is_cut_beside_its_bar_and_whole_in_the_table() -> None:
    from haochaping.web.publication import fitted

    assert fitted("Window A") == "Window A"
    long = "Xingqing District Government Service Centre"
    assert fitted(long).endswith("…") and len(fitted(long)) < len(long)
    assert fitted("银川市民大厅不动产登记与税务综合服务中心").endswith("…")
    stores, _ = published()
    page = text_of(stores, "index.en.html")
    assert ">Xingqing Government Service Centre</td>" in page  # the table keeps the whole name
