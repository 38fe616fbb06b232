"""POST /ratings never answers 5xx, whatever arrives: properties checked with hypothesis.

Four kinds of input reach SubmitRatingFunction in-process against the moto stack: (a) any
JSON value as the body, (b) bodies that mostly look like a submission but with wild fields,
(c) arbitrary bytes under the three content types a browser or program sends, (d) form bodies
built from arbitrary key/value lists. Every answer must be a status the route documents, each
error must be the one JSON error shape (or a page, for a form post), and a 422 never echoes a
submitted value (a distinctive marker, and a mobile number, are planted in the wild values).

No input is set aside: the bugs these properties found are fixed, and each has a regression
test at the end. Should a new one be found while it is open, record it as a strict xfail and set
aside only the inputs that reach it (an ``assume`` in the properties), until it is fixed.
"""

from __future__ import annotations

import base64
import json
import string
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from haochaping.api.openapi import ALL_ROUTERS
from haochaping.domain.plates import issue_device_token, issue_ticket, plate_signature
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from tests.functional.conftest import function_module

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

FUNCTION = "SubmitRatingFunction"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
TEXT = "text/plain"

# Windows of the functional registry: with a clerk on duty, plain, one item only, out of service.
WINDOWS = ("640104-A017", "640104-B003", "640104-C021", "640104-Z099")
PHONE = "13812345678"  # a made-up mobile number
MARKER = "ZqX标记⁂9w"  # distinctive: no route, page or message contains it
TAGS = {1: ["101", "102"], 2: ["201", "202", "203"], 3: ["301"], 4: ["401"], 5: ["501", "502"]}
ALLOWED = {200, 201, 202, 303, 400, 403, 404, 409, 413, 415, 422, 429}

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no .hypothesis directory in the project
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

Invoke = Callable[[str, dict[str, Any]], Any]
LoadEvent = Callable[[str], dict[str, Any]]


# -- sending ------------------------------------------------------------------------------------


