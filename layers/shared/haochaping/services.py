"""Operations that join the domain to its adapters; each handler calls exactly one of them."""

from __future__ import annotations

from datetime import datetime, timedelta

from haochaping.adapters import ratings as rating_store
from haochaping.adapters import registry as registry_store
from haochaping.adapters.personal_data import encrypt_evaluator
from haochaping.adapters.secrets import signing_secret
from haochaping.adapters.tables import bind_tables
from haochaping.domain.errors import NotFound
from haochaping.domain.rating import Rating, utc_now
from haochaping.domain.registry import TagSet, WindowEntry
from haochaping.domain.submission import RatingReceipt, RatingRules, RatingSubmission, prepare_rating
from haochaping.settings import Settings


def _bind(settings: Settings) -> None:
    bind_tables(settings.ratings_table, settings.registry_table)


def rules_of(settings: Settings) -> RatingRules:
    return RatingRules(
        division_code=settings.division_code,
        cooldown=timedelta(minutes=settings.rating_cooldown_minutes),
        follow_up_period=timedelta(days=settings.follow_up_rating_days),
        ticket_validity=timedelta(hours=settings.ticket_validity_hours),
    )


def receipt_for(rating: Rating) -> RatingReceipt:
    return RatingReceipt(
        tracking_code=rating.tracking_code,
        level=int(rating.level),
        level_name=rating.level.name_zh,
        window_code=rating.window_code,
        rated_at=rating.rated_at_china.isoformat(timespec="seconds"),
        bad_review=rating.is_bad_review,
        follow_up_rating=rating.is_follow_up,
    )


def submit_rating(
    submission: RatingSubmission,
    settings: Settings,
    device_token: str | None,
    now: datetime | None = None,
) -> tuple[Rating, bool]:
    """Record a rating 提交评价; returns the stored rating and whether this call created it."""
    _bind(settings)
    now = now or utc_now()
    secret = signing_secret(settings.signing_secret_name)
    entry, tag_set = registry_store.window_and_tags(submission.window_code)
    prepared = prepare_rating(
        submission, entry, tag_set or TagSet(version="none", tags=()), rules_of(settings), secret, now, device_token
    )
    ciphertext = None
    if submission.evaluator is not None:
        ciphertext = encrypt_evaluator(
            settings.personal_data_key_id,
            prepared.rating.tracking_code,
            submission.evaluator.name,
            submission.evaluator.phone,
        )
    rules = rules_of(settings)
    return rating_store.record_rating(prepared, ciphertext, rules.follow_up_period, rules.ticket_validity)


def window_for_form(window_code: str, settings: Settings) -> tuple[WindowEntry, TagSet, bytes]:
    """The window a plate points at, the current tags and the stack's secret (to check the plate)."""
    _bind(settings)
    entry, tag_set = registry_store.window_and_tags(window_code)
    if entry is None or not entry.window.active:
        raise NotFound(f"window {window_code} is not in service")
    return entry, tag_set or TagSet(version="none", tags=()), signing_secret(settings.signing_secret_name)


def find_rating(tracking_code: str, settings: Settings) -> Rating:
    _bind(settings)
    rating = rating_store.find_rating(tracking_code)
    if rating is None:
        raise NotFound("no rating has this tracking code")
    return rating


def window_entry(window_code: str, settings: Settings) -> WindowEntry | None:
    _bind(settings)
    return registry_store.window_and_tags(window_code)[0]
