"""purge_personal_data: daily — evaluators' names and phones go a retention period after
their task closed (TTL does it too on AWS, within days; this makes it on time, and locally)."""

from aws_lambda_powertools.utilities.typing import LambdaContext
from haochaping.observability import logger, metrics, tracer
from haochaping.operations import retention
from haochaping.wiring import wired


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    removed = retention.purge_personal_data(wired()[0])
    metrics.add_metric(name="PersonalDataPurged", unit="Count", value=removed)
    logger.info("personal data purged", extra={"removed": removed})
    return {"removed": removed}
