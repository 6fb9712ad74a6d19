"""Recording a received release in the log: once, whoever records it and how often."""

from __future__ import annotations

from uuid import UUID

from bot.eventlog import AppendResult, EventLog, NewEvent
from bot.events import EventRegistry, ReleaseReceived, event_id
from bot.events.release import release_stream


def release_event_id(release_id: str) -> UUID:
    """Polling the same feed again, two pollers racing or a restart all produce this id,
    so a release is stored once and the other appends are no-ops."""
    return event_id(ReleaseReceived.TYPE, release_id)


def release_event(registry: EventRegistry, release: ReleaseReceived) -> NewEvent:
    return NewEvent.from_domain(
        registry,
        release,
        event_id=release_event_id(release.release_id),
        occurred_at=release.published_at,
    )


async def record_release(
    log: EventLog, registry: EventRegistry, release: ReleaseReceived
) -> AppendResult:
    """Append ReleaseReceived to the release's own stream (a no-op if it is there)."""
    return await log.append(release_stream(release.release_id), [release_event(registry, release)])
