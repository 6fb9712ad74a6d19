"""The running daemon against a hostile or failing Slack, and hostile releases and requests.

Slack faults (429 storms, 500s, timeouts, invalid_auth, channel_not_found):
alerts wait and are delivered later, once; a bad token is reported once and
not retried for ever. Hostile input: a release mentioning ``<!channel>`` or
forging links pings nobody; slash commands with bad or stale signatures or
oversized bodies are refused before anything runs; odd unicode is answered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.compose import SlackSecrets
from bot.daemon import Daemon
from bot.settings import parse_settings
from bot.standins.gnw import GlobeNewswireStandIn, StandInRelease
from bot.standins.slack import BOT_TOKEN, SlackFault, SlackStandIn
from tests.daemon.test_daemon import seed_release
from tests.slack.conftest import SIGNING_SECRET, signed, slash_body

CHANNEL = "C0TRIALS"


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    standin = SlackStandIn(channels={CHANNEL: "trials"})
    await standin.start()
    yield standin
    await standin.close()


class Running:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(daemon.run(self.stop))

    async def __aenter__(self) -> Running:
        async with asyncio.timeout(30):
            await self.daemon.started.wait()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert not self.task.done(), "the daemon must stay up"
        self.stop.set()
        async with asyncio.timeout(30):
            await self.task

    async def post(self, body: str, headers: dict[str, str]) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.daemon.base_url + "/slack/events", data=body, headers=headers) as got,
        ):
            payload = (
                await got.json() if got.content_type == "application/json" else await got.text()
            )
            return got.status, payload


def daemon(
    gnw: GlobeNewswireStandIn,
    slack: SlackStandIn,
    tmp_path: Path,
    *,
    token: str = BOT_TOKEN,
    channel: str = CHANNEL,
) -> Daemon:
    settings = parse_settings(
        {
            "log": {"url": f"sqlite:///{tmp_path}/events.db"},
            "globenewswire": {"base_url": gnw.base_url},
            "poller": {"interval": 1, "jitter": 0},
            "daemon": {"http_port": 0, "shutdown_timeout": 5},
            "slack": {"api_url": slack.api_url, "default_channel": channel, "timeout": 1,
                      "rate_limit_retries": 1, "max_delay_hours": 1_000_000},
            "feeds": [{"name": "cellectar", "organization": "cellectar-biosciences-inc"}],
        }
    )  # fmt: skip
    secrets = SlackSecrets(bot_token=token, signing_secret=SIGNING_SECRET)
    return Daemon(settings=settings, secrets=secrets, alert_output=lambda _: None)


def news(n: int) -> StandInRelease:
    return replace(seed_release(), release_id=str(5_000_000 + n), title=f"CLR 131 update {n}")


@pytest.mark.slow
@pytest.mark.parametrize(
    "fault",
    [
        SlackFault(method="chat.postMessage", status=429, retry_after=1, times=6),
        SlackFault(method="chat.postMessage", status=500, times=3),
        SlackFault(method="chat.postMessage", status=500, times=2, delay=2.0),
        SlackFault(method="chat.postMessage", status=500, times=2, accept=True),
    ],
    ids=["429-storm", "500s", "timeouts", "500-after-posting"],
)
async def test_alerts_wait_out_slack_failures_and_arrive_once(
    gnw: GlobeNewswireStandIn, slack: SlackStandIn, tmp_path: Path, fault: SlackFault
) -> None:
    async with Running(daemon(gnw, slack, tmp_path)):
        await gnw.wait_for_requests(1)
        slack.inject(fault)
        gnw.add(news(1), news(2))
        await slack.wait_for(lambda: len(slack.posted(CHANNEL)) >= 2, within=90)
    subjects = [p.metadata["event_payload"]["subject"] for p in slack.posted(CHANNEL)]  # type: ignore[index]
    assert sorted(subjects) == ["5000001", "5000002"]


@pytest.mark.slow
async def test_an_invalid_token_is_reported_once_and_not_retried(
    gnw: GlobeNewswireStandIn,
    slack: SlackStandIn,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    async with Running(daemon(gnw, slack, tmp_path, token="xoxb-revoked")) as running:
        await gnw.wait_for_requests(1)
        gnw.add(news(1))
        await slack.wait_for(lambda: slack.count("auth.test") >= 1, within=30)
        body = slash_body("help")  # /trial still answers without a working bot token
        status, _ = await running.post(body, signed(body))
        assert status == 200
    assert slack.posted(CHANNEL) == []
    assert slack.count("chat.postMessage") == 0
    ours = [r for r in caplog.records if r.name.startswith(("bot.", "handlers."))]
    assert len([r for r in ours if "invalid_auth" in r.getMessage()]) == 1


@pytest.mark.slow
async def test_an_unknown_channel_is_reported_and_the_daemon_carries_on(
    gnw: GlobeNewswireStandIn, slack: SlackStandIn, tmp_path: Path
) -> None:
    async with Running(daemon(gnw, slack, tmp_path, channel="C0GONE")):
        await gnw.wait_for_requests(1)
        gnw.add(news(1), news(2))
        await slack.wait_for(lambda: slack.count("chat.postMessage") >= 1, within=60)
    assert slack.posted() == []
    assert slack.count("chat.postMessage") <= 2  # failed for good, not retried for ever


@pytest.mark.slow
async def test_a_hostile_release_pings_nobody_and_forges_no_link(
    gnw: GlobeNewswireStandIn, slack: SlackStandIn, tmp_path: Path
) -> None:
    hostile = replace(
        seed_release(),
        release_id="6000001",
        title="<!channel> CLR 131 <@U123> news <https://evil.example|your bank>",
        text=seed_release().text.replace(
            "Cellectar Biosciences, Inc. (Nasdaq:CLRB), an oncology-focused",
            "Cellectar Biosciences, Inc. (Nasdaq:CLRB) <!here> <https://evil.example|click> "
            "a\u200bn\u202eoncology-focused",
        ),
    )
    async with Running(daemon(gnw, slack, tmp_path)):
        await gnw.wait_for_requests(1)
        gnw.add(hostile)
        await slack.wait_for(lambda: len(slack.posted(CHANNEL)) == 1, within=60)
    [alert] = slack.posted(CHANNEL)
    rendered = alert.text + repr(alert.blocks)
    for raw in ("<!channel>", "<!here>", "<@U123>", "<https://evil.example|"):
        assert raw not in rendered
    assert "&lt;!channel&gt;" in rendered


@pytest.mark.slow
async def test_hostile_slash_commands_are_refused_before_anything_runs(
    gnw: GlobeNewswireStandIn, slack: SlackStandIn, tmp_path: Path
) -> None:
    import time

    async with Running(daemon(gnw, slack, tmp_path)) as running:
        body = slash_body("CLRB")
        forged = dict(signed(body), **{"X-Slack-Signature": "v0=" + "f" * 64})
        assert (await running.post(body, forged))[0] == 401
        unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
        assert (await running.post(body, unsigned))[0] == 401
        stale = signed(body, at=time.time() - 6 * 60)  # outside the 5-minute window
        assert (await running.post(body, stale))[0] == 401
        other = signed(body, secret="not-our-secret")
        assert (await running.post(body, other))[0] == 401
        huge = slash_body("x" * 100_000)
        assert (await running.post(huge, signed(huge)))[0] == 413
        for text in ("\u202eBRLC", "CLR\u200b131", "＜!channel＞", "<!channel>", "🧪" * 500, ""):
            tricky = slash_body(text)
            status, answer = await running.post(tricky, signed(tricky))
            assert status == 200
            assert "<!channel>" not in repr(answer)
