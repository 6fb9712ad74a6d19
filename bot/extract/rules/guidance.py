"""Guidance: what the company expects and when (GuidanceIssued) and what it says has
moved (GuidanceMoved: "brought forward", "postponed", "rather than" … are in the
MOVED_* tables below). Milestones reached against guidance are in ``achieved``.

Guidance is a dated expectation about a trial milestone. Each period in a sentence
is read with the words between it and the period before it: "to begin in 1Q19,
interim six-month data expected in 4Q19" is two pieces of guidance. A period the
release marks as old ("rather than the second half of 2023", "previously … Q4",
"guidance, which called for …") is the previous guidance, not new guidance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.events.trial import (
    Direction,
    GuidanceIssued,
    GuidanceMoved,
    Period,
)
from bot.extract.context import Document, View
from bot.extract.model import PeriodMention
from bot.extract.periods import direction as move_direction
from bot.extract.rules import Finding
from bot.extract.rules.vocabulary import FUTURE, FUTURE_FRAME, make, not_trial, phrases
from bot.extract.text import contains_any, gate

# -- milestones: (label, how releases name it), first match nearest the period wins --
MILESTONES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("PDUFA decision", phrases(r"PDUFA", r"(?:goal|action)\s+date")),
    (
        "approval decision",
        phrases(r"(?:approval|regulatory|FDA|EMA)\s+decision", r"marketing\s+approval"),
    ),
    (
        "submission",
        phrases(
            r"BLA",
            r"NDA",
            r"MAA",
            r"sNDA",
            r"sBLA",
            r"IND",
            r"CTA",
            r"(?:biologics?\s+licen[sc]e|new\s+drug|marketing(?:\s+authori[sz]ation)?|investigational\s+new\s+drug)\s+application",
            r"(?:regulatory|marketing)\s+(?:submission|filing|application)",
        ),
    ),
    (
        "first patient dosed",
        phrases(
            r"first\s+(?:patient|subject|participant)s?(?!\s+visit)",
            r"(?:human\s+|patient\s+)?dosing",
            r"dose\s+(?:the\s+)?first",
        ),
    ),
    ("enrollment", phrases(r"enrol?l\w*", r"recruit\w*", r"last\s+patient")),
    (
        "initiation",
        phrases(
            r"initiat\w*",
            r"start\w*",
            r"begin\w*",
            r"began",
            r"commenc\w*",
            r"first\s+patient\s+visit",
        ),
    ),
    (
        "data",
        phrases(
            r"data",
            r"results?",
            r"read-?outs?",
            r"read\s+out",
            r"top[\s-]?line",
            r"analys[ie]s",
            r"assessment",
            r"(?:clinical|data|trial|study|program)\s+updates?",
            r"findings",
            r"endpoints?",
        ),
    ),
    (
        "dose selection",
        phrases(
            r"recommended\s+phase\s+(?:2|ii)\s+dose", r"rp2d", r"maximum\s+tolerated\s+dose", r"mtd"
        ),
    ),
    ("completion", phrases(r"complet\w+")),
)
# The words each milestone's pattern cannot match without.
MILESTONE_WORDS: dict[str, tuple[str, ...]] = {
    "PDUFA decision": ("pdufa", "date"),
    "approval decision": ("decision", "approval"),
    "submission": ("bla", "nda", "maa", "ind", "cta", "application", "submission", "filing"),
    "first patient dosed": ("first", "dosing"),
    "enrollment": ("enrol", "recruit", "last"),
    "initiation": ("initiat", "start", "begin", "began", "commenc", "first"),
    "data": (
        "data",
        "result",
        "read",
        "top",
        "analys",
        "assessment",
        "update",
        "findings",
        "endpoint",
    ),
    "dose selection": ("recommended", "rp2d", "maximum", "mtd"),
    "completion": ("complet",),
}
# Initiation and completion are trial milestones only when a trial is in view.
TRIAL_CONTEXT = re.compile(
    r"\b(?:trials?|stud(?:y|ies)|phase|cohorts?|dosing|dose|patients?|portion|program|arm|part)\b"
)
# Words that mark a period as the old guidance.
OLD_PERIOD = re.compile(
    r"\b(?:rather\s+than|instead\s+of|previously|originally|formerly|had\s+(?:previously\s+)?"
    r"(?:disclosed|guided|expected|anticipated|planned|announced)|called\s+for|prior\s+guidance|"
    r"(?:moved|shifted|changed|postponed|delayed)\s+from)\b[^;]{0,90}$"
)
ASPIRATION = phrases(r"striv\w+", r"hop(?:e|es|ing)\s+to")
REAFFIRMED = phrases(
    r"remains?\s+on\s+track",
    r"on\s+track",
    r"reaffirm\w*",
    r"reiterat\w*",
    r"still\s+expect\w*",
    r"continues?\s+to\s+expect",
    r"as\s+planned",
)
# Past tense right before the period: "was completed in July".
DONE_BEFORE_PERIOD = re.compile(
    r"\b(?:was|were|has\s+been|have\s+been|had\s+been)\s+\w+ed\s+(?:in|during|on|by)\s+(?:the\s+)?$"
)

# -- moves: where "brought forward", "postponed" … are read ----------------------------
MOVED_EARLIER = phrases(
    r"brought\s+forward",
    r"pulled\s+(?:forward|in)",
    r"moved\s+up",
    r"accelerat\w+\s+(?:the\s+)?(?:timeline|timing|guidance|start|initiation)",
    r"earlier\s+than\s+(?:previously\s+)?(?:expected|anticipated|planned|guided|announced|projected)",
)
MOVED_LATER = phrases(
    r"postpon\w+",
    r"delay\w*",
    r"push(?:ed|es|ing)?\s+(?:back|out)",
    r"defer\w*",
    r"slipp?\w*",
    r"later\s+than\s+(?:previously\s+)?(?:expected|anticipated|planned|guided|announced|projected)",
    r"revis(?:e|es|ed|ing)\s+(?:its|our|the)\s+(?:target|timeline|guidance|expectations?)",
    r"behind\s+schedule",
)
# A change with no direction stated: the direction comes from the old and new periods.
MOVED_SOMEHOW = phrases(
    r"now\s+(?:expects?|anticipates?|plans?|expected|anticipated|planned|projected|targets?)",
    r"rather\s+than",
    r"instead\s+of",
    r"(?:updated|revised|new)\s+(?:guidance|timeline|target)",
)
# "which had delayed the start of the trial": the milestone happened, late.
PAST_DELAY = phrases(r"had\s+(?:been\s+)?delayed")


def _milestone(text: str, start: int, end: int, prefer_end: bool) -> tuple[str, int] | None:
    """The milestone named in text[start:end] nearest its end (or start), with where."""
    best: tuple[int, str, int] | None = None
    window = text[start:end]
    for label, pattern in MILESTONES:
        if not contains_any(window, MILESTONE_WORDS[label]):
            continue
        for match in pattern.finditer(text, start, end):
            if label in (
                "initiation",
                "completion",
                "first patient dosed",
            ) and not TRIAL_CONTEXT.search(text):
                continue
            distance = end - match.end() if prefer_end else match.start() - start
            if best is None or distance < best[0]:
                best = (distance, label, match.start())
    return (best[1], best[2]) if best else None


def _describe(view: View, label: str, window: tuple[int, int]) -> str:
    """A readable milestone: "Phase 2 initiation", "TRILOGY 2 topline data", "BLA submission"."""
    text = view.text[window[0] : window[1]]
    parts = []
    trial = next((t for t in view.trials if t.lower() in text.lower()), None)
    if trial:
        parts.append(trial)
    phase = re.search(r"\bPhase\s+\S+", text, re.I)
    if phase and not trial:
        parts.append(phase.group(0).rstrip(",.;"))
    if label == "submission":
        filing = re.search(r"\b(BLA|NDA|MAA|sNDA|sBLA|IND|CTA)\b", text)
        parts.append(f"{filing.group(1)} submission" if filing else "regulatory submission")
    elif label == "data":
        kind = re.search(
            r"\b(top[\s-]?line|interim|final|initial|preliminary|confirmatory)\b", text, re.I
        )
        parts.append(f"{kind.group(1).lower()} data" if kind else "data")
    else:
        parts.append(label)
    return " ".join(parts)


def _windows(view: View) -> list[tuple[PeriodMention, int, int]]:
    """Each period with the stretch of text that belongs to it (since the previous one)."""
    out: list[tuple[PeriodMention, int, int]] = []
    left = 0
    for mention in view.periods:
        if out and out[-1][0].start == mention.start:  # "H1 and H2 2024": one stretch, two periods
            out.append((mention, out[-1][1], out[-1][2]))
            continue
        boundary = max(
            view.text.rfind(";", 0, mention.start), view.text.rfind(" - ", 0, mention.start)
        )
        out.append((mention, max(left, boundary + 1, mention.start - 220), mention.start))
        left = mention.end
    return out


def _is_old(view: View, mention: PeriodMention) -> bool:
    return bool(OLD_PERIOD.search(view.lower[max(0, mention.start - 120) : mention.start]))


def _drug(doc: Document, view: View, mention: PeriodMention) -> list[str | None]:
    index = view.periods.index(mention)
    low = view.periods[index - 1].end if index > 0 else 0
    high = view.periods[index + 1].start if index + 1 < len(view.periods) else len(view.text)
    both = doc.drugs_for_both(view)
    if both:
        return list(both)
    return [doc.drug_near(view, mention.start, window=(low, high))]


def _guidance_periods(
    doc: Document, view: View
) -> Iterator[tuple[PeriodMention, str, tuple[int, int]]]:
    """The (period, milestone, window) pieces of guidance in a sentence."""
    for mention, start, end in _windows(view):
        if mention.past or _is_old(view, mention):
            continue
        if DONE_BEFORE_PERIOD.search(view.lower[max(0, mention.start - 60) : mention.start]):
            continue
        found = _milestone(view.lower, start, end, prefer_end=True)
        if found is not None:
            # What the milestone is about: from a little before it to the period.
            about = view.lower[max(start, found[1] - 40) : mention.end]
            if not_trial(about) or ASPIRATION.search(about):
                continue
        else:
            # "In the second half of 2024, we expect to …": a period opening its clause.
            if mention.start - view.clause(mention.start)[0] > 25:
                continue
            right = min(len(view.text), mention.end + 100)
            nxt = next((p.start for p in view.periods if p.start >= mention.end), right)
            found = _milestone(view.lower, mention.end, min(right, nxt), prefer_end=False)
            if found is None or not_trial(view.lower[mention.end : min(right, nxt)]):
                continue
        if not (FUTURE.search(view.lower, 0, mention.end + 60)):
            continue
        yield mention, found[0], (start, mention.end)


Piece = tuple[PeriodMention, str, tuple[int, int]]


def _moves(doc: Document, view: View, pieces: list[Piece]) -> tuple[list[Finding], set[int]]:
    """GuidanceMoved events of a sentence, and the positions of the periods they used."""
    text = view.lower
    if PAST_DELAY.search(text):
        return [], set()
    stated: Direction | None = None
    if MOVED_EARLIER.search(text):
        stated = "earlier"
    elif MOVED_LATER.search(text):
        stated = "later"
    if stated is None and not MOVED_SOMEHOW.search(text):
        return [], set()
    old = [m for m in view.periods if _is_old(view, m)]
    previous = old[0].period if old else None
    findings: list[Finding] = []
    used: set[int] = set()
    for mention, label, window in pieces:
        moved: Direction | None = stated
        if previous is not None:
            computed = move_direction(previous, mention.period)
            if computed is None:
                continue  # the same window or a narrowing: not a move
            moved = moved or ("later" if computed == "later" else "earlier")
        if moved is None:
            continue
        used.add(mention.start)
        for key in _drug(doc, view, mention):
            findings.append(
                Finding(
                    make(
                        GuidanceMoved,
                        doc,
                        view,
                        drug=doc.name(view, key),
                        milestone=_describe(view, label, window),
                        period=mention.period,
                        previous=previous,
                        direction=moved,
                    ),
                    view,
                )
            )
    if not findings and stated == "later" and FUTURE_FRAME.search(text) and not not_trial(text):
        found = _milestone(text, 0, len(text), prefer_end=False)
        if found is not None and found[0] != "completion":
            previous = previous or _previous_in_neighbours(doc, view)
            key = doc.drug_near(view, found[1])
            findings.append(
                Finding(
                    make(
                        GuidanceMoved,
                        doc,
                        view,
                        drug=doc.name(view, key),
                        milestone=_describe(view, found[0], (0, len(text))),
                        period=None,
                        previous=previous,
                        direction="later",
                    ),
                    view,
                )
            )
    return findings, used


def _previous_in_neighbours(doc: Document, view: View) -> Period | None:
    """ "Previously the Company had disclosed an expectation of IND filing in Q4 of this year."""
    for other in doc.views[max(0, view.position - 1) : view.position + 2]:
        for mention in other.periods:
            if _is_old(other, mention):
                return mention.period
    return None


