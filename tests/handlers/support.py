"""Releases into a real log, the knowledge pipeline run over them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.eventlog import EventLog
from bot.events import DOMAIN_EVENTS, ReleaseReceived
from bot.releases.files import read_release_file
from bot.releases.record import record_release

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "extract" / "corpus"


def release(
    release_id: str,
    text: str,
    *,
    published: str,
    company: str = "Cellectar Biosciences, Inc.",
    tickers: tuple[str, ...] = ("Nasdaq:CLRB",),
    title: str = "",
    backfill: bool = False,
) -> ReleaseReceived:
    return ReleaseReceived(
        release_id=release_id,
        feed="test",
        url=f"https://www.globenewswire.com/news-release/{release_id}.html",
        title=title or text.split(".")[0],
        published_at=datetime.fromisoformat(published).replace(tzinfo=UTC),
        company=company,
        tickers=tickers,
        text=text,
        backfill=backfill,
    )


def corpus_release(stem: str) -> ReleaseReceived:
    found = read_release_file(CORPUS / f"{stem}.txt")
    return found.to_event(feed="corpus", published_fallback=datetime(2020, 1, 1).date())


async def record_all(log: EventLog, *releases: ReleaseReceived) -> None:
    for item in releases:
        await record_release(log, DOMAIN_EVENTS, item)
