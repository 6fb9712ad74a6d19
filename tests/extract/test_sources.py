"""The extractor's input from release files and release pages."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.extract.sources import from_page, from_text
from bot.extract.text import date_from_dateline
from bot.releases.page import ReleasePage

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
    release = from_text(CORPUS, "000_acme")
    assert release.release_id == "000_acme"
    assert release.published == date(2017, 2, 22)
    assert release.title == "acme initiates fourth cohort"
    assert release.company == "Acme Bio, Inc."
    assert release.tickers == ("Nasdaq:ACME",)
    assert release.text.startswith("MADISON")


def test_plain_text_takes_its_date_from_the_dateline() -> None:
    text = (
        "Oncolix Initiates Second Cohort\n\n"
        "HOUSTON, Jan. 08, 2018 (GLOBE NEWSWIRE) -- Oncolix, Inc., (OTCQB:ONCX) announced news."
    )
    release = from_text(text, "plain")
    assert release.published == date(2018, 1, 8)
    assert release.title == "Oncolix Initiates Second Cohort"


def test_a_page() -> None:
    page = ReleasePage(
        title="T",
        text="BOSTON, Jan. 4, 2021 (GLOBE NEWSWIRE) -- x",
        published_at=None,
        company="Acme",
        tickers=("Nasdaq:ACME",),
    )
    assert from_page(page, "p").published == date(2021, 1, 4)
    timed = ReleasePage(
        title="T",
        text="x",
        published_at=datetime(2021, 1, 5, 3, tzinfo=UTC),
        company="",
        tickers=(),
    )
    assert from_page(timed, "p").published == date(2021, 1, 5)


def test_no_dateline_no_date() -> None:
    assert date_from_dateline("Acme announced news today.") is None
    assert date_from_dateline("BOSTON, Feb. 30, 2021 (GLOBE NEWSWIRE) -- x") is None
