"""One poll of one feed: fetch, find what is new, read its pages, record it all at once.

The feed's state (validators, known GUIDs, pending items, health) and the
releases it led to are committed in one unit of work: after a crash either
both are stored or the next poll sees the same items again and the log's
idempotent ids keep them single.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

import aiohttp
import msgspec

from bot.clock import Clock
from bot.eventlog import EventLog, NewEvent, UnitOfWork
from bot.events import EventRegistry, ReleaseReceived, event_id
from bot.events.feed import FeedFailing, FeedRecovered, feed_stream
from bot.events.release import release_stream
from bot.feeds.fetch import FetchFailed, Limits, fetch
from bot.feeds.model import (
    FAILING_AFTER,
    ErrorKind,
    FeedItem,
    FeedSpec,
    FeedState,
    FetchError,
    PendingItem,
)
from bot.feeds.parse import parse_feed
from bot.feeds.schedule import Backoff, due, next_check
from bot.releases.fetch import fetch_release, release_from

log = logging.getLogger(__name__)

STATE_NAMESPACE = "feeds"


@dataclass(frozen=True, kw_only=True, slots=True)
class PollerSettings:
    feed_limits: Limits = field(default_factory=Limits)
    page_limits: Limits = field(default_factory=Limits)
    backoff: Backoff = field(default_factory=Backoff)
    # Items already in a feed the first time it is polled are history: recorded, never alerted.
    alert_first_poll: bool = False
    # After this many failed page fetches an item is recorded with the feed's teaser as text.
    max_page_attempts: int = 5
    page_concurrency: int = 8


@dataclass(kw_only=True, slots=True)
class PollOutcome:
    feed: str
    status: str  # "skipped", "not-modified", "updated", "failed"
    new_releases: int = 0
    pending: int = 0
    error: FetchError | None = None
    problem: str | None = None
    recorded: list[str] = field(default_factory=list)


def load_state(raw: bytes | None) -> FeedState:
    return FeedState() if raw is None else msgspec.json.decode(raw, type=FeedState)


async def feed_states(event_log: EventLog) -> dict[str, FeedState]:
    """Every feed's stored state, by name (for ``trialwire feeds`` and /healthz)."""
    return {name: load_state(raw) for name, raw in await event_log.scan_state(STATE_NAMESPACE)}


