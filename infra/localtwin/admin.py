"""The twin's own admin paths, served by its gateway beside the stack's routes, never part of them.

``GET /_twin/clock``
    ``{"now": "2026-03-02T08:00:00.000Z", "speed": 1.0, "offset_seconds": 0.0}``: the twin's time,
    how many of its seconds pass per real second, and how far it is ahead of real time.
``POST /_twin/clock`` with ``{"advance_seconds": 86400}`` or ``{"to": "2026-03-09T01:00:00Z"}``
    Moves the clock forward, wakes the schedule driver (missed firings of a schedule coalesce
    into one, see localtwin.schedules) and answers the new state as GET does. The functions see
    the new time from their next invocation on. The clock never goes backwards: a negative
    advance or a moment before now is a 409; a body that is not one of these two shapes is a 400.
    Each error is JSON: ``{"message": ..., "field": ...}``.

Only loopback clients are served (403 otherwise), even if the twin was bound to another address.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from ipaddress import ip_address
from typing import Any

from werkzeug.wrappers import Request, Response

from localtwin.clock import Clock, ClockError

CLOCK_PATH = "/_twin/clock"


class _BadRequest(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(status: HTTPStatus, body: dict[str, Any], **headers: str) -> Response:
    response = Response(json.dumps(body), status=int(status), content_type="application/json")
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


def _error(status: HTTPStatus, field: str | None, message: str) -> Response:
    return _json(status, {"message": message, "field": field})


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ip_address(address).is_loopback
    except ValueError:
        return False


class ClockEndpoint:
    """``/_twin/clock``: read the twin's clock, or move it forward and wake what waits on it."""

    def __init__(self, clock: Clock, moved: Callable[[], None]) -> None:
        self.clock = clock
        self.moved = moved

    def state(self, now: datetime | None = None) -> dict[str, Any]:
        return {
            "now": _iso(now or self.clock.now()),
            "speed": self.clock.speed,
            "offset_seconds": round(self.clock.offset_seconds(), 3),
        }

    def __call__(self, request: Request) -> Response:
        if not _is_loopback(request.remote_addr):
            return _error(HTTPStatus.FORBIDDEN, None, "the twin's admin paths answer loopback clients only")
        if request.path.rstrip("/") != CLOCK_PATH:
            return _error(HTTPStatus.NOT_FOUND, None, "Not Found")
        if request.method in ("GET", "HEAD"):
            return _json(HTTPStatus.OK, self.state())
        if request.method != "POST":
            return _json(
                HTTPStatus.METHOD_NOT_ALLOWED, {"message": "use GET or POST", "field": None}, Allow="GET, HEAD, POST"
            )
        try:
            field, move = self._parse(request)
        except _BadRequest as error:
            return _error(HTTPStatus.BAD_REQUEST, error.field, str(error))
        try:
            now = move()
        except ClockError as error:
            return _error(HTTPStatus.CONFLICT, field, str(error))
        except OverflowError:
            return _error(HTTPStatus.BAD_REQUEST, field, "that is beyond the last moment a clock can show")
        self.moved()
        return _json(HTTPStatus.OK, self.state(now))

    def _parse(self, request: Request) -> tuple[str, Callable[[], datetime]]:
        try:
            body = json.loads(request.get_data(cache=False) or b"null")
        except (ValueError, UnicodeDecodeError):
            raise _BadRequest(None, "the body is not JSON") from None
        if not isinstance(body, dict) or len(body) != 1 or not body.keys() <= {"advance_seconds", "to"}:
            raise _BadRequest(None, 'give exactly one of {"advance_seconds": n} or {"to": "ISO 8601 time"}')
        if "advance_seconds" in body:
            seconds = body["advance_seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
                raise _BadRequest("advance_seconds", "advance_seconds must be a number of seconds")
            return "advance_seconds", lambda: self.clock.advance(timedelta(seconds=seconds))
        text = body["to"]
        try:
            moment = datetime.fromisoformat(text) if isinstance(text, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise _BadRequest("to", "to must be an ISO 8601 time with its offset, e.g. 2026-03-09T09:00:00+08:00")
        target: datetime = moment
        return "to", lambda: self.clock.advance_to(target)
