"""QR plates, queue tickets and device tokens: signed values that only this stack can mint.

A plate (二维码牌) carries ``/r/{window code}?sig=…``; the signature is an HMAC of the window
code under the stack's secret, so a changed window code is refused. A ticket (排队小票) is
signed for window + ticket number + issue time and allows one rating, for a limited time:
that is how one service gets one rating (一次一评).

The plate's signature is printed for all to see, so it proves only that someone saw the plate.
The form a plate opens gives the browser a device token (a cookie): a random name signed by the
stack. A rating by the plate comes with it, so a script that never opened the form cannot rate,
and each device's ratings can be counted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from haochaping.domain.errors import Forbidden
from haochaping.domain.rating import CHINA_TIME


class SignatureInvalid(Forbidden):
    code = "signature_invalid"


class TicketExpired(Forbidden):
    code = "ticket_expired"


def _mac(secret: bytes, purpose: str, message: str, length: int = 12) -> str:
    digest = hmac.new(secret, f"{purpose}\x00{message}".encode(), hashlib.sha256).digest()[:length]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def plate_signature(window_code: str, secret: bytes) -> str:
    return _mac(secret, "plate", window_code)


def plate_url(public_base_url: str, window_code: str, secret: bytes) -> str:
    return f"{public_base_url.rstrip('/')}/r/{window_code}?sig={plate_signature(window_code, secret)}"


def verify_plate(window_code: str, signature: str, secret: bytes) -> None:
    # Bytes, so a signature with any characters at all is just a wrong one.
    given = (signature or "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(plate_signature(window_code, secret).encode(), given):
        raise SignatureInvalid("the QR plate's signature does not match this window")


@dataclass(frozen=True, slots=True)
class Ticket:
    """A queue ticket 排队号 issued at a window: one rating, valid for a while."""

    window_code: str
    number: str
    issued_at: datetime

    @property
    def ticket_id(self) -> str:
        day = self.issued_at.astimezone(CHINA_TIME).strftime("%Y%m%d")
        return f"{self.window_code}#{day}#{self.number}"


def issue_ticket(window_code: str, number: str, issued_at: datetime, secret: bytes) -> str:
    """The token printed as a QR code on the ticket."""
    payload = f"{window_code}|{number}|{int(issued_at.timestamp())}"
    encoded = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{encoded}.{_mac(secret, 'ticket', payload)}"


def verify_ticket(token: str, window_code: str, now: datetime, validity: timedelta, secret: bytes) -> Ticket:
    try:
        encoded, signature = token.split(".", 1)
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise SignatureInvalid("the ticket is not a valid ticket") from None
    # The signature first: nothing in an unsigned payload is read.
    if not hmac.compare_digest(_mac(secret, "ticket", payload).encode(), signature.encode("utf-8", "surrogateescape")):
        raise SignatureInvalid("the ticket's signature does not match")
    try:
        ticket_window, number, issued = payload.split("|")
        issued_at = datetime.fromtimestamp(int(issued), UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureInvalid("the ticket is not a valid ticket") from None
    if ticket_window != window_code:
        raise SignatureInvalid("the ticket was issued for another window")
    if now > issued_at + validity:
        raise TicketExpired("the ticket has expired")
    if issued_at > now + timedelta(minutes=5):
        raise SignatureInvalid("the ticket was issued in the future")
    return Ticket(window_code=ticket_window, number=number, issued_at=issued_at)


def issue_device_token(nonce: str, secret: bytes) -> str:
    """A device token for a random ``nonce``: what the form's cookie holds."""
    return f"{nonce}.{_mac(secret, 'device', nonce)}"


def device_token_valid(token: str | None, secret: bytes) -> bool:
    """Whether the form of this stack issued ``token`` (an invented or changed one is not)."""
    nonce, dot, signature = (token or "").rpartition(".")
    if not dot or not nonce:
        return False
    expected = _mac(secret, "device", nonce).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape"))