class FeedPoller:
    """Polls feeds into the log. One instance serves every feed of a daemon."""

    def __init__(
        self,
        event_log: EventLog,
        session: aiohttp.ClientSession,
        registry: EventRegistry,
        *,
        clock: Clock,
        random: Callable[[], float],
        settings: PollerSettings = PollerSettings(),
    ) -> None:
        self.log = event_log
        self.session = session
        self.registry = registry
        self.clock = clock
        self.random = random
        self.settings = settings
        self._pages = asyncio.Semaphore(settings.page_concurrency)
        self._in_flight: set[str] = set()

    async def state(self, name: str) -> FeedState:
        return load_state(await self.log.get_state(STATE_NAMESPACE, name))

    async def poll(self, spec: FeedSpec, *, force: bool = False) -> PollOutcome:
        """Poll ``spec`` if it is due (or ``force``); never raises for a feed's failure."""
        state = await self.state(spec.name)
        now = self.clock()
        if not force and not due(state, now):
            return PollOutcome(feed=spec.name, status="skipped")
        url = state.moved_to or spec.url
        backfill = state.last_success_at is None and not self.settings.alert_first_poll
        try:
            fetched = await fetch(
                self.session,
                url,
                etag=state.etag,
                last_modified=state.last_modified,
                limits=self.settings.feed_limits,
            )
        except FetchFailed as failed:
            return await self._failed(spec, state, failed.error)

        state = replace(
            state,
            polls=state.polls + 1,
            moved_to=fetched.moved_to or state.moved_to,
            etag=fetched.etag or state.etag,
            last_modified=fetched.last_modified or state.last_modified,
        )
        if fetched.moved_to:
            log.warning(
                "feed moved permanently", extra={"feed": spec.name, "url": fetched.moved_to}
            )
        outcome = PollOutcome(feed=spec.name, status="not-modified")
        items: list[FeedItem] = []
        if fetched.not_modified:
            state = replace(state, not_modified=state.not_modified + 1)
        else:
            parsed = parse_feed(fetched.body, fetched.headers, skip=set(state.known_guids))
            outcome.status = "updated"
            if parsed.problem:
                outcome.problem = parsed.problem
                log.warning(
                    "malformed feed, used what could be read",
                    extra={
                        "feed": spec.name,
                        "problem": parsed.problem,
                        "items": len(parsed.items),
                    },
                )
                if not parsed.items and not parsed.known:
                    error = FetchError(kind=ErrorKind.MALFORMED, message=parsed.problem)
                    return await self._failed(spec, state, error)
            items = parsed.items
            state = replace(state, items_seen=state.items_seen + len(items)).remember(
                [*parsed.known, *(item.guid for item in items)]
            )
        return await self._record(spec, state, _watched(spec, items), outcome, backfill=backfill)

    async def _record(
        self,
        spec: FeedSpec,
        state: FeedState,
        items: list[FeedItem],
        outcome: PollOutcome,
        *,
        backfill: bool,
    ) -> PollOutcome:
        candidates = await self._unrecorded([*(p.item for p in state.pending), *items])
        attempts = {p.item.release_id: p.attempts for p in state.pending}
        releases, pending = await self._read_pages(spec, candidates, attempts, backfill)
        now = self.clock()
        recovered = state.reported_failing
        previous = state
        state = replace(
            state,
            pending=tuple(pending),
            consecutive_failures=0,
            failing_since=None,
            reported_failing=False,
            last_success_at=now,
            next_check_at=self._next(replace(state, consecutive_failures=0), now, spec, None),
        )
        async with self.log.transaction() as uow:
            for release in releases:
                result = await uow.append(
                    release_stream(release.release_id), [self._event(release)]
                )
                if not result.noop:
                    outcome.recorded.append(release.release_id)
            if recovered:
                await self._health_event(uow, spec, previous, recovered=True)
            await uow.put_state(STATE_NAMESPACE, spec.name, msgspec.json.encode(state))
        outcome.new_releases = len(outcome.recorded)
        outcome.pending = len(pending)
        if outcome.recorded:
            log.info("new releases", extra={"feed": spec.name, "releases": len(outcome.recorded)})
        return outcome

    async def _unrecorded(self, items: list[FeedItem]) -> list[FeedItem]:
        """Items whose release is not in the log yet, once each, none being read elsewhere."""
        unique = list({item.release_id: item for item in items}.values())
        ids = {item.release_id: self._release_event_id(item.release_id) for item in unique}
        stored = await self.log.existing(ids.values())
        return [
            item
            for item in unique
            if ids[item.release_id] not in stored and item.release_id not in self._in_flight
        ]

    async def _read_pages(
        self,
        spec: FeedSpec,
        items: list[FeedItem],
        attempts: dict[str, int],
        backfill: bool,
    ) -> tuple[list[ReleaseReceived], list[PendingItem]]:
        async def read(item: FeedItem) -> ReleaseReceived | PendingItem:
            async with self._pages:
                try:
                    return await fetch_release(
                        self.session,
                        item,
                        feed=spec.name,
                        limits=self.settings.page_limits,
                        backfill=backfill,
                    )
                except FetchFailed as failed:
                    tries = attempts.get(item.release_id, 0) + 1
                    log.warning(
                        "release page failed",
                        extra={"feed": spec.name, "release_id": item.release_id,
                               "error": failed.error.message, "attempt": tries},
                    )  # fmt: skip
                    if tries >= self.settings.max_page_attempts and item.published_at:
                        return release_from(item, None, feed=spec.name, backfill=backfill)
                    return PendingItem(item=item, attempts=tries, last_error=failed.error.message)

        self._in_flight.update(item.release_id for item in items)
        try:
            results = await asyncio.gather(*(read(item) for item in items))
        finally:
            self._in_flight.difference_update(item.release_id for item in items)
        releases = [r for r in results if isinstance(r, ReleaseReceived)]
        pending = [r for r in results if isinstance(r, PendingItem)]
        return releases, pending

    async def _failed(self, spec: FeedSpec, state: FeedState, error: FetchError) -> PollOutcome:
        now = self.clock()
        failures = state.consecutive_failures + 1
        state = replace(
            state,
            polls=state.polls + 1,
            consecutive_failures=failures,
            failing_since=state.failing_since or now,
            last_error=error.message,
            last_error_kind=error.kind.value,
            last_error_at=now,
        )
        state = replace(state, next_check_at=self._next(state, now, spec, error))
        report = failures >= FAILING_AFTER and not state.reported_failing
        log.warning(
            "feed poll failed",
            extra={"feed": spec.name, "error": error.message, "kind": error.kind.value,
                   "failures": failures, "next_check_at": str(state.next_check_at)},
        )  # fmt: skip
        async with self.log.transaction() as uow:
            if report:
                await self._health_event(uow, spec, state, recovered=False)
                state = replace(state, reported_failing=True)
            await uow.put_state(STATE_NAMESPACE, spec.name, msgspec.json.encode(state))
        return PollOutcome(feed=spec.name, status="failed", error=error)

    async def _health_event(
        self, uow: UnitOfWork, spec: FeedSpec, state: FeedState, *, recovered: bool
    ) -> None:
        since = state.failing_since or self.clock()
        url = state.moved_to or spec.url
        event: FeedFailing | FeedRecovered
        if recovered:
            event = FeedRecovered(
                feed=spec.name, url=url, failures=state.consecutive_failures, since=since
            )
        else:
            event = FeedFailing(
                feed=spec.name,
                url=url,
                error=state.last_error or "",
                kind=state.last_error_kind or "",
                failures=state.consecutive_failures,
                since=since,
            )
        new = NewEvent.from_domain(
            self.registry,
            event,
            event_id=event_id(event.TYPE, spec.name, since.isoformat()),
            occurred_at=self.clock(),
        )
        await uow.append(feed_stream(spec.name), [new])

    def _next(
        self, state: FeedState, now: datetime, spec: FeedSpec, error: FetchError | None
    ) -> datetime:
        return next_check(
            state,
            now,
            interval=spec.interval,
            error=error,
            backoff=self.settings.backoff,
            random=self.random,
        )

    def _event(self, release: ReleaseReceived) -> NewEvent:
        return NewEvent.from_domain(
            self.registry,
            release,
            event_id=self._release_event_id(release.release_id),
            occurred_at=release.published_at,
        )

    @staticmethod
    def _release_event_id(release_id: str) -> UUID:
        return event_id(ReleaseReceived.TYPE, release_id)


def _watched(spec: FeedSpec, items: Collection[FeedItem]) -> list[FeedItem]:
    """The items of watched companies; all of them when the feed watches nothing."""
    if not spec.watch_tickers and not spec.watch_companies:
        return list(items)
    names = [name.lower() for name in spec.watch_companies]
    kept = []
    for item in items:
        symbols = {ticker.rpartition(":")[2].strip().upper() for ticker in item.tickers}
        company = item.company.lower()
        if symbols & spec.watch_tickers or any(name in company for name in names):
            kept.append(item)
    return kept
