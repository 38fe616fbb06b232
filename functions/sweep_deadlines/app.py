"""sweep_deadlines: every 5 minutes — queues each escalation step 督办 whose time has come.

It reads the sparse EscalationDue index (open tasks with a step ahead) up to now and nothing
else, so its cost follows the number of due tasks, not of all tasks. A step queued twice (the
previous sweep's message not yet taken) is taken once by the consumer.
"""

from aws_lambda_powertools.utilities.typing import LambdaContext
from haochaping.observability import logger, metrics, tracer
from haochaping.operations import escalation
from haochaping.wiring import wired


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    result = escalation.sweep(wired()[0])
    metrics.add_metric(name="EscalationStepsQueued", unit="Count", value=result.queued)
    metrics.add_metric(name="SweepItemsRead", unit="Count", value=result.items_read)
    logger.info("deadlines swept", extra={"queued": result.queued, "items_read": result.items_read})
    return {"queued": result.queued, "items_read": result.items_read}
