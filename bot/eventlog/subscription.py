"""Catch-up subscriptions: a named subscriber, a durable checkpoint, exactly-once effects.

Each page of events is handled inside one unit of work that also stores the
checkpoint. After a crash the page is handled again from the last stored
checkpoint: nothing is skipped, and effects kept in the log's database are
never applied twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Sequence
from contextlib import aclosing
from typing import Protocol

from bot.aio import first_of
from bot.eventlog.model import EventLogError, RecordedEvent
from bot.eventlog.port import EventLog, UnitOfWork

log = logging.getLogger(__name__)


class Subscriber(Protocol):
    """Something that follows the log: a projection, a process manager, a reactor."""

    @property
    def name(self) -> str:
        """Stable name; the checkpoint is stored under it."""
        ...

    @property
    def types(self) -> Collection[str] | None:
        """The event types it handles, or None for all."""
        ...

    async def handle(self, uow: UnitOfWork, events: Sequence[RecordedEvent]) -> None:
        """Handle a page of events; write every effect through ``uow``.

        A subscriber that caches state in memory may also have ``discard()``,
        called when a page's transaction fails, and ``async flush(uow)``, called
        once before the checkpoint is stored: a projection that folds several
        pages into one unit of work writes each touched document once there.
        """
        ...


class CheckpointMovedError(EventLogError):
    """Another runner of the same subscriber stored a checkpoint first; its work stands."""


class CatchUpSubscription:
    """Runs one subscriber from its checkpoint to the head of the log, and then follows it."""

    def __init__(
        self,
        log: EventLog,
        subscriber: Subscriber,
        *,
        page_size: int = 500,
        commit_every: int | None = None,
    ) -> None:
        """``commit_every``: while catching up, pages share one unit of work (and one
        checkpoint) until it holds this many events, for a subscriber that defers its
        writes to ``flush``. Any other subscriber commits each page: it writes as it
        handles, so a longer unit of work would only hold the write lock longer."""
        self.log = log
        self.subscriber = subscriber
        self.page_size = page_size
        self._flush = getattr(subscriber, "flush", None)
        grouped = commit_every if self._flush is not None else None
        self.commit_every = max(grouped or page_size, page_size)
        self.position = 0

    @property
    def name(self) -> str:
        return self.subscriber.name

    async def catch_up(self, progress: Callable[[int], object] | None = None) -> int:
        """Handle every event committed so far; returns how many were handled.

        ``progress`` is told the checkpoint after every commit.
        """
        name = self.subscriber.name
        types = self.subscriber.types
        self.position = await self.log.get_checkpoint(name)
        head = await self.log.last_position()
        handled = 0
        pages = self.log.read_pages(
            from_position=self.position, types=types, page_size=self.page_size
        )
        async with aclosing(pages):
            page = await anext(pages, None)
            while page is not None:
                grouped, last = 0, self.position
                try:
                    async with self.log.transaction() as uow:
                        await self._claim(uow, name)
                        while page is not None:
                            await self.subscriber.handle(uow, page)
                            grouped, last = grouped + len(page), page[-1].position
                            if grouped >= self.commit_every:
                                break
                            page = await anext(pages, None)
                        if self._flush is not None:
                            await self._flush(uow)
                        await uow.save_checkpoint(name, last)
                except BaseException:
                    # A subscriber that keeps state in memory must forget what it folded.
                    discard = getattr(self.subscriber, "discard", None)
                    if discard is not None:
                        discard()
                    raise
                self.position = last
                handled += grouped
                if progress is not None:
                    progress(last)
                if page is not None:  # the group was full: the next one starts after it
                    page = await anext(pages, None)
        if head > self.position:
            # A filtered read skipped events of other types up to ``head``; every
            # one of them committed before the read, so it is safe to move past.
            async with self.log.transaction() as uow:
                await self._claim(uow, name)
                await uow.save_checkpoint(name, head)
            self.position = head
        return handled

    async def _claim(self, uow: UnitOfWork, name: str) -> None:
        stored = await uow.get_checkpoint(name)
        if stored != self.position:
            self.position = stored
            raise CheckpointMovedError(
                f"subscriber {name!r} moved to {stored} elsewhere; catching up again"
            )

    async def lag(self) -> int:
        """How many positions the subscriber is behind the head of the log."""
        return max(0, await self.log.last_position() - await self.log.get_checkpoint(self.name))

    async def run(
        self,
        stop: asyncio.Event,
        *,
        max_backoff: float = 30.0,
        lease: str | None = None,
        recheck: float = 5.0,
    ) -> None:
        """Catch up, then wait for new events and catch up again, until ``stop`` is set.

        A failing handler is retried with a capped exponential backoff; the
        checkpoint does not move past an event until it has been handled. With
        ``lease``, only the holder of that lease runs (one replica among
        several); the others check every ``recheck`` seconds and take over when
        the holder is gone.
        """
        backoff = 0.5
        while not stop.is_set():
            try:
                if lease is not None and not await self.log.try_lease(lease):
                    await first_of(stop.wait(), timeout=recheck)
                    continue
                await self.catch_up()
                backoff = 0.5
            except CheckpointMovedError:
                continue
            except Exception:  # the database may be restarting: never give up
                log.exception("subscriber %s failed; retrying in %.1fs", self.name, backoff)
                await first_of(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, max_backoff)
                continue
            await first_of(
                stop.wait(),
                self.log.wait_for_events(self.position),
                timeout=recheck if lease is not None else None,
            )
