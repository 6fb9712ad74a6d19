"""Appending: atomic batches, optimistic concurrency, idempotency."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from bot.eventlog import NO_STREAM, ConcurrencyError, EventLog, NewEvent
from tests.conftest import FakeClock
from tests.eventlog.factories import batch, new_event


async def test_append_assigns_positions_and_stream_versions(log: EventLog) -> None:
    first = await log.append("trial:a", batch(3))
    second = await log.append("trial:b", batch(2, start=3))
    third = await log.append("trial:a", batch(1, start=5))

    assert first.stream_version == 3
    assert second.stream_version == 2
    assert third.stream_version == 4
    positions = [*first.positions, *second.positions, *third.positions]
    assert positions == sorted(positions)
    assert len(set(positions)) == 6
    events = [e async for e in log.read()]
    assert [e.position for e in events] == positions
    assert [(e.stream, e.stream_version) for e in events] == [
        ("trial:a", 1), ("trial:a", 2), ("trial:a", 3),
        ("trial:b", 1), ("trial:b", 2), ("trial:a", 4),
    ]  # fmt: skip
    assert await log.last_position() == positions[-1]
    assert await log.stream_version("trial:a") == 4
    assert await log.stream_version("nothing-here") == 0


async def test_envelope_round_trips(log: EventLog, clock: FakeClock) -> None:
    cause = uuid.uuid4()
    occurred = datetime(2017, 2, 22, 8, 30, 15, 123456, tzinfo=UTC)
    event = NewEvent.from_dict(
        event_id=uuid.uuid4(),
        type="CohortInitiated",
        schema_version=3,
        data={"drug": "CLR 131", "dose": {"value": 31.25, "unit": "mCi/m2"}, "text": "µ²≥ ✓"},
        occurred_at=occurred,
        caused_by=cause,
        metadata={"extractor": "1.0"},
    )
    clock.advance(minutes=5)
    await log.append("trial:CLRB", [event])

    [stored] = [e async for e in log.read()]
    assert stored.event_id == event.event_id
    assert stored.type == "CohortInitiated"
    assert stored.schema_version == 3
    assert msgspec.json.decode(stored.data) == msgspec.json.decode(event.data)
    assert stored.occurred_at == occurred
    assert stored.recorded_at == clock.now
    assert stored.caused_by == cause
    assert msgspec.json.decode(stored.metadata) == {"extractor": "1.0"}


async def test_expected_version_guards_the_stream(log: EventLog) -> None:
    await log.append("s", batch(2), expected_version=NO_STREAM)
    await log.append("s", batch(1, start=2), expected_version=2)

    with pytest.raises(ConcurrencyError) as stale:
        await log.append("s", batch(1, start=3), expected_version=2)
    assert (stale.value.expected, stale.value.actual) == (2, 3)
    with pytest.raises(ConcurrencyError):
        await log.append("s", batch(1, start=4), expected_version=NO_STREAM)

    assert await log.stream_version("s") == 3
    assert len([e async for e in log.read()]) == 3
    result = await log.append("s", batch(1, start=5))  # no expectation: always appends
    assert result.stream_version == 4


async def test_racing_writers_with_the_same_expectation_one_wins(log: EventLog) -> None:
    results = await asyncio.gather(
        *(log.append("race", batch(2, start=10 * i), expected_version=NO_STREAM) for i in range(8)),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, ConcurrencyError) for r in losers)
    assert await log.stream_version("race") == 2


async def test_appending_a_stored_event_again_is_a_reported_noop(log: EventLog) -> None:
    events = batch(3)
    first = await log.append("s", events)
    again = await log.append("s", events)

    assert not first.noop
    assert again.noop
    assert set(again.duplicates) == {e.event_id for e in events}
    assert again.positions == ()
    assert again.stream_version == 3
    assert len([e async for e in log.read()]) == 3


async def test_a_retried_append_with_its_original_expectation_is_a_noop(log: EventLog) -> None:
    events = batch(2)
    await log.append("s", events, expected_version=NO_STREAM)
    await log.append("s", batch(1, start=2))

    retried = await log.append("s", events, expected_version=NO_STREAM)
    assert retried.noop
    assert await log.stream_version("s") == 3


async def test_a_batch_overlapping_the_log_appends_only_the_new_events(log: EventLog) -> None:
    old = batch(2)
    await log.append("s", old)
    fresh = batch(2, start=2)
    result = await log.append("s", [old[0], fresh[0], old[1], fresh[1]])

    assert result.appended == (fresh[0].event_id, fresh[1].event_id)
    assert set(result.duplicates) == {old[0].event_id, old[1].event_id}
    versions = [(e.event_id, e.stream_version) async for e in log.read_stream("s")]
    assert versions == [
        (old[0].event_id, 1), (old[1].event_id, 2), (fresh[0].event_id, 3), (fresh[1].event_id, 4)
    ]  # fmt: skip


async def test_an_id_already_stored_in_another_stream_is_not_duplicated(log: EventLog) -> None:
    event = new_event()
    await log.append("one", [event])
    result = await log.append("two", [event])
    assert result.noop
    assert await log.stream_version("two") == 0


async def test_a_failed_unit_of_work_leaves_no_trace(log: EventLog) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with log.transaction() as uow:
            await uow.append("s", batch(5))
            await uow.save_checkpoint("sub", 5)
            await uow.put_state("ns", "k", b"{}")
            raise Boom

    assert [e async for e in log.read()] == []
    assert await log.get_checkpoint("sub") == 0
    assert await log.get_state("ns", "k") is None
    assert (await log.append("s", batch(1))).stream_version == 1


async def test_a_conflict_inside_a_unit_of_work_rolls_back_its_earlier_appends(
    log: EventLog,
) -> None:
    await log.append("taken", batch(1))
    with pytest.raises(ConcurrencyError):
        async with log.transaction() as uow:
            await uow.append("free", batch(2))
            await uow.append("taken", batch(1), expected_version=NO_STREAM)
    assert await log.stream_version("free") == 0


@pytest.mark.parametrize("size", [40, 300])
async def test_large_batches_follow_the_same_rules(log: EventLog, size: int) -> None:
    """Large batches take another path (COPY on PostgreSQL, a thread on SQLite)."""
    first = batch(size)
    result = await log.append("big", first, expected_version=NO_STREAM)
    assert result.stream_version == size
    assert list(result.positions) == sorted(result.positions)
    assert len(result.positions) == size

    assert (await log.append("big", first, expected_version=NO_STREAM)).noop
    with pytest.raises(ConcurrencyError):
        await log.append("big", batch(size, start=size), expected_version=NO_STREAM)

    mixed = [*first[: size // 2], *batch(size, start=size)]
    overlap = await log.append("big", mixed, expected_version=size)
    assert overlap.appended == tuple(e.event_id for e in mixed[size // 2 :])
    assert len(overlap.duplicates) == size // 2
    stored = [e async for e in log.read_stream("big")]
    assert [e.stream_version for e in stored] == list(range(1, 2 * size + 1))
    assert [e.event_id for e in stored] == [
        *(e.event_id for e in first), *(e.event_id for e in mixed[size // 2 :])
    ]  # fmt: skip
    waiter_sees = await log.wait_for_events(stored[-2].position)
    assert waiter_sees == stored[-1].position
