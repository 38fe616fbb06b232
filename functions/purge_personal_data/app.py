"""purge_personal_data: daily — evaluators' names and phones go a retention period after
their task closed (TTL does it too on AWS, within days; this makes it on time, and locally)."""

from aws_lambda_powertools.utilities.typing import LambdaContext
from haochaping import retention
from haochaping.observability import logger, metrics, tracer
from haochaping.settings import get_settings


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    removed = retention.purge_personal_data(get_settings())
    metrics.add_metric(name="PersonalDataPurged", unit="Count", value=removed)
    logger.info("personal data purged", extra={"removed": removed})
    return {"removed": removed}
