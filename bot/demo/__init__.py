"""``trialwire demo``: the pipeline, offline, on a temporary SQLite log.

A local GlobeNewswire stand-in publishes recorded real releases one at a
time; the real poller reads the feeds and the release pages over HTTP on
127.0.0.1 and records each release in the event log; the extraction stage,
the guidance tracker and the trial state follow the log as they would in
the daemon, and a printer subscriber shows each release with the facts read
from it. A last poll shows that nothing is ever recorded twice; the trial
state then answers ``/trial CLRB`` and the catalyst calendar.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.cli.views import render_company
from bot.eventlog import EventLog, RecordedEvent, UnitOfWork
from bot.eventlog.sqlite import SQLiteEventLog
from bot.events import DOMAIN_EVENTS, ReleaseReceived
from bot.events.trial import TRIAL_EVENT_TYPES, TrialEvent
from bot.extract import key_facts
from bot.feeds.fetch import new_session
from bot.feeds.model import FeedSpec, health
from bot.feeds.poller import FeedPoller, PollerSettings
from bot.releases.files import ReleaseFile, parse_release_file
from bot.standins.gnw import GlobeNewswireStandIn, StandInRelease
from handlers.pipeline import catch_up, knowledge_subscribers
from handlers.queries import status, upcoming


def demo_releases() -> list[ReleaseFile]:
    """The recorded releases shipped with trialwire, oldest first."""
    folder = resources.files("bot.demo") / "data"
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".txt")),
        key=lambda entry: entry.name,
    )
    return [parse_release_file(entry.read_text(encoding="utf-8"), entry.name) for entry in files]


class ReleasePrinter:
    """A subscriber that prints each release, then each fact read from it, as they arrive."""

    name = "demo-printer"
    types = (ReleaseReceived.TYPE, *(cls.TYPE for cls in TRIAL_EVENT_TYPES))

    def __init__(self, console: Console) -> None:
        self.console = console
        self.releases = 0
        self.facts = 0

    async def handle(self, uow: UnitOfWork, events: Sequence[RecordedEvent]) -> None:
        for recorded in events:
            event = DOMAIN_EVENTS.decode(recorded.type, recorded.schema_version, recorded.data)
            if isinstance(event, ReleaseReceived):
                self.releases += 1
                self.console.print(
                    f"\n[green]▸[/] {event.published_at:%Y-%m-%d}  [bold]{event.company}[/] "
                    f"({', '.join(event.tickers)})\n  {event.title}",
                    highlight=False,
                )
            elif isinstance(event, TrialEvent):
                self.facts += 1
                inferred = (
                    " [magenta](inferred)[/]"
                    if "guidance-tracker" in event.extractor_version
                    else ""
                )
                self.console.print(
                    f"    [cyan]{event.TYPE}[/] {event.drug or ''}: {key_facts(event)}{inferred}\n"
                    f"      [dim]“{_short(event.evidence.sentence)}”[/]",
                    highlight=False,
                )


def _short(sentence: str, limit: int = 160) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


async def run_demo(console: Console, workdir: Path | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="trialwire-demo-") as tmp:
        folder = workdir or Path(tmp)
        log = await SQLiteEventLog.open(folder / "events.db")
        standin = GlobeNewswireStandIn()
        await standin.start()
        try:
            await _show(console, log, standin)
        finally:
            await standin.close()
            await log.close()


async def _show(console: Console, log: SQLiteEventLog, standin: GlobeNewswireStandIn) -> None:
    console.rule("[bold]trialwire demo[/] — offline: a local GlobeNewswire, an embedded event log")
    releases = [
        StandInRelease.from_file(f, fallback_time=datetime.now(UTC)) for f in demo_releases()
    ]
    specs = [
        FeedSpec(name=token, url=standin.feed_url("organization", token))
        for token in dict.fromkeys(r.org_token for r in releases)
    ]
    console.print(f"GlobeNewswire stand-in: {standin.base_url}   event log: {log.path}")
    console.print(f"feeds: {', '.join(spec.name for spec in specs)}\n")

    printer = ReleasePrinter(console)
    # The daemon runs these subscribers as background tasks woken by new events;
    # here they catch up after each poll, so the story prints in order.
    subscribers = [*knowledge_subscribers(), printer]
    async with new_session(per_host=4) as session:
        poller = FeedPoller(
            log,
            session,
            DOMAIN_EVENTS,
            clock=lambda: datetime.now(UTC),
            random=random.random,
            settings=PollerSettings(),
        )
        await _poll_all(poller, specs)  # first contact: the feeds are empty
        for release in releases:
            standin.add(release)
            await _poll_all(poller, specs)
            await catch_up(log, subscribers)
        again = await _poll_all(poller, specs)
        console.print(
            f"\nPolling every feed once more: {again['not-modified']} answered "
            "304 Not Modified, nothing was recorded twice."
        )
        await _health(console, poller, specs)
    await _answers(console, log, releases)
    await _summary(console, log)


async def _answers(console: Console, log: EventLog, releases: list[StandInRelease]) -> None:
    first = releases[0]
    ticker = first.tickers[0].rpartition(":")[2] if first.tickers else first.company
    console.rule(f"/trial {ticker}")
    for doc in await status(log, ticker):
        console.print(render_company(doc))
    console.rule(f"/trial upcoming, as of {first.published_at:%Y-%m-%d}")
    as_of = first.published_at.date()
    for entry in await upcoming(log, as_of):
        g = entry.guidance
        moves = f"  (moved {len(g.moves)}×)" if g.moves else ""
        console.print(f"  {g.period}  {entry.company} {g.drug or ''}: {g.milestone}{moves}")


async def _poll_all(poller: FeedPoller, specs: list[FeedSpec]) -> dict[str, int]:
    outcomes = await asyncio.gather(*(poller.poll(spec, force=True) for spec in specs))
    counts = {"not-modified": 0, "updated": 0, "failed": 0}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


async def _health(console: Console, poller: FeedPoller, specs: list[FeedSpec]) -> None:
    table = Table("feed", "health", "polls", "304s", "items seen", title="feed health")
    for spec in specs:
        state = await poller.state(spec.name)
        table.add_row(
            spec.name, str(health(state)), str(state.polls), str(state.not_modified),
            str(state.items_seen),
        )  # fmt: skip
    console.print(table)


async def _summary(console: Console, log: EventLog) -> None:
    stats = await log.stats()
    kinds = ", ".join(f"{count} {name}" for name, count in stats.by_type.items())
    console.print(
        f"The log holds {stats.events} events ({kinds}) in {stats.streams} streams; "
        "every subscriber is at "
        + ", ".join(f"{name} {position}" for name, position in sorted(stats.subscriptions.items()))
        + f" of {stats.last_position}."
    )
