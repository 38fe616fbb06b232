"""Rankings and lists from a period's counts, computed by hand.

Wilson lower bound at z = 1.96 (z² = 3.8416) for g good ratings out of n valid, p = g/n:
    bound = (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)

The month's fixture (hall XQZWFW, department D1, March 2026), counted through rating_counts,
task_counts, placed() and board() as the stream consumer counts them:

| window | staff  | ratings | good        | bad reviews and their outcome                       | bound    |
|--------|--------|---------|-------------|-----------------------------------------------------|----------|
| W-A    | XQ1001 | 40      | 36 (lvl 5)  | 4 (lvl 1): 2 rectified, 1 on the spot, 1 explained  | 0.769479 |
| W-B    | XQ1002 | 30      | 30 (lvl 5)  | —                                                   | 0.886483 |
| W-C    | XQ1003 | 10      | 10 (lvl 5)  | — (below the minimum sample 30: not ranked)         | —        |

W-A: p = 0.9, centre = 0.9 + 3.8416/80 = 0.94802, margin = 1.96·√(0.09/40 + 3.8416/6400)
     = 1.96·√0.0028503 = 0.104640, bound = 0.843380 / 1.09604 = 0.769479.
W-B: p = 1, centre = 1 + 3.8416/60 = 1.064027, margin = 1.96·√(3.8416/3600) = 0.064027,
     bound = 1 / 1.128053 = 0.886483.
Department D1 and the hall: 80 valid, 76 good (36 + 30 + 10), 4 bad: p = 0.95,
     centre = 0.95 + 3.8416/160 = 0.97401, margin = 1.96·√(0.0475/80 + 3.8416/25600) = 0.053455,
     bound = 0.920555 / 1.04802 = 0.878375.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from haochaping.domain.rankings import (
    AssessmentRules,
    NotRanked,
    Performance,
    Supervised,
    assess,
    rank,
    wilson_lower_bound,
)
from haochaping.domain.rating import Rating
from haochaping.domain.scores import (
    Count,
    Period,
    PeriodKind,
    Scope,
    ScopeKind,
    ScoreSheet,
    SheetCounts,
    SheetKey,
    add_to,
    board,
    placed,
    rating_counts,
    task_counts,
)
from haochaping.domain.task import Task
from haochaping.operations.rules import rules_from
from haochaping.operations.scores import assessment_for
from haochaping.settings import settings_from

from tests.unit.conftest import SETTINGS_VARIABLES
from tests.unit.fakes import MemoryStores
from tests.unit.test_scores import (
    A_MOVES,
    APPEAL_UPHELD_MOVES,
    B_MOVES,
    C_MOVES,
    NOT_ADOPTED_MOVES,
    a_rating,
    history,
    worked,
)

pytestmark = pytest.mark.unit

HALL, DEPARTMENT = "XQZWFW", "D1"
RULES = AssessmentRules()  # minimum sample 30, 红榜 10, units 3 / staff 2 bad reviews, 2 points, repeated 2


def w(code: str) -> Scope:
    return Scope(ScopeKind.WINDOW, code)


def month_board(
    ratings: list[tuple[Rating, bool]], tasks: list[tuple[Rating, Task]], kind: PeriodKind = PeriodKind.MONTH
) -> dict[Scope, dict[Count, int]]:
    """Every scope's counts for the ratings' month (or day), through the stream consumer's own placing."""
    sheets: dict[SheetKey, SheetCounts] = {}
    for rating, not_adopted in ratings:
        add_to(sheets, placed(rating, rating_counts(rating, not_adopted)))
    for rating, task in tasks:
        add_to(sheets, placed(rating, task_counts(task, rating)))
    period_sheets = []
    for key, entries in sheets.items():
        if key.period.kind != kind:
            continue
        by_scope: dict[Scope, dict[Count, int]] = {}
        for (scope, count), n in entries.items():
            by_scope.setdefault(scope, {})[count] = n
        period_sheets.append(ScoreSheet(key, by_scope))
    return board(period_sheets)


