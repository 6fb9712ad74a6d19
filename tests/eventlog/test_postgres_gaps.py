"""PostgreSQL: a follower never skips an event whose transaction commits late.

A naive store hands out positions from a sequence at insert time: a slow
transaction takes position 1, a fast one takes 2 and commits, a follower
reads 2 and moves its checkpoint past 1 for ever. Here appends hold a table
lock until commit, so the fast append waits and positions become visible in
order.
"""

from __future__ import annotations

import asyncio
import random

import asyncpg

from bot.eventlog import EventLog
from bot.eventlog.postgres import PostgresEventLog
from tests.eventlog.factories import batch


async def _wait_until_blocked_on_a_lock(dsn: str, schema: str) -> None:
    """Poll pg_stat_activity until an append of this schema waits for a lock."""
    conn = await asyncpg.connect(dsn)
    try:
        async with asyncio.timeout(10):
            while not await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE '%tw_append%' AND pid <> pg_backend_pid()"
            ):
                pass
    finally:
        await conn.close()


async def test_a_late_commit_is_not_skipped_by_a_follower(pg_schema) -> None:
    dsn, schema = pg_schema
    log = await PostgresEventLog.open(dsn, schema=schema)
    try:
        follower_checkpoint = 0
        async with log.transaction() as slow:
            await slow.append("slow", batch(1))
            fast = asyncio.create_task(log.append("fast", batch(1)))
            await _wait_until_blocked_on_a_lock(dsn, schema)
            assert not fast.done()
            visible = [e async for e in log.read(from_position=follower_checkpoint)]
            assert visible == []  # plain reads are not blocked, and see neither yet
        fast_result = await fast
        seen = [e async for e in log.read(from_position=follower_checkpoint)]
        assert [e.stream for e in seen] == ["slow", "fast"]
        assert seen[-1].position == fast_result.positions[-1]
    finally:
        await log.close()


async def _follow(log: EventLog, stop: asyncio.Event, seen: list[int]) -> None:
    """A follower that reads from its checkpoint again and again, as a subscriber does."""
    checkpoint = 0
    while True:
        finished = stop.is_set()
        async for event in log.read(from_position=checkpoint):
            seen.append(event.position)
            checkpoint = event.position
        if finished:
            return
        await asyncio.sleep(0)


async def test_followers_see_every_event_under_concurrent_slow_transactions(pg_schema) -> None:
    dsn, schema = pg_schema
    log = await PostgresEventLog.open(dsn, schema=schema, max_size=12)
    rng = random.Random(7)
    try:
        stop = asyncio.Event()
        seen: list[int] = []
        follower = asyncio.create_task(_follow(log, stop, seen))

        async def writer(n: int) -> None:
            for i in range(15):
                async with log.transaction() as uow:
                    await uow.append(f"w{n}", batch(rng.randrange(1, 4), start=i))
                    for _ in range(rng.randrange(0, 5)):  # hold the transaction open a while
                        await uow.get_checkpoint(f"idle-{n}")

        await asyncio.gather(*(writer(n) for n in range(8)))
        stop.set()
        await follower
        stored = [e.position async for e in log.read()]
        assert seen == stored
    finally:
        await log.close()
