"""Property tests: any sequence of appends keeps the log's promises."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.eventlog import ConcurrencyError, NewEvent
from bot.eventlog.sqlite import SQLiteEventLog

STREAMS = ["a", "b", "trial:CLRB:CLR131"]
IDS = [uuid.UUID(int=n) for n in range(1, 40)]  # a small pool, so ids repeat

appends = st.lists(
    st.tuples(
        st.sampled_from(STREAMS),
        st.lists(st.sampled_from(IDS), min_size=1, max_size=6, unique=True),
        st.one_of(st.none(), st.integers(min_value=0, max_value=8)),
        st.text(max_size=30),
    ),
    min_size=1,
    max_size=25,
)


async def apply(ops: list[tuple[str, list[uuid.UUID], int | None, str]], folder: Path) -> None:
    log = await SQLiteEventLog.open(folder / "events.db")
    try:
        stored: dict[uuid.UUID, str] = {}
        for stream, ids, expected, text in ops:
            batch = [
                NewEvent.from_dict(event_id=i, type="Fact", data={"text": text, "id": str(i)})
                for i in ids
            ]
            before = await log.stream_version(stream)
            reported: int | None
            try:
                result = await log.append(stream, batch, expected_version=expected)
            except ConcurrencyError as conflict:
                reported = conflict.actual
            else:
                reported = None
            if reported is not None:
                assert expected is not None
                assert reported == before
                assert await log.stream_version(stream) == before  # nothing half-written
                continue
            assert set(result.appended) | set(result.duplicates) == set(ids)
            assert set(result.duplicates) == {i for i in ids if i in stored}
            assert result.stream_version == before + len(result.appended)
            for event_id in result.appended:
                stored[event_id] = stream

        events = [e async for e in log.read()]
        positions = [e.position for e in events]
        assert positions == sorted(positions)
        assert len(set(positions)) == len(positions)
        assert [e.event_id for e in events].count(IDS[0]) <= 1
        assert len({e.event_id for e in events}) == len(events) == len(stored)
        for stream in STREAMS:
            versions = [e.stream_version async for e in log.read_stream(stream)]
            assert versions == list(range(1, len(versions) + 1))
        if events:
            middle = events[len(events) // 2].position
            suffix = [e.position async for e in log.read(from_position=middle)]
            assert suffix == [p for p in positions if p > middle]
    finally:
        await log.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(appends)
def test_any_sequence_of_appends_keeps_positions_ordered_and_ids_unique(
    ops: list[tuple[str, list[uuid.UUID], int | None, str]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(apply(ops, Path(folder)))
