"""Which events matter how much, and which channels hear of them. Pure.

Importance is a score per event (a clinical hold outranks a cohort start,
which outranks restated guidance); an alert lists its facts by it, and
routing rules may ask for a minimum level. Routing: every rule an event
matches adds its channels; an event no rule matches goes to the default
channel; then each channel's own ``/trial watch`` and ``unwatch`` add or
remove it for that company, whatever the rules say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.events.trial import (
    ClinicalHold,
    CohortCompleted,
    CohortEnrolled,
    CohortInitiated,
    DataReported,
    DoseEscalated,
    EnrollmentCompleted,
    FirstPatientDosed,
    GuidanceIssued,
    GuidanceMoved,
    MilestoneAchieved,
    RecommendedDoseSet,
    RegulatoryDesignation,
    RegulatoryFiling,
    TrialCleared,
    TrialDiscontinued,
    TrialEvent,
    TrialInitiated,
    drug_key,
)

Level = Literal["low", "medium", "high"]
LEVELS: dict[Level, int] = {"low": 0, "medium": 50, "high": 80}

# The order facts of equal importance are shown in: the trial's progress first.
TYPE_ORDER = [
    cls.TYPE
    for cls in (
        ClinicalHold,
        TrialDiscontinued,
        RegulatoryFiling,
        DataReported,
        TrialInitiated,
        FirstPatientDosed,
        CohortInitiated,
        DoseEscalated,
        RecommendedDoseSet,
        EnrollmentCompleted,
        TrialCleared,
        RegulatoryDesignation,
        GuidanceMoved,
        MilestoneAchieved,
        CohortCompleted,
        CohortEnrolled,
        GuidanceIssued,
    )
]
_RANK = {name: index for index, name in enumerate(TYPE_ORDER)}


def importance(event: TrialEvent) -> int:
    """0–100: how much an investor needs to hear of this, now."""
    if isinstance(event, ClinicalHold):
        return 100 if event.action == "placed" else 85
    if isinstance(event, TrialDiscontinued):
        return 100
    if isinstance(event, RegulatoryFiling):
        return 100 if event.action in ("approved", "rejected") else 85
    if isinstance(event, DataReported):
        return 90 if event.kind in ("topline", "final") else 65
    if isinstance(event, GuidanceMoved):
        return 80 if event.direction == "later" else 70
    if isinstance(event, MilestoneAchieved):
        return 60 if event.vs_guidance != "on_time" else 50
    if isinstance(event, GuidanceIssued):
        return 20 if event.reaffirmed else 30
    if isinstance(event, CohortEnrolled):
        return 40
    if isinstance(event, CohortCompleted):
        return 55 if event.outcome in ("dlt", "mtd_reached") else 50
    return 70  # starts, cohorts, escalations, enrollment, clearances, designations, doses


def level(score: int) -> Level:
    return "high" if score >= LEVELS["high"] else "medium" if score >= LEVELS["medium"] else "low"


def order_key(event: TrialEvent, position: int) -> tuple[int, int, int]:
    """Most important first; then the trial's progress before guidance; then log order."""
    return (-importance(event), _RANK.get(event.TYPE, len(_RANK)), position)


@dataclass(frozen=True, kw_only=True, slots=True)
class Route:
    """Events matching every given condition (an empty one matches all) go to ``channels``."""

    channels: tuple[str, ...]
    tickers: frozenset[str] = frozenset()
    drugs: frozenset[str] = frozenset()  # drug keys
    types: frozenset[str] = frozenset()
    min_importance: Level = "low"

    @classmethod
    def of(
        cls,
        channels: Iterable[str],
        *,
        tickers: Iterable[str] = (),
        drugs: Iterable[str] = (),
        types: Iterable[str] = (),
        min_importance: Level = "low",
    ) -> Route:
        return cls(
            channels=tuple(channels),
            tickers=frozenset(t.rpartition(":")[2].strip().upper() for t in tickers),
            drugs=frozenset(drug_key(d) for d in drugs),
            types=frozenset(types),
            min_importance=min_importance,
        )

    def matches(self, company: str, drug: str, type_name: str, score: int) -> bool:
        return (
            (not self.tickers or company in self.tickers)
            and (not self.drugs or drug in self.drugs)
            and (not self.types or type_name in self.types)
            and score >= LEVELS[self.min_importance]
        )


# company key → channel → True (watched) or False (unwatched)
Watches = Mapping[str, Mapping[str, bool]]


@dataclass(frozen=True, kw_only=True, slots=True)
class Routing:
    routes: tuple[Route, ...] = ()
    default_channel: str | None = None
    ops_channel: str | None = None  # feed health; the default channel when unset
    min_importance: Level = "low"

    def channels(
        self, company: str, drug: str, type_name: str, score: int, watches: Watches
    ) -> set[str]:
        """The channels an event goes to (none when it is below ``min_importance``)."""
        if score < LEVELS[self.min_importance]:
            return set()
        chosen: set[str] = set()
        matched = False
        for route in self.routes:
            if route.matches(company, drug, type_name, score):
                chosen.update(route.channels)
                matched = True
        if not matched and self.default_channel:
            chosen.add(self.default_channel)
        for channel, on in watches.get(company, {}).items():
            if on:
                chosen.add(channel)
            else:
                chosen.discard(channel)
        return chosen

    def ops_channels(self) -> set[str]:
        channel = self.ops_channel or self.default_channel
        return {channel} if channel else set()
