"""Reading forward: from any position, one stream, by type, page by page."""

from __future__ import annotations

from bot.eventlog import EventLog
from tests.eventlog.factories import batch


async def _fill(log: EventLog) -> None:
    for i in range(10):
        await log.append(f"stream-{i % 3}", batch(5, start=5 * i, type=f"Type{i % 2}"))


async def test_reads_forward_from_any_position(log: EventLog) -> None:
    await _fill(log)
    everything = [e async for e in log.read()]
    assert len(everything) == 50
    middle = everything[20].position
    rest = [e async for e in log.read(from_position=middle)]
    assert [e.position for e in rest] == [e.position for e in everything[21:]]
    assert [e async for e in log.read(from_position=everything[-1].position)] == []


async def test_reads_one_stream_in_version_order(log: EventLog) -> None:
    await _fill(log)
    stream = [e async for e in log.read_stream("stream-1")]
    assert [e.stream_version for e in stream] == list(range(1, 16))
    assert {e.stream for e in stream} == {"stream-1"}
    tail = [e.stream_version async for e in log.read_stream("stream-1", from_version=12)]
    assert tail == [13, 14, 15]
    paged = [e.stream_version async for e in log.read_stream("stream-1", page_size=4)]
    assert paged == list(range(1, 16))


async def test_filters_by_type(log: EventLog) -> None:
    await _fill(log)
    odd = [e async for e in log.read(types={"Type1"})]
    assert len(odd) == 25
    assert {e.type for e in odd} == {"Type1"}
    assert [e async for e in log.read(types=set())] == []
    assert [e async for e in log.read(types={"Unknown"})] == []


async def test_pages_are_bounded_and_cover_everything_once(log: EventLog) -> None:
    await _fill(log)
    pages = [page async for page in log.read_pages(page_size=7)]
    assert max(len(p) for p in pages) == 7
    positions = [e.position for p in pages for e in p]
    assert positions == sorted(set(positions))
    assert len(positions) == 50


async def test_stats_count_by_type_and_stream(log: EventLog) -> None:
    await _fill(log)
    async with log.transaction() as uow:
        await uow.save_checkpoint("trial-state", 12)
    stats = await log.stats(top_streams=2)
    assert stats.events == 50
    assert stats.last_position == await log.last_position()
    assert stats.by_type == {"Type0": 25, "Type1": 25}
    assert stats.streams == 3
    assert stats.top_streams == [("stream-0", 20), ("stream-1", 15)]
    assert stats.subscriptions == {"trial-state": 12}


async def test_projection_state_is_namespaced_and_scannable(log: EventLog) -> None:
    async with log.transaction() as uow:
        await uow.put_states("trials", [("CLRB/CLR131", b'{"cohort":4}'), ("CLRB/CLR1404", b"{}")])
        await uow.put_state("trials", "SELB/SEL212", b"{}")
        await uow.put_state("calendar", "2017-Q1", b"[]")
        assert await uow.get_state("trials", "CLRB/CLR131") == b'{"cohort":4}'
    assert [k for k, _ in await log.scan_state("trials", "CLRB/")] == [
        "CLRB/CLR131",
        "CLRB/CLR1404",
    ]
    async with log.transaction() as uow:
        await uow.put_state("trials", "CLRB/CLR131", b'{"cohort":5}')
        await uow.delete_state("trials", "CLRB/CLR1404")
    assert await log.get_state("trials", "CLRB/CLR131") == b'{"cohort":5}'
    assert await log.get_state("trials", "CLRB/CLR1404") is None
    async with log.transaction() as uow:
        await uow.delete_state("trials")
    assert await log.scan_state("trials") == []
    assert await log.get_state("calendar", "2017-Q1") == b"[]"


async def test_existing_tells_which_ids_are_stored(log: EventLog) -> None:
    stored = batch(3)
    await log.append("s", stored)
    missing = batch(2)
    ids = [e.event_id for e in (*stored[:2], *missing)]
    assert await log.existing(ids) == {stored[0].event_id, stored[1].event_id}
    assert await log.existing([]) == set()
