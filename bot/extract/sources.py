"""Releases from text: the corpus format (a header of ``key: value`` lines, a ``---``
line, the body) and plain text. Pure: the caller reads the file."""

from __future__ import annotations

import re
from datetime import date, datetime

from bot.extract.model import ReleaseInput
from bot.extract.text import DATELINE

_HEADER_LINE = re.compile(r"^([A-Za-z][\w-]*):\s?(.*)$")
# Corpus titles that were not retrieved carry a note in brackets: "[from URL slug] …".
_TITLE_NOTE = re.compile(r"^\s*\[[^\]]*\]\s*")
_TICKER = re.compile(
    r"(?:NASDAQ|Nasdaq|NYSE|NYSE American|OTCQB|OTCQX|TSX|CSE|AMEX)\s*:\s*([A-Z][A-Z.]{0,5})\b"
)
_DATE_IN_DATELINE = re.compile(
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def tickers_in(text: str) -> tuple[str, ...]:
    """Tickers written as "(Nasdaq: CLRB)" or "Nasdaq:CLRB", in order, once each."""
    return tuple(dict.fromkeys(m.group(1).rstrip(".") for m in _TICKER.finditer(text)))


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


def _parse_date(value: str) -> date | None:
    value = value.strip()
    for parse in (date.fromisoformat, lambda v: datetime.fromisoformat(v).date()):
        try:
            return parse(value)
        except ValueError:
            continue
    return None


def is_corpus_format(text: str) -> bool:
    """Whether ``text`` opens with a header block closed by a ``---`` line."""
    head, sep, _ = text.partition("\n---\n")
    if not sep:
        return False
    lines = [line for line in head.splitlines() if line.strip()]
    return bool(lines) and all(_HEADER_LINE.match(line) for line in lines)


def from_corpus(text: str, release_id: str) -> ReleaseInput:
    """A release in the corpus format: header lines, ``---``, body."""
    head, _, body = text.partition("\n---\n")
    meta: dict[str, str] = {}
    for line in head.splitlines():
        match = _HEADER_LINE.match(line)
        if match:
            meta[match.group(1).lower()] = match.group(2).strip()
    published = _parse_date(meta.get("published", "")) or date_from_dateline(body)
    return ReleaseInput(
        release_id=release_id,
        title=_TITLE_NOTE.sub("", meta.get("title", "")),
        published=published,
        company=meta.get("company", ""),
        tickers=tickers_in(meta.get("ticker", "")) or tickers_in(body[:3000]),
        text=body,
    )


def from_plain_text(text: str, release_id: str) -> ReleaseInput:
    """A release pasted as plain text: the date comes from its dateline, if it has one."""
    return ReleaseInput(
        release_id=release_id,
        published=date_from_dateline(text),
        tickers=tickers_in(text[:3000]),
        text=text,
    )


def from_text(text: str, release_id: str) -> ReleaseInput:
    """Corpus format when the text is in it, plain text otherwise."""
    return (
        from_corpus(text, release_id)
        if is_corpus_format(text)
        else from_plain_text(text, release_id)
    )
