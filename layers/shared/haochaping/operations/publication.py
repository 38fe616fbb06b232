"""Publication from one source 同源发布: the results written under published/ from the score sheets.

Daily (after midnight in China): yesterday and the month so far. Monthly (the 1st): the month
just ended, final, with its key-supervision list. Each period gets ``<key>.json``, ``<key>.csv``
(UTF-8 with BOM), ``<key>.html`` and ``<key>.en.html``; the month is also ``latest.json``,
``index.html`` and ``index.en.html``. Everything is read from the counters — one query per
period's sheets, one per day of the month for the trend — never from the ratings, so the cost
follows the number of halls and days, not of ratings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from haochaping.domain.publication import TrendPoint, public_report
from haochaping.domain.rankings import assess
from haochaping.domain.rating import CHINA_TIME
from haochaping.domain.scores import Period, PeriodKind, Scope, ScopeKind, board
from haochaping.observability import logger, metrics
from haochaping.operations.ports import PublicFormats, Stores
from haochaping.operations.rules import Rules

JSON = "application/json; charset=utf-8"
CSV = "text/csv; charset=utf-8"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Published:
    latest: Period
    periods: tuple[Period, ...]
    files: tuple[str, ...]
    sheets_read: int  # score-sheet queries made: one per period and per day of the trend


def _day(d: date) -> Period:
    return Period(PeriodKind.DAY, d.isoformat())


def _month(d: date) -> Period:
    return Period(PeriodKind.MONTH, f"{d.year:04d}-{d.month:02d}")


def publish(
    stores: Stores, rules: Rules, formats: PublicFormats, now: datetime, run: Literal["daily", "monthly"]
) -> Published:
    """Write the results of yesterday's day and month (daily) or of the month just ended (monthly).

    ``formats`` draws the pages and the CSV (haochaping.web.publication, handed in by the handler)."""
    yesterday = now.astimezone(CHINA_TIME).date() - timedelta(days=1)
    month = _month(yesterday)
    division = (rules.settings.division_code, rules.settings.division_name)
    names = stores.registry.unit_names()
    # The month's days up to yesterday (the trend, and yesterday's own board) and the month: one
    # query each, one after the other (in threads, X-Ray's context would not follow the calls).
    first = yesterday.replace(day=1)
    days = [_day(first + timedelta(days=offset)) for offset in range((yesterday - first).days + 1)]
    boards = [board(stores.scores.sheets(period)) for period in [*days, month]]
    queries = len(boards)
    month_board = boards.pop()
    day_boards = list(zip(days, boards, strict=True))
    division_scope = Scope(ScopeKind.DIVISION, rules.settings.division_code)
    trend = [TrendPoint(day, day_board.get(division_scope, {})) for day, day_board in day_boards]
    final = run == "monthly"
    month_assessment = assess(month_board, rules.assessment, monthly=True)
    reports: list[tuple[Period, dict[str, Any]]] = [
        (month, public_report(division, month, month_board, month_assessment, names, trend, now, final))
    ]
    if run == "daily":
        day, day_board = day_boards[-1]
        day_assessment = assess(day_board, rules.assessment, monthly=False)
        reports.append((day, public_report(division, day, day_board, day_assessment, names, trend, now, True)))
    files: list[str] = []

    def put(name: str, body: bytes, content_type: str) -> None:
        stores.published.put(name, body, content_type)
        files.append(name)

    for period, report in reports:
        encoded = json.dumps(report, ensure_ascii=False, sort_keys=True).encode("utf-8")
        put(f"{period.key}.json", encoded, JSON)
        put(f"{period.key}.csv", formats.csv(report), CSV)
        put(f"{period.key}.html", formats.page(report, "zh-CN", period.key).encode("utf-8"), HTML)
        put(f"{period.key}.en.html", formats.page(report, "en", period.key).encode("utf-8"), HTML)
    latest_period, latest = reports[0]
    # latest.json and the index pages last: whoever reads them finds the period's files already there.
    put("index.html", formats.page(latest, "zh-CN").encode("utf-8"), HTML)
    put("index.en.html", formats.page(latest, "en").encode("utf-8"), HTML)
    put("latest.json", json.dumps(latest, ensure_ascii=False, sort_keys=True).encode("utf-8"), JSON)
    stores.notices.published(
        {
            "type": "results_published",
            "division_code": rules.settings.division_code,
            "period": latest_period.key,
            "run": run,
            "final": str(final).lower(),
            "url": f"{rules.public_base_url.rstrip('/')}/published/latest.json",
            "files": ",".join(files),
        }
    )
    metrics.add_metric(name="PublishedFiles", unit="Count", value=len(files))
    logger.info("results published", extra={"period": latest_period.key, "run": run, "files": len(files)})
    return Published(latest_period, tuple(p for p, _ in reports), tuple(files), queries)
