"""The extractor's input from what trialwire reads releases from: release files (the
corpus format: ``key: value`` headers, ``---``, body; or plain text) and release pages.
Pure: the caller reads the file."""

from __future__ import annotations

import re
from datetime import date

from bot.extract.model import ReleaseInput
from bot.extract.text import DATELINE
from bot.releases.files import ReleaseFile, parse_release_file
from bot.releases.page import ReleasePage

# Corpus titles that were not retrieved carry a note in brackets: "[from URL slug] …".
_TITLE_NOTE = re.compile(r"^\s*\[[^\]]*\]\s*")
_DATE_IN_DATELINE = re.compile(
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def date_from_dateline(text: str) -> date | None:
    """The release date its dateline states ("MADISON, Wis., Feb. 22, 2017 (GLOBE …")."""
    dateline = DATELINE.search(text[:5000])
    match = _DATE_IN_DATELINE.search(dateline.group(0) if dateline else text[:400])
    if match is None:
        return None
    try:
        month = _MONTHS.index(match.group(1).lower()) + 1
        return date(int(match.group(3)), month, int(match.group(2)))
    except ValueError:
        return None


def from_file(release: ReleaseFile) -> ReleaseInput:
    """A release file: its headers where it has them, its dateline's date otherwise."""
    published = release.published
    return ReleaseInput(
        release_id=release.name,
        title=_TITLE_NOTE.sub("", release.title),
        published=published.date() if published else date_from_dateline(release.text),
        company=release.company,
        tickers=release.tickers,
        text=release.text,
    )


def from_text(text: str, name: str) -> ReleaseInput:
    """The text of a release file (corpus format, or plain text)."""
    return from_file(parse_release_file(text, name=name))


def from_page(page: ReleasePage, name: str) -> ReleaseInput:
    """A saved release page, as read by ``bot.releases.page``."""
    return ReleaseInput(
        release_id=name,
        title=page.title,
        published=page.published_at.date() if page.published_at else date_from_dateline(page.text),
        company=page.company,
        tickers=page.tickers,
        text=page.text,
    )
