"""The contract suite runs every test against both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.eventlog import EventLog
from bot.eventlog.postgres import PostgresEventLog
from bot.eventlog.sqlite import SQLiteEventLog
from tests.conftest import FakeClock, fresh_pg_schema

OpenLog = Callable[..., Awaitable[EventLog]]


@pytest.fixture(params=["sqlite", "postgres"])
async def open_log(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[OpenLog]:
    """Opens logs on one backend (all sharing one database); closes them afterwards."""
    opened: list[EventLog] = []
    if request.param == "sqlite":
        path = tmp_path / "events.db"

        async def open_one(**kwargs: Any) -> EventLog:
            kwargs.setdefault("clock", clock)
            log = await SQLiteEventLog.open(path, **kwargs)
            opened.append(log)
            return log

        yield open_one
        for log in opened:
            await log.close()
        return
    async with fresh_pg_schema() as (dsn, schema):

        async def open_pg(**kwargs: Any) -> EventLog:
            kwargs.setdefault("clock", clock)
            log = await PostgresEventLog.open(dsn, schema=schema, **kwargs)
            opened.append(log)
            return log

        yield open_pg
        for log in opened:
            await log.close()


@pytest.fixture
async def log(open_log: OpenLog) -> EventLog:
    return await open_log()
