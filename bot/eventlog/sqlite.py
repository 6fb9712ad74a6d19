"""The embedded backend: one SQLite file in WAL mode, no server.

Each connection is owned by one thread (a single-worker executor): the writer
runs a whole append or unit-of-work step per hop, the reader serves pages.
Appends are serialised by SQLite's write lock (``BEGIN IMMEDIATE``), so global
positions are committed in order and a reader following positions never skips
one. A busy timeout lets a second process (the CLI next to the daemon) wait
for the lock instead of failing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal, TypeVar

from bot.clock import Clock, system_clock, to_micros
from bot.eventlog.model import (
    AppendResult,
    ConcurrencyError,
    LogClosedError,
    LogStats,
    NewEvent,
    RecordedEvent,
    occurred_micros,
    validate_append,
)
from bot.eventlog.port import EventLog, UnitOfWork

T = TypeVar("T")
Synchronous = Literal["NORMAL", "FULL"]

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    event_id BLOB NOT NULL UNIQUE,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data BLOB NOT NULL,
    occurred_us INTEGER,
    recorded_us INTEGER NOT NULL,
    caused_by BLOB,
    metadata BLOB NOT NULL,
    UNIQUE (stream, stream_version)
);
CREATE INDEX IF NOT EXISTS events_by_type ON events (type, position);
CREATE TABLE IF NOT EXISTS subscriptions (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS projection_state (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
"""
_COLUMNS = (
    "position, stream, stream_version, event_id, type, schema_version, data,"
    " occurred_us, recorded_us, caused_by, metadata"
)
_INSERT = (
    "INSERT INTO events (stream, stream_version, event_id, type, schema_version, data,"
    " occurred_us, recorded_us, caused_by, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (event_id) DO NOTHING RETURNING position"
)


