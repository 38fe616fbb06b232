"""The score sheets 计分表 and the stream's high-water marks, on the stack's Scores table.

A table of their own, not the Ratings table: counter writes there would come back on its stream
to the very function that wrote them, to be read (and paid for) only to be ignored.

- A **sheet** is one item per hall and period: ``pk`` ``SHEET#<day|month|year>#<key>``, ``sk`` the
  hall code, ``division_code``, and one number per counter, named ``<scope><code>.<count>``:
  ``wYC01-A001.l5`` is window YC01-A001's very-satisfied ratings (scopes: ``w`` window, ``s``
  staff, ``d`` department, ``h`` the hall). Counters are added to with ADD, so a write reads
  nothing and a counter that is not there yet starts at 0. A period's sheets are one Query.
  Every write also adds 1 to the sheet's ``revision``: a repair (reconcile) is written on the
  condition that the revision is still the one it read.
- A **mark** is one item per stream shard: ``pk`` ``MARK#<stream ARN>``, ``sk`` the shard id,
  ``sequence`` (the last record counted) and a TTL: a shard's records leave the stream after 24
  hours, and its mark is of no use a few days later.

Only botocore: the stream consumer writes sheets without loading the table models.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError
from botocore.session import get_session

from haochaping.domain.rating import utc_now
from haochaping.domain.scores import (
    Count,
    CountedMeanwhile,
    Period,
    Scope,
    ScopeKind,
    ScoreSheet,
    SheetCounts,
    SheetKey,
)

SCOPE_LETTERS = {ScopeKind.WINDOW: "w", ScopeKind.STAFF: "s", ScopeKind.DEPARTMENT: "d", ScopeKind.HALL: "h"}
SCOPE_OF_LETTER = {letter: kind for kind, letter in SCOPE_LETTERS.items()}
_COUNT_OF_CODE = {count.value: count for count in Count}
_SHEET, _MARK = "SHEET#", "MARK#"
MARK_KEPT = timedelta(days=7)
REVISION = "revision"


@lru_cache(maxsize=1)
def dynamodb() -> Any:
    return get_session().create_client("dynamodb")


def sheet_key(period: Period) -> str:
    return f"{_SHEET}{period.kind.value}#{period.key}"


def counter_name(scope: Scope, count: Count) -> str:
    return f"{SCOPE_LETTERS[scope.kind]}{scope.code}.{count.value}"


def _counter_of(name: str) -> tuple[Scope, Count] | None:
    """The scope and count a counter attribute stands for; None for the sheet's other attributes."""
    kind = SCOPE_OF_LETTER.get(name[:1])
    code, _, count = name[1:].rpartition(".")
    if kind is None or not code or count not in _COUNT_OF_CODE:
        return None
    return Scope(kind, code), _COUNT_OF_CODE[count]


