"""What looks like a drug in a release: the candidate names the lexicon is built from.

A release names its drugs in a few recognisable ways:

- codes: ``CLR 131`` / ``CLR-131`` / ``CLR131``, ``GR-MD-02``, ``rhPSMA-10.1``, ``MG01CI``;
- names the release marks as trademarks: ``Zygel™``, ``CaPre®``;
- international non-proprietary names, by their stems: cosibelimab (-mab),
  camsirubicin (-rubicin), brincidofovir (-vir) …, radioconjugates with their
  isotope: "rhenium (186Re) obisbemeda";
- what the sentence says is dosed or studied: "doses of ultra-micronized-PEA in …".

``bot.extract.lexicon`` turns these candidates into one key per drug.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
# "rh" in rhPSMA-10.1 is added back by _codes()): much faster on a whole release. The
# first letter is taken out of both alternatives so that the scan skips to upper case.
CODE_SCAN = re.compile(
    r"[A-Z](?:"
    r"[A-Z]{1,5}(?:-[A-Z]{2,5})?[- ]?\d{2,5}(?:\.\d{1,2})?[a-z]?(?:-[A-Z]{2,4}(?![\w]))?(?!\w)"
    r"|[A-Z]{1,3}\d{2}[A-Z]{1,3}(?!\w)"
    r")"
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
# The last two letters of every stem: a cheap first test, which most words fail.
_INN_ENDINGS = frozenset(stem[-2:] for stem in INN_STEMS)
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
# "granted Orphan Drug designation to Metadoxine in …": what a designation is granted to.
DESIGNATED = re.compile(
    r"(?:designation|status)\"?\s+(?:to|for)\s+(?P<drug>[A-Z][a-z]{3,}[a-z0-9-]*)\s+(?:in|for|as)\b"
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


def candidates(raw: str, text: str, company: str) -> list[str]:
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
        if (
            word[-2:] in _INN_ENDINGS
            and word.lower().endswith(INN_STEMS)
            and _inn_ok(word, company_words)
        ):
            names.append(word)
    names.extend(_radioconjugates(text))
    if "designation" in text or "status" in text:  # what DESIGNATED starts with
        names.extend(
            m.group("drug")
            for m in DESIGNATED.finditer(text)
            if m.group("drug").lower() not in _GENERIC_WORDS
        )
    for match in DOSED_OR_STUDIED.finditer(text):
        if not _DOSED_NOUN.search(text, max(0, match.start() - 20), match.start()):
            continue
        word = match.group("drug")
        if word.lower() not in _GENERIC_WORDS and not re.search(
            r"(?:tion|ment|ness|ity|ing|ed|ly|ous|ive|al|ics|ers?)$", word
        ):
            names.append(word)
    return names
