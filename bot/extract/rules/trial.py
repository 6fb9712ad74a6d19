"""Trial-level news: enrollment completed (of a trial, or of a dose cohort:
CohortEnrolled), data reported, trial discontinued."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.events.trial import (
    CohortEnrolled,
    DataKind,
    DataReported,
    EnrollmentCompleted,
    TrialDiscontinued,
)
from bot.extract.context import Document, Phase, View
from bot.extract.rules import Finding
from bot.extract.rules.vocabulary import before, cohort_facts, is_history, phased, phrases
from bot.extract.text import gate

ENROLLMENT_COMPLETED = phrases(
    r"(?:completed|completes|completion\s+of)\s+(?:the\s+|its\s+|patient\s+)?(?:enrol?lment|recruitment)",
    r"(?:enrol?lment|recruitment)\s+(?:[\w()./%-]+\s+){0,14}?(?:is|was|has\s+been|had\s+been)\s+(?:now\s+)?(?:fully\s+)?(?:completed?|closed|finished)",
    r"(?:enrol?lment|recruitment)\s+(?:is\s+)?(?:now\s+)?complete",
    r"(?:fully|completely)\s+enrol?led",
    r"(?:has|have)\s+(?:successfully\s+)?completed\s+(?:its\s+|their\s+)?enrol?lment",
    r"all\s+(?:\w+\s+){0,2}(?:\(\d+\)\s+)?patients\s+(?:have|has)\s+(?:been\s+enrolled|received\s+their\s+first)",
    r"last\s+(?:patient|subject|participant)\s+(?:has\s+been|was|had\s+been)\s+(?:enrolled|randomi[sz]ed)",
    r"(?:enrol?lment|recruitment)\s+(?:fully\s+)?completed\b(?!\s+(?:by|before|in\s+(?:the\s+)?(?:first|second|third|fourth)))",
)
# "one-third enrolled", "all of which have completed enrollment", "to complete enrollment".
ENROLLMENT_NOT_NEWS = phrases(
    # part of the way: "one-third enrolled", "approximately 50 percent enrolled"
    r"one[\s-](?:third|half|quarter)",
    r"half",
    r"\d+\s*(?:%|percent)",
    r"(?:which|that|who)\s+(?:has|have|had)",
    r"to\s+date",
    r"to\s+complete",
    r"completing",
    r"expect\w*",
    r"anticipat\w*",
    r"will",
    r"plan\w*",
    r"target\w*",
)
# Unnumbered cohorts that are a whole trial's dataset ("the registration cohort").
TRIAL_LEVEL_COHORT = re.compile(
    r"\b(?:registration|registrational|pivotal|expansion|confirmatory)\s+cohort\b"
)

_DATA_ADJECTIVES = (
    r"(?:(?:new|additional|positive|encouraging|updated|interim|preliminary|initial|early|"
    r"topline|top-line|final|full|clinical|safety|and|efficacy|pharmacokinetic|long-term|further|"
    r"promising|favorable|compelling|six-month|12-month|one-year|an|a|the|first|key|detailed|"
    r"proof-of-concept|phase\s+\S+)[\s,]+){0,7}"
)
DATA_REPORTED = phrases(
    r"(?:announce[sd]?|announcing|report(?:s|ed|ing)?|present(?:s|ed|ing)?|share[sd]?|unveil(?:s|ed)?)\s+"
    + _DATA_ADJECTIVES
    + r"(?:data|results|findings|readout|(?:clinical\s+|data\s+)?updates?\s+from)",
    r"(?:data|results)\s+(?:[\w()-]+\s+){0,6}?(?:are|is)\s+(?:being\s+)?(?:presented|featured|reported)",
    r"(?:has|have)\s+demonstrated\s+(?:preliminary|initial|early|encouraging|positive)?\s*(?:clinical\s+)?(?:activity|efficacy|responses?)",
    r"(?:trial|study)\s+demonstrates",
    r"(?:evaluation|analysis)\s+of\s+(?:the\s+)?data\s+(?:[\w(),-]+\s+){0,25}?(?:indicates?|shows?|demonstrates?|suggests?)",
    r"(?:early|initial|preliminary|interim)\s+data\s+(?:[\w-]+\s+){0,5}?(?:suggests?|shows?|indicates?|demonstrates?)",
    r"presentation\s+of\s+(?:[\w-]+\s+){0,3}?(?:data|results)",
    r"(?:met|achieved|did\s+not\s+meet|failed\s+to\s+meet|missed)\s+(?:its|the|both)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:primary|secondary)\s+(?:efficacy\s+)?(?:endpoints?|objectives?)",
)
DATA_NOT_NEWS = phrases(
    r"financial",
    r"results\s+of\s+operations",
    r"net\s+(?:income|loss)",
    r"quarter\s+ended",
    r"year\s+ended",
    r"earnings",
    r"revenue",
    r"previously\s+(?:reported|presented|announced)",
    r"will\s+(?:present|report)",
    r"to\s+(?:present|report)",
    r"expect\w*\s+to",
    r"plan\w*\s+to",
    r"anticipat\w*",
    r"look\s+forward",
    r"pre-?clinical",
    r"target\s+for",
    r"timing",
    r"timelines?",
    r"(?:for|to|toward|towards)\s+(?:announcing|reporting|presenting|sharing)",
    r"in\s+vitro",
    r"animal",
    r"mouse",
    r"mice",
)
_KINDS: tuple[tuple[str, DataKind], ...] = (
    ("top-line", "topline"),
    ("topline", "topline"),
    ("interim", "interim"),
    ("preliminary", "preliminary"),
    ("initial", "preliminary"),
    ("early", "preliminary"),
    ("final", "final"),
    ("updated", "updated"),
)
ENDPOINT = re.compile(
    r"\d+(?:\.\d+)?\s*%?(?:-month)?\s+(?:median\s+)?(?:objective\s+response\s+rate|overall\s+response\s+rate|"
    r"ORR|overall\s+survival|progression-free\s+survival|PFS|response\s+rate|disease\s+control\s+rate)"
    r"|(?:ORR|overall\s+response\s+rate|objective\s+response\s+rate)\s+(?:\([A-Z]+\)\s+)?of\s+(?:at\s+least\s+)?\d+(?:\.\d+)?%",
    re.I,
)
TRIAL_WORDS = re.compile(r"\b(?:trials?|stud(?:y|ies)|patients|subjects|cohorts?|phase)\b")

DISCONTINUED = phrases(
    r"discontinu(?:e|es|ed|ing)\s+(?:[\w()™®,-]+\s+){0,6}?(?:trials?|stud(?:y|ies)|development|program|phase)",
    r"(?:trial|study|program|development)\s+(?:[\w-]+\s+){0,2}?(?:be|was|were|has\s+been|is\s+being)\s+(?:stopped|terminated|discontinued|halted)",
    r"(?:terminat|halt|stopp)(?:e|es|ed|ing)\s+(?:the\s+|its\s+|our\s+)?(?:[\w-]+\s+){0,5}?(?:trial|study|development|program)",
    r"(?:is|are)\s+closing\s+(?:the\s+|its\s+|our\s+)?(?:[\w-]+\s+){0,3}?(?:trial|study)",
    r"(?:stopped|terminated)\s+(?:early\s+)?(?:due\s+to|for)\s+futility",
)
DISCONTINUED_NOT_NEWS = phrases(
    r"may",
    r"could",
    r"might",
    r"if",
    r"risks?",
    r"would",
    r"whether",
    r"patients?\s+(?:who\s+)?discontinu\w*",
    r"treatment\s+discontinu\w*",
)
REASON = re.compile(
    r"\b(?:due\s+to|for|because\s+of|following)\s+(futility|safety\s+concerns?|lack\s+of\s+efficacy|strategic\s+reasons|business\s+reasons)"
)


def _enrollment(doc: Document, view: View) -> Iterator[Finding]:
    for match in ENROLLMENT_COMPLETED.finditer(view.lower):
        start, end = match.span()
        local = view.lower[max(0, start - 60) : end + 40]
        if ENROLLMENT_NOT_NEWS.search(local) or is_history(doc, view, start):
            continue
        drug = doc.drug_near(view, start)
        cohorts = [c for c in view.cohorts if abs(c.start - start) < 120]
        if cohorts and not TRIAL_LEVEL_COHORT.search(view.lower):
            cohort = min(cohorts, key=lambda c: abs(c.start - start))
            number, dose = cohort_facts(doc, drug, cohort)
            yield phased(CohortEnrolled, doc, view, drug, start, cohort=number, dose=dose)
        elif re.search(r"\bcohort\b", view.lower) and not TRIAL_LEVEL_COHORT.search(view.lower):
            continue  # a population cohort of a trial ("the NSCLC cohort"), not the trial
        else:
            yield phased(EnrollmentCompleted, doc, view, drug, start)


RELATIVE_BEFORE = re.compile(r"\b(?:which|that)\s+$")
# Verbs without which DATA_REPORTED cannot match.
DATA_VERBS = gate(
    "announc",
    "report",
    "present",
    "shar",
    "unveil",
    "demonstrat",
    "evaluation",
    "analysis",
    "met ",
    "achiev",
    "meet",
    "miss",
    "suggest",
    "show",
    "indicat",
)


def _data(doc: Document, view: View) -> Iterator[Finding]:
    if not view.has_any(DATA_VERBS):
        return
    # "… the ASPIRE trial, which met its primary endpoint": a relative clause describes
    # results, it does not report them.
    match = next(
        (
            m
            for m in DATA_REPORTED.finditer(view.lower)
            if not RELATIVE_BEFORE.search(view.lower, max(0, m.start() - 12), m.start())
        ),
        None,
    )
    if match is None or DATA_NOT_NEWS.search(view.lower) or is_history(doc, view, match.start()):
        return
    drug = doc.drug_near(view, match.start())
    if not TRIAL_WORDS.search(view.lower) and not view.drugs:
        return
    lowered = view.lower
    kind = next((k for word, k in _KINDS if word in lowered), None)
    endpoints = tuple(m.group(0) for m in ENDPOINT.finditer(view.text))
    for key in doc.drugs_for_both(view) or [drug]:
        yield phased(DataReported, doc, view, key, match.end(), kind=kind, endpoints=endpoints)


def _discontinued(doc: Document, view: View) -> Iterator[Finding]:
    match = DISCONTINUED.search(view.lower)
    if match is None or DISCONTINUED_NOT_NEWS.search(before(view, match.start(), 50)):
        return
    if is_history(doc, view, match.start()):
        return
    drug = doc.drug_near(view, match.start())
    phase = None
    if re.search(r"\b(?:development|program)\b", match.group(0)):
        # a drug's development stopped: a phase only when the sentence names one
        low, high = view.clause(match.start())
        if not any(low <= p.start < high for p in view.phases):
            phase = Phase(None, True)
    reason = REASON.search(view.lower)
    yield phased(
        TrialDiscontinued,
        doc,
        view,
        drug,
        match.end(),
        phase=phase,
        reason=reason.group(1).lower() if reason else None,
    )


# Words without which a rule cannot match: most sentences skip most rules.
ENROLLMENT_WORDS = gate("enrol", "recruit")
DATA_WORDS = gate(
    "data",
    "result",
    "finding",
    "readout",
    "update",
    "demonstrat",
    "endpoint",
    "objective",
)
DISCONTINUED_WORDS = gate("discontinu", "terminat", "halt", "stop", "closing", "futility")
# Every word tuple find() gives View.has_any (scanned for at once: text.WordScan).
GATES = (ENROLLMENT_WORDS, DATA_WORDS, DISCONTINUED_WORDS, DATA_VERBS)


def find(doc: Document, view: View) -> Iterator[Finding]:
    if view.has_any(ENROLLMENT_WORDS):
        yield from _enrollment(doc, view)
    if view.has_any(DATA_WORDS):
        yield from _data(doc, view)
    if view.has_any(DISCONTINUED_WORDS):
        yield from _discontinued(doc, view)