def _placeholder(index: int) -> str:
    """Short expression placeholders: every character of an update expression counts towards its 4 KB."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        index, digit = divmod(index, len(digits))
        text = digits[digit] + text
        if not index:
            return "n" + text


class ScoreStore:
    """One stack's score sheets and marks."""

    # A transaction takes 100 items: the sheets and the mark.
    max_sheets_per_write = 99
    # An update expression may be 4 KB long; each counter takes "#nXX :nXX, " (11 characters).
    max_counts_per_sheet = 300

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def high_water(self, stream: str, shard: str) -> str | None:
        item = (
            dynamodb()
            .get_item(
                TableName=self.table_name,
                Key={"pk": {"S": _MARK + stream}, "sk": {"S": shard}},
                ConsistentRead=True,
            )
            .get("Item")
        )
        return None if item is None else str(item["sequence"]["S"])

    def apply(
        self, stream: str, shard: str, seen: str | None, upto: str, sheets: Mapping[SheetKey, SheetCounts]
    ) -> None:
        """The sheets' counts and the shard's mark in one transaction; the mark only if still at ``seen``."""
        items: list[dict[str, Any]] = [self._sheet_update(key, entries) for key, entries in sheets.items()]
        mark: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": {
                "pk": {"S": _MARK + stream},
                "sk": {"S": shard},
                "sequence": {"S": upto},
                "expires_at": {"N": str(int((utc_now() + MARK_KEPT).timestamp()))},
            },
        }
        if seen is None:
            mark["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            mark["ConditionExpression"] = "#s = :s"
            mark["ExpressionAttributeNames"] = {"#s": "sequence"}
            mark["ExpressionAttributeValues"] = {":s": {"S": seen}}
        items.append({"Put": mark})
        try:
            dynamodb().transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = error.response.get("CancellationReasons") or []
            if len(reasons) == len(items) and reasons[-1].get("Code") == "ConditionalCheckFailed":
                raise CountedMeanwhile(f"the mark of {shard} moved on from {seen}") from None
            raise

    def _sheet_update(self, key: SheetKey, entries: SheetCounts) -> dict[str, Any]:
        names = {"#dv": "division_code", "#rv": REVISION}
        values: dict[str, Any] = {":dv": {"S": key.division_code}, ":rv": {"N": "1"}}
        adds = ["#rv :rv"]
        for index, ((scope, count), n) in enumerate(sorted(entries.items())):
            placeholder = _placeholder(index)
            names[f"#{placeholder}"] = counter_name(scope, count)
            values[f":{placeholder}"] = {"N": str(n)}
            adds.append(f"#{placeholder} :{placeholder}")
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": sheet_key(key.period)}, "sk": {"S": key.hall_code}},
                "UpdateExpression": f"SET #dv = :dv ADD {', '.join(adds)}",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def repair(
        self, key: SheetKey, seen: int, difference: SheetCounts, unchanged: Mapping[SheetKey, int] | None = None
    ) -> None:
        """Add ``difference`` to the sheet over the revision read, with the sheets it was computed
        from unchanged, all or nothing.

        Safe beside the stream: every stream write moves the revision of each sheet it touches, so
        a count added after the read fails this write (CountedMeanwhile) instead of being undone;
        the caller reads again. ADD rather than SET: a sheet written by nobody meanwhile holds
        exactly what was read, and read + difference is what it should hold.
        """
        update = self._sheet_update(key, difference)["Update"]
        update.update(_at_revision(seen, update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]))
        items: list[dict[str, Any]] = [{"Update": update}]
        for other, revision in sorted((unchanged or {}).items()):
            names: dict[str, str] = {}
            values: dict[str, Any] = {}
            check = _at_revision(revision, names, values)
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self.table_name,
                        "Key": {"pk": {"S": sheet_key(other.period)}, "sk": {"S": other.hall_code}},
                        **check,
                        "ExpressionAttributeNames": names,
                        **({"ExpressionAttributeValues": values} if values else {}),
                    }
                }
            )
        try:
            dynamodb().transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = error.response.get("CancellationReasons") or []
            # A stream transaction on the same sheet at that very moment is the same news as a
            # revision moved: read again.
            if any(reason.get("Code") in ("ConditionalCheckFailed", "TransactionConflict") for reason in reasons):
                raise CountedMeanwhile(f"a sheet of {key.hall_code} was written since it was read") from None
            raise

    def sheets(self, period: Period, consistent: bool = False) -> list[ScoreSheet]:
        """Every hall's sheet for the period: one Query, a page per 1 MB."""
        found = []
        arguments: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": sheet_key(period)}},
            "ConsistentRead": consistent,
        }
        while True:
            page = dynamodb().query(**arguments)
            found += [_sheet_of(item, period) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _at_revision(revision: int, names: dict[str, str], values: dict[str, Any]) -> dict[str, str]:
    """The condition that a sheet is still at ``revision`` (0: never written, or not since writes were numbered)."""
    names["#rv"] = REVISION
    if revision == 0:
        return {"ConditionExpression": "attribute_not_exists(#rv)"}
    values[":seen"] = {"N": str(revision)}
    return {"ConditionExpression": "#rv = :seen"}


def _sheet_of(item: dict[str, Any], period: Period) -> ScoreSheet:
    counts: dict[Scope, dict[Count, int]] = {}
    for name, value in item.items():
        counter = _counter_of(name)
        if counter is not None and "N" in value and int(value["N"]):
            scope, count = counter
            counts.setdefault(scope, {})[count] = int(value["N"])
    revision = int(item.get(REVISION, {}).get("N", "0"))
    return ScoreSheet(SheetKey(period, item["division_code"]["S"], item["sk"]["S"]), counts, revision)
