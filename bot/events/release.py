"""The raw fact every other event derives from: a press release was received."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.events.base import DomainEvent


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseReceived(DomainEvent):
    """A release as fetched from the wire; its text lets history be re-extracted."""

    TYPE = "ReleaseReceived"
    VERSION = 1

    release_id: str
    feed: str
    url: str
    title: str
    published_at: datetime
    company: str
    tickers: tuple[str, ...] = ()
    text: str
    backfill: bool = False


def release_stream(release_id: str) -> str:
    return f"release:{release_id}"
