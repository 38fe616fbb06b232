"""Publication from one source 同源发布: the public report of a period, from its counts.

The report is what every public file says (latest.json, the period's JSON and CSV, the pages):
built once here from the period's board and assessment, so the files cannot disagree.

What is public: the division, its halls, departments and windows — their figures, rankings,
the 红榜 and the units of the 重点对象 list. Never a staff member (their counts, performance and
the organisation department's list stay internal) and never an evaluator (the counters hold
none). :func:`public_report` reads unit scopes only, and :func:`assert_public` checks a report
before it is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from haochaping.domain.rankings import RANKED_KINDS, UNIT_KINDS, Assessment, bad_reviews
from haochaping.domain.rating import CHINA_TIME
from haochaping.domain.scores import Count, Counts, Figures, Period, Scope, ScopeKind, figures

SCHEMA = 1
KIND_KEYS = {ScopeKind.HALL: "halls", ScopeKind.DEPARTMENT: "departments", ScopeKind.WINDOW: "windows"}
LEVELS = (Count.VERY_SATISFIED, Count.SATISFIED, Count.BASICALLY_SATISFIED, Count.DISSATISFIED, Count.VERY_DISSATISFIED)
OUTCOMES = {  # bad reviews by their task's outcome; what has none yet is "open"
    "on_the_spot": Count.ON_THE_SPOT,
    "rectified": Count.RECTIFIED,
    "explained": Count.EXPLAINED,
    "not_adopted": Count.OUTCOME_NOT_ADOPTED,
}
FIGURE_FIELDS = (
    "good_rate",
    "bad_rate",
    "mean_score",
    "reply_rate",
    "call_back_rate",
    "real_name_call_back_rate",
    "fix_satisfaction",
    "on_time_rate",
)


class NotPublic(ValueError):
    """A report about to be published names something that must stay internal."""


@dataclass(frozen=True, slots=True)
class TrendPoint:
    period: Period
    counts: Counts  # the division's counts for that period


def rounded(value: Fraction | float | None, places: int = 4) -> float | None:
    return None if value is None else round(float(value), places)


def figures_json(f: Figures) -> dict[str, Any]:
    return {
        "ratings": f.ratings,
        "not_adopted": f.not_adopted,
        "valid": f.valid,
        **{name: rounded(getattr(f, name)) for name in FIGURE_FIELDS},
    }


def _named(scope: Scope, names: Mapping[Scope, tuple[str, str]]) -> dict[str, str]:
    name, name_en = names.get(scope, (scope.code, ""))
    return {"code": scope.code, "name": name, "name_en": name_en or name}


def outcomes(counts: Counts) -> dict[str, int]:
    """Bad reviews by outcome: the valid ones (on the spot, rectified, explained, still open) and
    those not adopted."""
    found = {name: counts.get(count, 0) for name, count in OUTCOMES.items()}
    found["open"] = max(bad_reviews(counts) - found["on_the_spot"] - found["rectified"] - found["explained"], 0)
    return found


def public_report(
    division: tuple[str, str],
    period: Period,
    board: Mapping[Scope, Counts],
    assessment: Assessment,
    names: Mapping[Scope, tuple[str, str]],
    trend: Sequence[TrendPoint],
    published_at: datetime,
    final: bool,
) -> dict[str, Any]:
    """The period's public report: units and the division only (module docstring)."""
    code, division_name = division
    division_scope = Scope(ScopeKind.DIVISION, code)
    division_counts = board.get(division_scope, {})
    units: dict[str, Any] = {}
    for kind in RANKED_KINDS:
        entries = []
        for scope in sorted((s for s in board if s.kind == kind), key=lambda s: s.code):
            counts = board[scope]
            entries.append(
                {
                    **_named(scope, names),
                    **figures_json(figures(counts)),
                    "levels": {count.value: counts.get(count, 0) for count in LEVELS},
                    "bad_reviews": outcomes(counts),
                }
            )
        units[KIND_KEYS[kind]] = entries
    rankings: dict[str, Any] = {}
    red_lists: dict[str, Any] = {}
    for kind in RANKED_KINDS:
        ranking = assessment.rankings[kind]
        rankings[KIND_KEYS[kind]] = {
            "ranked": [
                {
                    "rank": unit.rank,
                    **_named(unit.scope, names),
                    "good": unit.good,
                    "valid": unit.valid,
                    "good_rate": rounded(Fraction(unit.good, unit.valid)),
                    "lower_bound": rounded(unit.lower_bound),
                }
                for unit in ranking.ranked
            ],
            "not_ranked": [
                {**_named(unit.scope, names), "good": unit.good, "valid": unit.valid} for unit in ranking.not_ranked
            ],
        }
        red_lists[KIND_KEYS[kind]] = [
            {"rank": unit.rank, **_named(unit.scope, names), "lower_bound": rounded(unit.lower_bound)}
            for unit in assessment.red_lists[kind]
        ]
    report = {
        "schema": SCHEMA,
        "division": {"code": code, "name": division_name},
        "period": {"kind": period.kind.value, "key": period.key},
        "final": final,
        "published_at": published_at.astimezone(CHINA_TIME).isoformat(timespec="seconds"),
        "minimum_sample": next(iter(assessment.rankings.values())).minimum_sample if assessment.rankings else None,
        "figures": {
            "division": {
                **figures_json(figures(division_counts)),
                "levels": {count.value: division_counts.get(count, 0) for count in LEVELS},
            },
            **units,
        },
        "bad_reviews_by_outcome": outcomes(division_counts),
        "rankings": rankings,
        "red_list": red_lists,
        "key_supervision": [
            {"kind": entry.scope.kind.value, **_named(entry.scope, names), "bad_reviews": entry.bad_reviews}
            for entry in assessment.public_key_supervision()
        ],
        "trend": [
            {
                "period": point.period.key,
                "valid": figures(point.counts).valid,
                "good_rate": rounded(figures(point.counts).good_rate),
            }
            for point in trend
        ],
    }
    assert_public(report, board)
    return report


