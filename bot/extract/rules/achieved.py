"""Milestones reached against guidance (MilestoneAchieved): "well ahead of the company's
guidance, which called for …", "faster than projected", "on schedule", "which had
delayed the start of the trial". The guided period is the one the sentence gives
for the old guidance."""

from __future__ import annotations

from collections.abc import Iterator

from bot.events.trial import MilestoneAchieved, VersusGuidance
from bot.extract.context import Document, View
from bot.extract.rules import Finding
from bot.extract.rules.vocabulary import FUTURE, FUTURE_FRAME, make, phrases
from bot.extract.text import gate

AHEAD = phrases(
    r"(?:well\s+|significantly\s+|substantially\s+)?ahead\s+of\s+(?:the\s+company's\s+|our\s+|its\s+|the\s+)?(?:prior\s+|previous\s+|original\s+)?(?:guidance|schedule|plan|expectations?|projections?|timelines?)",
    r"earlier\s+than\s+(?:expected|planned|anticipated|projected|guided)",
    r"faster\s+than\s+(?:expected|planned|anticipated|projected)",
)
ON_TIME = phrases(
    r"on\s+schedule",
    r"on\s+time",
    r"as\s+(?:planned|scheduled|guided)",
    r"in\s+line\s+with\s+(?:our\s+|its\s+)?guidance",
)
LATE = phrases(
    r"behind\s+schedule",
    r"later\s+than\s+(?:expected|planned|anticipated|projected|guided)",
    r"had\s+(?:been\s+)?delayed",
    r"after\s+(?:a|some)\s+delays?",
)
ACHIEVED = phrases(
    r"initiation",
    r"initiated",
    r"complet(?:ed|ion)",
    r"started",
    r"start\s+of",
    r"beg(?:an|un)",
    r"dosed",
    r"enrol?led",
    r"reached",
    r"achiev\w*",
    r"deliver\w*",
    r"occur(?:s|red)",
    r"milestone",
    r"underway",
)

# Words without which a milestone reached against guidance cannot be read.
ACHIEVED_WORDS = gate(
    "ahead",
    "earlier than",
    "faster than",
    "on schedule",
    "on time",
    "as planned",
    "as scheduled",
    "as guided",
    "in line with",
    "behind schedule",
    "later than",
    "delay",
)
# Every word tuple find() gives View.has_any (scanned for at once: text.WordScan).
GATES = (ACHIEVED_WORDS,)


def _achieved(doc: Document, view: View) -> Iterator[Finding]:
    versus: VersusGuidance | None = None
    for pattern, value in ((AHEAD, "ahead"), (ON_TIME, "on_time"), (LATE, "late")):
        match = pattern.search(view.lower)
        if match:
            versus = value  # type: ignore[assignment]
            break
    if versus is None or match is None:
        return
    achieved = ACHIEVED.search(view.lower)
    if achieved is None:
        return
    if versus != "late" and FUTURE_FRAME.search(view.lower[: match.start()]):
        return
    # The guided period is the old guidance the sentence compares with ("…, which called
    # for … the end of the second quarter"), not a new expectation after it.
    guided = next(
        (
            m.period
            for m in view.periods
            if m.start > match.start() and not FUTURE.search(view.lower, match.end(), m.start)
        ),
        None,
    )
    drug = doc.drug_near(view, achieved.start())
    cohort = next((c for c in view.cohorts if c.numbers), None)
    subject = f"Cohort {cohort.numbers[-1]} " if cohort else ""
    milestone = subject + _WHAT.get(achieved.group(0).split()[0][:6], achieved.group(0))
    yield Finding(
        make(
            MilestoneAchieved,
            doc,
            view,
            drug=doc.name(view, drug),
            milestone=milestone,
            vs_guidance=versus,
            guided=guided,
        ),
        view,
    )


# What was reached, by the word that says so.
_WHAT = {
    "initia": "initiation",
    "comple": "completion",
    "starte": "start",
    "start": "start",
    "began": "start",
    "begun": "start",
    "dosed": "first dosing",
    "enroll": "enrollment",
    "enrole": "enrollment",
    "reache": "milestone",
    "achiev": "milestone",
    "delive": "milestone",
    "occurs": "initiation",
    "occurr": "milestone",
    "milest": "milestone",
    "underw": "start",
}


def find(doc: Document, view: View) -> Iterator[Finding]:
    if view.has_any(ACHIEVED_WORDS):
        yield from _achieved(doc, view)
