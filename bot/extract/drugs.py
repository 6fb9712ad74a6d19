"""Drugs and programs: who a release is about.

A release names its drugs in a few recognisable ways, read once per release
into a lexicon:

- codes: ``CLR 131`` / ``CLR-131`` / ``CLR131``, ``GR-MD-02``, ``rhPSMA-10.1``, ``MG01CI``;
- names the release marks as trademarks: ``Zygel™``, ``CaPre®``;
- international non-proprietary names, by their stems: cosibelimab (-mab),
  camsirubicin (-rubicin), brincidofovir (-vir) …, radioconjugates with their
  isotope: "rhenium (186Re) obisbemeda";
- what the sentence says is dosed or studied: "doses of ultra-micronized-PEA in …";
- aliases it defines: "dociparstat sodium (DSTAT)", "NeuVax™ (nelipepimut-S)".

Each drug has one key (letters and digits, upper-cased) so that every spelling
of it is one drug. A code written once with one letter more or less than a
better-known code with the same number ("PRG-2012" next to "PRGN-2012") is read
as a typo of it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.events.trial import drug_key
from bot.extract.model import DrugMention, Sentence
from bot.extract.text import words

CODE = re.compile(
    r"(?<![\w./-])(?:"
    r"(?:[a-z]{1,2})?[A-Z]{2,6}(?:-[A-Z]{2,5})?"  # prefix: CLR, GR-MD, rhPSMA, LUNAR-COV
    r"[- ]?\d{2,5}(?:\.\d{1,2})?[a-z]?"  # number: 131, -02, -10.1, 101a
    r"(?:-[A-Z]{2,4}(?![\w]))?"  # suffix: -PTX
    r"|[A-Z]{2,4}\d{2}[A-Z]{1,3}"
    r")(?![\w])"
)
# The same codes, scanned for from their upper-case part (a lower-case prefix such as
# "rh" in rhPSMA-10.1 is added back by _codes()): much faster on a whole release.
CODE_SCAN = re.compile(
    r"[A-Z]{2,6}(?:-[A-Z]{2,5})?[- ]?\d{2,5}(?:\.\d{1,2})?[a-z]?(?:-[A-Z]{2,4}(?![\w]))?(?!\w)"
    r"|[A-Z]{2,4}\d{2}[A-Z]{1,3}(?!\w)"
)
# Prefixes of codes that are not drugs: diseases and viruses, targets, registries,
# exchanges, conferences, fiscal periods, regulatory documents.
NOT_DRUG_PREFIXES = words(
    """
    COVID SARS MERS HIV HBV HCV RSV CMV EBV HPV HLA NCT EUDRACT ISRCTN IL PD CD HER CB STAT
    DRD TLR JAK CDK EGFR FGFR KRAS BRCA FY CY ISO GMP GLP GCP ICH CFR USC USD EUR GBP CAD
    TSX NYSE NASDAQ OTC OTCQB OTCQX CSE FRA ASX LSE AIM ASH ASCO ESMO AACR SITC EHA SNO
    SNMMI WCLC ACR AAN ATS ERS EASL AASLD ISTH ESC AHA ACC CROI IND NDA BLA MAA ANDA SEC
    US EU UK USA ID FDA EMA NCI NIH DOD WHO CEO CFO PHASE AAV SNP ECOG ORR
    """
)
_YEARLIKE_CODE = re.compile(r"^[A-Za-z-]+ (?:19|20)\d\d$")
# A trademark mark, and the name it marks (the word right before it).
MARK = re.compile(r"™|®|\(\(?(?:TM|R)\)\)?")
BRAND_BEFORE = re.compile(r"(?<![\w-])([A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)\s?$")
_COMPANYISH = words(
    "therapeutics pharmaceuticals pharma biosciences bio biotech biotherapeutics biopharma "
    "inc corp corporation holdings medical health labs laboratories sciences technologies "
    "oncology company"
)
# INN stems (WHO) that mark a word as a drug name.
INN_STEMS = (
    "mab",
    "cept",
    "tinib",
    "nib",
    "ciclib",
    "parib",
    "lisib",
    "zomib",
    "stat",
    "vir",
    "ase",
    "mycin",
    "rubicin",
    "platin",
    "taxel",
    "tecan",
    "citabine",
    "mustine",
    "leucel",
    "gene",
    "vec",
    "siran",
    "rsen",
    "glutide",
    "relin",
    "kinra",
    "ermin",
    "fusp",
    "oxine",
    "limus",
    "prazole",
    "sartan",
    "olol",
    "pril",
    "dipine",
    "afil",
    "setron",
    "tide",
)
# Words long enough to be an INN; their endings are checked against INN_STEMS.
LONG_WORD = re.compile(r"[A-Za-z](?<![\w-][A-Za-z])[a-z]{5,}(?![\w-])")
_NOT_INN = words(
    """
    disease diseases increase decrease database purchase release releases phase phases case
    cases base erase showcase chase lease cease ease peptide peptides nucleotide nucleotides
    oligonucleotide gene genes transgene antigene statin statins ecostat thermostat
    aptamer promise premise reprise enterprise otherwise exercise expertise franchise
    merchandise compromise surprise concise precise advise devise revise
    """
)
_ISOTOPE_ELEMENTS = (
    "rhenium",
    "lutetium",
    "actinium",
    "iodine",
    "yttrium",
    "radium",
    "thorium",
    "lead",
    "copper",
    "gallium",
    "technetium",
    "zirconium",
    "indium",
    "samarium",
    "strontium",
    "astatine",
    "terbium",
)
# "rhenium (186Re) obisbemeda": found from the isotope in brackets, then the words around it.
ISOTOPE = re.compile(r"\(\s*\d{2,3}\s*[A-Z][a-z]?\s*\)")
_ELEMENT_BEFORE = re.compile(r"([A-Za-z]+)[\s-]*$")
_INN_AFTER = re.compile(r"\s*([a-z][a-z-]{4,}(?:\s+[a-z]{6,})?)(?![\w-])", re.IGNORECASE)


def _radioconjugates(text: str) -> list[str]:
    found = []
    for match in ISOTOPE.finditer(text):
        element = _ELEMENT_BEFORE.search(text, max(0, match.start() - 16), match.start())
        if element is None or element.group(1).lower() not in _ISOTOPE_ELEMENTS:
            continue
        name = _INN_AFTER.match(text, match.end())
        if name is not None:
            found.append(text[element.start() : name.end()].strip())
    return found


# "doses of ultra-micronized-PEA in healthy volunteers", "trials of eprenetapopt in …".
# Found from "of" (a literal: fast to scan for); the noun before it is checked after.
DOSED_OR_STUDIED = re.compile(
    r"of\s+(?P<drug>[a-z][a-z0-9]*(?:-[A-Za-z0-9]+)*-[A-Z]{2,}[A-Za-z0-9-]*|[a-z][a-z-]{7,})\s+"
    r"(?:in|as|for|plus|with|to|versus|vs)\b"
)
_DOSED_NOUN = re.compile(
    r"\b(?:trials?|stud(?:y|ies)|doses?|dosing|administration|infusions?|injections?)\s+$"
)
_GENERIC_WORDS = words(
    """
    patients subjects participants volunteers healthy treatment therapy therapies chemotherapy
    radiotherapy radiation immunotherapy placebo surgery standard safety efficacy tolerability
    pharmacokinetics combination investigational experimental candidate candidates product
    products molecule molecules compound compounds antibody antibodies vaccine vaccines
    medicine medicines doxorubicin dexamethasone cells infusion injection approximately
    """
)
# "dociparstat sodium (DSTAT)", "NeuVax (nelipepimut-S)": a name in brackets after a drug.
ALIAS_IN_BRACKETS = re.compile(r"\(\s*([A-Z][A-Za-z]{2,7}|[a-z][a-z-]{5,}(?:-[A-Z])?)\s*\)")
ALIAS_OUTER = re.compile(r"(?<![\w-])([A-Za-z][\w-]{3,}(?:\s+sodium)?)\s*$")
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
    " and",
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


@dataclass(slots=True)
class Lexicon:
    """The drugs of one release: spellings → key, and how central each drug is."""

    keys: dict[str, str] = field(default_factory=dict)  # surface form → key
    display: dict[str, str] = field(default_factory=dict)  # key → first spelling seen
    canonical: dict[str, str] = field(default_factory=dict)  # key → key (typos, aliases)
    typos: dict[str, str] = field(default_factory=dict)  # mistyped key (or a part) → key
    salience: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    pattern: re.Pattern[str] | None = None
    anchors: tuple[str, ...] = ()  # lower-case pieces one of which every spelling contains
    matched: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)

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
        anchors: set[str] = set()
        for form in forms:
            if CODE.fullmatch(form):
                tokens = re.findall(r"[A-Za-z]+|\d+(?:\.\d+)?", form)
            else:
                tokens = re.split(r"[\s-]+", form)
            parts.append(r"[\s-]?".join(re.escape(t) for t in tokens if t))
            anchors.add(max(tokens, key=len).lower())
        self.pattern = re.compile(
            r"(?<![\w-])(?:" + "|".join(parts) + r")(?!\w|-[A-Za-z])", re.IGNORECASE
        )
        self.anchors = tuple(sorted(anchors))

    def mentions(self, text: str) -> list[DrugMention]:
        """The drugs named in ``text``, with their keys as currently resolved."""
        found = []
        for name, start, end in self._matches(text):
            key = self.resolve(drug_key(name))
            if key in self.display:
                found.append(DrugMention(name, key, start, end))
        return found

    def _matches(self, text: str) -> list[tuple[str, int, int]]:
        # The pattern is fixed once compiled; each sentence is matched once.
        cached = self.matched.get(text)
        if cached is not None:
            return cached
        spans: list[tuple[str, int, int]] = []
        lower = text.lower()
        if self.pattern is not None and any(anchor in lower for anchor in self.anchors):
            spans = [(m.group(0), m.start(), m.end()) for m in self.pattern.finditer(text)]
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


# Enzymes are named like "-ase" drugs; a drug that is an enzyme carries a prefix (peg-).
_ENZYME = re.compile(
    r"(?:kinase|protease|polymerase|transferase|reductase|synthase|dehydrogenase|ylase|arginase|"
    r"uricase|lipase|amylase|nuclease|helicase|ligase|peptidase|esterase|oxidase|hydrolase|isomerase|"
    r"phosphatase|integrase|transcriptase|lyase|deaminase|aminase|cyclase|mutase|sulfatase|"
    r"glucosidase|galactosidase|lactamase)$",
    re.I,
)


def _inn_ok(word: str, company_words: set[str]) -> bool:
    lower = word.lower()
    if lower in _NOT_INN or lower in company_words:
        return False
    return not (_ENZYME.search(lower) and not lower.startswith("peg"))


_LETTERS = re.compile(r"[a-zA-Z]+")


def _code_ok(code: str, before: str) -> bool:
    prefix = _LETTERS.match(code)
    if prefix is None or prefix.group(0).upper() in NOT_DRUG_PREFIXES:
        return False
    if _YEARLIKE_CODE.match(code):
        return False
    return not before.rstrip().endswith("targeting")


def _codes(text: str) -> Iterator[tuple[str, int]]:
    """The codes in ``text`` with where they start (see CODE)."""
    for match in CODE_SCAN.finditer(text):
        start = match.start()
        lower_run = 0
        while start - lower_run > 0 and text[start - lower_run - 1].islower() and lower_run < 3:
            lower_run += 1
        if lower_run == 3:
            continue  # inside a longer word
        begin = start - lower_run
        if begin > 0 and (text[begin - 1].isalnum() or text[begin - 1] in "./-_"):
            continue
        yield text[begin : match.end()], begin


def _candidates(raw: str, text: str, company: str) -> list[str]:
    """Names that look like drugs in the release (``raw`` as written, ``text`` normalised;
    sentences joined with " | ", which no pattern crosses)."""
    company_words = {w.lower() for w in re.findall(r"[A-Za-z]+", company)}
    names: list[str] = []
    for mark in MARK.finditer(raw):
        marked = BRAND_BEFORE.search(raw, max(0, mark.start() - 40), mark.start())
        if marked is None:
            continue
        name = marked.group(1)
        if name.lower() not in _COMPANYISH and name.lower() not in company_words:
            names.append(name)
    for code, start in _codes(text):
        if _code_ok(code, text[max(0, start - 20) : start]):
            names.append(code)
    for word in LONG_WORD.findall(text):
        if word.lower().endswith(INN_STEMS) and _inn_ok(word, company_words):
            names.append(word)
    names.extend(_radioconjugates(text))
    for match in DOSED_OR_STUDIED.finditer(text):
        if not _DOSED_NOUN.search(text, max(0, match.start() - 20), match.start()):
            continue
        word = match.group("drug")
        if word.lower() not in _GENERIC_WORDS and not re.search(
            r"(?:tion|ment|ness|ity|ing|ed|ly|ous|ive|al|ics|ers?)$", word
        ):
            names.append(word)
    return names


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
    found = Counter(_candidates(" | ".join(s.raw for s in readable), every_text, company))
    # A release names a handful of drugs; keeping the most frequent bounds the work on
    # text that is not a release (a catalogue, a table of codes).
    for name, _ in found.most_common(MAX_DRUG_NAMES):
        if name.upper() in ticker_set:
            continue
        if not CODE.fullmatch(name) and re.search(
            r"(?<![\w-])" + re.escape(name) + r"-[A-Z]{2,}\b", every_text
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
