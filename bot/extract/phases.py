"""Phases, cohorts and trial names.

Phases: ``Phase I``, ``Phase 1``, ``Phase 1b/2``, ``Phase IIa``, ``Phase 1a/1b`` →
``1``, ``1``, ``1b/2``, ``2a``, ``1a/1b``. Cohorts: "Cohort 4", "the fourth cohort",
"third dose cohort", "second dosing group", "cohorts 1 and 2", "Cohorts 1-3",
"the first four cohorts", "the 3 mg/kg cohort", "the 120 mg/m2 (second) cohort".
Trial names: "TRILOGY 1", "RECONNECT", "ABILITY-1", "ReSPECT-GBM" next to
"trial", "study" or a phase.
"""

from __future__ import annotations

import re

from bot.extract.model import CohortMention, DoseMention, PhaseMention
from bot.extract.text import contains_any

_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4"}
_NUMERAL = r"(?:IV|III|II|I|[1-4])(?![IVX\d])"
PHASE = re.compile(
    # "[Pp](?<!…)" rather than "\b[Pp]": a pattern that starts with a character class is
    # found by a fast scan; one that starts with "\b" is tried at every position.
    # "the recommended Phase 2 dose" names a dose, not the trial's phase
    r"[Pp](?<![A-Za-z0-9_][Pp])(?<!recommended [Pp])(?<!Recommended [Pp])hase[\s-]*(?P<a>"
    + _NUMERAL
    + r")(?P<as>[abcABC](?![A-Za-z]))?"
    r"(?:\s*[/-]\s*(?:[Pp]hase\s*)?(?P<b>" + _NUMERAL + r")(?P<bs>[abcABC](?![A-Za-z]))?)?"
)

_ORDINAL_WORDS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "5th": 5,
    "6th": 6,
    "7th": 7,
    "8th": 8,
    "9th": 9,
    "10th": 10,
}
_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_ORD = "|".join(_ORDINAL_WORDS)
_COHORT_NOUN = (
    r"(?:(?:single|multiple|fractionated|repeat|split|ascending|escalating)[\s-]+)?"
    r"(?:(?:dose|dosing)\s+)?(?:cohort|group|level)"
)
COHORT_NUMBERED = re.compile(
    r"[Cc](?<![A-Za-z0-9_][Cc])ohorts?\s+(?P<n>\d{1,2})(?!\.\d|\d)"
    r"(?:\s*(?:-|to|through|and|&|,)\s*(?P<m>\d{1,2})(?!\d))?"
)
# Matched against the lower-case sentence.
COHORT_ORDINAL = re.compile(
    r"\b(?P<ord>" + _ORD + r")\s+(?:\((?:dose\s+)?cohort\)\s+)?" + _COHORT_NOUN + r"s?\b",
)
COHORT_FIRST_N = re.compile(
    r"\bfirst\s+(?P<count>" + "|".join(_COUNT_WORDS) + r"|\d)\s+(?:dose\s+)?cohorts\b",
    re.IGNORECASE,
)
COHORT_PARENTHESISED = re.compile(r"\((?P<ord>" + _ORD + r")\)\s+cohort\b", re.IGNORECASE)
_DOSE_COHORT_AFTER = re.compile(
    r"\s*(?:\(\w+\)\s+)?(?:dose\s+)?(?:cohort|dosing\s+group)\b", re.IGNORECASE
)

_NAME = (
    r"[A-Z](?<![A-Za-z0-9_][A-Z])"  # starts a word (see PHASE on why not "\b")
    r"(?:[A-Z]{3,}-\d(?!\d)"  # ABILITY-1
    r"|[a-z]+[A-Z][A-Za-z]*-[A-Z]{2,4}"  # ReSPECT-GBM
    r"|[A-Z]{4,}(?:\s[1-9](?!\d))?)"  # TRILOGY 1, RECONNECT, RENEW
)
# A name counts as a trial's when "trial" / "study" follows within a few words, or a phase
# precedes it ("Phase 3 NEWTON 2 study", "ReSPECT-GBM Phase 2b dose expansion clinical trial").
TRIAL_NAME_CANDIDATE = re.compile(_NAME + r"\b")
_TRIAL_AFTER = re.compile(
    r"\)?(?:\s+\([^)]{0,120}\))?(?:\s+[\w/-]+){0,6}?\s+(?:[Tt]rials?|[Ss]tud(?:y|ies)|[Pp]rogram)\b"
)
_PHASE_BEFORE = re.compile(r"\b[Pp]hase\s[\w/]+\s+$")


