"""The real poller against the GlobeNewswire stand-in, on a temporary SQLite log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.eventlog import EventLog
from bot.events import DOMAIN_EVENTS
from bot.feeds.fetch import Limits
from bot.feeds.model import FeedSpec
from bot.feeds.poller import FeedPoller, PollerSettings
from bot.feeds.schedule import Backoff
from bot.standins.gnw import GlobeNewswireStandIn, StandInRelease
from tests.conftest import FakeClock

CELLECTAR = "Cellectar Biosciences, Inc."


def release(
    n: int,
    *,
    company: str = CELLECTAR,
    tickers: tuple[str, ...] = ("Nasdaq:CLRB",),
    day: datetime = datetime(2017, 2, 1, 13, 0, tzinfo=UTC),
) -> StandInRelease:
    return StandInRelease(
        release_id=str(2_000_000 + n),
        title=f"{company.split()[0]} announces news number {n}",
        published_at=day + timedelta(days=n),
        company=company,
        tickers=tickers,
        text=(
            f"MADISON, Wis. (GLOBE NEWSWIRE) -- {company} ({tickers[0] if tickers else 'private'}) "
            f"today announced item {n}.\n\nA second paragraph about item {n}."
        ),
    )


SETTINGS = PollerSettings(
    feed_limits=Limits(timeout=2.0, max_bytes=1024 * 1024),
    page_limits=Limits(timeout=2.0, max_bytes=1024 * 1024),
    backoff=Backoff(base=30, cap=600, jitter=0.0),
    max_page_attempts=3,
    # Most tests look at what happens to new items; the history rules have their own tests.
    alert_first_poll=True,
)


@pytest.fixture
def poller(event_log: EventLog, session: aiohttp.ClientSession, clock: FakeClock) -> FeedPoller:
    return FeedPoller(
        event_log, session, DOMAIN_EVENTS, clock=clock, random=lambda: 0.5, settings=SETTINGS
    )


def org_feed(
    gnw: GlobeNewswireStandIn, name: str = "cellectar", token: str = "cellectar-biosciences-inc"
) -> FeedSpec:
    return FeedSpec(name=name, url=gnw.feed_url("organization", token), interval=60)
