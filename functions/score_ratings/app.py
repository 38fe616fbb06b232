"""score_ratings: the Ratings table's stream — sees every new rating exactly as stored, and a held
rating's release.

For now it records that it saw each new rating (a metric and a log line without personal
data); scoring arrives with the scores issue. Failed records are reported one by one so the
rest of the batch is not retried.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from haochaping.adapters.rating_items import rating_from_stream_image, review_of_stream_image
from haochaping.observability import logger, metrics, tracer
from haochaping.operations import stream
from haochaping.wiring import wired

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    stream.see_rating_change(record.raw_event, rating_from_stream_image, wired()[0].queues, review_of_stream_image)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
