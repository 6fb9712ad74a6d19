"""Releases read from the corpus format and from plain text."""

from __future__ import annotations

from datetime import date

from bot.extract.sources import date_from_dateline, from_corpus, from_text, is_corpus_format

CORPUS = """source: https://example.com/x
published: 2017-02-22
title: [from URL slug, not retrieved as text] acme initiates fourth cohort
company: Acme Bio, Inc.
ticker: Nasdaq:ACME
kind: trial-progress
---
MADISON, Wis., Feb. 22, 2017 (GLOBE NEWSWIRE) -- Acme Bio (Nasdaq:ACME) today announced news.
"""


def test_corpus_format() -> None:
    assert is_corpus_format(CORPUS)
    release = from_corpus(CORPUS, "000_acme")
    assert release.release_id == "000_acme"
    assert release.published == date(2017, 2, 22)
    assert release.title == "acme initiates fourth cohort"
    assert release.company == "Acme Bio, Inc."
    assert release.tickers == ("ACME",)
    assert release.text.startswith("MADISON")


def test_plain_text_takes_its_date_from_the_dateline() -> None:
    text = "HOUSTON, Jan. 08, 2018 (GLOBE NEWSWIRE) -- Oncolix, Inc., (OTCQB:ONCX) announced news."
    assert not is_corpus_format(text)
    release = from_text(text, "plain")
    assert release.published == date(2018, 1, 8)
    assert release.tickers == ("ONCX",)


def test_no_dateline_no_date() -> None:
    assert date_from_dateline("Acme announced news today.") is None
    assert date_from_dateline("BOSTON, Feb. 30, 2021 (GLOBE NEWSWIRE) -- x") is None
