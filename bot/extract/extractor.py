"""The entry point: a release in, its trial events out. Pure: no I/O, no clock."""

from __future__ import annotations

import re

from bot.events.trial import TrialEvent
from bot.extract import assemble, periods
from bot.extract.context import read
from bot.extract.model import ReleaseInput
from bot.extract.rules import (
    Finding,
    achieved,
    cohort,
    guidance,
    regulatory,
    starts,
    trial,
    vocabulary,
)
from bot.extract.text import CASE_EXCEPTIONS, WordScan, contains_any, lowered

RULES = (starts, trial, cohort, guidance, achieved, regulatory)
# A sentence is scanned once for the words of every rule's gates (View.has_any).
GATES = WordScan(
    (periods.GATE, vocabulary.HISTORY_WORDS, *(gate for rules in RULES for gate in rules.GATES))
)

# Law firms announce class actions about other companies' news: never the issuer's.
LAW_FIRM = re.compile(
    r"\b(?:class\s+action|lead\s+plaintiff|securities\s+fraud|shareholder\s+alert|investor\s+alert|"
    r"class\s+period|securities\s+litigation|investors\s+who\s+(?:purchased|acquired))\b",
    re.IGNORECASE,
)
LAW_FIRM_WORDS = (
    "class action",
    "plaintiff",
    "securities",
    "class period",
    "investors who",
    "alert",
)
# A release with none of these words has no trial news.
TRIAL_VOCABULARY = re.compile(
    r"\b(?:clinical|trials?|stud(?:y|ies)|phase\s+(?:[1-4]|I{1,3})|FDA|IND|patients|dosing|cohorts?|"
    r"BLA|NDA|MAA|PDUFA|top-?line|Food\s+and\s+Drug|EMA|orphan\s+drug|investigational|"
    r"therapeutics?|biopharma\w*|pharmaceuticals?|(?:drug|product)\s+candidates?|efficacy|"
    r"biologics?\s+licen[sc]e|new\s+drug\s+application|marketing\s+authori[sz]ation)\b",
    re.IGNORECASE,
)

# The same patterns for lower-cased text: a case-sensitive scan is faster (about 2x). It
# finds the same matches except in text with a character that lower-cases to two ("İ") or
# that matches a letter case-insensitively without lower-casing to it ("ı", "ſ").
_TRIAL_VOCABULARY_LOWER = re.compile(lowered(TRIAL_VOCABULARY.pattern))
_LAW_FIRM_LOWER = re.compile(lowered(LAW_FIRM.pattern))


def _has_trial_vocabulary(text: str) -> bool:
    if contains_any(text, CASE_EXCEPTIONS):  # three substring tests: faster than a regex
        return TRIAL_VOCABULARY.search(text) is not None
    return _TRIAL_VOCABULARY_LOWER.search(text.lower()) is not None


def _is_law_firm(head: str) -> bool:
    """Whether the opening of a release reads like a law firm's (two of its phrases)."""
    lower = head.lower()
    if not contains_any(lower, LAW_FIRM_WORDS):
        return False
    if contains_any(head, CASE_EXCEPTIONS):
        return len(LAW_FIRM.findall(head)) >= 2
    return len(_LAW_FIRM_LOWER.findall(lower)) >= 2


def extract(release: ReleaseInput) -> list[TrialEvent]:
    """The clinical-trial events a release reports, each with its evidence."""
    head = f"{release.title}\n{release.text[:3000]}"
    if _is_law_firm(head) or not _has_trial_vocabulary(release.title + " " + release.text):
        return []
    document = read(release, GATES)
    findings: list[Finding] = []
    for view in document.views:
        if view.section == "boilerplate":
            continue
        if view.section == "about":
            findings.extend(guidance.find_issued_only(document, view))
            continue
        for rules in RULES:
            findings.extend(rules.find(document, view))
    return assemble.assemble(findings)
