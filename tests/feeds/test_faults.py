"""Every fault the stand-in can inject: the poller survives, health tells, nothing is lost."""

from __future__ import annotations

import tracemalloc
from dataclasses import replace
from datetime import timedelta

import aiohttp
import pytest

from bot.eventlog import EventLog
from bot.events import DOMAIN_EVENTS
from bot.events.feed import FeedFailing, FeedRecovered
from bot.feeds.fetch import Limits
from bot.feeds.model import ErrorKind, Health, health
from bot.feeds.poller import FeedPoller
from bot.standins.gnw import Fault, FaultKind, GlobeNewswireStandIn
from tests.conftest import FakeClock
from tests.feeds.conftest import SETTINGS, org_feed, release
from tests.feeds.test_poller import releases_in

FEED_FAULTS = [
    (Fault(kind=FaultKind.SERVER_ERROR), ErrorKind.HTTP_SERVER),
    (Fault(kind=FaultKind.UNAVAILABLE, retry_after=120), ErrorKind.HTTP_SERVER),
    (Fault(kind=FaultKind.RATE_LIMITED, retry_after=300), ErrorKind.RATE_LIMITED),
    (Fault(kind=FaultKind.NOT_FOUND), ErrorKind.HTTP_CLIENT),
    (Fault(kind=FaultKind.SLOW, delay=5.0), ErrorKind.TIMEOUT),
    (Fault(kind=FaultKind.MALFORMED), ErrorKind.MALFORMED),
    (Fault(kind=FaultKind.HUGE, size=50 * 1024 * 1024), ErrorKind.TOO_LARGE),
    (Fault(kind=FaultKind.GZIP_BOMB), ErrorKind.TOO_LARGE),
    (Fault(kind=FaultKind.REDIRECT_LOOP), ErrorKind.REDIRECT_LOOP),
    (Fault(kind=FaultKind.RESET), ErrorKind.CONNECTION),
]


@pytest.fixture
def quick_poller(
    event_log: EventLog, session: aiohttp.ClientSession, clock: FakeClock
) -> FeedPoller:
    settings = replace(SETTINGS, feed_limits=Limits(timeout=0.5, max_bytes=1024 * 1024))
    return FeedPoller(
        event_log, session, DOMAIN_EVENTS, clock=clock, random=lambda: 0.5, settings=settings
    )


@pytest.mark.parametrize(("fault", "kind"), FEED_FAULTS, ids=[f.kind.value for f, _ in FEED_FAULTS])
async def test_a_feed_fault_is_classified_and_nothing_is_lost(
    gnw: GlobeNewswireStandIn,
    quick_poller: FeedPoller,
    event_log: EventLog,
    clock: FakeClock,
    fault: Fault,
    kind: ErrorKind,
) -> None:
    gnw.add(release(1), release(2))
    spec = org_feed(gnw)
    gnw.inject("/RssFeed/", fault)

    tracemalloc.start()
    try:
        outcome = await quick_poller.poll(spec)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert outcome.status == "failed"
    assert outcome.error is not None
    assert outcome.error.kind is kind
    assert peak < 20 * 1024 * 1024, "a hostile body must not be held in memory"
    state = await quick_poller.state(spec.name)
    assert health(state) is Health.BACKING_OFF
    assert state.last_error_kind == kind.value
    assert state.next_check_at is not None
    assert state.next_check_at > clock.now
    if fault.kind in (FaultKind.RATE_LIMITED, FaultKind.UNAVAILABLE):
        assert state.next_check_at >= clock.now + timedelta(seconds=fault.retry_after)

    gnw.clear_faults()
    clock.now = state.next_check_at
    recovered = await quick_poller.poll(spec)
    assert recovered.status == "updated"
    assert sorted(recovered.recorded) == ["2000001", "2000002"]
    assert health(await quick_poller.state(spec.name)) is Health.OK
    assert len(await releases_in(event_log)) == 2


