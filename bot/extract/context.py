"""A release read once by every recogniser, and the questions rules ask about it:
which drug a sentence is about, which phase, which dose a cohort was given."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

from bot.events.trial import Dose, Evidence, drug_key
from bot.extract import periods
from bot.extract.drugs import CODE
from bot.extract.lexicon import Lexicon, build_lexicon, is_partner
from bot.extract.model import (
    CohortMention,
    DoseMention,
    DrugMention,
    PercentMention,
    PeriodMention,
    PhaseMention,
    ReleaseInput,
    Sentence,
)
from bot.extract.periods import find_periods
from bot.extract.phases import find_cohorts, find_phases, find_trial_names
from bot.extract.quantities import find_doses, find_percents
from bot.extract.text import (
    CASE_EXCEPTIONS,
    WordScan,
    contains_any,
    lower_case,
    segment,
    title_sentence,
)

# "the Phase 1 section of the Phase 1/2 trial": the second phase only contains the first.
_CONTAINER_PHASE = re.compile(
    r"(?:section|portion|part|arm|stage)\s+of\s+(?:the\s+|a\s+|its\s+|our\s+)?$", re.I
)
_BOTH = re.compile(r"\bboth\b", re.I)


def _is_heading(view: View) -> bool:
    """A short body line that does not end like a sentence."""
    text = view.text
    return (
        view.section == "body" and len(text) <= 80 and not text.endswith((".", "!", "?", ":", ";"))
    )


_CLAUSE_SEPARATORS = ("; ", ": ", " - ")


@dataclass(slots=True)
class View:
    """A sentence with everything the recognisers found in it. Read-only by convention: not
    frozen, as a frozen dataclass sets each field through object.__setattr__ (slower to build)."""

    position: int  # index in Document.views
    sentence: Sentence
    lower: str
    drugs: tuple[DrugMention, ...]
    phases: tuple[PhaseMention, ...]
    doses: tuple[DoseMention, ...]
    cohorts: tuple[CohortMention, ...]
    periods: tuple[PeriodMention, ...]
    trials: tuple[str, ...]
    scan: WordScan | None = field(default=None, repr=False, compare=False)  # the gates' words
    _words: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def text(self) -> str:
        return self.sentence.text

    @property
    def percents(self) -> tuple[PercentMention, ...]:
        """Stated percentages, found when asked for: one rule reads them, in few sentences."""
        if self.section in ("about", "boilerplate"):
            return ()
        return tuple(find_percents(self.text))

    def has_any(self, words: Collection[str]) -> bool:
        """Whether the sentence contains any of ``words`` (lower case): the cheap test that
        lets most sentences skip most rules. A gate of ``scan`` is answered from the words
        one scan found in the sentence."""
        scan = self.scan
        if scan is not None and words in scan.gates:
            found = self._words
            if found is None:
                found = self._words = scan(self.lower)
            return not found.isdisjoint(words)
        lower = self.lower
        for word in words:  # noqa: SIM110 - a loop is measurably faster than any(generator)
            if word in lower:
                return True
        return False

    @property
    def section(self) -> str:
        return self.sentence.section

    def clause(self, position: int) -> tuple[int, int]:
        """The span of the clause around ``position`` (split at ";", ":" and " - ")."""
        text = self.sentence.text
        start, end = 0, len(text)
        for sep in _CLAUSE_SEPARATORS:
            before = text.rfind(sep, 0, position)
            if before >= 0:
                start = max(start, before + len(sep))
            after = text.find(sep, position)
            if after >= 0:
                end = min(end, after)
        return start, end

    def evidence(self) -> Evidence:
        s = self.sentence
        return Evidence(
            sentence=s.raw,
            start=s.start,
            end=s.end,
            source="title" if s.section == "title" else "text",
        )


@dataclass(frozen=True, slots=True)
class Phase:
    """A phase for an event, and whether the event's own sentence stated it."""

    label: str | None
    explicit: bool


