"""Dose escalation: cohorts completed, the move to a higher dose, the recommended dose.

A decision to go up ("the study will now proceed to the next higher dose of
120 mg/m2", "the committee recommended escalating to the second dose level")
also says the cohort before it was completed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.events.trial import CohortCompleted, Dose, DoseBasis, DoseEscalated, RecommendedDoseSet
from bot.extract.context import Document, View
from bot.extract.model import CohortMention, DoseMention
from bot.extract.quantities import consistent
from bot.extract.rules import Finding
from bot.extract.rules.vocabulary import (
    HYPOTHETICAL,
    before,
    cohort_facts,
    is_history,
    make,
    phased,
    phrases,
)
from bot.extract.text import gate

# "completion of Cohort 3", "completed the treatment of patients in cohort 1".
COMPLETED_BEFORE_COHORT = re.compile(
    r"\b(?:successful\s+)?complet(?:ion|ed|es|e)\s+(?:of\s+)?(?:the\s+)?(?:treatment\s+of\s+)?(?:patients\s+in\s+)?$"
)
# "The first cohort, treated with the lowest dose, was completed".
COMPLETED_AFTER_COHORT = phrases(
    r"(?:was|has\s+been|have\s+been|is)\s+(?:now\s+)?(?:successfully\s+)?completed"
)
# "the fourth cohort single dose of 31.25 mCi/m2 was safe", "25 mCi/m2 Dose Determined to Be Safe".
DECLARED_SAFE = phrases(
    r"(?:determined|deemed|found|declared|confirmed|shown)\s+(?:that\s+)?(?:[\w./-]+\s+){0,10}?(?:to\s+be\s+|was\s+|is\s+)?safe",
    r"(?:was|were|is)\s+(?:\w+\s+)?safe\s+and\s+(?:well[\s-])?tolerated",
    r"clear(?:ed|ing)\s+the\s+(?:first|second|third|fourth|fifth|\d+(?:st|nd|rd|th))\s+dose\s+(?:level|cohort)",
    # "cleared the 400 mg dose level"
    r"clear(?:ed|ing)\s+the\s+\d[\d.,]*\s*\S+\s+(?:dose\s+)?(?:level|cohort)",
)
STATUS_SUMMARY = phrases(
    r"to\s+date",
    r"all\s+(?:deemed|determined|found)",
    r"previous\s+cohorts",
    r"previously\s+completed",
)
# A decision to move up: "proceed to the next higher dose of 120 mg/m2".
ESCALATE = phrases(
    r"(?:proceed|progress|advance|escalat|mov|increas|step)\w*\s+(?:up\s+)?(?:in)?to\s+(?:the\s+|a\s+)?"
    r"(?:next\s+|second\s+|third\s+|fourth\s+|fifth\s+|\d+(?:st|nd|rd|th)\s+)?(?:higher\s+)?(?:dose|dosing)(?:\s+(?:level|cohort))?",
    r"advances?\s+to\s+(?:the\s+)?(?:\d+(?:st|nd|rd|th)|second|third|fourth|fifth|sixth)\s+(?:dose\s+)?cohort",
    # "escalation to the 30 mg dose level", "increased from 10 mg to 30 mg": the dose follows
    r"(?:proceed|progress|advance|escalat|mov|increas|step)\w*\s+(?:up\s+)?(?:from\s+[\d.,]+\s*\S+\s+)?to\s+(?:the\s+|a\s+)?(?=\d)",
)
# A stated change: "a 25 percent increase in the 25 mCi/m2 dose",
# "double the dose given in cohort 1".
STATED_INCREASE = phrases(
    r"\d+(?:\.\d+)?\s*(?:%|percent)\s+(?:increase|higher|escalation)",
    r"(?:double|twice|triple)\s+the\s+dose",
)
RP2D = r"(?:recommended\s+phase\s+(?:2|II)\s+dose|RP2D|maximum\s+tolerated\s+dose|MTD)"
RECOMMENDED_DOSE = phrases(
    r"(?:established|determined|identified|selected|declared|defined|confirmed|reached|set)\s+(?:[\w-]+\s+){0,3}?(?:the\s+|a\s+|an\s+)?"
    + RP2D,
    RP2D + r"\s+(?:\([A-Z0-9]+\)\s+)?(?:(?:of|for)\s+[\w-]+\s+)?(?:was|has\s+been|had\s+been)\s+"
    r"(?:established|determined|identified|selected|declared|defined|reached|set)",
    r"(?:selected|chosen|identified|established)\s+(?:[\w./-]+\s+){0,5}?as\s+the\s+" + RP2D,
)
# An escalation that is only a plan or a possibility.
NOT_DECIDED = phrases(
    r"if",
    r"plans?\s+to",
    r"intends?\s+to",
    r"hopes?\s+to",
    r"would",
    r"may",
    r"might",
    r"potentially",
    r"seeks?\s+to",
)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}


def _ordinal(text: str) -> int | None:
    match = re.search(
        r"\b(first|second|third|fourth|fifth|sixth|\d+)(?:st|nd|rd|th)?\b", text, re.I
    )
    if match is None:
        return None
    word = match.group(1).lower()
    return int(word) if word.isdigit() else _ORDINAL.get(word)


def _completed(
    doc: Document,
    view: View,
    cohort: CohortMention,
    position: int,
    outcome: str | None,
    dose: Dose | None = None,
    *,
    look_up_dose: bool = True,
) -> Finding:
    drug = doc.drug_near(view, position)
    number, looked_up = cohort_facts(doc, drug, cohort)
    dose = dose or cohort.dose or (looked_up if look_up_dose else None)
    return phased(
        CohortCompleted, doc, view, drug, position, cohort=number, dose=dose, outcome=outcome
    )


def _completions(doc: Document, view: View) -> Iterator[Finding]:
    if is_history(doc, view, 0):
        return
    for cohort in view.cohorts:
        head = view.lower[max(0, cohort.start - 60) : cohort.start]
        tail = view.lower[cohort.end : cohort.end + 60]
        lead_in = COMPLETED_BEFORE_COHORT.search(head)
        preamble = " ".join(head[: lead_in.start()].split()[-3:]) if lead_in else ""
        if (
            lead_in
            and "enrol" not in head[lead_in.start() :].lower()
            and not HYPOTHETICAL.search(preamble)
        ):
            yield _completed(doc, view, cohort, cohort.start, None)
            continue
        follow = COMPLETED_AFTER_COHORT.search(tail)
        if follow and "enrol" not in (head[-40:] + tail[: follow.start()]).lower():
            yield _completed(doc, view, cohort, cohort.start, None)
    declared = "safe" in view.lower or "clear" in view.lower
    for match in DECLARED_SAFE.finditer(view.lower) if declared else ():
        if STATUS_SUMMARY.search(view.lower) or HYPOTHETICAL.search(
            before(view, match.start(), 30)
        ):
            continue
        cohorts = [c for c in view.cohorts if c.numbers or c.dose]
        doses = list(view.doses)
        if "clear" in match.group(0).lower():
            number = _ordinal(match.group(0))
            named_dose = [d for d in doses if match.start() <= d.start < match.end()]
            if named_dose:
                cleared = CohortMention((), named_dose[0].dose, match.start(), match.end())
                yield _completed(doc, view, cleared, match.start(), "safe")
            elif number is not None:
                yield _completed(
                    doc,
                    view,
                    CohortMention((number,), None, match.start(), match.end()),
                    match.start(),
                    "safe",
                )
            continue
        if len(cohorts) == 1:
            yield _completed(
                doc, view, cohorts[0], match.start(), "safe", _dose_near(doses, cohorts[0].end)
            )
        elif not cohorts and len(doses) == 1:
            yield _completed(
                doc,
                view,
                CohortMention((), doses[0].dose, doses[0].start, doses[0].end),
                match.start(),
                "safe",
            )


def _dose_near(doses: list[DoseMention], position: int) -> Dose | None:
    following = [d for d in doses if 0 <= d.start - position < 40]
    return following[0].dose if following else None


def _escalations(doc: Document, view: View) -> Iterator[Finding]:
    if is_history(doc, view, 0):
        return
    for match in ESCALATE.finditer(view.lower):
        start, end = match.span()
        if NOT_DECIDED.search(before(view, start, 40)):
            continue
        drug = doc.drug_near(view, start)
        to_doses = [d for d in view.doses if end <= d.start <= end + 12]
        target = _ordinal(match.group(0))
        to_cohort = target if target is not None and "next" not in match.group(0).lower() else None
        previous = doc.recent_doses(view, start)
        if to_doses:
            to_dose = to_doses[0].dose
            later = [d.dose for d in view.doses if d.start > to_doses[0].end]
            lower = [
                d for d in [*later, *previous] if d.unit == to_dose.unit and d.value < to_dose.value
            ]
            from_dose = lower[-1] if lower else None
            if from_dose is not None or not previous:
                yield Finding(
                    make(
                        DoseEscalated,
                        doc,
                        view,
                        drug=doc.name(view, drug),
                        cohort=to_cohort,
                        from_dose=from_dose,
                        to_dose=to_dose,
                    ),
                    view,
                )
                done = CohortMention(
                    (to_cohort - 1,) if to_cohort and to_cohort > 1 else (), from_dose, start, end
                )
                finding = _completed(doc, view, done, start, "safe", from_dose, look_up_dose=False)
                yield Finding(finding.event, view, finding.explicit_phase, implied=True)
                continue
        if to_cohort is not None and to_cohort > 1:
            done = CohortMention((to_cohort - 1,), None, start, end)
            finding = _completed(doc, view, done, start, "safe", look_up_dose=False)
            yield Finding(finding.event, view, finding.explicit_phase, implied=True)
    yield from _stated_increases(doc, view)


def _stated_increases(doc: Document, view: View) -> Iterator[Finding]:
    """ "Cohort 4 patients will receive 31.25 mCi/m2, a 25 percent increase in the 25 mCi/m2
    dose from the third cohort": the new dose comes before the stated change."""
    match = STATED_INCREASE.search(view.lower)
    if match is None:
        return
    start = match.start()
    to_candidates = [d for d in view.doses if d.end <= start]
    if not to_candidates:
        return
    to_dose = to_candidates[-1].dose
    drug = doc.drug_near(view, start)
    percent = next((p.value for p in view.percents if p.start >= start - 2), None)
    from_dose: Dose | None = None
    later = [d for d in view.doses if d.start >= match.end() and d.dose.unit == to_dose.unit]
    if later and later[0].start - match.end() < 30:
        from_dose = later[0].dose
    else:
        referenced = [c for c in view.cohorts if c.start >= match.end() and c.numbers]
        if referenced:
            from_dose = doc.cohort_dose(drug, referenced[0].numbers[-1])
    to_cohort = next(
        (
            c.numbers[-1]
            for c in view.cohorts
            if c.end <= start and c.numbers and len(c.numbers) == 1
        ),
        None,
    )
    if from_dose is not None and from_dose.value >= to_dose.value:
        return
    agrees = consistent(percent, from_dose, to_dose) if percent is not None and from_dose else None
    yield Finding(
        make(
            DoseEscalated,
            doc,
            view,
            drug=doc.name(view, drug),
            cohort=to_cohort,
            from_dose=from_dose,
            to_dose=to_dose,
            percent=percent,
            consistent=agrees,
        ),
        view,
    )


