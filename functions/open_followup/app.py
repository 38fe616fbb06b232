"""open_followup: the FollowUp queue — one follow-up task per bad review, exactly once.

Messages that fail are reported one by one; after the queue's maxReceiveCount they go to its
dead-letter queue, whose alarm tells the admins.
"""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from haochaping.domain.rating import TRACKING_CODE_PATTERN
from haochaping.observability import logger, metrics, tracer
from haochaping.operations import followup
from haochaping.wiring import wired
from pydantic import BaseModel, Field

processor = BatchProcessor(event_type=EventType.SQS)


class BadReviewMessage(BaseModel):
    tracking_code: str = Field(pattern=TRACKING_CODE_PATTERN)


def record_handler(record: SQSRecord) -> None:
    message = BadReviewMessage.model_validate(json.loads(record.body))
    created = followup.open_followup(message.tracking_code, *wired())
    if created:
        metrics.add_metric(name="FollowUpTasksOpened", unit="Count", value=1)
    logger.info(
        "follow-up task opened" if created else "follow-up task already open",
        extra={"tracking_code": message.tracking_code},
    )


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
