"""What happens to a bad review, handler by handler, against the stack's resources in moto.

POST /ratings (SubmitRatingFunction) → the Ratings stream (ScoreRatingsFunction) → the FollowUp
queue (OpenFollowupFunction) → one task, its officers told on the officer topic → the staff API
(StaffTasksFunction, behind the JWT authorizer: the claims arrive in the event as API Gateway
passes them, every value a string) → the citizen's verdict and appeal (CitizenFollowupFunction)
→ the evaluator's name and phone removed a retention period after the task closed
(PurgePersonalDataFunction).

The gateway itself (401 without a token) is tested on the local twin, not here.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from haochaping.adapters import keys
from haochaping.domain.calendar import WorkingCalendar
from haochaping.domain.followup import Action, Actor, Role
from haochaping.domain.plates import plate_signature
from haochaping.domain.rating import utc_now
from haochaping.domain.submission import RatingSubmission
from haochaping.observability import logger
from haochaping.operations import followup, ratings
from haochaping.operations.retention import purge_personal_data
from haochaping.wiring import wired
from pynamodb.connection.base import Connection

from tests.functional.conftest import (
    HALL,
    OFFICER_AT_WINDOW,
    OFFICERS,
    OTHER_HALL,
    OTHER_OFFICER,
    SUPERVISORS,
)
from tests.functional.test_score_ratings_function import DONE, stream_event_of

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

PHONE = "13912345678"  # a made-up mobile number
NAME = "欧阳晓燕"  # a made-up name
EVALUATOR = {"name": NAME, "phone": PHONE, "consent": True}
EVIDENCE = "同一设备十分钟内连续差评五次，监控显示评价人未在窗口办理"
DIVISION = "640104"

Invoke = Callable[[str, dict[str, Any]], Any]
LoadEvent = Callable[[str], dict[str, Any]]


# ---------------------------------------------------------------- who signs in


@dataclass(frozen=True)
class Person:
    """A staff member as the user pool's id token describes them."""

    username: str
    groups: tuple[str, ...]
    hall: str = HALL
    division: str = DIVISION


OFFICER = Person(OFFICERS[0], ("officer",))
SECOND_OFFICER = Person(OFFICER_AT_WINDOW, ("officer",))
SUPERVISOR = Person(SUPERVISORS[0], ("supervisor",))
SECOND_SUPERVISOR = Person(SUPERVISORS[1], ("supervisor",))
# An officer of the hall whose token makes them a supervisor too: both follows up and approves.
HEAD = Person(OFFICERS[0], ("officer", "supervisor"))
OTHER_HALL_OFFICER = Person(OTHER_OFFICER, ("officer",), hall=OTHER_HALL)
OTHER_HALL_SUPERVISOR = Person("XQ3101", ("supervisor",), hall=OTHER_HALL)
CLERK = Person("XQ1017", ())  # a window clerk: signed in, but no follow-up role


# ---------------------------------------------------------------- the district, driven through its handlers


