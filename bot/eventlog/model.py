"""The values the event log takes and gives, its limits and its errors.

Pure: no I/O. Both backends validate with the same functions here, so they
refuse the same input with the same messages.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, NamedTuple
from uuid import UUID

from bot.clock import from_micros, to_micros
from bot.errors import TrialwireError
from bot.events.base import DomainEvent, EventRegistry, encode_json

# Stated limits. A release's text is at most a few hundred KB; 1 MiB leaves room.
MAX_EVENT_BYTES: Final = 1024 * 1024
MAX_BATCH_EVENTS: Final = 10_000
MAX_STREAM_NAME: Final = 400
MAX_TYPE_NAME: Final = 100

# expected_version values: ANY skips the check, NO_STREAM asks for an empty stream.
ANY: Final = None
NO_STREAM: Final = 0


class EventLogError(TrialwireError):
    """Something went wrong in the event log."""


class ConcurrencyError(EventLogError):
    """The stream moved on since the caller read it: re-read, decide again, retry."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        super().__init__(f"stream {stream!r} is at version {actual}, not the expected {expected}")
        self.stream = stream
        self.expected = expected
        self.actual = actual


class InvalidEventError(EventLogError, ValueError):
    """The event or batch breaks a stated limit or rule; nothing was appended."""


class LogClosedError(EventLogError):
    """The log was closed; open it again."""


@dataclass(frozen=True, kw_only=True, slots=True)
class NewEvent:
    """An event to append. ``data`` and ``metadata`` are JSON object bytes."""

    event_id: UUID
    type: str
    data: bytes
    schema_version: int = 1
    occurred_at: datetime | None = None
    caused_by: UUID | None = None
    metadata: bytes = b"{}"

    @classmethod
    def from_dict(
        cls,
        *,
        event_id: UUID,
        type: str,
        data: object,
        schema_version: int = 1,
        occurred_at: datetime | None = None,
        caused_by: UUID | None = None,
        metadata: object = None,
    ) -> NewEvent:
        """Encode ``data`` (and ``metadata``) as JSON; anything JSON cannot hold is refused."""
        return cls(
            event_id=event_id,
            type=type,
            data=_encode_object(data, what=f"{type} data"),
            schema_version=schema_version,
            occurred_at=occurred_at,
            caused_by=caused_by,
            metadata=b"{}" if metadata is None else _encode_object(metadata, what="metadata"),
        )

    @classmethod
    def from_domain(
        cls,
        registry: EventRegistry,
        event: DomainEvent,
        *,
        event_id: UUID,
        occurred_at: datetime | None = None,
        caused_by: UUID | None = None,
        metadata: object = None,
    ) -> NewEvent:
        return cls(
            event_id=event_id,
            type=event.TYPE,
            data=registry.encode(event),
            schema_version=event.VERSION,
            occurred_at=occurred_at,
            caused_by=caused_by,
            metadata=b"{}" if metadata is None else _encode_object(metadata, what="metadata"),
        )


