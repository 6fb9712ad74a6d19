"""Bad input is refused with a clear error, and nothing is appended."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from bot.eventlog import MAX_EVENT_BYTES, EventLog, InvalidEventError, NewEvent
from tests.eventlog.factories import batch, new_event


@pytest.mark.parametrize(
    ("stream", "message"),
    [("", "empty"), ("   ", "empty"), ("x" * 401, "longer than"), ("a\x00b", "NUL")],
)
async def test_bad_stream_names_are_refused(log: EventLog, stream: str, message: str) -> None:
    with pytest.raises(InvalidEventError, match=message):
        await log.append(stream, batch(1))


async def test_an_oversized_event_is_refused_with_the_limit(log: EventLog) -> None:
    huge = new_event(data={"text": "x" * MAX_EVENT_BYTES})
    with pytest.raises(InvalidEventError, match="limit is 1,048,576"):
        await log.append("s", [*batch(2), huge])
    assert [e async for e in log.read()] == []


def test_data_json_cannot_hold_is_refused() -> None:
    with pytest.raises(InvalidEventError, match="not JSON-serialisable"):
        new_event(data={"when": object()})
    with pytest.raises(InvalidEventError, match="JSON object"):
        new_event(data=[1, 2, 3])


async def test_other_bad_batches_are_refused(log: EventLog) -> None:
    twice = new_event()
    with pytest.raises(InvalidEventError, match="twice"):
        await log.append("s", [twice, twice])
    with pytest.raises(InvalidEventError, match="at least one"):
        await log.append("s", [])
    with pytest.raises(InvalidEventError, match="naive"):
        await log.append("s", [new_event(occurred_at=datetime(2017, 2, 22))])
    with pytest.raises(InvalidEventError, match="JSON object"):
        await log.append("s", [NewEvent(event_id=uuid.uuid4(), type="T", data=b"[]")])
    with pytest.raises(InvalidEventError, match="expected_version"):
        await log.append("s", batch(1), expected_version=-1)
    assert [e async for e in log.read()] == []
