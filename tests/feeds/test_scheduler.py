"""The scheduler runs one job per feed, never overlapping, and survives a crashing poll."""

from __future__ import annotations

import asyncio

from bot.feeds.model import FeedSpec
from bot.scheduler import FeedScheduler


async def test_each_feed_is_polled_at_once_then_on_its_own_job() -> None:
    polled: dict[str, asyncio.Event] = {"a": asyncio.Event(), "b": asyncio.Event()}
    calls: list[str] = []

    async def poll(spec: FeedSpec) -> None:
        calls.append(spec.name)
        polled[spec.name].set()
        if spec.name == "a":
            raise RuntimeError("a bug in one feed")

    specs = [FeedSpec(name="a", url="http://127.0.0.1/a", interval=3600),
             FeedSpec(name="b", url="http://127.0.0.1/b", interval=3600)]  # fmt: skip
    scheduler = FeedScheduler(poll, specs)
    scheduler.start()
    try:
        async with asyncio.timeout(10):
            await asyncio.gather(*(event.wait() for event in polled.values()))
        jobs = {job["id"]: job for job in scheduler.jobs()}
    finally:
        scheduler.shutdown()
    assert sorted(calls) == ["a", "b"]
    assert set(jobs) == {"feed:a", "feed:b"}
    assert all(job["max_instances"] == 1 and job["coalesce"] for job in jobs.values())
