"""The composition root: what a command or the daemon needs, built from settings, closed in order."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp

from bot.clock import Clock, system_clock
from bot.eventlog import EventLog, open_log
from bot.events import DOMAIN_EVENTS
from bot.feeds.fetch import new_session
from bot.feeds.poller import FeedPoller
from bot.settings import Settings


@dataclass(frozen=True, slots=True)
class Polling:
    log: EventLog
    session: aiohttp.ClientSession
    poller: FeedPoller


@asynccontextmanager
async def open_event_log(
    settings: Settings, *, clock: Clock = system_clock
) -> AsyncIterator[EventLog]:
    log = await open_log(
        settings.log.url,
        clock=clock,
        synchronous=settings.log.synchronous,
        schema=settings.log.schema_name,
    )
    try:
        yield log
    finally:
        await log.close()


@asynccontextmanager
async def polling(settings: Settings, *, clock: Clock = system_clock) -> AsyncIterator[Polling]:
    """The event log, one HTTP session and the poller, closed in reverse order."""
    async with AsyncExitStack() as stack:
        log = await stack.enter_async_context(open_event_log(settings, clock=clock))
        session = await stack.enter_async_context(
            new_session(
                max_connections=settings.poller.max_connections, per_host=settings.poller.per_host
            )
        )
        poller = FeedPoller(
            log,
            session,
            DOMAIN_EVENTS,
            clock=clock,
            random=random.random,
            settings=settings.poller.poller_settings(),
        )
        yield Polling(log=log, session=session, poller=poller)
