"""ScoreRatingsFunction: the Ratings table's stream — bad reviews sent on record by record, every
change counted on the score sheets once — invoked as Lambda's tumbling-window mapping invokes it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from haochaping.adapters.stream_records import NoShard
from haochaping.domain.plates import issue_device_token, issue_ticket, plate_signature
from haochaping.domain.rating import utc_now
from haochaping.domain.scores import Count, Figures, Period, PeriodKind, Scope, ScopeKind, board
from haochaping.operations import scores
from haochaping.wiring import wired

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

FUNCTION = "ScoreRatingsFunction"
STREAM_EVENT = "score_ratings/ratings_stream.json"
PHONE = "13812345678"  # a made-up mobile number
DONE = {"state": {}, "batchItemFailures": []}  # nothing to retry; the window keeps no state

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
    assert response == DONE
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
    assert response == {"state": {}, "batchItemFailures": [{"itemIdentifier": poisoned}]}
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
    assert response == {"state": {}, "batchItemFailures": [{"itemIdentifier": first}, {"itemIdentifier": last}]}


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
    assert response == DONE
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
    assert response == DONE
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
    """What Lambda's event source mapping would pass: the Ratings stream's records so far, in a
    tumbling window, as one shard's batch (moto's stream has one shard)."""
    stream_arn = stack.stream_arns["RatingsTable"]
    region = stack.region
    # botocore addresses DescribeStream at <account>.streams-ddb.<region>; moto answers the classic endpoint.
    streams = boto3.client("dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com")
    (shard,) = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = []
    for record in streams.get_records(ShardIterator=iterator)["Records"]:
        created = record["dynamodb"]["ApproximateCreationDateTime"]
        record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
        record["eventSourceARN"] = stream_arn
        records.append(record)
    window = {"start": "2026-11-26T06:30:00Z", "end": "2026-11-26T06:45:00Z"}  # not read by the function
    return {
        "Records": records,
        "window": window,
        "state": {},
        "shardId": shard["ShardId"],
        "eventSourceARN": stream_arn,
        "isFinalInvokeForWindow": False,
        "isWindowTerminatedEarly": False,
    }


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
    assert response == DONE
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
        if name not in ("rated_at", "rated_day"):  # the moment it was submitted, and its day
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
    assert result == DONE
    assert [line["tracking_code"] for line in seen(log_records)] == [json.loads(response["body"])["tracking_code"]]


# ---------------------------------------------------------------- the score sheets

SAMPLE_DAY = Period(PeriodKind.DAY, "2026-11-26")  # 06:30 UTC is 14:30 in China
SHEET_PERIODS = (SAMPLE_DAY, Period(PeriodKind.MONTH, "2026-11"), Period(PeriodKind.YEAR, "2026"))


def scores_of(period: Period) -> dict[Scope, dict[Count, int]]:
    """Every scope's counts for the period, as the Scores table holds them."""
    return board(wired()[0].scores.sheets(period))


def marks(stack: Any) -> list[dict[str, Any]]:
    return [item for item in stack.items("ScoresTable") if item["pk"]["S"].startswith("MARK#")]


def test_the_sample_batch_is_counted_on_its_halls_day_month_and_year(
    stack: Any, invoke: Invoke, load_event: LoadEvent
) -> None:
    # Given the sample batch: at 兴庆区政务服务中心, 非常满意 at B003, 不满意 at A017 (XQ1017 on duty), 满意 at C021
    event = load_event(STREAM_EVENT)
    # When the function handles it
    assert invoke(FUNCTION, event) == DONE
    # Then each period's sheets count each rating for its window, staff member, department and hall
    hall = {Count.VERY_SATISFIED: 1, Count.SATISFIED: 1, Count.DISSATISFIED: 1, Count.VALID: 3}
    for period in SHEET_PERIODS:
        assert scores_of(period) == {
            Scope(ScopeKind.WINDOW, "640104-B003"): {Count.VERY_SATISFIED: 1, Count.VALID: 1},
            Scope(ScopeKind.WINDOW, "640104-A017"): {Count.DISSATISFIED: 1, Count.VALID: 1},
            Scope(ScopeKind.WINDOW, "640104-C021"): {Count.SATISFIED: 1, Count.VALID: 1},
            Scope(ScopeKind.STAFF, "XQ1017"): {Count.DISSATISFIED: 1, Count.VALID: 1},
            Scope(ScopeKind.DEPARTMENT, "11640104MB0000001A"): hall,
            Scope(ScopeKind.HALL, "XQZWFW"): hall,
            Scope(ScopeKind.DIVISION, "640104"): hall,
        }
    # And the shard's mark is at the batch's last record
    (mark,) = marks(stack)
    assert mark["sk"]["S"] == event["shardId"]
    assert mark["sequence"]["S"] == sequence_numbers(event)[-1]
    assert int(mark["expires_at"]["N"]) > datetime.now(UTC).timestamp()