@dataclass(slots=True)
class Document:
    release: ReleaseInput
    views: list[View]
    lexicon: Lexicon
    _cohort_doses: dict[tuple[str | None, int], Dose] = field(default_factory=dict)
    _trial_drugs: dict[str, str] = field(default_factory=dict)  # trial name → drug key

    # -- drugs -------------------------------------------------------------------------

    def main_drug(self) -> str | None:
        return self.lexicon.main()

    def drug_near(
        self, view: View, position: int, *, window: tuple[int, int] | None = None
    ) -> str | None:
        """Key of the drug a trigger at ``position`` is about: the nearest drug named in
        the sentence (partners and platforms last), else the paragraph's, else the release's."""
        if window is None:
            low, high = view.clause(position)
            if any(low <= m.start < high for m in view.drugs):
                window = (low, high)
        candidates = [m for m in view.drugs if window is None or window[0] <= m.start < window[1]]
        primary = [m for m in candidates if not is_partner(view.text, m)] or candidates
        if primary:
            return min(
                primary,
                key=lambda m: (abs(m.start - position), -self.lexicon.salience[m.key]),
            ).key
        if window is not None:
            return self.drug_near(view, position)
        return self.drug_of_paragraph(view)

    def drug_of_paragraph(self, view: View) -> str | None:
        """The drug of a sentence that names none: the drug of the trial it names ("ASPIRE"),
        else the last one named earlier in its paragraph, else the one its section heading
        names ("Tarlomab (anti-CD40L antibody)"), else the release's."""
        for name in view.trials:
            if name in self._trial_drugs:
                return self._trial_drugs[name]
        index = view.position
        for earlier in reversed(self.views[max(0, index - 3) : index]):
            if earlier.sentence.paragraph != view.sentence.paragraph:
                break
            named = [
                m for m in earlier.drugs if not is_partner(earlier.text, m) and self._central(m.key)
            ]
            if named:
                return named[-1].key
        for earlier in reversed(self.views[max(0, index - 12) : index]):
            if len({m.key for m in earlier.drugs}) == 1 and self._heading(earlier):
                return earlier.drugs[0].key
        return self.main_drug()

    def _heading(self, view: View) -> bool:
        """Whether ``view`` is a section heading: a short line that is its own paragraph."""
        paragraph = view.sentence.paragraph
        alone = all(
            other.sentence.paragraph != paragraph
            for other in self.views[max(0, view.position - 1) : view.position + 2]
            if other is not view
        )
        return alone and _is_heading(view)

    def _central(self, key: str) -> bool:
        """Whether a drug is one the release is about, not one it mentions in passing."""
        main = self.main_drug()
        top = self.lexicon.salience[main] if main else 0.0
        return self.lexicon.salience[key] >= 0.3 * top

    def drugs_for_both(self, view: View) -> list[str | None]:
        """The two code-named drugs a sentence means by "both" ("both programs"), when the
        release is about exactly two; otherwise none."""
        if view.drugs or not _BOTH.search(view.text):
            return []
        ranked = [k for k in self.lexicon.ranked() if CODE.fullmatch(self.lexicon.name(k))]
        if len(ranked) != 2:
            return []
        top = self.lexicon.salience[ranked[0]]
        return list(ranked) if self.lexicon.salience[ranked[1]] >= 0.25 * top else []

    def name(self, view: View, key: str | None) -> str | None:
        """The drug as the evidence sentence writes it (a typo is written correctly)."""
        if key is None:
            return None
        for mention in view.drugs:
            if mention.key == key and drug_key(mention.name) not in self.lexicon.typos:
                return mention.name
        return self.lexicon.name(key)

    # -- phases ------------------------------------------------------------------------

    def phase_near(self, view: View, position: int, drug: str | None) -> Phase:
        """The phase of the trial an event at ``position`` is about.

        The sentence's own phase (nearest; a part's phase over its container's), else a
        phase stated earlier in the paragraph, else the phase the release pairs with the
        drug, else the title's, else the only phase the release names. A phase bound to a
        named trial only carries over to events about that same trial.
        """
        low, high = view.clause(position)
        in_clause = [p for p in view.phases if low <= p.start < high] or list(view.phases)
        own = [
            p
            for p in in_clause
            if not _CONTAINER_PHASE.search(view.text[max(0, p.start - 40) : p.start])
        ]
        own = own or in_clause
        if own:
            return Phase(min(own, key=lambda p: abs(p.start - position)).phase, True)
        names = set(view.trials)
        index = view.position
        for earlier in reversed(self.views[max(0, index - 4) : index]):
            if earlier.sentence.paragraph != view.sentence.paragraph:
                break
            if (
                earlier.phases
                and self._same_trial(names, earlier)
                and self._same_drug(drug, earlier)
            ):
                return Phase(earlier.phases[-1].phase, False)
        paired: Counter[str] = Counter()
        for other in self.views:
            if other.section == "boilerplate" or not other.phases:
                continue
            if drug and any(m.key == drug for m in other.drugs) and self._same_trial(names, other):
                paired.update(p.phase for p in other.phases)
        if paired:
            return Phase(paired.most_common(1)[0][0], False)
        title = next((v for v in self.views if v.section == "title"), None)
        if title and title.phases and self._same_trial(names, title):
            return Phase(title.phases[0].phase, False)
        every = {
            p.phase
            for v in self.views
            if v.section != "boilerplate"
            for p in v.phases
            if self._same_trial(names, v)
        }
        if len(every) == 1:
            return Phase(every.pop(), False)
        return Phase(None, False)

    @staticmethod
    def _same_trial(names: set[str], other: View) -> bool:
        return not other.trials or bool(names & set(other.trials))

    @staticmethod
    def _same_drug(drug: str | None, other: View) -> bool:
        return not other.drugs or drug is None or any(m.key == drug for m in other.drugs)

    # -- cohorts and doses -------------------------------------------------------------

    def cohort_dose(self, drug: str | None, cohort: int) -> Dose | None:
        """The dose the release gives a numbered cohort, if it gives one."""
        return self._cohort_doses.get((drug, cohort)) or self._cohort_doses.get((None, cohort))

    def previous_cohort(self, view: View, position: int) -> CohortMention | None:
        """The cohort "this cohort" refers to: the last one named before ``position``."""
        before = [c for c in view.cohorts if c.end <= position and c.numbers]
        if before:
            return before[-1]
        index = view.position
        for earlier in reversed(self.views[max(0, index - 3) : index]):
            numbered = [c for c in earlier.cohorts if c.numbers]
            if numbered:
                return numbered[-1]
        return None

    def recent_doses(self, view: View, before: int) -> list[Dose]:
        """Doses named before ``before`` in this sentence, then in the two before it."""
        doses = [d.dose for d in view.doses if d.end <= before]
        index = view.position
        for earlier in reversed(self.views[max(0, index - 2) : index]):
            if earlier.sentence.paragraph == view.sentence.paragraph:
                doses = [d.dose for d in earlier.doses] + doses
        return doses

    def _link_trials(self) -> None:
        """ "the Phase 3 ASPIRE trial of tarlomab": a trial named with one drug is that drug's."""
        for view in self.views:
            if len(view.trials) != 1:
                continue
            keys = {m.key for m in view.drugs if not is_partner(view.text, m)}
            if len(keys) == 1:
                self._trial_drugs.setdefault(view.trials[0], keys.pop())

    def _pair_cohort_doses(self) -> None:
        """Give numbered cohorts the doses named next to them ("Cohort 4 patients will
        receive 31.25 mCi/m2", "the 25 mCi/m2 dose from the third cohort"): nearest
        pairs first, each cohort and each dose used once."""
        main = self.main_drug()
        for view in self.views:
            if not view.cohorts or view.section == "boilerplate":
                continue
            drug = view.drugs[0].key if view.drugs else main
            pairs: list[tuple[int, int, int, Dose]] = []  # distance, cohort, dose index, dose
            for cohort in view.cohorts:
                if len(cohort.numbers) != 1:
                    continue
                if cohort.dose is not None:
                    pairs.append((0, cohort.numbers[0], -1, cohort.dose))
                    continue
                for index, mention in enumerate(view.doses):
                    if cohort.start <= mention.start < cohort.end:
                        continue
                    if mention.start >= cohort.end:
                        distance = mention.start - cohort.end
                    else:
                        distance = cohort.start - mention.end
                    pairs.append((distance, cohort.numbers[0], index, mention.dose))
            used_cohorts: set[int] = set()
            used_doses: set[int] = set()
            for distance, number, index, dose in sorted(pairs, key=lambda p: p[0]):
                if distance > 60 or number in used_cohorts or (index >= 0 and index in used_doses):
                    continue
                used_cohorts.add(number)
                used_doses.add(index)
                self._cohort_doses.setdefault((drug, number), dose)
                self._cohort_doses.setdefault((None, number), dose)


