"""The event vocabulary: frozen dataclasses, their registry and deterministic ids."""

from bot.events.base import DomainEvent, EventRegistry, EventSchemaError, Upcaster
from bot.events.feed import FeedFailing, FeedRecovered
from bot.events.ids import event_id
from bot.events.release import ReleaseReceived
from bot.events.slack import ChannelUnwatched, ChannelWatched
from bot.events.trial import TRIAL_EVENT_TYPES

# Every event type trialwire stores, by its stored name.
DOMAIN_EVENTS = EventRegistry(
    [
        ReleaseReceived,
        FeedFailing,
        FeedRecovered,
        ChannelWatched,
        ChannelUnwatched,
        *TRIAL_EVENT_TYPES,
    ]
)

__all__ = [
    "DOMAIN_EVENTS",
    "DomainEvent",
    "EventRegistry",
    "EventSchemaError",
    "ReleaseReceived",
    "Upcaster",
    "event_id",
]
