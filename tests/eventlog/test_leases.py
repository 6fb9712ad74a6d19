"""Leases: one holder at a time across processes; a dead holder's lease is taken over."""

from __future__ import annotations

from pathlib import Path

from bot.eventlog.postgres import PostgresEventLog
from bot.eventlog.sqlite import SQLiteEventLog
from tests.eventlog.conftest import OpenLog


async def test_a_lease_is_held_until_released(open_log: OpenLog) -> None:
    log = await open_log()
    assert await log.try_lease("feed:biotech")
    assert await log.try_lease("feed:biotech")  # re-entrant for its holder
    assert log.leases == {"feed:biotech"}
    await log.release_lease("feed:biotech")
    assert log.leases == frozenset()


async def test_postgres_leases_exclude_other_replicas_and_pass_on_when_one_dies(
    pg_schema: tuple[str, str],
) -> None:
    dsn, schema = pg_schema
    first = await PostgresEventLog.open(dsn, schema=schema)
    second = await PostgresEventLog.open(dsn, schema=schema)
    try:
        assert await first.try_lease("subscriber:trial-state")
        assert not await second.try_lease("subscriber:trial-state")
        assert await second.try_lease("feed:biotech")  # other leases are free
        assert not await first.try_lease("feed:biotech")
        await first.close()  # the holder dies: the server frees its lease
        assert await second.try_lease("subscriber:trial-state")
    finally:
        await first.close()
        await second.close()


async def test_sqlite_leases_are_in_process(tmp_path: Path) -> None:
    log = await SQLiteEventLog.open(tmp_path / "e.db")
    try:
        assert await log.try_lease("feed:a")
    finally:
        await log.close()
