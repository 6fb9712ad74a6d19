"""The append-only event log: one port, an SQLite and a PostgreSQL backend.

``open_log(url)`` opens either: ``sqlite:///path/to/file.db`` (or a plain
path) for the embedded default, ``postgresql://user@host/db`` for the shared
one.
"""

from __future__ import annotations

from typing import Literal

from bot.clock import Clock, system_clock
from bot.eventlog.model import (
    ANY,
    MAX_BATCH_EVENTS,
    MAX_EVENT_BYTES,
    NO_STREAM,
    AppendResult,
    ConcurrencyError,
    EventLogError,
    InvalidEventError,
    LogClosedError,
    LogStats,
    NewEvent,
    RecordedEvent,
)
from bot.eventlog.port import EventLog, UnitOfWork
from bot.eventlog.subscription import CatchUpSubscription, Subscriber

__all__ = [
    "ANY",
    "MAX_BATCH_EVENTS",
    "MAX_EVENT_BYTES",
    "NO_STREAM",
    "AppendResult",
    "CatchUpSubscription",
    "ConcurrencyError",
    "EventLog",
    "EventLogError",
    "InvalidEventError",
    "LogClosedError",
    "LogStats",
    "NewEvent",
    "RecordedEvent",
    "Subscriber",
    "UnitOfWork",
    "open_log",
]


async def open_log(
    url: str,
    *,
    clock: Clock = system_clock,
    synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
    schema: str = "trialwire",
) -> EventLog:
    """Open the event log named by ``url``.

    ``postgresql://…`` opens the shared backend in ``schema``; ``sqlite:///file.db``
    (``sqlite:////abs/file.db`` for an absolute path) or a bare path opens SQLite.
    """
    if url.startswith(("postgresql://", "postgres://")):
        from bot.eventlog.postgres import PostgresEventLog

        return await PostgresEventLog.open(url, schema=schema, clock=clock)
    from bot.eventlog.sqlite import SQLiteEventLog

    path = url.removeprefix("sqlite:///")
    if not path or "://" in path:
        raise ValueError(f"not an event log URL: {url!r} (try sqlite:///trialwire.db)")
    return await SQLiteEventLog.open(path, clock=clock, synchronous=synchronous)
