"""Catch-up subscriptions: durable checkpoints, exactly-once state, resumption after a crash."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

import msgspec
import pytest

from bot.eventlog import CatchUpSubscription, EventLog, RecordedEvent, UnitOfWork
from bot.eventlog.sqlite import SQLiteEventLog
from tests.eventlog.conftest import OpenLog
from tests.eventlog.factories import batch


class Crash(Exception):
    pass


class CountingProjection:
    """Counts events per stream; keeps its counts in the log's database."""

    def __init__(self, *, crash_at: int | None = None, types: Collection[str] | None = None):
        self.name = "counter"
        self.types = types
        self.crash_at = crash_at
        self.seen: list[int] = []
        self._progress = asyncio.Condition()

    async def handle(self, uow: UnitOfWork, events: Sequence[RecordedEvent]) -> None:
        raw = await uow.get_state("counter", "counts")
        counts: dict[str, int] = msgspec.json.decode(raw) if raw else {}
        for event in events:
            if event.position == self.crash_at:
                raise Crash(event.position)
            counts[event.stream] = counts.get(event.stream, 0) + 1
            self.seen.append(event.position)
        await uow.put_state("counter", "counts", msgspec.json.encode(counts))
        async with self._progress:
            self._progress.notify_all()

    async def wait_until_seen(self, count: int) -> None:
        async with self._progress:
            await self._progress.wait_for(lambda: len(self.seen) >= count)


async def _counts(log: EventLog) -> dict[str, int]:
    raw = await log.get_state("counter", "counts")
    return msgspec.json.decode(raw) if raw else {}


async def test_catch_up_handles_everything_and_stores_the_checkpoint(log: EventLog) -> None:
    for i in range(5):
        await log.append(f"s{i % 2}", batch(5, start=5 * i))
    sub = CatchUpSubscription(log, CountingProjection(), page_size=4)

    assert await sub.catch_up() == 25
    assert await _counts(log) == {"s0": 15, "s1": 10}
    assert await log.get_checkpoint("counter") == await log.last_position()
    assert await sub.catch_up() == 0
    assert await sub.lag() == 0


async def test_a_crash_mid_page_resumes_without_skipping_or_double_counting(
    open_log: OpenLog,
) -> None:
    log = await open_log()
    await log.append("s", batch(25))
    positions = [e.position async for e in log.read()]
    crashing = CountingProjection(crash_at=positions[14])

    with pytest.raises(Crash):
        await CatchUpSubscription(log, crashing, page_size=10).catch_up()
    assert await log.get_checkpoint("counter") == positions[9]
    assert await _counts(log) == {"s": 10}

    restarted_log = await open_log()  # as a fresh process would
    resumed = CountingProjection()
    assert await CatchUpSubscription(restarted_log, resumed, page_size=10).catch_up() == 15
    assert resumed.seen == positions[10:]
    assert await _counts(restarted_log) == {"s": 25}


class FoldingProjection:
    """Folds pages in memory; writes its counts once per unit of work, in ``flush``."""

    name = "folder"
    types = None

    def __init__(self, *, crash_at: int | None = None) -> None:
        self.crash_at = crash_at
        self.counts: dict[str, int] | None = None
        self.flushes: list[int] = []  # how many events each flush wrote

    async def handle(self, uow: UnitOfWork, events: Sequence[RecordedEvent]) -> None:
        if self.counts is None:
            raw = await uow.get_state("folder", "counts")
            self.counts = msgspec.json.decode(raw) if raw else {}
        for event in events:
            if event.position == self.crash_at:
                raise Crash(event.position)
            self.counts[event.stream] = self.counts.get(event.stream, 0) + 1

    async def flush(self, uow: UnitOfWork) -> None:
        assert self.counts is not None
        await uow.put_state("folder", "counts", msgspec.json.encode(self.counts))
        self.flushes.append(sum(self.counts.values()))

    def discard(self) -> None:
        self.counts = None


async def test_pages_share_a_unit_of_work_up_to_commit_every(open_log: OpenLog) -> None:
    log = await open_log()
    await log.append("s", batch(47))
    positions = [e.position async for e in log.read()]
    crashing = FoldingProjection(crash_at=positions[35])

    with pytest.raises(Crash):
        await CatchUpSubscription(log, crashing, page_size=5, commit_every=15).catch_up()
    # Groups of three pages commit whole: 15 and 30 events; the third group is lost.
    assert crashing.flushes == [15, 30]
    assert await log.get_checkpoint("folder") == positions[29]
    assert msgspec.json.decode(await log.get_state("folder", "counts") or b"") == {"s": 30}

    resumed = FoldingProjection()
    run = CatchUpSubscription(await open_log(), resumed, page_size=5, commit_every=15)
    assert await run.catch_up() == 17
    assert resumed.flushes == [45, 47]  # a full group, then the short tail
    assert await log.get_checkpoint("folder") == positions[-1]
    assert msgspec.json.decode(await log.get_state("folder", "counts") or b"") == {"s": 47}


async def test_a_subscriber_that_writes_as_it_handles_commits_each_page(
    open_log: OpenLog,
) -> None:
    log = await open_log()
    await log.append("s", batch(12))
    positions = [e.position async for e in log.read()]
    crashing = CountingProjection(crash_at=positions[10])  # no flush: writes in handle

    with pytest.raises(Crash):
        await CatchUpSubscription(log, crashing, page_size=5, commit_every=100).catch_up()
    assert await log.get_checkpoint("counter") == positions[9]  # two pages committed
    assert await _counts(log) == {"s": 10}


async def test_a_filtered_subscriber_moves_its_checkpoint_past_other_types(log: EventLog) -> None:
    await log.append("s", batch(3, type="Wanted"))
    await log.append("s", batch(4, type="Other"))
    projection = CountingProjection(types={"Wanted"})
    sub = CatchUpSubscription(log, projection)

    assert await sub.catch_up() == 3
    assert await log.get_checkpoint("counter") == await log.last_position()
    assert len(projection.seen) == 3


async def test_two_runners_of_one_subscriber_never_apply_a_page_twice(open_log: OpenLog) -> None:
    log_a, log_b = await open_log(), await open_log()
    await log_a.append("s", batch(40))
    runs = [
        CatchUpSubscription(log_a, CountingProjection(), page_size=5),
        CatchUpSubscription(log_b, CountingProjection(), page_size=5),
    ]
    results = await asyncio.gather(*(r.catch_up() for r in runs), return_exceptions=True)
    assert all(isinstance(r, int | Exception) for r in results)
    for run in runs:  # whoever lost a race finishes the remainder
        await run.catch_up()
    assert await _counts(log_a) == {"s": 40}


async def test_a_running_subscription_follows_new_events_without_polling(
    open_log: OpenLog,
) -> None:
    follower_log = await open_log(poll_interval=3600.0)
    # PostgreSQL wakes followers in other processes (NOTIFY); SQLite's signal is
    # in-process, so there the writer is the daemon's own log.
    writer_log = follower_log if isinstance(follower_log, SQLiteEventLog) else await open_log()
    projection = CountingProjection()
    sub = CatchUpSubscription(follower_log, projection)
    stop = asyncio.Event()
    runner = asyncio.create_task(sub.run(stop))
    try:
        await follower_log.append("s", batch(2))
        async with asyncio.timeout(10):
            await projection.wait_until_seen(2)
        await writer_log.append("s", batch(3, start=2))
        async with asyncio.timeout(10):
            await projection.wait_until_seen(5)
    finally:
        stop.set()
        async with asyncio.timeout(10):
            await runner
    assert await _counts(writer_log) == {"s": 5}
