"""The extractor's input, and the values its recognisers hand to the rules.

Mentions are named tuples: a release has hundreds of them, and they are made fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, NamedTuple

from bot.events.release import ReleaseReceived
from bot.events.trial import Dose, Period

# Bump when the extractor reads releases differently: ``reextract`` redoes what an older
# version derived. Every derived event records the version that derived it.
EXTRACTOR_VERSION = "1.0.0"

# Where a sentence sits in the release. "headline" is what precedes the dateline
# (headline, sub-headlines, bullets); "lead" is the first paragraph after it;
# "about" the "About …" sections; "boilerplate" forward-looking statements and
# contact blocks, which the rules never read.
Section = Literal["title", "headline", "lead", "body", "about", "boilerplate"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseInput:
    """What the extractor reads: a release, without where it came from."""

    release_id: str
    title: str = ""
    published: date | None = None
    company: str = ""
    tickers: tuple[str, ...] = ()
    text: str

    @classmethod
    def from_release(cls, release: ReleaseReceived) -> ReleaseInput:
        return cls(
            release_id=release.release_id,
            title=release.title,
            published=release.published_at.date(),
            company=release.company,
            tickers=release.tickers,
            text=release.text,
        )


@dataclass(slots=True)
class Sentence:
    """One sentence: ``raw`` is ``source_text[start:end]``; ``text`` is its normalised
    form (one line, plain quotes and dashes, marks like ™ removed) that rules read.
    Read-only by convention, not frozen: cheaper to build (one per sentence)."""

    index: int
    paragraph: int
    section: Section
    start: int
    end: int
    raw: str
    text: str


class DrugMention(NamedTuple):
    """A drug as written (``name``), its key, and where it is in the sentence text."""

    name: str
    key: str
    start: int
    end: int


class PhaseMention(NamedTuple):
    phase: str
    start: int
    end: int


class CohortMention(NamedTuple):
    """``numbers`` are the cohorts named ("cohorts 1 and 2" → (1, 2)); empty when the
    cohort is named by its dose only ("the 3 mg/kg cohort")."""

    numbers: tuple[int, ...]
    dose: Dose | None
    start: int
    end: int


class DoseMention(NamedTuple):
    dose: Dose
    start: int
    end: int


class PercentMention(NamedTuple):
    value: float
    start: int
    end: int


class PeriodMention(NamedTuple):
    """A period resolved against the release date; ``past`` when it ended before it."""

    period: Period
    start: int
    end: int
    past: bool
