"""Domain events: stored by type name and version, upcast on read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.events import DomainEvent, EventRegistry, EventSchemaError, ReleaseReceived, Upcaster
from bot.events.base import JsonObject


@dataclass(frozen=True, kw_only=True, slots=True)
class Dose:
    value: float
    unit: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DoseChosen(DomainEvent):
    """v1 stored ``dose_mci_m2``; v2 a Dose; v3 added ``basis``."""

    TYPE = "DoseChosen"
    VERSION = 3

    drug: str
    dose: Dose
    basis: str


def _v1_to_v2(obj: JsonObject) -> JsonObject:
    obj["dose"] = {"value": obj.pop("dose_mci_m2"), "unit": "mCi/m2"}
    return obj


def _v2_to_v3(obj: JsonObject) -> JsonObject:
    return {**obj, "basis": "unknown"}


REGISTRY = EventRegistry(
    [DoseChosen, ReleaseReceived],
    upcasters=[Upcaster("DoseChosen", 1, _v1_to_v2), Upcaster("DoseChosen", 2, _v2_to_v3)],
)


def test_current_events_round_trip() -> None:
    event = DoseChosen(drug="CLR 131", dose=Dose(value=31.25, unit="mCi/m2"), basis="MTD")
    assert REGISTRY.decode("DoseChosen", 3, REGISTRY.encode(event)) == event


def test_release_received_round_trips_with_its_timezone() -> None:
    release = ReleaseReceived(
        release_id="1234",
        feed="biotech",
        url="https://www.globenewswire.com/news-release/2017/02/22/1234/0/en/x.html",
        title="Cellectar initiates fourth cohort",
        published_at=datetime(2017, 2, 22, 13, 0, tzinfo=UTC),
        company="Cellectar Biosciences, Inc.",
        tickers=("Nasdaq:CLRB",),
        text="MADISON, Wis. -- …",
    )
    assert REGISTRY.decode("ReleaseReceived", 1, REGISTRY.encode(release)) == release


@pytest.mark.parametrize(
    ("version", "data"),
    [
        (1, b'{"drug":"CLR 131","dose_mci_m2":25}'),
        (2, b'{"drug":"CLR 131","dose":{"value":25,"unit":"mCi/m2"}}'),
    ],
)
def test_old_versions_are_upcast_step_by_step(version: int, data: bytes) -> None:
    assert REGISTRY.decode("DoseChosen", version, data) == DoseChosen(
        drug="CLR 131", dose=Dose(value=25, unit="mCi/m2"), basis="unknown"
    )


def test_what_cannot_be_read_says_why() -> None:
    with pytest.raises(EventSchemaError, match="newer trialwire"):
        REGISTRY.decode("DoseChosen", 4, b"{}")
    with pytest.raises(EventSchemaError, match="unknown event type"):
        REGISTRY.decode("Nope", 1, b"{}")
    with pytest.raises(EventSchemaError, match="DoseChosen v3"):
        REGISTRY.decode("DoseChosen", 3, b'{"drug": 5}')
    with pytest.raises(EventSchemaError, match="invalid JSON"):
        REGISTRY.decode("DoseChosen", 3, b"{not json")
    gappy = EventRegistry([DoseChosen], upcasters=[Upcaster("DoseChosen", 2, _v2_to_v3)])
    with pytest.raises(EventSchemaError, match="no upcaster for DoseChosen v1"):
        gappy.decode("DoseChosen", 1, b'{"drug":"x","dose_mci_m2":1}')


def test_a_registry_refuses_ambiguity() -> None:
    with pytest.raises(ValueError, match="twice"):
        EventRegistry([DoseChosen, DoseChosen])
    with pytest.raises(ValueError, match="unknown event type"):
        EventRegistry([DoseChosen], upcasters=[Upcaster("Other", 1, _v2_to_v3)])
