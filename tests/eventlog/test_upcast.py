"""An event stored as v1 is read as the current version, and the log keeps v1."""

from __future__ import annotations

import uuid

from bot.eventlog import EventLog, NewEvent
from tests.events.test_registry import REGISTRY, Dose, DoseChosen


async def test_stored_v1_is_read_as_current_without_rewriting_the_log(log: EventLog) -> None:
    v1 = NewEvent(
        event_id=uuid.uuid4(),
        type="DoseChosen",
        schema_version=1,
        data=b'{"drug":"CLR 131","dose_mci_m2":31.25}',
    )
    await log.append("trial:CLRB", [v1])
    current = DoseChosen(drug="CLR 131", dose=Dose(value=12.5, unit="mCi/m2"), basis="RP2D")
    await log.append("trial:CLRB", [NewEvent.from_domain(REGISTRY, current, event_id=uuid.uuid4())])

    stored = [e async for e in log.read()]
    decoded = [REGISTRY.decode(e.type, e.schema_version, e.data) for e in stored]
    assert decoded == [
        DoseChosen(drug="CLR 131", dose=Dose(value=31.25, unit="mCi/m2"), basis="unknown"),
        current,
    ]
    assert (stored[0].schema_version, stored[0].data) == (1, v1.data)