def assert_public(report: Mapping[str, Any], board: Mapping[Scope, Counts]) -> None:
    """Refuse a report naming a staff member (by job number) or a scope that is not a unit."""
    staff_codes = {scope.code for scope in board if scope.kind == ScopeKind.STAFF}
    for entry in _entries(report):
        code = entry.get("code")
        if code in staff_codes:
            raise NotPublic(f"a staff member's job number in a public report: {code}")
        kind = entry.get("kind")
        if code is not None and kind is not None and kind not in {k.value for k in UNIT_KINDS}:
            raise NotPublic(f"a {kind} in a public list")


def _entries(value: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        yield value
        for inner in value.values():
            yield from _entries(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _entries(inner)


CSV_COLUMNS = (
    "kind",
    "code",
    "name",
    "name_en",
    "rank",
    "lower_bound",
    "ratings",
    "not_adopted",
    "valid",
    *FIGURE_FIELDS,
)


def csv_rows(report: Mapping[str, Any]) -> list[list[str]]:
    """One row per unit and one for the division, with its rank where it has one."""
    ranks: dict[tuple[str, str], dict[str, Any]] = {}
    for kind_key, ranking in report["rankings"].items():
        for unit in ranking["ranked"]:
            ranks[(kind_key, unit["code"])] = unit
    rows = [list(CSV_COLUMNS)]
    division = report["figures"]["division"]
    rows.append(
        _row("division", report["division"]["code"], report["division"]["name"], "", None, division),
    )
    for kind in RANKED_KINDS:
        kind_key = KIND_KEYS[kind]
        for unit in report["figures"][kind_key]:
            ranked = ranks.get((kind_key, unit["code"]))
            rows.append(_row(kind.value, unit["code"], unit["name"], unit["name_en"], ranked, unit))
    return rows


def _row(
    kind: str, code: str, name: str, name_en: str, ranked: Mapping[str, Any] | None, f: Mapping[str, Any]
) -> list[str]:
    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return [
        kind,
        code,
        name,
        name_en,
        text(ranked["rank"]) if ranked else "",
        text(ranked["lower_bound"]) if ranked else "",
        text(f["ratings"]),
        text(f["not_adopted"]),
        text(f["valid"]),
        *(text(f[name]) for name in FIGURE_FIELDS),
    ]
