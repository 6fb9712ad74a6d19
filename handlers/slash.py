"""``/trial``: the slash command, answered from the trial state.

``TrialCommands.answer`` parses a command's text and answers it from the
projection (and, for ``timeline``, from the drug's stream in the log);
``register`` puts the listener on a Bolt ``AsyncApp`` and builds nothing.
The listener acknowledges within ``ack_within`` seconds whatever happens:
with the answer when it is ready in time (it usually takes a millisecond),
else with "looking that up" and the answer later through the response URL.
Answers are ephemeral unless the text ends in ``public``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.clock import Clock, system_clock
from bot.eventlog import EventLog, NewEvent
from bot.events import DOMAIN_EVENTS, event_id
from bot.events.slack import ChannelUnwatched, ChannelWatched, channel_stream
from bot.events.trial import TrialEvent, drug_key
from bot.slack import messages
from bot.slack.messages import Message, TimelineEntry
from handlers import queries
from handlers.identity import symbol, trial_stream
from handlers.trial_state import ALIASES
from handlers.trial_state import NAMESPACE as TRIAL_STATE

log = logging.getLogger(__name__)

_TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,11}$")
SUBCOMMANDS = ("help", "timeline", "guidance", "upcoming", "watch", "unwatch")


@dataclass(frozen=True, slots=True)
class Answer:
    message: Message
    public: bool = False

    def ack_payload(self) -> dict[str, Any]:
        return {
            "text": self.message.text,
            "blocks": self.message.blocks,
            "response_type": "in_channel" if self.public else "ephemeral",
        }


class AnswerCache:
    """Rendered answers, kept until the trial state moves on.

    Answers are pure functions of the projection, and a projection's checkpoint
    moves in the unit of work that changes its state: the cache is emptied
    whenever the ``watch``ed checkpoint has moved, which is looked at no more
    often than every ``refresh`` seconds (so an answer lags the state by at most
    that). ``refresh=0`` looks every time.
    """

    def __init__(
        self,
        log: EventLog,
        *,
        watch: str = TRIAL_STATE,
        refresh: float = 0.1,
        size: int = 4096,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.watch = watch
        self.refresh = refresh
        self.size = size
        self.monotonic = monotonic
        self._answers: dict[str, Message] = {}
        self._position = -1
        self._checked = float("-inf")
        self._checking = False

    async def get(self, key: str) -> Message | None:
        if not self._checking and self.monotonic() - self._checked >= self.refresh:
            self._checking = True  # one look at a time; the others use what is there
            try:
                position = await self.log.get_checkpoint(self.watch)
            finally:
                self._checking = False
                self._checked = self.monotonic()
            if position != self._position:
                self._position = position
                self._answers.clear()
        return self._answers.get(key)

    def put(self, key: str, message: Message) -> None:
        if len(self._answers) >= self.size:
            del self._answers[next(iter(self._answers))]
        self._answers[key] = message


@dataclass(frozen=True, kw_only=True, slots=True)
class Invocation:
    """The parts of a slash command the answer depends on."""

    text: str
    channel: str = ""
    user: str = ""
    trigger: str = ""


class TrialCommands:
    """Answers ``/trial …`` from the log's projections."""

    def __init__(
        self,
        log: EventLog,
        *,
        clock: Clock = system_clock,
        command: str = "/trial",
        timeline_limit: int = 20,
        cache: AnswerCache | None = None,
    ) -> None:
        self.log = log
        self.clock = clock
        self.command = command
        self.timeline_limit = timeline_limit
        self.cache = cache or AnswerCache(log)
        self._later: set[asyncio.Task[None]] = set()

    async def answer(self, call: Invocation) -> Answer:
        words = call.text.split()
        public = bool(words) and words[-1].lower() == "public"
        if public:
            words.pop()
        first = words[0].lower() if words else "help"
        rest = " ".join(words[1:])
        if first in ("watch", "unwatch") and (rest or first == "watch"):
            message = await self._watch(call, rest, on=first == "watch")
            return Answer(message=message, public=public)
        key = " ".join(words) + (f" @{self._today()}" if first in ("upcoming", "guidance") else "")
        found = await self.cache.get(key)
        if found is None:
            found = await self._read(first, rest, " ".join(words))
            self.cache.put(key, found)
        return Answer(message=found, public=public)

    async def _read(self, first: str, rest: str, text: str) -> Message:
        """The answers that only read: the same text, the same answer until the state moves."""
        if first == "help" or (first in SUBCOMMANDS and first != "upcoming" and not rest):
            return messages.help_text(self.command)
        if first == "timeline":
            return await self._timeline(rest)
        if first == "guidance":
            return await self._guidance(rest)
        if first == "upcoming":
            return messages.calendar(await queries.upcoming(self.log, self._today()), self._today())
        return await self._status(text)

    def _today(self) -> Any:
        return self.clock().date()

    async def _status(self, name: str) -> Message:
        docs = await queries.status(self.log, name)
        if not docs:
            return messages.unknown(name, await queries.near_matches(self.log, name))
        return messages.company_status(docs)

    async def _guidance(self, name: str) -> Message:
        docs = await queries.status(self.log, name)
        if not docs:
            return messages.unknown(name, await queries.near_matches(self.log, name))
        doc = docs[0]
        today = self._today()
        return messages.guidance_record(doc, queries.track_record(doc, today), today)

    async def _timeline(self, name: str) -> Message:
        companies = await queries.resolve(self.log, name)
        if not companies:
            return messages.unknown(name, await queries.near_matches(self.log, name))
        key = drug_key(name)
        is_drug = bool(key) and await self.log.get_state(ALIASES, "drug:" + key) is not None
        streams: list[str] = []
        title = name
        for company in companies:
            doc = await queries.company(self.log, company)
            if is_drug:
                streams.append(trial_stream(company, key))
                found = doc.drug(key) if doc else None
                title = found.name if found else name
            elif doc is not None:
                streams += [trial_stream(company, drug) for drug in doc.drugs if drug]
                streams.append(f"company:{company}")
                title = doc.name or company
        recorded, total = [], 0
        for stream in streams:
            version = await self.log.stream_version(stream)
            total += version
            start = max(0, version - self.timeline_limit)
            recorded += [r async for r in self.log.read_stream(stream, from_version=start)]
        recorded.sort(key=lambda r: r.position)
        entries = []
        for item in recorded[-self.timeline_limit :]:
            event = DOMAIN_EVENTS.decode(item.type, item.schema_version, item.data)
            if isinstance(event, TrialEvent):
                metadata = msgspec.json.decode(item.metadata)
                entries.append(
                    TimelineEntry(
                        on=item.occurred_at.date() if item.occurred_at else None,
                        event=event,
                        inferred=bool(metadata.get("inferred_by")),
                    )
                )
        return messages.timeline(title, entries, total)

    async def _watch(self, call: Invocation, text: str, *, on: bool) -> Message:
        if not text:
            return messages.watch_list(call.channel, await self.watched(call.channel))
        ticker = symbol(text)
        if not _TICKER.match(ticker):
            return messages.not_a_ticker(text)
        found = await queries.resolve(self.log, ticker)
        company = found[0] if found else ticker
        doc = await queries.company(self.log, company)
        cls = ChannelWatched if on else ChannelUnwatched
        change = cls(channel=call.channel, company=company, user=call.user)
        now = self.clock()
        await self.log.append(
            channel_stream(call.channel),
            [
                NewEvent.from_domain(
                    DOMAIN_EVENTS,
                    change,
                    event_id=event_id(
                        cls.TYPE, call.channel, company, call.trigger or now.isoformat()
                    ),
                    occurred_at=now,
                )
            ],
        )
        if doc is None and on:
            return messages.watch_unknown(ticker, await queries.near_matches(self.log, ticker))
        return messages.watching(call.channel, company, doc.name if doc else None, on=on)

    async def watched(self, channel: str) -> list[str]:
        """The companies a channel watches of its own (its ``watch`` minus its ``unwatch``)."""
        state: dict[str, bool] = {}
        async for item in self.log.read_stream(channel_stream(channel)):
            event = DOMAIN_EVENTS.decode(item.type, item.schema_version, item.data)
            if isinstance(event, ChannelWatched | ChannelUnwatched):
                state[event.company] = isinstance(event, ChannelWatched)
        return sorted(company for company, on in state.items() if on)

    # -- the listener ------------------------------------------------------------------

    def later(self, call: Invocation, respond: AsyncRespond) -> None:
        """Answer through the response URL once the answer is ready."""

        async def answer_later() -> None:
            try:
                answer = await self.answer(call)
                await respond(**answer.ack_payload())
            except Exception:
                log.exception("a delayed /trial answer failed")
                await respond(**Answer(messages.failed()).ack_payload())

        task = asyncio.get_running_loop().create_task(answer_later())
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def close(self) -> None:
        """Wait for answers still being sent through response URLs."""
        if self._later:
            await asyncio.gather(*self._later, return_exceptions=True)


def invocation(command: dict[str, Any]) -> Invocation:
    return Invocation(
        text=str(command.get("text") or ""),
        channel=str(command.get("channel_id") or ""),
        user=str(command.get("user_id") or ""),
        trigger=str(command.get("trigger_id") or ""),
    )


def register(app: AsyncApp, commands: TrialCommands, *, ack_within: float = 2.0) -> None:
    """Listen for ``commands.command`` on ``app``. Slack wants an ack within 3 seconds."""

    async def trial(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        call = invocation(command)
        try:
            async with asyncio.timeout(ack_within):
                answer = await commands.answer(call)
        except TimeoutError:
            await ack(**Answer(messages.busy()).ack_payload())
            commands.later(call, respond)
            return
        except Exception:
            log.exception("/trial failed", extra={"text": call.text, "channel": call.channel})
            answer = Answer(messages.failed())
        await ack(**answer.ack_payload())

    app.command(commands.command)(trial)


__all__: Sequence[str] = ["Answer", "Invocation", "TrialCommands", "invocation", "register"]
