"""The embedded backend: one SQLite file in WAL mode, no server.

Writes run inline on the event loop. A WAL commit costs tens of microseconds,
less than a hop to a worker thread, so the hop would only slow every append
down. What could block the loop for long goes to the writer's thread instead:
waiting for another process's write lock (the CLI next to the daemon), large
batches, and WAL checkpoints (automatic checkpoints are off; a background
thread runs them). Reads stream page by page from a reader thread with its
own connection.

Appends are serialised by SQLite's write lock (``BEGIN IMMEDIATE``), so
global positions are committed in order and a reader following positions
never skips one.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal, TypeVar
from uuid import UUID

from bot.clock import Clock, system_clock, to_micros
from bot.eventlog.model import (
    AppendResult,
    LogClosedError,
    LogStats,
    NewEvent,
    RecordedEvent,
    occurred_micros,
    plan_append,
    validate_append,
)
from bot.eventlog.port import EventLog, UnitOfWork

T = TypeVar("T")
Synchronous = Literal["NORMAL", "FULL"]

SCHEMA_VERSION = 1
# Batches larger than this are written from the writer's thread.
INLINE_BATCH_LIMIT = 256
# A checkpoint is started in the background after this many commits (NORMAL only).
CHECKPOINT_EVERY = 1000
INLINE_CHECKPOINT_PAGES = 20_000
LOCK_WAIT_SECONDS = 30.0

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
_INSERT = f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_HEADS = (
    "SELECT (SELECT coalesce(max(stream_version), 0) FROM events WHERE stream = ?),"
    " (SELECT coalesce(max(position), 0) FROM events)"
)


def _connect(path: Path, synchronous: Synchronous, *, writer: bool) -> sqlite3.Connection:
    # The writer is used inline and, for slow steps, from its thread (never both at once).
    # Opening waits for other processes' locks; afterwards the writer never waits inline.
    conn = sqlite3.connect(
        path, isolation_level=None, timeout=LOCK_WAIT_SECONDS, check_same_thread=not writer
    )
    _ensure_wal(conn)
    conn.execute(f"PRAGMA synchronous={synchronous}")
    if writer and synchronous == "NORMAL":
        # Checkpoints run in the background; the writer checkpoints inline only
        # if they fall far behind. Under FULL the inline default is kept: a WAL
        # that keeps growing makes every commit's fsync dearer.
        conn.execute(f"PRAGMA wal_autocheckpoint={INLINE_CHECKPOINT_PAGES}")
    elif not writer:
        conn.execute("PRAGMA query_only=ON")
    return conn


def _ensure_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL once. Switching needs an exclusive lock, and SQLite answers
    "locked" at once (without waiting) when another process opens the file at the same
    moment, so the switch is retried for a while."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)  # in the connecting thread, never on the event loop


def _create_schema(conn: sqlite3.Connection) -> None:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise LogClosedError(
            f"this log was written by a newer trialwire (schema {version} > {SCHEMA_VERSION})"
        )
    if version < SCHEMA_VERSION:
        # The DDL is idempotent, so two processes creating one file at once is harmless.
        conn.executescript(_SCHEMA + f"PRAGMA user_version={SCHEMA_VERSION};")


def _begin_waiting(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT_SECONDS * 1000)}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    finally:
        conn.execute("PRAGMA busy_timeout=0")


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY or "locked" in str(exc)


def _stored_ids(conn: sqlite3.Connection, items: Sequence[NewEvent | UUID]) -> set[UUID]:
    ids = [(i if isinstance(i, UUID) else i.event_id).bytes for i in items]
    found: set[UUID] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT event_id FROM events WHERE event_id IN ({marks})"
        found.update(UUID(bytes=row[0]) for row in conn.execute(sql, chunk))
    return found


def _append_in_tx(
    conn: sqlite3.Connection,
    stream: str,
    events: Sequence[NewEvent],
    expected_version: int | None,
    recorded_us: int,
) -> AppendResult:
    current, last_position = conn.execute(_HEADS, (stream,)).fetchone()
    plan = plan_append(
        stream,
        events,
        expected_version,
        version=current,
        position=last_position,
        stored=_stored_ids(conn, events),
    )
    conn.executemany(
        _INSERT,
        [
            (
                last_position + i,
                stream,
                current + i,
                e.event_id.bytes,
                e.type,
                e.schema_version,
                e.data,
                occurred_micros(e),
                recorded_us,
                None if e.caused_by is None else e.caused_by.bytes,
                e.metadata,
            )
            for i, e in enumerate(plan.fresh, start=1)
        ],
    )
    return plan.result()


def _get_checkpoint(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT position FROM subscriptions WHERE name = ?", (name,)).fetchone()
    return 0 if row is None else int(row[0])


def _get_state(conn: sqlite3.Connection, namespace: str, key: str) -> bytes | None:
    row = conn.execute(
        "SELECT value FROM projection_state WHERE namespace = ? AND key = ?", (namespace, key)
    ).fetchone()
    return None if row is None else bytes(row[0])


class _Thread:
    """A single worker thread with its own sqlite3 connection."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.conn: sqlite3.Connection | None = None

    async def open(self, factory: Callable[[], sqlite3.Connection]) -> None:
        self.conn = await asyncio.get_running_loop().run_in_executor(self._executor, factory)

    async def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self.conn
        if conn is None:
            raise LogClosedError("the event log is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, conn)

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)


