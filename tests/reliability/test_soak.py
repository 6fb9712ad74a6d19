"""Soak: 30 simulated minutes of polling 200 feeds with faults; memory flat, no task leak."""

from __future__ import annotations

import asyncio
import gc
import random
import tracemalloc
from dataclasses import replace

import aiohttp
import pytest

from bot.eventlog import EventLog
from bot.events import DOMAIN_EVENTS, ReleaseReceived
from bot.feeds.fetch import Limits
from bot.feeds.model import FeedSpec
from bot.feeds.poller import FeedPoller
from bot.standins.gnw import Fault, FaultKind, GlobeNewswireStandIn, slug
from tests.conftest import FakeClock
from tests.feeds.conftest import SETTINGS, release

FEEDS = 200
MINUTES = 30
FAULTS = [
    Fault(kind=FaultKind.SERVER_ERROR, times=1),
    Fault(kind=FaultKind.RATE_LIMITED, times=1, retry_after=120),
    Fault(kind=FaultKind.MALFORMED, times=1),
    Fault(kind=FaultKind.TRUNCATED, times=1),
    Fault(kind=FaultKind.NOT_FOUND, times=1),
    Fault(kind=FaultKind.RESET, times=1),
    Fault(kind=FaultKind.REDIRECT_LOOP, times=1),
    Fault(kind=FaultKind.SLOW, times=1, delay=1.0),
]


def ours() -> int:
    """Tasks of trialwire's side; the stand-in's keep-alive request handlers are not ours."""
    return len([t for t in asyncio.all_tasks() if "RequestHandler" not in repr(t.get_coro())])


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_thirty_minutes_of_two_hundred_feeds_with_faults(
    gnw: GlobeNewswireStandIn,
    session: aiohttp.ClientSession,
    event_log: EventLog,
    clock: FakeClock,
) -> None:
    rng = random.Random(30)
    companies = [f"Soak Company {n:03d}, Inc." for n in range(FEEDS)]
    specs = [
        FeedSpec(
            name=f"feed-{n}", url=gnw.feed_url("organization", slug(name).lower()), interval=60
        )
        for n, name in enumerate(companies)
    ]
    settings = replace(SETTINGS, feed_limits=Limits(timeout=0.3, max_bytes=256 * 1024))
    poller = FeedPoller(event_log, session, DOMAIN_EVENTS, clock=clock, random=rng.random,
                        settings=settings)  # fmt: skip
    tasks_before = ours()
    published = 0
    samples: dict[int, int] = {}
    tracemalloc.start()
    try:
        for minute in range(MINUTES):
            for _ in range(5):  # news keeps arriving
                n = rng.randrange(FEEDS)
                gnw.add(replace(release(published, company=companies[n], tickers=()),
                                release_id=str(9_000_000 + published)))  # fmt: skip
                published += 1
            for spec in rng.sample(specs, k=8):
                gnw.inject(spec.url.removeprefix(gnw.base_url), rng.choice(FAULTS))
            outcomes = await asyncio.gather(*(poller.poll(spec) for spec in specs))
            assert {o.status for o in outcomes} <= {"skipped", "updated", "not-modified", "failed"}
            clock.advance(seconds=60)
            if minute in (9, MINUTES - 1):
                gc.collect()
                samples[minute] = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()

    gnw.clear_faults()
    for _ in range(40):  # drain the backoffs: every feed recovers, every release lands
        clock.advance(minutes=30)
        await asyncio.gather(*(poller.poll(spec) for spec in specs))
        stored = {e.event_id async for e in event_log.read(types={ReleaseReceived.TYPE})}
        if len(stored) == published:
            break
    assert len(stored) == published
    assert ours() == tasks_before
    growth = samples[MINUTES - 1] - samples[9]
    assert growth < 8 * 1024 * 1024, f"memory grew by {growth:,} bytes over 20 minutes"
