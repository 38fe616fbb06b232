"""ScoreRatingsFunction: the Ratings table's stream, record by record."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from haochaping.domain.plates import issue_device_token, issue_ticket, plate_signature

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

FUNCTION = "ScoreRatingsFunction"
STREAM_EVENT = "score_ratings/ratings_stream.json"
PHONE = "13812345678"  # a made-up mobile number

Invoke = Callable[[str, dict[str, Any]], Any]
LoadEvent = Callable[[str], dict[str, Any]]
LogRecords = Callable[[], list[dict[str, Any]]]


def sequence_numbers(event: dict[str, Any]) -> list[str]:
    return [record["dynamodb"]["SequenceNumber"] for record in event["Records"]]


def codes_of(event: dict[str, Any]) -> list[str]:
    return [record["dynamodb"]["NewImage"]["tracking_code"]["S"] for record in event["Records"]]


def seen(log_records: LogRecords) -> list[dict[str, Any]]:
    return [record for record in log_records() if record.get("message") == "rating seen"]


def metric_values(log_records: LogRecords, name: str) -> list[float]:
    """Values of one metric across the EMF blobs written so far."""
    values: list[float] = []
    for record in log_records():
        if "_aws" in record and name in record:
            value = record[name]
            values.extend(value if isinstance(value, list) else [value])
    return values


def type_shape(image: dict[str, Any]) -> dict[str, str]:
    """Attribute name → DynamoDB type tag, e.g. {"level": "N"}."""
    return {name: next(iter(value)) for name, value in image.items()}


def test_the_sample_batch_succeeds_and_each_rating_is_seen(
    stack: Any, invoke: Invoke, load_event: LoadEvent, log_records: LogRecords
) -> None:
    # Given the sample stream batch: three new ratings, one of them a bad review
    event = load_event(STREAM_EVENT)
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then no record failed
    assert response == {"batchItemFailures": []}
    # And each rating was logged once, without its comment, and counted
    lines = seen(log_records)
    assert [line["tracking_code"] for line in lines] == codes_of(event)
    assert [line["bad_review"] for line in lines] == [False, True, False]
    assert [line["rating_level"] for line in lines] == [5, 2, 4]
    assert all("comment" not in line for line in lines)
    assert sum(metric_values(log_records, "RatingsSeen")) == 3
    assert sum(metric_values(log_records, "BadReviewsSeen")) == 1


def without_level(image: dict[str, Any]) -> None:
    del image["level"]


def set_attribute(name: str, value: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(image: dict[str, Any]) -> None:
        image[name] = value

    return change


POISONS = {
    "level missing": without_level,
    "level out of range": set_attribute("level", {"N": "9"}),
    "level as text": set_attribute("level", {"S": "garbage"}),
    "unknown channel": set_attribute("channel", {"S": "fax"}),
    "rated_at unreadable": set_attribute("rated_at", {"S": "26/11/2026 14:30"}),
}


@pytest.mark.parametrize("poison", POISONS.values(), ids=POISONS.keys())
def test_a_poison_record_alone_is_reported(
    stack: Any,
    invoke: Invoke,
    load_event: LoadEvent,
    log_records: LogRecords,
    poison: Callable[[dict[str, Any]], None],
) -> None:
    # Given the sample batch whose second record is a rating that cannot be read
    event = load_event(STREAM_EVENT)
    first, _, last = codes_of(event)
    poison(event["Records"][1]["dynamodb"]["NewImage"])
    poisoned = event["Records"][1]["dynamodb"]["SequenceNumber"]
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then exactly that record is reported failed, and the others were seen
    assert response == {"batchItemFailures": [{"itemIdentifier": poisoned}]}
    assert [line["tracking_code"] for line in seen(log_records)] == [first, last]


def test_several_poison_records_are_reported_in_order(stack: Any, invoke: Invoke, load_event: LoadEvent) -> None:
    # Given the sample batch whose first and last records lack their level
    event = load_event(STREAM_EVENT)
    for index in (0, 2):
        without_level(event["Records"][index]["dynamodb"]["NewImage"])
    first, _, last = sequence_numbers(event)
    # When the function handles it
    response = invoke(FUNCTION, event)
    # Then exactly those two are reported
    assert response == {"batchItemFailures": [{"itemIdentifier": first}, {"itemIdentifier": last}]}


def test_a_batch_of_only_poison_records_fails_as_a_whole(stack: Any, invoke: Invoke, load_event: LoadEvent) -> None:
    # Given a batch in which no record can be read
    event = load_event(STREAM_EVENT)
    for record in event["Records"]:
        without_level(record["dynamodb"]["NewImage"])
    # When the function handles it
    # Then the invocation fails (Powertools raises when every record failed), so the batch is retried
    with pytest.raises(BatchProcessingError):
        invoke(FUNCTION, event)


@pytest.mark.parametrize("event_name", ["MODIFY", "REMOVE"])
def test_changes_to_existing_items_are_ignored(
    stack: Any, invoke: Invoke, load_event: LoadEvent, log_records: LogRecords, event_name: str
) -> None:
    # Given the sample records as changes to existing items, their images unreadable as ratings
    event = load_event(STREAM_EVENT)
    for record in event["Records"]:
        record["eventName"] = event_name
        image = record["dynamodb"].pop("NewImage")
        without_level(image)
        record["dynamodb"]["OldImage"] = image
        if event_name == "MODIFY":
            record["dynamodb"]["NewImage"] = copy.deepcopy(image)
    # When the function handles them
    response = invoke(FUNCTION, event)
    # Then none failed and none was taken for a new rating
    assert response == {"batchItemFailures": []}
    assert seen(log_records) == []


def test_new_items_that_are_not_ratings_are_ignored(
    stack: Any, invoke: Invoke, load_event: LoadEvent, log_records: LogRecords
) -> None:
    # Given a new item of another kind in the same table, mixed with a rating
    event = load_event(STREAM_EVENT)
    _, second, third = codes_of(event)
    other = event["Records"][0]["dynamodb"]["NewImage"]
    event["Records"][0]["dynamodb"]["NewImage"] = {
        "pk": other["pk"],
        "sk": {"S": "FOLLOWUP#1"},
        "kind": {"S": "followup"},
    }
    # When the function handles the batch
    response = invoke(FUNCTION, event)
    # Then nothing failed and only the ratings were seen
    assert response == {"batchItemFailures": []}
    assert [line["tracking_code"] for line in seen(log_records)] == [second, third]


def test_the_comment_never_reaches_the_logs(
    stack: Any, invoke: Invoke, load_event: LoadEvent, captured_output: Callable[[], str]
) -> None:
    # Given new ratings whose comments hold a phone number, one of them unreadable
    event = load_event(STREAM_EVENT)
    for record in event["Records"]:
        record["dynamodb"]["NewImage"]["comment"] = {"S": f"请打 {PHONE} 联系我"}
    event["Records"][2]["dynamodb"]["NewImage"]["level"] = {"N": "0"}
    # When the function handles them
    response = invoke(FUNCTION, event)
    # Then they were handled, and the number is in no line written
    assert len(response["batchItemFailures"]) == 1
    output = captured_output()
    assert "rating seen" in output
    assert PHONE not in output


def stream_event_of(stack: Any) -> dict[str, Any]:
    """What Lambda's event source mapping would pass: the Ratings stream's records so far."""
    stream_arn = stack.stream_arns["RatingsTable"]
    region = stack.region
    # botocore addresses DescribeStream at <account>.streams-ddb.<region>; moto answers the classic endpoint.
    streams = boto3.client("dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com")
    records = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            created = record["dynamodb"]["ApproximateCreationDateTime"]
            record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
            record["eventSourceARN"] = stream_arn
            records.append(record)
    return {"Records": records}


def test_ratings_submitted_through_the_api_are_seen_from_the_real_stream(
    stack: Any, invoke: Invoke, load_event: LoadEvent, log_records: LogRecords
) -> None:
    # Given a rating submitted twice through POST /ratings, its comment holding a phone number
    post = load_event("submit_rating/post_rating.json")
    body = json.loads(post["body"]) | {"comment": f"请打 {PHONE}"}
    post["body"] = json.dumps(body, ensure_ascii=False)
    code = json.loads(invoke("SubmitRatingFunction", post)["body"])["tracking_code"]
    invoke("SubmitRatingFunction", post)
    event = stream_event_of(stack)
    # When the stream consumer handles the table's stream
    response = invoke(FUNCTION, event)
    # Then the one new rating was seen, once, from the image the put wrote, without its comment
    # (beside it in the stream: the counter of its source's budget, an item of its own)
    ratings = [r for r in event["Records"] if r["dynamodb"]["NewImage"].get("kind") == {"S": "rating"}]
    assert [record["eventName"] for record in ratings] == ["INSERT"]
    assert response == {"batchItemFailures": []}
    lines = seen(log_records)
    assert [(line["tracking_code"], line["rating_level"], line["bad_review"]) for line in lines] == [(code, 2, True)]
    assert all(PHONE not in json.dumps(record, ensure_ascii=False) for record in log_records())


@pytest.mark.parametrize("index", [0, 1, 2])
def test_the_sample_images_have_the_shape_a_real_put_writes(
    stack: Any, invoke: Invoke, load_event: LoadEvent, index: int
) -> None:
    # Given a record of the sample stream event
    sample = load_event(STREAM_EVENT)["Records"][index]["dynamodb"]["NewImage"]
    # When the same rating is submitted through POST /ratings
    post = load_event("submit_rating/post_rating.json")
    body = {
        "window_code": sample["window_code"]["S"],
        "sig": plate_signature(sample["window_code"]["S"], stack.signing_secret),
        "level": int(sample["level"]["N"]),
        "submission_id": sample["submission_id"]["S"],
        "tags": [tag["S"] for tag in sample["tags"]["L"]],
        "comment": sample["comment"]["S"],
        "channel": sample["channel"]["S"],
    }
    post["body"] = json.dumps(body, ensure_ascii=False)
    if body["channel"] == "qr":  # by the plate, from a phone that opened the plate's form
        post["cookies"] = [f"hcp_device={issue_device_token('Jq4vX0c2LmT8yRw5Zb1NdA', stack.signing_secret)}"]
    assert invoke("SubmitRatingFunction", post)["statusCode"] == 201
    # Then the stored item has the same attributes, types and values as the sample image
    (item,) = stack.ratings()
    assert type_shape(item) == type_shape(sample)
    for name, value in sample.items():
        if name != "rated_at":
            assert item[name] == value, name


def test_marks_written_with_a_rating_are_not_taken_for_ratings(
    stack: Any, invoke: Invoke, load_event: LoadEvent, log_records: LogRecords
) -> None:
    # Given a rating that claims a ticket, a device cool-down and a case in its one write
    post = load_event("submit_rating/post_rating.json")
    ticket = issue_ticket("640104-A017", "A023", datetime.now(UTC) - timedelta(minutes=5), stack.signing_secret)
    body = json.loads(post["body"]) | {"case_no": "XQ-2026-000123", "ticket": ticket}
    del body["sig"]
    post["body"] = json.dumps(body, ensure_ascii=False)
    post["cookies"] = [f"hcp_device={issue_device_token('Jq4vX0c2LmT8yRw5Zb1NdA', stack.signing_secret)}"]
    response = invoke("SubmitRatingFunction", post)
    assert response["statusCode"] == 201, response["body"]
    event = stream_event_of(stack)
    # When the stream consumer handles the four new items
    result = invoke(FUNCTION, event)
    # Then nothing failed and only the rating was seen
    kinds = sorted(record["dynamodb"]["NewImage"]["kind"]["S"] for record in event["Records"])
    assert kinds == ["case", "cooldown", "rating", "ticket"]
    assert result == {"batchItemFailures": []}
    assert [line["tracking_code"] for line in seen(log_records)] == [json.loads(response["body"])["tracking_code"]]
