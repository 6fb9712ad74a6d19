"""A feed item → its release page → a ReleaseReceived event."""

from __future__ import annotations

import aiohttp

from bot.events.release import ReleaseReceived
from bot.feeds.fetch import FetchFailed, Limits, fetch
from bot.feeds.model import ErrorKind, FeedItem, FetchError
from bot.releases.page import ReleasePage, parse_release_page

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


async def fetch_release(
    session: aiohttp.ClientSession,
    item: FeedItem,
    *,
    feed: str,
    limits: Limits,
    backfill: bool,
) -> ReleaseReceived:
    """Fetch and read the item's page; raises FetchFailed when there is no usable body."""
    fetched = await fetch(session, item.url, limits=limits, accept=PAGE_ACCEPT)
    page = parse_release_page(fetched.body)
    if not page.text.strip():
        raise FetchFailed(
            FetchError(kind=ErrorKind.MALFORMED, message=f"no release body found at {item.url}")
        )
    return release_from(item, page, feed=feed, backfill=backfill)


def release_from(
    item: FeedItem, page: ReleasePage | None, *, feed: str, backfill: bool
) -> ReleaseReceived:
    """The feed's metadata where it has it (issuer, tickers, time), the page's text.

    Without a page (it never came) the feed's teaser stands in for the text.
    """
    published = item.published_at or (page.published_at if page else None)
    if published is None:
        raise FetchFailed(
            FetchError(kind=ErrorKind.MALFORMED, message=f"no publication time for {item.url}")
        )
    return ReleaseReceived(
        release_id=item.release_id,
        feed=feed,
        url=item.url,
        title=item.title or (page.title if page else ""),
        published_at=published,
        company=item.company or (page.company if page else ""),
        tickers=tuple(dict.fromkeys((*item.tickers, *(page.tickers if page else ())))),
        text=page.text if page else item.teaser,
        backfill=backfill,
    )
