"""The poller against the stand-in: new releases once, conditional GET, restarts, history."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import aiohttp

from bot.eventlog import EventLog
from bot.eventlog.sqlite import SQLiteEventLog
from bot.events import DOMAIN_EVENTS, ReleaseReceived
from bot.feeds.model import FeedSpec, Health, health
from bot.feeds.poller import FeedPoller
from bot.standins.gnw import GlobeNewswireStandIn
from tests.conftest import FakeClock
from tests.feeds.conftest import SETTINGS, org_feed, release


async def releases_in(log: EventLog) -> list[ReleaseReceived]:
    return [
        DOMAIN_EVENTS.decode_as(ReleaseReceived, e.schema_version, e.data)
        async for e in log.read(types={ReleaseReceived.TYPE})
    ]


async def test_a_new_feed_is_history_read_a_few_pages_per_poll_never_alerted(
    gnw: GlobeNewswireStandIn,
    session: aiohttp.ClientSession,
    event_log: EventLog,
    clock: FakeClock,
) -> None:
    settings = replace(SETTINGS, alert_first_poll=False, history_per_poll=2)
    poller = FeedPoller(
        event_log, session, DOMAIN_EVENTS, clock=clock, random=lambda: 0.5, settings=settings
    )
    gnw.add(release(1), release(2), release(3))
    spec = org_feed(gnw)

    first = await poller.poll(spec)
    assert (first.status, first.recorded, first.pending) == ("updated", [], 3)
    assert gnw.count("/news-release/") == 0  # no burst of page fetches on a first start

    gnw.add(release(4))
    clock.advance(seconds=61)
    second = await poller.poll(spec)
    assert sorted(second.recorded) == ["2000002", "2000003", "2000004"]  # newest history first
    assert second.pending == 1
    clock.advance(seconds=61)
    third = await poller.poll(spec)
    assert (third.status, third.recorded, third.pending) == ("not-modified", ["2000001"], 0)

    stored = {r.release_id: r for r in await releases_in(event_log)}
    assert {k: r.backfill for k, r in stored.items()} == {
        "2000001": True, "2000002": True, "2000003": True, "2000004": False
    }  # fmt: skip
    assert stored["2000004"].text.startswith("MADISON, Wis.")
    assert stored["2000004"].tickers == ("Nasdaq:CLRB",)
    assert stored["2000004"].company == "Cellectar Biosciences, Inc."
    assert stored["2000004"].title == "Cellectar announces news number 4"


async def test_conditional_get_sends_validators_and_skips_304(
    gnw: GlobeNewswireStandIn, poller: FeedPoller, event_log: EventLog, clock: FakeClock
) -> None:
    gnw.add(release(1))
    spec = org_feed(gnw)
    await poller.poll(spec)
    pages_before = gnw.count("/news-release/")

    clock.advance(seconds=61)
    outcome = await poller.poll(spec)

    assert outcome.status == "not-modified"
    feed_requests = [r for r in gnw.requests if r.path.startswith("/RssFeed/")]
    assert "If-None-Match" not in feed_requests[0].headers
    assert feed_requests[1].headers["If-None-Match"].startswith('"')
    assert "If-Modified-Since" in feed_requests[1].headers
    assert feed_requests[1].status == 304
    assert gnw.count("/news-release/") == pages_before
    state = await poller.state(spec.name)
    assert (state.polls, state.not_modified) == (2, 1)


async def test_a_poll_before_the_interval_is_skipped(
    gnw: GlobeNewswireStandIn, poller: FeedPoller, clock: FakeClock
) -> None:
    spec = org_feed(gnw)
    await poller.poll(spec)
    clock.advance(seconds=30)
    assert (await poller.poll(spec)).status == "skipped"
    assert gnw.count("/RssFeed/") == 1


async def test_a_restart_resumes_without_refetching_unchanged_feeds(
    gnw: GlobeNewswireStandIn,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    clock: FakeClock,
) -> None:
    gnw.add(release(1), release(2))
    spec = org_feed(gnw)
    log = await SQLiteEventLog.open(tmp_path / "restart.db", clock=clock)
    await FeedPoller(log, session, DOMAIN_EVENTS, clock=clock, random=lambda: 0.5,
                     settings=SETTINGS).poll(spec)  # fmt: skip
    await log.close()

    clock.advance(minutes=5)
    log = await SQLiteEventLog.open(tmp_path / "restart.db", clock=clock)
    restarted = FeedPoller(log, session, DOMAIN_EVENTS, clock=clock, random=lambda: 0.5,
                           settings=SETTINGS)  # fmt: skip
    outcome = await restarted.poll(spec)
    await log.close()

    assert outcome.status == "not-modified"
    assert gnw.count("/news-release/") == 2
    assert [r.status for r in gnw.requests if r.path.startswith("/RssFeed/")] == [200, 304]


async def test_the_same_release_in_several_feeds_is_one_release(
    gnw: GlobeNewswireStandIn, poller: FeedPoller, event_log: EventLog
) -> None:
    gnw.add(release(1), release(2, company="Selecta Biosciences, Inc.", tickers=("Nasdaq:SELB",)))
    industry = FeedSpec(name="biotech", url=gnw.feed_url("industry", "4573-Biotechnology"))
    organization = org_feed(gnw)

    await poller.poll(industry)
    again = await poller.poll(organization)

    assert again.recorded == []
    assert sorted(r.release_id for r in await releases_in(event_log)) == ["2000001", "2000002"]
    assert gnw.count("/news-release/") == 2


async def test_a_feed_that_changes_guids_does_not_duplicate_releases(
    gnw: GlobeNewswireStandIn, poller: FeedPoller, event_log: EventLog, clock: FakeClock
) -> None:
    from bot.standins.gnw import Fault, FaultKind

    gnw.add(release(1), release(2))
    spec = org_feed(gnw)
    await poller.poll(spec)
    gnw.inject("/RssFeed/", Fault(kind=FaultKind.NEW_GUIDS))
    for _ in range(3):
        clock.advance(seconds=61)
        outcome = await poller.poll(spec)
        assert outcome.status == "updated"
        assert outcome.recorded == []
    assert len(await releases_in(event_log)) == 2


async def test_the_watchlist_keeps_only_watched_companies(
    gnw: GlobeNewswireStandIn, poller: FeedPoller, event_log: EventLog
) -> None:
    gnw.add(
        release(1),
        release(2, company="Selecta Biosciences, Inc.", tickers=("Nasdaq:SELB",)),
        release(3, company="Halper Sadeh LLP", tickers=()),
    )
    spec = FeedSpec(
        name="biotech",
        url=gnw.feed_url("industry", "4573-Biotechnology"),
        watch_tickers=frozenset({"SELB"}),
        watch_companies=("halper sadeh",),
    )
    await poller.poll(spec)
    assert sorted(r.company for r in await releases_in(event_log)) == [
        "Halper Sadeh LLP",
        "Selecta Biosciences, Inc.",
    ]
    assert health(await poller.state("biotech")) is Health.OK


async def test_quiet_polls_are_written_every_few_minutes_not_every_time(
    gnw: GlobeNewswireStandIn, poller: FeedPoller, event_log: EventLog, clock: FakeClock
) -> None:
    from bot.feeds.poller import STATE_NAMESPACE, load_state

    gnw.add(release(1))
    spec = org_feed(gnw)
    await poller.poll(spec)

    async def stored_polls() -> int:
        return load_state(await event_log.get_state(STATE_NAMESPACE, spec.name)).polls

    clock.advance(seconds=61)
    await poller.poll(spec)
    assert (await poller.state(spec.name)).polls == 2
    assert await stored_polls() == 1
    clock.advance(minutes=6)
    await poller.poll(spec)
    assert await stored_polls() == 3
