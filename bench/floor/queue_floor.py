"""A queue or stream function with the design's stack and none of our code: the floor of its import."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

logger = Logger()
metrics = Metrics()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


class Message(BaseModel):
    code: str


class Item(Model):
    class Meta:
        table_name = "floor"

    code = UnicodeAttribute(hash_key=True)


def record_handler(record: SQSRecord) -> None:
    Item(Message.model_validate_json(record.body).code).save()


def lambda_handler(event: dict, context: object) -> dict:
    return process_partial_response(event, record_handler, processor, context)