class _Worker:
    """A thread that owns one sqlite3 connection; calls hop to it one at a time."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.conn: sqlite3.Connection | None = None

    async def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self.conn
        if conn is None:
            raise LogClosedError("the event log is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, conn)

    async def open(self, factory: Callable[[], sqlite3.Connection]) -> None:
        loop = asyncio.get_running_loop()
        self.conn = await loop.run_in_executor(self._executor, factory)

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)


def _connect(path: Path, synchronous: Synchronous, *, readonly: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    return conn


def _create_schema(conn: sqlite3.Connection) -> None:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise LogClosedError(
            f"this log was written by a newer trialwire (schema {version} > {SCHEMA_VERSION})"
        )
    if version < SCHEMA_VERSION:
        # executescript commits first; the DDL is idempotent, so a race between
        # two processes creating the same file is harmless.
        conn.executescript(_SCHEMA + f"PRAGMA user_version={SCHEMA_VERSION};")


def _append_in_tx(
    conn: sqlite3.Connection,
    stream: str,
    events: Sequence[NewEvent],
    expected_version: int | None,
    recorded_us: int,
) -> AppendResult:
    (current,) = conn.execute(
        "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream = ?", (stream,)
    ).fetchone()
    if expected_version is not None and expected_version != current:
        if _all_stored(conn, events):
            return AppendResult(
                stream=stream,
                stream_version=current,
                duplicates=tuple(e.event_id for e in events),
            )
        raise ConcurrencyError(stream, expected_version, current)
    version = current
    positions: list[int] = []
    appended = []
    duplicates = []
    for event in events:
        row = conn.execute(
            _INSERT,
            (
                stream,
                version + 1,
                event.event_id.bytes,
                event.type,
                event.schema_version,
                event.data,
                occurred_micros(event),
                recorded_us,
                None if event.caused_by is None else event.caused_by.bytes,
                event.metadata,
            ),
        ).fetchone()
        if row is None:
            duplicates.append(event.event_id)
        else:
            version += 1
            positions.append(row[0])
            appended.append(event.event_id)
    return AppendResult(
        stream=stream,
        stream_version=version,
        positions=tuple(positions),
        appended=tuple(appended),
        duplicates=tuple(duplicates),
    )


def _all_stored(conn: sqlite3.Connection, events: Sequence[NewEvent]) -> bool:
    ids = [e.event_id.bytes for e in events]
    found = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        (count,) = conn.execute(
            f"SELECT count(*) FROM events WHERE event_id IN ({marks})", chunk
        ).fetchone()
        found += count
    return found == len(ids)


def _in_transaction(conn: sqlite3.Connection, body: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = body(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def _rows_to_events(rows: list[tuple[object, ...]]) -> list[RecordedEvent]:
    return [RecordedEvent(*row) for row in rows]  # type: ignore[arg-type]


class SQLiteUnitOfWork(UnitOfWork):
    def __init__(self, log: SQLiteEventLog) -> None:
        self._log = log
        self._last_position = 0

    async def append(
        self, stream: str, events: Sequence[NewEvent], *, expected_version: int | None = None
    ) -> AppendResult:
        validate_append(stream, events, expected_version)
        recorded_us = to_micros(self._log.clock())
        result = await self._log._writer.call(
            lambda c: _append_in_tx(c, stream, events, expected_version, recorded_us)
        )
        if result.positions:
            self._last_position = max(self._last_position, result.positions[-1])
        return result

    async def get_checkpoint(self, name: str) -> int:
        return await self._log._writer.call(lambda c: _get_checkpoint(c, name))

    async def save_checkpoint(self, name: str, position: int) -> None:
        updated = to_micros(self._log.clock())
        await self._log._writer.call(
            lambda c: c.execute(
                "INSERT INTO subscriptions (name, position, updated_us) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET position = excluded.position,"
                " updated_us = excluded.updated_us",
                (name, position, updated),
            )
        )

    async def get_state(self, namespace: str, key: str) -> bytes | None:
        return await self._log._writer.call(lambda c: _get_state(c, namespace, key))

    async def put_states(self, namespace: str, items: Iterable[tuple[str, bytes]]) -> None:
        rows = [(namespace, key, value) for key, value in items]
        await self._log._writer.call(
            lambda c: c.executemany(
                "INSERT INTO projection_state (namespace, key, value) VALUES (?, ?, ?)"
                " ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                rows,
            )
        )

    async def delete_state(self, namespace: str, key: str | None = None) -> None:
        args: tuple[str, ...]
        if key is None:
            sql, args = "DELETE FROM projection_state WHERE namespace = ?", (namespace,)
        else:
            sql = "DELETE FROM projection_state WHERE namespace = ? AND key = ?"
            args = (namespace, key)
        await self._log._writer.call(lambda c: c.execute(sql, args))


def _get_checkpoint(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT position FROM subscriptions WHERE name = ?", (name,)).fetchone()
    return 0 if row is None else int(row[0])


def _get_state(conn: sqlite3.Connection, namespace: str, key: str) -> bytes | None:
    row = conn.execute(
        "SELECT value FROM projection_state WHERE namespace = ? AND key = ?", (namespace, key)
    ).fetchone()
    return None if row is None else bytes(row[0])


class SQLiteEventLog(EventLog):
    """The default event log: a single SQLite file next to the daemon."""

    def __init__(
        self,
        path: Path,
        *,
        synchronous: Synchronous = "NORMAL",
        clock: Clock = system_clock,
        poll_interval: float = 1.0,
    ) -> None:
        super().__init__(poll_interval=poll_interval)
        self.path = path
        self.synchronous = synchronous
        self.clock = clock
        self._writer = _Worker("trialwire-sqlite-writer")
        self._reader = _Worker("trialwire-sqlite-reader")
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        synchronous: Synchronous = "NORMAL",
        clock: Clock = system_clock,
        poll_interval: float = 1.0,
    ) -> SQLiteEventLog:
        """Open (creating if needed) the log at ``path``."""
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
        log = cls(Path(path), synchronous=synchronous, clock=clock, poll_interval=poll_interval)
        log.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            await log._writer.open(lambda: _connect(log.path, synchronous, readonly=False))
            await log._writer.call(_create_schema)
            await log._reader.open(lambda: _connect(log.path, synchronous, readonly=True))
            log._advance(await log.last_position())
        except BaseException:
            await log.close()
            raise
        return log

    async def append(
        self, stream: str, events: Sequence[NewEvent], *, expected_version: int | None = None
    ) -> AppendResult:
        validate_append(stream, events, expected_version)
        recorded_us = to_micros(self.clock())
        async with self._write_lock:
            result = await self._writer.call(
                lambda c: _in_transaction(
                    c, lambda c: _append_in_tx(c, stream, events, expected_version, recorded_us)
                )
            )
        if result.positions:
            self._advance(result.positions[-1])
        return result

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self._write_lock:
            await self._writer.call(lambda c: c.execute("BEGIN IMMEDIATE"))
            uow = SQLiteUnitOfWork(self)
            try:
                yield uow
            except BaseException:
                await asyncio.shield(self._writer.call(lambda c: c.execute("ROLLBACK")))
                raise
            await self._writer.call(lambda c: c.execute("COMMIT"))
        if uow._last_position:
            self._advance(uow._last_position)

    async def _read_page(
        self, after_position: int, limit: int, types: Collection[str] | None
    ) -> list[RecordedEvent]:
        if types is None:
            sql = f"SELECT {_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?"
            args: tuple[object, ...] = (after_position, limit)
        else:
            if not types:
                return []
            marks = ",".join("?" * len(types))
            sql = (
                f"SELECT {_COLUMNS} FROM events WHERE position > ? AND type IN ({marks})"
                " ORDER BY position LIMIT ?"
            )
            args = (after_position, *types, limit)
        return await self._reader.call(lambda c: _rows_to_events(c.execute(sql, args).fetchall()))

    async def _read_stream_page(
        self, stream: str, after_version: int, limit: int
    ) -> list[RecordedEvent]:
        sql = (
            f"SELECT {_COLUMNS} FROM events WHERE stream = ? AND stream_version > ?"
            " ORDER BY stream_version LIMIT ?"
        )
        return await self._reader.call(
            lambda c: _rows_to_events(c.execute(sql, (stream, after_version, limit)).fetchall())
        )

    async def last_position(self) -> int:
        return await self._reader.call(
            lambda c: int(c.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()[0])
        )

    async def stream_version(self, stream: str) -> int:
        return await self._reader.call(
            lambda c: int(
                c.execute(
                    "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream = ?",
                    (stream,),
                ).fetchone()[0]
            )
        )

    async def get_checkpoint(self, name: str) -> int:
        return await self._reader.call(lambda c: _get_checkpoint(c, name))

    async def get_state(self, namespace: str, key: str) -> bytes | None:
        return await self._reader.call(lambda c: _get_state(c, namespace, key))

    async def scan_state(self, namespace: str, prefix: str = "") -> list[tuple[str, bytes]]:
        def scan(conn: sqlite3.Connection) -> list[tuple[str, bytes]]:
            rows = conn.execute(
                "SELECT key, value FROM projection_state WHERE namespace = ?"
                " AND substr(key, 1, ?) = ? ORDER BY key",
                (namespace, len(prefix), prefix),
            ).fetchall()
            return [(str(k), bytes(v)) for k, v in rows]

        return await self._reader.call(scan)

    async def stats(self, top_streams: int = 10) -> LogStats:
        def collect(conn: sqlite3.Connection) -> LogStats:
            conn.execute("BEGIN")
            try:
                last, count = conn.execute(
                    "SELECT coalesce(max(position), 0), count(*) FROM events"
                ).fetchone()
                by_type = dict(
                    conn.execute(
                        "SELECT type, count(*) FROM events GROUP BY type ORDER BY 2 DESC, 1"
                    ).fetchall()
                )
                (streams,) = conn.execute("SELECT count(DISTINCT stream) FROM events").fetchone()
                top = conn.execute(
                    "SELECT stream, count(*) FROM events GROUP BY stream"
                    " ORDER BY 2 DESC, 1 LIMIT ?",
                    (top_streams,),
                ).fetchall()
                subs = dict(conn.execute("SELECT name, position FROM subscriptions").fetchall())
            finally:
                conn.execute("COMMIT")
            return LogStats(
                last_position=last,
                events=count,
                streams=streams,
                by_type=by_type,
                top_streams=[(str(s), int(n)) for s, n in top],
                subscriptions=subs,
            )

        return await self._reader.call(collect)

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()
