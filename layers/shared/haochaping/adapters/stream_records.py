"""The Ratings table's stream as Lambda hands it over in a tumbling window, read as the domain's
changes, and the answer Lambda expects back.

The stream's mapping has a tumbling window for one reason: only then does an invocation name
the shard its records come from (``shardId``), which the scores' high-water marks are kept by
(see :mod:`haochaping.operations.scores`). No state is carried from one invocation to the next:
the answer's ``state`` is always empty, and the window's closing invocation, which has no
records, has nothing to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from haochaping.adapters.rating_items import rating_from_stream_image
from haochaping.adapters.tasks import task_from_stream_image
from haochaping.domain.scores import RatingChanged, RatingState, StreamBatch, StreamRecord, TaskChanged

# What reading an image that is not what the item's kind promises raises: a missing attribute,
# a value of the wrong type or out of its range.
UNREADABLE = (KeyError, TypeError, ValueError, AttributeError)


class NoShard(ValueError):
    """The event names no shard: the stream's event source mapping lacks its tumbling window."""


def stream_batch(event: dict[str, Any]) -> StreamBatch:
    """The invocation's records as changes, with the stream and shard they come from."""
    records = event.get("Records") or []
    shard = event.get("shardId")
    stream = event.get("eventSourceARN") or (records[0].get("eventSourceARN") if records else None)
    if not shard or not stream:
        raise NoShard("a ratings stream batch without shardId: the mapping needs TumblingWindowInSeconds")
    return StreamBatch(stream=str(stream), shard=str(shard), records=tuple(_record(r) for r in records))


def _record(raw: dict[str, Any]) -> StreamRecord:
    data = raw.get("dynamodb") or {}
    sequence = str(data["SequenceNumber"])
    try:
        return StreamRecord(sequence, _change(data.get("OldImage"), data.get("NewImage")))
    except UNREADABLE:
        return StreamRecord(sequence, unreadable=True)


def _change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> RatingChanged | TaskChanged | None:
    kind = (new or old or {}).get("kind", {}).get("S")
    if kind == "rating":
        return RatingChanged(_rating_state(old), _rating_state(new))
    if kind == "task":
        return TaskChanged(task_from_stream_image(old) if old else None, task_from_stream_image(new) if new else None)
    return None  # marks, evaluators, audit lines, reports: nothing to count


def _rating_state(image: dict[str, Any] | None) -> RatingState | None:
    if not image:
        return None
    rating = rating_from_stream_image(image)
    if rating is None:
        raise ValueError("a rating image that is not a rating")
    return RatingState(rating, not_adopted=bool(image.get("not_adopted", {}).get("BOOL", False)))


def is_window_end(event: dict[str, Any]) -> bool:
    """The tumbling window's closing invocation: no records, only the (empty) state."""
    return not event.get("Records")


def window_response(event: dict[str, Any], failed: Iterable[str]) -> dict[str, Any]:
    """Lambda's answer to a tumbling-window invocation: the records to retry (by sequence number,
    in the batch's order) and the window's state, which is kept empty."""
    wanted = set(failed)
    order = [str(r.get("dynamodb", {}).get("SequenceNumber")) for r in event.get("Records") or []]
    failures = [{"itemIdentifier": sequence} for sequence in dict.fromkeys(order) if sequence in wanted]
    return {"state": {}, "batchItemFailures": failures}
