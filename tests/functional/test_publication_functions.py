"""PublishResultsFunction writes the results under published/ in the stack's bucket from the score
sheets; PublishedFilesFunction serves them read-only at GET /published/{file} (moto)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from haochaping.domain.rating import CHINA_TIME, Channel, Level, Rating
from haochaping.domain.scores import add_to, placed, rating_counts

from tests.functional.conftest import CLERK, DEPARTMENT, HALL, STACK_NAME

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

STAFF_NAMES = ("测试员甲", "回访员乙", "回访员丙", "审核员丁", "审核员戊", "回访员己", "审核员庚")


def yesterday_noon() -> datetime:
    """Noon yesterday in China, whatever the clock says: the daily run publishes that day."""
    today = datetime.now(UTC).astimezone(CHINA_TIME).date()
    return datetime.combine(today - timedelta(days=1), datetime.min.time(), CHINA_TIME).replace(hour=12)


def seed(stack: Any, levels_by_window: dict[str, list[int]]) -> None:
    """Count ratings onto the score sheets, as the stream consumer would, at noon yesterday."""
    sheets: dict[Any, Any] = {}
    serial = 0
    for window, levels in levels_by_window.items():
        for level in levels:
            serial += 1
            rating = Rating(
                tracking_code=f"FN{serial:010d}",
                submission_id=f"fn-{serial}",
                division_code="640104",
                window_code=window,
                hall_code=HALL,
                department_code=DEPARTMENT,
                staff_job_number=CLERK,
                level=Level(level),
                channel=Channel.QR,
                tags=(),
                tag_version="2026.1",
                comment="",
                case_no=None,
                item_code=None,
                real_name=False,
                assess_number=1,
                rated_at=yesterday_noon().astimezone(UTC),
            )
            add_to(sheets, placed(rating, rating_counts(rating, False)))
    stack.stores.scores.apply("functional-stream", "shard-1", None, "1", sheets)


def published_objects(stack: Any) -> dict[str, dict[str, Any]]:
    s3 = boto3.client("s3")
    bucket = stack.buckets["PublishedBucket"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="published/").get("Contents", [])
    found = {}
    for entry in listed:
        obj = s3.get_object(Bucket=bucket, Key=entry["Key"])
        found[entry["Key"].removeprefix("published/")] = {"body": obj["Body"].read(), "type": obj["ContentType"]}
    return found


@pytest.fixture
def publication_queue(stack: Any) -> str:
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    url = sqs.create_queue(QueueName=f"{STACK_NAME}-publication-listener")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = stack.topics["PublicationTopic"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return url


def test_the_daily_run_publishes_files_and_tells_the_topic(
    stack: Any, invoke: Any, load_event: Any, publication_queue: str
) -> None:
    # Given 40 ratings on 640104-A017 (38 非常满意, 2 非常不满意) and 5 on 640104-C021, all yesterday
    seed(stack, {"640104-A017": [5] * 38 + [1] * 2, "640104-C021": [4] * 5})
    # When the daily schedule runs the function
    result = invoke("PublishResultsFunction", load_event("publish_results/daily.json"))
    # Then the month so far and yesterday are in the bucket, with latest.json and the index pages
    month = yesterday_noon().strftime("%Y-%m")
    day = yesterday_noon().date().isoformat()
    files = published_objects(stack)
    assert result["period"] == month and result["run"] == "daily"
    assert {"latest.json", "index.html", "index.en.html", f"{month}.json", f"{month}.csv", f"{day}.csv"} <= set(files)
    latest = json.loads(files["latest.json"]["body"])
    assert files["latest.json"]["type"].startswith("application/json")
    assert files[f"{month}.csv"]["body"].startswith(b"\xef\xbb\xbf")
    # And its figures are the counts: 45 valid, 43 good; A017 ranked (40 ≥ 30), C021 not (5)
    division = latest["figures"]["division"]
    assert (division["valid"], division["good_rate"]) == (45, round(43 / 45, 4))
    assert [u["code"] for u in latest["rankings"]["windows"]["ranked"]] == ["640104-A017"]
    assert [u["name"] for u in latest["rankings"]["windows"]["not_ranked"]] == ["综合受理窗口"]
    # And no file names the clerk, by job number or by name
    for name, found in files.items():
        text = found["body"].decode("utf-8")
        assert CLERK not in text, name
        assert not any(staff in text for staff in STAFF_NAMES), name
    # And the publication topic was told
    messages = boto3.client("sqs").receive_message(QueueUrl=publication_queue, MaxNumberOfMessages=10)["Messages"]
    (told,) = [json.loads(m["Body"]) for m in messages]
    assert told["period"] == month and told["url"].endswith("/published/latest.json")


def test_the_files_are_served_read_only_at_published(stack: Any, invoke: Any, load_event: Any) -> None:
    # Given the results published
    seed(stack, {"640104-A017": [5] * 30})
    invoke("PublishResultsFunction", load_event("publish_results/monthly.json"))
    # When latest.json and the page are asked for
    event = load_event("published_files/get_latest.json")
    latest = invoke("PublishedFilesFunction", event)
    event["pathParameters"] = {"file": "index.html"}
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/published/index.html"
    page = invoke("PublishedFilesFunction", event)
    # Then they come back as published, the page with a policy that allows no script
    assert latest["statusCode"] == 200 and json.loads(latest["body"])["final"] is True
    assert page["statusCode"] == 200 and page["headers"]["Content-Type"].startswith("text/html")
    assert "script-src" not in page["headers"]["Content-Security-Policy"]
    assert '<svg role="img"' in page["body"]
    # And a name outside published/ or not a file's is not found
    for name in ("..", "..%2FRatingsTable", "missing.json", ".hidden"):
        event["pathParameters"] = {"file": name}
        event["rawPath"] = event["requestContext"]["http"]["path"] = f"/published/{name}"
        answer = invoke("PublishedFilesFunction", event)
        assert answer["statusCode"] in (404, 422), (name, answer)
