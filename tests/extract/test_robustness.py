"""Arbitrary text never breaks the extractor, and its work grows with the text, not faster.

The work bound is counted, not timed: the rules run once per sentence, every
sentence is at most MAX_SENTENCE_CHARS long, the sentences cover the text
without repeating it, and a release's drug lexicon (the one pattern matched in
every sentence) has at most MAX_DRUG_NAMES names. So the work per KB is bounded
whatever the input. A wall-clock check on a large input backs this up with a
very generous margin.
"""

from __future__ import annotations

import itertools
import time
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.events.trial import TrialEvent
from bot.extract import extract, extractor, to_corpus
from bot.extract.context import read
from bot.extract.lexicon import MAX_DRUG_NAMES, Lexicon
from bot.extract.text import MAX_SENTENCE_CHARS, MAX_TEXT_CHARS, WordScan, gate, segment
from tests.extract.support import release
from tests.extract.test_fixtures import FIXTURES

# Words and marks from the rules' own tables, so random text reaches deep into them.
VOCABULARY = [
    "Phase 1",
    "Phase IIa",
    "Phase 1b/2",
    "Cohort 4",
    "the fourth cohort",
    "31.25 mCi/m²",
    "25mCi/m 2",
    "0.3 mg/kg",
    "100 mg BID",
    "1.5 x 10^6 cells/kg",
    "3.3 x 105",
    "%",
    "percent",
    "increase",
    "double the dose",
    "expects",
    "to initiate",
    "in the second quarter of 2017",
    "1H18",
    "mid-2018",
    "by year-end",
    "this quarter",
    "later this year",
    "brought forward",
    "postponed",
    "delayed until calendar Q3, 2020",
    "rather than",
    "ahead of guidance",
    "remains on track",
    "first patient",
    "dosed",
    "enrollment",
    "completed",
    "initiated",
    "FDA",
    "clinical hold",
    "lifted",
    "Orphan Drug",
    "designation",
    "granted",
    "BLA",
    "accepted",
    "PDUFA",
    "CLR 131",
    "CLR-131",
    "ABC-1234",
    "Zygel™",
    "cosibelimab",
    "rhenium (186Re) x",
    "(GLOBE NEWSWIRE) --",
    "MADISON, Wis., Feb. 22, 2017",
    "About",
    "Forward-Looking Statements",
    "\n",
    "\n\n",
    " - ",
    "•",
    "|",
    ";",
    ":",
    ".",
    ",",
    "(",
    ")",
    "“",
    "”",
    "#CLRB",
    "$CLRB",
    "<p>",
    "</p>",
    "<br/>",
    "&amp;",
    "<script>",
    "\u00a0",
    "\u200b",
    "ﬁ",
    "𝔘",
    "é",
    "中文",
]
vocabulary_text = st.lists(st.sampled_from(VOCABULARY), max_size=200).map(" ".join)
any_text = st.one_of(st.text(max_size=3000), vocabulary_text)


def check(events: list[TrialEvent], text: str) -> None:
    for event in events:
        to_corpus(event)  # renders
        evidence = event.evidence
        if evidence.source == "text":
            assert text[evidence.start : evidence.end] == evidence.sentence


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=any_text, title=st.text(max_size=200), published=st.none() | st.dates())
def test_any_text_never_raises(text: str, title: str, published: date | None) -> None:
    check(extract(release(text, title=title, published=published)), text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tags=st.lists(st.sampled_from(["div", "p", "span", "a", "table", "td", "b"]), max_size=30),
    body=vocabulary_text,
)
def test_html_fragments_never_raise(tags: list[str], body: str) -> None:
    text = (
        "".join(f'<{t} class="x">' for t in tags)
        + body
        + "".join(f"</{t}>" for t in reversed(tags))
    )
    check(extract(release(text)), text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=any_text)
def test_work_is_bounded_per_sentence(text: str) -> None:
    sentences = segment(text)
    assert all(len(s.raw) <= MAX_SENTENCE_CHARS for s in sentences)
    spans = sorted((s.start, s.end) for s in sentences)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))
    assert sum(e - s for s, e in spans) <= len(text)
    assert len(read(release(text)).lexicon.keys) <= MAX_DRUG_NAMES * 2  # names and aliases


