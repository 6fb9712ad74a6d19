"""The shared vocabulary of the rules: how releases say "will", "did", "previously",
"if", and what is not trial news (cash, revenue, manufacturing …)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from bot.events.trial import Dose, TrialEvent
from bot.extract.context import Document, Phase, View
from bot.extract.model import EXTRACTOR_VERSION, CohortMention
from bot.extract.rules import Finding
from bot.extract.text import contains_any, gate, lower_case, lowered

E = TypeVar("E", bound=TrialEvent)


def phrases(*alternatives: str) -> re.Pattern[str]:
    """One pattern for any of the phrases (each may use regex syntax), to be matched
    against a sentence's lower-case form (``View.lower``): case-sensitive matching on
    lower-cased text is several times faster than IGNORECASE."""
    return re.compile(r"\b(?:" + lowered("|".join(alternatives)) + r")\b")


def lower_pattern(source: str) -> re.Pattern[str]:
    """Like ``phrases`` for a single pattern with no word boundaries added."""
    return re.compile(lowered(source))


# Expectation: the sentence speaks of what is to come.
FUTURE = phrases(
    r"expect\w*",
    r"anticipat\w*",
    r"plan(?:s|ned)?",
    r"intend\w*",
    r"will",
    r"shall",
    r"on\s+track",
    r"scheduled",
    r"projected",
    r"look(?:s|ing)?\s+forward",
    r"target(?:s|ed|ing)?",
    r"aim(?:s|ed|ing)?\s+to",
    r"poised",
    r"set\s+to",
    r"upcoming",
    r"estimated",
    r"guidance",
    r"forecast\w*",
    r"(?:is|are)\s+to\s+(?:begin|start|be)",
    r"until",
    r"opens\s+the\s+way",
    r"to\s+(?:begin|start|initiate|commence|report|submit|complete|dose|enrol?l|file|present)",
    r"goal\s+date",
    r"PDUFA",
    r"as\s+early\s+as",
    r"could",
)
# The sentence frames what follows as still to come.
FUTURE_FRAME = phrases(
    r"expect\w*", r"anticipat\w*", r"will", r"plan(?:s|ned)?\s+to", r"intend\w*", r"on\s+track"
)
# Conditions and possibilities: nothing has happened.
HYPOTHETICAL = phrases(
    r"if",
    r"would",
    r"could",
    r"may",
    r"might",
    r"subject\s+to",
    r"once",
    r"upon",
    r"whether",
    r"in\s+anticipation",
    r"potential(?:ly)?",
    r"risks?",
    r"intend\w*\s+to",
    r"plan(?:s|ned)?\s+to",
    r"designed\s+to",
    r"objectives?",
    r"seek\w*",
    r"await\w*",
    r"pending",
    r"prior\s+to",
    r"before",
    r"expect\w*\s+to",
    r"anticipat\w*\s+(?:to|that)",
    r"preparing\s+to",
    r"ready\s+to",
    r"to\s+be",
    r"will",
    r"until",
)
# Restated news.
HISTORY = phrases(
    r"as\s+(?:previously\s+)?(?:announced|reported|disclosed)",
    r"previously\s+(?:announced|reported|disclosed)",
    r"had\s+(?:previously\s+)?(?:announced|reported|disclosed)",
    r"earlier\s+this\s+year",
    r"last\s+year",
)
HISTORY_WORDS = gate("announced", "reported", "disclosed", "earlier this year", "last year")
NEGATION = phrases(r"not", r"no", r"never", r"yet\s+to", r"neither", r"nor", r"without")
# Sentences about money, deals, products and places, not about trials.
NOT_TRIAL = phrases(
    r"cash",
    r"runway",
    r"revenues?",
    r"EBITDA",
    r"earnings",
    r"financial",
    r"net\s+(?:income|loss)",
    r"profit\w*",
    r"dividend\w*",
    r"offering",
    r"private\s+placement",
    r"proceeds",
    r"financing",
    r"transaction",
    r"merger",
    r"acquisition",
    r"close\s+on\s+or\s+about",
    r"launch\w*",
    r"commerciali[sz]\w*",
    r"(?:pre-)?commercial",
    r"manufactur\w*",
    r"GMP",
    r"batch\w*",
    r"ship\w*",
    r"supply",
    r"supplies",
    r"candidate\s+selection",
    r"select\w*\s+(?:a\s+)?(?:development\s+)?candidates?",
    r"pre-?clinical\w*",
    r"IND-enabling",
    r"conference\s+call",
    r"webcast",
    r"patent\w*",
    r"exclusivity",
    r"investor\s+day",
    r"sites?\s+to\s+(?:begin|open|start)",
    r"site\s+activation",
    r"(?:open|activat)\w*\s+(?:\w+\s+){0,3}sites?",
)


# Words without which NOT_TRIAL cannot match: most windows skip the pattern.
NOT_TRIAL_WORDS = (
    "cash",
    "runway",
    "revenue",
    "ebitda",
    "earning",
    "financ",
    "net income",
    "net loss",
    "profit",
    "dividend",
    "offering",
    "placement",
    "proceeds",
    "transaction",
    "merger",
    "acquisition",
    "close on",
    "launch",
    "commercial",
    "manufactur",
    "gmp",
    "batch",
    "ship",
    "suppl",
    "candidate",
    "select",
    "preclinical",
    "pre-clinical",
    "ind-enabling",
    "conference call",
    "webcast",
    "patent",
    "exclusivity",
    "investor day",
    "site",
)


def not_trial(text: str) -> bool:
    """Whether ``text`` is about money, deals, products or places (NOT_TRIAL)."""
    lower = lower_case(text)
    return contains_any(lower, NOT_TRIAL_WORDS) and bool(NOT_TRIAL.search(lower))


def before(view: View, position: int, chars: int = 60) -> str:
    """The lower-case text just before ``position``, for ``phrases`` patterns."""
    return view.lower[max(0, position - chars) : position]


def is_history(doc: Document, view: View, position: int) -> bool:
    """The trigger restates old news: "as announced on …", or a date months back."""
    if view.has_any(HISTORY_WORDS) and HISTORY.search(view.lower):
        return True
    published = doc.release.published
    if published is None:
        return False
    cutoff = published - timedelta(days=150)
    for mention in view.periods:
        if not mention.past or mention.start >= position + 80:
            continue
        end = mention.period.window()[1]
        # "In 2021, the company completed …" in a 2022 release; or months back.
        if end < cutoff or (len(mention.period.label) == 4 and end.year < published.year):
            return True
    return False


def phased(
    cls: Callable[..., TrialEvent],
    doc: Document,
    view: View,
    drug: str | None,
    phase_at: int,
    *,
    phase: Phase | None = None,
    **fields: object,
) -> Finding:
    """A Finding for an event with a phase: the drug (a key) named as the sentence writes
    it, the phase read near ``phase_at`` unless given."""
    phase = phase or doc.phase_near(view, phase_at, drug)
    event = make(cls, doc, view, drug=doc.name(view, drug), phase=phase.label, **fields)
    return Finding(event, view, phase.explicit)


def cohort_facts(
    doc: Document, drug: str | None, cohort: CohortMention
) -> tuple[int | None, Dose | None]:
    """A cohort's number (the last one named: "the first four cohorts" → 4) and its dose."""
    number = cohort.numbers[-1] if cohort.numbers else None
    dose = cohort.dose or (doc.cohort_dose(drug, number) if number is not None else None)
    return number, dose


def make(cls: Callable[..., E], doc: Document, view: View, **fields: object) -> E:
    """An event of ``cls`` with the company, evidence and extractor version filled in."""
    return cls(
        company=doc.release.company or None,
        evidence=view.evidence(),
        extractor_version=EXTRACTOR_VERSION,
        **fields,
    )
