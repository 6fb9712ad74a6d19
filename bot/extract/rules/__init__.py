"""Sentence-level rules, one module per family of events.

- ``starts``: TrialInitiated, CohortInitiated, FirstPatientDosed (what started is
  read from the words next to the verb)
- ``trial``: EnrollmentCompleted and CohortEnrolled, DataReported, TrialDiscontinued
- ``cohort``: CohortCompleted, DoseEscalated, RecommendedDoseSet
- ``guidance``: GuidanceIssued, GuidanceMoved ("brought forward", "postponed" …)
- ``achieved``: MilestoneAchieved ("well ahead of guidance", "on schedule" …)
- ``regulatory``: RegulatoryDesignation, TrialCleared, ClinicalHold, RegulatoryFiling

Each module keeps its phrase tables at the top and exposes ``find(doc, view)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.events.trial import TrialEvent
from bot.extract.context import View


@dataclass(frozen=True, slots=True)
class Finding:
    """An event a rule read, with how sure the reading is.

    ``explicit_phase`` is False when the phase came from elsewhere in the release;
    ``implied`` when the event is inferred from another statement (a decision to
    escalate implies the cohort before was completed).
    """

    event: TrialEvent
    view: View
    explicit_phase: bool = True
    implied: bool = False
    tag: str = ""  # rule-specific detail the assembler needs (a guidance milestone's kind)
