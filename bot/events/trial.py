"""The clinical-trial events derived from a release, and their value objects.

Every derived event names the drug it is about (as written in the release),
carries the evidence it was read from (the sentence and its character span)
and the version of the extractor that read it, so that ``reextract`` knows what
to redo. ``identity()`` gives the facts that make two events "the same fact";
the pipeline turns them into a deterministic id with
``event_id(release_id, event.TYPE, *event.identity())``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from bot.events.base import DomainEvent

Direction = Literal["earlier", "later"]
VersusGuidance = Literal["ahead", "on_time", "late"]
DataKind = Literal["interim", "preliminary", "topline", "final", "updated"]
CohortOutcome = Literal["safe", "dlt", "mtd_reached"]
HoldAction = Literal["placed", "lifted"]
FilingAction = Literal["submitted", "accepted", "approved", "rejected"]
DoseBasis = Literal["RP2D", "MTD"]
EvidenceSource = Literal["text", "title"]
PeriodQualifier = Literal["by", "end of", "as early as", "early", "mid", "late"]

_QUARTER_MONTHS = {1: (1, 3), 2: (4, 6), 3: (7, 9), 4: (10, 12)}
# The design's reading of the vague parts of a year (DESIGN.md "When guidance has moved").
_PART_MONTHS = {"early": (1, 4), "mid": (6, 8), "late": (9, 12)}
_PERIOD_LABEL = re.compile(r"^(\d{4})(?:-(H[12]|Q[1-4]|\d{2}|early|mid|late))?$")


_NOT_KEY = re.compile(r"[^A-Z0-9]")


def drug_key(drug: str | None) -> str:
    """One key per drug however it is spelled: ``CLR 131`` = ``CLR-131`` = ``clr131``."""
    return _NOT_KEY.sub("", (drug or "").upper())


@dataclass(frozen=True, kw_only=True, slots=True)
class Dose:
    """An amount with its canonical unit (``mCi/m2``, ``mg/kg``, ``mg``, ``cells/kg`` …)."""

    value: float
    unit: str
    regimen: str | None = None  # "BID", "QW" … when the release states one

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Period:
    """A calendar window in canonical form: ``2017``, ``2017-H2``, ``2017-Q1``, ``2017-06``,
    ``2017-early``, ``2017-mid``, ``2017-late``, with how the release qualified it."""

    label: str
    qualifier: PeriodQualifier | None = None

    def __post_init__(self) -> None:
        if not _PERIOD_LABEL.match(self.label):
            raise ValueError(f"not a period label: {self.label!r}")

    def window(self) -> tuple[date, date]:
        """First and last day of the window the label names."""
        return _window(self.label)

    def __str__(self) -> str:
        return f"{self.qualifier} {self.label}" if self.qualifier else self.label


@lru_cache(maxsize=1024)
def _window(label: str) -> tuple[date, date]:
    """First and last day of the window a period label names (labels repeat: cached)."""
    match = _PERIOD_LABEL.match(label)
    assert match is not None  # checked in Period.__post_init__
    year, part = int(match.group(1)), match.group(2)
    first, last = 1, 12
    if part is None:
        pass
    elif part.startswith("H"):
        first, last = (1, 6) if part == "H1" else (7, 12)
    elif part.startswith("Q"):
        first, last = _QUARTER_MONTHS[int(part[1])]
    elif part in _PART_MONTHS:
        first, last = _PART_MONTHS[part]
    else:
        first = last = int(part)
    end = date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)
    return date(year, first, 1), date.fromordinal(end.toordinal() - 1)


@dataclass(frozen=True, kw_only=True, slots=True)
class Evidence:
    """The sentence an event was read from and its span (``text[start:end]``) in the release
    text, or in the title when ``source`` is ``"title"``."""

    sentence: str
    start: int
    end: int
    source: EvidenceSource = "text"


@dataclass(frozen=True, kw_only=True, slots=True)
class TrialEvent(DomainEvent):
    """Base of the derived events: what every one of them carries."""

    drug: str | None = None
    company: str | None = None
    evidence: Evidence
    extractor_version: str

    def identity(self) -> tuple[str, ...]:
        """The identifying facts of this event, for its deterministic id."""
        return (drug_key(self.drug), *self._key())

    def _key(self) -> tuple[str, ...]:
        return ()


def _opt(value: object) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True, kw_only=True, slots=True)
class TrialInitiated(TrialEvent):
    """A trial started (first site open, recruitment begun, "now underway")."""

    TYPE = "TrialInitiated"
    VERSION = 1

    phase: str | None = None
    indication: str | None = None

    def _key(self) -> tuple[str, ...]:
        return (_opt(self.phase),)


@dataclass(frozen=True, kw_only=True, slots=True)
class FirstPatientDosed(TrialEvent):
    """The first patient of a trial was dosed."""

    TYPE = "FirstPatientDosed"
    VERSION = 1

    phase: str | None = None
    indication: str | None = None

    def _key(self) -> tuple[str, ...]:
        return (_opt(self.phase),)


@dataclass(frozen=True, kw_only=True, slots=True)
class CohortInitiated(TrialEvent):
    """A dose cohort, or a part / arm of an ongoing trial (``cohort`` None), started."""

    TYPE = "CohortInitiated"
    VERSION = 1

    phase: str | None = None
    indication: str | None = None
    cohort: int | None = None
    dose: Dose | None = None
    planned_patients: int | None = None
    arm: str | None = None

    def _key(self) -> tuple[str, ...]:
        return (_opt(self.cohort), _opt(self.arm) if self.cohort is None else "")


@dataclass(frozen=True, kw_only=True, slots=True)
class CohortCompleted(TrialEvent):
    """A dose cohort was evaluated and closed (declared safe, a DLT seen, the MTD reached)."""

    TYPE = "CohortCompleted"
    VERSION = 1

    phase: str | None = None
    cohort: int | None = None
    dose: Dose | None = None
    outcome: CohortOutcome | None = None

    def _key(self) -> tuple[str, ...]:
        return (_opt(self.cohort),)


@dataclass(frozen=True, kw_only=True, slots=True)
class CohortEnrolled(TrialEvent):
    """A dose cohort is fully enrolled (not yet evaluated)."""

    TYPE = "CohortEnrolled"
    VERSION = 1

    phase: str | None = None
    cohort: int | None = None
    dose: Dose | None = None

    def _key(self) -> tuple[str, ...]:
        return (_opt(self.cohort),)


@dataclass(frozen=True, kw_only=True, slots=True)
class DoseEscalated(TrialEvent):
    """The trial moved to a higher dose. ``percent`` is the change the release states;
    ``consistent`` is False when it disagrees with the two doses (both kept as written)."""

    TYPE = "DoseEscalated"
    VERSION = 1

    cohort: int | None = None
    from_dose: Dose | None = None
    to_dose: Dose
    percent: float | None = None
    consistent: bool | None = None

    def _key(self) -> tuple[str, ...]:
        return (str(self.to_dose),)


@dataclass(frozen=True, kw_only=True, slots=True)
class EnrollmentCompleted(TrialEvent):
    """A trial (or its pivotal / registration cohort) finished enrolling."""

    TYPE = "EnrollmentCompleted"
    VERSION = 1

    phase: str | None = None
    patients: int | None = None

    def _key(self) -> tuple[str, ...]:
        return (_opt(self.phase),)


@dataclass(frozen=True, kw_only=True, slots=True)
class DataReported(TrialEvent):
    """The release reports clinical data from a trial."""

    TYPE = "DataReported"
    VERSION = 1

    phase: str | None = None
    kind: DataKind | None = None
    endpoints: tuple[str, ...] = ()

    def _key(self) -> tuple[str, ...]:
        return (_opt(self.phase),)


@dataclass(frozen=True, kw_only=True, slots=True)
class GuidanceIssued(TrialEvent):
    """A dated expectation about a trial milestone (initiation, enrollment, data, filing,
    decision). ``reaffirmed`` when the release says it "remains on track"."""

    TYPE = "GuidanceIssued"
    VERSION = 1

    milestone: str
    period: Period
    reaffirmed: bool = False

    def _key(self) -> tuple[str, ...]:
        return (self.period.label,)


@dataclass(frozen=True, kw_only=True, slots=True)
class GuidanceMoved(TrialEvent):
    """The release says guidance moved. ``period`` is the new window (None when the text
    gives only the direction, e.g. "a delay of several months")."""

    TYPE = "GuidanceMoved"
    VERSION = 1

    milestone: str
    period: Period | None = None
    previous: Period | None = None
    direction: Direction
    basis: Literal["stated", "inferred"] = "stated"

    def _key(self) -> tuple[str, ...]:
        return (self.period.label if self.period else "",)


@dataclass(frozen=True, kw_only=True, slots=True)
class MilestoneAchieved(TrialEvent):
    """A milestone was reached, and the release says how that compares with guidance."""

    TYPE = "MilestoneAchieved"
    VERSION = 1

    milestone: str
    vs_guidance: VersusGuidance
    guided: Period | None = None
    achieved_on: date | None = None

    def _key(self) -> tuple[str, ...]:
        return (self.vs_guidance,)


@dataclass(frozen=True, kw_only=True, slots=True)
class RegulatoryDesignation(TrialEvent):
    """A regulator granted a designation (orphan drug, fast track, breakthrough therapy …)."""

    TYPE = "RegulatoryDesignation"
    VERSION = 1

    designation: str
    agency: str | None = None
    indication: str | None = None

    def _key(self) -> tuple[str, ...]:
        return (self.designation,)


@dataclass(frozen=True, kw_only=True, slots=True)
class TrialCleared(TrialEvent):
    """A regulator or ethics body cleared a trial to start (IND cleared, CTA approved …)."""

    TYPE = "TrialCleared"
    VERSION = 1

    phase: str | None = None
    authority: str | None = None

    def _key(self) -> tuple[str, ...]:
        return (_opt(self.phase),)


@dataclass(frozen=True, kw_only=True, slots=True)
class ClinicalHold(TrialEvent):
    """A clinical hold was placed on, or lifted from, a drug's trials."""

    TYPE = "ClinicalHold"
    VERSION = 1

    action: HoldAction
    authority: str | None = None
    partial: bool = False

    def _key(self) -> tuple[str, ...]:
        return (self.action,)


