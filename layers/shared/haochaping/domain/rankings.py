"""Rankings 排名 and lists 榜单: who ranks where, the commendation list 红榜, the key-supervision
list 重点对象, performance deductions 绩效扣分 and the organisation department's list 组织部门名单.

Everything here reads a period's counts (:func:`haochaping.domain.scores.board`), never a rating:
what changes the counts — a rating not adopted, an appeal upheld — changes the ranking and the
lists exactly as it changes the figures, and nothing else does.

Ranking
-------
A good rate over 2 ratings says little: ranking by it would put a window rated twice "非常满意"
above one with 190 good ratings out of 200. Units are ranked by the **lower bound of the 95%
Wilson score interval** on their good rate (z = 1.96)::

    p = good / n,   bound = (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)

and only with at least ``minimum_sample`` valid ratings (per district, default 30); the others are
listed as not ranked 未参与排名, with their figures. Windows, departments and halls are ranked
each among their own kind; staff are never ranked in public.

Ties are broken deterministically: the same bound ranks the unit with more valid ratings first,
then the smaller code. Two units with the same good and valid counts therefore rank by code.

Lists
-----
- 红榜: the first ``red_list_size`` ranked units of each kind.
- 重点对象: the units and staff whose valid bad reviews (不满意 + 非常不满意, not-adopted ones
  excluded) in a month reach ``unit_supervision_bad_reviews`` / ``staff_supervision_bad_reviews``.
  Published monthly (units only; staff stay internal).
- 绩效考核: each **verified** bad review deducts ``deduction_points``, and one or more in the
  period removes eligibility for the excellence award 评优资格. Verified — found to be the unit's
  or person's failure 履职不到位 — is our working definition from the counts: a valid bad review
  whose task ended rectified 已整改 or resolved on the spot 当场解决 (a fix was owed). One
  explained 已解释 (could not be resolved: policy, the citizen's own case) or not adopted is not.
- 组织部门: staff whose verified bad reviews in the period reach ``repeated_bad_reviews``. Internal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from haochaping.domain.scores import Count, Counts, Figures, Scope, ScopeKind, figures

Z_95 = 1.96  # two-sided 95%: NormalDist().inv_cdf(0.975) = 1.959963…
RANKED_KINDS = (ScopeKind.HALL, ScopeKind.DEPARTMENT, ScopeKind.WINDOW)  # 大厅, 部门, 窗口
UNIT_KINDS = frozenset(RANKED_KINDS)


@dataclass(frozen=True, slots=True)
class AssessmentRules:
    """The district's parameters for rankings and lists (template parameters, see rules.py)."""

    minimum_sample: int = 30  # valid ratings a unit needs to be ranked 最低样本量
    red_list_size: int = 10  # units of each kind on the 红榜
    unit_supervision_bad_reviews: int = 3  # valid bad reviews in a month putting a unit under 重点监督
    staff_supervision_bad_reviews: int = 2  # the same for a staff member (internal)
    deduction_points: Decimal = Decimal(2)  # performance points per verified bad review 绩效扣分
    repeated_bad_reviews: int = 2  # verified bad reviews putting a staff member on the 组织部门 list


def wilson_lower_bound(good: int, n: int, z: float = Z_95) -> float:
    """The lower bound of the Wilson score interval for ``good`` successes in ``n``; 0 for n = 0."""
    if n <= 0:
        return 0.0
    p = good / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z2 / n))


def good_ratings(counts: Counts) -> int:
    return (
        counts.get(Count.VERY_SATISFIED, 0) + counts.get(Count.SATISFIED, 0) + counts.get(Count.BASICALLY_SATISFIED, 0)
    )


def bad_reviews(counts: Counts) -> int:
    """Valid bad reviews: a not-adopted one has left the level counts."""
    return counts.get(Count.DISSATISFIED, 0) + counts.get(Count.VERY_DISSATISFIED, 0)


def verified_bad_reviews(counts: Counts) -> int:
    """Bad reviews found to be a failure 履职不到位: rectified or resolved on the spot (module docstring)."""
    return counts.get(Count.RECTIFIED, 0) + counts.get(Count.ON_THE_SPOT, 0)


@dataclass(frozen=True, slots=True)
class Ranked:
    """A unit in the ranking: its place (1 = best), the good ratings and valid ratings the bound reads."""

    rank: int
    scope: Scope
    good: int
    valid: int
    lower_bound: float
    figures: Figures


@dataclass(frozen=True, slots=True)
class NotRanked:
    """A unit with fewer valid ratings than the minimum sample 未参与排名, with its figures."""

    scope: Scope
    good: int
    valid: int
    figures: Figures


@dataclass(frozen=True, slots=True)
class Ranking:
    """One kind of unit ranked: those ranked in order, then those not ranked by code."""

    kind: ScopeKind
    minimum_sample: int
    ranked: tuple[Ranked, ...]
    not_ranked: tuple[NotRanked, ...]


def rank(board: Mapping[Scope, Counts], kind: ScopeKind, minimum_sample: int) -> Ranking:
    """The units of one kind, ranked by the Wilson lower bound of their good rate."""
    if kind not in UNIT_KINDS:
        raise ValueError(f"only windows, departments and halls are ranked, not {kind}")
    candidates = []
    not_ranked = []
    for scope, counts in board.items():
        if scope.kind != kind:
            continue
        good, valid = good_ratings(counts), counts.get(Count.VALID, 0)
        if valid >= minimum_sample and valid > 0:
            candidates.append((scope, good, valid, wilson_lower_bound(good, valid), counts))
        else:
            not_ranked.append(NotRanked(scope, good, valid, figures(counts)))
    # Higher bound first; the same bound: more valid ratings first; then the smaller code.
    candidates.sort(key=lambda c: (-c[3], -c[2], c[0].code))
    ranked = tuple(
        Ranked(place, scope, good, valid, bound, figures(counts))
        for place, (scope, good, valid, bound, counts) in enumerate(candidates, start=1)
    )
    return Ranking(kind, minimum_sample, ranked, tuple(sorted(not_ranked, key=lambda u: u.scope.code)))


