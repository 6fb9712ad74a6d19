"""From what the rules read to the events of a release: one event per fact.

The same fact is often read several times (headline, lead, quote). Readings are
merged by the event's identity; the best reading (stated in the body rather than
the title, with its phase stated in its own sentence, with more facts) is kept
and completed with the facts the others add. Then less specific readings give way
to more specific ones:

- a cohort event without a number merges into the numbered one it describes;
- an event whose phase was borrowed from elsewhere gives way to one that states it;
- "first patient dosed in the study" gives way to "… in the combination arm";
- a move of guidance with no new date gives way to a dated one;
- the same milestone guided twice in nested windows ("1Q19", "this month") is one.

Every event but guidance must name a drug; a reading with none is dropped.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from bot.events.trial import (
    CohortCompleted,
    CohortEnrolled,
    CohortInitiated,
    FirstPatientDosed,
    GuidanceIssued,
    GuidanceMoved,
    TrialEvent,
    drug_key,
)
from bot.extract.rules import Finding

PHASED_TYPES = frozenset(
    {
        "TrialInitiated",
        "FirstPatientDosed",
        "EnrollmentCompleted",
        "DataReported",
        "TrialCleared",
        "TrialDiscontinued",
    }
)
COHORT_TYPES = (CohortInitiated, CohortCompleted, CohortEnrolled)


def _key(event: TrialEvent) -> tuple[str, ...]:
    return (event.TYPE, *event.identity())


def _rank(finding: Finding) -> tuple[float, ...]:
    event = finding.event
    filled = sum(
        1 for name in type(event).__dataclass_fields__ if getattr(event, name) not in (None, (), "")
    )
    return (
        float(finding.explicit_phase),
        float(not finding.implied),
        float(event.evidence.source == "text"),
        float(filled),
        -float(event.evidence.start),
    )


def _merge(group: list[Finding]) -> Finding:
    if len(group) == 1:  # read once: nothing to merge
        return group[0]
    best = max(group, key=_rank)
    event = best.event
    updates = {}
    for field in dataclasses.fields(event):
        if getattr(event, field.name) is None:
            for other in group:
                value = getattr(other.event, field.name)
                if value is not None:
                    updates[field.name] = value
                    break
    if updates:
        event = dataclasses.replace(event, **updates)
    return dataclasses.replace(best, event=event, implied=all(f.implied for f in group))


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    groups: dict[tuple[str, ...], list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[_key(finding.event)].append(finding)
    return [_merge(group) for group in groups.values()]


def _merge_unnumbered_cohorts(findings: list[Finding]) -> list[Finding]:
    """ "25 mCi/m2 dose determined to be safe" and "completion of Cohort 3" are one event
    when the release gives cohort 3 that dose, or gives no other numbered cohort a dose."""
    out: list[Finding] = []
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        if isinstance(finding.event, COHORT_TYPES):
            groups[(finding.event.TYPE, drug_key(finding.event.drug))].append(finding)
        else:
            out.append(finding)
    for group in groups.values():
        numbered = [f for f in group if getattr(f.event, "cohort", None) is not None]
        for finding in group:
            event = finding.event
            if getattr(event, "cohort", None) is not None:
                continue
            if getattr(event, "arm", None):  # a part of the trial, not a dose cohort
                out.append(finding)
                continue
            dose = getattr(event, "dose", None)
            if dose is None:
                if not numbered:
                    out.append(finding)
                continue
            if any(getattr(f.event, "dose", None) == dose for f in numbered):
                continue
            without = [f for f in numbered if getattr(f.event, "dose", None) is None]
            if len(without) == 1:
                index = numbered.index(without[0])
                dosed = dataclasses.replace(without[0].event, dose=dose)  # type: ignore[call-arg]
                numbered[index] = dataclasses.replace(without[0], event=dosed)
                continue
            out.append(finding)
        out.extend(numbered)
    return out


def _prefer_stated_phases(findings: list[Finding]) -> list[Finding]:
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    out: list[Finding] = []
    for finding in findings:
        if finding.event.TYPE in PHASED_TYPES:
            groups[(finding.event.TYPE, drug_key(finding.event.drug))].append(finding)
        else:
            out.append(finding)
    for group in groups.values():
        stated = [f for f in group if f.explicit_phase and getattr(f.event, "phase", None)]
        phased = [f for f in group if getattr(f.event, "phase", None)]
        for finding in group:
            phase = getattr(finding.event, "phase", None)
            if phase is None and phased:
                continue
            if (
                not finding.explicit_phase
                and stated
                and all(getattr(s.event, "phase", None) != phase for s in stated)
            ):
                continue
            out.append(finding)
    return out


def _prefer_specific(findings: list[Finding]) -> list[Finding]:
    parts = {
        drug_key(f.event.drug)
        for f in findings
        if isinstance(f.event, CohortInitiated) and f.event.arm
    }
    dated_moves = {
        drug_key(f.event.drug)
        for f in findings
        if isinstance(f.event, GuidanceMoved) and f.event.period
    }
    out = []
    for finding in findings:
        event = finding.event
        if isinstance(event, FirstPatientDosed) and drug_key(event.drug) in parts:
            continue
        if (
            isinstance(event, GuidanceMoved)
            and event.period is None
            and drug_key(event.drug) in dated_moves
        ):
            continue
        out.append(finding)
    return out


def _nested_guidance(findings: list[Finding]) -> list[Finding]:
    """One milestone guided at nested windows ("in 1Q19" … "this month") is one guidance:
    the first statement of it stands."""
    kept: list[Finding] = []
    ordered = sorted(findings, key=lambda f: f.view.position)
    for finding in ordered:
        event = finding.event
        if isinstance(event, GuidanceIssued):
            start, end = event.period.window()
            duplicate = any(
                isinstance(k.event, GuidanceIssued)
                and k.tag == finding.tag
                and drug_key(k.event.drug) == drug_key(event.drug)
                and k.event.period != event.period
                and _nested((start, end), k.event.period.window())
                for k in kept
            )
            if duplicate:
                continue
        kept.append(finding)
    return kept


def _nested(a: tuple[date, date], b: tuple[date, date]) -> bool:
    (a0, a1), (b0, b1) = a, b
    return (b0 <= a0 and a1 <= b1) or (a0 <= b0 and b1 <= a1)


# Guidance can be about a programme or a platform; every other event is about a drug.
DRUGLESS_TYPES = frozenset({"GuidanceIssued", "GuidanceMoved", "MilestoneAchieved"})


def assemble(findings: Iterable[Finding]) -> list[TrialEvent]:
    """The events of one release, one per fact, in reading order."""
    findings = [f for f in findings if f.event.drug or f.event.TYPE in DRUGLESS_TYPES]
    merged = _dedupe(findings)
    merged = _merge_unnumbered_cohorts(merged)
    merged = _dedupe(merged)
    merged = _prefer_stated_phases(merged)
    merged = _prefer_specific(merged)
    merged = _nested_guidance(merged)
    merged.sort(key=lambda f: (f.view.position, f.event.TYPE))
    return [f.event for f in merged]
