"""``trialwire demo``: the pipeline, offline, on a temporary SQLite log.

A local GlobeNewswire stand-in publishes recorded real releases one at a
time; the real poller reads the feeds and the release pages over HTTP on
127.0.0.1 and records each release in the event log; a catch-up subscriber
(the machinery projections and the Slack reactor use) reports what reached
the log. A last poll shows that nothing is ever recorded twice.
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

from bot.eventlog import CatchUpSubscription, EventLog, RecordedEvent, UnitOfWork
from bot.eventlog.sqlite import SQLiteEventLog
from bot.events import DOMAIN_EVENTS, ReleaseReceived
from bot.feeds.fetch import new_session
from bot.feeds.model import FeedSpec, health
from bot.feeds.poller import FeedPoller, PollerSettings
from bot.releases.files import ReleaseFile, parse_release_file
from bot.standins.gnw import GlobeNewswireStandIn, StandInRelease


def demo_releases() -> list[ReleaseFile]:
    """The recorded releases shipped with trialwire, oldest first."""
    folder = resources.files("bot.demo") / "data"
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".txt")),
        key=lambda entry: entry.name,
    )
    return [parse_release_file(entry.read_text(encoding="utf-8"), entry.name) for entry in files]


class ReleasePrinter:
    """A subscriber that prints each release as it reaches the log."""

    name = "demo-printer"
    types = (ReleaseReceived.TYPE,)

    def __init__(self, console: Console) -> None:
        self.console = console
        self.seen = 0
        self._progress = asyncio.Condition()

    async def handle(self, uow: UnitOfWork, events: Sequence[RecordedEvent]) -> None:
        for recorded in events:
            release = DOMAIN_EVENTS.decode_as(
                ReleaseReceived, recorded.schema_version, recorded.data
            )
            tickers = ", ".join(release.tickers)
            self.console.print(
                f"[green]▸[/] [dim]#{recorded.position}[/] {release.published_at:%Y-%m-%d}  "
                f"[bold]{release.company}[/] ({tickers})\n    {release.title}\n"
                f"    [dim]{len(release.text):,} characters read from its page[/]",
                highlight=False,
            )
        async with self._progress:
            self.seen += len(events)
            self._progress.notify_all()

    async def wait_for(self, count: int) -> None:
        async with self._progress:
            await self._progress.wait_for(lambda: self.seen >= count)


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
    stop = asyncio.Event()
    follower = asyncio.create_task(CatchUpSubscription(log, printer).run(stop))
    async with new_session(per_host=4) as session:
        poller = FeedPoller(
            log,
            session,
            DOMAIN_EVENTS,
            clock=lambda: datetime.now(UTC),
            random=random.random,
            settings=PollerSettings(),
        )
        try:
            await _poll_all(poller, specs)  # first contact: the feeds are empty
            for count, release in enumerate(releases, start=1):
                standin.add(release)
                await _poll_all(poller, specs)
                async with asyncio.timeout(30):
                    await printer.wait_for(count)
            again = await _poll_all(poller, specs)
            console.print(
                f"\nPolling every feed once more: {again['not-modified']} answered "
                "304 Not Modified, nothing was recorded twice."
            )
            await _health(console, poller, specs)
        finally:
            stop.set()
            await follower
    await _summary(console, log)


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
        f"the subscriber's checkpoint is at {stats.subscriptions.get(ReleasePrinter.name, 0)} "
        f"of {stats.last_position}."
    )
