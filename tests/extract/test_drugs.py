"""Drugs: one key per drug however the release spells it."""

from __future__ import annotations

import pytest

from bot.extract.context import read
from tests.extract.support import release


def lexicon_of(text: str, company: str = "Acme Bio, Inc.") -> dict[str, list[str]]:
    """Drug key → the spellings seen, for every drug the release names."""
    document = read(release(text, company=company))
    seen: dict[str, list[str]] = {}
    for view in document.views:
        for mention in view.drugs:
            seen.setdefault(mention.key, [])
            if mention.name not in seen[mention.key]:
                seen[mention.key].append(mention.name)
    return seen


def test_code_spellings_are_one_drug() -> None:
    text = (
        "Acme Bio's CLR 131 trial continues. CLR-131 was well tolerated. Dosing of CLR131 goes on."
    )
    assert lexicon_of(text) == {"CLR131": ["CLR 131", "CLR-131", "CLR131"]}


CODES = [
    ("ABC-1234", "ABC1234"),
    ("AB-101a", "AB101A"),
    ("GR-MD-02", "GRMD02"),
    ("rhPSMA-10.1", "RHPSMA101"),
    ("LUNAR-COV19", "LUNARCOV19"),
    ("MG01CI", "MG01CI"),
    ("ONC201", "ONC201"),
]


@pytest.mark.parametrize(("code", "key"), CODES)
def test_codes(code: str, key: str) -> None:
    assert list(lexicon_of(f"The Phase 1 trial of {code} in patients is ongoing.")) == [key]


def test_trademarked_names_and_inns() -> None:
    text = (
        "Zygel™ is in a Phase 3 trial. Prolanta® is dosed weekly. Patients receive cosibelimab, "
        "camsirubicin or brincidofovir."
    )
    assert set(lexicon_of(text)) == {
        "ZYGEL",
        "PROLANTA",
        "COSIBELIMAB",
        "CAMSIRUBICIN",
        "BRINCIDOFOVIR",
    }


NOT_DRUGS = [
    "The COVID-19 pandemic slowed enrollment.",
    "The trial is registered as NCT03212404.",
    "It targets IL-2 and PD-1, and HER2 and CD19 and HPV16.",
    "Results for FY 2020 and Q1 2021 were presented at ASCO 2021.",
    "The Company filed Form 10-K and an IND 123456.",
    "It is an antibody targeting CGEN-15029/PVRIG.",
    "Ornithine Transcarbamylase deficiency is a rare disease; the enzyme is a kinase.",
    "The data are presented under the ReSPECT™ program: ReSPECT-GBM and ReSPECT-LM.",
]


@pytest.mark.parametrize("text", NOT_DRUGS)
def test_not_drugs(text: str) -> None:
    assert lexicon_of(text) == {}


def test_company_and_ticker_are_not_drugs() -> None:
    text = "Zynerba Therapeutics® (Nasdaq: ZYNE) today announced results for Zygel™."
    assert set(lexicon_of(text, company="Zynerba Therapeutics, Inc.")) == {"ZYGEL"}


def test_an_abbreviation_defined_in_brackets_is_the_same_drug() -> None:
    text = (
        "Its programs are dociparstat sodium (DSTAT) and brincidofovir (BCV). DSTAT is in Phase 3."
    )
    document = read(release(text))
    keys = {m.key for v in document.views for m in v.drugs}
    assert keys == {"DOCIPARSTAT", "BRINCIDOFOVIR"}


def test_a_mistyped_code_is_read_as_the_code() -> None:
    text = (
        "PRG-2012 is on track. The PRGN-2012 trial continues; PRGN-2012 data are strong. "
        "PRGN-2012 is the lead candidate."
    )
    document = read(release(text))
    view = document.views[0]
    assert [m.key for m in view.drugs] == ["PRGN2012"]
    assert document.name(view, "PRGN2012") == "PRGN-2012"


def test_a_component_is_read_as_the_product() -> None:
    text = (
        "The hold concerns SEL-302 (which consists of MMA-101 plus ImmTOR) and the MMA-101 batch."
    )
    document = read(release(text))
    assert {m.key for v in document.views for m in v.drugs} == {"SEL302"}


def test_radioconjugates_keep_their_isotope() -> None:
    text = "The first patient was dosed with rhenium (186Re) obisbemeda in the Phase 2b trial."
    assert list(lexicon_of(text)) == ["RHENIUM186REOBISBEMEDA"]


def test_what_is_dosed_is_a_drug() -> None:
    text = (
        "The study evaluates single ascending doses of ultra-micronized-PEA in healthy volunteers."
    )
    assert list(lexicon_of(text)) == ["ULTRAMICRONIZEDPEA"]


def test_the_lead_candidate_is_the_main_drug() -> None:
    from tests.extract.support import keys

    text = (
        "BOSTON, May 3, 2021 (GLOBE NEWSWIRE) -- Acme Bio today reported progress with AX-501, "
        "its lead candidate. Acme initiated the Phase 2 trial of AX-501 in March.\n\n"
        "The company expects to report topline data from our lead candidate in the fourth "
        "quarter of 2021."
    )
    assert ("GuidanceIssued", "AX501", "2021-Q4") in keys(text, published=None)
