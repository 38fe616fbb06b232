"""The citizen's key 评价人密钥: what lets the citizen, and only them, act on their own bad review.

The tracking code 查询码 names a rating; staff see it (the console, the task lists, reports,
notices), so it cannot also be what speaks for the citizen. The key is given once, with the
receipt, to whoever rated, and is asked for by the citizen's verdict on a fix and by an appeal.

It is derived from the rating's submission id with the stack's secret, as the tracking code is
(under another purpose), so nothing is stored: a resubmission of the same submission gets the same
key back, and a key is checked by deriving it again. Staff never hold the secret.

Wrong keys are counted per rating and per source address, in fixed periods: a source that sent
too many is refused for the rest of the period without its key being looked at. Counted per
source, so that someone who knows the tracking code (staff do) cannot lock the citizen out of
their own verdict or appeal by sending wrong keys; at 128 bits a key cannot be guessed anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from haochaping.domain.errors import Forbidden, TooManyRequests
from haochaping.domain.periods import Tally

CITIZEN_KEY_BYTES = 16  # 128 bits
CITIZEN_KEY_LENGTH = 22  # base64url without padding
CITIZEN_KEY_PATTERN = f"^[A-Za-z0-9_-]{{{CITIZEN_KEY_LENGTH}}}$"

WRONG_KEYS_ALLOWED = 5  # per rating, per source, per period
WRONG_KEY_PERIOD = timedelta(minutes=15)


class CitizenKeyRefused(Forbidden):
    code = "citizen_key_refused"


class TooManyWrongKeys(TooManyRequests):
    code = "too_many_wrong_keys"


def citizen_key_for(submission_id: str, secret: bytes) -> str:
    """The key the citizen gets with the receipt of this submission; the same every time."""
    digest = hmac.new(secret, b"citizen-key\x00" + submission_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:CITIZEN_KEY_BYTES]).decode("ascii").rstrip("=")


def citizen_key_matches(submission_id: str, given: str | None, secret: bytes) -> bool:
    """Whether ``given`` is this submission's key, compared in constant time."""
    # Bytes, so a key with any characters at all is just a wrong one.
    presented = (given or "").encode("utf-8", "surrogateescape")
    return hmac.compare_digest(citizen_key_for(submission_id, secret).encode("ascii"), presented)


def source_of(address: str | None, secret: bytes) -> str:
    """A request's source address as it is counted: a keyed hash, never the address itself
    (an unkeyed hash of an IPv4 address is undone by trying all four billion)."""
    digest = hmac.new(secret, b"source\x00" + (address or "unknown").encode("utf-8"), hashlib.sha256).digest()
    return digest[:12].hex()


def refuse_if_locked(tally: Tally | None, now: datetime) -> None:
    """A source that sent too many wrong keys is refused until its period ends."""
    if tally is not None and tally.count >= WRONG_KEYS_ALLOWED and now < tally.period_ends:
        raise TooManyWrongKeys(
            "too many wrong keys for this rating from here; try again later",
            retry_after_seconds=int((tally.period_ends - now).total_seconds()) + 1,
        )


def refuse_wrong_key(present: bool) -> CitizenKeyRefused:
    """The one answer to a missing or wrong key: the same whatever the tracking code."""
    if not present:
        return CitizenKeyRefused(
            "this needs the citizen's key from the receipt (citizen_key); open the link the receipt gave"
        )
    return CitizenKeyRefused("the citizen's key does not match this rating; open the link the receipt gave")