def phase_label(match: re.Match[str]) -> str:
    def one(numeral: str, suffix: str | None) -> str:
        return _ROMAN.get(numeral.upper(), numeral) + (suffix or "").lower()

    label = one(match.group("a"), match.group("as"))
    if match.group("b"):
        label += "/" + one(match.group("b"), match.group("bs"))
    return label


def find_phases(text: str) -> list[PhaseMention]:
    if "hase" not in text:
        return []
    return [PhaseMention(phase_label(m), m.start(), m.end()) for m in PHASE.finditer(text)]


def find_cohorts(text: str, doses: list[DoseMention]) -> list[CohortMention]:
    """Cohorts named in ``text``; ``doses`` are the doses already found in it."""
    found: list[CohortMention] = []
    lower = text.lower()
    if "cohort" not in lower and "group" not in lower and "level" not in lower:
        return found
    for match in COHORT_NUMBERED.finditer(text):
        first = int(match.group("n"))
        last = int(match.group("m")) if match.group("m") else first
        if (
            match.group("m")
            and "-" not in match.group(0)
            and "to" not in match.group(0)
            and "through" not in match.group(0)
        ):
            numbers: tuple[int, ...] = (first, last)
        else:
            numbers = tuple(range(first, last + 1)) if 0 < last - first < 12 else (first,)
        found.append(CohortMention(numbers, None, match.start(), match.end()))
    ordinals = contains_any(lower, _ORDINAL_WORDS)
    for match in COHORT_ORDINAL.finditer(lower) if ordinals else ():
        found.append(
            CohortMention(
                (_ORDINAL_WORDS[match.group("ord").lower()],), None, match.start(), match.end()
            )
        )
    for match in COHORT_FIRST_N.finditer(text) if "first" in lower else ():
        count = match.group("count").lower()
        n = _COUNT_WORDS.get(count) or int(count)
        found.append(CohortMention(tuple(range(1, n + 1)), None, match.start(), match.end()))
    for match in COHORT_PARENTHESISED.finditer(text) if "(" in text else ():
        if not any(c.start <= match.start() < c.end for c in found):
            found.append(
                CohortMention(
                    (_ORDINAL_WORDS[match.group("ord").lower()],), None, match.start(), match.end()
                )
            )
    for dose in doses:
        after = _DOSE_COHORT_AFTER.match(text, dose.end)
        if after:
            numbered = next((c for c in found if dose.end <= c.start <= after.end() + 2), None)
            if numbered is not None:
                found.remove(numbered)
                found.append(CohortMention(numbered.numbers, dose.dose, dose.start, numbered.end))
            else:
                found.append(CohortMention((), dose.dose, dose.start, after.end()))
    found.sort(key=lambda c: c.start)
    unique: list[CohortMention] = []
    for cohort in found:
        if unique and cohort.start < unique[-1].end:
            continue
        unique.append(cohort)
    return unique


def find_trial_names(text: str) -> list[str]:
    """Names of trials ("TRILOGY 1", "RECONNECT", "ABILITY-1") in ``text``."""
    names: list[str] = []
    lower = text.lower()
    if not contains_any(lower, ("trial", "stud", "program", "phase")):
        return names
    for match in TRIAL_NAME_CANDIDATE.finditer(text):
        named = _TRIAL_AFTER.match(text, match.end()) or _PHASE_BEFORE.search(
            text, max(0, match.start() - 20), match.start()
        )
        if named:
            names.append(re.sub(r"\s+", " ", match.group(0)).upper())
    return names
