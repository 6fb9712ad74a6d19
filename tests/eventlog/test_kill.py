"""A hard kill mid-append never leaves a partial batch visible."""

from __future__ import annotations

import asyncio
import random
import signal
import sys
from collections import Counter, defaultdict
from pathlib import Path

import msgspec
import pytest

from bot.eventlog import EventLog
from bot.eventlog.postgres import PostgresEventLog
from bot.eventlog.sqlite import SQLiteEventLog
from tests.eventlog.factories import batch

BATCH = 400
ROOT = Path(__file__).resolve().parents[2]


async def _kill_during_appends(log: EventLog, url: str, schema: str, rounds: int) -> int:
    """Start the appender, SIGKILL it at a random moment, ``rounds`` times; returns kills."""
    rng = random.Random(20170222)
    kills = 0
    for _ in range(rounds):
        before = await log.last_position()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.eventlog.appender", url, schema, str(BATCH), cwd=ROOT
        )
        # Kill at a random position that is not a batch boundary: the appender
        # writes back to back, so it is almost always inside a transaction.
        target = before + rng.randrange(1, 6) * BATCH + rng.randrange(1, BATCH)
        async with asyncio.timeout(30):
            while await log.wait_for_events(before) < target and proc.returncode is None:
                before = await log.last_position()
        assert proc.returncode is None, "the appender died on its own"
        proc.send_signal(signal.SIGKILL)
        assert await proc.wait() == -signal.SIGKILL
        kills += 1
    return kills


async def _assert_only_whole_batches(log: EventLog) -> int:
    parts: dict[str, Counter[int]] = defaultdict(Counter)
    versions: dict[str, list[int]] = defaultdict(list)
    async for event in log.read():
        data = msgspec.json.decode(event.data)
        parts[data["batch"]][data["i"]] += 1
        versions[event.stream].append(event.stream_version)
    for batch_id, seen in parts.items():
        assert sorted(seen) == list(range(BATCH)), f"batch {batch_id} is partial"
        assert set(seen.values()) == {1}
    for stream, numbers in versions.items():
        assert numbers == list(range(1, len(numbers) + 1)), f"{stream} has holes"
    return len(parts)


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_sqlite_sigkill_mid_append_leaves_whole_batches(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    log = await SQLiteEventLog.open(path, poll_interval=0.01)
    try:
        kills = await _kill_during_appends(log, f"sqlite:///{path}", "unused", rounds=5)
    finally:
        await log.close()
    reopened = await SQLiteEventLog.open(path)  # recovery after the last kill
    try:
        assert await _assert_only_whole_batches(reopened) >= kills
        await reopened.append("after", batch(1))
    finally:
        await reopened.close()


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_postgres_sigkill_mid_append_leaves_whole_batches(pg_schema) -> None:
    dsn, schema = pg_schema
    log = await PostgresEventLog.open(dsn, schema=schema)
    try:
        kills = await _kill_during_appends(log, dsn, schema, rounds=5)
        assert await _assert_only_whole_batches(log) >= kills
        await log.append("after", batch(1))  # the killed session's lock is gone
    finally:
        await log.close()
