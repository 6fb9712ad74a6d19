"""PostgreSQL restarts under a running daemon: it reconnects and carries on, nothing lost."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from bot.eventlog.postgres import PostgresEventLog
from bot.standins.gnw import GlobeNewswireStandIn
from handlers.queries import status
from tests.conftest import UNDER_CI, eventually
from tests.daemon.test_daemon import seed_release
from tests.daemon.test_replicas import replica
from tests.feeds.conftest import release


def restart_command() -> list[str] | None:
    clusters = Path("/etc/postgresql")
    if shutil.which("pg_ctlcluster") is None or not clusters.is_dir() or os.geteuid() != 0:
        return None
    versions = sorted(p.name for p in clusters.iterdir())
    if not versions:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"]


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_the_daemon_survives_a_postgresql_restart(
    gnw: GlobeNewswireStandIn, pg_schema: tuple[str, str], tmp_path: Path
) -> None:
    command = restart_command()
    if command is None:
        if UNDER_CI:
            pytest.fail("cannot restart PostgreSQL here (needs root and pg_ctlcluster)")
        pytest.skip("cannot restart PostgreSQL here (needs root and pg_ctlcluster)")
    dsn, schema = pg_schema
    gnw.add(seed_release())
    daemon = replica(gnw, dsn, schema)
    stop = asyncio.Event()
    running = asyncio.create_task(daemon.run(stop))
    try:
        async with asyncio.timeout(30):
            await daemon.started.wait()
        reader = await PostgresEventLog.open(dsn, schema=schema)

        async def knows_clrb() -> bool:
            return bool(await status(reader, "CLRB"))

        await eventually(knows_clrb, reader)
        await reader.close()

        # pg_ctlcluster restart returns once the server accepts connections again.
        restart = await asyncio.create_subprocess_exec(*command)
        assert await restart.wait() == 0
        gnw.add(release(9))  # news while the daemon reconnects
        reader = await PostgresEventLog.open(dsn, schema=schema)

        async def recorded_after_restart() -> bool:
            docs = await status(reader, "CLRB")
            return bool(docs) and docs[0].releases == 2

        try:
            await eventually(recorded_after_restart, reader, within=60)
        finally:
            await reader.close()
        assert not running.done()
    finally:
        stop.set()
        async with asyncio.timeout(30):
            await running