_serial = iter(range(1000, 100_000))


def rated(window: str, staff: str, levels: list[int]) -> list[Rating]:
    return [
        a_rating(
            next(_serial), level, window_code=window, staff_job_number=staff, hall_code=HALL, department_code=DEPARTMENT
        )
        for level in levels
    ]


# -- the Wilson bound ---------------------------------------------------------------------------


def test_the_wilson_lower_bound_as_computed_by_hand() -> None:
    # 2/2: centre = 1 + 3.8416/4 = 1.9604; margin = 1.96·√(3.8416/16) = 1.96·0.49 = 0.9604;
    #      bound = (1.9604 − 0.9604) / (1 + 3.8416/2) = 1 / 2.9208 = 0.342372
    assert wilson_lower_bound(2, 2) == pytest.approx(0.342372, abs=1e-6)
    # 190/200: p = 0.95; centre = 0.95 + 3.8416/400 = 0.959604; margin = 1.96·√(0.0475/200 + 3.8416/160000)
    #      = 1.96·√0.00026151 = 1.96·0.0161713 = 0.0316958; bound = 0.9279082 / 1.019208 = 0.910421
    assert wilson_lower_bound(190, 200) == pytest.approx(0.910421, abs=1e-6)
    # 36/40 and 30/30 as in the module docstring; nothing rated: 0; all bad: 0, never below
    assert wilson_lower_bound(36, 40) == pytest.approx(0.769479, abs=1e-6)
    assert wilson_lower_bound(30, 30) == pytest.approx(0.886483, abs=1e-6)
    assert wilson_lower_bound(0, 0) == 0.0
    assert wilson_lower_bound(0, 40) == 0.0


def test_two_perfect_ratings_rank_below_two_hundred_at_ninety_five_percent() -> None:
    # Given a window rated twice 非常满意 (good rate 100%) and one rated 200 times, 190 good (95%)
    two = rated("W-2", "S2", [5, 5])
    many = rated("W-200", "S200", [5] * 190 + [1] * 10)
    the_board = month_board([(r, False) for r in two + many], [])
    # When both may be ranked (a minimum sample of 2, so that the small one is ranked at all)
    ranking = rank(the_board, ScopeKind.WINDOW, minimum_sample=2)
    # Then the bound puts 200 ratings at 95% (0.910421) above 2 at 100% (0.342372)
    assert [(u.rank, u.scope.code, u.good, u.valid) for u in ranking.ranked] == [
        (1, "W-200", 190, 200),
        (2, "W-2", 2, 2),
    ]
    assert ranking.ranked[0].lower_bound == pytest.approx(0.910421, abs=1e-6)
    assert ranking.ranked[1].lower_bound == pytest.approx(0.342372, abs=1e-6)
    # And with the district's default minimum sample (30), two ratings are not ranked at all
    default = rank(the_board, ScopeKind.WINDOW, RULES.minimum_sample)
    assert [u.scope.code for u in default.ranked] == ["W-200"]
    assert [(u.scope.code, u.valid, u.figures.good_rate) for u in default.not_ranked] == [("W-2", 2, 1)]


def test_a_window_below_the_minimum_sample_is_not_ranked_but_listed_with_its_figures() -> None:
    # Given 29 good ratings in one window and 30 in another (minimum sample 30)
    the_board = month_board([(r, False) for r in rated("W-29", "S1", [5] * 29) + rated("W-30", "S2", [4] * 30)], [])
    # When ranked
    ranking = rank(the_board, ScopeKind.WINDOW, 30)
    # Then 30 ranks, 29 does not: 未参与排名 with its figures (29 valid, 100% good, mean 5)
    assert [u.scope.code for u in ranking.ranked] == ["W-30"]
    (below,) = ranking.not_ranked
    assert isinstance(below, NotRanked)
    assert (below.scope, below.valid, below.good, below.figures.valid, below.figures.mean_score) == (
        w("W-29"),
        29,
        29,
        29,
        5,
    )


