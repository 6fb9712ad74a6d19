"""The alert reactor: each fresh release's facts → one Slack message per channel, in the outbox.

A catch-up subscriber. It follows releases, their trial events (those the
extractor read and those the guidance tracker inferred), feed health and
channels' watches, and writes decided alerts to the outbox (``bot.slack.outbox``)
in the unit of work that stores its checkpoint: after a crash the page is
handled again and the alert decided again, with the same id, so it is never
lost and never queued twice. Delivery is a separate step.

**One message per release.** A release's facts arrive in stages: the
extraction stage appends what the release says, then the guidance tracker
what it implies ("Phase 2 start moved earlier"). A release is decided once
every stage in ``after`` has handled it: the reactor records a watermark (the
log's head) when one stage is done, and waits for the next stage's checkpoint
to pass it, then for its own position to pass the last watermark, so every
event of the release is in hand. A stage that never gets there is waited for
at most ``settle_timeout``.

**History never alerts.** Releases recorded as backfill, events whose
metadata says ``history``, events of releases the reactor did not see arrive
(before alerts were switched on, ``start``), events added to a release after
it was decided (a re-extraction), and anything older than ``max_delay``
(a replay, a re-extraction of old releases) are passed over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta

import msgspec

from bot.aio import first_of
from bot.clock import Clock, system_clock, to_micros
from bot.eventlog import CatchUpSubscription, EventLog, RecordedEvent, UnitOfWork
from bot.eventlog.subscription import CheckpointMovedError
from bot.events import DOMAIN_EVENTS, ReleaseReceived, event_id
from bot.events.feed import FeedFailing, FeedRecovered
from bot.events.slack import ChannelUnwatched, ChannelWatched
from bot.events.trial import TRIAL_EVENT_TYPES, GuidanceIssued, GuidanceMoved, TrialEvent, drug_key
from bot.slack import messages
from bot.slack.messages import Message
from bot.slack.outbox import Alert, enqueue, queue_key
from handlers.documents import DECODER as COMPANY_DECODER
from handlers.documents import CompanyDoc
from handlers.identity import company_key
from handlers.milestones import milestone_key
from handlers.routing import Routing, importance, order_key
from handlers.trial_state import NAMESPACE as TRIAL_STATE

logger = logging.getLogger(__name__)

NAME = "slack-alerts"
PENDING = "slack-pending"
WATCHES = "slack-watches"
STARTED = "slack-started"
UPSTREAM = ("extraction", "guidance-tracker")
TYPES = (
    ReleaseReceived.TYPE,
    FeedFailing.TYPE,
    FeedRecovered.TYPE,
    ChannelWatched.TYPE,
    ChannelUnwatched.TYPE,
    *(cls.TYPE for cls in TRIAL_EVENT_TYPES),
)
_TRIAL_TYPES = frozenset(cls.TYPE for cls in TRIAL_EVENT_TYPES)


class PendingEvent(msgspec.Struct, frozen=True):
    position: int
    type: str
    version: int
    data: str
    inferred: bool = False


class PendingRelease(msgspec.Struct, kw_only=True):
    """A fresh release waiting for its facts; its stage and watermark say how far they are."""

    release_id: str
    position: int
    seen_us: int
    company: str
    name: str
    tickers: list[str]
    title: str
    url: str
    published: date | None
    stage: int = 0
    watermark: int = 0
    events: list[PendingEvent] = []


_PENDING = msgspec.json.Decoder(PendingRelease)
_WATCHES = msgspec.json.Decoder(dict[str, bool])
_ENCODER = msgspec.json.Encoder()


class AlertReactor:
    """Decides alerts; see the module's docstring for when and which."""

    name = NAME
    types = TYPES

    def __init__(
        self,
        log: EventLog,
        routing: Routing,
        *,
        clock: Clock = system_clock,
        after: Sequence[str] = UPSTREAM,
        max_delay: timedelta = timedelta(hours=24),
        settle_timeout: timedelta = timedelta(minutes=2),
    ) -> None:
        if not after:
            raise ValueError("the reactor needs at least the extraction stage in `after`")
        self.log = log
        self.routing = routing
        self.clock = clock
        self.after = tuple(after)
        self.max_delay_us = int(max_delay.total_seconds() * 1_000_000)
        self.settle_timeout_us = int(settle_timeout.total_seconds() * 1_000_000)
        self.decided = 0  # alerts queued so far by this process; delivery watches it
        self._pending: dict[str, PendingRelease] | None = None
        self._watches: dict[str, dict[str, bool]] = {}

    @property
    def waiting(self) -> int:
        """Releases waiting for their facts."""
        return len(self._pending or {})

    def discard(self) -> None:
        """The page's transaction failed: forget what was changed in memory."""
        self._pending = None
        self._watches.clear()

    async def handle(self, uow: UnitOfWork, events: Sequence[RecordedEvent]) -> None:
        pending = await self._load()
        changed: set[str] = set()
        for recorded in events:
            kind = recorded.type
            if kind in _TRIAL_TYPES:
                release_id = self._fact(pending, recorded)
                if release_id is not None:
                    changed.add(release_id)
            elif kind == ReleaseReceived.TYPE:
                release = DOMAIN_EVENTS.decode_as(
                    ReleaseReceived, recorded.schema_version, recorded.data
                )
                if (
                    self._fresh(recorded)
                    and not release.backfill
                    and release.release_id not in pending
                ):
                    pending[release.release_id] = _pending(recorded, release)
                    changed.add(release.release_id)
            elif kind in (FeedFailing.TYPE, FeedRecovered.TYPE):
                if self._fresh(recorded):
                    await self._feed_health(uow, recorded)
            elif kind in (ChannelWatched.TYPE, ChannelUnwatched.TYPE):
                await self._watch(uow, recorded)
        await self._settle(uow, events[-1].position, changed)

    async def settle(self) -> int:
        """Decide the releases whose stages have caught up since the last page; returns
        how many alerts were queued. Run it when no new event arrives to wake the reactor."""
        before = self.decided
        try:
            async with self.log.transaction() as uow:
                position = await uow.get_checkpoint(self.name)
                await self._settle(uow, position, set())
        except BaseException:
            self.discard()
            raise
        return self.decided - before

    # -- what arrives --------------------------------------------------------------

    def _fresh(self, recorded: RecordedEvent) -> bool:
        return to_micros(self.clock()) - recorded.recorded_us <= self.max_delay_us

    def _fact(self, pending: dict[str, PendingRelease], recorded: RecordedEvent) -> str | None:
        metadata = msgspec.json.decode(recorded.metadata)
        if not isinstance(metadata, dict) or metadata.get("history"):
            return None
        release_id = str(metadata.get("release_id", ""))
        waiting = pending.get(release_id)
        if waiting is None:
            return None  # not seen arriving, or decided already: history either way
        waiting.events.append(
            PendingEvent(
                position=recorded.position,
                type=recorded.type,
                version=recorded.schema_version,
                data=recorded.data.decode(),
                inferred=bool(metadata.get("inferred_by")),
            )
        )
        return release_id

    async def _feed_health(self, uow: UnitOfWork, recorded: RecordedEvent) -> None:
        event = DOMAIN_EVENTS.decode(recorded.type, recorded.schema_version, recorded.data)
        if isinstance(event, FeedFailing):
            message = messages.feed_failing(event)
        else:
            assert isinstance(event, FeedRecovered)
            message = messages.feed_recovered(event)
        for channel in sorted(self.routing.ops_channels()):
            await self._enqueue(
                uow,
                self._alert(
                    str(recorded.event_id),
                    recorded.position,
                    channel,
                    message,
                    header=f"{channel} · feed {getattr(event, 'feed', '')}",
                ),
            )

    async def _watch(self, uow: UnitOfWork, recorded: RecordedEvent) -> None:
        event = DOMAIN_EVENTS.decode(recorded.type, recorded.schema_version, recorded.data)
        assert isinstance(event, ChannelWatched | ChannelUnwatched)
        watches = await self._watches_of(uow, event.company)
        watches[event.channel] = isinstance(event, ChannelWatched)
        await uow.put_state(WATCHES, event.company, _ENCODER.encode(watches))

    async def _watches_of(self, uow: UnitOfWork, company: str) -> dict[str, bool]:
        found = self._watches.get(company)
        if found is None:
            raw = await uow.get_state(WATCHES, company)
            found = self._watches[company] = _WATCHES.decode(raw) if raw else {}
        return found

    # -- deciding --------------------------------------------------------------------

    async def _settle(self, uow: UnitOfWork, position: int, changed: set[str]) -> None:
        pending = await self._load()
        now = to_micros(self.clock())
        for release_id, waiting in list(pending.items()):
            while waiting.stage < len(self.after):
                if await uow.get_checkpoint(self.after[waiting.stage]) < waiting.watermark:
                    break
                # Read after the checkpoint: every event that stage appended is below it.
                waiting.stage += 1
                waiting.watermark = await self.log.last_position()
                changed.add(release_id)
            ready = waiting.stage == len(self.after) and position >= waiting.watermark
            if not ready and now - waiting.seen_us > self.settle_timeout_us:
                logger.warning(
                    "release %s: %s has not caught up; alerting what is known",
                    release_id,
                    self.after[min(waiting.stage, len(self.after) - 1)],
                    extra={"release_id": release_id},
                )
                ready = True
            if ready:
                await self._decide(uow, waiting, position)
                del pending[release_id]
                await uow.delete_state(PENDING, release_id)
                changed.discard(release_id)
        if changed:
            await uow.put_states(
                PENDING, [(key, _ENCODER.encode(pending[key])) for key in sorted(changed)]
            )

    async def _decide(self, uow: UnitOfWork, waiting: PendingRelease, position: int) -> None:
        items = _facts(waiting)
        if not items:
            return
        doc = await self._company(uow, waiting.company)
        watches = await self._watches_of(uow, waiting.company)
        by_channel: dict[str, list[messages.AlertItem]] = defaultdict(list)
        for event, inferred in items:
            channels = self.routing.channels(
                waiting.company,
                drug_key(event.drug),
                event.TYPE,
                importance(event),
                {waiting.company: watches},
            )
            item = messages.AlertItem(
                event=event, inferred=inferred, context=_context(doc, event.drug)
            )
            for channel in channels:
                by_channel[channel].append(item)
        header = messages.ReleaseHeader(
            release_id=waiting.release_id,
            title=waiting.title,
            url=waiting.url,
            company=waiting.name,
            tickers=tuple(waiting.tickers),
            published=waiting.published,
        )
        for channel in sorted(by_channel):
            await self._enqueue(
                uow,
                self._alert(
                    waiting.release_id,
                    waiting.position,
                    channel,
                    messages.alert(header, by_channel[channel]),
                    header=f"{channel} · {waiting.name or waiting.company}",
                ),
            )

    def _alert(
        self, subject: str, position: int, channel: str, message: Message, *, header: str
    ) -> Alert:
        """The alert for ``channel`` about ``subject`` (a release or a feed event): one id
        per subject and channel, queued in log order."""
        alert_id = str(event_id("slack-alert", subject, channel))
        return Alert(
            alert_id=alert_id,
            channel=channel,
            subject=subject,
            text=message.text,
            blocks=message.blocks,
            queue_key=queue_key(position, alert_id),
            decided_us=to_micros(self.clock()),
            header=header,
        )

    async def _enqueue(self, uow: UnitOfWork, alert: Alert) -> None:
        if await enqueue(uow, alert):
            self.decided += 1
            logger.info(
                "alert decided for %s",
                alert.channel,
                extra={"alert_id": alert.alert_id, "release_id": alert.subject},
            )

    async def _company(self, uow: UnitOfWork, key: str) -> CompanyDoc | None:
        raw = await uow.get_state(TRIAL_STATE, key)
        return None if raw is None else COMPANY_DECODER.decode(raw)

    async def _load(self) -> dict[str, PendingRelease]:
        if self._pending is None:
            self._pending = {
                key: _PENDING.decode(raw) for key, raw in await self.log.scan_state(PENDING)
            }
        return self._pending


