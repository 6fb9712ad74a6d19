"""The guidance tracker on release pairs: moves inferred, achievements judged, once each."""

from __future__ import annotations

from bot.eventlog import EventLog
from bot.events import DOMAIN_EVENTS
from bot.events.trial import GuidanceMoved, MilestoneAchieved
from handlers.pipeline import catch_up, knowledge_subscribers
from handlers.queries import status
from handlers.tracker import TRACKER_VERSION
from tests.handlers.support import corpus_release, record_all, release

FIRST = release(
    "9000001",
    "MADISON, Wis., Jan. 5, 2017 (GLOBE NEWSWIRE) -- Cellectar Biosciences, Inc. (Nasdaq: CLRB) "
    "today provided an update on CLR 131. The company expects to initiate its Phase 2 trial of "
    "CLR 131 in the second half of 2017.",
    published="2017-01-05T13:00:00",
)
SECOND = release(
    "9000002",
    "MADISON, Wis., Feb. 1, 2017 (GLOBE NEWSWIRE) -- Cellectar Biosciences, Inc. (Nasdaq: CLRB) "
    "today provided an update on CLR 131. The company now expects to initiate its Phase 2 trial "
    "of CLR 131 in the first quarter of 2017.",
    published="2017-02-01T13:00:00",
)
THIRD = release(
    "9000003",
    "MADISON, Wis., Mar. 20, 2017 (GLOBE NEWSWIRE) -- Cellectar Biosciences, Inc. (Nasdaq: CLRB) "
    "today announced that it has initiated its Phase 2 clinical trial of CLR 131 in patients "
    "with relapsed or refractory multiple myeloma.",
    published="2017-03-20T13:00:00",
)


async def tracker_events(log: EventLog) -> list[GuidanceMoved | MilestoneAchieved]:
    found = []
    async for recorded in log.read(types={GuidanceMoved.TYPE, MilestoneAchieved.TYPE}):
        event = DOMAIN_EVENTS.decode(recorded.type, recorded.schema_version, recorded.data)
        assert isinstance(event, GuidanceMoved | MilestoneAchieved)
        if event.extractor_version == TRACKER_VERSION:
            found.append(event)
    return found


async def test_a_new_period_for_the_same_milestone_is_a_move(event_log: EventLog) -> None:
    await record_all(event_log, FIRST, SECOND)
    await catch_up(event_log)

    [moved] = await tracker_events(event_log)
    assert isinstance(moved, GuidanceMoved)
    assert (moved.direction, moved.basis) == ("earlier", "inferred")
    assert moved.previous is not None
    assert moved.period is not None
    assert (moved.previous.label, moved.period.label) == ("2017-H2", "2017-Q1")
    assert "first quarter of 2017" in moved.evidence.sentence
    [doc] = await status(event_log, "CLRB")
    phase2 = next(g for g in doc.guidance if g.key == "CLR131|start|2")
    assert [(m.direction, m.basis) for m in phase2.moves] == [("earlier", "inferred")]


async def test_reaching_a_guided_milestone_is_judged_against_the_last_guidance(
    event_log: EventLog,
) -> None:
    await record_all(event_log, FIRST, SECOND, THIRD)
    await catch_up(event_log)

    achieved = [e for e in await tracker_events(event_log) if isinstance(e, MilestoneAchieved)]
    assert [(e.vs_guidance, e.guided and e.guided.label) for e in achieved] == [
        ("on_time", "2017-Q1")
    ]
    [doc] = await status(event_log, "CLRB")
    phase2 = next(g for g in doc.guidance if g.key == "CLR131|start|2")
    assert phase2.vs_guidance == "on_time"


async def test_replays_and_second_runners_append_nothing_twice(event_log: EventLog) -> None:
    await record_all(event_log, FIRST, SECOND, THIRD)
    await catch_up(event_log)
    before = (await event_log.stats()).events

    async with event_log.transaction() as uow:  # a replica starting from scratch
        for subscriber in knowledge_subscribers():
            reset = getattr(subscriber, "reset", None)
            if reset is not None:
                await reset(uow)
            await uow.save_checkpoint(subscriber.name, 0)
    await catch_up(event_log)

    assert (await event_log.stats()).events == before


async def test_restated_guidance_is_not_a_move_and_stated_moves_are_not_inferred_again(
    event_log: EventLog,
) -> None:
    same = release(
        "9000004",
        SECOND.text.replace("9000002", "9000004").replace("now expects", "continues to expect"),
        published="2017-02-15T13:00:00",
    )
    await record_all(event_log, SECOND, same)
    await catch_up(event_log)
    assert await tracker_events(event_log) == []


async def test_a_stated_delay_in_a_real_release_pair(event_log: EventLog) -> None:
    await record_all(
        event_log,
        corpus_release("100_acasti_trilogy1_last_patient_visit"),
        corpus_release("101_acasti_trilogy1_topline_postponed"),
    )
    await catch_up(event_log)
    [doc] = await status(event_log, "ACST")
    topline = next(g for g in doc.guidance if "data" in g.key and g.moves)
    assert topline.moves[-1].direction == "later"
    assert topline.period is not None
    assert topline.period.label.startswith("2020")
