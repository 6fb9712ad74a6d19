"""The event vocabulary: frozen dataclasses, their registry and deterministic ids."""

from bot.events.base import DomainEvent, EventRegistry, EventSchemaError, Upcaster
from bot.events.feed import FeedFailing, FeedRecovered
from bot.events.ids import event_id
from bot.events.release import ReleaseReceived

# Every event type trialwire stores, by its stored name.
DOMAIN_EVENTS = EventRegistry([ReleaseReceived, FeedFailing, FeedRecovered])

__all__ = [
    "DOMAIN_EVENTS",
    "DomainEvent",
    "EventRegistry",
    "EventSchemaError",
    "ReleaseReceived",
    "Upcaster",
    "event_id",
]
