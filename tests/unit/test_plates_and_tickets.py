"""QR plates and queue tickets: links only the stack can sign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from haochaping.domain.errors import Forbidden
from haochaping.domain.plates import (
    SignatureInvalid,
    TicketExpired,
    issue_ticket,
    plate_signature,
    plate_url,
    verify_plate,
    verify_ticket,
)

pytestmark = pytest.mark.unit

SECRET = b"unit-test-signing-secret-not-a-real-one-0123456789"
ISSUED = datetime(2026, 11, 26, 1, 15, tzinfo=UTC)  # 09:15 in Yinchuan
VALIDITY = timedelta(hours=24)


def test_a_plate_signature_verifies_for_its_window() -> None:
    # Given the signature printed on window A017's plate
    signature = plate_signature("640104-A017", SECRET)
    # When verifying it for that window
    # Then it passes
    verify_plate("640104-A017", signature, SECRET)


@pytest.mark.parametrize(
    ("window_code", "secret"),
    [("640104-A018", SECRET), ("640104-A017", SECRET + b"-other-district")],
)
def test_a_plate_signature_fails_for_another_window_or_secret(window_code: str, secret: bytes) -> None:
    # Given window A017's signature
    signature = plate_signature("640104-A017", SECRET)
    # When verifying it for another window, or under another stack's secret
    # Then it is refused as a forbidden signature
    with pytest.raises(SignatureInvalid) as raised:
        verify_plate(window_code, signature, secret)
    assert isinstance(raised.value, Forbidden)
    assert raised.value.code == "signature_invalid"


@pytest.mark.parametrize("signature", ["", "x", "AAAAAAAAAAAAAAAA"])
def test_a_missing_or_made_up_signature_fails(signature: str) -> None:
    # Given no signature, or a guessed one
    # When verifying it
    # Then it is refused
    with pytest.raises(SignatureInvalid):
        verify_plate("640104-A017", signature, SECRET)


def test_the_plate_url_opens_the_form_of_its_window() -> None:
    # Given the district's public origin
    # When making the plate's URL
    url = plate_url("https://haochaping-640104.yinchuan.example/", "640104-A017", SECRET)
    # Then it points at /r/<window> with the window's signature, URL-safe
    assert (
        url == f"https://haochaping-640104.yinchuan.example/r/640104-A017?sig={plate_signature('640104-A017', SECRET)}"
    )
    assert set(url.rsplit("=", 1)[1]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_ticket_verifies_for_its_window_while_valid() -> None:
    # Given ticket A023 issued at window A017
    token = issue_ticket("640104-A017", "A023", ISSUED, SECRET)
    # When verifying it an hour later
    ticket = verify_ticket(token, "640104-A017", ISSUED + timedelta(hours=1), VALIDITY, SECRET)
    # Then it is that ticket, identified by window, China-time day and number
    assert (ticket.window_code, ticket.number, ticket.issued_at) == ("640104-A017", "A023", ISSUED)
    assert ticket.ticket_id == "640104-A017#20261126#A023"


def test_a_ticket_id_uses_the_day_in_china() -> None:
    # Given a ticket issued at 17:00 UTC, which is 01:00 the next day in Yinchuan
    token = issue_ticket("640104-A017", "B001", datetime(2026, 11, 26, 17, 0, tzinfo=UTC), SECRET)
    # When verifying it
    ticket = verify_ticket(token, "640104-A017", datetime(2026, 11, 26, 18, 0, tzinfo=UTC), VALIDITY, SECRET)
    # Then its id carries the Chinese date
    assert ticket.ticket_id == "640104-A017#20261127#B001"


def test_an_expired_ticket_is_refused() -> None:
    # Given a ticket issued more than its validity ago
    token = issue_ticket("640104-A017", "A023", ISSUED, SECRET)
    # When verifying it
    with pytest.raises(TicketExpired) as raised:
        verify_ticket(token, "640104-A017", ISSUED + VALIDITY + timedelta(seconds=1), VALIDITY, SECRET)
    # Then it is refused as expired
    assert raised.value.code == "ticket_expired"


def test_a_ticket_is_valid_until_the_end_of_its_validity() -> None:
    # Given a ticket
    token = issue_ticket("640104-A017", "A023", ISSUED, SECRET)
    # When verifying it exactly at the end of its validity
    ticket = verify_ticket(token, "640104-A017", ISSUED + VALIDITY, VALIDITY, SECRET)
    # Then it still passes
    assert ticket.number == "A023"


@pytest.mark.parametrize(
    ("window_code", "secret", "now"),
    [
        ("640104-B003", SECRET, ISSUED),  # another window
        ("640104-A017", SECRET + b"-other", ISSUED),  # another stack
        ("640104-A017", SECRET, ISSUED - timedelta(minutes=10)),  # issued in the future
    ],
)
def test_a_ticket_for_another_window_stack_or_time_is_refused(window_code: str, secret: bytes, now: datetime) -> None:
    # Given a ticket of window A017
    token = issue_ticket("640104-A017", "A023", ISSUED, SECRET)
    # When verifying it elsewhere, under another secret, or before it was issued
    # Then it is refused
    with pytest.raises(SignatureInvalid):
        verify_ticket(token, window_code, now, VALIDITY, secret)


@pytest.mark.parametrize("token", ["", "no-dot", "!!!.sig", "YWJj.sig", "NjQwMTA0LUExMDd8QTAyM3x4.sig"])
def test_a_malformed_ticket_is_refused_not_crashed_on(token: str) -> None:
    # Given something that is not a ticket
    # When verifying it
    # Then it is refused as an invalid signature
    with pytest.raises(SignatureInvalid):
        verify_ticket(token, "640104-A017", ISSUED, VALIDITY, SECRET)


def test_a_ticket_with_a_changed_number_is_refused() -> None:
    # Given a real ticket whose payload is swapped for another number, keeping the signature
    token = issue_ticket("640104-A017", "A023", ISSUED, SECRET)
    forged_payload = issue_ticket("640104-A017", "A024", ISSUED, SECRET).split(".")[0]
    forged = f"{forged_payload}.{token.split('.')[1]}"
    # When verifying it
    # Then it is refused
    with pytest.raises(SignatureInvalid):
        verify_ticket(forged, "640104-A017", ISSUED, VALIDITY, SECRET)
