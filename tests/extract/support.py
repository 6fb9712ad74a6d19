"""Helpers for extractor tests: build a release from a few sentences, and reduce events
to the identifying keys the corpus scorer compares."""

from __future__ import annotations

from datetime import date

from bot.events.trial import Dose, Period, TrialEvent, drug_key
from bot.extract import ReleaseInput, extract

PUBLISHED = date(2021, 3, 1)

Key = tuple[object, ...]


def release(
    text: str,
    *,
    title: str = "",
    published: date | None = PUBLISHED,
    company: str = "Acme Bio, Inc.",
) -> ReleaseInput:
    return ReleaseInput(
        release_id="test", title=title, published=published, company=company, text=text
    )


def _value(value: object) -> object:
    if isinstance(value, Dose):
        return f"{value.value:g} {value.unit}"
    if isinstance(value, Period):
        return value.label
    return value


_KEY_FIELD = {
    "TrialInitiated": "phase",
    "FirstPatientDosed": "phase",
    "EnrollmentCompleted": "phase",
    "DataReported": "phase",
    "CohortInitiated": "cohort",
    "CohortCompleted": "cohort",
    "CohortEnrolled": "cohort",
    "DoseEscalated": "to_dose",
    "GuidanceIssued": "period",
    "GuidanceMoved": "period",
    "MilestoneAchieved": "vs_guidance",
    "RegulatoryDesignation": "designation",
    "TrialCleared": "phase",
    "ClinicalHold": "action",
    "TrialDiscontinued": "phase",
    "RecommendedDoseSet": "dose",
    "RegulatoryFiling": "action",
}


def key(event: TrialEvent) -> Key:
    """(type, drug key, the identifying field), as the corpus scorer reads an event."""
    return (
        event.TYPE,
        drug_key(event.drug) or None,
        _value(getattr(event, _KEY_FIELD[event.TYPE])),
    )


def keys(text: str, **kwargs: object) -> set[Key]:
    return {key(e) for e in extract(release(text, **kwargs))}  # type: ignore[arg-type]


def events(text: str, **kwargs: object) -> list[TrialEvent]:
    return extract(release(text, **kwargs))  # type: ignore[arg-type]