def test_ties_are_broken_by_valid_ratings_then_by_code() -> None:
    # Given W-B2 and W-B1 with 30 good of 30 each (the same bound, 0.886483), and W-Z40 and W-Z30
    # rated only 非常不满意 (40 and 30 times: bound 0 each)
    ratings = (
        rated("W-B2", "S1", [5] * 30)
        + rated("W-B1", "S2", [5] * 30)
        + rated("W-Z30", "S3", [1] * 30)
        + rated("W-Z40", "S4", [1] * 40)
    )
    the_board = month_board([(r, False) for r in ratings], [])
    # When ranked, in either order of the board
    forward = rank(the_board, ScopeKind.WINDOW, 30)
    backward = rank(dict(reversed(list(the_board.items()))), ScopeKind.WINDOW, 30)
    # Then the same bound ranks the smaller code first, and among equal bounds more ratings first
    assert [(u.rank, u.scope.code) for u in forward.ranked] == [(1, "W-B1"), (2, "W-B2"), (3, "W-Z40"), (4, "W-Z30")]
    assert forward == backward


# -- the month's lists --------------------------------------------------------------------------

A_RATINGS = rated("W-A", "XQ1001", [5] * 36 + [1] * 4)
A_TASKS = [
    (A_RATINGS[36], worked(A_RATINGS[36], A_MOVES)),  # rectified: verified
    (A_RATINGS[37], worked(A_RATINGS[37], A_MOVES)),  # rectified: verified
    (A_RATINGS[38], worked(A_RATINGS[38], C_MOVES)),  # on the spot: verified
    (A_RATINGS[39], worked(A_RATINGS[39], B_MOVES)),  # explained: not verified
]
B_RATINGS = rated("W-B", "XQ1002", [5] * 30)
C_RATINGS = rated("W-C", "XQ1003", [5] * 10)
MONTH_RATINGS = [(r, False) for r in A_RATINGS + B_RATINGS + C_RATINGS]


def the_month() -> dict[Scope, dict[Count, int]]:
    return month_board(MONTH_RATINGS, A_TASKS)


def test_the_months_rankings_and_lists_as_computed_by_hand() -> None:
    # When the month is assessed with the default rules
    result = assess(the_month(), RULES, monthly=True)
    # Then the windows rank W-B (0.886483) over W-A (0.769479); W-C (10 ratings) is not ranked
    windows = result.rankings[ScopeKind.WINDOW]
    assert [(u.rank, u.scope.code) for u in windows.ranked] == [(1, "W-B"), (2, "W-A")]
    assert [u.lower_bound for u in windows.ranked] == pytest.approx([0.886483, 0.769479], abs=1e-6)
    assert [u.scope.code for u in windows.not_ranked] == ["W-C"]
    # And the department and the hall: 76 good of 80, bound 0.878375
    (department,) = result.rankings[ScopeKind.DEPARTMENT].ranked
    (hall,) = result.rankings[ScopeKind.HALL].ranked
    assert (department.good, department.valid, hall.good, hall.valid) == (76, 80, 76, 80)
    assert department.lower_bound == pytest.approx(0.878375, abs=1e-6) == hall.lower_bound
    # And the 红榜 holds the ranked units (10 places, fewer units): never W-C
    assert [u.scope.code for u in result.red_lists[ScopeKind.WINDOW]] == ["W-B", "W-A"]
    # And 重点对象: W-A, D1 and the hall have 4 valid bad reviews (≥ 3), staff XQ1001 4 (≥ 2)
    assert result.key_supervision == (
        Supervised(Scope(ScopeKind.HALL, HALL), 4, 80),
        Supervised(Scope(ScopeKind.DEPARTMENT, DEPARTMENT), 4, 80),
        Supervised(w("W-A"), 4, 40),
        Supervised(Scope(ScopeKind.STAFF, "XQ1001"), 4, 40),
    )
    # And in public, units only
    assert all(entry.scope.kind != ScopeKind.STAFF for entry in result.public_key_supervision())
    assert len(result.public_key_supervision()) == 3
    # And XQ1001: 3 verified (2 rectified, 1 on the spot; the explained one is not): 3 × 2 = 6 points,
    # no excellence award, and on the organisation department's list (≥ 2 verified)
    staff = {p.scope.code: p for p in result.performance if p.scope.kind == ScopeKind.STAFF}
    assert staff["XQ1001"] == Performance(Scope(ScopeKind.STAFF, "XQ1001"), 4, 3, Decimal(6), False)
    assert staff["XQ1002"] == Performance(Scope(ScopeKind.STAFF, "XQ1002"), 0, 0, Decimal(0), True)
    assert [p.scope.code for p in result.organisation_list] == ["XQ1001"]


