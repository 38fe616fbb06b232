"""Scores 评分: the Ratings table's stream counted on score sheets, each change exactly once.

What a rating or a task change counts for, and on which sheets, is the domain's
(:mod:`haochaping.domain.scores`); this module applies a batch of them to the store.

Exactly once, and why this way
------------------------------
Lambda delivers a stream's records at least once: a failed batch is retried whole (split in two
with BisectBatchOnFunctionError), or from its first reported failure with everything after it,
and a record may come again after later ones. Only a *tumbling-window* invocation names the
shard its records come from (``shardId``). Within a shard sequence numbers only grow, and every
record's *first* delivery is in order. So the consumer runs with a tumbling window — for the
shard id alone; it keeps no window state — and the store keeps, per stream and shard, a
**high-water mark**: the sequence number of the last record whose counts were applied.

A batch is cut into chunks that fit one DynamoDB transaction (at most 100 items, one expression
per sheet: :attr:`ScoreStore.max_sheets_per_write`, :attr:`ScoreStore.max_counts_per_sheet`).
Each chunk's counts are aggregated per sheet and written in one transaction *with* the mark,
moved from where it was read to the chunk's last record on the condition that it is still
where it was read. Hence:

- a record at or below the mark was applied: it is skipped however it comes back (a retried
  batch, a bisected half, a record delivered twice, a redelivery out of order);
- chunks are applied in order and the first that fails stops the batch, so what was applied is
  always a prefix of the shard and the mark says where it ends; every record from the failed
  chunk on is reported, and Lambda retries from there;
- a chunk lands with its mark or not at all. A writer that got in between (an invocation that
  timed out while its transaction still landed) fails the condition: the chunk is reported and
  counted on the retry, on top of what the other wrote.

Cost: per batch one write of the mark (a few dozen bytes) and one write per sheet touched; a
batch of one hall's ratings touches its day, month and year sheets. Per-record markers would
have cost a write per record.

Requires ParallelizationFactor 1 (Lambda's default; template.yaml keeps it): with more, batches
of one shard run side by side and the records no longer arrive in order. Records Lambda gave up
on (retries exhausted, described in the dead-letter queue) leave a gap below the mark: replaying
them sends their bad reviews on but does not count them; their counts are restored by
recounting their day from the raw ratings, as any other drift is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from haochaping.domain.rankings import Assessment, AssessmentRules, assess
from haochaping.domain.rating import Rating
from haochaping.domain.scores import (
    Figures,
    Period,
    PeriodKind,
    RatingChanged,
    Scope,
    SheetCounts,
    SheetKey,
    StreamBatch,
    StreamRecord,
    TaskChanged,
    add_to,
    board,
    figures,
    placed,
)
from haochaping.observability import logger, metrics
from haochaping.operations.ports import Stores


@dataclass
class _Chunk:
    start: int  # index of its first record among the batch's fresh records
    last: str  # sequence number of its last record: where the mark moves
    sheets: dict[SheetKey, SheetCounts] = field(default_factory=dict)


def count_batch(batch: StreamBatch, stores: Stores) -> list[str]:
    """Add what the batch's changes count for to the score sheets, each change once.

    Returns the sequence numbers of the records not counted, to be retried (none: all counted).
    """
    store = stores.scores
    mark = store.high_water(batch.stream, batch.shard)
    fresh = [record for record in batch.records if _after(record.sequence, mark)]
    if len(fresh) < len(batch.records):
        metrics.add_metric(name="ScoreRecordsAlreadyCounted", unit="Count", value=len(batch.records) - len(fresh))
    if not fresh:
        return []
    try:
        where = _placed_records(fresh, stores)
    except Exception:
        logger.exception("scores: the ratings of the batch's tasks could not be read", extra=_position(batch))
        metrics.add_metric(name="ScoreRecordsNotCounted", unit="Count", value=len(fresh))
        return [record.sequence for record in fresh]
    for chunk in _chunks(fresh, where, store.max_sheets_per_write, store.max_counts_per_sheet):
        if not chunk.sheets:
            continue  # counts for nothing: the mark may stay where it is
        try:
            store.apply(batch.stream, batch.shard, mark, chunk.last, chunk.sheets)
        except Exception:
            failed = [record.sequence for record in fresh[chunk.start :]]
            logger.exception(
                "scores: a chunk could not be counted; it and the rest of the batch are retried",
                extra={**_position(batch), "first_sequence": failed[0], "records": len(failed)},
            )
            metrics.add_metric(name="ScoreRecordsNotCounted", unit="Count", value=len(failed))
            return failed
        mark = chunk.last
        metrics.add_metric(name="ScoreSheetWrites", unit="Count", value=len(chunk.sheets))
    metrics.add_metric(name="ScoreRecordsCounted", unit="Count", value=len(fresh))
    return []


def _after(sequence: str, mark: str | None) -> bool:
    # Sequence numbers are decimal strings of any length: compared as numbers.
    return mark is None or int(sequence) > int(mark)


def _position(batch: StreamBatch) -> dict[str, str]:
    return {"shard": batch.shard, "stream": batch.stream}


def _placed_records(fresh: Sequence[StreamRecord], stores: Stores) -> list[dict[SheetKey, SheetCounts]]:
    """Each record's counts on their sheets. A task counts where its rating does: the ratings of
    the batch's tasks are read in one request, except those the batch itself carries."""
    carried: dict[str, Rating] = {}
    wanted: set[str] = set()
    for record in fresh:
        if isinstance(record.change, RatingChanged):
            carried[record.change.rating.tracking_code] = record.change.rating
        elif isinstance(record.change, TaskChanged) and record.change.may_count:
            wanted.add(record.change.tracking_code)
    missing = wanted - set(carried)
    ratings = {**(stores.ratings.get_many(sorted(missing)) if missing else {}), **carried}
    result: list[dict[SheetKey, SheetCounts]] = []
    for record in fresh:
        change = record.change
        if record.unreadable:
            # Logged and reported by the bad-review path; here it counts for nothing.
            metrics.add_metric(name="ScoreRecordsUnreadable", unit="Count", value=1)
            result.append({})
        elif isinstance(change, RatingChanged):
            result.append(placed(change.rating, change.counts()))
        elif isinstance(change, TaskChanged) and change.may_count:
            rating = ratings.get(change.tracking_code)
            if rating is None:
                logger.error(
                    "scores: a task without its rating counts for nothing", extra={"sequence": record.sequence}
                )
                metrics.add_metric(name="ScoreRecordsUnreadable", unit="Count", value=1)
                result.append({})
            else:
                result.append(placed(rating, change.counts(rating)))
        else:
            result.append({})
    return result


