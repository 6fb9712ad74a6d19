"""``trialwire slack check``, run as a user runs it, against the stand-in."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.standins.slack import BOT_TOKEN, SlackStandIn


@pytest.fixture
async def standin() -> AsyncIterator[SlackStandIn]:
    """The stand-in on the wall clock, as the command runs on it."""
    slack = SlackStandIn(channels={"C0TRIALS": "trials"})
    await slack.start()
    yield slack
    await slack.close()


def config(tmp_path: Path, slack: SlackStandIn, extra: str = "") -> Path:
    path = tmp_path / "trialwire.toml"
    path.write_text(
        f'[log]\nurl = "sqlite:///{tmp_path}/events.db"\n'
        f'[slack]\napi_url = "{slack.api_url}"\ndefault_channel = "C0TRIALS"\n{extra}'
    )
    return path


def env(**values: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return {**clean, "COLUMNS": "200", "NO_COLOR": "1", **values}


async def run(*args: str, **environment: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env(**environment),
    )  # fmt: skip
    async with asyncio.timeout(60):
        out = (await proc.communicate())[0].decode()
    assert proc.returncode is not None
    return proc.returncode, out


async def test_check_tries_the_token_and_every_configured_channel(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    path = config(tmp_path, standin, '[[slack.routes]]\nchannels = ["C0GONE"]\ntickers = ["X"]\n')
    code, out = await run("slack", "check", "-c", str(path))
    assert code == 1
    assert "SLACK_BOT_TOKEN is not set" in out

    code, out = await run("slack", "check", "-c", str(path), SLACK_BOT_TOKEN=BOT_TOKEN)
    assert code == 1, out
    assert "token OK: bot trialwire in trialwire stand-in" in out
    assert "C0TRIALS" in out
    assert "channel_not_found" in out

    code, out = await run("slack", "check", "-c", str(path), SLACK_BOT_TOKEN="xoxb-nope")
    assert code == 1
    assert "the token does not work: auth.test: invalid_auth" in out
