"""``trialwire feeds``, ``poll``, ``backfill`` and ``config check``."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli.common import ConfigPath, settings_from
from bot.compose import open_event_log, polling
from bot.errors import ConfigError
from bot.feeds.model import FeedState, Health, health
from bot.feeds.poller import feed_states

console = Console()
config_app = typer.Typer(help="Check the configuration.", no_args_is_help=True)

_HEALTH_STYLE = {
    Health.OK: "green",
    Health.NEW: "cyan",
    Health.BACKING_OFF: "yellow",
    Health.FAILING: "bold red",
}


def feeds(config: ConfigPath = None) -> None:
    """Each configured feed's health: last success, last error, failures in a row, items seen."""
    settings = settings_from(config)

    async def run() -> dict[str, FeedState]:
        async with open_event_log(settings) as log:
            return await feed_states(log)

    states = asyncio.run(run())
    table = Table(
        "feed", "health", "last success", "failures", "last error", "items", "next check", "pending"
    )
    for spec in settings.feed_specs():
        state = states.get(spec.name, FeedState())
        status = health(state)
        table.add_row(
            f"{spec.name}\n[dim]{state.moved_to or spec.url}[/]",
            f"[{_HEALTH_STYLE[status]}]{status}[/]",
            _when(state.last_success_at),
            str(state.consecutive_failures),
            f"{state.last_error_kind}: {state.last_error}\n[dim]{_when(state.last_error_at)}[/]"
            if state.last_error and state.consecutive_failures
            else "",
            f"{state.items_seen:,}",
            _when(state.next_check_at),
            str(len(state.pending)),
        )
    if not settings.feeds:
        console.print("No feeds configured: add [[feeds]] to the configuration (see config/).")
        return
    console.print(table)


def poll(
    config: ConfigPath = None,
    feed: Annotated[
        list[str] | None, typer.Option("--feed", "-f", help="Only this feed (repeatable).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Poll even feeds that are not due.")] = False,
) -> None:
    """Poll the configured feeds once, now, and record what is new."""
    settings = settings_from(config)
    try:
        specs = [settings.feed(name) for name in feed] if feed else settings.feed_specs()
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--feed") from None

    async def run() -> None:
        async with polling(settings) as parts:
            outcomes = await asyncio.gather(*(parts.poller.poll(s, force=force) for s in specs))
        table = Table("feed", "result", "new releases", "pending", "problem")
        for outcome in outcomes:
            problem = outcome.error.message if outcome.error else (outcome.problem or "")
            table.add_row(outcome.feed, outcome.status, str(outcome.new_releases),
                          str(outcome.pending), problem)  # fmt: skip
        console.print(table)

    asyncio.run(run())


def backfill(
    name: Annotated[str, typer.Argument(help="The feed's name in the configuration.")],
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Also page back through the feed to this date."),
    ] = None,
    config: ConfigPath = None,
) -> None:
    """Record a feed's history (never alerted): what it still owes, and with --since, older items."""
    settings = settings_from(config)
    try:
        spec = settings.feed(name)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="FEED") from None
    since_day: date | None = since.date() if since else None

    async def run() -> int:
        async with polling(settings) as parts:
            with Progress(
                TextColumn(f"backfill {name}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=console,
            ) as bar:  # fmt: skip
                task = bar.add_task("pages", total=None)
                return await parts.poller.backfill(
                    spec,
                    since=since_day,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )

    recorded = asyncio.run(run())
    console.print(f"{recorded} releases recorded as history from {name}.")


@config_app.command("check")
def config_check(config: ConfigPath = None) -> None:
    """Validate the configuration and show the feeds it defines."""
    settings = settings_from(config)
    console.print(f"[green]configuration is valid[/]; event log: {settings.log.url}")
    for spec in settings.feed_specs():
        watch = f" (watching {len(spec.watch_tickers)} tickers)" if spec.watch_tickers else ""
        console.print(f"  {spec.name}: every {spec.interval:g}s {spec.url}{watch}")
    slack = settings.slack
    daemon = settings.daemon
    where = (
        "Socket Mode"
        if slack.mode == "socket"
        else f"http://{daemon.http_host}:{daemon.http_port}{slack.path}"
    )
    console.print(
        f"  slack: alerts to {slack.default_channel or 'no default channel'}"
        f" (+{len(slack.routes)} routes) via {slack.api_url}; {slack.command} over {where}",
        highlight=False,
    )


def _when(moment: datetime | None) -> str:
    return "–" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}"
