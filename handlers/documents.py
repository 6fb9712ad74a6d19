"""The trial state as stored: one document per company, in msgspec structs.

Documents are mutable so a projection can fold a page of events into them
cheaply; they are only ever changed by the fold functions of
``handlers.trial_state``, and stored as JSON beside the log.
"""

from __future__ import annotations

from datetime import date

import msgspec

from bot.events.trial import Dose, Period


class DoseDoc(msgspec.Struct, omit_defaults=True):
    value: float
    unit: str

    @classmethod
    def of(cls, dose: Dose | None) -> DoseDoc | None:
        return None if dose is None else cls(value=dose.value, unit=dose.unit)

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


class PeriodDoc(msgspec.Struct, omit_defaults=True):
    label: str
    qualifier: str | None = None

    @classmethod
    def of(cls, period: Period | None) -> PeriodDoc | None:
        return None if period is None else cls(label=period.label, qualifier=period.qualifier)

    def period(self) -> Period:
        return Period(label=self.label, qualifier=self.qualifier)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.qualifier} {self.label}" if self.qualifier else self.label


class EvidenceRef(msgspec.Struct, omit_defaults=True):
    sentence: str
    release_id: str = ""
    on: date | None = None


class CohortDoc(msgspec.Struct, omit_defaults=True):
    number: int | None
    dose: DoseDoc | None = None
    status: str = "initiated"  # initiated → enrolled → completed
    outcome: str | None = None
    initiated_on: date | None = None
    completed_on: date | None = None


class EscalationDoc(msgspec.Struct, omit_defaults=True):
    cohort: int | None
    to_dose: DoseDoc
    from_dose: DoseDoc | None = None
    percent: float | None = None
    consistent: bool | None = None
    on: date | None = None


class DataDoc(msgspec.Struct, omit_defaults=True):
    kind: str | None
    on: date | None
    endpoints: list[str] = []
    sentence: str = ""


class TrialDoc(msgspec.Struct, omit_defaults=True):
    phase: str  # "" when no release has named it yet
    indication: str | None = None
    status: str = "planned"
    status_before_hold: str | None = None
    cleared_on: date | None = None
    started_on: date | None = None
    enrolled_on: date | None = None
    patients: int | None = None
    cohorts: list[CohortDoc] = []
    escalations: list[EscalationDoc] = []
    recommended_dose: DoseDoc | None = None
    data: list[DataDoc] = []
    holds: list[str] = []
    discontinued_reason: str | None = None
    updated_on: date | None = None
    updated_seq: int = 0

    def latest_cohort(self) -> CohortDoc | None:
        numbered = [c for c in self.cohorts if c.number is not None]
        if numbered:
            return max(numbered, key=lambda c: c.number or 0)
        return self.cohorts[-1] if self.cohorts else None


class DesignationDoc(msgspec.Struct, omit_defaults=True):
    designation: str
    agency: str | None = None
    indication: str | None = None
    on: date | None = None


class FilingDoc(msgspec.Struct, omit_defaults=True):
    action: str
    filing: str | None = None
    on: date | None = None
    decision_date: date | None = None


class DrugDoc(msgspec.Struct, omit_defaults=True):
    key: str
    name: str
    trials: list[TrialDoc] = []
    designations: list[DesignationDoc] = []
    filings: list[FilingDoc] = []
    discontinued: bool = False


class MoveDoc(msgspec.Struct, omit_defaults=True):
    direction: str
    basis: str
    previous: PeriodDoc | None = None
    new: PeriodDoc | None = None
    on: date | None = None
    release_id: str = ""


class GuidanceDoc(msgspec.Struct, omit_defaults=True):
    key: str
    milestone: str
    drug: str | None = None
    period: PeriodDoc | None = None
    # The period before the latest release restated it, and that release.
    prior: PeriodDoc | None = None
    issued_on: date | None = None
    release_id: str = ""
    moves: list[MoveDoc] = []
    achieved_on: date | None = None
    vs_guidance: str | None = None
    guided_when_achieved: PeriodDoc | None = None
    evidence: str = ""


class ReleaseRef(msgspec.Struct, omit_defaults=True):
    release_id: str
    title: str
    url: str
    published: date | None = None


class CompanyDoc(msgspec.Struct, omit_defaults=True):
    key: str
    name: str = ""
    tickers: list[str] = []
    drugs: list[DrugDoc] = []
    guidance: list[GuidanceDoc] = []
    last_release: ReleaseRef | None = None
    releases: int = 0
    events: int = 0

    def drug(self, key: str) -> DrugDoc | None:
        return next((d for d in self.drugs if d.key == key), None)


ENCODER = msgspec.json.Encoder()
DECODER = msgspec.json.Decoder(CompanyDoc)
