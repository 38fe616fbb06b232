"""Staff figures 评价数据: DOMAIN.md's figures from the score sheets, for the staff who may see them.

Who sees what:
- an officer: their own hall's figures, its departments' and its windows';
- a supervisor: the same, and each staff member's rated in the hall (individual results are
  internal, for those who assess them);
- an admin (the division's): every hall of the division, the division itself, and everything
  a supervisor sees in each hall;
- the same-level management office 管理办公室 (overseer): every hall of the division and the
  division itself, its departments and windows; individual staff figures stay with the halls'
  supervisors and the admins.
The rankings and lists 排名与榜单 (:func:`assessment`) are for supervisors and admins, and for the
management office without any staff member; never for an officer.
A department or staff member working in several halls is summed over the halls the reader sees.
"""

from __future__ import annotations

from dataclasses import replace

from haochaping.domain.errors import Forbidden
from haochaping.domain.followup import Actor, Role
from haochaping.domain.rankings import Assessment, AssessmentRules, assess
from haochaping.domain.scores import Figures, Period, PeriodKind, Scope, ScopeKind, board, figures
from haochaping.operations.ports import Stores

HALL_KINDS = frozenset({ScopeKind.HALL, ScopeKind.DEPARTMENT, ScopeKind.WINDOW})


def allowed_kinds(actor: Actor) -> frozenset[ScopeKind]:
    """The scope kinds the actor may read figures of."""
    if Role.ADMIN in actor.roles and actor.division_code:
        return HALL_KINDS | {ScopeKind.STAFF, ScopeKind.DIVISION}
    if Role.OVERSEER in actor.roles and actor.division_code:
        return HALL_KINDS | {ScopeKind.DIVISION}
    if not actor.hall_code:
        return frozenset()
    if Role.SUPERVISOR in actor.roles:
        return HALL_KINDS | {ScopeKind.STAFF}
    if Role.OFFICER in actor.roles:
        return HALL_KINDS
    return frozenset()


def staff_figures(actor: Actor, period: Period, kind: ScopeKind, stores: Stores) -> dict[Scope, Figures]:
    """The figures of every scope of ``kind`` the actor sees, for the period; Forbidden names what is not theirs."""
    allowed = allowed_kinds(actor)
    if not allowed:
        raise Forbidden("this account has no hall or division to read figures of")
    if kind not in allowed:
        raise Forbidden(f"figures per {kind.value} are not shown to this account's roles")
    division_wide = bool(actor.roles & {Role.ADMIN, Role.OVERSEER}) and bool(actor.division_code)
    sheets = [
        sheet
        for sheet in stores.scores.sheets(period)
        if (sheet.key.division_code == actor.division_code if division_wide else sheet.key.hall_code == actor.hall_code)
        and actor.division_code in (None, sheet.key.division_code)
    ]
    return {scope: figures(counts) for scope, counts in board(sheets).items() if scope.kind == kind}


def assessment(actor: Actor, period: Period, stores: Stores, rules: AssessmentRules) -> Assessment:
    """The period's rankings and lists 排名与榜单 for the units (and staff) the actor may assess.

    Supervisors (their hall) and admins (the division) see units and staff; the management office
    (overseer) the division's units only: no staff member on any list. Officers see none: Forbidden.
    Ranked among the units the reader sees, from the same sheets as :func:`staff_figures`.
    """
    if not actor.roles & {Role.SUPERVISOR, Role.ADMIN, Role.OVERSEER}:
        raise Forbidden("the rankings and lists are for supervisors, admins and the management office")
    allowed = allowed_kinds(actor)
    if not allowed:
        raise Forbidden("this account has no hall or division to assess")
    division_wide = bool(actor.roles & {Role.ADMIN, Role.OVERSEER}) and bool(actor.division_code)
    sheets = [
        sheet
        for sheet in stores.scores.sheets(period)
        if (sheet.key.division_code == actor.division_code if division_wide else sheet.key.hall_code == actor.hall_code)
        and actor.division_code in (None, sheet.key.division_code)
    ]
    found = assess(board(sheets), rules, monthly=period.kind == PeriodKind.MONTH)
    if ScopeKind.STAFF in allowed:
        return found
    return replace(
        found,
        figures={scope: shown for scope, shown in found.figures.items() if scope.kind != ScopeKind.STAFF},
        key_supervision=found.public_key_supervision(),
        performance=tuple(entry for entry in found.performance if entry.scope.kind != ScopeKind.STAFF),
        organisation_list=(),
    )
