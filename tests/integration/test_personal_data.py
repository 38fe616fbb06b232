"""An evaluator's name and mobile number, given for a call-back, exist only as KMS ciphertext;
the citizen's key 评价人密钥 reaches the citizen alone.

Against the running twin: a real-name bad review is posted as JSON and through the form a QR
plate opens, a refused (422) attempt carries the number in a bad field, and every page and
status a citizen would then open is fetched. After the stream consumer has seen the ratings
and their follow-up tasks are open, the name and number are in no response (body or header),
no log line of any function and no item of any table; each rating carries the evaluator as
ciphertext (in the evaluator item kept beside the rating, under its key) that opens with the
stack's key, bound to its tracking code.

Then staff work both tasks (the hall's list, each task, the reports) and each citizen, from the
link their receipt gave, rates the fix (one as JSON after a wrong key, one with the page's form).
The citizen's key is in no log line of any function, no notice on any of the stack's topics, no
staff response and no item of any table.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qs, quote, quote_plus, urlencode, urlparse
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest
from haochaping.adapters import keys
from localtwin.twin import LocalTwin

from tests.integration.conftest import (
    DEMO_PASSWORD,
    admin,
    demo_staff,
    device_cookie,
    staff_sign_in,
    wait_for,
)

pytestmark = pytest.mark.integration

NAME = "测试回访人"
PHONE = "13987654321"
JSON_WINDOW = "YC01-A001"
FORM_WINDOW = "YC01-A002"
BAD_REVIEW_TAG = "101"
COMMENT = "窗口让我回家等电话，一直没有消息。"


def spellings(secret: str) -> set[str]:
    """The ways a value may be written out: as is, JSON-escaped, URL-encoded."""
    return {secret, json.dumps(secret)[1:-1], quote(secret), quote_plus(secret)}


SECRETS = {"name": spellings(NAME), "phone": spellings(PHONE)}


@dataclass
class Exchange:
    method: str
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


@dataclass
class Visit:
    """Everything received while rating with a call-back, and the tracking codes of the ratings;
    then what staff received while working the tasks, and the notices the stack sent."""

    exchanges: list[Exchange] = field(default_factory=list)
    tracking_codes: dict[str, str] = field(default_factory=dict)
    citizen_keys: dict[str, str] = field(default_factory=dict)  # by channel, as the receipts gave them
    staff_exchanges: list[Exchange] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # every message on the stack's topics, as sent


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 303 is answered to the test, as to a browser's network log


_opener = build_opener(_NoRedirect)


def exchange(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Exchange:
    """One request, with every header of its answer (Set-Cookie included)."""
    request = Request(url, data=body, method=method, headers=headers or {})
    try:
        with _opener.open(request, timeout=30) as response:
            return Exchange(method, url, response.status, list(response.headers.items()), response.read())
    except HTTPError as error:
        return Exchange(method, url, error.code, list(error.headers.items()), error.read())


def fetch(visit: Visit, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None):
    """One request of the citizen's, recorded."""
    answer = exchange(method, url, body, headers)
    visit.exchanges.append(answer)
    return answer


