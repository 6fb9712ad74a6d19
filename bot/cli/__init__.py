"""The ``trialwire`` command line: one sub-module per command group."""

from __future__ import annotations

import typer

from bot.cli import feeds_cmd, state_cmd
from bot.cli.common import ConfigPath, settings_from
from bot.cli.extract_cmd import extract
from bot.cli.log_cmd import app as log_app
from bot.cli.slack_cmd import app as slack_app
from bot.cli.standin_cmd import app as standin_app

app = typer.Typer(
    name="trialwire",
    help="Clinical-trial news from GlobeNewswire, as structured events, in Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


app.add_typer(log_app, name="log")
app.add_typer(feeds_cmd.config_app, name="config")
app.add_typer(standin_app, name="stand-in")
app.add_typer(slack_app, name="slack")
app.command()(feeds_cmd.feeds)
app.command()(feeds_cmd.poll)
app.command()(feeds_cmd.backfill)
app.command("status")(state_cmd.status_command)
app.command("upcoming")(state_cmd.upcoming_command)
app.command("track-record")(state_cmd.track_record_command)
app.command("replay")(state_cmd.replay_command)
app.command("reextract")(state_cmd.reextract_command)
app.command()(extract)


@app.callback()
def _root() -> None:
    """Clinical-trial news from GlobeNewswire, as structured events, in Slack."""


def main() -> None:
    """Console-script entry point."""
    app()


@app.command()
def run(config: ConfigPath = None) -> None:
    """Run the daemon: poll the feeds, follow the log, serve /healthz and /metrics, until SIGTERM."""
    import asyncio

    from bot.daemon import Daemon, run_until_signalled
    from bot.logs import configure_logging

    settings = settings_from(config)
    configure_logging(settings.daemon.log_level)
    asyncio.run(run_until_signalled(Daemon(settings=settings)))


@app.command()
def demo() -> None:
    """Run the pipeline offline on recorded releases and a temporary SQLite log."""
    import asyncio

    from rich.console import Console

    from bot.demo import run_demo

    asyncio.run(run_demo(Console()))


@app.command()
def version() -> None:
    """Print trialwire's version."""
    from bot import __version__

    typer.echo(__version__)
