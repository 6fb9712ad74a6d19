"""The ``trialwire`` command line: one sub-module per command group."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="trialwire",
    help="Clinical-trial news from GlobeNewswire, as structured events, in Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """Clinical-trial news from GlobeNewswire, as structured events, in Slack."""


def main() -> None:
    """Console-script entry point."""
    app()


@app.command()
def version() -> None:
    """Print trialwire's version."""
    from bot import __version__

    typer.echo(__version__)
