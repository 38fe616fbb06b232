"""score_ratings: the Ratings table's stream — every change, as stored.

Two things follow from each batch: each new bad review goes on to its follow-up (a metric and a
log line without personal data for every new rating; failed records are reported one by one,
so the rest of the batch is not retried), and every rating and task change is counted on the
score sheets exactly once (operations.scores). The mapping's tumbling window is there only to
name the shard; the window's closing invocation has nothing to do.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from haochaping.adapters.rating_items import rating_from_stream_image, review_of_stream_image
from haochaping.adapters.stream_records import is_window_end, stream_batch, window_response
from haochaping.observability import logger, metrics, tracer
from haochaping.operations import scores, stream
from haochaping.wiring import wired

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    stream.see_rating_change(record.raw_event, rating_from_stream_image, wired()[0].queues, review_of_stream_image)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if is_window_end(event):
        return window_response(event, [])
    sent_on = process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    not_counted = scores.count_batch(stream_batch(event), wired()[0])
    return window_response(event, [str(f["itemIdentifier"]) for f in sent_on["batchItemFailures"]] + not_counted)