class Sent:
    """One request as sent and the function's answer."""

    def __init__(self, content_type: str, response: dict[str, Any]) -> None:
        self.content_type = content_type
        self.response = response

    @property
    def status(self) -> int:
        return int(self.response["statusCode"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in (self.response.get("headers") or {}).items()}

    @property
    def body(self) -> str:
        body = self.response.get("body") or ""
        if self.response.get("isBase64Encoded"):
            return base64.b64decode(body).decode("utf-8", "replace")
        return body


@pytest.fixture
def send(stack: Any, invoke: Invoke, load_event: LoadEvent) -> Callable[..., Sent]:
    """POST /ratings with these bytes, the way API Gateway's HTTP API hands a body over.

    Text bodies (JSON, text/plain) arrive as a string (invalid UTF-8 replaced, as the twin's
    gateway does); a form post arrives base64-encoded, like the form sample. ``base64_encoded``
    forces either.
    """

    def post(raw: bytes, content_type: str, base64_encoded: bool | None = None) -> Sent:
        event = load_event("submit_rating/post_rating.json")
        event["headers"].pop("content-length", None)
        event["headers"]["content-type"] = content_type
        # A phone that opened the plate's form: a new one each time, so no cool-down is in the way.
        event["cookies"] = [f"hcp_device={issue_device_token(uuid.uuid4().hex, stack.signing_secret)}"]
        encoded = content_type.startswith(FORM) if base64_encoded is None else base64_encoded
        if encoded:
            event["body"] = base64.b64encode(raw).decode("ascii")
            event["isBase64Encoded"] = True
        else:
            event["body"] = raw.decode("utf-8", "replace")
            event["isBase64Encoded"] = False
        return Sent(content_type, invoke(FUNCTION, event))

    return post


@pytest.fixture
def count_ratings(stack: Any) -> Callable[[], int]:
    """How many rating items the Ratings table holds (one client, so each count is quick)."""
    client = boto3.client("dynamodb")

    def count() -> int:
        pages = client.get_paginator("scan").paginate(
            TableName=stack.ratings_table,
            ConsistentRead=True,
            Select="COUNT",
            FilterExpression="kind = :rating",
            ExpressionAttributeValues={":rating": {"S": "rating"}},
        )
        return sum(page["Count"] for page in pages)

    return count


@dataclass(frozen=True)
class Plates:
    """The stack's signing secret and the QR plate signature of each window."""

    secret: bytes
    signatures: dict[str, str]


@pytest.fixture
def plates(stack: Any) -> Plates:
    secret = stack.signing_secret
    return Plates(secret, {window: plate_signature(window, secret) for window in WINDOWS})


# -- what every answer must be ------------------------------------------------------------------


def check_answer(sent: Sent, form_post: bool = False) -> None:
    """The properties every answer to POST /ratings has, whatever was sent."""
    if currently_in_test_context():
        event(f"status {sent.status}")  # see --hypothesis-show-statistics
    assert sent.status in ALLOWED, f"{sent.status}: {sent.body[:500]}"
    content_type = sent.headers.get("content-type", "")
    if sent.status == 303:
        assert form_post, "only a form post is answered with a redirect"
        assert sent.headers["location"].startswith("/ratings/")
    elif sent.status in (200, 201, 202):
        assert content_type == JSON
        receipt = json.loads(sent.body)
        assert set(receipt) >= {"tracking_code", "level", "window_code", "rated_at", "follow_up_rating"}
        assert receipt["held_for_review"] is (sent.status == 202) or sent.status == 200
    elif content_type.startswith("text/html"):
        assert form_post, f"a page answered a {sent.content_type} post"
        assert sent.body.lstrip().lower().startswith("<!doctype html")
    else:
        assert content_type == JSON, f"{sent.status} answered with {content_type!r}"
        document = json.loads(sent.body)
        assert set(document) == {"error"}
        error = document["error"]
        assert {"status", "code", "message"} <= set(error)
        assert error["status"] == sent.status
        assert isinstance(error["code"], str) and error["code"]
        assert isinstance(error["message"], str) and error["message"]
        assert set(error) <= {"status", "code", "message", "fields"}
        for problem in error.get("fields", []):
            assert set(problem) == {"field", "problem"}
    if sent.status == 429:
        assert int(sent.headers["retry-after"]) > 0
    if sent.status == 422:
        # The submitted value is never echoed: it may be a phone number.
        assert MARKER not in sent.body
        assert PHONE not in sent.body


# -- strategies ---------------------------------------------------------------------------------

planted = st.sampled_from([MARKER, PHONE, f"请回电 {PHONE}", f"{MARKER}{PHONE}"])
texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["\ud800", "a\udfffb"]),  # lone surrogates: only a JSON escape can carry them
    planted,
    st.builds(lambda before, mark, after: before + mark + after, st.text(max_size=10), planted, st.text(max_size=10)),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(texts, children, max_size=5),
    max_leaves=25,
)

# JSON texts no serialiser writes: long numbers, deep nesting (shallower than the known bug),
# the non-standard constants Python's json accepts, a BOM, duplicate keys, trailing bytes.
json_texts = st.one_of(
    st.integers(1, 6000).map(lambda digits: '{"level": ' + "9" * digits + "}"),
    st.integers(1, 500).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(1, 500).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    st.sampled_from(
        [
            '{"level": NaN}',
            '{"level": Infinity}',
            '{"level": -Infinity}',
            '{"level": 1e999}',
            '{"level": 5.0}',
            '{"level": -0}',
            "\ufeff{}",
            '{"level": 1}garbage',
            '{"level": 1, "level": 9}',
            '{"window_code": "\\u0000"}',
            "",
            " ",
            "null",
            '"',
            "[]",
        ]
    ),
)

FIELDS = (
    "window_code",
    "sig",
    "ticket",
    "level",
    "tags",
    "comment",
    "channel",
    "evaluator",
    "case_no",
    "item_code",
    "submission_id",
)