@dataclass
class Inbox:
    """An SQS queue subscribed to a topic: what the topic's subscribers would receive."""

    queue_url: str
    received: list[dict[str, Any]] = field(default_factory=list)

    def messages(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return self.received
            for message in batch:
                envelope = json.loads(message["Body"])
                self.received.append(
                    {
                        "raw": message["Body"],
                        "subject": envelope.get("Subject"),
                        "message": json.loads(envelope["Message"]),
                        "attributes": envelope.get("MessageAttributes", {}),
                    }
                )
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def subscribe(topic_arn: str, name: str) -> Inbox:
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return Inbox(url)


@dataclass
class District:
    stack: Any
    invoke: Invoke
    load_event: LoadEvent
    officer_inbox: Inbox
    report_inbox: Inbox
    streamed: set[str] = field(default_factory=set)
    submissions: int = 0
    citizen_keys: dict[str, str] = field(default_factory=dict)  # tracking code → the receipt's key

    # -- the citizen rates
    def rate(
        self,
        level: int = 2,
        window: str = "640104-A017",
        evaluator: dict[str, Any] | None = None,
        submission_id: str | None = None,
    ) -> str:
        if submission_id is None:
            self.submissions += 1
            submission_id = f"followup-test-{self.submissions:04d}"
        event = self.load_event("submit_rating/post_rating.json")
        event["headers"].pop("content-length", None)
        body: dict[str, Any] = {
            "window_code": window,
            "sig": plate_signature(window, self.stack.signing_secret),
            "level": level,
            "submission_id": submission_id,
            "tags": ["201"] if level == 2 else [],
            "comment": "排队等了很久，叫号系统不清楚。",
            "channel": "window_device",
        }
        if evaluator is not None:
            body["evaluator"] = evaluator
        event["body"] = json.dumps(body, ensure_ascii=False)
        response = self.invoke("SubmitRatingFunction", event)
        assert response["statusCode"] in (200, 201), response["body"]
        receipt = json.loads(response["body"])
        self.citizen_keys[receipt["tracking_code"]] = receipt["citizen_key"]
        return str(receipt["tracking_code"])

    # -- the stream consumer sees the new items
    def stream(self) -> dict[str, Any]:
        event = stream_event_of(self.stack)
        event["Records"] = [r for r in event["Records"] if r["dynamodb"]["SequenceNumber"] not in self.streamed]
        self.streamed.update(r["dynamodb"]["SequenceNumber"] for r in event["Records"])
        if not event["Records"]:
            return DONE
        return dict(self.invoke("ScoreRatingsFunction", event))

    # -- what waits on the FollowUp queue
    def follow_up_messages(self) -> list[dict[str, Any]]:
        sqs: Any = boto3.client("sqs")
        url = self.stack.environment["FOLLOW_UP_QUEUE_URL"]
        messages: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        ):
            messages.extend(batch)
            for message in batch:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return messages

    def sqs_event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The FollowUp queue's event source mapping's event for these messages."""
        (template,) = self.load_event("open_followup/bad_review_message.json")["Records"]
        queue_arn = boto3.client("sqs").get_queue_attributes(
            QueueUrl=self.stack.environment["FOLLOW_UP_QUEUE_URL"], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        records = []
        for message in messages:
            records.append(
                template
                | {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": message.get("Attributes", template["attributes"]),
                    "md5OfBody": message["MD5OfBody"],
                    "eventSourceARN": queue_arn,
                    "awsRegion": self.stack.region,
                }
            )
        return {"Records": records}

    def open_followups(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(self.invoke("OpenFollowupFunction", self.sqs_event(messages)))

    def bad_review(self, window: str = "640104-A017", real_name: bool = False, level: int = 2) -> str:
        """A bad review rated, streamed and queued, and its task opened: the tracking code."""
        code = self.rate(level=level, window=window, evaluator=EVALUATOR if real_name else None)
        assert self.stream() == DONE
        messages = self.follow_up_messages()
        assert [json.loads(m["Body"]) for m in messages] == [{"tracking_code": code}]
        assert self.open_followups(messages) == {"batchItemFailures": []}
        return code

    # -- staff, through the staff API
    def staff(
        self,
        who: Person | None,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        sample = {"GET": "staff_tasks/get_task.json", "POST": "staff_tasks/act_on_task.json"}[method]
        event = self.load_event(sample)
        route = "/staff/tasks/{tracking_code}" if path.count("/") == 3 else "/staff/tasks/{tracking_code}/actions"
        if path in ("/staff/tasks", "/staff/reports"):
            route = path
            event.pop("pathParameters", None)
        else:
            event["pathParameters"] = {"tracking_code": path.split("/")[3]}
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {route}"
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in (query or {}).items())
        if query:
            event["queryStringParameters"] = dict(query)
        if body is not None:
            event["body"] = json.dumps(body, ensure_ascii=False)
        if who is None:
            del event["requestContext"]["authorizer"]
        else:
            claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
            claims["cognito:username"] = who.username
            claims["cognito:groups"] = "[" + " ".join(who.groups) + "]"
            claims["custom:hall"] = who.hall
            claims["custom:division"] = who.division
        return dict(self.invoke("StaffTasksFunction", event))

    def get(self, code: str, who: Person = OFFICER) -> dict[str, Any]:
        return self.staff(who, "GET", f"/staff/tasks/{code}")

    def task(self, code: str, who: Person = OFFICER) -> dict[str, Any]:
        response = self.get(code, who)
        assert response["statusCode"] == 200, response["body"]
        return dict(json.loads(response["body"]))

    def act(self, code: str, who: Person, action: str, version: int | None = None, **fields: Any) -> dict[str, Any]:
        if version is None:  # the version the task has now, as the console would have loaded it
            version = int((self.item(keys.task_key(code), keys.TASK_SORT_KEY) or {})["version"]["N"])
        return self.staff(who, "POST", f"/staff/tasks/{code}/actions", {"action": action, "version": version, **fields})

    def acted(self, code: str, who: Person, action: str, **fields: Any) -> dict[str, Any]:
        response = self.act(code, who, action, **fields)
        assert response["statusCode"] == 200, response["body"]
        return dict(json.loads(response["body"]))

    # -- the citizen, by tracking code and with the key from their receipt (unless the body names one)
    def citizen(self, code: str, what: str, body: dict[str, Any]) -> dict[str, Any]:
        event = self.load_event(f"citizen_followup/post_{what}.json")
        event["rawPath"] = event["requestContext"]["http"]["path"] = f"/ratings/{code}/{what}"
        event["pathParameters"] = {"tracking_code": code}
        if "citizen_key" not in body and code in self.citizen_keys:
            body = {**body, "citizen_key": self.citizen_keys[code]}
        event["body"] = json.dumps(body, ensure_ascii=False)
        return dict(self.invoke("CitizenFollowupFunction", event))

    def status(self, code: str, accept: str = "application/json") -> dict[str, Any]:
        event = self.load_event("rating_status/get_rating.json")
        event["rawPath"] = event["requestContext"]["http"]["path"] = f"/ratings/{code}"
        event["pathParameters"] = {"tracking_code": code}
        event["headers"]["accept"] = accept
        return dict(self.invoke("RatingStatusFunction", event))

    # -- what the table holds
    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = boto3.client("dynamodb").get_item(
            TableName=self.stack.ratings_table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
        )
        return found.get("Item")

    def tasks(self) -> list[dict[str, Any]]:
        return self.stack.of_kind("task")

    def audit(self, code: str) -> list[dict[str, Any]]:
        return sorted(
            (i for i in self.stack.of_kind("audit") if i["pk"]["S"] == keys.task_key(code)), key=lambda i: i["sk"]["S"]
        )


@pytest.fixture
def district(stack: Any, invoke: Invoke, load_event: LoadEvent) -> District:
    return district_of(stack, invoke, load_event)


def district_of(stack: Any, invoke: Invoke, load_event: LoadEvent) -> District:
    """The district with inboxes on the officer and report topics (other test modules build theirs so)."""
    return District(
        stack=stack,
        invoke=invoke,
        load_event=load_event,
        officer_inbox=subscribe(stack.environment["OFFICER_TOPIC_ARN"], "officer-inbox"),
        report_inbox=subscribe(stack.environment["REPORT_TOPIC_ARN"], "report-inbox"),
    )


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    assert response["headers"]["Content-Type"] == "application/json"
    return dict(json.loads(response["body"]))


def error_of(response: dict[str, Any]) -> dict[str, Any]:
    return dict(body_of(response)["error"])


def utc(text: str) -> datetime:
    """A UTCDateTimeAttribute as PynamoDB stores it."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


# ---------------------------------------------------------------- the stream sends bad reviews on


def test_the_stream_sends_each_new_bad_review_to_the_follow_up_queue_once(district: District) -> None:
    # Given a bad review, a good review and a real-name bad review submitted, the first one twice
    bad = district.rate(level=2, submission_id="resent-bad-review-1")
    assert district.rate(level=2, submission_id="resent-bad-review-1") == bad  # the phone resent it: the same rating
    good = district.rate(level=5)
    real_name = district.rate(level=1, evaluator=EVALUATOR)
    # When the stream consumer handles the table's new items
    assert district.stream() == DONE
    # Then exactly one message per new bad review waits on the FollowUp queue, naming only its code
    messages = district.follow_up_messages()
    assert sorted(json.loads(m["Body"])["tracking_code"] for m in messages) == sorted([bad, real_name])
    assert good not in json.dumps([m["Body"] for m in messages])
    assert all(json.loads(m["Body"]) == {"tracking_code": json.loads(m["Body"])["tracking_code"]} for m in messages)


def test_the_sample_stream_batch_sends_its_one_bad_review(district: District) -> None:
    # Given the sample stream batch: three new ratings, the second a bad review
    event = district.load_event("score_ratings/ratings_stream.json")
    bad = event["Records"][1]["dynamodb"]["NewImage"]["tracking_code"]["S"]
    # When the stream consumer handles it
    assert district.invoke("ScoreRatingsFunction", event) == DONE
    # Then the FollowUp queue has exactly that one
    assert [json.loads(m["Body"]) for m in district.follow_up_messages()] == [{"tracking_code": bad}]


def test_a_good_review_sends_nothing(district: District) -> None:
    for level in (3, 4, 5):
        district.rate(level=level)
    assert district.stream() == DONE
    assert district.follow_up_messages() == []


# ---------------------------------------------------------------- the queue opens one task per bad review


