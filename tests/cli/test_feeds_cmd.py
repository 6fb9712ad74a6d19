"""``trialwire poll``, ``feeds``, ``backfill`` and ``config check``, as a user runs them."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.standins.gnw import GlobeNewswireStandIn
from tests.conftest import child_env
from tests.feeds.conftest import release


async def trialwire(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env=child_env(COLUMNS="200", NO_COLOR="1"),
    )  # fmt: skip
    async with asyncio.timeout(60):
        out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_poll_feeds_and_backfill_against_the_stand_in(
    gnw: GlobeNewswireStandIn, tmp_path: Path
) -> None:
    gnw.add(*(release(n) for n in range(1, 4)))
    config = tmp_path / "trialwire.toml"
    config.write_text(
        f'[log]\nurl = "sqlite:///{tmp_path}/events.db"\n'
        f'[globenewswire]\nbase_url = "{gnw.base_url}"\n'
        '[[feeds]]\nname = "cellectar"\norganization = "cellectar-biosciences-inc"\n'
    )

    code, out = await trialwire("poll", "-c", str(config))
    assert code == 0, out
    assert "cellectar" in out
    assert "updated" in out

    code, out = await trialwire("feeds", "-c", str(config))
    assert code == 0, out
    assert "ok" in out
    assert "items" in out

    code, out = await trialwire("backfill", "cellectar", "-c", str(config))
    assert code == 0, out
    assert "3 releases recorded as history from cellectar." in out

    code, out = await trialwire("log", "stats", "--log", f"sqlite:///{tmp_path}/events.db")
    assert "ReleaseReceived" in out
    assert "3 events" in out


async def test_mistakes_get_clear_messages(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[[feeds]]\nname = "x"\nindustry = "a"\nintervall = 5\n')
    code, out = await trialwire("config", "check", "-c", str(config))
    assert code == 2
    assert "feeds[0] (x).intervall: Extra inputs are not permitted" in out

    good = tmp_path / "good.toml"
    good.write_text('[[feeds]]\nname = "biotech"\nindustry = "4573-Biotechnology"\n')
    code, out = await trialwire("backfill", "nope", "-c", str(good))
    assert code == 2
    assert "no feed named 'nope' (feeds: biotech)" in out
