"""Feed health changes, so a failing feed is reported once, not on every failure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.events.base import DomainEvent


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedFailing(DomainEvent):
    """A feed failed several polls in a row; it keeps being retried at a capped backoff."""

    TYPE = "FeedFailing"
    VERSION = 1

    feed: str
    url: str
    error: str
    kind: str
    failures: int
    since: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedRecovered(DomainEvent):
    TYPE = "FeedRecovered"
    VERSION = 1

    feed: str
    url: str
    failures: int
    since: datetime


def feed_stream(name: str) -> str:
    return f"feed:{name}"
