"""Floods 疑似刷评 handler by handler against the stack in moto: a QR rating without the form's
device cookie is refused; beyond a source's budget a rating is answered 202, stored held for review
(its evidence beside it, on the hall's held list), sent to no follow-up; the hall's supervisor lists
it (GET /staff/suspected-ratings) and releases it (its task opens) or rejects it (not adopted,
reported)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from haochaping.adapters import keys
from haochaping.domain.plates import plate_signature

from tests.functional.conftest import reset_cached_state
from tests.functional.test_followup_functions import (
    OFFICER,
    OTHER_HALL_SUPERVISOR,
    SUPERVISOR,
    District,
    Person,
    body_of,
    district_of,
    error_of,
)
from tests.functional.test_score_ratings_function import DONE

pytestmark = [
    pytest.mark.functional,
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
]

WINDOW = "640104-A017"
PAD_ADDRESS = "198.51.100.23"  # the sample events' source: the hall's address


@pytest.fixture
def district(
    stack: Any,
    invoke: Callable[[str, dict[str, Any]], Any],
    load_event: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> District:
    # A budget of 3 ratings per window, address and hour: a flood is a few ratings here.
    monkeypatch.setenv("RATING_BUDGET_PER_ADDRESS", "3")
    reset_cached_state()
    return district_of(stack, invoke, load_event)


def post(district: District, level: int = 5, channel: str = "window_device", cookies: list[str] | None = None) -> Any:
    """POST /ratings from the sample event: the window's pad, or as told."""
    event = district.load_event("submit_rating/post_rating.json")
    event["headers"].pop("content-length", None)
    body = {
        "window_code": WINDOW,
        "sig": plate_signature(WINDOW, district.stack.signing_secret),
        "level": level,
        "submission_id": uuid.uuid4().hex,
        "tags": ["201"] if level == 2 else [],
        "channel": channel,
    }
    event["body"] = json.dumps(body)
    if cookies:
        event["cookies"] = cookies
    return district.invoke("SubmitRatingFunction", event)