def _issued(doc: Document, view: View, pieces: list[Piece], used: set[int]) -> Iterator[Finding]:
    reaffirmed = bool(REAFFIRMED.search(view.lower))
    for mention, label, window in pieces:
        if mention.start in used:
            continue
        for key in _drug(doc, view, mention):
            yield Finding(
                make(
                    GuidanceIssued,
                    doc,
                    view,
                    drug=doc.name(view, key),
                    milestone=_describe(view, label, window),
                    period=mention.period,
                    reaffirmed=reaffirmed,
                ),
                view,
                tag=label,
            )


MOVE_WORDS = gate("delay", "postpon", "defer", "push", "slip", "later than", "revis", "behind")
MOVE_SOMEHOW_WORDS = gate(
    "brought forward",
    "pulled",
    "moved up",
    "accelerat",
    "earlier than",
    "now ",
    "rather than",
    "instead of",
    "updated",
    "new guidance",
    "new timeline",
)
ANY_MOVE_WORDS = MOVE_WORDS | MOVE_SOMEHOW_WORDS
# Every word tuple find() gives View.has_any (scanned for at once: text.WordScan).
GATES = (MOVE_WORDS, ANY_MOVE_WORDS)


def find(doc: Document, view: View) -> Iterator[Finding]:
    used: set[int] = set()
    pieces = list(_guidance_periods(doc, view)) if view.periods else []
    if view.has_any(ANY_MOVE_WORDS if pieces else MOVE_WORDS):
        moved, used = _moves(doc, view, pieces)
        yield from moved
    if pieces:
        yield from _issued(doc, view, pieces, used)


def find_issued_only(doc: Document, view: View) -> Iterator[Finding]:
    """Guidance in "About" sections: a dated plan there is still the company's word."""
    if view.periods:
        yield from _issued(doc, view, list(_guidance_periods(doc, view)), set())
