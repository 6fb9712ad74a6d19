"""Domain events as frozen dataclasses, and the registry that maps them to stored form.

A domain event class names its stable type (``TYPE``) and its schema version
(``VERSION``); the log stores that name, never a Python path. Reading an event
stored under an older version runs the registered upcasters in order
(v1 → v2 → … → current) on the decoded JSON object, so old events are read as
current ones without rewriting the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import msgspec

from bot.errors import TrialwireError

JsonObject = dict[str, Any]


class EventSchemaError(TrialwireError):
    """A stored event cannot be read as a domain event of this version of trialwire."""


@dataclass(frozen=True, kw_only=True, slots=True)
class DomainEvent:
    """Base of every domain event: a plain, immutable fact."""

    TYPE: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1


E = TypeVar("E", bound=DomainEvent)


@dataclass(frozen=True, slots=True)
class Upcaster:
    """Turns the JSON object of ``type`` at ``from_version`` into ``from_version + 1``."""

    type: str
    from_version: int
    upcast: Callable[[JsonObject], JsonObject]


_encoder = msgspec.json.Encoder()


def encode_json(value: object) -> bytes:
    """JSON bytes for ``value``; raises TypeError for what JSON cannot hold."""
    return _encoder.encode(value)


class EventRegistry:
    """Knows every domain event class by its stored type name."""

    def __init__(
        self, classes: Iterable[type[DomainEvent]], upcasters: Iterable[Upcaster] = ()
    ) -> None:
        self._classes: dict[str, type[DomainEvent]] = {}
        for cls in classes:
            if not cls.TYPE:
                raise ValueError(f"{cls.__name__} has no TYPE")
            if cls.TYPE in self._classes:
                raise ValueError(f"event type {cls.TYPE!r} registered twice")
            self._classes[cls.TYPE] = cls
        self._decoders = {name: msgspec.json.Decoder(cls) for name, cls in self._classes.items()}
        self._upcasters: dict[tuple[str, int], Callable[[JsonObject], JsonObject]] = {}
        for step in upcasters:
            if step.type not in self._classes:
                raise ValueError(f"upcaster for unknown event type {step.type!r}")
            self._upcasters[(step.type, step.from_version)] = step.upcast

    @property
    def types(self) -> Mapping[str, type[DomainEvent]]:
        return self._classes

    def __contains__(self, type_name: object) -> bool:
        return type_name in self._classes

    def encode(self, event: DomainEvent) -> bytes:
        cls = self._classes.get(event.TYPE)
        if cls is not type(event):
            raise EventSchemaError(f"{type(event).__name__} is not registered")
        return _encoder.encode(event)

    def decode(self, type_name: str, schema_version: int, data: bytes) -> DomainEvent:
        """The domain event for stored ``data``, upcast to the current schema."""
        cls = self._classes.get(type_name)
        if cls is None:
            raise EventSchemaError(f"unknown event type {type_name!r}")
        try:
            if schema_version == cls.VERSION:
                event: DomainEvent = self._decoders[type_name].decode(data)
                return event
            if schema_version > cls.VERSION:
                raise EventSchemaError(
                    f"{type_name} v{schema_version} was written by a newer trialwire "
                    f"(this one reads up to v{cls.VERSION})"
                )
            obj = msgspec.json.decode(data)
            for version in range(schema_version, cls.VERSION):
                step = self._upcasters.get((type_name, version))
                if step is None:
                    raise EventSchemaError(
                        f"no upcaster for {type_name} v{version} → v{version + 1}"
                    )
                obj = step(obj)
            return msgspec.convert(obj, cls)
        except msgspec.ValidationError as exc:
            raise EventSchemaError(f"{type_name} v{schema_version}: {exc}") from exc
        except msgspec.DecodeError as exc:
            raise EventSchemaError(f"{type_name} v{schema_version}: invalid JSON: {exc}") from exc

    def decode_as(self, cls: type[E], schema_version: int, data: bytes) -> E:
        event = self.decode(cls.TYPE, schema_version, data)
        assert isinstance(event, cls)
        return event
