"""The composition root: what a command or the daemon needs, built from settings, closed in order."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock, system_clock
from bot.eventlog import EventLog, open_log
from bot.events import DOMAIN_EVENTS
from bot.feeds.fetch import new_session
from bot.feeds.poller import FeedPoller
from bot.settings import Settings
from bot.slack.client import (
    ConsoleSender,
    Sender,
    SlackAuthError,
    SlackError,
    SlackSender,
    Sleep,
    new_web_client,
    retry_handlers,
)
from bot.slack.delivery import Delivery
from bot.slack.outbox import Alert
from handlers.alerts import AlertReactor
from handlers.alerts import run as run_reactor
from handlers.alerts import start as start_alerts
from handlers.routing import Route, Routing

if TYPE_CHECKING:  # Bolt takes a while to import; only what serves /trial needs it
    from slack_bolt.async_app import AsyncApp

    from handlers.slash import TrialCommands


@dataclass(frozen=True, slots=True)
class Polling:
    log: EventLog
    session: aiohttp.ClientSession
    poller: FeedPoller


@asynccontextmanager
async def open_event_log(
    settings: Settings, *, clock: Clock = system_clock
) -> AsyncIterator[EventLog]:
    log = await open_log(
        settings.log.url,
        clock=clock,
        synchronous=settings.log.synchronous,
        schema=settings.log.schema_name,
    )
    try:
        yield log
    finally:
        await log.close()


@asynccontextmanager
async def polling(settings: Settings, *, clock: Clock = system_clock) -> AsyncIterator[Polling]:
    """The event log, one HTTP session and the poller, closed in reverse order."""
    async with AsyncExitStack() as stack:
        log = await stack.enter_async_context(open_event_log(settings, clock=clock))
        session = await stack.enter_async_context(
            new_session(
                max_connections=settings.poller.max_connections, per_host=settings.poller.per_host
            )
        )
        poller = FeedPoller(
            log,
            session,
            DOMAIN_EVENTS,
            clock=clock,
            random=random.random,
            settings=settings.poller.poller_settings(),
        )
        yield Polling(log=log, session=session, poller=poller)


# -- Slack ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlackSecrets:
    """Slack's secrets, from the environment only (never from the configuration file)."""

    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SlackSecrets:
        env = os.environ if environ is None else environ
        return cls(
            bot_token=env.get("SLACK_BOT_TOKEN") or None,
            signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            app_token=env.get("SLACK_APP_TOKEN") or None,
        )


CONSOLE_CHANNEL = "console"


def alert_routing(settings: Settings, *, console: bool = False) -> Routing:
    """The configured routes; on the console, what no route takes is printed too."""
    slack = settings.slack
    default = slack.default_channel or (CONSOLE_CHANNEL if console else None)
    return Routing(
        routes=tuple(
            Route.of(
                route.channels,
                tickers=route.tickers,
                drugs=route.drugs,
                types=route.types,
                min_importance=route.min_importance,
            )
            for route in slack.routes
        ),
        default_channel=default,
        ops_channel=slack.ops_channel,
        min_importance=slack.min_importance,
    )


@asynccontextmanager
async def slack_client(
    settings: Settings, secrets: SlackSecrets, *, sleep: Sleep = asyncio.sleep
) -> AsyncIterator[AsyncWebClient | None]:
    """slack-sdk's client for the bot token on its own session; None without a token."""
    if not secrets.bot_token:
        yield None
        return
    slack = settings.slack
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=20), timeout=aiohttp.ClientTimeout(total=slack.timeout)
    ) as session:
        yield new_web_client(
            token=secrets.bot_token,
            base_url=slack.api_url,
            session=session,
            timeout=slack.timeout,
            handlers=retry_handlers(
                rate_limit_retries=slack.rate_limit_retries,
                server_error_retries=slack.server_error_retries,
                connection_retries=slack.connection_retries,
                sleep=sleep,
            ),
        )


@dataclass(frozen=True, slots=True)
class Alerting:
    """The alert reactor and the delivery step, run together until stopped."""

    log: EventLog
    reactor: AlertReactor
    delivery: Delivery

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(
            run_reactor(self.log, self.reactor, stop, on_decided=self.delivery.wake),
            self.delivery.run(stop),
        )


async def alerting(
    settings: Settings,
    log: EventLog,
    client: AsyncWebClient | None,
    *,
    clock: Clock = system_clock,
    write: Callable[[str], None] = print,
    on_sent: Callable[[Alert], None] = lambda alert: None,
) -> Alerting:
    """Alerts switched on (history already in the log never alerts), to Slack when there
    is a client, else printed with ``write``. A bad token is reported once, here."""
    slack = settings.slack
    sender: Sender = SlackSender(client) if client is not None else ConsoleSender(write)
    delivery = Delivery(log=log, sender=sender, clock=clock, on_sent=on_sent)
    if isinstance(sender, SlackSender):
        try:
            await sender.check()
        except SlackAuthError as exc:
            delivery.halt(exc)
        except SlackError as exc:  # Slack unreachable now: delivery retries later
            delivery.problems.append(f"auth.test failed: {exc}")
    await start_alerts(log)
    reactor = AlertReactor(
        log,
        alert_routing(settings, console=client is None),
        clock=clock,
        max_delay=timedelta(hours=slack.max_delay_hours),
        settle_timeout=timedelta(seconds=slack.settle_timeout),
    )
    return Alerting(log=log, reactor=reactor, delivery=delivery)


def trial_app(
    settings: Settings,
    log: EventLog,
    *,
    signing_secret: str,
    client: AsyncWebClient | None = None,
    clock: Clock = system_clock,
) -> tuple[AsyncApp, TrialCommands]:
    """The Bolt app with ``/trial`` registered on it, answering from ``log``."""
    from bot.slack.app import new_app
    from handlers.slash import TrialCommands, register

    bolt = new_app(signing_secret=signing_secret, client=client)
    commands = TrialCommands(log, clock=clock, command=settings.slack.command)
    register(bolt, commands)
    return bolt, commands
