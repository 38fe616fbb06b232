"""The published page 结果公示 in zh-CN and English, and the CSV, from one public report.

Charts are inline SVG whose geometry is computed here and drawn by the template (escaped like
every value): readable without JavaScript, each with ``role="img"``, a ``<title>`` and a
``<desc>`` naming what it shows, and the same numbers in a data table beside it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from haochaping.domain.publication import KIND_KEYS, csv_rows
from haochaping.domain.rankings import RANKED_KINDS
from haochaping.web.render import render

WIDTH = 760
BAR_AREA = 380  # the longest bar; the text beside it takes the rest
LABEL_WIDTH = 200
BAR_HEIGHT = 18
ROW_GAP = 8
TOP = 10
WINDOWS_CHARTED = 15  # the ranking chart of windows shows the first 15; the table shows all

TEXT: dict[str, dict[str, str]] = {
    "zh-CN": {
        "html_lang": "zh-CN",
        "title": "政务服务好差评结果公示",
        "other_lang": "English",
        "period": "统计期间",
        "published_at": "发布时间",
        "final": "终版",
        "provisional": "截至目前",
        "overview": "总体情况",
        "ratings": "评价总数",
        "not_adopted": "不予采纳",
        "valid": "有效评价",
        "good_rate": "好评率",
        "bad_rate": "差评率",
        "mean_score": "平均分",
        "reply_rate": "差评回复率",
        "call_back_rate": "回访整改率",
        "real_name_call_back_rate": "实名差评回访整改率",
        "fix_satisfaction": "回访整改满意率",
        "on_time_rate": "按期办结率",
        "trend": "好评率走势",
        "levels": "各大厅评价等级分布",
        "ranking": "排名（按好评率95%置信下限）",
        "lower_bound": "置信下限",
        "rank": "名次",
        "name": "名称",
        "halls": "办事大厅",
        "departments": "部门",
        "windows": "窗口",
        "not_ranked": "未参与排名（有效评价少于{n}条）",
        "red_list": "红榜",
        "key_supervision": "重点监督对象",
        "bad_reviews": "差评数",
        "outcomes": "差评处理结果",
        "on_time": "各大厅按期办结率",
        "none": "无",
        "no_data": "暂无数据",
        "l5": "非常满意",
        "l4": "满意",
        "l3": "基本满意",
        "l2": "不满意",
        "l1": "非常不满意",
        "on_the_spot": "当场解决",
        "rectified": "已整改",
        "explained": "已解释",
        "not_adopted_outcome": "不予采纳",
        "open": "处理中",
        "data_table": "数据表",
        "files": "数据下载",
        "note": "本页不含任何评价人或工作人员信息。",
    },
    "en": {
        "html_lang": "en",
        "title": "Government service ratings: published results",
        "other_lang": "中文",
        "period": "Period",
        "published_at": "Published",
        "final": "final",
        "provisional": "so far",
        "overview": "Overview",
        "ratings": "Ratings",
        "not_adopted": "Not adopted",
        "valid": "Valid ratings",
        "good_rate": "Good rate",
        "bad_rate": "Bad rate",
        "mean_score": "Mean score",
        "reply_rate": "Reply rate",
        "call_back_rate": "Call-back & rectification rate",
        "real_name_call_back_rate": "Real-name call-back & rectification rate",
        "fix_satisfaction": "Fix satisfaction",
        "on_time_rate": "On-time rate",
        "trend": "Good rate over time",
        "levels": "Ratings by level in each hall",
        "ranking": "Ranking (lower bound of the 95% interval on the good rate)",
        "lower_bound": "Lower bound",
        "rank": "Rank",
        "name": "Name",
        "halls": "Halls",
        "departments": "Departments",
        "windows": "Windows",
        "not_ranked": "Not ranked (fewer than {n} valid ratings)",
        "red_list": "Commendation list",
        "key_supervision": "Key supervision list",
        "bad_reviews": "Bad reviews",
        "outcomes": "Bad reviews by outcome",
        "on_time": "On-time rate in each hall",
        "none": "None",
        "no_data": "No data yet",
        "l5": "Very satisfied",
        "l4": "Satisfied",
        "l3": "Basically satisfied",
        "l2": "Dissatisfied",
        "l1": "Very dissatisfied",
        "on_the_spot": "Resolved on the spot",
        "rectified": "Rectified",
        "explained": "Explained",
        "not_adopted_outcome": "Not adopted",
        "open": "Being handled",
        "data_table": "Data table",
        "files": "Downloads",
        "note": "This page names no evaluator and no staff member.",
    },
}
LEVEL_COLOURS = {"l5": "#1a7f37", "l4": "#4fa35b", "l3": "#a3c77a", "l2": "#e8a33d", "l1": "#c93c37"}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass
class Bar:
    label: str
    y: float
    width: float
    text: str
    marker: float | None = None  # x of a marker line (the lower bound)
    segments: list[dict[str, Any]] = field(default_factory=list)  # stacked: x, width, colour, label


@dataclass
class Chart:
    id: str
    title: str
    desc: str
    height: float
    bars: list[Bar] = field(default_factory=list)
    points: str = ""  # a line chart's polyline
    dots: list[dict[str, Any]] = field(default_factory=list)
    axis: list[dict[str, Any]] = field(default_factory=list)
    width: int = WIDTH
    label_width: int = LABEL_WIDTH


def fitted(label: str, room: float = LABEL_WIDTH - 12) -> str:
    """The label cut with an ellipsis to fit beside its bar (about 12 px a Chinese character, 6.6 a
    Latin one at the charts' 12 px); the full name is in the description and the table."""
    used = 0.0
    for index, character in enumerate(label):
        used += 12 if ord(character) >= 0x2E80 else 6.6
        if used > room:
            return label[: max(index - 1, 1)] + "…"
    return label


def _scale(value: float, whole: float) -> float:
    return round(BAR_AREA * (value / whole if whole else 0.0), 1)


def bar_chart(
    chart_id: str, title: str, rows: Sequence[tuple[str, float | None, str, float | None]], whole: float
) -> Chart:
    """Horizontal bars: (label, value, text shown, marker value) per row, scaled to ``whole``."""
    chart = Chart(chart_id, title, "", TOP * 2 + len(rows) * (BAR_HEIGHT + ROW_GAP))
    for index, (label, value, text, marker) in enumerate(rows):
        chart.bars.append(
            Bar(
                label=fitted(label),
                y=TOP + index * (BAR_HEIGHT + ROW_GAP),
                width=_scale(value or 0.0, whole),
                text=text,
                marker=None if marker is None else LABEL_WIDTH + _scale(marker, whole),
            )
        )
    chart.desc = "; ".join(f"{label}: {text}" for label, _, text, _ in rows) or "—"
    return chart


def stacked_chart(
    chart_id: str, title: str, rows: Sequence[tuple[str, Mapping[str, int]]], t: Mapping[str, str]
) -> Chart:
    chart = Chart(chart_id, title, "", TOP * 2 + len(rows) * (BAR_HEIGHT + ROW_GAP))
    for index, (label, levels) in enumerate(rows):
        whole = sum(levels.values())
        x = float(LABEL_WIDTH)
        segments = []
        for level, n in levels.items():
            width = _scale(n, whole)
            segments.append({"x": x, "width": width, "colour": LEVEL_COLOURS[level], "label": f"{t[level]} {n}"})
            x += width
        chart.bars.append(
            Bar(fitted(label), TOP + index * (BAR_HEIGHT + ROW_GAP), x - LABEL_WIDTH, str(whole), segments=segments)
        )
    chart.desc = "; ".join(
        f"{label}: " + ", ".join(f"{t[level]} {n}" for level, n in levels.items()) for label, levels in rows
    )
    return chart


def line_chart(chart_id: str, title: str, points: Sequence[tuple[str, float | None]]) -> Chart:
    """A good rate (0–1) per period, left to right; periods without ratings leave a gap in the dots."""
    height = 200
    chart = Chart(chart_id, title, "", height + 40)
    plot_left, plot_width = 60, WIDTH - 80
    step = plot_width / max(len(points) - 1, 1)
    coordinates = []
    for index, (label, value) in enumerate(points):
        x = round(plot_left + index * step, 1)
        if value is not None:
            y = round(TOP + (1 - value) * height, 1)
            coordinates.append(f"{x},{y}")
            chart.dots.append({"x": x, "y": y, "label": f"{label}: {percent(value)}"})
    chart.points = " ".join(coordinates)
    chart.axis = [{"y": round(TOP + (1 - v) * height, 1), "text": f"{int(v * 100)}%"} for v in (0.0, 0.5, 1.0)]
    chart.desc = "; ".join(f"{label}: {percent(value)}" for label, value in points) or "—"
    return chart


def _name(entry: Mapping[str, Any], lang: str) -> str:
    return str(entry["name_en"] if lang == "en" else entry["name"])


def page_values(report: Mapping[str, Any], lang: str, stem: str = "index") -> dict[str, Any]:
    t = TEXT[lang]
    f = report["figures"]
    halls = f["halls"]
    charts: dict[str, Any] = {
        "trend": line_chart("trend", t["trend"], [(p["period"], p["good_rate"]) for p in report["trend"]]),
        "levels": stacked_chart(
            "levels", t["levels"], [(_name(h, lang), h["levels"]) for h in halls if sum(h["levels"].values())], t
        ),
        "outcomes": bar_chart(
            "outcomes",
            t["outcomes"],
            [
                (t["not_adopted_outcome" if k == "not_adopted" else k], n, str(n), None)
                for k, n in report["bad_reviews_by_outcome"].items()
            ],
            max([*report["bad_reviews_by_outcome"].values(), 1]),
        ),
        "on_time": bar_chart(
            "on-time",
            t["on_time"],
            [(_name(h, lang), h["on_time_rate"], percent(h["on_time_rate"]), None) for h in halls],
            1.0,
        ),
        "key_supervision": bar_chart(
            "key-supervision",
            t["key_supervision"],
            [(_name(u, lang), u["bad_reviews"], str(u["bad_reviews"]), None) for u in report["key_supervision"]],
            max([u["bad_reviews"] for u in report["key_supervision"]] + [1]),
        ),
    }
    rankings = []
    for kind in RANKED_KINDS:
        key = KIND_KEYS[kind]
        ranking = report["rankings"][key]
        charted = ranking["ranked"][:WINDOWS_CHARTED]
        rankings.append(
            {
                "key": key,
                "title": f"{t['ranking']} · {t[key]}",
                "chart": bar_chart(
                    f"ranking-{key}",
                    f"{t['ranking']} · {t[key]}",
                    [
                        (
                            f"{u['rank']}. {_name(u, lang)}",
                            u["good_rate"],
                            f"{percent(u['good_rate'])} ({t['lower_bound']} {percent(u['lower_bound'])})",
                            u["lower_bound"],
                        )
                        for u in charted
                    ],
                    1.0,
                ),
                "ranked": ranking["ranked"],
                "not_ranked": ranking["not_ranked"],
                "red_list": report["red_list"][key],
            }
        )
    return {
        "text": t,
        "lang": lang,
        "other_href": f"{stem}.html" if lang == "en" else f"{stem}.en.html",
        "report": report,
        "division": f["division"],
        "charts": charts,
        "rankings": rankings,
        "percent": percent,
        "name_of": lambda entry: _name(entry, lang),
        "figure_names": [
            "good_rate",
            "bad_rate",
            "reply_rate",
            "call_back_rate",
            "real_name_call_back_rate",
            "fix_satisfaction",
            "on_time_rate",
        ],
        "level_colours": LEVEL_COLOURS,
    }


def published_page(report: Mapping[str, Any], lang: str, stem: str = "index") -> str:
    """The page of the report in ``lang`` (zh-CN or en), published as ``stem``.html or ``stem``.en.html."""
    return render("published.html", **page_values(report, lang, stem))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    # A cell starting like a formula is shown as text in Excel, never evaluated (a name from the registry).
    if value.startswith(_FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def csv_bytes(report: Mapping[str, Any]) -> bytes:
    """The report's CSV: UTF-8 with a byte-order mark, so that Excel reads the Chinese names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in csv_rows(report):
        writer.writerow([_cell(cell) for cell in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


class WebFormats:
    """The pages and the CSV, as the publication operation asks for them."""

    def page(self, report: Mapping[str, Any], lang: str, stem: str = "index") -> str:
        return published_page(report, lang, stem)

    def csv(self, report: Mapping[str, Any]) -> bytes:
        return csv_bytes(report)
