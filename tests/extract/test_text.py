"""Segmentation: exact spans, sections, and the damage republishers do."""

from __future__ import annotations

import pytest

from bot.extract.text import normalise, segment


def sentences(text: str) -> list[tuple[str, str]]:
    found = segment(text)
    for s in found:
        assert text[s.start : s.end] == s.raw
    return [(s.section, s.text) for s in found]


def test_spans_are_exact_and_sections_follow_the_dateline() -> None:
    text = (
        "Acme Starts Trial\n\nSub-headline: first patient dosed\n\n"
        "BOSTON, Jan. 4, 2021 (GLOBE NEWSWIRE) -- Acme Bio, Inc. today announced news. "
        "Dr. Smith of Acme Bio Inc. said the U.S. trial is on track.\n\n"
        "More body text here.\n\nAbout Acme Bio\n\nAcme Bio develops drugs.\n\n"
        "Forward-Looking Statements\n\nThis press release contains forward-looking statements."
    )
    assert sentences(text) == [
        ("headline", "Acme Starts Trial"),
        ("headline", "Sub-headline: first patient dosed"),
        ("lead", "Acme Bio, Inc. today announced news."),
        ("lead", "Dr. Smith of Acme Bio Inc. said the U.S. trial is on track."),
        ("body", "More body text here."),
        ("about", "Acme Bio develops drugs."),
        ("boilerplate", "This press release contains forward-looking statements."),
    ]


def test_hard_line_breaks_inside_a_sentence_are_joined() -> None:
    text = "The Company today announced the\ninitiation of its trial.\nA second paragraph follows."
    assert [t for _, t in sentences(text)] == [
        "The Company today announced the initiation of its trial.",
        "A second paragraph follows.",
    ]


def test_a_number_broken_across_lines_is_one_number() -> None:
    text = "Enrolment in the trial of rhPSMA-10.\n1 Injection was completed in July."
    assert [t for _, t in sentences(text)] == [
        "Enrolment in the trial of rhPSMA-10.1 Injection was completed in July."
    ]


def test_a_hard_wrapped_copy_reads_as_paragraphs() -> None:
    lines = [
        "WILMETTE, Ill, December 8, 2021 - Acme Therapeutics Inc.",
        "(Nasdaq: ACME), a clinical-stage biopharmaceutical company",
        "focused on developing proprietary therapeutics, today",
        "announced the positive recommendation from its safety",
        "review committee to escalate to the second dose level in",
        "its Phase 1b trial. This decision was made following a",
        "review of safety data from the patients in the first",
        "dose cohort and will allow evaluation of a higher dose.",
        "About Acme",
        "Acme is a company.",
    ]
    found = sentences("\n".join(lines))
    assert found[0][0] == "lead"
    assert found[0][1].startswith("Acme Therapeutics Inc. (Nasdaq: ACME), a clinical-stage")
    assert found[0][1].endswith("in its Phase 1b trial.")
    assert found[-1] == ("about", "Acme is a company.")


def test_a_headline_glued_to_the_dateline_is_its_own_sentence() -> None:
    text = (
        "Phase 1 enrolment completed: transition to Phase 2 underway OXFORD, United Kingdom , "
        "Oct. 8, 2024 /PRNewswire/ -- Blue Sky Ltd today announced news."
    )
    assert sentences(text) == [
        ("headline", "Phase 1 enrolment completed: transition to Phase 2 underway"),
        ("lead", "Blue Sky Ltd today announced news."),
    ]


@pytest.mark.parametrize(
    "dateline",
    [
        "MADISON, Wis., Feb. 22, 2017 (GLOBE NEWSWIRE) -- ",
        "HOUSTON - March 26, 2019 - ",
        "San Ramon, California, June 29, 2016— ",
        "GAINESVILLE, Ga., Jan. 19, 2005 (PRIMEZONE) -- ",
        "BRISBANE, Calif.--(BUSINESS WIRE)--",
        "HOLON, Israel, May 31, 2017 /PRNewswire/ -- ",
    ],
)
def test_datelines(dateline: str) -> None:
    found = sentences("A Headline\n\n" + dateline + "Acme Bio today announced news.")
    assert found[-1] == ("lead", "Acme Bio today announced news.")


def test_bullets_and_flattened_subheadlines_split() -> None:
    text = "– Topline data remain on track for Q1 2023 – – Phase 1 to begin in Q4 2022 –"
    assert [t for _, t in sentences(text)] == [
        "Topline data remain on track for Q1 2023",
        "Phase 1 to begin in Q4 2022",
    ]


def test_normalise() -> None:
    assert normalise("31.25 mCi/m²  of\nZygel™ – “quoted”") == '31.25 mCi/m2 of Zygel - "quoted"'
    assert normalise("AdenoVerse((TM)) 1.5 × 10⁶") == "AdenoVerse 1.5 x 106"  # read as 10^6


def test_long_runs_are_cut() -> None:
    text = "word " * 2000
    found = segment(text)
    assert all(len(s.raw) <= 1200 for s in found)
    assert "".join(s.raw for s in found).split() == text.split()
