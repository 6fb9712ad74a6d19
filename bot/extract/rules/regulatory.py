"""Regulators: designations granted, trials cleared to start, clinical holds placed and
lifted, marketing applications submitted / accepted / approved / rejected."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.events.trial import (
    ClinicalHold,
    FilingAction,
    HoldAction,
    RegulatoryDesignation,
    RegulatoryFiling,
    TrialCleared,
)
from bot.extract.context import Document, View
from bot.extract.rules import Finding
from bot.extract.rules.vocabulary import before, is_history, lower_pattern, make, phased, phrases
from bot.extract.text import gate

# -- designations ------------------------------------------------------------------
DESIGNATIONS: tuple[tuple[str, str], ...] = (
    ("orphan drug", r"orphan(?:[\s-]+drug)?"),
    ("fast track", r"fast[\s-]+track"),
    ("breakthrough therapy", r"breakthrough(?:[\s-]+therapy)?"),
    ("rare pediatric disease", r"rare\s+pediatric\s+disease"),
    ("RMAT", r"regenerative\s+medicine\s+advanced\s+therapy|RMAT"),
    ("PRIME", r"PRIME|priority\s+medicines"),
    ("priority review", r"priority\s+review"),
    ("QIDP", r"qualified\s+infectious\s+disease\s+product|QIDP"),
    ("accelerated approval", r"accelerated\s+approval"),
)
DESIGNATION = lower_pattern(
    r"\b(?P<name>"
    + "|".join(f"(?:{p})" for _, p in DESIGNATIONS)
    + r")\b[\"']?\s*(?:\([A-Z]+\)\s*)?"
    r"(?P<noun>designations?|status)?"
)
GRANTED = phrases(
    r"grant(?:s|ed)?",
    r"receiv(?:e|es|ed)",
    r"award(?:s|ed)?",
    r"obtain(?:s|ed)?",
    r"secur(?:e|es|ed)",
    r"announce[sd]?",
)
NOT_GRANTED = phrases(
    r"request\w*",
    r"appl(?:y|ied|ication)\s+for",
    r"submit\w*",
    r"seek\w*",
    r"plan\w*",
    r"eligib\w*",
    r"potential",
    r"intend\w*",
    r"briefing",
    r"SBIR",
    r"contract",
    r"pathway",
    r"(?:which|that)\s+(?:has\s+)?received",
    r"previously",
    r"expect\w*",
    r"may",
    r"if",
)
# Words that make a designation in the body news rather than a restated fact.
NEWS = phrases(
    r"today",
    r"announce[sd]?",
    r"announcing",
    r"recently",
    r"(?:this|last)\s+(?:week|month)",
    r"yesterday",
)
AGENCY = re.compile(
    r"\b(FDA|Food\s+(?:&|and)\s+Drug\s+Administration|EMA|European\s+Medicines\s+Agency|European\s+Commission|"
    r"MHRA|PMDA|Health\s+Canada|TGA|NMPA|Swissmedic|Ethics\s+Committee(?:\s+of\s+(?:the\s+)?[A-Z][\w]*(?:\s+[A-Z][\w]*)*)?|"
    r"(?:institutional\s+review\s+board|IRB)|HREC)\b",
    re.I,
)

# -- trials cleared to start ----------------------------------------------------------
CLEARED = phrases(
    r"(?:has\s+)?cleared\s+(?:the\s+|its\s+|our\s+)?(?:[\w()-]+\s+){0,3}?(?:IND|investigational\s+new\s+drug|CTA|clinical\s+trial\s+application)",
    r"clearance\s+(?:of\s+(?:the\s+|its\s+|an\s+)?(?:IND|investigational\s+new\s+drug)|from\s+(?:[\w.]+\s+){0,6}?to\s+proceed|to\s+proceed)",
    r"(?:IND|CTA|application)\s+(?:[\w()-]+\s+){0,4}?(?:has\s+been|was|is\s+now)\s+(?:cleared|accepted|approved|allowed)",
    r"(?:may|can)\s+(?:now\s+)?(?:proceed\s+with|initiate|begin|commence|start)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?(?:trial|study)",
    r"(?:authori[sz]ation|approval|permission|green\s+light)\s+(?:[\w.,()'-]+\s+){0,30}?to\s+(?:proceed|initiate|begin|start|commence|conduct)\b",
    r"(?:study|trial)\s+(?:of\s+[\w-]+\s+)?(?:may|can)\s+proceed",
    r"(?:deemed|found)\s+safe\s+to\s+proceed",
    r"(?:approved|approves|authori[sz]ed)\s+(?:the\s+|its\s+|our\s+)?(?:clinical\s+trial\s+application|CTA|IND)",
    r"acceptance\s+of\s+(?:our|the|its)\s+IND",
    r"IND\s+clearance",
)
NOT_CLEARED = phrases(
    r"await\w*",
    r"pending",
    r"subject\s+to",
    r"in\s+anticipation",
    r"anticipat\w*",
    r"expect\w*",
    r"seek\w*",
    r"request\w*",
    r"plan\w*",
    r"will",
    r"would",
    r"if",
    r"once",
    r"upon",
    r"submit\w*",
    r"intend\w*",
)
CLEARED_OBJECT_NOT_TRIAL = phrases(
    r"to\s+ship", r"to\s+import", r"to\s+export", r"sites?", r"shipments?", r"supply"
)

# -- clinical holds ------------------------------------------------------------------
_HOLD = r"(?:a\s+|the\s+|its\s+)?(?:partial\s+|full\s+|complete\s+)?clinical\s+hold"
HOLD: tuple[tuple[HoldAction, re.Pattern[str]], ...] = (
    (
        "lifted",
        phrases(
            r"(?:removed|lifted|released|rescinded|resolved)\s+" + _HOLD,
            r"(?:partial\s+|full\s+)?clinical\s+hold\s+(?:has\s+been|was|is)\s+(?:now\s+)?(?:lifted|removed|released|rescinded)",
            r"(?:lifting|removal|release)\s+of\s+" + _HOLD,
        ),
    ),
    (
        "placed",
        phrases(
            r"(?:placed|imposed|issued|issuing|put)\s+" + _HOLD,
            r"(?:placed|put)\s+(?:[\w-]+\s+){0,6}?on\s+" + _HOLD,
            r"(?:partial\s+|full\s+)?clinical\s+hold\s+(?:has\s+been|was|is)\s+(?:placed|imposed|issued)",
            r"(?:is|are|remains?|was|were)\s+(?:currently\s+)?on\s+" + _HOLD,
            r"(?:can|could|will|would)\s+be\s+(?:taken\s+off|removed\s+from|released\s+from)\s+"
            + _HOLD,
        ),
    ),
)
NOT_HOLD = phrases(
    r"if", r"risks?", r"may\s+(?:place|impose)", r"could\s+(?:place|impose)", r"no\s+assurance"
)

# -- marketing applications -------------------------------------------------------------
FILINGS: tuple[tuple[str, str], ...] = (
    ("sNDA", r"supplemental\s+new\s+drug\s+application|sNDA"),
    ("sBLA", r"supplemental\s+biologics?\s+licen[sc]e\s+application|sBLA"),
    ("ANDA", r"abbreviated\s+new\s+drug\s+application|ANDA"),
    ("NDA", r"(?<!investigational\s)new\s+drug\s+application|NDA"),
    ("BLA", r"biologics?\s+licen[sc]e\s+application|BLA"),
    ("MAA", r"marketing\s+authori[sz]ation\s+application|MAA"),
    ("NDS", r"new\s+drug\s+submission|NDS"),
)
_FILING = r"(?:" + "|".join(f"(?:{p})" for _, p in FILINGS) + r")"
_FILING_NAME = re.compile(r"\b" + "|".join(f"(?P<{code}>{p})" for code, p in FILINGS) + r"\b", re.I)
FILING_ACTIONS: tuple[tuple[FilingAction, re.Pattern[str]], ...] = (
    (
        "accepted",
        phrases(
            r"(?:accept(?:ed|s|ance)|validat(?:ed|es|ion))\s+(?:for\s+(?:review|filing)\s+)?"
            r"(?:of\s+)?(?:[\w'’-]+\s+){0,6}?" + _FILING,
            _FILING
            + r"\s+(?:[\w()'-]+\s+){0,6}?(?:was|has\s+been|had\s+been)\s+(?:accepted|validated)",
        ),
    ),
    (
        "approved",
        phrases(
            r"(?:approved|approves)\s+(?:the\s+|its\s+|our\s+)?(?:[\w'-]+\s+){0,3}?" + _FILING,
            _FILING + r"\s+(?:[\w()'-]+\s+){0,6}?(?:was|has\s+been)\s+approved",
        ),
    ),
    (
        "rejected",
        phrases(
            r"(?:issued|received|receives|sent)\s+(?:a|the)\s+complete\s+response\s+letter",
            r"refus(?:ed|al)\s+to\s+file",
        ),
    ),
    (
        "submitted",
        phrases(
            r"(?:submitted|submits|filed|files)\s+(?:a|an|its|the|our)?\s*(?:[\w-]+\s+){0,3}?"
            + _FILING,
            _FILING + r"\s+(?:[\w()'-]+\s+){0,4}?(?:was|has\s+been)\s+submitted",
            r"(?:completed\s+(?:the\s+)?|the\s+)submission\s+of\s+(?:a|an|its|the|our)\s+(?:[\w-]+\s+){0,2}?"
            + _FILING,
        ),
    ),
)
# The words each action's pattern cannot match without.
FILING_ACTION_WORDS: dict[FilingAction, frozenset[str]] = {
    "accepted": gate("accept", "validat"),
    "approved": gate(
        "approve",
    ),
    "rejected": gate("complete", "refus"),
    "submitted": gate("submit", "file", "submission"),
}
NOT_FILED = phrases(
    r"delay\w*",
    r"plan\w*",
    r"expect\w*",
    r"anticipat\w*",
    r"will",
    r"intend\w*",
    r"on\s+track",
    r"to\s+support",
    r"potential",
    r"if",
    r"would",
    r"could",
    r"may",
    r"prepar\w*",
    r"in\s+order\s+to",
)


def _authority(view: View) -> str | None:
    match = AGENCY.search(view.text)
    if match is None:
        return None
    name = re.sub(r"\s+", " ", match.group(1))
    return "FDA" if name.lower().startswith("food") else name


def _designations(doc: Document, view: View) -> Iterator[Finding]:
    for match in DESIGNATION.finditer(view.lower):
        name = match.group("name").lower()
        canonical = next(c for c, p in DESIGNATIONS if re.fullmatch(p, name, re.I))
        if match.group("noun") is None and canonical not in (
            "priority review",
            "breakthrough therapy",
            "accelerated approval",
        ):
            continue
        clause = view.lower[max(0, match.start() - 120) : match.end() + 60]
        if not GRANTED.search(clause) or NOT_GRANTED.search(
            view.lower[max(0, match.start() - 80) : match.end() + 20]
        ):
            continue
        if view.section not in ("title", "headline", "lead") and not NEWS.search(view.lower):
            continue  # a designation restated from the past
        if is_history(doc, view, match.start()):
            continue
        after_drug = [m for m in view.drugs if 0 <= m.start - match.end() < 30]
        key = after_drug[0].key if after_drug else doc.drug_near(view, match.start())
        yield Finding(
            make(
                RegulatoryDesignation,
                doc,
                view,
                drug=doc.name(view, key),
                designation=canonical,
                agency=_authority(view),
            ),
            view,
        )


def _cleared(doc: Document, view: View) -> Iterator[Finding]:
    match = CLEARED.search(view.lower)
    if match is None:
        return
    if NOT_CLEARED.search(before(view, match.start(), 40)) or CLEARED_OBJECT_NOT_TRIAL.search(
        view.lower, match.start(), match.end() + 40
    ):
        return
    if is_history(doc, view, match.start()):
        return
    drug = doc.drug_near(view, match.start())
    yield phased(TrialCleared, doc, view, drug, match.end(), authority=_authority(view))


def _holds(doc: Document, view: View) -> Iterator[Finding]:
    if "clinical" not in view.lower:  # every HOLD pattern names a clinical hold
        return
    for action, pattern in HOLD:
        match = pattern.search(view.lower)
        if (
            match is None
            or NOT_HOLD.search(before(view, match.start(), 40))
            or is_history(doc, view, match.start())
        ):
            continue
        drug = doc.drug_near(view, match.end())
        partial = "partial" in match.group(0).lower()
        yield Finding(
            make(
                ClinicalHold,
                doc,
                view,
                drug=doc.name(view, drug),
                action=action,
                authority=_authority(view),
                partial=partial,
            ),
            view,
        )
        return


def _filings(doc: Document, view: View) -> Iterator[Finding]:
    for action, pattern in FILING_ACTIONS:
        if not view.has_any(FILING_ACTION_WORDS[action]):
            continue
        match = pattern.search(view.lower)
        if match is None:
            continue
        if NOT_FILED.search(before(view, match.start(), 40)) or is_history(
            doc, view, match.start()
        ):
            continue
        named = _FILING_NAME.search(view.text[match.start() : match.end()])
        filing = named.lastgroup if named else None
        drug = doc.drug_near(view, match.end())
        yield Finding(
            make(
                RegulatoryFiling, doc, view, drug=doc.name(view, drug), filing=filing, action=action
            ),
            view,
        )
        return


# Words without which a rule cannot match: most sentences skip most rules.
DESIGNATION_WORDS = gate(
    "designat",
    "status",
    "priority review",
    "breakthrough",
    "accelerated approval",
)
CLEARED_WORDS = gate(
    "clear",
    "proceed",
    "authori",
    "approv",
    "permission",
    "green light",
    "may initiate",
    "can initiate",
    "may begin",
    "can begin",
    "may commence",
    "may start",
    "acceptance of",
)
HOLD_WORDS = gate(
    "hold",
)
FILING_WORDS = gate(
    "applicat", "bla", "nda", "maa", "submission", "complete response", "refus", "nds"
)
# Every word tuple find() gives View.has_any (scanned for at once: text.WordScan).
GATES = (
    DESIGNATION_WORDS,
    CLEARED_WORDS,
    HOLD_WORDS,
    FILING_WORDS,
    *FILING_ACTION_WORDS.values(),
)


def find(doc: Document, view: View) -> Iterator[Finding]:
    if view.has_any(DESIGNATION_WORDS):
        yield from _designations(doc, view)
    if view.has_any(CLEARED_WORDS):
        yield from _cleared(doc, view)
    if view.has_any(HOLD_WORDS):
        yield from _holds(doc, view)
    if view.has_any(FILING_WORDS):
        yield from _filings(doc, view)
