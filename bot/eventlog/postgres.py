"""The scale-out backend: PostgreSQL through asyncpg, shared by several daemon replicas.

Every append holds ``LOCK TABLE events IN EXCLUSIVE MODE`` until it commits
and numbers its events after the highest stored position. Appends therefore
commit in position order and positions have no holes: a reader following
positions never skips an event whose transaction committed after a higher
position became visible (the sequence-gap bug of naive event stores on
PostgreSQL). Plain reads take no lock and are never blocked.

A small append is one round trip to a server-side function that checks the
expected version, skips ids already stored, inserts the rest and NOTIFYs
listeners (woken when the transaction commits). A large batch does the same
steps with COPY for the rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg

from bot.clock import Clock, system_clock, to_micros
from bot.eventlog.model import (
    AppendResult,
    ConcurrencyError,
    EventLogError,
    LogClosedError,
    LogStats,
    NewEvent,
    RecordedEvent,
    occurred_micros,
    plan_append,
    validate_append,
)
from bot.eventlog.port import EventLog, UnitOfWork

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_CONFLICT_SQLSTATE = "TW001"
_COLUMNS = (
    "position, stream, stream_version, event_id, type, schema_version, data,"
    " occurred_us, recorded_us, caused_by, metadata"
)
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")

_DDL = """
CREATE TABLE IF NOT EXISTS events (
    position bigint PRIMARY KEY,
    stream text NOT NULL,
    stream_version bigint NOT NULL,
    event_id uuid NOT NULL UNIQUE,
    type text NOT NULL,
    schema_version integer NOT NULL,
    data bytea NOT NULL,
    occurred_us bigint,
    recorded_us bigint NOT NULL,
    caused_by uuid,
    metadata bytea NOT NULL,
    UNIQUE (stream, stream_version)
);
CREATE TABLE IF NOT EXISTS subscriptions (
    name text PRIMARY KEY,
    position bigint NOT NULL,
    updated_us bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS projection_state (
    namespace text NOT NULL,
    key text NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (namespace, key)
);
CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL);

