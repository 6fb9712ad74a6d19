"""Dropping the state and replaying the log gives the same state, on both backends."""

from __future__ import annotations

from bot.eventlog import CatchUpSubscription, EventLog
from handlers.pipeline import catch_up, knowledge_subscribers
from handlers.tracker import NAMESPACE as TRACKER
from handlers.trial_state import ALIASES, NAMESPACE, TrialStateProjection
from tests.eventlog.conftest import OpenLog
from tests.handlers.support import CORPUS, corpus_release, record_all


async def snapshot(log: EventLog) -> dict[str, list[tuple[str, bytes]]]:
    return {ns: await log.scan_state(ns) for ns in (NAMESPACE, ALIASES, TRACKER)}


async def test_replaying_the_corpus_rebuilds_identical_state(open_log: OpenLog) -> None:
    log = await open_log()
    releases = [corpus_release(path.stem) for path in sorted(CORPUS.glob("*.txt"))]
    assert len(releases) >= 60
    await record_all(log, *releases)
    handled = await catch_up(log)
    assert handled["extraction"] == len(releases)
    before = await snapshot(log)
    events_before = (await log.stats()).events
    assert len(before[NAMESPACE]) >= 30  # companies

    restarted = await open_log()  # a fresh process, its subscribers with empty memories
    async with restarted.transaction() as uow:
        for subscriber in knowledge_subscribers():
            await uow.delete_state(NAMESPACE)
            await uow.delete_state(ALIASES)
            await uow.delete_state(TRACKER)
            await uow.save_checkpoint(subscriber.name, 0)
    assert (await snapshot(restarted))[NAMESPACE] == []
    await catch_up(restarted, page_size=37)  # other page boundaries, same answer

    assert await snapshot(restarted) == before
    assert (await restarted.stats()).events == events_before


async def test_a_projection_that_keeps_one_document_in_memory_writes_the_same_state(
    open_log: OpenLog,
) -> None:
    log = await open_log()
    await record_all(log, *(corpus_release(path.stem) for path in sorted(CORPUS.glob("*.txt"))))
    await catch_up(log)
    before = await snapshot(log)

    async with log.transaction() as uow:
        await TrialStateProjection().reset(uow)
    small = TrialStateProjection(cache_docs=1)  # reloads nearly every document it folds
    run = CatchUpSubscription(log, small, page_size=7, commit_every=14)
    commits: list[int] = []
    await run.catch_up(commits.append)

    assert len(commits) > 10
    assert len(small._docs) <= 1
    assert await snapshot(log) == before