def test_the_thresholds_and_sizes_are_the_districts() -> None:
    # Given a district ranking from 10 ratings, a 红榜 of one, units listed from 5 bad reviews,
    # staff from 5, 1.5 points a verified bad review and the organisation list from 4
    rules = AssessmentRules(
        minimum_sample=10,
        red_list_size=1,
        unit_supervision_bad_reviews=5,
        staff_supervision_bad_reviews=5,
        deduction_points=Decimal("1.5"),
        repeated_bad_reviews=4,
    )
    # When the month is assessed
    result = assess(the_month(), rules, monthly=True)
    # Then W-C (10 good of 10: bound = 1 / (1 + 3.8416/10) = 0.722460) ranks, below W-A (0.769479)
    assert [u.scope.code for u in result.rankings[ScopeKind.WINDOW].ranked] == ["W-B", "W-A", "W-C"]
    assert result.rankings[ScopeKind.WINDOW].ranked[2].lower_bound == pytest.approx(0.722460, abs=1e-6)
    assert [u.scope.code for u in result.red_lists[ScopeKind.WINDOW]] == ["W-B"]
    # And nobody reaches 5 bad reviews; XQ1001 loses 3 × 1.5 = 4.5 points, and 3 < 4 keeps them off the list
    assert result.key_supervision == ()
    assert next(p for p in result.performance if p.scope.code == "XQ1001").deduction == Decimal("4.5")
    assert result.organisation_list == ()


def test_the_key_supervision_list_is_a_months() -> None:
    # When the same ratings are assessed for their day (not a month)
    day = assess(month_board(MONTH_RATINGS, A_TASKS, PeriodKind.DAY), RULES, monthly=False)
    # Then the rankings are the same, the key-supervision list is left empty
    assert day.rankings == assess(the_month(), RULES, monthly=True).rankings
    assert day.key_supervision == () and not day.monthly


# -- not adopted, and an appeal upheld ----------------------------------------------------------

D = rated("W-B", "XQ1002", [1])[0]  # a fifth bad review: on W-B, whose 30 ratings were all good


def without_totals(result_figures: dict[Scope, object]) -> dict[Scope, object]:
    """The figures with the all-ratings and not-adopted counts set aside (they say a rating came)."""
    return {scope: replace(f, ratings=0, not_adopted=0) for scope, f in result_figures.items()}  # type: ignore[type-var]


def test_a_not_adopted_rating_leaves_figures_ranking_and_lists_as_if_it_never_counted() -> None:
    # Given D worked to not adopted (malicious, approved, told, called back, closed)
    task = worked(D, NOT_ADOPTED_MOVES)
    assert task.rating_void
    # When the month is assessed with D not adopted, and without D at all
    with_d = assess(month_board([*MONTH_RATINGS, (D, True)], [*A_TASKS, (D, task)]), RULES, monthly=True)
    never = assess(the_month(), RULES, monthly=True)
    # Then the rankings, 红榜, 重点对象, deductions and lists are those without D
    assert with_d.rankings.keys() == never.rankings.keys()
    for kind, ranking in with_d.rankings.items():
        before = never.rankings[kind]
        assert [(u.rank, u.scope, u.good, u.valid, u.lower_bound) for u in ranking.ranked] == [
            (u.rank, u.scope, u.good, u.valid, u.lower_bound) for u in before.ranked
        ]
        assert [(u.scope, u.valid) for u in ranking.not_ranked] == [(u.scope, u.valid) for u in before.not_ranked]
    assert (with_d.key_supervision, with_d.performance, with_d.organisation_list) == (
        never.key_supervision,
        never.performance,
        never.organisation_list,
    )
    assert [u.scope for u in with_d.red_lists[ScopeKind.WINDOW]] == [u.scope for u in never.red_lists[ScopeKind.WINDOW]]
    # And every figure too, but for the not-adopted count that says D came
    assert without_totals(dict(with_d.figures)) == without_totals(dict(never.figures))
    assert with_d.figures[w("W-B")].not_adopted == 1


