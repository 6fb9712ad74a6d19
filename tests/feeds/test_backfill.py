"""``backfill``: a feed's history, older than its last 20 items, recorded once, never alerted."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import aiohttp

from bot.eventlog import EventLog
from bot.events import DOMAIN_EVENTS
from bot.feeds.poller import FeedPoller, history_url
from bot.standins.gnw import GlobeNewswireStandIn
from tests.conftest import FakeClock
from tests.feeds.conftest import SETTINGS, org_feed, release
from tests.feeds.test_poller import releases_in


async def test_backfill_reads_pending_history_and_older_pages(
    gnw: GlobeNewswireStandIn,
    session: aiohttp.ClientSession,
    event_log: EventLog,
    clock: FakeClock,
) -> None:
    settings = replace(SETTINGS, alert_first_poll=False)
    poller = FeedPoller(event_log, session, DOMAIN_EVENTS, clock=clock, random=lambda: 0.5,
                        settings=settings)  # fmt: skip
    gnw.add(*(release(n) for n in range(1, 31)))  # 2017-02-02 … 2017-03-03
    spec = org_feed(gnw)
    first = await poller.poll(spec)
    assert first.pending == 20  # the feed shows its latest 20

    seen: list[tuple[int, int]] = []
    recorded = await poller.backfill(
        spec,
        since=date(2017, 2, 5),
        progress=lambda done, total: seen.append((done, total)),
        page_size=10,
    )

    stored = await releases_in(event_log)
    assert recorded == len(stored) == 27  # items 4 … 30 are on or after 5 February
    assert {r.backfill for r in stored} == {True}
    assert seen[0] == (0, 27)
    assert seen[-1] == (27, 27)
    assert (await poller.state(spec.name)).pending == ()
    assert await poller.backfill(spec, since=date(2017, 2, 5)) == 0  # idempotent


def test_history_urls_follow_globenewswires_grammar() -> None:
    url = history_url("https://www.globenewswire.com/RssFeed/organization/abc/", since=date(2017, 1, 2),
                      max_items=50, start=100)  # fmt: skip
    assert (
        url
        == "https://www.globenewswire.com/RssFeed/organization/abc/StartDate/20170102/Max/50/Start/100"
    )
