"""The stores of one stack, built once per execution environment from its settings.

Handlers take their stores and rules here and hand them to the operations. Each store is built
on first use, so a function that never reads the tables does not load the table models.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from haochaping.operations.rules import Rules, rules_from
from haochaping.settings import Settings, get_settings

if TYPE_CHECKING:
    from haochaping.adapters.calendar import CalendarStore
    from haochaping.adapters.counters import WrongKeyCounts
    from haochaping.adapters.notices import SnsNotices
    from haochaping.adapters.personal_data import KmsEvaluatorSeal
    from haochaping.adapters.published import S3PublishedFiles
    from haochaping.adapters.queues import SqsQueues
    from haochaping.adapters.ratings import RatingStore
    from haochaping.adapters.registry import RegistryStore
    from haochaping.adapters.registry_records import RecordCache
    from haochaping.adapters.scores import ScoreStore
    from haochaping.adapters.tables import RatingsTable
    from haochaping.adapters.tasks import TaskStore


class AwsStores:
    """The stack's tables, topics, queues, key and secret, as the operations' ports."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def _ratings_table(self) -> RatingsTable:
        from haochaping.adapters.tables import RatingsTable

        return RatingsTable.named(self.settings.ratings_table)

    @cached_property
    def _registry_cache(self) -> RecordCache:
        from haochaping.adapters.registry_records import RecordCache

        return RecordCache()

    @cached_property
    def ratings(self) -> RatingStore:
        from haochaping.adapters.ratings import RatingStore

        return RatingStore(self._ratings_table)

    @cached_property
    def tasks(self) -> TaskStore:
        from haochaping.adapters.tasks import TaskStore

        return TaskStore(self._ratings_table)

    @cached_property
    def scores(self) -> ScoreStore:
        from haochaping.adapters.scores import ScoreStore

        return ScoreStore(self.settings.scores_table)

    @cached_property
    def registry(self) -> RegistryStore:
        from haochaping.adapters.registry import RegistryStore
        from haochaping.adapters.tables import registry_table

        return RegistryStore(registry_table(self.settings.registry_table), self._registry_cache)

    @cached_property
    def calendar(self) -> CalendarStore:
        from haochaping.adapters.calendar import CalendarStore
        from haochaping.adapters.tables import registry_table

        return CalendarStore(registry_table(self.settings.registry_table), self._registry_cache)

    @cached_property
    def notices(self) -> SnsNotices:
        from haochaping.adapters.notices import SnsNotices

        s = self.settings
        return SnsNotices(s.officer_topic_arn, s.escalation_topic_arn, s.report_topic_arn, s.publication_topic_arn)

    @cached_property
    def queues(self) -> SqsQueues:
        from haochaping.adapters.queues import SqsQueues

        return SqsQueues(self.settings.follow_up_queue_url, self.settings.escalation_queue_url)

    @cached_property
    def published(self) -> S3PublishedFiles:
        from haochaping.adapters.published import S3PublishedFiles

        return S3PublishedFiles(self.settings.published_bucket)

    @cached_property
    def evaluators(self) -> KmsEvaluatorSeal:
        from haochaping.adapters.personal_data import KmsEvaluatorSeal

        return KmsEvaluatorSeal(self.settings.personal_data_key_id)

    @cached_property
    def wrong_keys(self) -> WrongKeyCounts:
        from haochaping.adapters.counters import WrongKeyCounts

        return WrongKeyCounts(self._ratings_table)

    def signing_secret(self) -> bytes:
        from haochaping.adapters.secrets import signing_secret

        return signing_secret(self.settings.signing_secret_name)


@lru_cache(maxsize=4)
def stores_for(settings: Settings) -> AwsStores:
    return AwsStores(settings)


@lru_cache(maxsize=4)
def rules_for(settings: Settings) -> Rules:
    return rules_from(settings)


def wired() -> tuple[AwsStores, Rules]:
    """This execution environment's stores and rules, from its variables."""
    settings = get_settings()
    return stores_for(settings), rules_for(settings)


def forget() -> None:
    """Forget everything this execution environment built, as a cold start would (tests switch stacks)."""
    from haochaping.adapters import notices, personal_data, published, queues, scores, secrets, staff_identity

    get_settings.cache_clear()
    stores_for.cache_clear()
    rules_for.cache_clear()
    secrets.signing_secret.cache_clear()
    personal_data._kms.cache_clear()
    notices.sns.cache_clear()
    queues.sqs.cache_clear()
    scores.dynamodb.cache_clear()
    published.s3.cache_clear()
    staff_identity._cognito.cache_clear()