def _pending(recorded: RecordedEvent, release: ReleaseReceived) -> PendingRelease:
    return PendingRelease(
        release_id=release.release_id,
        position=recorded.position,
        seen_us=recorded.recorded_us,
        company=company_key(release.tickers, release.company),
        name=release.company,
        tickers=list(release.tickers),
        title=release.title,
        url=release.url,
        published=release.published_at.date(),
        watermark=recorded.position,
    )


def _facts(waiting: PendingRelease) -> list[tuple[TrialEvent, bool]]:
    """The release's events, most important first, without what another fact says better."""
    decoded = []
    for item in waiting.events:
        event = DOMAIN_EVENTS.decode(item.type, item.version, item.data.encode())
        assert isinstance(event, TrialEvent)
        decoded.append((event, item.inferred, item.position))
    moved = {
        milestone_key(e.milestone, e.drug) for e, _, _ in decoded if isinstance(e, GuidanceMoved)
    }
    kept = [
        (event, inferred, position)
        for event, inferred, position in decoded
        if not (
            isinstance(event, GuidanceIssued)
            and milestone_key(event.milestone, event.drug) in moved
        )
    ]
    kept.sort(key=lambda item: order_key(item[0], item[2]))
    return [(event, inferred) for event, inferred, _ in kept]


