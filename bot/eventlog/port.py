"""The event log port: what every backend offers, and what they share.

A backend implements a handful of primitives (append, read a page, a unit of
work, stats); the streaming reads and the wake-up logic live here once.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Collection, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from uuid import UUID

from bot.eventlog.model import AppendResult, LogStats, NewEvent, RecordedEvent

DEFAULT_PAGE_SIZE = 1000


class UnitOfWork(ABC):
    """One transaction: appends, checkpoints and projection state commit together.

    A projection that writes its state and its checkpoint through the same
    unit of work gets exactly-once effects: after a crash, either both are
    stored or neither is, and the events are simply handled again.
    """

    @abstractmethod
    async def append(
        self, stream: str, events: Sequence[NewEvent], *, expected_version: int | None = None
    ) -> AppendResult: ...

    @abstractmethod
    async def get_checkpoint(self, name: str) -> int: ...

    @abstractmethod
    async def save_checkpoint(self, name: str, position: int) -> None: ...

    @abstractmethod
    async def get_state(self, namespace: str, key: str) -> bytes | None: ...

    @abstractmethod
    async def put_states(self, namespace: str, items: Iterable[tuple[str, bytes]]) -> None: ...

    async def put_state(self, namespace: str, key: str, value: bytes) -> None:
        await self.put_states(namespace, [(key, value)])

    @abstractmethod
    async def delete_state(self, namespace: str, key: str | None = None) -> None:
        """Delete one key, or the whole namespace when ``key`` is None."""


class EventLog(ABC):
    """An append-only log of events with global positions and per-stream versions."""

    def __init__(self, *, poll_interval: float = 1.0) -> None:
        # The in-process signal wakes waiters at once; the poll only catches
        # appends made by another process (a CLI next to the daemon) or
        # notifications lost while a connection was down.
        self._poll_interval = poll_interval
        self._leases: set[str] = set()
        self._known_position = 0
        self._advanced = asyncio.Event()

    # -- primitives each backend provides ---------------------------------

    @abstractmethod
    async def append(
        self, stream: str, events: Sequence[NewEvent], *, expected_version: int | None = None
    ) -> AppendResult:
        """Append ``events`` to ``stream`` atomically.

        ``expected_version`` None skips the concurrency check; 0 (NO_STREAM)
        requires an empty stream; N requires the stream to be at version N,
        else ConcurrencyError. Events whose id is already stored are skipped
        and reported in ``AppendResult.duplicates``; a batch made only of such
        events is a no-op whatever the expected version (a retried append).
        """

    @abstractmethod
    async def _read_page(
        self,
        after_position: int,
        limit: int,
        types: Collection[str] | None,
    ) -> list[RecordedEvent]: ...

    @abstractmethod
    async def _read_stream_page(
        self, stream: str, after_version: int, limit: int
    ) -> list[RecordedEvent]: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work; committed when the block exits normally, else rolled back."""

    @abstractmethod
    async def existing(self, event_ids: Collection[UUID]) -> set[UUID]:
        """Which of ``event_ids`` are already stored (to skip work whose result exists)."""

    @abstractmethod
    async def last_position(self) -> int: ...

    @abstractmethod
    async def stream_version(self, stream: str) -> int: ...

    @abstractmethod
    async def get_checkpoint(self, name: str) -> int: ...

    @abstractmethod
    async def get_state(self, namespace: str, key: str) -> bytes | None: ...

    @abstractmethod
    async def scan_state(self, namespace: str, prefix: str = "") -> list[tuple[str, bytes]]: ...

    @abstractmethod
    async def stats(self, top_streams: int = 10) -> LogStats: ...

    @abstractmethod
    async def close(self) -> None: ...

    # -- leases: one holder at a time across every process sharing the log --------

    async def try_lease(self, name: str) -> bool:
        """Take the lease ``name`` if no other holder has it; True while this log holds it.

        A lease is held until released or until the holder dies (its connection
        ends), so a crashed replica's feeds and subscribers are taken over. The
        embedded backend has a single process: its leases are in-process.
        """
        if name in self._leases:
            return True
        self._leases.add(name)
        return True

    async def release_lease(self, name: str) -> None:
        self._leases.discard(name)

    @property
    def leases(self) -> frozenset[str]:
        return frozenset(self._leases)

    # -- shared behaviour ----------------------------------------------------

    async def read_pages(
        self,
        *,
        from_position: int = 0,
        types: Collection[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncGenerator[list[RecordedEvent], None]:
        """Pages of events after ``from_position`` in position order, in bounded memory.

        The next page is fetched while the caller works on this one: at most
        two pages are held at a time.
        """
        frozen_types = frozenset(types) if types is not None else None
        pending: asyncio.Future[list[RecordedEvent]] | None = asyncio.ensure_future(
            self._read_page(from_position, page_size, frozen_types)
        )
        try:
            while pending is not None:
                page = await pending
                pending = None
                if not page:
                    return
                if len(page) == page_size:
                    pending = asyncio.ensure_future(
                        self._read_page(page[-1].position, page_size, frozen_types)
                    )
                yield page
        finally:
            if pending is not None:
                pending.cancel()
                pending.add_done_callback(_discard)

    async def read(
        self,
        *,
        from_position: int = 0,
        types: Collection[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[RecordedEvent]:
        """Every event after ``from_position`` (exclusive), optionally of some types only."""
        async for page in self.read_pages(
            from_position=from_position, types=types, page_size=page_size
        ):
            for event in page:
                yield event

    async def read_stream(
        self, stream: str, *, from_version: int = 0, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[RecordedEvent]:
        """The events of one stream after ``from_version`` (exclusive), in order."""
        after = from_version
        while True:
            page = await self._read_stream_page(stream, after, page_size)
            for event in page:
                yield event
            if len(page) < page_size:
                return
            after = page[-1].stream_version

    def _advance(self, position: int) -> None:
        """Record that events up to ``position`` are committed and wake waiters."""
        if position > self._known_position:
            self._known_position = position
            self._advanced.set()
            self._advanced = asyncio.Event()

    async def wait_for_events(self, after_position: int) -> int:
        """Wait until the log holds an event after ``after_position``; returns the last position.

        Wrap it in ``asyncio.timeout`` to bound the wait.
        """
        while self._known_position <= after_position:
            try:
                await asyncio.wait_for(self._advanced.wait(), self._poll_interval)
            except TimeoutError:
                self._advance(await self.last_position())
        return self._known_position


def _discard(future: asyncio.Future[list[RecordedEvent]]) -> None:
    if not future.cancelled():
        future.exception()