hostile_text = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "'; DROP TABLE ratings; --",
        '" OR 1=1 --',
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "{{7*7}}",
        "${jndi:ldap://x}",
        "../../etc/passwd",
        "%00%ff",
        "\u202e\u200b\ufeff",
        "𝕳𝖆𝖔 🚀 好差评",
        "null",
        "NaN",
        PHONE,
        MARKER,
    ]
)
long_text = st.builds(lambda n, fill: (fill * n)[:n], st.integers(0, 20_000), st.sampled_from(["a", "好", MARKER]))
wild = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([-1, 0, 6, 2**31, 2**63, -(2**63), 10**30, -(10**30)]),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
    hostile_text,
    long_text,
    st.lists(st.one_of(texts, st.integers(), hostile_text), max_size=12),
    st.dictionaries(st.sampled_from(["name", "phone", "consent", MARKER, "x"]), json_scalars, max_size=4),
    # well-formed, but against a rule: another level's tags, a staff channel, no consent …
    st.lists(st.sampled_from(["101", "201", "301", "401", "501", "999", "1٠1"]), max_size=3),
    st.sampled_from(["web", "app", "hotline", "QR", "ITEM-0002", "640104-X404"]),
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["张三", " ", MARKER, "x" * 41]),
            "phone": st.sampled_from([PHONE, "12345678901", "1381234567", f"+86{PHONE}"]),
            "consent": st.sampled_from([True, False, "yes", 1, None]),
        }
    ),
)
# ASCII wild values for sig and ticket: a non-ASCII one is a known bug (see below).
ascii_wild = st.one_of(
    st.text(alphabet=string.printable, max_size=80),
    st.sampled_from(["", " ", "AAAAAAAAAAAAAAAA", "x" * 64, "x" * 65, "a.b", "..", "|||"]),
    st.none(),
    st.integers(),
    st.lists(st.text(alphabet=string.ascii_letters, max_size=5), max_size=3),
)


def valid_values(plates: Plates) -> dict[str, st.SearchStrategy[Any]]:
    window = st.sampled_from(WINDOWS)

    def ticket(window: str, number: str, minutes_ago: int) -> str:
        return issue_ticket(window, number, datetime.now(UTC) - timedelta(minutes=minutes_ago), plates.secret)

    return {
        "window_code": window,
        "sig": window.map(plates.signatures.__getitem__),
        "ticket": st.builds(
            ticket,
            window,
            st.sampled_from(["A001", "B023"]),
            st.integers(-10, 60 * 48),
        ),
        "level": st.integers(1, 5),
        "tags": st.just([]),  # replaced by tags of the drawn level
        "comment": st.one_of(st.text(max_size=60), planted),
        "channel": st.sampled_from(["qr", "window_device", "kiosk"]),
        "evaluator": st.fixed_dictionaries(
            {"name": st.sampled_from(["张三", MARKER]), "phone": st.just(PHONE), "consent": st.just(True)}
        ),
        "case_no": st.sampled_from(["XQ-2026-000123", "XQ-2026-000124", "ABCD"]),
        "item_code": st.just("ITEM-0001"),
        "submission_id": st.one_of(
            st.uuids().map(lambda u: u.hex),
            st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=8, max_size=64),
        ),
    }


@st.composite
def submission_like(draw: st.DrawFn, plates: Plates) -> dict[str, Any]:
    """A dict that mostly looks like a submission: a few fields wild or left out, the rest valid."""
    valid = valid_values(plates)
    changed = draw(st.one_of(st.just(set()), st.sets(st.sampled_from(FIELDS), max_size=3)))
    body: dict[str, Any] = {}
    for name in FIELDS:
        if name not in changed:
            # Required fields are given; optional ones half the time.
            if name in ("window_code", "level", "submission_id") or draw(st.booleans()):
                body[name] = draw(valid[name])
        elif draw(st.integers(0, 3)) > 0:  # wild, mostly; else left out
            body[name] = draw(ascii_wild if name in ("sig", "ticket") else wild)
    level = body.get("level")
    if "tags" not in changed and isinstance(level, int) and level in TAGS and draw(st.booleans()):
        body["tags"] = draw(st.lists(st.sampled_from(TAGS[level]), max_size=2))
    window = body.get("window_code")
    own_plate = draw(st.sampled_from([True, True, True, False]))
    if "sig" not in changed and isinstance(window, str) and window in plates.signatures and own_plate:
        body["sig"] = plates.signatures[window]  # the window's own plate, else another window's
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        body[draw(st.one_of(texts, st.sampled_from(["lang", "id", "__proto__", "Level"])))] = draw(wild)
    return body