@pytest.mark.parametrize(
    ("window", "rated", "assigned"),
    [
        ("640104-A017", "XQ1017", list(OFFICERS)),
        ("640104-D008", OFFICER_AT_WINDOW, [o for o in OFFICERS if o != OFFICER_AT_WINDOW]),
        ("640104-B003", None, list(OFFICERS)),
    ],
    ids=["clerk-rated", "officer-rated", "nobody-rostered"],
)
def test_a_bad_review_message_opens_one_task_for_the_halls_officers(
    district: District,
    log_records: Callable[[], list[dict[str, Any]]],
    window: str,
    rated: str | None,
    assigned: list[str],
) -> None:
    # Given a real-name bad review at a window, its message on the FollowUp queue
    code = district.rate(level=1, window=window, evaluator=EVALUATOR)
    district.stream()
    (message,) = district.follow_up_messages()
    # When OpenFollowupFunction handles it
    before = utc_now()
    assert district.open_followups([message]) == {"batchItemFailures": []}
    after = utc_now()
    # Then exactly one task exists, keyed by the tracking code, verifying, at version 1
    (task,) = district.tasks()
    assert (task["pk"], task["sk"]) == ({"S": keys.task_key(code)}, {"S": keys.TASK_SORT_KEY})
    assert task["state"] == {"S": "verifying"}
    assert task["version"] == {"N": "1"}
    assert task["hall_key"] == {"S": keys.hall_key(HALL)}
    assert task["real_name"] == {"BOOL": True}
    # And it is assigned to the hall's officers, never to the staff member who was rated
    assert [o["S"] for o in task["officers"]["L"]] == assigned
    assert task.get("rated_staff", {}).get("S") == rated
    if rated is not None:
        assert rated not in [o["S"] for o in task["officers"]["L"]]
    # And its deadlines are the ends of working days counted from the bad review itself, in China
    opened_at = utc(task["opened_at"]["S"])
    assert before - timedelta(seconds=1) <= opened_at <= after
    rated_at = utc((district.item(keys.rating_key(code), keys.RATING_SORT_KEY) or {})["rated_at"]["S"])
    rules = wired()[1]
    calendar = WorkingCalendar()
    first = calendar.deadline(rated_at, rules.first_contact_working_days)
    rectification = calendar.deadline(rated_at, rules.rectification_working_days)
    assert utc(task["first_contact_due"]["S"]) == first.due_at
    assert utc(task["rectification_due"]["S"]) == rectification.due_at
    assert task["deadlines_provisional"] == {"BOOL": first.provisional or rectification.provisional}
    # And its first audit line says the system opened it for a bad review
    (line,) = district.audit(code)
    assert line["sk"] == {"S": keys.audit_sort_key(1)}
    assert (line["actor"], line["action"], line["to_state"]) == ({"S": "system"}, {"S": "open"}, {"S": "verifying"})
    # And the hall's officers were told once, by code and link, without personal data
    (notice,) = district.officer_inbox.messages()
    assert notice["message"] == {
        "type": "followup_opened",
        "tracking_code": code,
        "hall_code": HALL,
        "window_code": window,
        "real_name": "yes",
        "rectification_due": rectification.due_date.isoformat(),
        "link": f"{rules.public_base_url}/console#task={code}",
    }
    assert notice["attributes"]["hall_code"]["Value"] == HALL
    assert PHONE not in notice["raw"] and NAME not in notice["raw"]
    assert "notified_at" in district.item(keys.task_key(code), keys.TASK_SORT_KEY)  # type: ignore[operator]
    # And the log says so, by code only
    opened = [r for r in log_records() if r.get("message") == "follow-up task opened"]
    assert [r["tracking_code"] for r in opened] == [code]


def test_the_same_message_again_opens_no_second_task_and_tells_nobody_twice(
    district: District, log_records: Callable[[], list[dict[str, Any]]]
) -> None:
    # Given a bad review whose message was handled
    code = district.rate(level=2)
    district.stream()
    (message,) = district.follow_up_messages()
    event = district.sqs_event([message])
    assert district.invoke("OpenFollowupFunction", event) == {"batchItemFailures": []}
    # When the queue delivers it again (at-least-once), twice, and the stream record is replayed
    assert district.invoke("OpenFollowupFunction", event) == {"batchItemFailures": []}
    assert district.invoke("OpenFollowupFunction", event) == {"batchItemFailures": []}
    # Then there is still one task with one audit line, and one notification
    assert [t["pk"]["S"] for t in district.tasks()] == [keys.task_key(code)]
    assert len(district.audit(code)) == 1
    assert len(district.officer_inbox.messages()) == 1
    lines = [r["message"] for r in log_records() if r.get("tracking_code") == code and "follow-up" in r["message"]]
    assert lines == ["follow-up task opened", "follow-up task already open", "follow-up task already open"]


def test_a_poison_batch_reports_exactly_the_bad_messages(district: District) -> None:
    # Given a batch of three: a body that is not JSON, an unknown tracking code, and a real bad review
    code = district.rate(level=2)
    district.stream()
    (good,) = district.follow_up_messages()
    sqs = boto3.client("sqs")
    url = district.stack.environment["FOLLOW_UP_QUEUE_URL"]
    sqs.send_message(QueueUrl=url, MessageBody="{not json")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"tracking_code": "22222222222Z"}))
    malformed, unknown = sorted(district.follow_up_messages(), key=lambda m: m["Body"], reverse=True)
    assert malformed["Body"] == "{not json"
    # When OpenFollowupFunction handles them in one batch
    response = district.open_followups([malformed, unknown, good])
    # Then exactly the two bad ones are reported, and the good one opened its task
    assert response == {
        "batchItemFailures": [{"itemIdentifier": malformed["MessageId"]}, {"itemIdentifier": unknown["MessageId"]}]
    }
    assert [t["pk"]["S"] for t in district.tasks()] == [keys.task_key(code)]
    assert len(district.officer_inbox.messages()) == 1


@pytest.mark.parametrize(
    "body",
    [json.dumps({"tracking_code": "rcsxgqr2ycak"}), json.dumps({"code": "RCSXGQR2YCAK"}), "[]", '"RCSXGQR2YCAK"'],
    ids=["lower-case", "wrong-key", "a-list", "a-string"],
)
def test_a_message_that_is_no_bad_review_message_fails_alone(district: District, body: str) -> None:
    code = district.rate(level=2)
    district.stream()
    (good,) = district.follow_up_messages()
    boto3.client("sqs").send_message(QueueUrl=district.stack.environment["FOLLOW_UP_QUEUE_URL"], MessageBody=body)
    (bad,) = district.follow_up_messages()
    response = district.open_followups([bad, good])
    assert response == {"batchItemFailures": [{"itemIdentifier": bad["MessageId"]}]}
    assert [t["pk"]["S"] for t in district.tasks()] == [keys.task_key(code)]


def test_a_message_for_a_good_review_opens_nothing(district: District) -> None:
    # Given a message naming a good review (sent by hand, or by an older consumer)
    code = district.rate(level=4)
    url = district.stack.environment["FOLLOW_UP_QUEUE_URL"]
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps({"tracking_code": code}))
    # When it is handled
    response = district.open_followups(district.follow_up_messages())
    # Then it is done with, and no task and no notification exist
    assert response == {"batchItemFailures": []}
    assert district.tasks() == []
    assert district.officer_inbox.messages() == []


