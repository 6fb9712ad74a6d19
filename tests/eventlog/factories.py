"""Small builders for the contract tests."""

from __future__ import annotations

import uuid
from typing import Any

from bot.eventlog import NewEvent


def new_event(n: int = 0, *, type: str = "ThingHappened", **kwargs: Any) -> NewEvent:
    data = kwargs.pop("data", {"n": n})
    return NewEvent.from_dict(event_id=uuid.uuid4(), type=type, data=data, **kwargs)


def batch(count: int, *, start: int = 0, type: str = "ThingHappened") -> list[NewEvent]:
    return [new_event(start + i, type=type) for i in range(count)]