@pytest.mark.parametrize("kind", [FaultKind.TRUNCATED, FaultKind.NON_UTF8])
async def test_a_damaged_feed_is_used_as_far_as_it_can_be_read(
    gnw: GlobeNewswireStandIn,
    poller: FeedPoller,
    event_log: EventLog,
    clock: FakeClock,
    kind: FaultKind,
) -> None:
    gnw.add(*(release(n) for n in range(1, 9)))
    spec = org_feed(gnw)
    gnw.inject("/RssFeed/", Fault(kind=kind, times=1))

    damaged = await poller.poll(spec)
    assert damaged.problem is not None
    assert damaged.status in ("updated", "failed")

    clock.advance(hours=2)
    await poller.poll(spec, force=True)
    ids = sorted(r.release_id for r in await releases_in(event_log))
    assert ids == [str(2_000_000 + n) for n in range(1, 9)]


async def test_a_permanent_redirect_is_remembered(
    gnw: GlobeNewswireStandIn, poller: FeedPoller, clock: FakeClock
) -> None:
    gnw.add(release(1))
    old = org_feed(gnw, token="old-token")
    new_path = "/RssFeed/organization/cellectar-biosciences-inc"
    gnw.inject("/RssFeed/organization/old-token", Fault(kind=FaultKind.MOVED, moved_to=new_path))

    assert (await poller.poll(old)).recorded == ["2000001"]
    assert (await poller.state(old.name)).moved_to == gnw.base_url + new_path
    clock.advance(seconds=61)
    await poller.poll(old)
    assert gnw.count("/RssFeed/organization/old-token") == 1


async def test_a_failing_feed_is_reported_once_and_its_recovery_too(
    gnw: GlobeNewswireStandIn, poller: FeedPoller, event_log: EventLog, clock: FakeClock
) -> None:
    gnw.add(release(1))
    spec = org_feed(gnw)
    gnw.inject("/RssFeed/", Fault(kind=FaultKind.SERVER_ERROR))
    delays = []
    for _ in range(6):
        before = clock.now
        await poller.poll(spec)
        state = await poller.state(spec.name)
        assert state.next_check_at is not None
        delays.append((state.next_check_at - before).total_seconds())
        clock.now = state.next_check_at
    assert health(state) is Health.FAILING
    assert delays == sorted(delays)
    assert max(delays) <= SETTINGS.backoff.cap

    gnw.clear_faults()
    await poller.poll(spec)
    types = [e.type async for e in event_log.read(types={FeedFailing.TYPE, FeedRecovered.TYPE})]
    assert types == ["FeedFailing", "FeedRecovered"]
    assert health(await poller.state(spec.name)) is Health.OK


async def test_other_feeds_are_unaffected_by_a_failing_one(
    gnw: GlobeNewswireStandIn, poller: FeedPoller, event_log: EventLog
) -> None:
    gnw.add(release(1), release(2, company="Selecta Biosciences, Inc.", tickers=("Nasdaq:SELB",)))
    broken = org_feed(gnw)
    fine = org_feed(gnw, name="selecta", token="selecta-biosciences-inc")
    gnw.inject("/RssFeed/organization/cellectar", Fault(kind=FaultKind.SERVER_ERROR))

    assert (await poller.poll(broken)).status == "failed"
    assert (await poller.poll(fine)).recorded == ["2000002"]


async def test_a_vanished_release_page_is_retried_then_recorded_from_the_teaser(
    gnw: GlobeNewswireStandIn, poller: FeedPoller, event_log: EventLog, clock: FakeClock
) -> None:
    gnw.add(release(1), release(2))
    spec = org_feed(gnw)
    page = release(2).path
    gnw.inject(page, Fault(kind=FaultKind.NOT_FOUND))

    first = await poller.poll(spec)
    assert (first.recorded, first.pending) == (["2000001"], 1)
    clock.advance(seconds=61)
    second = await poller.poll(spec)
    assert (second.status, second.recorded, second.pending) == ("not-modified", [], 1)
    clock.advance(seconds=61)
    third = await poller.poll(spec)
    assert (third.recorded, third.pending) == (["2000002"], 0)
    teaser_only = (await releases_in(event_log))[-1]
    assert teaser_only.text.startswith("MADISON, Wis.")
    assert "second paragraph" not in teaser_only.text
