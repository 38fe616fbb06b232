"""escalate: the Escalation queue — takes each reminder and escalation step 督办 exactly once.

The step is recorded on the task and in its audit trail, the officers (reminder) or the
escalation topic (hall supervisor, district bureau, city) are told, and the metrics count it.
A real-name task past its deadline raises its own alarm: the 100% follow-up rule is at risk.
Failed messages are reported one by one and reach the dead-letter queue after five tries.
"""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from haochaping.domain.rating import TRACKING_CODE_PATTERN
from haochaping.observability import logger, metrics, tracer
from haochaping.operations import escalation
from haochaping.wiring import wired
from pydantic import BaseModel, Field

processor = BatchProcessor(event_type=EventType.SQS)


class StepMessage(BaseModel):
    tracking_code: str = Field(pattern=TRACKING_CODE_PATTERN)
    step: str = Field(min_length=1, max_length=200)


def record_handler(record: SQSRecord) -> None:
    message = StepMessage.model_validate(json.loads(record.body))
    result = escalation.escalate(message.tracking_code, message.step, *wired())
    context = {"tracking_code": message.tracking_code, "step": message.step, "outcome": result.outcome.value}
    if result.outcome == escalation.Outcome.TAKEN and result.escalation is not None and result.task is not None:
        rung = result.escalation.rung
        metrics.add_metric(name=f"Escalation_{rung.value}", unit="Count", value=1)
        if rung.overdue:
            metrics.add_metric(name="TasksOverdue", unit="Count", value=1)
            if result.task.real_name:
                metrics.add_metric(name="RealNameTaskOverdue", unit="Count", value=1)
                logger.warning("real-name bad review overdue: the 100% rule is at risk", extra=context)
                return
    logger.info("escalation step", extra=context)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