def _encode_object(value: object, *, what: str) -> bytes:
    try:
        encoded = encode_json(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidEventError(f"{what} is not JSON-serialisable: {exc}") from exc
    if not encoded.startswith(b"{"):
        raise InvalidEventError(f"{what} must be a JSON object, got {encoded[:40]!r}")
    return encoded


class _StoredRow(NamedTuple):
    position: int
    stream: str
    stream_version: int
    raw_event_id: UUID | bytes
    type: str
    schema_version: int
    data: bytes
    occurred_us: int | None
    recorded_us: int
    raw_caused_by: UUID | bytes | None
    metadata: bytes


class RecordedEvent(_StoredRow):
    """An event as stored: its global position, its stream version and its envelope.

    A tuple of the stored columns, built in C by ``RecordedEvent.from_row`` on
    replay; ids and times are converted only when asked for.
    """

    __slots__ = ()

    @classmethod
    def from_row(cls, row: Iterable[Any]) -> RecordedEvent:
        return cls._make(row)

    @property
    def event_id(self) -> UUID:
        return _uuid(self.raw_event_id)

    @property
    def caused_by(self) -> UUID | None:
        return None if self.raw_caused_by is None else _uuid(self.raw_caused_by)

    @property
    def occurred_at(self) -> datetime | None:
        return None if self.occurred_us is None else from_micros(self.occurred_us)

    @property
    def recorded_at(self) -> datetime:
        return from_micros(self.recorded_us)

    def __repr__(self) -> str:
        return (
            f"RecordedEvent(position={self.position}, stream={self.stream!r}, "
            f"stream_version={self.stream_version}, type={self.type!r}, "
            f"event_id={self.event_id})"
        )


def _uuid(value: UUID | bytes) -> UUID:
    return value if isinstance(value, UUID) else UUID(bytes=value)


@dataclass(frozen=True, kw_only=True, slots=True)
class AppendResult:
    """What an append did. Ids already in the log are reported, not appended again."""

    stream: str
    stream_version: int
    positions: tuple[int, ...] = ()
    appended: tuple[UUID, ...] = ()
    duplicates: tuple[UUID, ...] = field(default=())

    @property
    def noop(self) -> bool:
        """True when every event was already in the log."""
        return not self.appended


@dataclass(frozen=True, kw_only=True, slots=True)
class AppendPlan:
    """What an append will write, decided under the write lock by ``plan_append``."""

    stream: str
    version: int  # the stream's version before the append
    position: int  # the log's last position before the append
    fresh: list[NewEvent]
    duplicates: tuple[UUID, ...]

    def result(self) -> AppendResult:
        """The result once ``fresh`` is written at the positions after ``position``."""
        count = len(self.fresh)
        return AppendResult(
            stream=self.stream,
            stream_version=self.version + count,
            positions=tuple(range(self.position + 1, self.position + count + 1)),
            appended=tuple(e.event_id for e in self.fresh),
            duplicates=self.duplicates,
        )


def plan_append(
    stream: str,
    events: Sequence[NewEvent],
    expected_version: int | None,
    *,
    version: int,
    position: int,
    stored: Collection[UUID],
) -> AppendPlan:
    """The rules of an append, the same for every backend: ids already stored are skipped;
    a stale expected version is a conflict unless every event is already stored (a retry)."""
    retried = all(e.event_id in stored for e in events)
    if expected_version is not None and expected_version != version and not retried:
        raise ConcurrencyError(stream, expected_version, version)
    return AppendPlan(
        stream=stream,
        version=version,
        position=position,
        fresh=[e for e in events if e.event_id not in stored],
        duplicates=tuple(e.event_id for e in events if e.event_id in stored),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class LogStats:
    last_position: int
    events: int
    streams: int
    by_type: dict[str, int]
    top_streams: list[tuple[str, int]]
    subscriptions: dict[str, int]


def validate_append(stream: str, events: Sequence[NewEvent], expected_version: int | None) -> None:
    """Refuse a batch that breaks a stated limit; shared by every backend."""
    if not isinstance(stream, str) or not stream.strip():
        raise InvalidEventError("stream name is empty")
    if len(stream) > MAX_STREAM_NAME:
        raise InvalidEventError(f"stream name is longer than {MAX_STREAM_NAME} characters")
    if "\x00" in stream:
        raise InvalidEventError("stream name contains a NUL character")
    if expected_version is not None and (
        not isinstance(expected_version, int) or expected_version < 0
    ):
        raise InvalidEventError(f"expected_version must be None or >= 0, not {expected_version!r}")
    if not events:
        raise InvalidEventError("an append needs at least one event")
    if len(events) > MAX_BATCH_EVENTS:
        raise InvalidEventError(
            f"a batch holds at most {MAX_BATCH_EVENTS} events, not {len(events)}"
        )
    seen: set[UUID] = set()
    for event in events:
        if not isinstance(event, NewEvent):
            raise InvalidEventError(f"expected NewEvent, got {type(event).__name__}")
        if event.event_id in seen:
            raise InvalidEventError(f"event id {event.event_id} appears twice in one batch")
        seen.add(event.event_id)
        if not event.type or len(event.type) > MAX_TYPE_NAME:
            raise InvalidEventError(f"event type must be 1..{MAX_TYPE_NAME} characters")
        if event.schema_version < 1:
            raise InvalidEventError(f"{event.type}: schema_version must be >= 1")
        size = len(event.data) + len(event.metadata)
        if size > MAX_EVENT_BYTES:
            raise InvalidEventError(
                f"{event.type} {event.event_id} is {size:,} bytes; the limit is {MAX_EVENT_BYTES:,}"
            )
        if not event.data.startswith(b"{"):
            raise InvalidEventError(f"{event.type} {event.event_id}: data must be a JSON object")
        if event.occurred_at is not None and event.occurred_at.tzinfo is None:
            raise InvalidEventError(f"{event.type} {event.event_id}: occurred_at is naive")


def occurred_micros(event: NewEvent) -> int | None:
    return None if event.occurred_at is None else to_micros(event.occurred_at)
