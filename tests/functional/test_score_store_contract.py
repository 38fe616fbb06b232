"""The score store's DynamoDB behaviour, the same on moto and on AWS's DynamoDB Local.

A ScoresTable made from template.yaml's own properties on each engine: the sheets' counters added
to in one transaction with the shard's mark, the mark's condition read back from the cancellation
as CountedMeanwhile with nothing written. The largest write the operation may make (99 sheets
and the mark, 300 counters on a sheet) is checked on DynamoDB Local alone: moto's expression
parser recurses once per clause and gives up between 150 and 200 (RecursionError), where DynamoDB
takes any expression up to 4 KB; the functional tier's sheets stay far below that.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from haochaping.adapters import scores as score_items
from haochaping.adapters.scores import ScoreStore
from haochaping.domain.scores import (
    Count,
    CountedMeanwhile,
    Period,
    PeriodKind,
    Scope,
    ScopeKind,
    ScoreSheet,
    SheetCounts,
    SheetKey,
)
from localtwin.dynamodb_local import ENGINE_ARN_PREFIX, DynamoDBLocalProcess
from moto import mock_aws

from tests.conftest import use_offline_aws
from tests.functional.conftest import REGION, Intrinsics, create_table, load_template

pytestmark = pytest.mark.functional

MOTO = "moto"
DYNAMODB_LOCAL = "dynamodb-local"
STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/Ratings/stream/2026-03-01T00:00:00.000"
SHARD = "shardId-00000001772323200000-aaaa"
DAY = Period(PeriodKind.DAY, "2026-03-11")
HALL = Scope(ScopeKind.HALL, "XQZWFW")
WINDOW = Scope(ScopeKind.WINDOW, "640104-A017")
STAFF = Scope(ScopeKind.STAFF, "XQ1017")


@dataclass(frozen=True)
class Engine:
    name: str
    table: str
    client: Any
    store: ScoreStore


@pytest.fixture(scope="module")
def dynamodb_local() -> Iterator[DynamoDBLocalProcess]:
    process = DynamoDBLocalProcess()
    process.start()
    yield process
    process.stop()


@pytest.fixture(params=[MOTO, DYNAMODB_LOCAL])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """A ScoresTable made from template.yaml on one engine, with the store bound to it."""
    use_offline_aws(monkeypatch, tmp_path, REGION)
    mock = None
    if request.param == MOTO:
        mock = mock_aws()
        mock.start()
    else:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", request.getfixturevalue("dynamodb_local").endpoint)
    score_items.dynamodb.cache_clear()  # the store's client is made where this engine answers
    try:
        client = boto3.client("dynamodb")
        name = f"scores-{re.sub(r'[^A-Za-z0-9]+', '-', request.node.name)[:150]}-{uuid.uuid4().hex[:8]}"
        properties = {**load_template()["Resources"]["ScoresTable"]["Properties"], "TableName": name}
        created = create_table(client, "ScoresTable", properties, Intrinsics(refs={}))
        assert created["TableArn"].startswith(ENGINE_ARN_PREFIX) == (request.param == DYNAMODB_LOCAL)
        yield Engine(request.param, name, client, ScoreStore(name))
        if request.param == DYNAMODB_LOCAL:
            client.delete_table(TableName=name)
    finally:
        score_items.dynamodb.cache_clear()
        if mock is not None:
            mock.stop()


def sheet(hall: str = "XQZWFW", period: Period = DAY) -> SheetKey:
    return SheetKey(period, "640104", hall)


def by_hall(sheets: list[ScoreSheet]) -> dict[str, dict[Scope, dict[Count, int]]]:
    return {s.key.hall_code: {scope: dict(counts) for scope, counts in s.counts.items()} for s in sheets}


def test_counts_add_up_over_writes_and_the_mark_moves_with_them(engine: Engine) -> None:
    # Given an empty table
    assert engine.store.high_water(STREAM, SHARD) is None
    # When two chunks are applied in turn, the second taking a rating back out of valid (not adopted)
    first: dict[SheetKey, SheetCounts] = {
        sheet(): {(HALL, Count.VALID): 3, (HALL, Count.SATISFIED): 3, (WINDOW, Count.VALID): 2, (STAFF, Count.VALID): 2}
    }
    engine.store.apply(STREAM, SHARD, None, "000000000000000000011", first)
    second: dict[SheetKey, SheetCounts] = {
        sheet(): {(HALL, Count.VALID): -1, (HALL, Count.SATISFIED): -1, (HALL, Count.NOT_ADOPTED): 1},
        sheet("XQBDC"): {(Scope(ScopeKind.HALL, "XQBDC"), Count.VALID): 1},
    }
    engine.store.apply(STREAM, SHARD, "000000000000000000011", "000000000000000000020", second)
    # Then each sheet holds the sums, read back by scope, and the mark is at the second chunk's end
    assert by_hall(engine.store.sheets(DAY)) == {
        "XQZWFW": {
            HALL: {Count.VALID: 2, Count.SATISFIED: 2, Count.NOT_ADOPTED: 1},
            WINDOW: {Count.VALID: 2},
            STAFF: {Count.VALID: 2},
        },
        "XQBDC": {Scope(ScopeKind.HALL, "XQBDC"): {Count.VALID: 1}},
    }
    assert engine.store.high_water(STREAM, SHARD) == "000000000000000000020"
    assert {s.key.division_code for s in engine.store.sheets(DAY)} == {"640104"}
    # And another period, or another shard, is apart
    assert engine.store.sheets(Period(PeriodKind.DAY, "2026-03-12")) == []
    assert engine.store.high_water(STREAM, "shardId-other") is None


@pytest.mark.parametrize("seen", [None, "000000000000000000005"], ids=["no-mark-expected", "an-older-mark"])
def test_a_mark_that_moved_meanwhile_refuses_the_whole_write(engine: Engine, seen: str | None) -> None:
    # Given the shard counted up to record 11
    counts: dict[SheetKey, SheetCounts] = {sheet(): {(HALL, Count.VALID): 1}}
    engine.store.apply(STREAM, SHARD, None, "000000000000000000011", counts)
    # When a writer that read the mark before that writes
    with pytest.raises(CountedMeanwhile):
        engine.store.apply(STREAM, SHARD, seen, "000000000000000000012", {sheet(): {(HALL, Count.VALID): 5}})
    # Then nothing of its write landed
    assert by_hall(engine.store.sheets(DAY)) == {"XQZWFW": {HALL: {Count.VALID: 1}}}
    assert engine.store.high_water(STREAM, SHARD) == "000000000000000000011"


def test_every_write_moves_a_sheets_revision_and_a_repair_is_made_over_the_one_read(engine: Engine) -> None:
    month = sheet(period=Period(PeriodKind.MONTH, "2026-03"))
    # Given a day counted twice by the stream, its month once, and a sheet never written
    engine.store.apply(STREAM, SHARD, None, "000000000000000000011", {sheet(): {(HALL, Count.VALID): 2}})
    engine.store.apply(
        STREAM,
        SHARD,
        "000000000000000000011",
        "000000000000000000012",
        {sheet(): {(HALL, Count.VALID): 1}, month: {(HALL, Count.VALID): 1}},
    )
    (day_sheet,) = engine.store.sheets(DAY, consistent=True)
    assert day_sheet.revision == 2
    # When a repair is written over a revision the sheet has left, or over a sheet it was computed
    # from that has moved, or over a sheet never written as if it had been
    for key, seen, unchanged in (
        (sheet(), 1, {}),
        (month, 1, {sheet(): 1}),
        (sheet("XQBDC"), 1, {}),
    ):
        with pytest.raises(CountedMeanwhile):
            engine.store.repair(key, seen, {(HALL, Count.VALID): 7}, unchanged)
    # Then nothing landed
    assert by_hall(engine.store.sheets(DAY)) == {"XQZWFW": {HALL: {Count.VALID: 3}}}
    # When repairs are written over the revisions read: the day's, the month's with the day checked,
    # and a sheet never written
    engine.store.repair(sheet(), 2, {(HALL, Count.VALID): -1, (WINDOW, Count.VALID): 2})
    engine.store.repair(month, 1, {(HALL, Count.VALID): 1}, {sheet(): 3})
    engine.store.repair(sheet("XQBDC"), 0, {(Scope(ScopeKind.HALL, "XQBDC"), Count.VALID): 1})
    # Then each landed, and moved its sheet's revision
    assert by_hall(engine.store.sheets(DAY)) == {
        "XQZWFW": {HALL: {Count.VALID: 2}, WINDOW: {Count.VALID: 2}},
        "XQBDC": {Scope(ScopeKind.HALL, "XQBDC"): {Count.VALID: 1}},
    }
    assert [s.revision for s in engine.store.sheets(DAY)] == [1, 3]  # XQBDC, XQZWFW
    assert [s.revision for s in engine.store.sheets(month.period)] == [2]
    assert by_hall(engine.store.sheets(month.period)) == {"XQZWFW": {HALL: {Count.VALID: 2}}}


@pytest.mark.parametrize("engine", [DYNAMODB_LOCAL], indirect=True)
def test_the_largest_write_the_operation_makes_is_accepted(engine: Engine) -> None:
    # Given 99 sheets, the first with 300 counters (a long window code each), the store's own limits
    assert (engine.store.max_sheets_per_write, engine.store.max_counts_per_sheet) == (99, 300)
    counts = list(Count)
    many: SheetCounts = {
        (Scope(ScopeKind.WINDOW, f"640104-WINDOW{n // len(counts):05d}"), counts[n % len(counts)]): n + 1
        for n in range(300)
    }
    sheets: dict[SheetKey, SheetCounts] = {sheet(): many}
    sheets |= {sheet(f"H{n:03d}"): {(Scope(ScopeKind.HALL, f"H{n:03d}"), Count.VALID): 1} for n in range(98)}
    # When they are written in one transaction with the mark
    engine.store.apply(STREAM, SHARD, None, "000000000000000000001", sheets)
    # Then every counter is there
    read = by_hall(engine.store.sheets(DAY))
    assert len(read) == 99
    assert sum(len(counts_of) for counts_of in read["XQZWFW"].values()) == 300
