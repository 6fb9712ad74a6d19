"""Something started: a trial (TrialInitiated), a cohort or a part of an ongoing trial
(CohortInitiated), or dosing (FirstPatientDosed).

What started is read from the words next to the verb: "initiation of Cohort 4" is a
cohort, "the first patient dosed in the combination arm" a part, "the study is now
underway" a trial.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.events.trial import CohortInitiated, FirstPatientDosed, TrialInitiated
from bot.extract.context import Document, View
from bot.extract.rules import Finding
from bot.extract.rules.vocabulary import NEGATION, cohort_facts, is_history, phased, phrases
from bot.extract.text import gate

# "<verb> <what started>": the object follows the trigger.
STARTED_OBJECT_AFTER = phrases(
    r"initiat(?:es|ed)",
    r"commenc(?:es|ed)",
    r"start(?:s|ed)",
    r"launch(?:es|ed)",
    r"beg(?:an|un|ins)",
    r"(?:initiation|commencement|start|launch)\s+of",
    r"(?:recruitment|enrol?lment)\s+(?:has\s+|have\s+)?(?:begun|began|started|initiated|commenced|opened)",
)
# "<what started> <was initiated / is now underway / is open for enrollment>".
STARTED_OBJECT_BEFORE = phrases(
    r"(?:is|are|was|were|has\s+been|have\s+been)\s+(?:now\s+)?(?:initiated|started|launched|commenced|underway|under\s+way)",
    r"(?:is|are|was|were|has\s+been|have\s+been)?\s*(?:now\s+)?open\s+for\s+(?:patient\s+)?(?:enrol?lment|recruitment)",
)
FIRST_PATIENT_DOSED = phrases(
    r"first\s+(?:[\w-]+\s+){0,4}?(?:patient|subject|participant|volunteer)s?\s+(?:has\s+been\s+|have\s+been\s+|was\s+|were\s+)?(?:dosed|treated|randomi[sz]ed|infused)",
    r"first\s+(?:[\w-]+\s+){0,4}?(?:patient|subject|participant)s?\s+(?:[\w-]+\s+){0,5}?initiated\s+(?:[\w-]+\s+){0,2}?dosing",
    r"(?:dosed|treated|dosing|randomi[sz]ed)\s+(?:of\s+)?(?:the|its|our)\s+first(?:-ever)?\s+(?:patient|subject|participant)",
    r"(?:treatment|dosing)\s+of\s+(?:the\s+)?first(?:-ever)?\s+(?:patient|subject|participant)",
    r"(?:initiation|start)\s+of\s+dosing",
)
# What started, nearest first: a cohort (read by the cohort recogniser), a part of a
# trial, the trial itself, or dosing.
PART = re.compile(r"\b(?:arm|portion|part|stage|segment)\b")
TRIAL = re.compile(r"\b(?:trials?|stud(?:y|ies)|program)\b")
DOSING = re.compile(r"\bdosing\b")
# Words just before a trigger that say it has not happened (yet).
NOT_YET = phrases(
    r"to",
    r"will",
    r"would",
    r"could",
    r"may",
    r"might",
    r"can",
    r"should",
    r"shall",
    r"must",
    r"not",
    r"yet",
    r"before",
    r"prior",
    r"toward",
    r"towards",
    r"planned",
    r"upcoming",
    r"anticipat\w*",
    r"expect\w*",
    r"imminent",
    r"intend\w*",
    r"plan\w*",
    r"supports?",
    r"enables?",
    r"allows?",
    r"ready",
    r"prepar\w*",
    r"forward",
    r"once",
    r"upon",
    r"if",
    r"await\w*",
    r"approach\w*",
    r"for",
)
# "first patient dosed" without "has been" is a headline's grammar; in running text it is
# a description ("the first patient treated in that trial received …").
HEADLINE_GRAMMAR = re.compile(r"(?:^|announc\w*\s+(?:that\s+)?(?:the\s+)?)$")
_NO_AUXILIARY = re.compile(
    r"(?:patient|subject|participant|volunteer)s?\s+(?:dosed|treated|randomi[sz]ed|infused)"
)
RELATIVE = re.compile(r"\b(?:that|which|who)$")
PASSIVE_BEFORE = re.compile(r"\b(?:is|are|was|were|been|be)\s+(?:now\s+)?$")
# A noun ("initiation of X") followed by an expectation is guidance, not news.
EXPECTED_AFTER = phrases(
    r"(?:is|are)\s+(?:now\s+)?(?:expected|anticipated|planned|scheduled|slated|projected|targeted)",
    r"will",
    r"(?:is|are)\s+to\s+(?:occur|begin|take)",
    r"on\s+track",
)
STARTED_AT = re.compile(r"\s*at\b")


def _words_before(view: View, position: int, count: int = 4) -> str:
    return " ".join(view.lower[max(0, position - 80) : position].split()[-count:])


_CLAUSE_CUT = re.compile(r",|\b(?:which|who|whom|where|in\s+which|that)\b")
_THIS_COHORT = re.compile(r"\b(?:this|the)\s+(?:dose\s+)?cohort\b")


def _predicate_window(view: View, end: int) -> str:
    """The words after "initiation of X" up to a comma or a relative clause: where
    "is expected" or "will" would say the start has not happened."""
    window = view.lower[end : end + 100]
    cut = _CLAUSE_CUT.search(window)
    return window[: cut.start()] if cut else window


def _not_yet(view: View, start: int) -> bool:
    before = _words_before(view, start)
    # "a company that initiated three trials": a relative clause describes, it does not report
    return bool(NOT_YET.search(before) or RELATIVE.search(before))


def _object(view: View, start: int, end: int, forward: bool) -> tuple[str, int] | None:
    """The nearest thing that started ("cohort", "part", "trial", "dosing") and where."""
    low, high = view.clause(start)
    if forward:
        window_start, window_end = end, min(high, end + 110)
    else:
        window_start, window_end = max(low, start - 110), start
    found: list[tuple[int, str, int]] = []
    for cohort in view.cohorts:
        if window_start <= cohort.start < window_end:
            found.append((cohort.start, "cohort", cohort.start))
    for kind, pattern in (("part", PART), ("trial", TRIAL), ("dosing", DOSING)):
        for match in pattern.finditer(view.lower, window_start, window_end):
            found.append((match.start(), kind, match.start()))
    if _THIS_COHORT.search(view.lower, window_start, window_end):
        spot = view.lower.find("cohort", window_start, window_end)
        found.append((spot, "this-cohort", spot))
    if not found:
        return None
    if forward:
        chosen = min(found)
    else:
        # "Cohort 5 of the Phase 1 study has been initiated": the subject's head is the
        # most specific thing named before the verb.
        rank = {"cohort": 0, "this-cohort": 0, "part": 1, "trial": 2, "dosing": 3}
        chosen = min(found, key=lambda f: (rank[f[1]], -f[0]))
    return chosen[1], chosen[2]


def _arm(view: View, position: int) -> str | None:
    match = re.search(
        r"((?:[\w-]+\s+){0,2})(?:arm|portion|part|stage|segment)\b",
        view.text[max(0, position - 40) : position + 20],
        re.I,
    )
    return (match.group(0).strip() if match else None) or None


def _trial_or_part(
    doc: Document, view: View, start: int, end: int, kind: str, where: int
) -> Iterator[Finding]:
    drug = doc.drug_near(view, start)
    for key in doc.drugs_for_both(view) or [drug]:
        if kind == "trial":
            yield phased(TrialInitiated, doc, view, key, where)
        elif kind == "dosing-trial":
            yield phased(FirstPatientDosed, doc, view, key, where)
        elif kind == "part":
            yield phased(CohortInitiated, doc, view, key, where, arm=_arm(view, where))


def _cohort(
    doc: Document, view: View, start: int, where: int, anaphoric: bool
) -> Iterator[Finding]:
    cohort = (
        doc.previous_cohort(view, where + 1)
        if anaphoric
        else next((c for c in view.cohorts if c.start == where), None)
    )
    if cohort is None:
        return
    drug = doc.drug_near(view, start)
    number, dose = cohort_facts(doc, drug, cohort)
    yield phased(CohortInitiated, doc, view, drug, where, cohort=number, dose=dose)


# Words without which nothing here can match: most sentences skip the rule.
START_WORDS = gate(
    "initiat",
    "commenc",
    "start",
    "launch",
    "began",
    "begun",
    "begin",
    "underway",
    "under way",
    "open for",
    "first",
    "dosing",
)
# The words each trigger pattern cannot match without.
STARTED_AFTER_WORDS = gate("initiat", "commenc", "start", "launch", "beg", "opened")
STARTED_BEFORE_WORDS = gate("initiated", "started", "launched", "commenced", "under", "open")
FIRST_DOSED_WORDS = gate("first", "dosing")
# Every word tuple find() gives View.has_any (scanned for at once: text.WordScan).
GATES = (START_WORDS, STARTED_AFTER_WORDS, STARTED_BEFORE_WORDS, FIRST_DOSED_WORDS)


def find(doc: Document, view: View) -> Iterator[Finding]:
    if not view.has_any(START_WORDS):
        return
    object_after = view.has_any(STARTED_AFTER_WORDS)
    for match in STARTED_OBJECT_AFTER.finditer(view.lower) if object_after else ():
        start, end = match.span()
        if _not_yet(view, start) or is_history(doc, view, start):
            continue
        noun = (
            match.group(0).lower().startswith(("initiation", "commencement", "start ", "launch of"))
        )
        if noun and EXPECTED_AFTER.search(_predicate_window(view, end)):
            continue
        if STARTED_AT.match(view.lower, end):
            continue  # "started at a 120 mg/m2 dose" gives the starting dose
        if PASSIVE_BEFORE.search(view.lower, max(0, start - 20), start):
            continue  # "the trial was initiated": read below, from what comes before
        yield from _started(doc, view, start, end, forward=True)
    object_before = view.has_any(STARTED_BEFORE_WORDS)
    for match in STARTED_OBJECT_BEFORE.finditer(view.lower) if object_before else ():
        start, end = match.span()
        if NEGATION.search(_words_before(view, start, 3)) or _not_yet(view, start):
            continue
        if is_history(doc, view, start):
            continue
        yield from _started(doc, view, start, end, forward=False)
    dosed = view.has_any(FIRST_DOSED_WORDS)
    for match in FIRST_PATIENT_DOSED.finditer(view.lower) if dosed else ():
        start, end = match.span()
        if _not_yet(view, start) or is_history(doc, view, start):
            continue
        headline_grammar = view.section in ("title", "headline") or HEADLINE_GRAMMAR.search(
            view.lower[max(0, start - 40) : start]
        )
        if _NO_AUXILIARY.search(match.group(0)) and not headline_grammar:
            continue
        thing = _object(view, start, end, forward=True)
        if thing and thing[0] == "cohort":  # "first patient dosed in Cohort 3"
            yield from _cohort(doc, view, start, thing[1], anaphoric=False)
            continue
        kind = "part" if thing and thing[0] == "part" else "dosing-trial"
        yield from _trial_or_part(doc, view, start, end, kind, thing[1] if thing else end)


def _started(
    doc: Document, view: View, start: int, end: int, *, forward: bool
) -> Iterator[Finding]:
    thing = _object(view, start, end, forward)
    if thing is None:
        return
    kind, where = thing
    if kind == "cohort":
        yield from _cohort(doc, view, start, where, anaphoric=False)
    elif kind == "this-cohort":
        yield from _cohort(doc, view, start, where, anaphoric=True)
    elif kind in ("trial", "part"):
        yield from _trial_or_part(doc, view, start, end, kind, where)
