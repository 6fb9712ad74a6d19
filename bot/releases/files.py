"""Release files: a header block of ``key: value`` lines, a ``---`` line, then the body.

The shape of the extraction corpus and of the demo's recorded releases.
A file without the header block is read as a plain-text body.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from bot.errors import TrialwireError
from bot.events.release import ReleaseReceived

_HEADER = re.compile(r"^([a-z][a-z0-9_-]*):\s?(.*)$")
_TICKER = re.compile(r"(?P<exchange>[A-Za-z][A-Za-z .]*?)\s*:\s*(?P<symbol>[A-Z][A-Z0-9.]{0,9})")


class ReleaseFileError(TrialwireError):
    """A release file cannot be read."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseFile:
    name: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.headers.get("title") or next(
            (line.strip() for line in self.text.splitlines() if line.strip()), self.name
        )

    @property
    def company(self) -> str:
        return self.headers.get("company", "")

    @property
    def tickers(self) -> tuple[str, ...]:
        """Exchange-qualified tickers, normalised like GlobeNewswire's (``Nasdaq:CLRB``)."""
        found = []
        for match in _TICKER.finditer(self.headers.get("ticker", "")):
            exchange = match["exchange"].strip()
            exchange = "Nasdaq" if exchange.upper() == "NASDAQ" else exchange
            found.append(f"{exchange}:{match['symbol']}")
        return tuple(found)

    @property
    def published(self) -> datetime | None:
        raw = self.headers.get("published", "").strip()
        if not raw:
            return None
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment

    @property
    def release_id(self) -> str:
        """The wire's id when the header gives one, else a stable digest of the text."""
        given = self.headers.get("release-id", "").strip()
        return given or "sha1-" + hashlib.sha1(self.text.encode()).hexdigest()[:16]

    def to_event(self, *, feed: str, published_fallback: date) -> ReleaseReceived:
        published = self.published or datetime.combine(
            published_fallback, datetime.min.time(), tzinfo=UTC
        )
        return ReleaseReceived(
            release_id=self.release_id,
            feed=feed,
            url=self.headers.get("source", ""),
            title=self.title,
            published_at=published,
            company=self.company,
            tickers=self.tickers,
            text=self.text,
        )


def parse_release_file(content: str, name: str = "release") -> ReleaseFile:
    """Split a release file into headers and body; no header block means all body."""
    lines = content.splitlines()
    headers: dict[str, str] = {}
    for index, line in enumerate(lines):
        if line.strip() == "---":
            if headers:
                body = "\n".join(lines[index + 1 :]).strip("\n")
                return ReleaseFile(name=name, text=body, headers=headers)
            break
        match = _HEADER.match(line)
        if match is None:
            break
        headers[match[1]] = match[2].strip()
    return ReleaseFile(name=name, text=content.strip("\n"))


def read_release_file(path: Path) -> ReleaseFile:
    try:
        content = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ReleaseFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_release_file(content, name=path.stem)
