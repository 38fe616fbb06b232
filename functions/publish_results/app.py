"""publish_results: daily, and monthly on the 1st (Asia/Shanghai) — the results 结果公示 under published/.

Reads the score sheets (never the ratings) and writes latest.json, each period's JSON, CSV and
pages in zh-CN and English, then tells the publication topic. The schedule's input says which
run it is: {"publish": "daily"} or {"publish": "monthly"}.
"""

from typing import Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from haochaping.domain.rating import utc_now
from haochaping.observability import logger, metrics, tracer
from haochaping.operations.publication import publish
from haochaping.web.publication import WebFormats
from haochaping.wiring import wired


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    run: Literal["daily", "monthly"] = "monthly" if event.get("publish") == "monthly" else "daily"
    stores, rules = wired()
    result = publish(stores, rules, WebFormats(), utc_now(), run)
    return {"period": result.latest.key, "run": run, "files": list(result.files)}
