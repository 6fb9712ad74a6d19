"""Events in the corpus JSON schema (``corpus/SCHEMA.md``), and as short text."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from bot.events.trial import (
    CohortCompleted,
    CohortInitiated,
    Dose,
    DoseEscalated,
    GuidanceIssued,
    GuidanceMoved,
    MilestoneAchieved,
    Period,
    TrialEvent,
)

# Fields renamed for the corpus schema, per event class.
_RENAMED = {"from_dose": "from", "to_dose": "to"}
_FIRST = ("type", "drug", "phase", "cohort")
# Facts shown as they are in the one-line summary.
_PLAIN_FACTS = (
    "kind",
    "designation",
    "action",
    "filing",
    "authority",
    "agency",
    "outcome",
    "reason",
    "basis",
)


def _value(value: object) -> object:
    if isinstance(value, Dose):
        out: dict[str, Any] = {"value": value.value, "unit": value.unit}
        if value.regimen:
            out["regimen"] = value.regimen
        return out
    if isinstance(value, Period):
        return value.label
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_corpus(event: TrialEvent) -> dict[str, Any]:
    """One event as the corpus gold files write it (extra fields are kept)."""
    out: dict[str, Any] = {"type": event.TYPE}
    for field in dataclasses.fields(event):
        name = field.name
        if name in ("company", "evidence", "extractor_version"):
            continue
        value = getattr(event, name)
        if value is None or value == ():
            if name in ("drug", "phase", "cohort", "period"):
                out[name] = None
            continue
        if isinstance(event, GuidanceMoved) and name == "previous":
            name = "from"
        if isinstance(value, Period) and value.qualifier:
            out[f"{name}_qualifier"] = value.qualifier
        out[_RENAMED.get(name, name)] = _value(value)
    out["evidence"] = {
        "sentence": event.evidence.sentence,
        "start": event.evidence.start,
        "end": event.evidence.end,
        "source": event.evidence.source,
    }
    out["extractor_version"] = event.extractor_version
    return {
        k: out[k] for k in (*[k for k in _FIRST if k in out], *[k for k in out if k not in _FIRST])
    }


def to_corpus_release(release: str, events: list[TrialEvent]) -> dict[str, Any]:
    return {"release": release, "events": [to_corpus(e) for e in events]}


def key_facts(event: TrialEvent) -> str:
    """The facts an investor reads first, as one short line."""
    parts: list[str] = []
    phase = getattr(event, "phase", None)
    if phase:
        parts.append(f"Phase {phase}")
    if isinstance(event, CohortInitiated | CohortCompleted) or hasattr(event, "cohort"):
        number = getattr(event, "cohort", None)
        if number is not None:
            parts.append(f"cohort {number}")
        arm = getattr(event, "arm", None)
        if arm:
            parts.append(str(arm))
    dose = getattr(event, "dose", None)
    if dose is not None:
        parts.append(str(dose))
    if isinstance(event, DoseEscalated):
        step = f"{event.from_dose or '?'} → {event.to_dose}"
        if event.percent is not None:
            flag = ", inconsistent" if event.consistent is False else ""
            step += f" (+{event.percent:g} %{flag})"
        parts.append(step)
    if isinstance(event, GuidanceIssued):
        parts.append(f"{event.milestone}: {event.period}")
    if isinstance(event, GuidanceMoved):
        previous = f" (was {event.previous})" if event.previous else ""
        parts.append(
            f"{event.milestone}: {event.direction} → {event.period or 'date not given'}{previous}"
        )
    if isinstance(event, MilestoneAchieved):
        guided = f", guided {event.guided}" if event.guided else ""
        parts.append(f"{event.milestone}: {event.vs_guidance.replace('_', ' ')}{guided}")
    for name in _PLAIN_FACTS:
        if name == "basis" and isinstance(event, GuidanceMoved):
            continue
        value = getattr(event, name, None)
        if value:
            parts.append(str(value))
    if getattr(event, "partial", False):
        parts.append("partial")
    return ", ".join(parts)
