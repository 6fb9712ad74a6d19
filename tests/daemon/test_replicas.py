"""Two replicas on one PostgreSQL log: one polls each feed, one runs each subscriber, and
the survivor takes over when the other stops."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from bot.compose import SlackSecrets
from bot.daemon import Daemon
from bot.eventlog.postgres import PostgresEventLog
from bot.events import ReleaseReceived
from bot.settings import parse_settings
from bot.standins.gnw import GlobeNewswireStandIn
from bot.standins.slack import BOT_TOKEN, SlackStandIn
from handlers.queries import status
from tests.conftest import eventually
from tests.daemon.test_daemon import seed_release, wait_for_company
from tests.feeds.conftest import release


def replica(
    gnw: GlobeNewswireStandIn, dsn: str, schema: str, slack: SlackStandIn | None = None
) -> Daemon:
    config: dict[str, object] = {
        "log": {"url": dsn, "schema": schema},
        "globenewswire": {"base_url": gnw.base_url},
        "poller": {"alert_first_poll": True, "interval": 1, "jitter": 0},
        "daemon": {"http_port": 0, "shutdown_timeout": 5, "lease_recheck": 0.2},
        "feeds": [{"name": "cellectar", "organization": "cellectar-biosciences-inc"}],
    }
    secrets = SlackSecrets()
    if slack is not None:
        config["slack"] = {"api_url": slack.api_url, "default_channel": "C0TRIALS",
                           "max_delay_hours": 1_000_000}  # fmt: skip
        secrets = SlackSecrets(bot_token=BOT_TOKEN)
    return Daemon(settings=parse_settings(config), secrets=secrets, alert_output=lambda _: None)


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


async def test_two_replicas_post_each_alert_once(
    gnw: GlobeNewswireStandIn, pg_schema: tuple[str, str]
) -> None:
    dsn, schema = pg_schema
    slack = SlackStandIn(channels={"C0TRIALS": "trials"})
    await slack.start()
    replicas = [replica(gnw, dsn, schema, slack), replica(gnw, dsn, schema, slack)]
    stops = [asyncio.Event(), asyncio.Event()]
    runs = [asyncio.create_task(d.run(s)) for d, s in zip(replicas, stops, strict=True)]
    try:
        async with asyncio.timeout(30):
            await asyncio.gather(*(d.started.wait() for d in replicas))
        await gnw.wait_for_requests(1)  # the first poll saw an empty feed: what follows is news
        gnw.add(seed_release())
        await slack.wait_for(lambda: len(slack.posted("C0TRIALS")) == 1, within=60)
        gnw.add(replace(seed_release(), release_id="4114962", title="Another CLR 131 update"))
        await slack.wait_for(lambda: len(slack.posted("C0TRIALS")) == 2, within=60)
        for stop in stops:  # both drain; nothing is posted twice on the way out
            stop.set()
        await asyncio.gather(*runs)
        assert len(slack.posted("C0TRIALS")) == 2
    finally:
        for stop in stops:
            stop.set()
        await asyncio.gather(*runs, return_exceptions=True)
        await slack.close()


async def _has_release(log: PostgresEventLog, release_id: str) -> bool:
    from bot.events import DOMAIN_EVENTS

    async for recorded in log.read(types={ReleaseReceived.TYPE}):
        found = DOMAIN_EVENTS.decode_as(ReleaseReceived, recorded.schema_version, recorded.data)
        if found.release_id == release_id:
            return True
    return False