class Inboxes:
    """An SQS queue subscribed to each of the stack's topics in the twin: every notice, as sent."""

    TOPICS = ("OFFICER_TOPIC_ARN", "ESCALATION_TOPIC_ARN", "REPORT_TOPIC_ARN")

    def __init__(self, twin: LocalTwin) -> None:
        self.sqs = twin.client("sqs")
        self.urls = []
        environment = twin.function_environment("EscalateFunction")
        for variable in self.TOPICS:
            url = self.sqs.create_queue(QueueName=f"personal-data-{variable.lower().replace('_', '-')}")["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            twin.client("sns").subscribe(TopicArn=environment[variable], Protocol="sqs", Endpoint=arn)
            self.urls.append(url)

    def read(self) -> list[str]:
        bodies = []
        for url in self.urls:
            while batch := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                for message in batch:
                    bodies.append(message["Body"])
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bodies


@pytest.fixture(scope="module")
def visit(district_twin: LocalTwin, plate_sig: Any) -> Iterator[Visit]:
    """A citizen rates two windows badly asking for a call-back, once refused, and looks at the results."""
    base = district_twin.url
    visit = Visit()
    inboxes = Inboxes(district_twin)
    json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
    evaluator = {"name": NAME, "phone": PHONE, "consent": True}

    # A real-name bad review as JSON (the window device, a mini program) …
    sig = plate_sig(JSON_WINDOW)
    rating = {
        "window_code": JSON_WINDOW,
        "sig": sig,
        "level": 1,
        "tags": [BAD_REVIEW_TAG],
        "comment": COMMENT,
        "evaluator": evaluator,
        "submission_id": uuid.uuid4().hex,
    }
    # (the phone opened the plate's form first, and holds its device cookie)
    json_headers["Cookie"] = device_cookie(district_twin, JSON_WINDOW, sig)
    posted = fetch(visit, "POST", f"{base}/ratings", json.dumps(rating, ensure_ascii=False).encode(), json_headers)
    assert posted.status == 201, posted.text
    visit.tracking_codes["json"] = json.loads(posted.body)["tracking_code"]
    visit.citizen_keys["json"] = json.loads(posted.body)["citizen_key"]
    # … and refused: the number where a case number goes, and a call-back without consent.
    for refused in (
        {**rating, "case_no": f"{PHONE} {NAME}", "submission_id": uuid.uuid4().hex},
        {**rating, "evaluator": {**evaluator, "consent": False}, "submission_id": uuid.uuid4().hex},
    ):
        answer = fetch(visit, "POST", f"{base}/ratings", json.dumps(refused, ensure_ascii=False).encode(), json_headers)
        assert answer.status == 422, answer.text

    # The same through the form the QR plate opens, as a browser sends it.
    form_sig = plate_sig(FORM_WINDOW)
    form_url = f"{base}/r/{FORM_WINDOW}?{urlencode({'sig': form_sig, 'lang': 'zh', 'level': 1})}"
    page = fetch(visit, "GET", form_url, headers={"Accept": "text/html"})
    assert page.status == 200, page.text
    submission_id = re.search(r'name="submission_id" value="([^"]+)"', page.text)
    cookie = page.header("Set-Cookie")
    assert submission_id and cookie
    browser = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "text/html",
        "Cookie": cookie.split(";", 1)[0],
        "Referer": form_url,
    }
    form = {
        "window_code": FORM_WINDOW,
        "sig": form_sig,
        "submission_id": submission_id.group(1),
        "lang": "zh",
        "level": "1",
        "tags": BAD_REVIEW_TAG,
        "comment": COMMENT,
        "evaluator_name": NAME,
        "evaluator_phone": PHONE,
    }
    # First without the consent box ticked: a 422 page …
    refused_form = fetch(visit, "POST", f"{base}/ratings", urlencode(form).encode(), browser)
    assert refused_form.status == 422, refused_form.text
    # … then with it: a 303 to the receipt page.
    sent_form = fetch(
        visit, "POST", f"{base}/ratings", urlencode({**form, "evaluator_consent": "true"}).encode(), browser
    )
    assert sent_form.status == 303, sent_form.text
    location = sent_form.header("Location")
    assert location and location.startswith("/ratings/")
    visit.tracking_codes["form"] = location.split("/")[2].split("?")[0]
    visit.citizen_keys["form"] = parse_qs(urlparse(location).query)["key"][0]

    # The citizen looks at each rating: the receipt page, and its status as JSON.
    for code in visit.tracking_codes.values():
        receipt = fetch(visit, "GET", f"{base}/ratings/{code}?lang=zh", headers={"Accept": "text/html"})
        status = fetch(visit, "GET", f"{base}/ratings/{code}?format=json")
        assert (receipt.status, status.status) == (200, 200), (receipt.text, status.text)
        assert json.loads(status.body)["bad_review"] is True
    fetch(visit, "GET", f"{base}{location}", headers={"Accept": "text/html"})
    # Last, a retrying phone sends the JSON rating again (see deliver_to_the_stream_consumer).
    again = fetch(visit, "POST", f"{base}/ratings", json.dumps(rating).encode(), json_headers)
    assert again.status == 200, again.text

    deliver_to_the_stream_consumer(district_twin, visit)
    wait_for_the_follow_up_tasks(district_twin, visit)
    staff_work_the_tasks(district_twin, visit)
    citizens_rate_the_fix(district_twin, visit, location)
    visit.notices = inboxes.read()
    yield visit


