"""The extraction stage: each ReleaseReceived → its trial events, appended once.

A catch-up subscriber: the derived events of a release and the stage's
checkpoint commit together, and their ids are derived from the release and
the facts, so a crash, a replay or a second replica never duplicates them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from bot.eventlog import EventLog, NewEvent, RecordedEvent, UnitOfWork
from bot.events import DOMAIN_EVENTS, ReleaseReceived, event_id
from bot.events.trial import TrialEvent
from bot.extract import EXTRACTOR_VERSION, ReleaseInput, extract
from handlers.identity import company_key, trial_stream


def derived_events(
    recorded: RecordedEvent, release: ReleaseReceived, *, history: bool = False
) -> dict[str, list[NewEvent]]:
    """The release's trial events, ready to append, by stream. Pure.

    ``history`` marks them as never to be alerted (besides a backfilled release's own).
    """
    company = company_key(release.tickers, release.company)
    metadata = {
        "release_id": release.release_id,
        "company": company,
        "history": release.backfill or history,
        "extractor": EXTRACTOR_VERSION,
    }
    by_stream: dict[str, list[NewEvent]] = defaultdict(list)
    events: list[TrialEvent] = extract(ReleaseInput.from_release(release))
    for event in events:
        by_stream[trial_stream(company, event.drug)].append(
            NewEvent.from_domain(
                DOMAIN_EVENTS,
                event,
                event_id=event_id(release.release_id, event.TYPE, *event.identity()),
                occurred_at=release.published_at,
                caused_by=recorded.event_id,
                metadata=metadata,
            )
        )
    return by_stream


class ExtractionStage:
    """Reads every release once and appends what it says."""

    name = "extraction"
    types = (ReleaseReceived.TYPE,)

    async def handle(self, uow: UnitOfWork, events: Sequence[RecordedEvent]) -> None:
        for recorded in events:
            release = DOMAIN_EVENTS.decode_as(
                ReleaseReceived, recorded.schema_version, recorded.data
            )
            for stream, derived in derived_events(recorded, release).items():
                await uow.append(stream, derived)


async def reextract(
    log: EventLog, progress: Callable[[int, int], None] = lambda done, total: None
) -> int:
    """Run the current extractor over every stored release; append only what is new.

    Facts an earlier extractor already derived get the same ids and are
    skipped; new ones are appended as history, so old news never alerts.
    Returns how many events were appended.
    """
    total = (await log.stats(top_streams=0)).by_type.get(ReleaseReceived.TYPE, 0)
    done = appended = 0
    progress(0, total)
    async for page in log.read_pages(types={ReleaseReceived.TYPE}, page_size=200):
        async with log.transaction() as uow:
            for recorded in page:
                release = DOMAIN_EVENTS.decode_as(
                    ReleaseReceived, recorded.schema_version, recorded.data
                )
                for stream, derived in derived_events(recorded, release, history=True).items():
                    result = await uow.append(stream, derived)
                    appended += len(result.appended)
        done += len(page)
        progress(done, total)
    return appended
