"""Waiters wake on new events at once: an in-process signal, LISTEN/NOTIFY across processes."""

from __future__ import annotations

import asyncio

import pytest

from bot.eventlog.postgres import PostgresEventLog
from bot.eventlog.sqlite import SQLiteEventLog
from tests.eventlog.conftest import OpenLog
from tests.eventlog.factories import batch


async def test_a_waiter_wakes_when_its_own_log_appends(open_log: OpenLog) -> None:
    log = await open_log(poll_interval=3600.0)
    start = await log.last_position()
    waiter = asyncio.create_task(log.wait_for_events(start))
    await asyncio.sleep(0)
    assert not waiter.done()
    result = await log.append("s", batch(3))
    async with asyncio.timeout(5):
        assert await waiter == result.positions[-1]


async def test_a_unit_of_work_wakes_waiters_when_it_commits(open_log: OpenLog) -> None:
    log = await open_log(poll_interval=3600.0)
    waiter = asyncio.create_task(log.wait_for_events(0))
    async with log.transaction() as uow:
        await uow.append("s", batch(1))
        await asyncio.sleep(0)
        assert not waiter.done()
    async with asyncio.timeout(5):
        assert await waiter >= 1


@pytest.mark.parametrize("size", [2, 40])
async def test_postgres_wakes_a_waiter_in_another_process_by_notify(pg_schema, size: int) -> None:
    dsn, schema = pg_schema
    waiting = await PostgresEventLog.open(dsn, schema=schema, poll_interval=3600.0)
    writing = await PostgresEventLog.open(dsn, schema=schema)
    try:
        waiter = asyncio.create_task(waiting.wait_for_events(0))
        result = await writing.append("s", batch(size))
        async with asyncio.timeout(5):
            assert await waiter == result.positions[-1]
    finally:
        await waiting.close()
        await writing.close()


@pytest.mark.parametrize("poll_interval", [0.05])
async def test_sqlite_sees_another_process_appends_by_its_fallback_poll(
    tmp_path, poll_interval: float
) -> None:
    waiting = await SQLiteEventLog.open(tmp_path / "e.db", poll_interval=poll_interval)
    writing = await SQLiteEventLog.open(tmp_path / "e.db")
    try:
        waiter = asyncio.create_task(waiting.wait_for_events(0))
        await writing.append("s", batch(1))
        async with asyncio.timeout(5):
            assert await waiter == 1
    finally:
        await waiting.close()
        await writing.close()
