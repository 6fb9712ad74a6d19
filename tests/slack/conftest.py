"""The Slack stand-in, a real slack-sdk client on it, signed slash commands."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.client import new_web_client, retry_handlers
from bot.standins.slack import BOT_TOKEN, SlackStandIn
from tests.conftest import FakeClock
from tests.eventlog.conftest import open_log  # each backend, for tests that need both

__all__ = ["open_log"]

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNELS = {"C0TRIALS": "trials", "C0CLRB": "clrb", "C0URGENT": "urgent", "C0OPS": "ops"}


@dataclass
class Sleeps:
    """An injected sleep: records each wait and returns at once."""

    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def slack(clock: FakeClock) -> AsyncIterator[SlackStandIn]:
    """The Slack stand-in, its clock the test's clock (so ``ts`` and the log agree)."""
    standin = SlackStandIn(channels=dict(CHANNELS), clock=lambda: clock().timestamp())
    await standin.start()
    yield standin
    await standin.close()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


@pytest.fixture
def web_client(
    slack: SlackStandIn, session: aiohttp.ClientSession, sleeps: Sleeps
) -> AsyncWebClient:
    """The real slack-sdk client, with trialwire's retry handlers, on the stand-in."""
    return new_web_client(
        token=BOT_TOKEN,
        base_url=slack.api_url,
        session=session,
        handlers=retry_handlers(rate_limit_retries=5, sleep=sleeps),
    )


def signed(body: str, *, secret: str = SIGNING_SECRET, at: float | None = None) -> dict[str, str]:
    """The headers Slack sends with ``body``, signed by slack-sdk's own code."""
    timestamp = str(int(time.time() if at is None else at))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


def slash_body(
    text: str, *, channel: str = "C0TRIALS", response_url: str = "", **extra: str
) -> str:
    fields = {
        "token": "unused-verification-token",
        "team_id": "T0TRIALWIRE",
        "team_domain": "trialwire",
        "channel_id": channel,
        "channel_name": CHANNELS.get(channel, "somewhere"),
        "user_id": "U0INVESTOR",
        "user_name": "investor",
        "command": "/trial",
        "text": text,
        "api_app_id": "A0TRIALWIRE",
        "response_url": response_url or "https://hooks.slack.com/commands/T0/1/x",
        "trigger_id": f"{time.monotonic_ns()}.1.abc",
        **extra,
    }
    return urlencode(fields)


Post = Callable[..., Awaitable[tuple[int, Any]]]
