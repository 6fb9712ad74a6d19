"""``trialwire demo``: the pipeline, offline, on a temporary SQLite log.

Recorded real releases arrive one by one; each is recorded in the event log
as ReleaseReceived, and a catch-up subscriber (the same machinery the
projections and the Slack reactor use) reports what reached the log. A second
delivery of the same releases shows that nothing is ever stored twice.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from datetime import date
from importlib import resources
from pathlib import Path

from rich.console import Console

from bot.eventlog import CatchUpSubscription, EventLog, RecordedEvent, UnitOfWork
from bot.eventlog.sqlite import SQLiteEventLog
from bot.events import DOMAIN_EVENTS, ReleaseReceived
from bot.releases.files import ReleaseFile, parse_release_file
from bot.releases.record import record_release

DEMO_FEED = "demo"


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
                f"[bold]{release.company}[/] ({tickers})\n    {release.title}",
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
        try:
            await _show(console, log)
        finally:
            await log.close()


async def _show(console: Console, log: SQLiteEventLog) -> None:
    console.rule("[bold]trialwire demo[/] — offline, on an embedded SQLite event log")
    console.print(f"event log: {log.path}\n")
    releases = demo_releases()
    printer = ReleasePrinter(console)
    stop = asyncio.Event()
    follower = asyncio.create_task(CatchUpSubscription(log, printer).run(stop))
    try:
        for count, release_file in enumerate(releases, start=1):
            release = release_file.to_event(feed=DEMO_FEED, published_fallback=date.today())
            await record_release(log, DOMAIN_EVENTS, release)
            async with asyncio.timeout(30):
                await printer.wait_for(count)

        console.print("\nThe feed delivers the same releases again (a second poll, a restart):")
        duplicates = 0
        for release_file in releases:
            release = release_file.to_event(feed=DEMO_FEED, published_fallback=date.today())
            result = await record_release(log, DOMAIN_EVENTS, release)
            duplicates += len(result.duplicates)
        console.print(f"    {duplicates} duplicates recognised by their ids, nothing appended.\n")
    finally:
        stop.set()
        await follower
    await _summary(console, log)


async def _summary(console: Console, log: EventLog) -> None:
    stats = await log.stats()
    kinds = ", ".join(f"{count} {name}" for name, count in stats.by_type.items())
    console.print(
        f"The log holds {stats.events} events ({kinds}) in {stats.streams} streams; "
        f"the subscriber's checkpoint is at {stats.subscriptions.get(ReleasePrinter.name, 0)} "
        f"of {stats.last_position}."
    )
