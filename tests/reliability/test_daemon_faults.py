"""The fault matrix against the running daemon: it stays up, /healthz says what happened,
the other feeds are unaffected, and no release is lost or doubled."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.daemon import Daemon
from bot.eventlog.sqlite import SQLiteEventLog
from bot.events import DOMAIN_EVENTS, ReleaseReceived
from bot.settings import parse_settings
from bot.standins.gnw import Fault, FaultKind, GlobeNewswireStandIn
from tests.conftest import eventually
from tests.feeds.conftest import release

SELECTA = "Selecta Biosciences, Inc."
FEED_FAULTS = [
    (Fault(kind=FaultKind.SLOW, delay=3.0), "timeout"),
    (Fault(kind=FaultKind.SERVER_ERROR), "http-5xx"),
    (Fault(kind=FaultKind.UNAVAILABLE, retry_after=1), "http-5xx"),
    (Fault(kind=FaultKind.RATE_LIMITED, retry_after=1), "rate-limited"),
    (Fault(kind=FaultKind.MALFORMED), "malformed-feed"),
    (Fault(kind=FaultKind.HUGE, size=50 * 1024 * 1024), "too-large"),
    (Fault(kind=FaultKind.GZIP_BOMB), "too-large"),
    (Fault(kind=FaultKind.REDIRECT_LOOP), "redirect-loop"),
    (Fault(kind=FaultKind.RESET), "connection"),
    (Fault(kind=FaultKind.NOT_FOUND), "http-4xx"),
]
# Damaged but partly readable, or items whose GUIDs keep changing: used, not failed.
SURVIVABLE = [Fault(kind=FaultKind.TRUNCATED), Fault(kind=FaultKind.NON_UTF8),
              Fault(kind=FaultKind.NEW_GUIDS)]  # fmt: skip


def daemon_for(gnw: GlobeNewswireStandIn, tmp_path: Path) -> Daemon:
    return Daemon(
        settings=parse_settings(
            {
                "log": {"url": f"sqlite:///{tmp_path}/events.db"},
                "globenewswire": {"base_url": gnw.base_url},
                "poller": {"alert_first_poll": True, "interval": 1, "jitter": 0, "timeout": 1,
                           "max_feed_bytes": 1024 * 1024, "backoff_base": 1, "backoff_cap": 2},
                "daemon": {"http_port": 0, "shutdown_timeout": 5},
                "feeds": [
                    {"name": "faulty", "organization": "cellectar-biosciences-inc"},
                    {"name": "fine", "organization": "selecta-biosciences-inc"},
                ],
            }
        )
    )  # fmt: skip


async def run_with(
    gnw: GlobeNewswireStandIn, tmp_path: Path, check: object
) -> tuple[dict[str, object], list[str]]:
    daemon = daemon_for(gnw, tmp_path)
    stop = asyncio.Event()
    running = asyncio.create_task(daemon.run(stop))
    reader = await SQLiteEventLog.open(tmp_path / "events.db", poll_interval=0.05)
    try:
        async with asyncio.timeout(20):
            await daemon.started.wait()
        assert callable(check)
        await eventually(lambda: check(daemon, reader), reader, within=30)
        health = await daemon.health()
        ids = [
            DOMAIN_EVENTS.decode_as(ReleaseReceived, e.schema_version, e.data).release_id
            async for e in reader.read(types={ReleaseReceived.TYPE})
        ]
        assert not running.done(), "the daemon must stay up"
        return health, ids
    finally:
        stop.set()
        async with asyncio.timeout(20):
            await running
        await reader.close()


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "kind"), FEED_FAULTS, ids=[f.kind.value for f, _ in FEED_FAULTS])
async def test_a_faulty_feed_is_reported_and_the_others_carry_on(
    gnw: GlobeNewswireStandIn, tmp_path: Path, fault: Fault, kind: str
) -> None:
    gnw.add(release(1), release(2, company=SELECTA, tickers=("Nasdaq:SELB",)))
    gnw.inject("/RssFeed/organization/cellectar", fault)

    async def fine_recorded_faulty_reported(daemon: Daemon, reader: SQLiteEventLog) -> bool:
        feeds = (await daemon.health())["feeds"]
        faulty = feeds["faulty"]
        return bool(
            feeds["fine"]["health"] == "ok"
            and faulty["consecutive_failures"] >= 1
            and kind in str(await _last_kind(daemon))
        )

    health, ids = await run_with(gnw, tmp_path, fine_recorded_faulty_reported)
    assert ids == ["2000002"]  # the fine feed's release, once
    assert health["feeds"]["faulty"]["health"] in ("backing off", "failing")  # type: ignore[index]


@pytest.mark.slow
@pytest.mark.parametrize("fault", SURVIVABLE, ids=[f.kind.value for f in SURVIVABLE])
async def test_damaged_feeds_are_used_and_nothing_is_doubled(
    gnw: GlobeNewswireStandIn, tmp_path: Path, fault: Fault
) -> None:
    gnw.add(*(release(n) for n in range(1, 6)))
    gnw.add(release(9, company=SELECTA, tickers=("Nasdaq:SELB",)))
    gnw.inject("/RssFeed/organization/cellectar", Fault(kind=fault.kind, times=2))

    async def everything_recorded(daemon: Daemon, reader: SQLiteEventLog) -> bool:
        count = 0
        async for _ in reader.read(types={ReleaseReceived.TYPE}):
            count += 1
        return count >= 6

    _, ids = await run_with(gnw, tmp_path, everything_recorded)
    assert sorted(ids) == sorted({*ids}) == [str(2_000_000 + n) for n in (1, 2, 3, 4, 5, 9)]


@pytest.mark.slow
async def test_a_vanished_page_is_reported_and_retried(
    gnw: GlobeNewswireStandIn, tmp_path: Path
) -> None:
    gnw.add(release(1), release(2))
    gnw.inject(release(2).path, Fault(kind=FaultKind.NOT_FOUND, times=1))

    async def both_recorded(daemon: Daemon, reader: SQLiteEventLog) -> bool:
        count = 0
        async for _ in reader.read(types={ReleaseReceived.TYPE}):
            count += 1
        return count == 2

    _, ids = await run_with(gnw, tmp_path, both_recorded)
    assert sorted(ids) == ["2000001", "2000002"]


async def _last_kind(daemon: Daemon) -> str | None:
    parts = daemon._parts
    assert parts is not None
    return (await parts.poller.state("faulty")).last_error_kind