def staff_work_the_tasks(district_twin: LocalTwin, visit: Visit) -> None:
    """An officer of the hall lists the tasks, opens each, resolves it and replies; the supervisor
    reads the reports. Every answer is recorded as a staff response."""
    admin(district_twin, "staff", "users", "--password", DEMO_PASSWORD)
    officer = staff_sign_in(district_twin, demo_staff("officer")[0])
    supervisor = staff_sign_in(district_twin, demo_staff("supervisor")[0])
    base = district_twin.url

    def as_staff(token: str, method: str, path: str, body: dict[str, Any] | None = None) -> Exchange:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        answer = exchange(method, f"{base}{path}", json.dumps(body).encode() if body else None, headers)
        visit.staff_exchanges.append(answer)
        return answer

    listed = as_staff(officer, "GET", "/staff/tasks")
    assert all(code in listed.text for code in visit.tracking_codes.values())
    for code in visit.tracking_codes.values():
        assert as_staff(officer, "GET", f"/staff/tasks/{code}").status == 200
        for action, text in (("resolve_on_spot", "当场补办"), ("give_feedback", "已当场解决，请评价")):
            version = json.loads(as_staff(officer, "GET", f"/staff/tasks/{code}").body)["version"]
            moved = as_staff(
                officer, "POST", f"/staff/tasks/{code}/actions", {"action": action, "version": version, "text": text}
            )
            assert moved.status == 200, moved.text
        as_staff(officer, "GET", f"/staff/tasks/{code}")
    as_staff(supervisor, "GET", "/staff/reports")