def _context(doc: CompanyDoc | None, drug: str | None) -> messages.TrialContext | None:
    if doc is None:
        return None
    found = doc.drug(drug_key(drug))
    if found is None or not found.trials:
        return None
    trial = max(found.trials, key=lambda t: t.updated_seq)
    return messages.TrialContext(phase=trial.phase or None, indication=trial.indication)


async def start(log: EventLog) -> int:
    """Switch alerts on: the first time, the reactor starts at the head of the log, so the
    history already there never alerts (the channels' watches there still count).
    Returns the position it starts from."""
    async with log.transaction() as uow:
        if await uow.get_state(STARTED, NAME) is None:
            head = await log.last_position()
            if await uow.get_checkpoint(NAME) < head:
                watches: dict[str, dict[str, bool]] = {}
                kinds = (ChannelWatched.TYPE, ChannelUnwatched.TYPE)
                async for recorded in log.read(types=kinds):
                    if recorded.position > head:
                        break
                    event = DOMAIN_EVENTS.decode(
                        recorded.type, recorded.schema_version, recorded.data
                    )
                    assert isinstance(event, ChannelWatched | ChannelUnwatched)
                    on = isinstance(event, ChannelWatched)
                    watches.setdefault(event.company, {})[event.channel] = on
                await uow.put_states(
                    WATCHES, [(key, _ENCODER.encode(value)) for key, value in watches.items()]
                )
                await uow.save_checkpoint(NAME, head)
            await uow.put_state(STARTED, NAME, str(head).encode())
        return await uow.get_checkpoint(NAME)


async def run(
    log: EventLog,
    reactor: AlertReactor,
    stop: asyncio.Event,
    *,
    on_decided: Callable[[], None] = lambda: None,
    tick: float = 0.25,
    max_backoff: float = 30.0,
) -> None:
    """Follow the log until ``stop``: handle new events, settle waiting releases, and call
    ``on_decided`` whenever alerts were queued. While releases wait for another stage,
    look again every ``tick`` seconds (a stage may move without appending anything)."""
    subscription = CatchUpSubscription(log, reactor)
    backoff = 0.5
    while not stop.is_set():
        before = reactor.decided
        try:
            await subscription.catch_up()
            await reactor.settle()
            backoff = 0.5
        except CheckpointMovedError:
            continue
        except Exception:
            logger.exception("the alert reactor failed; retrying in %.1fs", backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, max_backoff)
            continue
        if reactor.decided != before:
            on_decided()
        waits: list[Awaitable[object]] = [
            stop.wait(),
            log.wait_for_events(subscription.position),
        ]
        if reactor.waiting:
            waits.append(asyncio.sleep(tick))
        await first_of(*waits)
