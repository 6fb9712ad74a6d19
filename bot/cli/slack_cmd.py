"""``trialwire slack check`` and ``slack serve``: the Slack side, on its own."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from slack_sdk.web.async_client import AsyncWebClient

from bot.cli.common import ConfigPath, settings_from
from bot.compose import SlackSecrets, alerting, open_event_log, slack_client, trial_app
from bot.eventlog import CatchUpSubscription
from bot.settings import Settings
from bot.slack.client import SlackError, SlackSender, classify
from handlers.pipeline import knowledge_subscribers

app = typer.Typer(help="Slack: check the token and channels, serve /trial and alerts.")
console = Console()


@app.command("check")
def check(config: ConfigPath = None) -> None:
    """Check SLACK_BOT_TOKEN (auth.test) and that the bot can read each configured channel."""
    settings = settings_from(config)
    secrets = SlackSecrets.from_env()
    if not secrets.bot_token:
        console.print("SLACK_BOT_TOKEN is not set: alerts would print to the console.")
        raise typer.Exit(1)
    problems = asyncio.run(_check(settings, secrets))
    raise typer.Exit(1 if problems else 0)


async def _check(settings: Settings, secrets: SlackSecrets) -> int:
    async with slack_client(settings, secrets) as client:
        assert client is not None
        try:
            who = await SlackSender(client).check()
        except SlackError as exc:
            console.print(f"[red]the token does not work[/]: {exc}")
            return 1
        console.print(
            f"token OK: bot {who.get('user')} in {who.get('team')} ({settings.slack.api_url})"
        )
        table = Table("channel", "why", "status", title="configured channels")
        problems = 0
        for channel, why in _channels(settings):
            try:
                await client.conversations_history(channel=channel, limit=1)
                status = "[green]ok[/]"
            except Exception as exc:  # whatever it is, it is this channel's status
                problems += 1
                status = f"[red]{classify(exc, 'conversations.history')}[/]"
            table.add_row(channel, why, status)
        console.print(table)
        return problems


def _channels(settings: Settings) -> list[tuple[str, str]]:
    slack = settings.slack
    found: dict[str, str] = {}
    if slack.default_channel:
        found[slack.default_channel] = "default"
    if slack.ops_channel:
        found.setdefault(slack.ops_channel, "feed health")
    for index, route in enumerate(slack.routes):
        for channel in route.channels:
            found.setdefault(channel, f"routes[{index}]")
    return sorted(found.items())


def _print_plain(text: str) -> None:
    """Alerts hold release text: print it as it is, never as rich markup."""
    console.print(text, markup=False, highlight=False, emoji=False)


@app.command("serve")
def serve(
    config: ConfigPath = None,
    socket: Annotated[
        bool, typer.Option("--socket", help="Socket Mode (SLACK_APP_TOKEN) instead of HTTP.")
    ] = False,
    alerts: Annotated[bool, typer.Option(help="Also decide and deliver alerts.")] = True,
) -> None:
    """Answer /trial (HTTP at [slack] host:port/path, or Socket Mode) and send alerts, from the
    log, until Ctrl-C or SIGTERM. The knowledge pipeline follows the log meanwhile."""
    settings = settings_from(config)
    secrets = SlackSecrets.from_env()
    if not secrets.signing_secret and not socket:
        console.print("[red]SLACK_SIGNING_SECRET is not set[/]: requests could not be verified.")
        raise typer.Exit(2)
    if socket and not secrets.app_token:
        console.print("[red]SLACK_APP_TOKEN is not set[/]: Socket Mode needs an app-level token.")
        raise typer.Exit(2)
    asyncio.run(_serve(settings, secrets, socket=socket, with_alerts=alerts))


async def _serve(
    settings: Settings, secrets: SlackSecrets, *, socket: bool, with_alerts: bool
) -> None:
    from bot.slack.app import serve_http, socket_mode  # Bolt: imported only to serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        log = await stack.enter_async_context(open_event_log(settings))
        client = await stack.enter_async_context(slack_client(settings, secrets))
        # Socket Mode requests come over the app's own socket: there is no signature to check.
        signing_secret = secrets.signing_secret or "unused-in-socket-mode"
        bolt, commands = trial_app(settings, log, signing_secret=signing_secret, client=client)
        endpoint: AbstractAsyncContextManager[Any]
        if socket:
            assert secrets.app_token is not None
            opener = client or AsyncWebClient(base_url=settings.slack.api_url)
            endpoint = socket_mode(bolt, app_token=secrets.app_token, web_client=opener)
        else:
            slack = settings.slack
            endpoint = serve_http(bolt, host=slack.host, port=slack.port, path=slack.path)
        where = await stack.enter_async_context(endpoint)
        console.print(f"/trial: {'Socket Mode' if socket else where}", highlight=False)
        work = [CatchUpSubscription(log, s).run(stop) for s in knowledge_subscribers()]
        if with_alerts:
            pair = await alerting(settings, log, client, write=_print_plain)
            for problem in pair.delivery.problems:
                console.print(f"[red]{problem}[/]")
            target = "Slack" if client is not None else "the console (no SLACK_BOT_TOKEN)"
            console.print(f"alerts: to {target}")
            work.append(pair.run(stop))
        await asyncio.gather(*work)
        with contextlib.suppress(Exception):
            await commands.close()
    console.print("stopped.")