@pytest.mark.parametrize(
    ("rated_at", "first_contact_due", "rectification_due", "provisional"),
    [
        # Fri 2026-02-13 10:00 in China: Sat 02-14 works; 02-15..02-23 Spring Festival; due Fri 02-27
        (datetime(2026, 2, 13, 2, 0, tzinfo=UTC), date(2026, 2, 14), date(2026, 2, 27), False),
        # Wed 2026-09-30: National Day 10-01..10-07; 10-08, 10-09, the swapped Sat 10-10, 10-12, 10-13
        (datetime(2026, 9, 30, 2, 0, tzinfo=UTC), date(2026, 10, 8), date(2026, 10, 13), False),
        # Mon 2026-12-28: the rectification deadline needs 2027, which the package does not know: the
        # provisional calendar rests on New Year's Day (Fri 2027-01-01) and the weekend
        (datetime(2026, 12, 28, 2, 0, tzinfo=UTC), date(2026, 12, 29), date(2027, 1, 5), True),
    ],
    ids=["spring-festival", "national-day", "year-end"],
)
def test_the_tasks_deadlines_count_working_days_on_the_official_calendar(
    district: District, rated_at: datetime, first_contact_due: date, rectification_due: date, provisional: bool
) -> None:
    # Given a bad review given at a known moment
    submission = RatingSubmission(
        window_code="640104-A017",
        sig=plate_signature("640104-A017", district.stack.signing_secret),
        level=2,
        submission_id=f"deadline-{rated_at:%Y%m%d}",
        channel="window_device",  # the window's pad: no form's cookie to carry
    )
    rating, _ = ratings.submit_rating(submission, *wired(), None, now=rated_at)
    code = rating.tracking_code
    # When the service opens its task (the handler passes the real clock)
    assert followup.open_followup(code, *wired(), now=rated_at) is True
    # Then each deadline is 24:00 in China of the working day, and provisional when 2027 was guessed
    task = body_of(district.get(code))

    def end_of(day: date) -> datetime:  # 24:00 in China, in UTC
        return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=16)

    assert datetime.fromisoformat(task["first_contact_due"]) == end_of(first_contact_due)
    assert datetime.fromisoformat(task["rectification_due"]) == end_of(rectification_due)
    assert task["deadlines_provisional"] is provisional
    (notice,) = district.officer_inbox.messages()
    assert notice["message"]["rectification_due"] == rectification_due.isoformat()


# ---------------------------------------------------------------- the staff API: list, get, act


def test_officers_list_their_halls_tasks_only(district: District) -> None:
    # Given two bad reviews in the service centre, one real-name, and one in the other hall
    anonymous = district.bad_review()
    real_name = district.bad_review(real_name=True)
    elsewhere = district.bad_review(window="640104-E001")
    # When each hall's officer lists their tasks
    mine = body_of(district.staff(OFFICER, "GET", "/staff/tasks"))["tasks"]
    theirs = body_of(district.staff(OTHER_HALL_OFFICER, "GET", "/staff/tasks"))["tasks"]
    # Then each sees only their own hall's, newest first, without personal data
    assert sorted(t["tracking_code"] for t in mine) == sorted([anonymous, real_name])
    assert [t["tracking_code"] for t in theirs] == [elsewhere]
    assert all(t["state"] == "verifying" and t["state_name"] == "回访核实中" for t in mine)
    assert PHONE not in json.dumps(mine) and NAME not in json.dumps(mine, ensure_ascii=False)
    # And the filters narrow the list
    only_real = body_of(district.staff(OFFICER, "GET", "/staff/tasks", query={"real_name": "true"}))["tasks"]
    assert [t["tracking_code"] for t in only_real] == [real_name]
    district.acted(anonymous, OFFICER, "resolve_on_spot", text="当场解决")
    resolved = body_of(district.staff(SUPERVISOR, "GET", "/staff/tasks", query={"state": "resolved_on_spot"}))
    assert [t["tracking_code"] for t in resolved["tasks"]] == [anonymous]
    # And an unknown filter value is a 422
    assert district.staff(OFFICER, "GET", "/staff/tasks", query={"state": "lost"})["statusCode"] == 422
    assert district.staff(OFFICER, "GET", "/staff/tasks", query={"due": "someday"})["statusCode"] == 422