def citizens_rate_the_fix(district_twin: LocalTwin, visit: Visit, form_location: str) -> None:
    """Each citizen acts from what their receipt gave: the JSON one sends a wrong key first, then its
    own; the form one opens the receipt page's link and sends the verdict form on it."""
    base = district_twin.url
    code, key = visit.tracking_codes["json"], visit.citizen_keys["json"]
    json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
    wrong = fetch(
        visit,
        "POST",
        f"{base}/ratings/{code}/verdict",
        json.dumps({"verdict": "satisfied", "citizen_key": key[::-1]}).encode(),
        json_headers,
    )
    assert wrong.status == 403, wrong.text
    given = fetch(
        visit,
        "POST",
        f"{base}/ratings/{code}/verdict",
        json.dumps({"verdict": "satisfied", "citizen_key": key}).encode(),
        json_headers,
    )
    assert given.status == 200, given.text
    page = fetch(visit, "GET", f"{base}{form_location}", headers={"Accept": "text/html"})
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    assert hidden.get("citizen_key") == visit.citizen_keys["form"], "the receipt page's form carries the key"
    sent = fetch(
        visit,
        "POST",
        f"{base}/ratings/{visit.tracking_codes['form']}/verdict",
        urlencode({**hidden, "verdict": "basically_satisfied"}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert sent.status == 303, sent.text


FOLLOW_UP_FUNCTION = "OpenFollowupFunction"


def wait_for_the_follow_up_tasks(district_twin: LocalTwin, visit: Visit) -> None:
    """Each bad review goes on (through a queue) to open its follow-up task; wait for both, so
    the task items, and the log lines of the function that writes them, are checked too."""
    assert district_twin.template is not None
    if FOLLOW_UP_FUNCTION not in district_twin.template.functions:
        return

    def opened() -> bool:
        lines = [line for line in district_twin.logs(FOLLOW_UP_FUNCTION) if "follow-up task" in line]
        return all(any(code in line for line in lines) for code in visit.tracking_codes.values())

    wait_for(opened, timeout=5.0)


def _seen_by_the_stream_consumer(district_twin: LocalTwin, codes: list[str]) -> bool:
    lines = [line for line in district_twin.logs("ScoreRatingsFunction") if "rating seen" in line]
    return all(any(code in line for line in lines) for code in codes)


def deliver_to_the_stream_consumer(district_twin: LocalTwin, visit: Visit, wait: float = 1.5) -> None:
    """Let the stream consumer handle the ratings (so its log lines are checked too).

    The twin's stream poller normally delivers them within ~1 s. But a failed transaction
    (a resubmission, a cool-down, a case conflict; other tests make them too) makes moto swap
    the table for a deep copy, and the poller's shard iterator keeps reading the old copy's
    stream: later records are never delivered. Then the records are read afresh from the
    stream and handed to the consumer as Lambda would, and a warning says so.
    """
    codes = list(visit.tracking_codes.values())
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if _seen_by_the_stream_consumer(district_twin, codes):
            return
        time.sleep(0.05)
    warnings.warn(
        "the twin's stream poller did not deliver the ratings (stale shard iterator after a failed "
        "transaction); delivering the stream records to ScoreRatingsFunction directly",
        stacklevel=1,
    )
    table = district_twin.function_environment("SubmitRatingFunction")["RATINGS_TABLE"]
    stream_arn = district_twin.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    streams = district_twin.client("dynamodbstreams")
    delivered = 0
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = []
        while iterator:
            response = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += response["Records"]
            iterator = response.get("NextShardIterator") if response["Records"] else None
        ours = [record for record in records if any(code in json.dumps(record, default=str) for code in codes)]
        if not ours:
            continue
        delivered += len(ours)
        # As the mapping's tumbling window delivers them: one shard's records, the shard named.
        event = {
            "Records": [_as_lambda_record(record, stream_arn) for record in ours],
            "shardId": shard["ShardId"],
            "eventSourceARN": stream_arn,
            "state": {},
            "isFinalInvokeForWindow": False,
        }
        result = district_twin.invoke("ScoreRatingsFunction", event)
        assert result == {"state": {}, "batchItemFailures": []}, result
    assert delivered, "the ratings are not in the table's stream"
    wait_for(lambda: _seen_by_the_stream_consumer(district_twin, codes), timeout=2.0)


def _as_lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A stream record as Lambda passes it: binary values in base64, times as epoch seconds."""

    def encode(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return base64.b64encode(value).decode("ascii")
        if isinstance(value, datetime):
            return int(value.timestamp())
        raise TypeError(type(value).__name__)

    return {**json.loads(json.dumps(record, default=encode)), "eventSourceARN": stream_arn, "awsRegion": "us-east-1"}


def leaks(text: str) -> list[str]:
    return sorted(kind for kind, spelled in SECRETS.items() if any(s in text for s in spelled))


def test_no_response_carries_the_name_or_the_number(visit: Visit) -> None:
    assert len(visit.exchanges) >= 11
    for exchange in visit.exchanges:
        headers = "\n".join(f"{key}: {value}" for key, value in exchange.headers)
        assert leaks(exchange.text) == [], f"{exchange.method} {exchange.url} → {exchange.status} body"
        assert leaks(headers) == [], f"{exchange.method} {exchange.url} → {exchange.status} headers"


def test_no_log_line_of_any_function_carries_the_name_or_the_number(visit: Visit, district_twin: LocalTwin) -> None:
    lines = district_twin.logs()
    # The functions did log these requests …
    for code in visit.tracking_codes.values():
        assert any("rating recorded" in line and code in line for line in lines)
        assert any("rating seen" in line and code in line for line in lines)
    # … and not the name or the number, in any line of any function.
    leaking = [line for line in lines if leaks(line)]
    assert leaking == [], leaking[:3]


def _tables(district_twin: LocalTwin) -> list[str]:
    client = district_twin.client("dynamodb")
    return [name for page in client.get_paginator("list_tables").paginate() for name in page["TableNames"]]


def _items(district_twin: LocalTwin, table: str) -> list[dict[str, Any]]:
    client = district_twin.client("dynamodb")
    pages = client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]


def _binary_values(value: Any) -> Iterator[bytes]:
    if isinstance(value, bytes | bytearray):
        yield bytes(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _binary_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _binary_values(item)


def test_no_item_of_any_table_holds_the_name_or_the_number_in_plain_text(
    visit: Visit, district_twin: LocalTwin
) -> None:
    tables = _tables(district_twin)
    ratings_table = district_twin.function_environment("SubmitRatingFunction")["RATINGS_TABLE"]
    assert ratings_table in tables
    plain = [NAME.encode("utf-8"), PHONE.encode("ascii"), NAME.encode("utf-16-le"), PHONE.encode("utf-16-le")]
    for table in tables:
        for item in _items(district_twin, table):
            as_text = json.dumps(item, default=repr, ensure_ascii=False)
            assert leaks(as_text) == [], f"{table}: {item.get('pk')}"
            for blob in _binary_values(item):
                assert not any(p in blob for p in plain), f"{table}: {item.get('pk')} holds it in a binary value"


def test_each_rating_holds_the_evaluator_as_ciphertext_bound_to_its_tracking_code(
    visit: Visit, district_twin: LocalTwin
) -> None:
    ratings_table = district_twin.function_environment("SubmitRatingFunction")["RATINGS_TABLE"]
    client = district_twin.client("dynamodb")
    kms = district_twin.client("kms")
    for channel, code in visit.tracking_codes.items():
        # The rating's items: the rating, and the evaluator's item kept beside it under its key
        # (so it can be purged after the retention period while the rating stays).
        items = {
            item["sk"]["S"]: item
            for item in client.query(
                TableName=ratings_table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": keys.rating_key(code)}},
                ConsistentRead=True,
            )["Items"]
        }
        rating = items[keys.RATING_SORT_KEY]
        assert rating["real_name"] == {"BOOL": True}, channel
        assert rating["level"] == {"N": "1"} and rating["bad_review"] == {"BOOL": True}
        ciphertexts = [
            value["B"]
            for item in items.values()
            for name, value in item.items()
            if name.endswith("ciphertext") and "B" in value
        ]
        assert len(ciphertexts) == 1, f"{channel}: one evaluator ciphertext, not {sorted(items)}"
        (ciphertext,) = ciphertexts
        assert len(ciphertext) > len(NAME.encode()) + len(PHONE)
        # It opens with the stack's key only together with its own tracking code.
        opened = kms.decrypt(CiphertextBlob=ciphertext, EncryptionContext={"tracking_code": code})
        assert json.loads(opened["Plaintext"]) == {"name": NAME, "phone": PHONE}
        other = next(other for other in visit.tracking_codes.values() if other != code)
        with pytest.raises(kms.exceptions.InvalidCiphertextException):
            kms.decrypt(CiphertextBlob=ciphertext, EncryptionContext={"tracking_code": other})


def key_spellings(visit: Visit) -> dict[str, set[str]]:
    return {f"citizen key ({channel})": spellings(key) for channel, key in visit.citizen_keys.items()}


def keys_in(text: str, visit: Visit) -> list[str]:
    return sorted(name for name, spelled in key_spellings(visit).items() if any(s in text for s in spelled))


def test_the_citizens_key_is_in_no_log_line_notice_staff_response_or_item(
    visit: Visit, district_twin: LocalTwin
) -> None:
    # The citizen acted with it (a verdict each), and staff did read and work both tasks …
    lines = district_twin.logs()
    assert sum("citizen verdict" in line for line in lines) >= 2
    assert len(visit.staff_exchanges) >= 9 and visit.notices
    assert all(any(code in n for n in visit.notices) for code in visit.tracking_codes.values())
    # … and the key is in no log line of any function,
    leaking = [line for line in lines if keys_in(line, visit)]
    assert leaking == [], leaking[:3]
    # no notice on the stack's topics,
    assert [n for n in visit.notices if keys_in(n, visit)] == []
    # no staff response (body or header),
    for exchange in visit.staff_exchanges:
        headers = "\n".join(f"{key}: {value}" for key, value in exchange.headers)
        assert keys_in(exchange.text + headers, visit) == [], f"{exchange.method} {exchange.url}"
    # and no item of any table.
    for table in _tables(district_twin):
        for item in _items(district_twin, table):
            assert keys_in(json.dumps(item, default=repr), visit) == [], f"{table}: {item.get('pk')}"