def staff(district: District, who: Person, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    event = district.load_event({"GET": "staff_tasks/get_task.json", "POST": "staff_tasks/act_on_task.json"}[method])
    route = "/staff/suspected-ratings" if method == "GET" else "/staff/suspected-ratings/{tracking_code}/decision"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {route}"
    event["pathParameters"] = {"tracking_code": path.split("/")[3]} if method == "POST" else {}
    event["body"] = json.dumps(body, ensure_ascii=False) if body is not None else None
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    claims.update(
        {
            "cognito:username": who.username,
            "cognito:groups": "[" + " ".join(who.groups) + "]",
            "custom:hall": who.hall,
            "custom:division": who.division,
        }
    )
    return district.invoke("StaffTasksFunction", event)


def decide(district: District, who: Person, code: str, decision: str, text: str = "") -> Any:
    body = {"decision": decision, "text": text}
    return staff(district, who, "POST", f"/staff/suspected-ratings/{code}/decision", body)


def held_flood(district: District, bad: int = 1) -> list[str]:
    """The budget's 3 good ratings from the pad's address, then ``bad`` bad reviews, held: their codes."""
    for _ in range(3):
        assert post(district)["statusCode"] == 201
    held = [post(district, level=1) for _ in range(bad)]
    assert [r["statusCode"] for r in held] == [202] * bad, [r["body"] for r in held]
    return [body_of(r)["tracking_code"] for r in held]


def test_a_qr_rating_without_the_forms_cookie_is_403_and_stores_nothing(district: District) -> None:
    # Given a script posting with the plate's printed signature, as JSON and as a form, no cookie
    refused = post(district, channel="qr")
    form = district.load_event("submit_rating/post_rating_form.json")
    del form["cookies"]
    refused_form = district.invoke("SubmitRatingFunction", form)
    # Then each is 403, JSON in the one error shape, a page for the form, and nothing is stored
    assert refused["statusCode"] == 403
    assert error_of(refused)["code"] == "device_evidence_required"
    assert refused_form["statusCode"] == 403
    assert "扫描窗口的评价二维码" in refused_form["body"]
    assert district.stack.items() == []


def test_beyond_the_address_budget_a_rating_is_202_held_and_stored_with_its_evidence(district: District) -> None:
    # Given the window's pad, behind the hall's one address, sending five ratings in the hour
    answers = [post(district) for _ in range(5)]
    # Then three count (201) and two are held for review (202), each with its receipt
    assert [a["statusCode"] for a in answers] == [201, 201, 201, 202, 202]
    receipts = [body_of(a) for a in answers]
    assert [r["held_for_review"] for r in receipts] == [False, False, False, True, True]
    # And all five are stored; the held ones say so, with the budget they went over, on the hall's list
    items = {i["tracking_code"]["S"]: i for i in district.stack.ratings()}
    assert set(items) == {r["tracking_code"] for r in receipts}
    held = [items[r["tracking_code"]] for r in receipts[3:]]
    assert all(i["review"] == {"S": "held"} for i in held)
    assert all("review" not in items[r["tracking_code"]] for r in receipts[:3])
    (evidence,) = json.loads(held[0]["suspicion"]["S"])
    assert (evidence["source"], evidence["limit"], evidence["window_code"]) == ("address", 3, WINDOW)
    listed = district.stack.of_kind("held")
    assert sorted(i["tracking_code"]["S"] for i in listed) == sorted(r["tracking_code"] for r in receipts[3:])
    assert {i["pk"]["S"] for i in listed} == {keys.held_key("XQZWFW")}
    # And the budget's counter counted all five, under a hash: the address is in no item
    (budget,) = district.stack.of_kind("budget")
    assert budget["tally"] == {"N": "5"} and "expires_at" in budget
    assert PAD_ADDRESS not in json.dumps(district.stack.items())
    # And the citizen's status says it is held
    status = body_of(district.status(receipts[4]["tracking_code"]))
    assert (status["held_for_review"], status["follow_up_status"]) == (True, "none")


def test_a_held_bad_review_waits_for_the_supervisor_and_its_task_opens_when_released(district: District) -> None:
    # Given a bad review held for review, and the stream's consumer seeing it
    (code,) = held_flood(district)
    assert district.stream() == DONE
    # Then it is sent to no follow-up, and its status says it is held
    assert district.follow_up_messages() == []
    assert body_of(district.status(code))["follow_up_status"] == "held_for_review"
    # When the hall's supervisor lists the held ratings
    listed = staff(district, SUPERVISOR, "GET", "/staff/suspected-ratings")
    # Then it is there with its evidence, and no one else's list has it
    assert listed["statusCode"] == 200, listed["body"]
    (shown,) = body_of(listed)["ratings"]
    assert (shown["tracking_code"], shown["level"], shown["bad_review"]) == (code, 1, True)
    assert "同一网络地址" in shown["evidence"]
    assert shown["over_budgets"][0]["source"] == "address" and shown["over_budgets"][0]["held_from_this_source"] == 1
    assert PAD_ADDRESS not in listed["body"]
    assert body_of(staff(district, OTHER_HALL_SUPERVISOR, "GET", "/staff/suspected-ratings"))["ratings"] == []
    assert staff(district, OFFICER, "GET", "/staff/suspected-ratings")["statusCode"] == 403
    # When an officer tries to release it, then the supervisor does
    assert decide(district, OFFICER, code, "release")["statusCode"] == 403
    released = decide(district, SUPERVISOR, code, "release", "核实为真实评价")
    assert released["statusCode"] == 200, released["body"]
    assert body_of(released) == {"tracking_code": code, "review": "released", "counts": True}
    # Then the stream sends it on to its follow-up, once, and its task opens
    assert district.stream() == DONE
    messages = district.follow_up_messages()
    assert [json.loads(m["Body"]) for m in messages] == [{"tracking_code": code}]
    assert district.open_followups(messages) == {"batchItemFailures": []}
    assert district.task(code)["state"] == "verifying"
    # And it is off the list, and cannot be decided again
    assert body_of(staff(district, SUPERVISOR, "GET", "/staff/suspected-ratings"))["ratings"] == []
    assert decide(district, SUPERVISOR, code, "reject", "x")["statusCode"] == 409


def test_a_rejected_held_rating_is_not_adopted_as_malicious_and_reported(district: District) -> None:
    # Given a held bad review
    (code,) = held_flood(district)
    # When the supervisor rejects it without saying why, then saying why
    assert decide(district, SUPERVISOR, code, "reject")["statusCode"] == 422
    rejected = decide(district, SUPERVISOR, code, "reject", "同一地址一小时内连续差评")
    # Then it is kept, not adopted, with who decided
    assert rejected["statusCode"] == 200, rejected["body"]
    assert body_of(rejected)["review"] == "rejected"
    item = district.item(keys.rating_key(code), keys.RATING_SORT_KEY) or {}
    assert (item["review"], item["not_adopted"], item["reviewed_by"]) == (
        {"S": "rejected"},
        {"BOOL": True},
        {"S": SUPERVISOR.username},
    )
    # And reported as malicious, on the division's list and the report topic, with its evidence
    reports = body_of(district.staff(SUPERVISOR, "GET", "/staff/reports"))["reports"]
    assert [(r["tracking_code"], r["reason"], r["approved_by"]) for r in reports] == [
        (code, "malicious", SUPERVISOR.username)
    ]
    (notice,) = district.report_inbox.messages()
    assert notice["message"]["tracking_code"] == code
    # And the citizen's status says it is not adopted; it never opens a task
    status = body_of(district.status(code))
    assert (status["not_adopted"], status["follow_up_status"], status["held_for_review"]) == (
        True,
        "not_adopted",
        False,
    )
    assert district.stream() == DONE
    assert district.follow_up_messages() == []