def test_an_upheld_appeal_restores_the_ranking_and_lists_exactly() -> None:
    # Given D not adopted, appealed, and the appeal upheld: a valid bad review at verifying again
    task = worked(D, APPEAL_UPHELD_MOVES)
    assert not task.rating_void
    # When the month is assessed with D restored
    restored = assess(month_board([*MONTH_RATINGS, (D, False)], [*A_TASKS, (D, task)]), RULES, monthly=True)
    # Then it is exactly the month with D a valid bad review that was never not adopted
    fresh = assess(month_board([*MONTH_RATINGS, (D, False)], [*A_TASKS, (D, history(D, [])[0])]), RULES, monthly=True)
    assert restored == fresh
    # And D counts: W-B has 30 good of 31, bound (p = 30/31) computed:
    # centre = 0.967742 + 3.8416/62 = 1.029703; margin = 1.96·√(0.031217/31 + 3.8416/3844)
    #        = 1.96·√(0.00100701 + 0.00099938) = 1.96·0.044793 = 0.087794;
    # bound = 0.941909 / 1.123923 = 0.838055 — still first, above W-A's 0.769479
    first = restored.rankings[ScopeKind.WINDOW].ranked[0]
    assert (first.scope, first.good, first.valid) == (w("W-B"), 30, 31)
    assert first.lower_bound == pytest.approx(0.838055, abs=1e-6)


# -- the operation and the district's rules -----------------------------------------------------


def test_the_operation_reads_the_periods_score_sheets_through_the_store() -> None:
    # Given the month counted onto score sheets in the store, as the stream consumer leaves them
    stores = MemoryStores()
    for rating, not_adopted in MONTH_RATINGS:
        add_to(stores.scores.sheets_by_key, placed(rating, rating_counts(rating, not_adopted)))
    for rating, task in A_TASKS:
        add_to(stores.scores.sheets_by_key, placed(rating, task_counts(task, rating)))
    # When the month and one day are assessed
    month = assessment_for(Period(PeriodKind.MONTH, "2026-03"), stores, RULES)
    day = assessment_for(Period.of(PeriodKind.DAY, A_RATINGS[0].rated_at), stores, RULES)
    # Then the month is what the counts say, with its key-supervision list; the day has none
    assert month == assess(the_month(), RULES, monthly=True)
    assert month.key_supervision and day.key_supervision == ()
    # And the division's figures are there too (the sum of its halls)
    assert month.figures[Scope(ScopeKind.DIVISION, A_RATINGS[0].division_code)].valid == 80


def test_the_rules_come_from_the_districts_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a district whose parameters differ from the defaults
    variables = {
        **SETTINGS_VARIABLES,
        "RANKING_MINIMUM_SAMPLE": "50",
        "RED_LIST_SIZE": "5",
        "UNIT_SUPERVISION_BAD_REVIEWS": "4",
        "STAFF_SUPERVISION_BAD_REVIEWS": "3",
        "DEDUCTION_POINTS": "0.5",
        "REPEATED_BAD_REVIEWS": "3",
    }
    # When its rules are built
    rules = rules_from(settings_from(variables)).assessment
    # Then they are the district's
    assert rules == AssessmentRules(50, 5, 4, 3, Decimal("0.5"), 3)
    # And the defaults of the template are the domain's
    assert rules_from(settings_from(SETTINGS_VARIABLES)).assessment == AssessmentRules()