@dataclass(frozen=True, kw_only=True, slots=True)
class TrialDiscontinued(TrialEvent):
    """A trial, or a drug's development, was stopped."""

    TYPE = "TrialDiscontinued"
    VERSION = 1

    phase: str | None = None
    reason: str | None = None

    def _key(self) -> tuple[str, ...]:
        return (_opt(self.phase),)


@dataclass(frozen=True, kw_only=True, slots=True)
class RecommendedDoseSet(TrialEvent):
    """Dose escalation ended with a recommended Phase 2 dose or a maximum tolerated dose."""

    TYPE = "RecommendedDoseSet"
    VERSION = 1

    dose: Dose | None = None
    basis: DoseBasis = "RP2D"

    def _key(self) -> tuple[str, ...]:
        return (self.basis,)


@dataclass(frozen=True, kw_only=True, slots=True)
class RegulatoryFiling(TrialEvent):
    """A marketing application (NDA, BLA, MAA …) was submitted, accepted, approved or
    rejected."""

    TYPE = "RegulatoryFiling"
    VERSION = 1

    filing: str | None = None
    action: FilingAction
    decision_date: date | None = None

    def _key(self) -> tuple[str, ...]:
        return (self.action,)


TRIAL_EVENT_TYPES: tuple[type[TrialEvent], ...] = (
    TrialInitiated,
    FirstPatientDosed,
    CohortInitiated,
    CohortCompleted,
    DoseEscalated,
    EnrollmentCompleted,
    DataReported,
    GuidanceIssued,
    GuidanceMoved,
    MilestoneAchieved,
    RegulatoryDesignation,
    CohortEnrolled,
    TrialCleared,
    ClinicalHold,
    TrialDiscontinued,
    RecommendedDoseSet,
    RegulatoryFiling,
)
