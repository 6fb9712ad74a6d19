"""Two replicas on one PostgreSQL log: one polls each feed, one runs each subscriber, and
the survivor takes over when the other stops."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.daemon import Daemon
from bot.eventlog.postgres import PostgresEventLog
from bot.events import ReleaseReceived
from bot.settings import parse_settings
from bot.standins.gnw import GlobeNewswireStandIn
from handlers.queries import status
from tests.conftest import eventually
from tests.daemon.test_daemon import seed_release, wait_for_company
from tests.feeds.conftest import release


def replica(gnw: GlobeNewswireStandIn, dsn: str, schema: str) -> Daemon:
    settings = parse_settings(
        {
            "log": {"url": dsn, "schema": schema},
            "globenewswire": {"base_url": gnw.base_url},
            "poller": {"alert_first_poll": True, "interval": 1, "jitter": 0},
            "daemon": {"http_port": 0, "shutdown_timeout": 5, "lease_recheck": 0.2},
            "feeds": [{"name": "cellectar", "organization": "cellectar-biosciences-inc"}],
        }
    )
    return Daemon(settings=settings)


async def test_two_replicas_share_the_work_and_take_over(
    gnw: GlobeNewswireStandIn, pg_schema: tuple[str, str], tmp_path: Path
) -> None:
    dsn, schema = pg_schema
    gnw.add(seed_release())
    first, second = replica(gnw, dsn, schema), replica(gnw, dsn, schema)
    stops = [asyncio.Event(), asyncio.Event()]
    runs = [asyncio.create_task(d.run(s)) for d, s in zip((first, second), stops, strict=True)]
    reader = await PostgresEventLog.open(dsn, schema=schema)
    try:
        async with asyncio.timeout(30):
            await asyncio.gather(first.started.wait(), second.started.wait())
        await wait_for_company(reader, "CLRB")
        healths = [await d.health() for d in (first, second)]
        pollers = [h["feeds"]["cellectar"]["polled_here"] for h in healths]
        assert sorted(pollers) == [False, True]
        for name in ("extraction", "guidance-tracker", "trial-state"):
            assert sorted(h["subscribers"][name]["runs_here"] for h in healths) == [False, True]

        holder = pollers.index(True)
        stops[holder].set()  # the replica doing the work goes away
        await runs[holder]
        survivor = (second, first)[holder]
        gnw.add(release(7))  # news after the takeover

        async def recorded_and_projected() -> bool:
            if not await _has_release(reader, "2000007"):
                return False
            docs = await status(reader, "CLRB")
            return bool(docs) and docs[0].releases == 2

        await eventually(recorded_and_projected, reader)
        health = await survivor.health()
        assert health["feeds"]["cellectar"]["polled_here"]
        assert all(s["runs_here"] for s in health["subscribers"].values())
        releases = [e async for e in reader.read(types={ReleaseReceived.TYPE})]
        assert len(releases) == 2  # each release once, whoever polled it
    finally:
        for stop in stops:
            stop.set()
        await asyncio.gather(*runs, return_exceptions=True)
        await reader.close()


async def _has_release(log: PostgresEventLog, release_id: str) -> bool:
    from bot.events import DOMAIN_EVENTS

    async for recorded in log.read(types={ReleaseReceived.TYPE}):
        found = DOMAIN_EVENTS.decode_as(ReleaseReceived, recorded.schema_version, recorded.data)
        if found.release_id == release_id:
            return True
    return False