def _recommended(doc: Document, view: View) -> Iterator[Finding]:
    match = RECOMMENDED_DOSE.search(view.lower)
    if match is None or HYPOTHETICAL.search(before(view, match.start(), 40)):
        return
    if re.search(r"\b(?:to|until|once)\s+(?:\w+\s+)?$", before(view, match.start(), 20)):
        return
    drug = doc.drug_near(view, match.start())
    dose = min(view.doses, key=lambda d: abs(d.start - match.end())).dose if view.doses else None
    basis: DoseBasis = "MTD" if re.search(r"mtd|maximum\s+tolerated", match.group(0)) else "RP2D"
    yield Finding(
        make(RecommendedDoseSet, doc, view, drug=doc.name(view, drug), dose=dose, basis=basis), view
    )


# Words without which a rule cannot match: most sentences skip most rules.
COMPLETION_WORDS = gate("cohort", "group", "level", "safe", "clear")
ESCALATION_WORDS = gate(
    "escalat",
    "proceed",
    "progress",
    "advance",
    "mov",
    "increas",
    "step",
    "percent",
    "%",
    "double",
    "twice",
    "triple",
)
RECOMMENDED_WORDS = gate("recommended phase", "rp2d", "mtd", "maximum tolerated")
CLEARED_LEVEL_WORDS = gate("cohort", "group", "level")  # "cleared the first dose level"
DOSE_WORDS = gate("dose", "cohort", "level")
# Every word tuple find() gives View.has_any (scanned for at once: text.WordScan).
GATES = (
    COMPLETION_WORDS,
    CLEARED_LEVEL_WORDS,
    DOSE_WORDS,
    ESCALATION_WORDS,
    RECOMMENDED_WORDS,
)


def find(doc: Document, view: View) -> Iterator[Finding]:
    named = bool(view.cohorts or view.doses) and view.has_any(COMPLETION_WORDS)
    cleared = "clear" in view.lower and view.has_any(CLEARED_LEVEL_WORDS)
    if named or cleared:
        yield from _completions(doc, view)
    if view.has_any(DOSE_WORDS) and view.has_any(ESCALATION_WORDS):
        yield from _escalations(doc, view)
    if view.has_any(RECOMMENDED_WORDS):
        yield from _recommended(doc, view)