class _Writer:
    """The one write connection, and the rules for when a step leaves the loop."""

    def __init__(self, path: Path, synchronous: Synchronous) -> None:
        self.path = path
        self.synchronous = synchronous
        self.conn: sqlite3.Connection | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trialwire-sqlite-w")
        self._checkpointer = _Thread("trialwire-sqlite-ckpt")
        self._checkpointing: asyncio.Task[None] | None = None
        self._commits = 0

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self.conn = await loop.run_in_executor(
            self._thread, lambda: _connect(self.path, self.synchronous, writer=True)
        )
        await self.in_thread(_begin_and_create_schema)

    def connection(self) -> sqlite3.Connection:
        if self.conn is None:
            raise LogClosedError("the event log is closed")
        return self.conn

    async def in_thread(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in the writer's thread; a cancelled caller still waits for it to end.

        The connection must never be used by the loop while the thread holds it.
        """
        conn = self.connection()
        work = asyncio.get_running_loop().run_in_executor(self._thread, fn, conn)
        cancelled = False
        while True:
            try:
                result = await asyncio.shield(work)
                break
            except asyncio.CancelledError:
                if work.done():
                    raise
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError
        return result

    async def begin(self) -> sqlite3.Connection:
        conn = self.connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            try:
                await self.in_thread(_begin_waiting)  # another process writes: wait off the loop
            except asyncio.CancelledError:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return conn

    def committed(self) -> None:
        self._commits += 1
        if (
            self._commits >= CHECKPOINT_EVERY
            and self._checkpointing is None
            and self.synchronous == "NORMAL"
        ):
            self._commits = 0
            self._checkpointing = asyncio.get_running_loop().create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            if self._checkpointer.conn is None:
                await self._checkpointer.open(
                    lambda: sqlite3.connect(self.path, isolation_level=None, timeout=0)
                )
            await self._checkpointer.call(lambda c: c.execute("PRAGMA wal_checkpoint(PASSIVE)"))
        except sqlite3.Error:
            pass  # a busy checkpoint is simply retried after the next round of commits
        finally:
            self._checkpointing = None

    async def close(self) -> None:
        if self._checkpointing is not None:
            await self._checkpointing
        await self._checkpointer.close()
        conn, self.conn = self.conn, None
        if conn is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._thread, _checkpoint_and_close, conn)
        self._thread.shutdown(wait=True)


def _begin_and_create_schema(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT_SECONDS * 1000)}")
    try:
        _create_schema(conn)
    finally:
        conn.execute("PRAGMA busy_timeout=0")


def _checkpoint_and_close(conn: sqlite3.Connection) -> None:
    # If another process is busy with the file, its own checkpoint will do.
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    conn.close()


class SQLiteUnitOfWork(UnitOfWork):
    def __init__(self, log: SQLiteEventLog, conn: sqlite3.Connection) -> None:
        self._log = log
        self._conn = conn
        self._last_position = 0

    async def append(
        self, stream: str, events: Sequence[NewEvent], *, expected_version: int | None = None
    ) -> AppendResult:
        validate_append(stream, events, expected_version)
        recorded_us = to_micros(self._log.clock())

        def step(conn: sqlite3.Connection) -> AppendResult:
            return _append_in_tx(conn, stream, events, expected_version, recorded_us)

        if len(events) > INLINE_BATCH_LIMIT:
            result = await self._log._writer.in_thread(step)
        else:
            result = step(self._conn)
        if result.positions:
            self._last_position = max(self._last_position, result.positions[-1])
        return result

    async def get_checkpoint(self, name: str) -> int:
        return _get_checkpoint(self._conn, name)

    async def save_checkpoint(self, name: str, position: int) -> None:
        self._conn.execute(
            "INSERT INTO subscriptions (name, position, updated_us) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET position = excluded.position,"
            " updated_us = excluded.updated_us",
            (name, position, to_micros(self._log.clock())),
        )

    async def get_state(self, namespace: str, key: str) -> bytes | None:
        return _get_state(self._conn, namespace, key)

    async def put_states(self, namespace: str, items: Iterable[tuple[str, bytes]]) -> None:
        self._conn.executemany(
            "INSERT INTO projection_state (namespace, key, value) VALUES (?, ?, ?)"
            " ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
            [(namespace, key, value) for key, value in items],
        )

    async def delete_state(self, namespace: str, key: str | None = None) -> None:
        if key is None:
            self._conn.execute("DELETE FROM projection_state WHERE namespace = ?", (namespace,))
        else:
            self._conn.execute(
                "DELETE FROM projection_state WHERE namespace = ? AND key = ?", (namespace, key)
            )


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
        self._writer = _Writer(path, synchronous)
        self._reader = _Thread("trialwire-sqlite-r")
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
        """Open (creating if needed) the log at ``path``.

        ``synchronous="NORMAL"`` survives a process crash; ``"FULL"`` also
        survives power loss, at the price of an fsync per commit.
        """
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
        log = cls(Path(path), synchronous=synchronous, clock=clock, poll_interval=poll_interval)
        log.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            await log._writer.open()
            await log._reader.open(lambda: _connect(log.path, synchronous, writer=False))
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

        def transaction(conn: sqlite3.Connection) -> AppendResult:
            try:
                result = _append_in_tx(conn, stream, events, expected_version, recorded_us)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        async with self._write_lock:
            conn = await self._writer.begin()
            if len(events) > INLINE_BATCH_LIMIT:
                result = await self._writer.in_thread(transaction)
            else:
                result = transaction(conn)
            self._writer.committed()
        if result.positions:
            self._advance(result.positions[-1])
        return result

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work. Do not call ``log.append`` inside it: use the unit's own."""
        async with self._write_lock:
            conn = await self._writer.begin()
            uow = SQLiteUnitOfWork(self, conn)
            try:
                yield uow
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            self._writer.committed()
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
        return await self._reader.call(
            lambda c: list(map(RecordedEvent.from_row, c.execute(sql, args)))
        )

    async def _read_stream_page(
        self, stream: str, after_version: int, limit: int
    ) -> list[RecordedEvent]:
        sql = (
            f"SELECT {_COLUMNS} FROM events WHERE stream = ? AND stream_version > ?"
            " ORDER BY stream_version LIMIT ?"
        )
        return await self._reader.call(
            lambda c: list(
                map(RecordedEvent.from_row, c.execute(sql, (stream, after_version, limit)))
            )
        )

    async def existing(self, event_ids: Collection[UUID]) -> set[UUID]:
        ids = list(event_ids)
        return await self._reader.call(lambda c: _stored_ids(c, ids)) if ids else set()

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
            conn.execute("BEGIN")  # one snapshot for every figure
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
