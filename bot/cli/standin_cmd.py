"""``trialwire stand-in gnw DIR``: serve your own releases as GlobeNewswire would."""

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