def rankings(board: Mapping[Scope, Counts], rules: AssessmentRules) -> dict[ScopeKind, Ranking]:
    """Halls, departments and windows, each ranked among their own kind."""
    return {kind: rank(board, kind, rules.minimum_sample) for kind in RANKED_KINDS}


def red_list(ranking: Ranking, size: int) -> tuple[Ranked, ...]:
    """红榜: the best-ranked units (never one below the minimum sample)."""
    return ranking.ranked[: max(size, 0)]


@dataclass(frozen=True, slots=True)
class Supervised:
    """A unit or staff member under key supervision 重点对象: its valid bad reviews in the month."""

    scope: Scope
    bad_reviews: int
    valid: int


def key_supervision(board: Mapping[Scope, Counts], rules: AssessmentRules) -> tuple[Supervised, ...]:
    """重点对象 for a month: units and staff whose valid bad reviews reach their threshold; the most
    bad reviews first, then by kind and code. Staff entries are internal: the public lists drop them."""
    found = []
    for scope, counts in board.items():
        if scope.kind in UNIT_KINDS:
            threshold = rules.unit_supervision_bad_reviews
        elif scope.kind == ScopeKind.STAFF:
            threshold = rules.staff_supervision_bad_reviews
        else:
            continue  # the division itself is not a unit under supervision
        bad = bad_reviews(counts)
        if bad >= threshold and bad > 0:
            found.append(Supervised(scope, bad, counts.get(Count.VALID, 0)))
    return tuple(sorted(found, key=lambda s: (-s.bad_reviews, _KIND_ORDER[s.scope.kind], s.scope.code)))


_KIND_ORDER = {ScopeKind.HALL: 0, ScopeKind.DEPARTMENT: 1, ScopeKind.WINDOW: 2, ScopeKind.STAFF: 3}


@dataclass(frozen=True, slots=True)
class Performance:
    """绩效考核 of one unit or staff member for the period (internal)."""

    scope: Scope
    bad_reviews: int  # valid bad reviews
    verified_bad_reviews: int  # of them, found to be a failure 履职不到位
    deduction: Decimal  # performance points deducted 扣分
    excellence_eligible: bool  # 评优资格: lost with one verified bad review


def performance(board: Mapping[Scope, Counts], rules: AssessmentRules) -> tuple[Performance, ...]:
    """Every unit's and staff member's deductions, those with a verified bad review first."""
    found = []
    for scope, counts in board.items():
        if scope.kind not in _KIND_ORDER:
            continue
        verified = verified_bad_reviews(counts)
        found.append(
            Performance(
                scope=scope,
                bad_reviews=bad_reviews(counts),
                verified_bad_reviews=verified,
                deduction=rules.deduction_points * verified,
                excellence_eligible=verified == 0,
            )
        )
    return tuple(sorted(found, key=lambda p: (-p.verified_bad_reviews, _KIND_ORDER[p.scope.kind], p.scope.code)))


def organisation_list(board: Mapping[Scope, Counts], rules: AssessmentRules) -> tuple[Performance, ...]:
    """组织部门: staff with repeated verified bad reviews in the period (internal)."""
    return tuple(
        entry
        for entry in performance(board, rules)
        if entry.scope.kind == ScopeKind.STAFF and entry.verified_bad_reviews >= max(rules.repeated_bad_reviews, 1)
    )


@dataclass(frozen=True, slots=True)
class Assessment:
    """A period's figures, rankings and lists, all from its counts: one source for every output.

    ``key_supervision`` is the month's list and is empty for a day or a year (``monthly`` says
    which). What may be published is :meth:`public`; the staff entries are internal.
    """

    figures: Mapping[Scope, Figures]
    rankings: Mapping[ScopeKind, Ranking]
    red_lists: Mapping[ScopeKind, tuple[Ranked, ...]]
    key_supervision: tuple[Supervised, ...]
    monthly: bool
    performance: tuple[Performance, ...]
    organisation_list: tuple[Performance, ...]

    def public_key_supervision(self) -> tuple[Supervised, ...]:
        """The units of the key-supervision list: never a staff member."""
        return tuple(entry for entry in self.key_supervision if entry.scope.kind in UNIT_KINDS)


def assess(board: Mapping[Scope, Counts], rules: AssessmentRules, monthly: bool) -> Assessment:
    """Everything about a period from its board (every scope's counts)."""
    ranked = rankings(board, rules)
    return Assessment(
        figures={scope: figures(counts) for scope, counts in board.items()},
        rankings=ranked,
        red_lists={kind: red_list(ranking, rules.red_list_size) for kind, ranking in ranked.items()},
        key_supervision=key_supervision(board, rules) if monthly else (),
        monthly=monthly,
        performance=performance(board, rules),
        organisation_list=organisation_list(board, rules),
    )


def units(scopes: Iterable[Scope]) -> list[Scope]:
    """The units among scopes (no staff member, no division), by kind and code."""
    return sorted((s for s in scopes if s.kind in UNIT_KINDS), key=lambda s: (_KIND_ORDER[s.kind], s.code))
