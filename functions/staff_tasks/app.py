"""staff_tasks: Staff API: follow-up tasks, and ratings held for review, behind the JWT authorizer."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from haochaping.api import build_resolver, suspected
from haochaping.api.staff import router
from haochaping.observability import logger, metrics, tracer

app = build_resolver(router, suspected.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
