"""End to end: ``trialwire run`` as a process, the GlobeNewswire and Slack stand-ins around it.

A release appears on the feed; the daemon polls it, reads the page, extracts,
tracks guidance, updates the state, and posts one alert to Slack; ``/trial
CLRB``, signed as Slack signs it, is answered from the state; SIGTERM stops it
cleanly.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.standins.gnw import GlobeNewswireStandIn
from bot.standins.slack import BOT_TOKEN, SlackStandIn
from tests.conftest import child_env
from tests.daemon.test_daemon import ROOT, free_port, seed_release
from tests.slack.conftest import SIGNING_SECRET, signed, slash_body


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    standin = SlackStandIn(channels={"C0TRIALS": "trials"})
    await standin.start()
    yield standin
    await standin.close()


def write_config(folder: Path, gnw: GlobeNewswireStandIn, slack: SlackStandIn, port: int) -> Path:
    config = folder / "trialwire.toml"
    config.write_text(
        f'[log]\nurl = "sqlite:///{folder}/events.db"\n'
        f'[globenewswire]\nbase_url = "{gnw.base_url}"\n'
        "[poller]\ninterval = 1\njitter = 0\n"
        f"[daemon]\nhttp_port = {port}\nshutdown_timeout = 5\n"
        f'[slack]\napi_url = "{slack.api_url}"\ndefault_channel = "C0TRIALS"\n'
        "max_delay_hours = 1000000\n"  # the seed release is from 2017
        '[[feeds]]\nname = "cellectar"\norganization = "cellectar-biosciences-inc"\n'
    )
    return config


async def test_a_release_becomes_one_alert_and_trial_answers(
    gnw: GlobeNewswireStandIn, slack: SlackStandIn, tmp_path: Path
) -> None:
    port = free_port()
    config = write_config(tmp_path, gnw, slack, port)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(config),
        cwd=ROOT, stderr=asyncio.subprocess.PIPE,
        env=child_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                      PYTHONUNBUFFERED="1"),
    )  # fmt: skip
    try:
        # The first poll finds the feed empty; what arrives afterwards is news.
        await gnw.wait_for_requests(1)
        gnw.add(seed_release())
        await slack.wait_for(lambda: len(slack.posted("C0TRIALS")) == 1, within=60)
        [alert] = slack.posted("C0TRIALS")
        assert "Cellectar Biosciences" in alert.text
        assert "Cohort 4 initiated at 31.25 mCi/m² · +25 % vs cohort 3" in alert.text

        body = slash_body("CLRB")
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{port}/slack/events", data=body, headers=signed(body)
            ) as got,
        ):
            assert got.status == 200
            answer = await got.json()
        assert answer["blocks"][0]["text"]["text"] == "*Cellectar Biosciences, Inc.* (Nasdaq:CLRB)"
        assert answer.get("response_type", "ephemeral") == "ephemeral"

        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as got,
        ):
            metrics = await got.text()
        assert "trialwire_alert_latency_seconds_count 1.0" in metrics
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as got,
        ):
            health = await got.json()
        assert health["alerts"]["queued"] == 0
        assert health["alerts"]["runs_here"] is True

        forged = dict(signed(body), **{"X-Slack-Signature": "v0=" + "0" * 64})
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"http://127.0.0.1:{port}/slack/events", data=body, headers=forged) as got,
        ):
            assert got.status == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            code = await proc.wait()
    assert code == 0
    assert len(slack.posted("C0TRIALS")) == 1  # and only one, after the drain too