def _chunks(
    fresh: Sequence[StreamRecord], where: Sequence[dict[SheetKey, SheetCounts]], max_sheets: int, max_counts: int
) -> list[_Chunk]:
    """Consecutive records whose aggregated counts fit one write: at most ``max_sheets`` sheets, at
    most ``max_counts`` counters on each. One record alone always fits (three sheets, a few
    dozen counters)."""
    chunks: list[_Chunk] = []
    for index, (record, sheets) in enumerate(zip(fresh, where, strict=True)):
        if not chunks or not _fits(chunks[-1].sheets, sheets, max_sheets, max_counts):
            chunks.append(_Chunk(start=index, last=record.sequence))
        add_to(chunks[-1].sheets, sheets)
        chunks[-1].last = record.sequence
    return chunks


def _fits(
    sheets: dict[SheetKey, SheetCounts], more: dict[SheetKey, SheetCounts], max_sheets: int, max_counts: int
) -> bool:
    if len(sheets.keys() | more.keys()) > max_sheets:
        return False
    return all(len(sheets.get(key, {}).keys() | entries.keys()) <= max_counts for key, entries in more.items())


def figures_for(period: Period, stores: Stores) -> dict[Scope, Figures]:
    """Every window's, staff member's, department's, hall's and the division's figures for a period."""
    return {scope: figures(counts) for scope, counts in board(stores.scores.sheets(period)).items()}


def assessment_for(period: Period, stores: Stores, rules: AssessmentRules) -> Assessment:
    """A period's figures, rankings and lists, read from its score sheets (never from the ratings).

    The key-supervision list 重点对象 is a month's: for a day or a year it is left empty."""
    return assess(board(stores.scores.sheets(period)), rules, monthly=period.kind == PeriodKind.MONTH)
