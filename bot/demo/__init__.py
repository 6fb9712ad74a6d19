"""``trialwire demo``: the real daemon, offline, on a temporary SQLite log.

A local GlobeNewswire stand-in publishes recorded real releases one at a
time, as a feed would; the real daemon (``bot.daemon``) polls it, reads the
release pages, extracts, tracks guidance, keeps the trial state and decides
alerts, which print here in the layout Slack would show (there is no Slack
token in the demo). Then ``/trial CLRB`` and ``/trial upcoming`` are answered
from the state, as Slack would show them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from rich.console import Console

from bot.compose import SlackSecrets
from bot.daemon import Daemon
from bot.eventlog import EventLog
from bot.eventlog.sqlite import SQLiteEventLog
from bot.releases.files import ReleaseFile, parse_release_file
from bot.settings import Settings, parse_settings
from bot.slack import messages
from bot.standins.gnw import GlobeNewswireStandIn, StandInRelease
from handlers.queries import status, upcoming

# How long one release may take to become an alert before the demo moves on.
PER_RELEASE = 30.0


def demo_releases() -> list[ReleaseFile]:
    """The recorded releases shipped with trialwire, oldest first."""
    folder = resources.files("bot.demo") / "data"
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".txt")),
        key=lambda entry: entry.name,
    )
    return [parse_release_file(entry.read_text(encoding="utf-8"), entry.name) for entry in files]


class AlertPrinter:
    """Where the daemon's alerts go without a Slack token: printed, and counted."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.printed = 0
        self._changed = asyncio.Condition()

    def __call__(self, text: str) -> None:
        self.console.print(text, highlight=False, markup=False)
        self.console.print()
        self.printed += 1
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, count: int) -> bool:
        """Until ``count`` alerts were printed; False if the release brought none in time."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PER_RELEASE), self._changed:
                await self._changed.wait_for(lambda: self.printed >= count)
        return self.printed >= count


def demo_settings(folder: Path, standin: GlobeNewswireStandIn, tokens: list[str]) -> Settings:
    return parse_settings(
        {
            "log": {"url": f"sqlite:///{folder}/events.db"},
            "globenewswire": {"base_url": standin.base_url},
            "poller": {"interval": 1, "jitter": 0},
            "daemon": {"http_port": 0, "shutdown_timeout": 5, "log_level": "WARNING"},
            # The recorded releases are years old: let them alert as if they were news.
            "slack": {"max_delay_hours": 100 * 365 * 24, "settle_timeout": 10},
            "feeds": [{"name": token, "organization": token} for token in tokens],
        }
    )


async def run_demo(console: Console, workdir: Path | None = None) -> None:
    # The demo has no Slack secrets on purpose; the daemon's warnings about it are noise here.
    logging.getLogger("bot.daemon").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="trialwire-demo-") as tmp:
        folder = workdir or Path(tmp)
        standin = GlobeNewswireStandIn()
        await standin.start()
        try:
            await _show(console, folder, standin)
        finally:
            await standin.close()


async def _show(console: Console, folder: Path, standin: GlobeNewswireStandIn) -> None:
    releases = [
        StandInRelease.from_file(f, fallback_time=datetime.now(UTC)) for f in demo_releases()
    ]
    tokens = list(dict.fromkeys(r.org_token for r in releases))
    settings = demo_settings(folder, standin, tokens)
    printer = AlertPrinter(console)
    daemon = Daemon(settings=settings, secrets=SlackSecrets(), alert_output=printer)
    console.rule("[bold]trialwire demo[/] — the real daemon, a local GlobeNewswire, no Slack token")
    console.print(
        f"GlobeNewswire stand-in: {standin.base_url}\n"
        f"event log: {folder / 'events.db'}\n"
        f"feeds: {', '.join(tokens)}\n"
        "Each release is published on the stand-in in turn; the daemon polls every second, "
        "and its alerts print as Slack would show them.\n",
        highlight=False,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(daemon.run(stop))
    try:
        async with asyncio.timeout(30):
            await daemon.started.wait()
            await standin.wait_for_requests(len(tokens))  # first contact: the feeds are empty
        for release in releases:
            expected = printer.printed + 1
            standin.add(release)
            if not await printer.wait_for(expected):
                console.print(f"(no alert for “{release.title}” within {PER_RELEASE:g}s)\n")
    finally:
        stop.set()
        await running
    log = await SQLiteEventLog.open(folder / "events.db")
    try:
        await _answers(console, log, releases)
        await _summary(console, log)
    finally:
        await log.close()


async def _answers(console: Console, log: EventLog, releases: list[StandInRelease]) -> None:
    seed = releases[0]
    ticker = seed.tickers[0].rpartition(":")[2] if seed.tickers else seed.company
    as_of = seed.published_at.date()
    console.print(
        messages.console(f"/trial {ticker}", messages.company_status(await status(log, ticker)))
    )
    console.print()
    calendar = messages.calendar(await upcoming(log, as_of), as_of)
    console.print(messages.console(f"/trial upcoming (as of the seed release, {as_of})", calendar))
    console.print()


async def _summary(console: Console, log: EventLog) -> None:
    stats = await log.stats()
    kinds = ", ".join(f"{count} {name}" for name, count in stats.by_type.items())
    console.print(
        f"The log holds {stats.events} events ({kinds}); every subscriber is at "
        + ", ".join(f"{name} {position}" for name, position in sorted(stats.subscriptions.items()))
        + f" of {stats.last_position}. Run it again: nothing is ever recorded or alerted twice."
    )
