"""``trialwire log``: look inside the event log."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from bot.eventlog import EventLog, EventLogError, RecordedEvent, open_log

DEFAULT_LOG = "sqlite:///trialwire.db"

app = typer.Typer(help="Look inside the event log.", no_args_is_help=True)
console = Console()

LogUrl = Annotated[
    str,
    typer.Option(
        "--log",
        envvar="TRIALWIRE_LOG",
        help="The event log: sqlite:///FILE (sqlite:////ABS/PATH) or postgresql://…",
        show_default=True,
    ),
]


def require_existing(url: str) -> None:
    """Commands that only read must not create an empty log where none exists."""
    if not url.startswith(("postgresql://", "postgres://")):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise typer.BadParameter(
                f"no event log at {path} (run `trialwire demo` to make one, or pass --log)",
                param_hint="--log",
            )


@asynccontextmanager
async def existing_log(url: str) -> AsyncIterator[EventLog]:
    """Open a log for reading; call ``require_existing`` first."""
    try:
        log = await open_log(url)
    except (EventLogError, OSError, ValueError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--log") from exc
    try:
        yield log
    finally:
        await log.close()


@app.command()
def stats(
    log_url: LogUrl = DEFAULT_LOG,
    top: Annotated[int, typer.Option(help="How many of the largest streams to list.")] = 10,
) -> None:
    """Counts by event type and by stream, the last position and subscriber checkpoints."""

    async def run() -> None:
        async with existing_log(log_url) as log:
            figures = await log.stats(top_streams=top)
        console.print(
            f"[bold]{figures.events:,}[/] events in [bold]{figures.streams:,}[/] streams, "
            f"last position [bold]{figures.last_position:,}[/]"
        )
        table = Table("event type", "events", title="by type")
        for name, count in figures.by_type.items():
            table.add_row(name, f"{count:,}")
        console.print(table)
        table = Table("stream", "events", title=f"largest {top} streams")
        for name, count in figures.top_streams:
            table.add_row(name, f"{count:,}")
        console.print(table)
        if figures.subscriptions:
            table = Table("subscriber", "checkpoint", "behind", title="subscribers")
            for name, position in sorted(figures.subscriptions.items()):
                table.add_row(name, f"{position:,}", f"{figures.last_position - position:,}")
            console.print(table)

    require_existing(log_url)
    asyncio.run(run())


@app.command()
def tail(
    log_url: LogUrl = DEFAULT_LOG,
    lines: Annotated[int, typer.Option("-n", "--lines", help="How many of the last events.")] = 10,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl-C.")
    ] = False,
) -> None:
    """The last events of the log, one line each; with --follow, then every new one."""

    async def run() -> None:
        async with existing_log(log_url) as log:
            last = await log.last_position()
            start = max(0, last - lines)
            async for event in log.read(from_position=start):
                console.print(render(event), highlight=False, soft_wrap=True)
                start = event.position
            while follow:
                await log.wait_for_events(start)
                async for event in log.read(from_position=start):
                    console.print(render(event), highlight=False, soft_wrap=True)
                    start = event.position

    require_existing(log_url)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


def render(event: RecordedEvent, width: int = 90) -> str:
    """One line: position, time, type, stream and the start of the data."""
    try:
        data = msgspec.json.decode(event.data)
    except msgspec.DecodeError:
        data = {}
    if isinstance(data, dict):
        data.pop("text", None)  # a release's body would drown the line
        summary = ", ".join(f"{k}={_short(v)}" for k, v in data.items())
    else:
        summary = ""
    when = event.recorded_at.strftime("%Y-%m-%d %H:%M:%S")
    line = f"{event.position:>8} {when} {event.type:<20} {event.stream}  {summary}"
    return line if len(line) <= width + 60 else line[: width + 57] + "…"


def _short(value: object) -> str:
    text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
    return text if len(text) <= 40 else text[:39] + "…"
