"""Suspected automated ratings 疑似刷评: budgets per source, ratings held for review, and the
supervisor's decision to release or reject them.

A window's plate is printed for all to see, so a script can rate with it again and again. Each
source — the network address a rating came from, and the device (the form's signed cookie) when
there is one — has a budget of ratings per window and period. A rating beyond a budget is not
refused: it is stored, held for review 待审核 and told so. A held rating is in no score and opens
no follow-up task until a supervisor of its hall releases it (then it counts as any rating, and a
bad review's task opens, its deadlines counted from the release) or rejects it: not adopted
不予采纳 as malicious 恶意, kept, excluded from every score and reported 通报 like any other
not-adopted decision.

Why a held bad review opens no task: a flood of invented bad reviews would otherwise put a task
per rating on the hall's officers, escalate each one to the bureau and the city when it is not
worked in time, and mark the staff member on duty, which is the harm the flood is after. The
citizen behind a genuine rating caught by a budget is told it is held, and a supervisor decides.

Addresses are counted only as keyed hashes: a hall's shared Wi-Fi is one address for everyone
in it, so the address budget is generous; a device's is tight.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from haochaping.domain.periods import period_start


class Review(StrEnum):
    """Where a suspected rating stands; a rating never suspected has none."""

    HELD = "held"  # 待审核: stored, in no score, no follow-up yet
    RELEASED = "released"  # 放行: counted as any rating
    REJECTED = "rejected"  # 不予采纳（恶意）: kept, excluded from every score


class Source(StrEnum):
    ADDRESS = "address"  # the network address, as API Gateway saw it
    DEVICE = "device"  # the device token of the plate's form


SOURCE_NAMES_ZH = {Source.ADDRESS: "同一网络地址", Source.DEVICE: "同一设备"}


@dataclass(frozen=True, slots=True)
class FloodRules:
    """How many ratings of one window each source may give in one period before they are held."""

    period: timedelta
    per_address: int
    per_device: int


@dataclass(frozen=True, slots=True)
class Budget:
    """One source's budget of ratings at one window in one fixed period."""

    source: Source
    source_id: str  # a keyed hash of the address or the device token, never either itself
    window_code: str
    limit: int
    period_start: datetime
    period: timedelta

    @property
    def period_ends(self) -> datetime:
        return self.period_start + self.period

    def describe(self) -> str:
        """The evidence, in words a supervisor reads: which source gave more than its budget."""
        minutes = int(self.period.total_seconds() // 60)
        return (
            f"{SOURCE_NAMES_ZH[self.source]}在{minutes}分钟内对窗口{self.window_code}的评价超过{self.limit}条"
            f" ({self.source.value} {self.source_id[:8]}, more than {self.limit} in {minutes} min)"
        )


def source_id(source: Source, value: str, secret: bytes) -> str:
    """A source as it is counted and shown: a keyed hash (an IPv4 address hashed without a key
    is found again by hashing all four billion)."""
    digest = hmac.new(secret, f"{source.value}\x00{value}".encode(), hashlib.sha256).digest()
    return digest[:12].hex()


def budgets_for(
    window_code: str, address: str | None, device_token: str | None, rules: FloodRules, secret: bytes, now: datetime
) -> tuple[Budget, ...]:
    """The budgets a rating of this window from this address (and device) spends one of."""
    start = period_start(now, rules.period)
    budgets = [
        Budget(
            Source.ADDRESS,
            source_id(Source.ADDRESS, address or "unknown", secret),
            window_code,
            rules.per_address,
            start,
            rules.period,
        )
    ]
    if device_token:
        device = source_id(Source.DEVICE, device_token, secret)
        budgets.append(Budget(Source.DEVICE, device, window_code, rules.per_device, start, rules.period))
    return tuple(budgets)


@dataclass(frozen=True, slots=True)
class Suspicion:
    """Why a rating is held: the budgets it went over (the evidence shown to supervisors)."""

    over: tuple[Budget, ...]

    def describe(self) -> str:
        return "；".join(budget.describe() for budget in self.over)