def test_a_catalogue_of_codes_keeps_the_lexicon_small() -> None:
    text = " ".join(f"Phase 1 trial of AB-{n} in patients." for n in range(1000, 6000))
    document = read(release(text))
    assert len(document.lexicon.display) <= MAX_DRUG_NAMES * 2


def test_huge_input_is_cut_and_stays_fast() -> None:
    seed = (FIXTURES / "000_cellectar_clr131_cohort4_initiated.txt").read_text(encoding="utf-8")
    text = seed * 250  # about 2 MB
    started = time.process_time()
    events = extract(release(text))
    elapsed = time.process_time() - started
    assert events
    assert max(e.evidence.end for e in events) <= MAX_TEXT_CHARS
    # MAX_TEXT_CHARS is 1 MB, a typical release runs at 3 ms per 8 KB: 20 s is ~50x slack.
    assert elapsed < 20


def test_pathological_runs() -> None:
    for text in (
        "a" * 200_000,
        " " * 200_000,
        "\n" * 100_000,
        "1" * 100_000,
        "Phase " * 30_000,
        "x 10 " * 30_000,
        "((((" * 30_000,
        "CLR-" * 30_000,
        "Cohort 4 " * 20_000,
        "in the second quarter of " * 10_000,
    ):
        started = time.process_time()
        extract(release(text))
        assert time.process_time() - started < 20, text[:20]


# Characters where matching a lower-cased copy could differ from case-insensitive matching.
CASE_TRAPS = ["İND", "ınd", "ſtudy", "PHASE Iİ", "K", "STUDY", "Phase III", "top-line", "ß", "É"]


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(VOCABULARY + CASE_TRAPS), max_size=20).map("".join))
def test_the_fast_trial_vocabulary_test_agrees_with_the_pattern(text: str) -> None:
    expected = extractor.TRIAL_VOCABULARY.search(text) is not None
    assert extractor._has_trial_vocabulary(text) == expected


DRUG_PIECES = ["CLR", "clr", "131", "-", " ", "1.5", "PTX", "ab", "Zygel", "zYGEL", "_", ".", "K"]


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(st.lists(st.sampled_from(DRUG_PIECES), min_size=1, max_size=4).map("".join)),
    text=st.lists(st.sampled_from(DRUG_PIECES), max_size=20).map("".join),
)
def test_the_ascii_drug_pattern_agrees_with_the_pattern(names: list[str], text: str) -> None:
    lexicon = Lexicon()
    for name in names:
        lexicon.add(name)
    lexicon.compile()
    if lexicon.pattern is None or lexicon.ascii_pattern is None:
        return
    expected = [m.span() for m in lexicon.pattern.finditer(text)]
    assert [m.span() for m in lexicon.ascii_pattern.finditer(text.lower())] == expected


LAW_FIRM_PIECES = ["Class Action", "class ", "ACTION", "Lead Plaintiff", "securities", " fraud"]
LAW_FIRM_PIECES += ["Investors who", " purchased", "shareholder alert", "ALERT", " ", "x"]


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(LAW_FIRM_PIECES + CASE_TRAPS), max_size=20).map("".join))
def test_the_fast_law_firm_test_agrees_with_the_pattern(text: str) -> None:
    lower = text.lower()
    expected = any(w in lower for w in extractor.LAW_FIRM_WORDS)
    expected = expected and len(extractor.LAW_FIRM.findall(text)) >= 2
    assert extractor._is_law_firm(text) == expected


@settings(max_examples=300, deadline=None)
@given(
    gates=st.lists(st.lists(st.text("abc ", min_size=1, max_size=5), min_size=1), min_size=1),
    text=st.text("abcd ", max_size=30),
)
def test_a_word_scan_finds_exactly_the_words_in_the_text(gates: list[list[str]], text: str) -> None:
    scan = WordScan(gate(*words) for words in gates)
    assert scan(text) == {word for words in gates for word in words if word in text}
