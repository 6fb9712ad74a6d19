"""Changes people make from Slack: a channel starts or stops watching a company."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events.base import DomainEvent


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelWatched(DomainEvent):
    """``/trial watch TICKER`` in a channel: its alerts go there too from now on."""

    TYPE = "ChannelWatched"
    VERSION = 1

    channel: str
    company: str
    user: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class ChannelUnwatched(DomainEvent):
    """``/trial unwatch TICKER``: the channel no longer gets the company's alerts, whatever
    the configured routes say."""

    TYPE = "ChannelUnwatched"
    VERSION = 1

    channel: str
    company: str
    user: str = ""


def channel_stream(channel: str) -> str:
    return f"channel:{channel}"
