"""The extractor's input from what trialwire reads releases from: release files (the
corpus format: ``key: value`` headers, ``---``, body; or plain text) and release pages.
Pure: the caller reads the file."""

from __future__ import annotations

import re

from bot.extract.model import ReleaseInput
from bot.extract.text import date_from_dateline
from bot.releases.files import ReleaseFile, parse_release_file
from bot.releases.page import ReleasePage

# Corpus titles that were not retrieved carry a note in brackets: "[from URL slug] …".
_TITLE_NOTE = re.compile(r"^\s*\[[^\]]*\]\s*")


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
