"""Delivering the outbox to Slack exactly once.

For each queued alert, in the order decided:

1. its record is set to *sending* (the attempt and its start time committed)
   before the call, so a crash during the call leaves a trace;
2. ``chat.postMessage`` posts it with message metadata carrying its alert id;
3. the record becomes *sent* with Slack's ``ts``, and the queue entry goes.

An alert found *sending* — the process died during step 2, or Slack answered
with a server error or not at all — may or may not be in the channel. Before
sending it again, the channel's history since the attempt began is read
(``conversations.history`` with metadata); if the alert id is there, it is
marked sent. So a crash anywhere neither loses nor duplicates a message.

A rate limit (after slack-sdk's own retries) leaves the alert queued until
``Retry-After``; a refusal for good (unknown channel, invalid blocks) marks it
failed and is reported once per channel and reason; a bad token stops
delivery, reported once, until a restart with a good one: nothing is retried
forever. Run one delivery per log (one replica), as Slack has no
idempotency key to share between two.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.aio import first_of
from bot.clock import Clock, system_clock, to_micros
from bot.eventlog import EventLog
from bot.slack.client import (
    Posted,
    Sender,
    SlackAuthError,
    SlackChannelError,
    SlackError,
    SlackRateLimited,
    SlackRejected,
    SlackUnsure,
)
from bot.slack.outbox import (
    ALERT_DECODER,
    DELIVERY,
    DELIVERY_DECODER,
    ENCODER,
    OUTBOX,
    QUEUE,
    Alert,
)
from bot.slack.outbox import Delivery as Record

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Pass:
    """What one pass over the queue did."""

    sent: int = 0
    reconciled: int = 0
    failed: int = 0
    waiting: int = 0
    halted: str | None = None


@dataclass(kw_only=True)
class Delivery:
    """Sends what the reactor queued; ``run`` until stopped, or ``deliver`` one pass."""

    log: EventLog
    sender: Sender
    clock: Clock = system_clock
    # How far before an attempt's start its message may carry a Slack ``ts`` (clock skew).
    margin: timedelta = timedelta(minutes=10)
    backoff_base: float = 5.0
    backoff_cap: float = 300.0
    halted: str | None = None
    problems: list[str] = field(default_factory=list)
    # Told of each alert Slack accepted (for the daemon's alert latency metric).
    on_sent: Callable[[Alert], None] = lambda alert: None
    _reported: set[tuple[str, str]] = field(default_factory=set)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        """New alerts were queued: deliver now rather than at the next tick."""
        self._wake.set()

    async def deliver(self) -> Pass:
        """One pass over the queue, oldest first."""
        done = Pass(halted=self.halted)
        if self.halted:
            return done
        blocked: set[str] = set()  # channels that must wait, so their alerts keep their order
        for key, raw_id in await self.log.scan_state(QUEUE):
            alert_id = raw_id.decode()
            alert, record = await self._load(alert_id)
            if alert is None or record.status in ("sent", "failed"):
                async with self.log.transaction() as uow:
                    await uow.delete_state(QUEUE, key)  # done before a crash cleared it
                continue
            now = to_micros(self.clock())
            if alert.channel in blocked or (record.not_before_us or 0) > now:
                blocked.add(alert.channel)
                done.waiting += 1
                continue
            try:
                outcome = await self._attempt(alert, record, key)
            except SlackAuthError as exc:
                self.halt(exc)
                done.halted = self.halted
                break
            if outcome == "sent":
                done.sent += 1
            elif outcome == "reconciled":
                done.reconciled += 1
            elif outcome == "failed":
                done.failed += 1
            else:
                blocked.add(alert.channel)
                done.waiting += 1
        return done

    async def _attempt(self, alert: Alert, record: Record, key: str) -> str:
        if record.status == "sending":
            try:
                found = await self.sender.find(alert, *self._window(record))
            except SlackAuthError:
                raise
            except SlackError as exc:
                await self._retry_later(alert, record, exc, posted=False)
                return "waiting"
            if found is not None:
                await self._sent(alert, record, key, found, reconciled=True)
                return "reconciled"
        record.status, record.attempts = "sending", record.attempts + 1
        record.started_us, record.not_before_us = to_micros(self.clock()), None
        await self._save(alert.alert_id, record)
        try:
            posted = await self.sender.post(alert)
        except SlackAuthError:
            record.status = "queued"  # Slack checks the token before posting
            await self._save(alert.alert_id, record)
            raise
        except (SlackChannelError, SlackRejected) as exc:
            record.status, record.error = "failed", f"{exc.code}: {exc}"
            await self._save(alert.alert_id, record, done_key=key)
            self._report_once(alert.channel, exc)
            return "failed"
        except SlackRateLimited as exc:
            record.status = "queued"  # a 429 posts nothing
            record.not_before_us = to_micros(self.clock()) + int(exc.retry_after * 1e6)
            await self._save(alert.alert_id, record)
            return "waiting"
        except SlackUnsure as exc:
            await self._retry_later(alert, record, exc, posted=True)
            return "waiting"
        await self._sent(alert, record, key, posted, reconciled=False)
        return "sent"

    def _window(self, record: Record) -> tuple[float, float]:
        """When the attempt's message, if Slack posted it, carries its ``ts``: the call
        lasted at most the client's timeout; the margin covers clock skew."""
        started = (record.started_us or 0) / 1e6
        margin = self.margin.total_seconds()
        return max(0.0, started - margin), started + margin

    async def _sent(
        self, alert: Alert, record: Record, key: str, posted: Posted, *, reconciled: bool
    ) -> None:
        record.status, record.ts, record.channel_id = "sent", posted.ts, posted.channel
        record.reconciled, record.error, record.not_before_us = reconciled, None, None
        await self._save(alert.alert_id, record, done_key=key)
        self.on_sent(alert)
        log.info(
            "alert delivered to %s%s",
            alert.channel,
            " (found in the channel's history)" if reconciled else "",
            extra={"alert_id": alert.alert_id, "release_id": alert.subject, "ts": posted.ts},
        )

    async def _retry_later(
        self, alert: Alert, record: Record, exc: SlackError, *, posted: bool
    ) -> None:
        """Back off; the record stays *sending* when Slack may have posted."""
        delay = min(self.backoff_cap, self.backoff_base * 2 ** max(0, record.attempts - 1))
        record.not_before_us = to_micros(self.clock()) + int(delay * 1e6)
        record.error = f"{exc.code}: {exc}"
        await self._save(alert.alert_id, record)
        log.warning(
            "alert not delivered yet (%s); trying again in %.0fs%s",
            exc,
            delay,
            ", after looking in the channel's history" if posted else "",
            extra={"alert_id": alert.alert_id, "channel": alert.channel},
        )

    def halt(self, exc: SlackError) -> None:
        """Stop delivering: the token is bad. Reported once; alerts stay queued."""
        self.halted = (
            f"Slack refused the bot token ({exc.code}): alerts stay queued and are not "
            "retried. Set a valid SLACK_BOT_TOKEN (with chat:write and channels:history) "
            "and restart."
        )
        self.problems.append(self.halted)
        log.error(self.halted, extra={"error": str(exc)})

    def _report_once(self, channel: str, exc: SlackError) -> None:
        if (channel, exc.code) in self._reported:
            return
        self._reported.add((channel, exc.code))
        hint = {
            "channel_not_found": "check the channel id in [slack]",
            "not_in_channel": "invite the bot to the channel",
            "is_archived": "the channel is archived",
        }.get(exc.code, "the alert is kept in the outbox, marked failed")
        problem = f"alerts to {channel} fail: {exc.code} ({hint})"
        self.problems.append(problem)
        log.error(problem, extra={"channel": channel, "error": str(exc)})

    async def _load(self, alert_id: str) -> tuple[Alert | None, Record]:
        raw_alert = await self.log.get_state(OUTBOX, alert_id)
        raw_record = await self.log.get_state(DELIVERY, alert_id)
        alert = ALERT_DECODER.decode(raw_alert) if raw_alert is not None else None
        record = DELIVERY_DECODER.decode(raw_record) if raw_record is not None else Record()
        return alert, record

    async def _save(self, alert_id: str, record: Record, *, done_key: str | None = None) -> None:
        async with self.log.transaction() as uow:
            await uow.put_state(DELIVERY, alert_id, ENCODER.encode(record))
            if done_key is not None:
                await uow.delete_state(QUEUE, done_key)

    async def run(self, stop: asyncio.Event, *, tick: float = 1.0) -> None:
        """Deliver until ``stop``: at once when woken, else every ``tick`` seconds."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.deliver()
            except Exception:
                log.exception("alert delivery failed; trying again in %.0fs", tick)
            waits: list[Awaitable[object]] = [stop.wait(), self._wake.wait(), asyncio.sleep(tick)]
            await first_of(*waits)
