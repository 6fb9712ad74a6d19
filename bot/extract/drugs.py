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
from collections.abc import Iterable
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
BRAND = re.compile(
    r"(?<![\w-])([A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)\s?(?:™|®|\(TM\)|\(R\)|\(\(TM\)\)|\(\(R\)\))"
)
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
INN = re.compile(
    r"(?<![\w-])([A-Za-z][a-z]{3,}(?:"
    + "|".join(sorted(INN_STEMS, key=len, reverse=True))
    + r"))(?![\w-])"
)
_NOT_INN = words(
    """
    disease diseases increase decrease database purchase release releases phase phases case
    cases base erase showcase chase lease cease ease peptide peptides nucleotide nucleotides
    oligonucleotide gene genes transgene antigene statin statins ecostat thermostat
    aptamer promise premise reprise enterprise otherwise exercise expertise franchise
    merchandise compromise surprise concise precise advise devise revise
    """
)
RADIOCONJUGATE = re.compile(
    r"(?<![\w-])((?:rhenium|lutetium|actinium|iodine|yttrium|radium|thorium|lead|copper|"
    r"gallium|technetium|zirconium|indium|samarium|strontium|astatine|terbium)[\s-]*"
    r"\(\s*\d{2,3}\s*[A-Z][a-z]?\s*\)\s*[a-z][a-z-]{4,}(?:\s+[a-z]{6,})?)(?![\w-])",
    re.IGNORECASE,
)
# "doses of ultra-micronized-PEA in healthy volunteers", "trials of eprenetapopt in …".
DOSED_OR_STUDIED = re.compile(
    r"\b(?:trials?|stud(?:y|ies)|doses?|dosing|administration|infusions?|injections?)\s+of\s+"
    r"(?P<drug>[a-z][a-z0-9]*(?:-[A-Za-z0-9]+)*-[A-Z]{2,}[A-Za-z0-9-]*|[a-z][a-z-]{7,})\s+"
    r"(?:in|as|for|plus|with|to|versus|vs)\b"
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
ALIAS = re.compile(
    r"(?<![\w-])([A-Za-z][\w-]{3,}(?:\s+sodium)?)\s*\(\s*([A-Z][A-Za-z]{2,7}|[a-z][a-z-]{5,}(?:-[A-Z])?)\s*\)"
)
_PARTNER_BEFORE = re.compile(
    r"(?:in\s+combination\s+with|combined\s+with|plus|\+|versus|vs\.?|compared\s+(?:to|with)|"
    r"against|than|failed(?:\s+both)?|and)\s*$",
    re.IGNORECASE,
)
# Names that are platforms or methods rather than drugs.
_PLATFORM_AFTER = re.compile(
    r"^\s*(?:platforms?|technolog(?:y|ies)|delivery|carrier|compounds?|brand|method|system)\b",
    re.IGNORECASE,
)
# "SEL-302 (which consists of MMA-101 plus ImmTOR)": a component is read as the product.
COMPONENT = re.compile(
    r"(?<![\w-])(?P<whole>[\w-]{3,})\s*\(\s*(?:which\s+)?(?:consists|is\s+composed|is\s+comprised|comprises)\s+of\s+(?P<part>[\w-]{3,})",
    re.I,
)


@dataclass(slots=True)
class Lexicon:
    """The drugs of one release: spellings → key, and how central each drug is."""

    keys: dict[str, str] = field(default_factory=dict)  # surface form → key
    display: dict[str, str] = field(default_factory=dict)  # key → first spelling seen
    canonical: dict[str, str] = field(default_factory=dict)  # key → key (typos, aliases)
    typos: dict[str, str] = field(default_factory=dict)  # mistyped key (or a part) → key
    salience: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    pattern: re.Pattern[str] | None = None

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
        for form in forms:
            if CODE.fullmatch(form):
                tokens = re.findall(r"[A-Za-z]+|\d+(?:\.\d+)?", form)
            else:
                tokens = re.split(r"[\s-]+", form)
            parts.append(r"[\s-]?".join(re.escape(t) for t in tokens if t))
        self.pattern = re.compile(
            r"(?<![\w-])(?:" + "|".join(parts) + r")(?!\w|-[A-Za-z])", re.IGNORECASE
        )

    def mentions(self, text: str) -> list[DrugMention]:
        if self.pattern is None:
            return []
        found = []
        for match in self.pattern.finditer(text):
            key = self.resolve(drug_key(match.group(0)))
            if key in self.display:
                found.append(DrugMention(match.group(0), key, match.start(), match.end()))
        return found

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


def _code_ok(code: str, before: str) -> bool:
    prefix = re.match(r"[a-zA-Z]+", code)
    if prefix is None or prefix.group(0).upper() in NOT_DRUG_PREFIXES:
        return False
    if _YEARLIKE_CODE.match(code):
        return False
    return not re.search(r"\btargeting\s*$", before)


def _candidates(raw_texts: Iterable[str], norm_texts: Iterable[str], company: str) -> list[str]:
    company_words = {w.lower() for w in re.findall(r"[A-Za-z]+", company)}
    names: list[str] = []
    for raw in raw_texts:
        for match in BRAND.finditer(raw):
            word = match.group(1)
            if word.lower() not in _COMPANYISH and word.lower() not in company_words:
                names.append(word)
    for text in norm_texts:
        for match in CODE.finditer(text):
            if _code_ok(match.group(0), text[max(0, match.start() - 20) : match.start()]):
                names.append(match.group(0))
        for match in INN.finditer(text):
            if _inn_ok(match.group(1), company_words):
                names.append(match.group(1))
        names.extend(m.group(1) for m in RADIOCONJUGATE.finditer(text))
        for match in DOSED_OR_STUDIED.finditer(text):
            word = match.group("drug")
            if word.lower() not in _GENERIC_WORDS and not re.search(
                r"(?:tion|ment|ness|ity|ing|ed|ly|ous|ive|al|ics|ers?)$", word
            ):
                names.append(word)
    return names


def _link_aliases(lexicon: Lexicon, texts: Iterable[str]) -> None:
    """ "dociparstat sodium (DSTAT)": the parenthesised name is the same drug."""
    for text in texts:
        for match in ALIAS.finditer(text):
            outer, inner = match.group(1), match.group(2)
            outer_key = lexicon.keys.get(outer) or lexicon.keys.get(outer.split()[0])
            inner_key = lexicon.keys.get(inner)
            if outer_key and not inner_key and inner.upper() not in NOT_DRUG_PREFIXES:
                lexicon.add(inner)
                lexicon.canonical[drug_key(inner)] = outer_key
        for match in COMPONENT.finditer(text):
            whole, part = (
                lexicon.keys.get(match.group("whole")),
                lexicon.keys.get(match.group("part")),
            )
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
    ticker_set = {t.upper() for t in tickers}
    every_text = " ".join(s.text for s in readable)
    for name in _candidates((s.raw for s in readable), (s.text for s in readable), company):
        if name.upper() in ticker_set:
            continue
        if not CODE.fullmatch(name) and re.search(
            r"(?<![\w-])" + re.escape(name) + r"-[A-Z]{2,}\b", every_text
        ):
            continue  # "ReSPECT-GBM", "ReSPECT-LM": the name of a trial programme
        lexicon.add(name)
    _link_aliases(lexicon, (s.text for s in readable))
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
            elif _PARTNER_BEFORE.search(before):
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
    return bool(_PARTNER_BEFORE.search(before) or _PLATFORM_AFTER.match(after))
