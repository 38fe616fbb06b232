"""reconcile_scores: nightly — recounts one day's score sheets 计分表 from the raw ratings and
tasks, with its month's and year's, and repairs what differs (operations/reconcile.py).

The day is yesterday in Asia/Shanghai, or the one the event names (``{"day": "2026-03-05"}``,
to recount a day by hand: after replaying the stream's dead letters, for one). ``settle_seconds``
shortens or lengthens the wait that confirms a difference before it is repaired.
"""

from datetime import date, timedelta

from aws_lambda_powertools.utilities.typing import LambdaContext
from haochaping.domain.rating import CHINA_TIME, utc_now
from haochaping.observability import logger, metrics, tracer
from haochaping.operations import reconcile
from haochaping.wiring import wired

MAX_SETTLE_SECONDS = 240  # the function's timeout is 300 s


def day_of(event: dict) -> date:
    named = event.get("day")
    if named is None:
        return utc_now().astimezone(CHINA_TIME).date() - timedelta(days=1)
    try:
        return date.fromisoformat(str(named))
    except ValueError:
        raise ValueError(f"day: {named!r} is not a day such as 2026-03-05") from None


def settle_of(event: dict) -> float:
    settle = event.get("settle_seconds", reconcile.SETTLE_SECONDS)
    if not isinstance(settle, int | float) or isinstance(settle, bool) or not 0 <= settle <= MAX_SETTLE_SECONDS:
        raise ValueError(f"settle_seconds: a number of seconds from 0 to {MAX_SETTLE_SECONDS}")
    return float(settle)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    event = event if isinstance(event, dict) else {}
    result = reconcile.reconcile_day(day_of(event), wired()[0], settle=settle_of(event))
    return result.as_dict()
