"""Saved release pages read the same as the release's text.

The pages are the seed release laid out as GlobeNewswire's current and older
release pages and as a page with only JSON-LD, with page chrome around it
(navigation, scripts, a footer, a "related" box) whose words must not become
events.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from bot.events.trial import TrialEvent
from bot.extract import extract
from bot.extract.model import ReleaseInput
from bot.extract.sources import from_page, from_text
from bot.releases.page import parse_release_page
from bot.standins.gnw import StandInRelease, render_page
from tests.extract.test_fixtures import FIXTURES

PAGES = sorted((FIXTURES.parent / "pages").glob("*.html"))
SEED = FIXTURES / "000_cellectar_clr131_cohort4_initiated.txt"


def keys(events: list[TrialEvent]) -> set[tuple[str, ...]]:
    return {(e.TYPE, *e.identity()) for e in events}


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_a_page_yields_the_releases_events(path: Path) -> None:
    page = parse_release_page(path.read_bytes())
    assert page.title.startswith("Upon Successful Completion of Cohort 3")
    assert page.published_at is not None
    assert page.published_at.date() == date(2017, 2, 22)
    assert page.company == "Cellectar Biosciences, Inc."
    for chrome in ("Newsroom", "dataLayer", "trackRelease", "All Rights Reserved", "ZZ-9999"):
        assert chrome not in page.text
    release = from_page(page, path.stem)
    from_corpus_file = extract(from_text(SEED.read_text(encoding="utf-8"), SEED.stem))
    assert keys(extract(release)) == keys(from_corpus_file)
    for event in extract(release):
        evidence = event.evidence
        if evidence.source == "text":
            assert release.text[evidence.start : evidence.end] == evidence.sentence


def test_the_time_element_wins_over_the_dateline() -> None:
    page = parse_release_page(
        (FIXTURES.parent / "pages" / "000_cellectar_current_layout.html").read_bytes()
    )
    assert page.published_at == datetime(2017, 2, 22, 13, 0, tzinfo=UTC)
    assert page.tickers == ("Nasdaq:CLRB",)


def test_a_page_without_a_release() -> None:
    page = parse_release_page(b"<html><body><nav>Newsroom</nav></body></html>")
    assert extract(from_page(page, "empty")) == []


def test_a_huge_page_is_read_only_in_part() -> None:
    from bot.releases.page import MAX_PAGE_CHARS

    html = (
        b"<html><body><div id='main-body-container'><p>"
        + b"x " * MAX_PAGE_CHARS
        + b"</p></div></body></html>"
    )
    page = parse_release_page(html)
    assert len(page.text) <= MAX_PAGE_CHARS


def test_sub_headlines_stay_lines_through_a_stand_in_page() -> None:
    """A page's <br> line breaks reach the extractor: each sub-headline is its own
    sentence, read through a page exactly as from the release file."""
    path = FIXTURES / "103_zynerba_reconnect_initiated.txt"
    release = from_text(path.read_text(encoding="utf-8"), path.stem)
    assert release.published is not None
    html = render_page(
        StandInRelease(
            release_id="1",
            title=release.title,
            published_at=datetime.combine(release.published, time(13), UTC),
            company=release.company,
            tickers=release.tickers,
            text=release.text,
        )
    )
    served = from_page(parse_release_page(html), path.stem)

    def read(r: ReleaseInput) -> list[tuple[str, str]]:
        return [(e.TYPE, e.evidence.sentence) for e in extract(r)]

    assert read(served) == read(release)
    assert ("GuidanceIssued", "Topline results expected in second half of 2023") in read(served)
