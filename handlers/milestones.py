"""Milestones: the same commitment however a release words it, and how it was kept. Pure.

"topline data from the Phase 2 trial" and "Phase 2 topline results" are one
milestone: a kind (start, enrollment, data of some sort, filing, approval,
a numbered cohort …), a phase and a drug. Guidance periods are compared by
the rules of DESIGN.md ("When guidance has moved").
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Literal

from bot.events.trial import (
    CohortInitiated,
    DataReported,
    EnrollmentCompleted,
    FirstPatientDosed,
    Period,
    RegulatoryFiling,
    TrialEvent,
    TrialInitiated,
    drug_key,
)
from bot.extract.phases import find_cohorts, find_phases

Move = Literal["earlier", "later", "narrowed", "same"]
Versus = Literal["ahead", "on_time", "late"]

# The kind of a milestone, by the words that say it; first match wins.
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("approval", re.compile(r"\b(?:approv\w*|pdufa|action date|decision)\b", re.I)),
    ("filing", re.compile(r"\b(?:nda|bla|maa|snda|sbla|filing|submi\w+|application)\b", re.I)),
    ("ind", re.compile(r"\b(?:ind|cta)\b", re.I)),
    (
        "enrollment",
        re.compile(r"\b(?:enrol\w*|completion of recruitment|recruitment complete)", re.I),
    ),
    ("data:topline", re.compile(r"\btop[- ]?line\b", re.I)),
    (
        "data:interim",
        re.compile(
            r"\b(?:interim|preliminary|initial)\b.*\b(?:data|results|readout|analysis)\b", re.I
        ),
    ),
    ("data:final", re.compile(r"\bfinal\b.*\b(?:data|results|readout|analysis)\b", re.I)),
    ("data", re.compile(r"\b(?:data|results|readout|update)\b", re.I)),
    (
        "start",
        re.compile(
            r"\b(?:initiat\w*|start\w*|begin\w*|commenc\w*|launch\w*|first patient|dos(?:ed|ing))\b",
            re.I,
        ),
    ),
    ("completion", re.compile(r"\bcomplet\w*\b", re.I)),
)


@lru_cache(maxsize=4096)
def phase_of(text: str) -> str:
    """``Phase IIa`` → ``2a``, ``Phase 1b/2`` → ``1b/2``; empty when none is named."""
    phases = find_phases(text)
    return phases[0].phase if phases else ""


@lru_cache(maxsize=4096)
def milestone_kind(text: str) -> str:
    cohorts = [c for c in find_cohorts(text, []) if c.numbers]
    if cohorts:
        return f"cohort-{cohorts[0].numbers[0]}"
    for kind, pattern in KINDS:
        if pattern.search(text):
            return kind
    return "other:" + re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def milestone_key(milestone: str, drug: str | None, phase: str = "") -> str:
    """One key per commitment: ``CLR131|start|2`` for "Phase II initiation" of CLR 131."""
    return f"{drug_key(drug)}|{milestone_kind(milestone)}|{phase_of(milestone) or phase}"


def achieved_key(event: TrialEvent) -> str | None:
    """The milestone an event reports as reached, if it reaches one."""
    drug = event.drug
    if isinstance(event, TrialInitiated | FirstPatientDosed):
        return f"{drug_key(drug)}|start|{_phase_label(event.phase)}"
    if isinstance(event, CohortInitiated) and event.cohort is not None:
        return f"{drug_key(drug)}|cohort-{event.cohort}|{_phase_label(event.phase)}"
    if isinstance(event, EnrollmentCompleted):
        return f"{drug_key(drug)}|enrollment|{_phase_label(event.phase)}"
    if isinstance(event, DataReported):
        kind = {
            "topline": "data:topline",
            "interim": "data:interim",
            "preliminary": "data:interim",
            "final": "data:final",
        }.get(event.kind or "", "data")
        return f"{drug_key(drug)}|{kind}|{_phase_label(event.phase)}"
    if isinstance(event, RegulatoryFiling):
        if event.action == "submitted":
            return f"{drug_key(drug)}|filing|"
        if event.action == "approved":
            return f"{drug_key(drug)}|approval|"
    return None


@lru_cache(maxsize=512)
def phase_label(phase: str) -> str:
    """``II`` → ``2``, ``1b/2`` → ``1b/2``: a phase as the extractor gives it, canonical."""
    return phase_of(f"phase {phase}")


def _phase_label(phase: str | None) -> str:
    return phase_label(phase) if phase else ""


@lru_cache(maxsize=4096)
def _parts(key: str) -> tuple[str, str, str]:
    drug, kind, phase = key.split("|")
    return drug, kind, phase


def same_milestone(guided: str, achieved: str) -> bool:
    """Keys match; a guided key without a phase matches any phase, generic data any data."""
    g_drug, g_kind, g_phase = _parts(guided)
    a_drug, a_kind, a_phase = _parts(achieved)
    if g_drug != a_drug:
        return False
    kind_ok = g_kind == a_kind or (g_kind == "data" and a_kind.startswith("data"))
    phase_ok = not g_phase or not a_phase or g_phase == a_phase
    return kind_ok and phase_ok


def compare_periods(old: Period, new: Period) -> Move:
    """DESIGN.md: the same window, or a new one inside the old, is a narrowing, not a move;
    otherwise the move follows the window's end."""
    old_start, old_end = old.window()
    new_start, new_end = new.window()
    if (new_start, new_end) == (old_start, old_end):
        return "same"
    if old_start <= new_start and new_end <= old_end:
        return "narrowed"
    if new_end > old_end:
        return "later"
    if new_end < old_end:
        return "earlier"
    return "same"


def versus_guidance(achieved_on: date, guided: Period) -> Versus:
    """Before the guided window is ahead, within it on time, after it late."""
    start, end = guided.window()
    if achieved_on > end:
        return "late"
    if achieved_on < start:
        return "ahead"
    return "on_time"