def test_a_batch_delivered_again_whole_or_in_part_counts_once(
    stack: Any, invoke: Invoke, load_event: LoadEvent
) -> None:
    # Given the sample batch counted
    event = load_event(STREAM_EVENT)
    invoke(FUNCTION, event)
    counted = scores_of(SAMPLE_DAY)
    # When Lambda delivers it again, then its second half alone (a bisected retry)
    again = invoke(FUNCTION, event)
    half = event | {"Records": event["Records"][1:]}
    half_again = invoke(FUNCTION, half)
    # Then nothing more is counted, and nothing is retried
    assert (again, half_again) == (DONE, DONE)
    assert scores_of(SAMPLE_DAY) == counted


def test_the_windows_closing_invocation_does_nothing(stack: Any, invoke: Invoke, load_event: LoadEvent) -> None:
    # Given the tumbling window's last invocation, which has no records
    event = load_event("score_ratings/window_end.json")
    # When the function handles it
    # Then it answers with an empty state and writes nothing
    assert invoke(FUNCTION, event) == DONE
    assert stack.items("ScoresTable") == []


def test_a_batch_that_names_no_shard_is_refused(stack: Any, invoke: Invoke, load_event: LoadEvent) -> None:
    # Given a batch without the tumbling window's shard id (a mapping configured without it)
    event = load_event(STREAM_EVENT)
    del event["shardId"]
    # When the function handles it
    # Then it fails, so that nothing is counted without a mark to keep it once
    with pytest.raises(NoShard):
        invoke(FUNCTION, event)
    assert stack.items("ScoresTable") == []


def test_bad_reviews_worked_through_the_functions_count_from_the_real_stream(
    stack: Any, invoke: Invoke, load_event: LoadEvent
) -> None:
    # Given a real-name bad review resolved on the spot, told, called back (满意) and closed, and a
    # good review, each through the functions, the stream consumer handling the stream as it goes
    from tests.functional.test_followup_functions import OFFICER, district_of

    district = district_of(stack, invoke, load_event)
    fixed = district.bad_review(real_name=True)
    district.rate(level=5)
    for action, fields in [
        ("resolve_on_spot", {"text": "当场补办完成"}),
        ("give_feedback", {"text": "已当场解决"}),
        ("record_call_back", {"verdict": "satisfied"}),
        ("close", {}),
    ]:
        district.acted(fixed, OFFICER, action, **fields)
    assert district.stream() == DONE
    today = Period.of(PeriodKind.DAY, utc_now())
    division = Scope(ScopeKind.DIVISION, "640104")
    # When the day's figures are read from the Scores table
    figures_now = scores.figures_for(today, wired()[0])[division]
    # Then every figure is what the two ratings and the task make, computed by hand
    assert figures_now == Figures(
        ratings=2,
        not_adopted=0,
        valid=2,
        good_rate=Fraction(1, 2),
        bad_rate=Fraction(1, 2),
        mean_score=Fraction(5 + 2, 2),
        reply_rate=Fraction(1),
        call_back_rate=Fraction(1),
        real_name_call_back_rate=Fraction(1),
        fix_satisfaction=Fraction(1),
        on_time_rate=Fraction(1),
    )
    # When a third, anonymous bad review is found malicious and not adopted, approved by a second person
    from tests.functional.test_followup_functions import SECOND_SUPERVISOR, SUPERVISOR

    voided = district.bad_review()
    district.acted(voided, OFFICER, "propose_not_adopted", reason="malicious", text="监控显示未办理业务")
    district.acted(voided, SUPERVISOR, "approve_not_adopted")
    district.acted(voided, OFFICER, "give_feedback", text="经核实为恶意差评")
    assert district.stream() == DONE
    # Then every figure is as before; only the count of ratings not adopted says it came
    after_void = scores.figures_for(today, wired()[0])[division]
    assert replace(after_void, ratings=2, not_adopted=0) == figures_now
    assert (after_void.ratings, after_void.not_adopted) == (3, 1)
    # When the citizen appeals and another supervisor upholds it
    assert district.citizen(voided, "appeal", {"text": "我确实办理了业务"})["statusCode"] == 200
    district.acted(voided, SECOND_SUPERVISOR, "uphold_appeal", text="受理回执属实")
    assert district.stream() == DONE
    # Then it counts as a valid bad review again, worked anew: valid 3, bad 2, reply 1/2, call-back 1/2
    restored = scores.figures_for(today, wired()[0])[division]
    assert (restored.valid, restored.not_adopted, restored.bad_rate) == (3, 0, Fraction(2, 3))
    assert (restored.reply_rate, restored.call_back_rate, restored.mean_score) == (
        Fraction(1, 2),
        Fraction(1, 2),
        Fraction(5 + 2 + 2, 3),
    )
    # And the raw stream delivered again from its start changes nothing
    assert invoke(FUNCTION, stream_event_of(stack)) == DONE
    assert scores.figures_for(today, wired()[0])[division] == restored
