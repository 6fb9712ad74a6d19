"""Shared fixtures: an injected clock, temp SQLite files and a PostgreSQL schema per test."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from bot.eventlog import EventLog
from bot.eventlog.sqlite import SQLiteEventLog
from bot.feeds.fetch import new_session
from bot.standins.gnw import GlobeNewswireStandIn

# asyncio's debug mode reports callbacks that block the loop; the guard below fails them.
os.environ.setdefault("PYTHONASYNCIODEBUG", "1")
BLOCKING_LIMIT = 0.5  # seconds a callback may hold the loop (this machine is slow and shared)


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a trialwire child process: without the tests' asyncio debug mode,
    whose reports would mix into what the child prints."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONASYNCIODEBUG"}
    return {**env, **extra}


PG_DSN = os.environ.get("TRIALWIRE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
UNDER_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


class _SlowCallbacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.blocked: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # asyncio logs "Executing <Handle …> took 0.734 seconds" in debug mode.
        if str(record.msg).startswith("Executing") and len(record.args or ()) >= 2:
            took = record.args[1]  # type: ignore[index]
            if isinstance(took, float) and took > BLOCKING_LIMIT:
                self.blocked.append(record.getMessage())


@pytest.fixture(autouse=True)
def no_blocking_callbacks() -> Iterator[None]:
    """Fail a test during which something blocked the event loop for too long."""
    handler = _SlowCallbacks()
    logger = logging.getLogger("asyncio")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.blocked, "the event loop was blocked:\n" + "\n".join(handler.blocked)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = datetime(2017, 2, 22, 13, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


_pg_unreachable: str | None = None
_pg_checked = False


async def _pg_reason() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can (checked once)."""
    global _pg_checked, _pg_unreachable
    if not _pg_checked:
        _pg_checked = True
        try:
            conn = await asyncpg.connect(PG_DSN, timeout=5)
            await conn.close()
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            _pg_unreachable = f"PostgreSQL not reachable at {PG_DSN}: {exc}"
    return _pg_unreachable


async def require_postgres() -> str:
    """The test DSN; skips the test (fails it under CI=true) when there is no server."""
    reason = await _pg_reason()
    if reason is not None:
        if UNDER_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    return PG_DSN


@asynccontextmanager
async def fresh_pg_schema() -> AsyncIterator[tuple[str, str]]:
    """A fresh schema in the test database, dropped afterwards: (dsn, schema)."""
    dsn = await require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    try:
        yield dsn, schema
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()


@pytest.fixture
async def pg_schema() -> AsyncIterator[tuple[str, str]]:
    async with fresh_pg_schema() as found:
        yield found


@pytest.fixture
async def gnw() -> AsyncIterator[GlobeNewswireStandIn]:
    """The GlobeNewswire stand-in on a free port of 127.0.0.1."""
    standin = GlobeNewswireStandIn()
    await standin.start()
    yield standin
    await standin.close()


@pytest.fixture
async def event_log(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SQLiteEventLog]:
    """A real SQLite log in a temporary directory, on the injected clock."""
    log = await SQLiteEventLog.open(tmp_path / "events.db", clock=clock)
    yield log
    await log.close()


async def eventually(
    check: Callable[[], Awaitable[bool]], log: EventLog, *, within: float = 30.0
) -> None:
    """Poll ``check`` until it holds (fail after ``within`` seconds), waking on new events.

    Some progress (a projection storing its state) appends nothing, so waiting for
    events alone could wait for ever: each wait is bounded to a tenth of a second.
    """
    async with asyncio.timeout(within):
        while not await check():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(log.wait_for_events(await log.last_position()), 0.1)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """trialwire's own HTTP session (its limits, its User-Agent, capped decompression)."""
    async with new_session(max_connections=20, per_host=4) as client:
        yield client