def test_every_open_task_is_listed_however_many_closed_ones_came_after_it(
    district: District, monkeypatch: pytest.MonkeyPatch, dynamodb_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    # Given a hall that lists its two newest tasks beside its open ones, an old task still open
    # and three newer ones closed
    monkeypatch.setattr(followup, "RECENT_TASKS", 2)
    still_open = district.bad_review()
    closed = [district.bad_review(real_name=True) for _ in range(3)]
    for code in closed:
        close_real_name(district, code)
    dynamodb_calls.clear()
    # When the officer lists the hall's tasks, and its tasks still being verified
    listing = body_of(district.staff(OFFICER, "GET", "/staff/tasks"))
    listed = listing["tasks"]
    verifying = body_of(district.staff(OFFICER, "GET", "/staff/tasks", query={"state": "verifying"}))["tasks"]
    # Then the open task is in both, and the list holds the two newest closed ones, newest first,
    # and says how many of the newest it holds
    assert [t["tracking_code"] for t in listed] == [closed[2], closed[1], still_open]
    assert listing["recent"] == 2
    assert [t["tracking_code"] for t in verifying] == [still_open]
    # And it was read through the two hall indexes, never by scanning the table
    operations = [name for name, _ in dynamodb_calls]
    assert "Scan" not in operations
    indexes = {kwargs.get("IndexName") for name, kwargs in dynamodb_calls if name == "Query"}
    assert indexes == {"OpenTasksByHall", "TasksByHall"}


def test_the_sample_events_ask_for_the_sample_task(district: District) -> None:
    # Given the sample bad review (RCSXGQR2YCAK) with its task opened from the sample message
    response = district.invoke("SubmitRatingFunction", district.load_event("submit_rating/post_rating.json"))
    code = body_of(response)["tracking_code"]
    message = district.load_event("open_followup/bad_review_message.json")
    assert json.loads(message["Records"][0]["body"]) == {"tracking_code": code}
    assert district.invoke("OpenFollowupFunction", message) == {"batchItemFailures": []}
    # When the sample staff requests are handled
    listed = district.invoke("StaffTasksFunction", district.load_event("staff_tasks/list_tasks.json"))
    shown = district.invoke("StaffTasksFunction", district.load_event("staff_tasks/get_task.json"))
    acted = district.invoke("StaffTasksFunction", district.load_event("staff_tasks/act_on_task.json"))
    reports = district.invoke("StaffTasksFunction", district.load_event("staff_tasks/list_reports.json"))
    # Then each answers for the sample task
    assert [t["tracking_code"] for t in body_of(listed)["tasks"]] == [code]
    assert body_of(shown)["tracking_code"] == code
    assert body_of(shown)["rating"]["tags"][0] == {"code": "201", "name": "等候时间长", "name_en": ""}
    assert (acted["statusCode"], body_of(acted)["version"], body_of(acted)["contacted"]) == (200, 2, True)
    assert body_of(reports) == {"reports": []}
    assert district.invoke("PurgePersonalDataFunction", district.load_event("purge_personal_data/daily.json")) == {
        "removed": 0
    }


def test_a_task_shows_its_rating_its_moves_and_its_audit_trail(district: District) -> None:
    code = district.bad_review()
    task = district.task(code)
    assert task["tracking_code"] == code
    assert (task["state"], task["version"], task["real_name"], task["evaluator"]) == ("verifying", 1, False, None)
    assert task["allowed_actions"] == [
        "record_contact",
        "resolve_on_spot",
        "start_rectification",
        "explain",
        "propose_not_adopted",
        "claim",
    ]
    assert task["rating"]["level"] == 2 and task["rating"]["staff_job_number"] == "XQ1017"
    assert [(a["sequence"], a["actor"], a["action"]) for a in task["audit"]] == [(1, "system", "open")]
    assert district.task(code, SUPERVISOR)["allowed_actions"] == ["assign"]
    assert (task["holder"], task["officers"]) == (None, list(OFFICERS))
    assert district.get("22222222222Z")["statusCode"] == 404
    assert district.get("not-a-code")["statusCode"] == 422


# (what, real name?, moves: (who, action, fields); the citizen's verdict as ("citizen", "verdict", {...}))
OUTCOMES: list[tuple[str, bool, list[tuple[Any, str, dict[str, Any]]]]] = [
    (
        "resolved on the spot",
        False,
        [
            (OFFICER, "record_contact", {}),
            (OFFICER, "resolve_on_spot", {"text": "当场补办完毕"}),
            (OFFICER, "give_feedback", {"text": "已当场为您补办"}),
            (OFFICER, "close", {}),
        ],
    ),
    (
        "rectified, real name, called back",
        True,
        [
            (SECOND_OFFICER, "start_rectification", {"text": "调整叫号规则"}),
            (SECOND_OFFICER, "mark_rectified", {"text": "叫号系统已按业务分流"}),
            (SECOND_OFFICER, "give_feedback", {"text": "已整改叫号系统"}),
            (SECOND_OFFICER, "record_call_back", {"verdict": "satisfied"}),
            (SUPERVISOR, "close", {}),
        ],
    ),
    (
        "explained, closed by the citizen's verdict",
        False,
        [
            (OFFICER, "explain", {"text": "材料须由本人提交，无法代办"}),
            (OFFICER, "give_feedback", {"text": "已说明政策"}),
            ("citizen", "verdict", {"verdict": "basically_satisfied"}),
        ],
    ),
    (
        "not adopted, approved by another",
        False,
        [
            (OFFICER, "propose_not_adopted", {"reason": "malicious", "text": EVIDENCE}),
            (SUPERVISOR, "approve_not_adopted", {}),
            (OFFICER, "give_feedback", {"text": "经核实为恶意差评，不予采纳"}),
            (OFFICER, "close", {}),
        ],
    ),
]


@pytest.mark.parametrize(("real_name", "moves"), [o[1:] for o in OUTCOMES], ids=[o[0] for o in OUTCOMES])
def test_each_outcome_is_worked_to_closed_through_the_api(
    district: District, real_name: bool, moves: list[tuple[Any, str, dict[str, Any]]]
) -> None:
    # Given a bad review's task
    code = district.bad_review(real_name=real_name)
    # When staff (and the citizen) take the moves through the API
    for who, action, fields in moves:
        if who == "citizen":
            response = district.citizen(code, action, fields)
        else:
            response = district.act(code, who, action, **fields)
        # Then each move is answered 200 with the state it led to
        assert response["statusCode"] == 200, (action, response["body"])
    # And the task is closed, its trail in the table line by line, each with who, role, from and to
    task = district.task(code)
    assert task["state"] == "closed"
    assert task["version"] == 1 + len(moves)
    trail = district.audit(code)
    assert [line["sk"]["S"] for line in trail] == [keys.audit_sort_key(n) for n in range(1, len(moves) + 2)]
    expected_actors = ["system"] + [who.username if isinstance(who, Person) else "citizen" for who, _, _ in moves]
    assert [line["actor"]["S"] for line in trail] == expected_actors
    assert [line["to_state"]["S"] for line in trail][-1] == "closed"
    for earlier, later in itertools.pairwise(trail):
        assert later["from_state"] == earlier["to_state"]
    assert [a["action"] for a in task["audit"]] == [line["action"]["S"] for line in trail]
    # And the citizen's status shows the outcome and the feedback, and offers nothing more
    status = body_of(district.status(code))
    assert status["follow_up_status"] == "closed"
    assert status["feedback"]
    assert status["citizen_actions"] == (["appeal"] if status["not_adopted"] else [])


def test_not_adopted_needs_another_supervisor_and_is_reported(district: District) -> None:
    # Given a bad review that its officer proposes not to adopt, as malicious, with evidence
    code = district.bad_review()
    proposed = district.acted(code, OFFICER, "propose_not_adopted", reason="malicious", text=EVIDENCE)
    assert (proposed["state"], proposed["proposed_by"]) == ("proposed_not_adopted", OFFICER.username)
    rating_key = (keys.rating_key(code), keys.RATING_SORT_KEY)
    assert district.item(*rating_key)["not_adopted"] == {"BOOL": False}  # type: ignore[index]
    # When a supervisor approves it
    approved = district.acted(code, SECOND_SUPERVISOR, "approve_not_adopted")
    # Then it is not adopted, and the rating is excluded from every score
    assert (approved["state"], approved["rating_void"]) == ("not_adopted", True)
    assert district.item(*rating_key)["not_adopted"] == {"BOOL": True}  # type: ignore[index]
    # And the decision is reported: one report item for the division, and one message on the report topic
    (report,) = district.stack.of_kind("report")
    assert report["pk"] == {"S": keys.report_key(DIVISION)}
    assert report["sk"]["S"].endswith(f"#{code}")
    assert (report["reason"], report["evidence"]) == ({"S": "malicious"}, {"S": EVIDENCE})
    assert (report["proposed_by"], report["approved_by"]) == (
        {"S": OFFICER.username},
        {"S": SECOND_SUPERVISOR.username},
    )
    (message,) = district.report_inbox.messages()
    assert message["message"] | {"decided_at": None} == {
        "type": "not_adopted",
        "tracking_code": code,
        "hall_code": HALL,
        "window_code": "640104-A017",
        "reason": "malicious",
        "proposed_by": OFFICER.username,
        "approved_by": SECOND_SUPERVISOR.username,
        "decided_at": None,
    }
    assert EVIDENCE not in message["raw"]
    # And the hall's supervisors read it in the reports; another hall's do not
    reports = body_of(district.staff(SUPERVISOR, "GET", "/staff/reports"))["reports"]
    assert [(r["tracking_code"], r["approved_by"]) for r in reports] == [(code, SECOND_SUPERVISOR.username)]
    assert body_of(district.staff(OTHER_HALL_SUPERVISOR, "GET", "/staff/reports")) == {"reports": []}
    # And the citizen's status says so
    assert body_of(district.status(code))["not_adopted"] is True


def test_an_upheld_appeal_restores_the_rating(district: District) -> None:
    # Given a bad review not adopted, its feedback given and the task closed
    code = district.bad_review()
    district.acted(code, OFFICER, "propose_not_adopted", reason="mistaken", text="监控显示未在本窗口办理")
    district.acted(code, SUPERVISOR, "approve_not_adopted")
    district.acted(code, OFFICER, "give_feedback", text="经核实为误评，不予采纳")
    district.acted(code, OFFICER, "close")
    status = body_of(district.status(code))
    assert (status["not_adopted"], status["citizen_actions"]) == (True, ["appeal"])
    assert status["appeal_deadline"] is not None
    # When the citizen appeals with the sample appeal, and the key from their receipt
    event = district.load_event("citizen_followup/post_appeal.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/ratings/{code}/appeal"
    event["pathParameters"] = {"tracking_code": code}
    event["body"] = json.dumps({**json.loads(event["body"]), "citizen_key": district.citizen_keys[code]})
    appealed = district.invoke("CitizenFollowupFunction", event)
    assert appealed["statusCode"] == 200, appealed["body"]
    assert body_of(appealed) == {"tracking_code": code, "state": "closed"}
    assert body_of(district.status(code))["appeal_open"] is True
    assert district.citizen(code, "appeal", {"text": "再申诉一次"})["statusCode"] == 409  # one open appeal at a time
    # And a supervisor who took no part in the decision upholds it (the approver may not)
    assert district.task(code, SUPERVISOR)["allowed_actions"] == []
    assert district.task(code, SECOND_SUPERVISOR)["allowed_actions"] == ["uphold_appeal", "dismiss_appeal"]
    upheld = district.acted(code, SECOND_SUPERVISOR, "uphold_appeal", text="受理回执属实")
    # Then the rating counts again and the bad review is worked anew
    assert (upheld["state"], upheld["rating_void"], upheld["appeal_open"]) == ("verifying", False, False)
    assert district.item(keys.rating_key(code), keys.RATING_SORT_KEY)["not_adopted"] == {"BOOL": False}  # type: ignore[index]
    status = body_of(district.status(code))
    assert (status["follow_up_status"], status["not_adopted"], status["citizen_actions"]) == ("verifying", False, [])


def test_a_dismissed_appeal_keeps_the_rating_excluded(district: District) -> None:
    code = district.bad_review()
    district.acted(code, OFFICER, "propose_not_adopted", reason="mistaken", text="监控显示未在本窗口办理")
    district.acted(code, SUPERVISOR, "approve_not_adopted")
    district.acted(code, OFFICER, "give_feedback", text="经核实为误评，不予采纳")
    assert district.citizen(code, "appeal", {"text": "我确实在该窗口办理过"})["statusCode"] == 200
    dismissed = district.acted(code, SECOND_SUPERVISOR, "dismiss_appeal", text="监控无该评价人办理记录，维持原决定")
    assert (dismissed["state"], dismissed["rating_void"], dismissed["appeal_open"]) == ("feedback_given", True, False)
    assert district.item(keys.rating_key(code), keys.RATING_SORT_KEY)["not_adopted"] == {"BOOL": True}  # type: ignore[index]
    assert body_of(district.status(code))["feedback"] == "监控无该评价人办理记录，维持原决定"


def test_an_appeal_of_a_rating_that_was_adopted_is_409_and_of_an_unknown_code_404(district: District) -> None:
    code = district.bad_review()
    district.acted(code, OFFICER, "resolve_on_spot", text="已解决")
    district.acted(code, OFFICER, "give_feedback", text="已解决")
    refused = district.citizen(code, "appeal", {"text": "x"})
    assert refused["statusCode"] == 409
    assert error_of(refused)["allowed"] == ["give_verdict"]
    assert district.citizen("22222222222Z", "appeal", {"text": "x"})["statusCode"] == 404
    assert district.citizen(code, "verdict", {"verdict": "very_good"})["statusCode"] == 422


# ---------------------------------------------------------------- moves that are refused


def test_a_move_of_another_role_is_403(district: District) -> None:
    # Given a bad review's task
    code = district.bad_review()
    # When a supervisor takes an officer's move
    refused = district.act(code, SUPERVISOR, "resolve_on_spot", text="已解决")
    # Then it is 403, naming the role the move needs
    assert refused["statusCode"] == 403
    assert error_of(refused)["code"] == "forbidden"
    assert "officer" in error_of(refused)["message"]
    # And an officer approving a proposal is 403 too
    district.acted(code, OFFICER, "propose_not_adopted", reason="mistaken", text=EVIDENCE)
    refused = district.act(code, OFFICER, "approve_not_adopted")
    assert refused["statusCode"] == 403
    assert "supervisor" in error_of(refused)["message"]
    assert district.task(code)["version"] == 2  # nothing moved


def test_a_task_of_another_hall_is_404(district: District) -> None:
    code = district.bad_review(real_name=True)
    for who in (OTHER_HALL_OFFICER, OTHER_HALL_SUPERVISOR, Person(OFFICER.username, ("officer",), division="640105")):
        shown = district.get(code, who)
        acted = district.act(code, who, "record_contact", version=1)
        for response in (shown, acted):
            assert response["statusCode"] == 404, who
            assert error_of(response)["code"] == "not_found"
            assert PHONE not in response["body"]
    assert district.task(code)["version"] == 1


def test_approving_ones_own_proposal_is_409_and_anothers_approval_200(district: District) -> None:
    # Given a proposal by someone who is officer and supervisor at once
    code = district.bad_review()
    district.acted(code, HEAD, "propose_not_adopted", reason="malicious", text=EVIDENCE)
    # When they approve it themselves
    refused = district.act(code, HEAD, "approve_not_adopted")
    # Then it is 409: a second person must approve; they may only reject it (or hand the task on)
    assert refused["statusCode"] == 409
    error = error_of(refused)
    assert "second person" in error["message"]
    assert error["allowed"] == ["reject_not_adopted", "assign"]
    assert district.report_inbox.messages() == []
    # And another supervisor's approval is 200
    assert district.acted(code, SUPERVISOR, "approve_not_adopted")["state"] == "not_adopted"


def test_closing_a_real_name_task_without_a_call_back_is_409(district: District) -> None:
    # Given a real-name bad review explained and answered, nobody having called the citizen
    code = district.bad_review(real_name=True)
    district.acted(code, OFFICER, "explain", text="系统由省级平台建设")
    district.acted(code, OFFICER, "give_feedback", text="已反映")
    # When an officer, then a supervisor, closes it
    for who in (OFFICER, SUPERVISOR):
        refused = district.act(code, who, "close")
        # Then it is 409, saying a call-back is missing and what may be done
        assert refused["statusCode"] == 409
        error = error_of(refused)
        assert "call-back after the fix" in error["message"]
        assert error["allowed"] == (["record_call_back", "record_call_back_attempt"] if who is OFFICER else ["assign"])
    # And after the recorded call-back it closes
    district.acted(code, OFFICER, "record_call_back", verdict="satisfied")
    assert district.acted(code, SUPERVISOR, "close")["state"] == "closed"


def test_a_move_on_a_stale_version_is_409(district: District) -> None:
    # Given an officer who loaded the task at version 1 twice, and recorded the contact in one window
    code = district.bad_review()
    district.acted(code, OFFICER, "record_contact")
    # When they act on what the other window shows
    refused = district.act(code, OFFICER, "resolve_on_spot", version=1, text="已解决")
    # Then it is 409 stale_version, and nothing changed
    assert refused["statusCode"] == 409
    assert error_of(refused)["code"] == "stale_version"
    task = district.task(code)
    assert (task["state"], task["version"], len(district.audit(code))) == ("verifying", 2, 2)
    # And a version that never was is stale too
    assert error_of(district.act(code, OFFICER, "resolve_on_spot", version=7, text="x"))["code"] == "stale_version"


@pytest.mark.parametrize(
    "who",
    [None, CLERK, Person("XQ1017", ("clerk",))],
    ids=["no-claims", "no-groups", "no-follow-up-group"],
)
def test_a_request_without_a_staff_identity_is_403(district: District, who: Person | None) -> None:
    code = district.bad_review(real_name=True)
    for response in (
        district.staff(who, "GET", "/staff/tasks"),
        district.staff(who, "GET", f"/staff/tasks/{code}"),
        district.act(code, who, "record_contact", version=1),  # type: ignore[arg-type]
        district.staff(who, "GET", "/staff/reports"),
    ):
        assert response["statusCode"] == 403, response["body"]
        assert error_of(response)["code"] == "forbidden"
        assert PHONE not in response["body"]
    assert district.task(code)["version"] == 1


def test_an_action_body_is_validated(district: District) -> None:
    code = district.bad_review()
    for body in (
        {"action": "teleport", "version": 1},
        {"action": "record_contact"},
        {"action": "record_contact", "version": 0},
        {"action": "record_contact", "version": 1, "extra": "x"},
        {"action": "explain", "version": 1, "text": "长" * 2001},
        # Not a reason the document names (mistaken, malicious)
        {"action": "propose_not_adopted", "version": 1, "reason": "dislike", "text": "证据"},
    ):
        response = district.staff(OFFICER, "POST", f"/staff/tasks/{code}/actions", body)
        assert response["statusCode"] == 422, body
    # Every input a move lacks is named in one refusal
    refused = district.act(code, OFFICER, "propose_not_adopted", text="  ")
    assert refused["statusCode"] == 422
    assert sorted(f["field"] for f in error_of(refused)["fields"]) == ["reason", "text"]


# ---------------------------------------------------------------- the evaluator's personal data


@pytest.fixture(params=["INFO", "DEBUG"])
def log_level(request: pytest.FixtureRequest) -> Iterator[str]:
    previous = logger.log_level
    logger.setLevel(request.param)
    yield request.param
    logger.setLevel(previous)


def test_the_evaluator_is_shown_only_to_the_halls_follow_up_staff(
    district: District, captured_output: Callable[[], str], log_level: str
) -> None:
    # Given a real-name bad review, worked to closed by its hall's officer
    code = district.bad_review(real_name=True)
    # When the hall's officer and supervisor open it
    for who in (OFFICER, SUPERVISOR):
        task = district.task(code, who)
        # Then they see the name and phone, to call the citizen back
        assert task["evaluator"] == {"name": NAME, "phone": PHONE}
    # And each of the officer's moves answers with the task as they see it, the evaluator included
    for action, fields in (
        ("record_contact", {}),
        ("explain", {"text": "已电话说明"}),
        ("give_feedback", {"text": "已电话答复"}),
        ("record_call_back", {"verdict": "satisfied"}),
        ("close", {}),
    ):
        assert district.acted(code, OFFICER, action, **fields)["evaluator"] == {"name": NAME, "phone": PHONE}
    # And nobody else sees them: not another hall, not the list, not the reports, not the citizen's pages
    elsewhere = district.get(code, OTHER_HALL_OFFICER)
    listed = district.staff(OFFICER, "GET", "/staff/tasks")
    reports = district.staff(SUPERVISOR, "GET", "/staff/reports")
    pages = [district.status(code), district.status(code, accept="text/html")]
    for response in (elsewhere, listed, reports, *pages):
        assert PHONE not in response["body"]
        assert NAME not in response["body"]
    assert elsewhere["statusCode"] == 404
    # Nor any notification
    for inbox in (district.officer_inbox, district.report_inbox):
        for message in inbox.messages():
            assert PHONE not in message["raw"] and NAME not in message["raw"]
    # Nor any log line, though the log says who saw them
    output = captured_output()
    assert PHONE not in output and NAME not in output
    shown = [json.loads(line) for line in output.splitlines() if '"evaluator shown"' in line]
    assert [(line["tracking_code"], line["actor"]) for line in shown] == [
        (code, OFFICER.username),
        (code, SUPERVISOR.username),
        *[(code, OFFICER.username)] * 5,  # the five moves' responses
    ]
    # Nor the table in plain text
    assert PHONE not in json.dumps(district.stack.items(), default=str)
    assert NAME not in json.dumps(district.stack.items(), default=str, ensure_ascii=False)


def test_an_action_response_shows_the_evaluator_to_the_halls_staff_and_logs_only_who_saw_it(
    district: District, log_records: Callable[[], list[dict[str, Any]]], captured_output: Callable[[], str]
) -> None:
    # Given a real-name bad review of the officer's hall
    code = district.bad_review(real_name=True)
    # When the hall's officer makes a move
    response = district.act(code, OFFICER, "record_contact")
    # Then the 200 response shows them the evaluator, as GET does
    assert response["statusCode"] == 200, response["body"]
    assert body_of(response)["evaluator"] == {"name": NAME, "phone": PHONE}
    # And the log says who saw it, like GET, by tracking code and actor only
    records = log_records()
    (acted,) = [r for r in records if r.get("message") == "task action"]
    (shown,) = [r for r in records if r.get("message") == "evaluator shown"]
    assert (shown["tracking_code"], shown["actor"]) == (code, OFFICER.username)
    assert set(shown) == set(acted) - {"action", "state"}
    # And no log line holds what they saw
    output = captured_output()
    assert PHONE not in output and NAME not in output


def test_the_rated_officer_never_sees_the_bad_review_of_themselves(district: District) -> None:
    # Given a real-name bad review of window D008, where officer XQ2002 was on duty
    code = district.bad_review(window="640104-D008", real_name=True)
    (task,) = district.tasks()
    assert [o["S"] for o in task["officers"]["L"]] == [OFFICERS[0]]  # not assigned to them
    # When XQ2002 opens it
    response = district.get(code, SECOND_OFFICER)
    # Then they must not see who rated them
    assert response["statusCode"] == 404
    assert PHONE not in response["body"]
    assert NAME not in response["body"]
    # Nor may they work it
    acted = district.act(code, SECOND_OFFICER, "record_contact")
    assert acted["statusCode"] == 404
    assert PHONE not in acted["body"] and NAME not in acted["body"]


# ---------------------------------------------------------------- retention of personal data


def evaluator_item(district: District, code: str) -> dict[str, Any] | None:
    return district.item(keys.rating_key(code), keys.EVALUATOR_SORT_KEY)


def close_real_name(district: District, code: str, now: datetime | None = None) -> None:
    """Work a real-name task to closed, the close at ``now`` (the real clock when None)."""
    for action, fields in (
        ("record_contact", {}),
        ("explain", {"text": "已说明"}),
        ("give_feedback", {"text": "已答复"}),
        ("record_call_back", {"verdict": "satisfied"}),
    ):
        district.acted(code, OFFICER, action, **fields)
    if now is None:
        district.acted(code, OFFICER, "close")
    else:
        actor = Actor(OFFICER.username, frozenset({Role.OFFICER}), HALL, DIVISION)
        version = district.task(code)["version"]
        followup.act(actor, code, Action.CLOSE, version, *wired(), now=now)


@pytest.fixture
def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every DynamoDB operation PynamoDB sends from now on, with its parameters."""
    calls: list[tuple[str, dict[str, Any]]] = []
    dispatch = Connection.dispatch

    def spy(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> dict[str, Any]:
        calls.append((operation_name, operation_kwargs))
        return dispatch(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", spy)
    return calls


def test_a_closed_tasks_personal_data_gets_its_removal_date(district: District) -> None:
    # Given a real-name bad review; its personal data has no removal date while the task is open
    code = district.bad_review(real_name=True)
    assert set(evaluator_item(district, code) or {}) == {"pk", "sk", "kind", "ciphertext"}
    # When the task closes
    before = utc_now()
    close_real_name(district, code)
    after = utc_now()
    # Then the evaluator item carries the PurgeDue keys and the TTL, a retention period later
    retention = timedelta(days=int(district.stack.environment["PERSONAL_DATA_RETENTION_DAYS"]))
    item = evaluator_item(district, code)
    assert item is not None
    assert item["kind"] == {"S": "evaluator"}
    assert item["purge_key"] == {"S": keys.PURGE_KEY}
    purge_at = datetime.fromisoformat(item["purge_at"]["S"])
    assert before + retention - timedelta(seconds=1) <= purge_at <= after + retention
    assert int(item["expires_at"]["N"]) == int(purge_at.timestamp())
    # And the rating and the task stay as they are
    assert district.item(keys.rating_key(code), keys.RATING_SORT_KEY) is not None
    assert district.task(code)["state"] == "closed"


def test_the_purge_removes_only_what_is_due_through_the_index(
    district: District, dynamodb_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    # Given three real-name bad reviews: one closed now, one closed in 30 days, one still open
    retention = timedelta(days=int(district.stack.environment["PERSONAL_DATA_RETENTION_DAYS"]))
    first, later, still_open = (district.bad_review(real_name=True) for _ in range(3))
    now = utc_now()
    close_real_name(district, first, now)
    close_real_name(district, later, now + timedelta(days=30))
    stores = wired()[0]
    # When the purge runs the day before the first is due, and the day after
    dynamodb_calls.clear()
    assert purge_personal_data(stores, now=now + retention - timedelta(days=1)) == 0
    assert all(evaluator_item(district, code) is not None for code in (first, later, still_open))
    assert purge_personal_data(stores, now=now + retention + timedelta(days=1)) == 1
    purge_calls = list(dynamodb_calls)
    # Then only the first one's personal data is gone; its rating and task stay
    assert evaluator_item(district, first) is None
    assert evaluator_item(district, later) is not None
    assert evaluator_item(district, still_open) is not None
    assert district.item(keys.rating_key(first), keys.RATING_SORT_KEY) is not None
    assert district.task(first)["evaluator"] is None
    # And it read through the PurgeDue index, never scanning the table
    operations = [name for name, _ in purge_calls]
    assert "Scan" not in operations
    queries = [kwargs for name, kwargs in purge_calls if name == "Query"]
    assert queries and all(q.get("IndexName") == "PurgeDue" for q in queries)
    assert operations.count("DeleteItem") == 1
    # And once the later one is due too, it goes as well
    assert purge_personal_data(stores, now=now + timedelta(days=30) + retention) == 1
    assert evaluator_item(district, later) is None
    assert evaluator_item(district, still_open) is not None


def test_the_purge_function_removes_what_is_due_by_the_real_clock(district: District) -> None:
    # Given one real-name task closed just now, and one closed longer ago than the retention period
    retention = timedelta(days=int(district.stack.environment["PERSONAL_DATA_RETENTION_DAYS"]))
    recent, old = district.bad_review(real_name=True), district.bad_review(real_name=True)
    close_real_name(district, recent)
    close_real_name(district, old, utc_now() - retention - timedelta(days=1))
    # When the daily schedule runs the function
    response = district.invoke("PurgePersonalDataFunction", district.load_event("purge_personal_data/daily.json"))
    # Then it removed the old one only, and says how many
    assert response == {"removed": 1}
    assert evaluator_item(district, old) is None
    assert evaluator_item(district, recent) is not None


def test_an_upheld_appeal_removes_the_personal_datas_removal_date(district: District) -> None:
    code = district.bad_review(real_name=True)
    district.acted(code, OFFICER, "record_contact")
    district.acted(code, OFFICER, "propose_not_adopted", reason="mistaken", text="监控显示未在本窗口办理")
    district.acted(code, SUPERVISOR, "approve_not_adopted")
    district.acted(code, OFFICER, "give_feedback", text="经核实为误评，不予采纳")
    district.acted(code, OFFICER, "record_call_back", verdict="basically_satisfied")
    district.acted(code, OFFICER, "close")
    assert "purge_key" in (evaluator_item(district, code) or {})
    assert district.citizen(code, "appeal", {"text": "我确实在该窗口办理过"})["statusCode"] == 200
    assert district.acted(code, SECOND_SUPERVISOR, "uphold_appeal")["state"] == "verifying"
    # the task is open again: its personal data must not be due for removal
    assert "purge_key" not in (evaluator_item(district, code) or {})
    item = evaluator_item(district, code)
    assert item is not None  # still there, encrypted, for the call-back
    assert set(item) == {"pk", "sk", "kind", "ciphertext"}


def test_deadlines_count_from_the_bad_review_not_the_handling_of_its_message(district: District) -> None:
    # Given a bad review on Fri 2026-02-13 whose message is handled only on Tue 02-24 (e.g. redriven)
    rated_at = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)
    submission = RatingSubmission(
        window_code="640104-A017",
        sig=plate_signature("640104-A017", district.stack.signing_secret),
        level=2,
        submission_id="late-message-0001",
        channel="window_device",  # the window's pad: no form's cookie to carry
    )
    rating, _ = ratings.submit_rating(submission, *wired(), None, now=rated_at)
    followup.open_followup(rating.tracking_code, *wired(), now=datetime(2026, 2, 24, 2, 0, tzinfo=UTC))
    # Then it is still due five working days after the bad review: Fri 02-27 (DOMAIN.md's example)
    task = district.task(rating.tracking_code)
    assert datetime.fromisoformat(task["rectification_due"]) == datetime(2026, 2, 27, 16, 0, tzinfo=UTC)


def test_a_good_review_with_a_call_back_request_is_422_and_keeps_no_personal_data(district: District) -> None:
    # Given a good review whose citizen leaves a name and phone for a call-back
    event = district.load_event("submit_rating/post_rating.json")
    event["headers"].pop("content-length", None)
    event["body"] = json.dumps(
        {
            "window_code": "640104-A017",
            "sig": plate_signature("640104-A017", district.stack.signing_secret),
            "level": 5,
            "submission_id": "good-review-call-back-0001",
            "tags": [],
            "channel": "window_device",
            "evaluator": EVALUATOR,
        },
        ensure_ascii=False,
    )
    # When it is submitted
    response = district.invoke("SubmitRatingFunction", event)
    # Then it is 422 naming the evaluator, without echoing it, and nothing is stored
    assert response["statusCode"] == 422, response["body"]
    assert [f["field"] for f in error_of(response)["fields"]] == ["evaluator"]
    assert PHONE not in response["body"] and NAME not in response["body"]
    assert district.stack.of_kind("rating") == []
    assert district.stack.of_kind("evaluator") == []
    assert PHONE not in json.dumps(district.stack.items(), default=str)
    assert NAME not in json.dumps(district.stack.items(), default=str, ensure_ascii=False)
