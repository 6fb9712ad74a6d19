"""``trialwire slack check``: does the token work, can the bot read each channel."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.common import ConfigPath, settings_from
from bot.compose import SlackSecrets, slack_client
from bot.settings import Settings
from bot.slack.client import SlackError, SlackSender, classify

app = typer.Typer(
    help="Slack: check the token and the channels (trialwire run serves /trial and alerts)."
)
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
