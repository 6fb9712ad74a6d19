"""The derived trial events: registry round-trips, stable identities, deterministic ids."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from bot.events import EventRegistry, event_id
from bot.events.trial import (
    TRIAL_EVENT_TYPES,
    CohortInitiated,
    Dose,
    DoseEscalated,
    Evidence,
    GuidanceMoved,
    Period,
    RegulatoryFiling,
    TrialEvent,
    drug_key,
)
from bot.extract import extract
from bot.extract.sources import from_text
from tests.extract.test_fixtures import RELEASES

EVIDENCE = Evidence(sentence="Cohort 4 was initiated.", start=10, end=33)


def test_seventeen_types_each_registered_once() -> None:
    registry = EventRegistry(TRIAL_EVENT_TYPES)
    assert len(registry.types) == 17
    assert all(cls.VERSION == 1 for cls in TRIAL_EVENT_TYPES)
    for cls in TRIAL_EVENT_TYPES:
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
        assert all(f.kw_only for f in dataclasses.fields(cls))
        assert "__slots__" in cls.__dict__


def test_round_trip_with_nested_values() -> None:
    registry = EventRegistry(TRIAL_EVENT_TYPES)
    events: list[TrialEvent] = [
        CohortInitiated(
            drug="CLR 131",
            company="Cellectar",
            evidence=EVIDENCE,
            extractor_version="1.0.0",
            phase="1",
            cohort=4,
            dose=Dose(value=31.25, unit="mCi/m2"),
        ),
        DoseEscalated(
            drug="CLR 131",
            evidence=EVIDENCE,
            extractor_version="1.0.0",
            from_dose=Dose(value=25, unit="mCi/m2"),
            to_dose=Dose(value=31.25, unit="mCi/m2"),
            percent=25,
            consistent=True,
        ),
        GuidanceMoved(
            drug="CLR 131",
            evidence=EVIDENCE,
            extractor_version="1.0.0",
            milestone="Phase 2 initiation",
            period=Period(label="2017-Q1"),
            previous=Period(label="2017-Q2", qualifier="end of"),
            direction="earlier",
        ),
        RegulatoryFiling(
            drug="ONS-5010",
            evidence=EVIDENCE,
            extractor_version="1.0.0",
            filing="BLA",
            action="accepted",
            decision_date=date(2023, 8, 29),
        ),
    ]
    for event in events:
        assert registry.decode(event.TYPE, event.VERSION, registry.encode(event)) == event


@pytest.mark.parametrize("path", RELEASES[:20], ids=[p.stem for p in RELEASES[:20]])
def test_extracted_events_round_trip(path: object) -> None:
    registry = EventRegistry(TRIAL_EVENT_TYPES)
    release = from_text(path.read_text(encoding="utf-8"), path.stem)  # type: ignore[attr-defined]
    for event in extract(release):
        assert registry.decode(event.TYPE, event.VERSION, registry.encode(event)) == event


def test_identity_is_the_fact_not_its_wording() -> None:
    one = CohortInitiated(
        drug="CLR 131",
        evidence=EVIDENCE,
        extractor_version="1.0.0",
        cohort=4,
        dose=Dose(value=31.25, unit="mCi/m2"),
    )
    same_fact = dataclasses.replace(
        one,
        drug="CLR-131",
        evidence=Evidence(sentence="Other words.", start=0, end=12),
        extractor_version="2.0.0",
        dose=None,
    )
    other = dataclasses.replace(one, cohort=5)
    assert one.identity() == same_fact.identity() == ("CLR131", "4", "")
    assert event_id("r1", one.TYPE, *one.identity()) == event_id(
        "r1", one.TYPE, *same_fact.identity()
    )
    assert event_id("r1", one.TYPE, *one.identity()) != event_id(
        "r1", other.TYPE, *other.identity()
    )


def test_ids_are_deterministic_across_runs() -> None:
    path = RELEASES[0]
    release = from_text(path.read_text(encoding="utf-8"), path.stem)
    first = [event_id(release.release_id, e.TYPE, *e.identity()) for e in extract(release)]
    second = [event_id(release.release_id, e.TYPE, *e.identity()) for e in extract(release)]
    assert first == second
    assert len(set(first)) == len(first)


def test_drug_key() -> None:
    assert drug_key("CLR 131") == drug_key("clr-131") == drug_key("CLR131") == "CLR131"
    assert drug_key(None) == ""


def test_dose_and_period_render() -> None:
    assert str(Dose(value=31.25, unit="mCi/m2")) == "31.25 mCi/m2"
    assert str(Period(label="2017-Q2", qualifier="by")) == "by 2017-Q2"
