"""What the poller knows about a feed: its spec, its persisted state, its items.

Pure values. The state is stored as JSON beside the log (namespace ``feeds``)
and committed in the same unit of work as the releases it led to.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime

MAX_KNOWN_GUIDS = 200


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedSpec:
    """A configured feed: where it is and how often to ask."""

    name: str
    url: str
    interval: float = 60.0
    # Only releases of these tickers or companies are kept; empty keeps everything.
    watch_tickers: frozenset[str] = frozenset()
    watch_companies: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedItem:
    """One release as a feed announces it (the body comes from the release page)."""

    release_id: str
    guid: str
    url: str
    title: str
    published_at: datetime | None
    company: str = ""
    tickers: tuple[str, ...] = ()
    teaser: str = ""


class ErrorKind(enum.StrEnum):
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    HTTP_CLIENT = "http-4xx"
    HTTP_SERVER = "http-5xx"
    RATE_LIMITED = "rate-limited"
    TOO_LARGE = "too-large"
    BAD_ENCODING = "bad-encoding"
    REDIRECT_LOOP = "redirect-loop"
    MALFORMED = "malformed-feed"


@dataclass(frozen=True, kw_only=True, slots=True)
class FetchError:
    kind: ErrorKind
    message: str
    status: int | None = None
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        """Worth asking again soon; a 404 or 410 is retried too, only more slowly."""
        return self.kind is not ErrorKind.HTTP_CLIENT


@dataclass(frozen=True, kw_only=True, slots=True)
class PendingItem:
    """An item whose release page is still to be read (history, or a page that failed)."""

    item: FeedItem
    attempts: int = 0
    last_error: str = ""
    # Found on the first poll: recorded as history, never alerted, read a few per poll.
    history: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedState:
    """Everything about a feed that must survive a restart."""

    etag: str | None = None
    last_modified: str | None = None
    # Where a permanent redirect (301/308) sent us; used instead of the spec's URL.
    moved_to: str | None = None
    next_check_at: datetime | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_kind: str | None = None
    last_error_at: datetime | None = None
    items_seen: int = 0
    polls: int = 0
    not_modified: int = 0
    reported_failing: bool = False
    # GUIDs of the items of recent responses: what was seen needs no second look.
    known_guids: tuple[str, ...] = ()
    # Items whose page could not be fetched yet, retried on later polls.
    pending: tuple[PendingItem, ...] = field(default=())

    @property
    def first_poll(self) -> bool:
        return self.last_success_at is None and not self.known_guids

    def remember(self, guids: list[str]) -> FeedState:
        merged = list(dict.fromkeys([*guids, *self.known_guids]))[:MAX_KNOWN_GUIDS]
        return replace(self, known_guids=tuple(merged))


class Health(enum.StrEnum):
    NEW = "new"
    OK = "ok"
    BACKING_OFF = "backing off"
    FAILING = "failing"


FAILING_AFTER = 3


def health(state: FeedState) -> Health:
    """A feed is failing after FAILING_AFTER failures in a row; it is never dropped."""
    if state.consecutive_failures >= FAILING_AFTER:
        return Health.FAILING
    if state.consecutive_failures:
        return Health.BACKING_OFF
    if state.last_success_at is None:
        return Health.NEW
    return Health.OK
