"""The extraction stage: each ReleaseReceived → its trial events, appended once.

A catch-up subscriber: the derived events of a release and the stage's
checkpoint commit together, and their ids are derived from the release and
the facts, so a crash, a replay or a second replica never duplicates them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from bot.eventlog import NewEvent, RecordedEvent, UnitOfWork
from bot.events import DOMAIN_EVENTS, ReleaseReceived, event_id
from bot.events.trial import TrialEvent
from bot.extract import EXTRACTOR_VERSION, ReleaseInput, extract
from handlers.identity import company_key, trial_stream


def derived_events(recorded: RecordedEvent, release: ReleaseReceived) -> dict[str, list[NewEvent]]:
    """The release's trial events, ready to append, by stream. Pure."""
    company = company_key(release.tickers, release.company)
    metadata = {
        "release_id": release.release_id,
        "company": company,
        "history": release.backfill,
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
