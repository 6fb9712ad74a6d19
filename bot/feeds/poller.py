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
from datetime import date, datetime, timedelta

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
from bot.releases.record import release_event, release_event_id

log = logging.getLogger(__name__)

STATE_NAMESPACE = "feeds"
# A feed's counters and next check are written at least this often when nothing else changes.
QUIET_WRITE_EVERY = timedelta(minutes=5)


@dataclass(frozen=True, kw_only=True, slots=True)
class PollerSettings:
    feed_limits: Limits = field(default_factory=Limits)
    page_limits: Limits = field(default_factory=Limits)
    backoff: Backoff = field(default_factory=Backoff)
    # Items already in a feed the first time it is polled are history: recorded, never alerted.
    alert_first_poll: bool = False
    # After this many failed page fetches an item is recorded with the feed's teaser as text.
    max_page_attempts: int = 5
    # History pages read per poll after the first (``trialwire backfill`` reads them all).
    history_per_poll: int = 4
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
        self._states: dict[str, FeedState] = {}
        self._saving: dict[str, FeedState] = {}
        self._written: dict[str, FeedState] = {}

    async def state(self, name: str) -> FeedState:
        """The feed's state: read from the log once, then kept here as it is saved."""
        state = self._states.get(name)
        if state is None:
            state = self._states[name] = load_state(await self.log.get_state(STATE_NAMESPACE, name))
        return state

    async def _save(self, uow: UnitOfWork, name: str, state: FeedState) -> None:
        await uow.put_state(STATE_NAMESPACE, name, msgspec.json.encode(state))
        # Dropped first: if the transaction fails, the next poll reads what was committed.
        self._states.pop(name, None)
        self._saving[name] = state

    def _committed(self, name: str) -> None:
        if (state := self._saving.pop(name, None)) is not None:
            self._states[name] = self._written[name] = state

    def _only_counters_changed(self, name: str, state: FeedState, now: datetime) -> bool:
        written = self._written.get(name)
        if written is None or written.last_success_at is None:
            return False
        if now - written.last_success_at > QUIET_WRITE_EVERY:
            return False
        volatile = {"polls": 0, "not_modified": 0, "next_check_at": None, "last_success_at": None}
        return replace(state, **volatile) == replace(written, **volatile)  # type: ignore[arg-type]

    async def poll(self, spec: FeedSpec, *, force: bool = False) -> PollOutcome:
        """Poll ``spec`` if it is due (or ``force``); never raises for a feed's failure."""
        state = await self.state(spec.name)
        now = self.clock()
        if not force and not due(state, now):
            return PollOutcome(feed=spec.name, status="skipped")
        url = state.moved_to or spec.url
        first_poll = state.last_success_at is None and not self.settings.alert_first_poll
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
        return await self._record(
            spec, state, _watched(spec, items), outcome, first_poll=first_poll
        )

    async def _record(
        self,
        spec: FeedSpec,
        state: FeedState,
        items: list[FeedItem],
        outcome: PollOutcome,
        *,
        first_poll: bool,
    ) -> PollOutcome:
        fresh = [PendingItem(item=item, history=first_poll) for item in items]
        queue = list({p.item.release_id: p for p in reversed([*state.pending, *fresh])}.values())[
            ::-1
        ]
        # New items are read at once; history a few per poll, and not on the first
        # poll, so a new feed (or a first start) does not flood the site.
        budget = 0 if first_poll else self.settings.history_per_poll
        current = [p for p in queue if not p.history]
        history = [p for p in queue if p.history]
        releases, failed = await self._read_pages(
            spec, await self._unrecorded([*current, *history[:budget]])
        )
        pending = [*failed, *history[budget:]]
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
        if not releases and not recovered and self._only_counters_changed(spec.name, state, now):
            # A quiet poll (a 304, say) changes nothing a restart would need soon:
            # it is kept here and written with the next change or a few minutes on.
            self._states[spec.name] = state
        else:
            async with self.log.transaction() as uow:
                for release in releases:
                    result = await uow.append(
                        release_stream(release.release_id), [release_event(self.registry, release)]
                    )
                    if not result.noop:
                        outcome.recorded.append(release.release_id)
                if recovered:
                    await self._health_event(uow, spec, previous, recovered=True)
                await self._save(uow, spec.name, state)
            self._committed(spec.name)
        outcome.new_releases = len(outcome.recorded)
        outcome.pending = len(pending)
        if outcome.recorded:
            log.info("new releases", extra={"feed": spec.name, "releases": len(outcome.recorded)})
        return outcome

    async def backfill(
        self,
        spec: FeedSpec,
        *,
        since: date | None = None,
        progress: Callable[[int, int], None] = lambda done, total: None,
        page_size: int = 50,
        max_pages: int = 40,
    ) -> int:
        """Read every history page the feed still owes, and with ``since`` its older items too.

        Releases are recorded as history (never alerted), a batch at a time,
        each batch committed with the feed's remaining queue. Returns how many
        releases were recorded; ``progress(done, total)`` follows along.
        """
        state = await self.state(spec.name)
        older: list[PendingItem] = []
        if since is not None:
            older = await self._older_items(spec, since, page_size=page_size, max_pages=max_pages)
        queue = await self._unrecorded([*(replace(p, history=True) for p in state.pending), *older])
        done = recorded = 0
        progress(0, len(queue))
        for start in range(0, len(queue), page_size):
            batch = queue[start : start + page_size]
            releases, failed = await self._read_pages(spec, batch)
            read = {p.item.release_id for p in batch}
            async with self.log.transaction() as uow:
                for release in releases:
                    result = await uow.append(
                        release_stream(release.release_id), [release_event(self.registry, release)]
                    )
                    recorded += 0 if result.noop else 1
                current = load_state(await uow.get_state(STATE_NAMESPACE, spec.name))
                keep = [p for p in current.pending if p.item.release_id not in read]
                current = replace(current, pending=(*keep, *failed))
                await self._save(uow, spec.name, current)
            self._committed(spec.name)
            done += len(batch)
            progress(done, len(queue))
        return recorded

    async def _older_items(
        self, spec: FeedSpec, since: date, *, page_size: int, max_pages: int
    ) -> list[PendingItem]:
        found: dict[str, PendingItem] = {}
        for page in range(max_pages):
            url = history_url(spec.url, since=since, max_items=page_size, start=page * page_size)
            try:
                fetched = await fetch(self.session, url, limits=self.settings.feed_limits)
            except FetchFailed as failed:
                log.warning(
                    "backfill page failed", extra={"feed": spec.name, "error": failed.error.message}
                )
                break
            items = [
                item
                for item in _watched(spec, parse_feed(fetched.body, fetched.headers).items)
                if item.published_at is None or item.published_at.date() >= since
            ]
            fresh = [item for item in items if item.release_id not in found]
            for item in fresh:
                found[item.release_id] = PendingItem(item=item, history=True)
            if not fresh or len(items) < page_size:
                break
        return list(found.values())

    async def _unrecorded(self, queue: list[PendingItem]) -> list[PendingItem]:
        """Queued items whose release is not in the log yet, once each, none read elsewhere."""
        unique = list({p.item.release_id: p for p in reversed(queue)}.values())[::-1]
        ids = {p.item.release_id: release_event_id(p.item.release_id) for p in unique}
        stored = await self.log.existing(ids.values())
        return [
            p
            for p in unique
            if ids[p.item.release_id] not in stored and p.item.release_id not in self._in_flight
        ]

    async def _read_pages(
        self, spec: FeedSpec, queue: list[PendingItem]
    ) -> tuple[list[ReleaseReceived], list[PendingItem]]:
        """Read each item's page; failures come back as pending, or, after the last
        attempt, as a release made of the feed's teaser."""

        async def read(queued: PendingItem) -> ReleaseReceived | PendingItem:
            item = queued.item
            async with self._pages:
                try:
                    return await fetch_release(
                        self.session,
                        item,
                        feed=spec.name,
                        limits=self.settings.page_limits,
                        backfill=queued.history,
                    )
                except FetchFailed as failed:
                    tries = queued.attempts + 1
                    log.warning(
                        "release page failed",
                        extra={"feed": spec.name, "release_id": item.release_id,
                               "error": failed.error.message, "attempt": tries},
                    )  # fmt: skip
                    if tries >= self.settings.max_page_attempts and item.published_at:
                        return release_from(item, None, feed=spec.name, backfill=queued.history)
                    return replace(queued, attempts=tries, last_error=failed.error.message)

        release_ids = [queued.item.release_id for queued in queue]
        self._in_flight.update(release_ids)
        try:
            results = await asyncio.gather(*(read(queued) for queued in queue))
        finally:
            self._in_flight.difference_update(release_ids)
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
            await self._save(uow, spec.name, state)
        self._committed(spec.name)
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


def history_url(feed_url: str, *, since: date, max_items: int, start: int) -> str:
    """A page of a feed's older items, in GlobeNewswire's feed URL grammar.

    ``StartDate``, ``Max`` and ``Start`` are documented for its feeds (the WpFeed
    readme shows them on ``RssFeed`` paths too); a feed that ignores them just
    returns its latest items, and paging stops when a page brings nothing new.
    """
    return f"{feed_url.rstrip('/')}/StartDate/{since:%Y%m%d}/Max/{max_items}/Start/{start}"