def _trials_by_sentence(sentences: list[Sentence], lowers: list[str]) -> list[tuple[str, ...]]:
    """Trial names per sentence: those named as trials there ("the ASPIRE trial"), and those
    the release names as trials elsewhere that the sentence mentions ("enrollment in ASPIRE")."""
    named = [
        tuple(find_trial_names(s.text)) if s.section != "boilerplate" else () for s in sentences
    ]
    known = {name for names in named for name in names}
    if not known:
        return named
    pattern = re.compile(
        r"\b(?:" + "|".join(re.escape(n) for n in sorted(known, key=len, reverse=True)) + r")\b",
        re.I,
    )
    # A name is matched case-insensitively: the lower-cased sentence has it, unless the
    # sentence has a character that matches a letter without lower-casing to it.
    lower_names = tuple(name.lower() for name in known)
    out = []
    for sentence, lower, names in zip(sentences, lowers, named, strict=True):
        extra = (
            {m.group(0).upper() for m in pattern.finditer(sentence.text)}
            if sentence.section != "boilerplate"
            and (contains_any(lower, lower_names) or contains_any(sentence.text, CASE_EXCEPTIONS))
            else set()
        )
        out.append(tuple(dict.fromkeys((*names, *sorted(extra)))))
    return out


def read(release: ReleaseInput, scan: WordScan | None = None) -> Document:
    """Segment a release and run every recogniser over it once; ``scan`` finds the words
    of the rules' gates in a sentence (View.has_any)."""
    sentences = segment(release.text)
    title = title_sentence(release.title, sentences) if release.title else None
    if title is not None:
        sentences = [title, *sentences]
    lexicon = build_lexicon(sentences, release.company, release.tickers)
    lowers = [lower_case(sentence.text) for sentence in sentences]
    trials = _trials_by_sentence(sentences, lowers)
    scan_periods = scan is not None and periods.GATE in scan.gates
    views: list[View] = []
    for sentence, lower, named in zip(sentences, lowers, trials, strict=True):
        text = sentence.text
        if sentence.section == "boilerplate":  # never read by a rule
            views.append(View(len(views), sentence, lower, (), (), (), (), (), (), scan))
            continue
        # The scan the rules' gates need anyway also answers the periods' gate.
        words = scan(lower) if scan is not None and scan_periods else None
        if sentence.section == "about":  # only guidance is read there
            views.append(
                View(
                    len(views),
                    sentence,
                    lower,
                    tuple(lexicon.mentions(text)),
                    tuple(find_phases(text)),
                    (),
                    (),
                    tuple(find_periods(text, release.published, lower, words)),
                    named,
                    scan,
                )
            )
            views[-1]._words = words
            continue
        doses = find_doses(text)
        views.append(
            View(
                position=len(views),
                sentence=sentence,
                lower=lower,
                drugs=tuple(lexicon.mentions(text)),
                phases=tuple(find_phases(text)),
                doses=tuple(doses),
                cohorts=tuple(find_cohorts(text, doses)),
                periods=tuple(find_periods(text, release.published, lower, words)),
                trials=named,
                scan=scan,
            )
        )
        views[-1]._words = words
    document = Document(release, views, lexicon)
    document._pair_cohort_doses()
    document._link_trials()
    return document
