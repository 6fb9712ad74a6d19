"""Options and error handling shared by the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.errors import ConfigError
from bot.settings import Settings, load_settings

DEFAULT_CONFIG = Path("trialwire.toml")

ConfigPath = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="TRIALWIRE_CONFIG",
        help="The TOML configuration (default: ./trialwire.toml when it exists).",
        dir_okay=False,
    ),
]


def settings_from(path: Path | None) -> Settings:
    """Load the configuration or stop with the problem and exit status 2."""
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    try:
        return load_settings(path)
    except ConfigError as exc:
        typer.secho(f"configuration error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
