"""``trialwire stand-in gnw DIR`` and ``stand-in slack``: local GlobeNewswire and Slack."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.releases.files import ReleaseFileError, read_release_file
from bot.standins.gnw import GlobeNewswireStandIn, StandInRelease
from bot.standins.slack import APP_TOKEN, BOT_TOKEN, SlackStandIn

app = typer.Typer(help="Local stand-ins for the services trialwire talks to.", no_args_is_help=True)
console = Console()


@app.command("gnw")
def gnw(
    folder: Annotated[
        Path,
        typer.Argument(
            help="Release files (.txt: key: value headers, ---, body).",
            exists=True,
            file_okay=False,
        ),
    ],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8040,
) -> None:
    """Serve feeds and release pages for the releases in FOLDER until Ctrl-C."""
    releases = []
    for path in sorted(folder.glob("*.txt")):
        try:
            releases.append(
                StandInRelease.from_file(read_release_file(path), fallback_time=datetime.now(UTC))
            )
        except ReleaseFileError as exc:
            console.print(f"[yellow]skipped[/] {exc}")
    if not releases:
        raise typer.BadParameter(f"no .txt release files in {folder}", param_hint="FOLDER")

    async def serve() -> None:
        standin = GlobeNewswireStandIn(releases=releases)
        base = await standin.start(port=port)
        console.print(f"GlobeNewswire stand-in on {base} with {len(releases)} releases")
        console.print(f"  all releases:  {standin.feed_url('industry', '4573-Biotechnology')}")
        for token in sorted({r.org_token for r in releases}):
            console.print(f"  organization:  {standin.feed_url('organization', token)}")
        try:
            await asyncio.Event().wait()
        finally:
            await standin.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


@app.command("slack")
def slack(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8041,
    channel: Annotated[
        list[str] | None,
        typer.Option(
            "--channel",
            help="A channel as ID:name (repeatable; default C0TRIALS:trials).",
        ),
    ] = None,
    token: Annotated[str, typer.Option(help="The bot token it accepts.")] = BOT_TOKEN,
    error_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of chat.postMessage calls answered 500.")
    ] = 0.0,
) -> None:
    """Serve a local Slack Web API (and Socket Mode) that records messages, until Ctrl-C."""
    channels: dict[str, str] = {}
    for item in channel or ["C0TRIALS:trials"]:
        cid, _, name = item.partition(":")
        if not cid:
            raise typer.BadParameter(f"{item!r} is not ID:name", param_hint="--channel")
        channels[cid] = name or cid.lower()

    async def serve() -> None:
        standin = SlackStandIn(channels=channels, bot_tokens={token}, error_rate=error_rate)
        base = await standin.start(port=port)
        console.print(f"Slack stand-in on {base}")
        console.print(f"  api_url (in [slack]):  {standin.api_url}")
        console.print(f"  SLACK_BOT_TOKEN={token}  SLACK_APP_TOKEN={APP_TOKEN}")
        console.print("  channels: " + ", ".join(f"{c} (#{n})" for c, n in channels.items()))
        console.print(f"  recorded messages:     {base}/_standin/messages")
        try:
            await asyncio.Event().wait()
        finally:
            await standin.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