def serialise(draw: st.DrawFn, document: Any) -> bytes:
    ascii_only = draw(st.booleans())
    return json.dumps(document, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


# -- the properties -----------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_any_json_value_as_the_body_is_never_a_5xx(send: Callable[..., Sent], data: st.DataObject) -> None:
    # Given any JSON value, serialised with or without escapes, or a JSON text no serialiser writes
    if data.draw(st.booleans(), label="crafted text"):
        raw = data.draw(json_texts, label="text").encode("utf-8")
    else:
        raw = serialise(data.draw, data.draw(json_values, label="document"))
    # When it is posted as the body of a rating
    sent = send(raw, JSON)
    # Then the answer is a documented status in the one error shape, echoing nothing
    check_answer(sent)


@PROPERTY
@given(data=st.data())
def test_a_body_that_looks_like_a_submission_is_never_a_5xx(
    send: Callable[..., Sent], plates: Plates, count_ratings: Callable[[], int], data: st.DataObject
) -> None:
    # Given a submission whose fields are drawn from valid values and wild ones
    document = data.draw(submission_like(plates), label="submission")
    raw = serialise(data.draw, document)
    stored = count_ratings()
    # When it is posted
    sent = send(raw, JSON)
    # Then the answer is a documented status in the one error shape, echoing nothing
    check_answer(sent)
    # And only a new rating adds an item; a refusal writes nothing
    assert count_ratings() == stored + (sent.status in (201, 202))
    if sent.status in (201, 202):
        receipt = json.loads(sent.body)
        assert (receipt["window_code"], receipt["level"]) == (document["window_code"], int(document["level"]))


@PROPERTY
@given(
    raw=st.one_of(
        st.binary(max_size=300),
        st.builds(lambda chunk, times: chunk * times, st.binary(min_size=1, max_size=8), st.integers(1, 3000)),
    ),
    content_type=st.sampled_from([JSON, FORM, TEXT, f"{JSON}; charset=utf-8", f"{FORM}; charset=utf-8"]),
    base64_encoded=st.one_of(st.none(), st.booleans()),
)
def test_arbitrary_bytes_are_never_a_5xx(
    send: Callable[..., Sent], raw: bytes, content_type: str, base64_encoded: bool | None
) -> None:
    # Given arbitrary bytes, as text or base64 as API Gateway may pass them
    # When they are posted with a content type a browser or a program sends
    sent = send(raw, content_type, base64_encoded)
    # Then the answer is a documented status: 415 for text/plain, else an error or a rating
    check_answer(sent, form_post=content_type.startswith(FORM) and bool(raw))
    if content_type == TEXT and sent.status != 413:
        assert sent.status == 415


FORM_FIELDS = (*FIELDS, "lang", "evaluator_name", "evaluator_phone", "evaluator_consent")
form_values = st.one_of(texts, hostile_text, st.integers().map(str), long_text)


@st.composite
def form_pairs(draw: st.DrawFn, plates: Plates) -> list[tuple[str, str]]:
    """Key/value pairs of a form: arbitrary ones, the form's own keys with arbitrary values,
    and now and then the fields of a valid rating."""
    pairs = draw(
        st.lists(
            st.tuples(st.one_of(st.sampled_from(FORM_FIELDS), st.text(max_size=20), st.just(MARKER)), form_values),
            max_size=6,
        )
    )
    if draw(st.booleans()):
        window = draw(st.sampled_from(WINDOWS))
        level = draw(st.integers(1, 5))
        pairs += [
            ("window_code", window),
            ("sig", plates.signatures[window]),
            ("level", str(level)),
            ("submission_id", draw(valid_values(plates)["submission_id"])),
            *[("tags", tag) for tag in draw(st.lists(st.sampled_from(["101", "201", "501", ""]), max_size=2))],
        ]
    return draw(st.permutations(pairs))


@PROPERTY
@given(data=st.data())
def test_a_form_of_arbitrary_keys_and_values_is_never_a_5xx(
    send: Callable[..., Sent], plates: Plates, count_ratings: Callable[[], int], data: st.DataObject
) -> None:
    # Given a form body built from arbitrary key/value pairs (with the plate's fields now and then)
    pairs = data.draw(form_pairs(plates), label="pairs")
    raw = urlencode(pairs, errors="surrogatepass").encode("ascii")
    stored = count_ratings()
    # When a browser posts it
    sent = send(raw, FORM)
    # Then the answer is a redirect to the receipt, or a page (or a JSON error when empty)
    check_answer(sent, form_post=bool(raw))
    # And a refusal writes nothing
    if sent.status != 303:
        assert count_ratings() == stored


# -- bugs fixed since: regression tests -----------------------------------------------------------


def _a_valid_body(plates: Plates, **changes: Any) -> dict[str, Any]:
    window = "640104-A017"
    return {
        "window_code": window,
        "sig": plates.signatures[window],
        "level": 4,
        "submission_id": "Prop3rtyBug01",
        **changes,
    }


def test_a_non_ascii_sig_is_403(send: Callable[..., Sent], plates: Plates) -> None:
    # hmac.compare_digest raises TypeError for a non-ASCII str: a forged plate, not a server error
    sent = send(json.dumps(_a_valid_body(plates, sig="签名")).encode(), JSON)
    check_answer(sent)
    assert sent.status == 403


@pytest.mark.parametrize("forged", ["far_future", "non_ascii_signature"])
def test_a_ticket_with_a_far_timestamp_or_non_ascii_signature_is_403(
    send: Callable[..., Sent], plates: Plates, forged: str
) -> None:
    if forged == "far_future":
        payload = base64.urlsafe_b64encode(b"640104-A017|A001|99999999999999999999").decode().rstrip("=")
        ticket = f"{payload}.AAAAAAAAAAAAAAAA"
    else:
        payload = base64.urlsafe_b64encode(b"640104-A017|A001|1700000000").decode().rstrip("=")
        ticket = f"{payload}.签名"
    body = _a_valid_body(plates, ticket=ticket)
    del body["sig"]
    sent = send(json.dumps(body).encode(), JSON)
    check_answer(sent)
    assert sent.status == 403


def test_deeply_nested_json_is_400(send: Callable[..., Sent]) -> None:
    # json.loads raises a RecursionError for it (arrays nested ~1000 deep fit in 16 KB)
    sent = send(b"[" * 5000 + b"]" * 5000, JSON)
    check_answer(sent)
    assert sent.status == 400


def test_an_integer_of_over_4300_digits_is_400(send: Callable[..., Sent]) -> None:
    # json.loads raises a ValueError that is not a JSONDecodeError for it
    sent = send(b'{"level": ' + b"9" * 5000 + b"}", JSON)
    check_answer(sent)
    assert sent.status == 400


def test_a_base64_json_body_that_is_not_utf8_is_400(send: Callable[..., Sent]) -> None:
    sent = send(b'{"level": "\xff"}', JSON, base64_encoded=True)
    check_answer(sent)
    assert sent.status == 400


@pytest.mark.parametrize("where", ["json", "form"])
def test_an_all_digit_key_is_not_echoed_in_a_422(send: Callable[..., Sent], plates: Plates, where: str) -> None:
    # A key made of digits only (a phone number) is not a list index: it is not named.
    body = _a_valid_body(plates, **{PHONE: "call me"})
    sent = send(json.dumps(body).encode(), JSON) if where == "json" else send(urlencode(body).encode(), FORM)
    assert sent.status == 422
    check_answer(sent, form_post=where == "form")


@pytest.fixture
def routers_kept(stack: Any) -> Iterator[None]:
    """Each router's resolver as it was before the test, put back after it (see the test below)."""
    bound = [(router, router.api_resolver) for router in ALL_ROUTERS]
    yield
    for router, resolver in bound:
        router.api_resolver = resolver


def test_serving_the_openapi_document_keeps_the_rating_router_bound(
    send: Callable[..., Sent], plates: Plates, invoke: Invoke, load_event: LoadEvent, routers_kept: None
) -> None:
    # Given the rating function loaded, as in its own execution environment
    function_module(FUNCTION)
    # When the same process serves the OpenAPI document, then a browser's valid form post
    assert invoke("OpenApiFunction", load_event("openapi/get_openapi.json"))["statusCode"] == 200
    form = {"window_code": "640104-A017", "sig": plates.signatures["640104-A017"], "level": "4"}
    sent = send(urlencode({**form, "submission_id": "OpenApiThenForm1"}).encode(), FORM)
    # Then it is still answered with the redirect to the receipt page
    assert sent.status == 303, sent.body
