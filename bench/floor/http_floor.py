"""An HTTP function with the design's stack and none of our code: the floor of its import."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = APIGatewayHttpResolver(enable_validation=True)


class Body(BaseModel):
    code: str


class Item(Model):
    class Meta:
        table_name = "floor"

    code = UnicodeAttribute(hash_key=True)


@app.post("/items")
def post_item(body: Body) -> dict[str, str]:
    Item(body.code).save()
    return {"code": body.code}


def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
