"""Time is injected: code that needs "now" takes a Clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def system_clock() -> datetime:
    """The wall clock, timezone-aware in UTC."""
    return datetime.now(UTC)


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch; naive datetimes are refused."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: trialwire stores timezone-aware times only")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """The UTC datetime for microseconds since the Unix epoch."""
    return _EPOCH + timedelta(microseconds=micros)
