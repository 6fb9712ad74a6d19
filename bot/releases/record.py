"""Recording a received release in the log: once, whoever records it and how often."""

from __future__ import annotations

from bot.eventlog import AppendResult, EventLog, NewEvent
from bot.events import EventRegistry, ReleaseReceived, event_id
from bot.events.release import release_stream


async def record_release(
    log: EventLog, registry: EventRegistry, release: ReleaseReceived
) -> AppendResult:
    """Append ReleaseReceived with an id derived from the release id.

    Polling the same feed again, two pollers racing or a restart all produce
    the same id, so the release is stored once and the others are no-ops.
    """
    event = NewEvent.from_domain(
        registry,
        release,
        event_id=event_id(ReleaseReceived.TYPE, release.release_id),
        occurred_at=release.published_at,
    )
    return await log.append(release_stream(release.release_id), [event])
