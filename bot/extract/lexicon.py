"""The drugs of one release: one key per drug, and how central each is to its news.

Built once per release from the candidates ``bot.extract.drugs`` finds. Every
spelling of a drug is one key (letters and digits, upper-cased); aliases the
release defines ("dociparstat sodium (DSTAT)", "NeuVax™ (nelipepimut-S)") and
components ("SEL-302 (which consists of MMA-101 …)") are the same drug; a code
written once with one letter more or less than a better-known code with the
same number ("PRG-2012" next to "PRGN-2012") is read as a typo of it. A drug
named as a partner or comparator ("in combination with KEYTRUDA") or a
platform counts against its centrality.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bot.events.trial import drug_key
from bot.extract.drugs import CODE, NOT_DRUG_PREFIXES, candidates
from bot.extract.model import DrugMention, Sentence
from bot.extract.text import contains_any

# "dociparstat sodium (DSTAT)", "NeuVax (nelipepimut-S)": a name in brackets after a drug.
ALIAS_IN_BRACKETS = re.compile(r"\(\s*([A-Z][A-Za-z]{2,7}|[a-z][a-z-]{5,}(?:-[A-Z])?)\s*\)")
ALIAS_OUTER = re.compile(
    r"(?<![\w-])([A-Za-z][\w-]{3,}(?:\s+(?:sodium|potassium|calcium|hydrochloride|mesylate|citrate|"
    r"acetate|tartrate|sulfate|maleate|fumarate|phosphate|besylate|succinate))?)\s*$"
)
# Words before a drug that make it a partner or comparator ("in combination with X").
_PARTNER_ENDINGS = (
    "in combination with",
    "combined with",
    " plus",
    "+",
    "versus",
    " vs",
    " vs.",
    "compared to",
    "compared with",
    "against",
    " than",
    "failed both",
    "failed",
)


def _after_partner_words(before: str) -> bool:
    return (" " + before.rstrip().lower()).endswith(_PARTNER_ENDINGS)


# Names that are platforms or methods rather than drugs.
_PLATFORM_AFTER = re.compile(
    r"^\s*(?:platforms?|technolog(?:y|ies)|delivery|carrier|compounds?|brand|method|system)\b",
    re.IGNORECASE,
)
# "SEL-302 (which consists of MMA-101 plus ImmTOR)": a component is read as the product.
COMPONENT = re.compile(
    r"\(\s*(?:which\s+)?(?:consists|is\s+composed|is\s+comprised|comprises)\s+of\s+(?P<part>[\w-]{3,})",
    re.I,
)
_WHOLE_BEFORE = re.compile(r"(?<![\w-])([\w-]{3,})\s*$")


MAX_DRUG_NAMES = 40


def _ascii_alternative(tokens: list[str]) -> str:
    """One name of Lexicon.pattern for lower-cased ASCII text, where matching case-sensitively
    is the same as IGNORECASE. The look-behind comes after the first letter, so that the
    pattern starts with a literal: the scan skips to the first letters of the names."""
    first = tokens[0]
    rest = [first[1:], *tokens[1:]]
    return re.escape(first[0]) + r"(?<![\w-].)" + r"[\s-]?".join(re.escape(t) for t in rest)


@dataclass(slots=True)
class Lexicon:
    """The drugs of one release: spellings → key, and how central each drug is."""

    keys: dict[str, str] = field(default_factory=dict)  # surface form → key
    display: dict[str, str] = field(default_factory=dict)  # key → first spelling seen
    canonical: dict[str, str] = field(default_factory=dict)  # key → key (typos, aliases)
    typos: dict[str, str] = field(default_factory=dict)  # mistyped key (or a part) → key
    salience: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    pattern: re.Pattern[str] | None = None
    ascii_pattern: re.Pattern[str] | None = None  # the pattern for lower-cased ASCII text
    anchors: tuple[str, ...] = ()  # lower-case pieces one of which every spelling contains
    matched: dict[str, list[tuple[str, str, int, int]]] = field(default_factory=dict)

    def add(self, name: str) -> None:
        name = name.strip()
        key = drug_key(name)
        if len(key) < 3:
            return
        self.keys.setdefault(name, key)
        self.display.setdefault(key, name)

    def resolve(self, key: str) -> str:
        seen = set()
        while key in self.canonical and key not in seen:
            seen.add(key)
            key = self.canonical[key]
        return key

    def compile(self) -> None:
        """One pattern for every spelling; a code matches whatever separates its parts
        (CLR 131 / CLR-131 / CLR131)."""
        forms = sorted(self.keys, key=len, reverse=True)
        if not forms:
            return
        parts = []
        ascii_parts = []
        anchors: set[str] = set()
        for form in forms:
            if CODE.fullmatch(form):
                tokens = re.findall(r"[A-Za-z]+|\d+(?:\.\d+)?", form)
            else:
                tokens = re.split(r"[\s-]+", form)
            tokens = [t for t in tokens if t]
            parts.append(r"[\s-]?".join(re.escape(t) for t in tokens))
            ascii_parts.append(_ascii_alternative([t.lower() for t in tokens]))
            anchors.add(max(tokens, key=len).lower())
        self.pattern = re.compile(
            r"(?<![\w-])(?:" + "|".join(parts) + r")(?!\w|-[A-Za-z])", re.IGNORECASE
        )
        if all(form.isascii() for form in forms):
            self.ascii_pattern = re.compile(r"(?:" + "|".join(ascii_parts) + r")(?!\w|-[a-z])")
        self.anchors = tuple(sorted(anchors))

    def mentions(self, text: str) -> list[DrugMention]:
        """The drugs named in ``text``, with their keys as currently resolved."""
        found = []
        for name, raw_key, start, end in self._matches(text):
            key = self.resolve(raw_key)
            if key in self.display:
                found.append(DrugMention(name, key, start, end))
        return found

    def _matches(self, text: str) -> list[tuple[str, str, int, int]]:
        """Each name the pattern finds in ``text``: as written, its key, where."""
        # The pattern is fixed once compiled; each sentence is matched once.
        cached = self.matched.get(text)
        if cached is not None:
            return cached
        spans: list[tuple[str, str, int, int]] = []
        lower = text.lower()
        if self.pattern is not None and contains_any(lower, self.anchors):
            if self.ascii_pattern is not None and text.isascii():
                found = [m.span() for m in self.ascii_pattern.finditer(lower)]
            else:
                found = [m.span() for m in self.pattern.finditer(text)]
            spans = [(text[s:e], drug_key(text[s:e]), s, e) for s, e in found]
        self.matched[text] = spans
        return spans

    def name(self, key: str) -> str:
        return self.display.get(self.resolve(key), key)

    def main(self) -> str | None:
        """The key of the drug the release is most about, if any drug scores at all."""
        ranked = [(score, key) for key, score in self.salience.items() if score > 0]
        return max(ranked)[1] if ranked else None

    def ranked(self) -> list[str]:
        """Keys of the drugs the release is about, most central first."""
        return [k for k, s in sorted(self.salience.items(), key=lambda kv: -kv[1]) if s > 0]


def _link_aliases(lexicon: Lexicon, text: str) -> None:
    """ "dociparstat sodium (DSTAT)": the parenthesised name is the same drug."""
    for match in ALIAS_IN_BRACKETS.finditer(text):
        before = ALIAS_OUTER.search(text, max(0, match.start() - 40), match.start())
        if before is not None:
            outer, inner = before.group(1), match.group(1)
            outer_key = lexicon.keys.get(outer) or lexicon.keys.get(outer.split()[0])
            inner_key = lexicon.keys.get(inner)
            if outer_key and not inner_key and inner.upper() not in NOT_DRUG_PREFIXES:
                lexicon.add(inner)
                lexicon.canonical[drug_key(inner)] = outer_key
            elif (
                outer_key
                and inner_key
                and outer_key != inner_key
                and inner_key not in lexicon.canonical
            ):
                lexicon.canonical[inner_key] = outer_key  # "Zyvra (tarlomab)": one drug, two names
    for match in COMPONENT.finditer(text):
        before = _WHOLE_BEFORE.search(text, max(0, match.start() - 40), match.start())
        if before is not None:
            whole, part = lexicon.keys.get(before.group(1)), lexicon.keys.get(match.group("part"))
            if whole and part and whole != part:
                lexicon.canonical[part] = whole
                lexicon.typos[part] = whole


def _link_typos(lexicon: Lexicon, counts: Counter[str]) -> None:
    """A code seen once that differs from a better-known code of the same number by one
    letter of its prefix is that code, mistyped."""
    by_number: dict[str, list[str]] = {}
    for key in lexicon.display:
        match = re.fullmatch(r"([A-Z]+)(\d+)", key)
        if match:
            by_number.setdefault(match.group(2), []).append(key)
    for keys in by_number.values():
        for rare in keys:
            for common in keys:
                if rare == common or counts[rare] >= counts[common] or counts[rare] > 1:
                    continue
                a, b = rare.rstrip("0123456789"), common.rstrip("0123456789")
                if len(b) == len(a) + 1 and any(b[:i] + b[i + 1 :] == a for i in range(len(b))):
                    lexicon.canonical[rare] = common
                    lexicon.typos[rare] = common


def build_lexicon(sentences: list[Sentence], company: str, tickers: tuple[str, ...]) -> Lexicon:
    """Read the drugs of a release and score how central each one is to its news."""
    lexicon = Lexicon()
    readable = [s for s in sentences if s.section != "boilerplate"]
    ticker_set = {t.rsplit(":", 1)[-1].strip().upper() for t in tickers}  # "Nasdaq:CLRB" → CLRB
    every_text = " | ".join(s.text for s in readable)
    found = Counter(candidates(" | ".join(s.raw for s in readable), every_text, company))
    # A release names a handful of drugs; keeping the most frequent bounds the work on
    # text that is not a release (a catalogue, a table of codes).
    for name, _ in found.most_common(MAX_DRUG_NAMES):
        if name.upper() in ticker_set:
            continue
        if (
            not CODE.fullmatch(name)
            and f"{name}-" in every_text
            and re.search(r"(?<![\w-])" + re.escape(name) + r"-[A-Z]{2,}\b", every_text)
        ):
            continue  # "ReSPECT-GBM", "ReSPECT-LM": the name of a trial programme
        lexicon.add(name)
    _link_aliases(lexicon, every_text)
    lexicon.compile()
    counts: Counter[str] = Counter()
    forms: Counter[str] = Counter()
    for sentence in readable:
        for mention in lexicon.mentions(sentence.text):
            counts[mention.key] += 1
            forms[mention.name] += 1
    for form, _ in reversed(forms.most_common()):
        key = lexicon.keys.get(form) or drug_key(form)
        if key in lexicon.display:
            lexicon.display[key] = form
    _link_typos(lexicon, counts)
    for sentence in readable:
        weight = {"title": 3.0, "headline": 2.0, "lead": 1.5, "about": 0.3}.get(
            sentence.section, 1.0
        )
        for mention in lexicon.mentions(sentence.text):
            before = sentence.text[max(0, mention.start - 30) : mention.start]
            after = sentence.text[mention.end : mention.end + 25]
            if _PLATFORM_AFTER.match(after):
                lexicon.salience[mention.key] -= 2 * weight
            elif _after_partner_words(before):
                lexicon.salience[mention.key] -= 0.5 * weight
            else:
                lexicon.salience[mention.key] += weight * (
                    1.5 if CODE.fullmatch(mention.name) else 1.0
                )
    return lexicon


def is_partner(text: str, mention: DrugMention) -> bool:
    """Whether the drug is named as a partner or comparator ("in combination with X")."""
    before = text[max(0, mention.start - 30) : mention.start]
    after = text[mention.end : mention.end + 25]
    return _after_partner_words(before) or bool(_PLATFORM_AFTER.match(after))