CREATE OR REPLACE FUNCTION tw_append(
    p_stream text, p_expected bigint, p_recorded_us bigint, p_channel text,
    p_ids uuid[], p_types text[], p_versions integer[], p_data bytea[],
    p_occurred bigint[], p_caused uuid[], p_meta bytea[]
) RETURNS TABLE (r_event_id uuid, r_position bigint, r_stream_version bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_current bigint;
    v_last bigint;
    v_stored uuid[];
    v_inserted integer;
BEGIN
    -- Held until commit: appends commit in position order (no gaps for readers).
    LOCK TABLE events IN EXCLUSIVE MODE;
    SELECT coalesce(max(e.stream_version), 0) INTO v_current
        FROM events e WHERE e.stream = p_stream;
    SELECT coalesce(max(e.position), 0) INTO v_last FROM events e;
    -- An index probe per id; an anti-join here would scan the whole table.
    SELECT coalesce(array_agg(e.event_id), '{}') INTO v_stored
        FROM events e WHERE e.event_id = ANY (p_ids);
    IF p_expected IS NOT NULL AND p_expected <> v_current
       AND cardinality(v_stored) < cardinality(p_ids) THEN
        RAISE EXCEPTION USING ERRCODE = 'TW001',
            MESSAGE = 'concurrency conflict', DETAIL = v_current::text;
    END IF;
    RETURN QUERY
    WITH input AS (
        SELECT t.*, row_number() OVER (ORDER BY t.ord) AS rn
        FROM unnest(p_ids, p_types, p_versions, p_data, p_occurred, p_caused, p_meta)
            WITH ORDINALITY AS t(event_id, type, schema_version, data, occurred_us,
                                 caused_by, metadata, ord)
        WHERE NOT (t.event_id = ANY (v_stored))
    )
    INSERT INTO events (position, stream, stream_version, event_id, type, schema_version,
                        data, occurred_us, recorded_us, caused_by, metadata)
    SELECT v_last + i.rn, p_stream, v_current + i.rn, i.event_id, i.type, i.schema_version, i.data,
           i.occurred_us, p_recorded_us, i.caused_by, i.metadata
    FROM input i ORDER BY i.rn
    RETURNING events.event_id, events.position, events.stream_version;
    GET DIAGNOSTICS v_inserted = ROW_COUNT;
    IF v_inserted > 0 THEN
        PERFORM pg_notify(p_channel, (v_last + v_inserted)::text);
    ELSE
        RETURN QUERY SELECT NULL::uuid, NULL::bigint, v_current;
    END IF;
END
$fn$;
"""


class _Append:
    """The arguments of one ``tw_append`` call, in column arrays."""

    SQL = "SELECT r_event_id, r_position, r_stream_version FROM tw_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"

    @staticmethod
    def args(
        stream: str,
        events: Sequence[NewEvent],
        expected_version: int | None,
        recorded_us: int,
        channel: str,
    ) -> tuple[Any, ...]:
        return (
            stream,
            expected_version,
            recorded_us,
            channel,
            [e.event_id for e in events],
            [e.type for e in events],
            [e.schema_version for e in events],
            [e.data for e in events],
            [occurred_micros(e) for e in events],
            [e.caused_by for e in events],
            [e.metadata for e in events],
        )

    @staticmethod
    def result(stream: str, events: Sequence[NewEvent], rows: list[asyncpg.Record]) -> AppendResult:
        inserted = sorted((r[1], r[0], r[2]) for r in rows if r[0] is not None)
        version = inserted[-1][2] if inserted else rows[0][2] if rows else 0
        appended = {event_id for _, event_id, _ in inserted}
        return AppendResult(
            stream=stream,
            stream_version=version,
            positions=tuple(position for position, _, _ in inserted),
            appended=tuple(event_id for _, event_id, _ in inserted),
            duplicates=tuple(e.event_id for e in events if e.event_id not in appended),
        )


async def _call_append(
    conn: asyncpg.Connection[Any] | asyncpg.pool.PoolConnectionProxy[Any],
    stream: str,
    events: Sequence[NewEvent],
    expected_version: int | None,
    recorded_us: int,
    channel: str,
) -> AppendResult:
    """A small batch: one round trip to the server-side function."""
    try:
        rows = await conn.fetch(
            _Append.SQL, *_Append.args(stream, events, expected_version, recorded_us, channel)
        )
    except asyncpg.PostgresError as exc:
        if getattr(exc, "sqlstate", None) == _CONFLICT_SQLSTATE:
            actual = int(getattr(exc, "detail", None) or -1)
            raise ConcurrencyError(stream, expected_version or 0, actual) from None
        raise
    return _Append.result(stream, events, rows)


async def _copy_append(
    conn: asyncpg.Connection[Any] | asyncpg.pool.PoolConnectionProxy[Any],
    stream: str,
    events: Sequence[NewEvent],
    expected_version: int | None,
    recorded_us: int,
) -> AppendResult:
    """A large batch: the steps of ``tw_append``, with COPY for the rows.

    Runs inside a transaction that already holds the table lock; the caller
    sends the notification (``notify_sql``) before it commits.
    """
    current, last, stored = await conn.fetchrow(  # type: ignore[misc]
        "SELECT (SELECT coalesce(max(stream_version), 0) FROM events WHERE stream = $1),"
        " (SELECT coalesce(max(position), 0) FROM events),"
        " (SELECT coalesce(array_agg(event_id), '{}') FROM events WHERE event_id = ANY ($2::uuid[]))",
        stream,
        [e.event_id for e in events],
    )
    plan = plan_append(
        stream,
        events,
        expected_version,
        version=current,
        position=last,
        stored={UUID(bytes=u.bytes) for u in stored},
    )
    if plan.fresh:
        await conn.copy_records_to_table(
            "events",
            columns=_COPY_COLUMNS,
            records=[
                (
                    last + i,
                    stream,
                    current + i,
                    e.event_id,
                    e.type,
                    e.schema_version,
                    e.data,
                    occurred_micros(e),
                    recorded_us,
                    e.caused_by,
                    e.metadata,
                )
                for i, e in enumerate(plan.fresh, start=1)
            ],
        )
    return plan.result()


# Batches of at least this many events are written with COPY.
COPY_THRESHOLD = 32
_COPY_COLUMNS = [
    "position",
    "stream",
    "stream_version",
    "event_id",
    "type",
    "schema_version",
    "data",
    "occurred_us",
    "recorded_us",
    "caused_by",
    "metadata",
]


class PostgresUnitOfWork(UnitOfWork):
    def __init__(self, log: PostgresEventLog, conn: asyncpg.pool.PoolConnectionProxy[Any]) -> None:
        self._log = log
        self._conn = conn
        self._last_position = 0

    async def append(
        self, stream: str, events: Sequence[NewEvent], *, expected_version: int | None = None
    ) -> AppendResult:
        validate_append(stream, events, expected_version)
        recorded_us = to_micros(self._log.clock())
        if len(events) < COPY_THRESHOLD:
            result = await _call_append(
                self._conn, stream, events, expected_version, recorded_us, self._log.channel
            )
        else:
            await self._conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
            result = await _copy_append(self._conn, stream, events, expected_version, recorded_us)
            if result.positions:
                await self._conn.execute(self._log.notify_sql(result.positions[-1]))
        if result.positions:
            self._last_position = max(self._last_position, result.positions[-1])
        return result

    async def get_checkpoint(self, name: str) -> int:
        """The checkpoint, locked until commit so two runners of one subscriber take turns."""
        await self._conn.execute(
            "INSERT INTO subscriptions (name, position, updated_us) VALUES ($1, 0, $2)"
            " ON CONFLICT (name) DO NOTHING",
            name,
            to_micros(self._log.clock()),
        )
        value = await self._conn.fetchval(
            "SELECT position FROM subscriptions WHERE name = $1 FOR UPDATE", name
        )
        return int(value)

    async def save_checkpoint(self, name: str, position: int) -> None:
        await self._conn.execute(
            "INSERT INTO subscriptions (name, position, updated_us) VALUES ($1, $2, $3)"
            " ON CONFLICT (name) DO UPDATE SET position = excluded.position,"
            " updated_us = excluded.updated_us",
            name,
            position,
            to_micros(self._log.clock()),
        )

    async def get_state(self, namespace: str, key: str) -> bytes | None:
        value = await self._conn.fetchval(
            "SELECT value FROM projection_state WHERE namespace = $1 AND key = $2", namespace, key
        )
        return None if value is None else bytes(value)

    async def put_states(self, namespace: str, items: Iterable[tuple[str, bytes]]) -> None:
        keys, values = [], []
        for key, value in items:
            keys.append(key)
            values.append(value)
        if keys:
            await self._conn.execute(
                "INSERT INTO projection_state (namespace, key, value)"
                " SELECT $1, k, v FROM unnest($2::text[], $3::bytea[]) AS t(k, v)"
                " ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                namespace,
                keys,
                values,
            )

    async def delete_state(self, namespace: str, key: str | None = None) -> None:
        if key is None:
            await self._conn.execute("DELETE FROM projection_state WHERE namespace = $1", namespace)
        else:
            await self._conn.execute(
                "DELETE FROM projection_state WHERE namespace = $1 AND key = $2", namespace, key
            )


class PostgresEventLog(EventLog):
    """An event log in a PostgreSQL schema, shared safely by several processes."""

    def __init__(
        self,
        pool: asyncpg.Pool[Any],
        *,
        dsn: str,
        schema: str,
        clock: Clock,
        poll_interval: float,
    ) -> None:
        super().__init__(poll_interval=poll_interval)
        self._pool = pool
        self._dsn = dsn
        self.schema = schema
        self.clock = clock
        self.channel = f"trialwire_events_{schema}"
        self._listener: asyncpg.Connection[Any] | None = None
        self._reconnect: asyncio.Task[None] | None = None
        self._lease_conn: asyncpg.Connection[Any] | None = None
        self._lease_guard = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        schema: str = "trialwire",
        clock: Clock = system_clock,
        poll_interval: float = 1.0,
        min_size: int = 1,
        max_size: int = 10,
    ) -> PostgresEventLog:
        """Connect, create the schema if needed and start listening for new events."""
        if not _SCHEMA_NAME.match(schema):
            raise ValueError(f"schema must match {_SCHEMA_NAME.pattern}, not {schema!r}")
        await _create_schema(dsn, schema)
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            server_settings={"search_path": schema, "application_name": "trialwire"},
            reset=_keep_session,
        )
        log = cls(pool, dsn=dsn, schema=schema, clock=clock, poll_interval=poll_interval)
        try:
            await log._listen()
            log._advance(await log.last_position())
        except BaseException:
            await log.close()
            raise
        return log

    async def _listen(self) -> None:
        conn = await asyncpg.connect(self._dsn, server_settings={"search_path": self.schema})
        await conn.add_listener(self.channel, self._on_notify)
        conn.add_termination_listener(self._on_listener_lost)
        self._listener = conn

    def _on_notify(self, conn: object, pid: int, channel: str, payload: object) -> None:
        with contextlib.suppress(TypeError, ValueError):
            self._advance(int(str(payload)))

    def _on_listener_lost(self, conn: object) -> None:
        self._listener = None
        if not self._closed and self._reconnect is None:
            self._reconnect = asyncio.get_running_loop().create_task(self._relisten())

    async def _relisten(self) -> None:
        delay = 0.1
        try:
            while not self._closed:
                try:
                    await self._listen()
                    self._advance(await self.last_position())
                    return
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("event log listener reconnect failed: %s", exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)
        finally:
            self._reconnect = None

    async def append(
        self, stream: str, events: Sequence[NewEvent], *, expected_version: int | None = None
    ) -> AppendResult:
        validate_append(stream, events, expected_version)
        self._check_open()
        recorded_us = to_micros(self.clock())
        async with self._pool.acquire() as conn:
            if len(events) < COPY_THRESHOLD:
                result = await _call_append(
                    conn, stream, events, expected_version, recorded_us, self.channel
                )
            else:
                # Few round trips: the lock rides on BEGIN, the notification on COMMIT.
                await conn.execute("BEGIN; LOCK TABLE events IN EXCLUSIVE MODE")
                try:
                    result = await _copy_append(conn, stream, events, expected_version, recorded_us)
                    notify = self.notify_sql(result.positions[-1]) if result.positions else ""
                    await conn.execute(f"{notify}COMMIT")
                except BaseException:
                    if not conn.is_closed():
                        await conn.execute("ROLLBACK")
                    raise
        if result.positions:
            self._advance(result.positions[-1])
        return result

    def notify_sql(self, position: int) -> str:
        """The statement that wakes listeners when the transaction commits."""
        return f"SELECT pg_notify('{self.channel}', '{int(position)}'); "

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        self._check_open()
        async with self._pool.acquire() as conn, conn.transaction():
            uow = PostgresUnitOfWork(self, conn)
            yield uow
        if uow._last_position:
            self._advance(uow._last_position)

    async def _read_page(
        self, after_position: int, limit: int, types: Collection[str] | None
    ) -> list[RecordedEvent]:
        self._check_open()
        if types is None:
            rows = await self._pool.fetch(
                f"SELECT {_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                after_position,
                limit,
            )
        elif not types:
            return []
        else:
            rows = await self._pool.fetch(
                f"SELECT {_COLUMNS} FROM events WHERE position > $1 AND type = ANY ($2::text[])"
                " ORDER BY position LIMIT $3",
                after_position,
                list(types),
                limit,
            )
        return list(map(RecordedEvent.from_row, rows))

    async def _read_stream_page(
        self, stream: str, after_version: int, limit: int
    ) -> list[RecordedEvent]:
        self._check_open()
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE stream = $1 AND stream_version > $2"
            " ORDER BY stream_version LIMIT $3",
            stream,
            after_version,
            limit,
        )
        return list(map(RecordedEvent.from_row, rows))

    async def existing(self, event_ids: Collection[UUID]) -> set[UUID]:
        self._check_open()
        if not event_ids:
            return set()
        rows = await self._pool.fetch(
            "SELECT event_id FROM events WHERE event_id = ANY ($1::uuid[])", list(event_ids)
        )
        return {UUID(bytes=row[0].bytes) for row in rows}

    async def last_position(self) -> int:
        self._check_open()
        value = await self._pool.fetchval("SELECT coalesce(max(position), 0) FROM events")
        return int(value)

    async def stream_version(self, stream: str) -> int:
        self._check_open()
        value = await self._pool.fetchval(
            "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream = $1", stream
        )
        return int(value)

    async def get_checkpoint(self, name: str) -> int:
        self._check_open()
        value = await self._pool.fetchval(
            "SELECT position FROM subscriptions WHERE name = $1", name
        )
        return 0 if value is None else int(value)

    async def get_state(self, namespace: str, key: str) -> bytes | None:
        self._check_open()
        value = await self._pool.fetchval(
            "SELECT value FROM projection_state WHERE namespace = $1 AND key = $2", namespace, key
        )
        return None if value is None else bytes(value)

    async def scan_state(self, namespace: str, prefix: str = "") -> list[tuple[str, bytes]]:
        self._check_open()
        rows = await self._pool.fetch(
            "SELECT key, value FROM projection_state WHERE namespace = $1"
            " AND left(key, length($2)) = $2 ORDER BY key",
            namespace,
            prefix,
        )
        return [(str(r[0]), bytes(r[1])) for r in rows]

    async def stats(self, top_streams: int = 10) -> LogStats:
        self._check_open()
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            totals = await conn.fetchrow("SELECT coalesce(max(position), 0), count(*) FROM events")
            assert totals is not None
            last, count = totals
            by_type = await conn.fetch(
                "SELECT type, count(*) FROM events GROUP BY type ORDER BY 2 DESC, 1"
            )
            streams = await conn.fetchval("SELECT count(DISTINCT stream) FROM events")
            top = await conn.fetch(
                "SELECT stream, count(*) FROM events GROUP BY stream ORDER BY 2 DESC, 1 LIMIT $1",
                top_streams,
            )
            subs = await conn.fetch("SELECT name, position FROM subscriptions")
        return LogStats(
            last_position=int(last),
            events=int(count),
            streams=int(streams),
            by_type={str(r[0]): int(r[1]) for r in by_type},
            top_streams=[(str(r[0]), int(r[1])) for r in top],
            subscriptions={str(r[0]): int(r[1]) for r in subs},
        )

    async def try_lease(self, name: str) -> bool:
        """A session-level advisory lock on a connection of its own: held until released,
        or until this process (or its connection) dies, when another replica takes it."""
        self._check_open()
        async with self._lease_guard:
            if self._lease_conn is not None and self._lease_conn.is_closed():
                self._lease_conn = None
                self._leases.clear()  # the server released them with the connection
            if name in self._leases:
                return True
            if self._lease_conn is None:
                self._lease_conn = await asyncpg.connect(self._dsn)
            granted = await self._lease_conn.fetchval(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", f"{self.schema}:{name}"
            )
            if granted:
                self._leases.add(name)
            return bool(granted)

    async def release_lease(self, name: str) -> None:
        async with self._lease_guard:
            if (
                name in self._leases
                and self._lease_conn is not None
                and not self._lease_conn.is_closed()
            ):
                await self._lease_conn.execute(
                    "SELECT pg_advisory_unlock(hashtextextended($1, 0))", f"{self.schema}:{name}"
                )
            self._leases.discard(name)

    @property
    def leases(self) -> frozenset[str]:
        if self._lease_conn is not None and self._lease_conn.is_closed():
            return frozenset()
        return frozenset(self._leases)

    def _check_open(self) -> None:
        if self._closed:
            raise LogClosedError("the event log is closed")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._reconnect is not None:
            self._reconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()
        leases, self._lease_conn = self._lease_conn, None
        if leases is not None and not leases.is_closed():
            await leases.close()
        self._leases.clear()
        await self._pool.close()


async def _keep_session(conn: asyncpg.Connection[Any]) -> None:
    """Release a pool connection without asyncpg's RESET ALL round trip (a third of a
    single append's time). Pool connections never carry session state of ours: LISTEN
    and session locks live on connections of their own, SET only as SET LOCAL; and
    asyncpg still rolls back a transaction left open before calling this."""


async def _create_schema(dsn: str, schema: str) -> None:
    """Create or upgrade the schema; replicas starting together take turns."""
    try:
        conn = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError) as exc:
        raise EventLogError(f"cannot connect to PostgreSQL: {exc}") from exc
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('trialwire.schema'))")
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await conn.execute(f'SET LOCAL search_path TO "{schema}"')
            version = None
            if await conn.fetchval("SELECT to_regclass('meta') IS NOT NULL"):
                version = await conn.fetchval("SELECT value FROM meta WHERE key = 'schema_version'")
            if version is not None and int(version) > SCHEMA_VERSION:
                raise EventLogError(
                    f"schema {schema!r} was written by a newer trialwire "
                    f"(version {version} > {SCHEMA_VERSION})"
                )
            if version is None or int(version) < SCHEMA_VERSION:
                await conn.execute(_DDL)
                await conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', $1)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    str(SCHEMA_VERSION),
                )
    finally:
        await conn.close()
