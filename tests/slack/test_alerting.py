"""The alert pieces as the daemon runs them: followers in the background, Slack at the end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.compose import alerting
from bot.eventlog import CatchUpSubscription, EventLog
from bot.settings import Settings, parse_settings
from bot.slack.client import SlackSender, new_web_client
from bot.slack.delivery import Delivery
from bot.slack.outbox import QUEUE
from bot.standins.slack import SlackStandIn
from handlers.alerts import AlertReactor, start
from handlers.pipeline import catch_up, knowledge_subscribers
from handlers.routing import Routing
from tests.conftest import FakeClock
from tests.eventlog.conftest import OpenLog
from tests.handlers.support import corpus_release, record_all
from tests.handlers.test_alerts import HOLD, acme
from tests.slack.test_delivery import DiesAfterPosting, Killed


def settings(**slack: object) -> Settings:
    return parse_settings({"slack": {"default_channel": "C0TRIALS", **slack}})


@pytest.fixture
async def followers(event_log: EventLog) -> AsyncIterator[asyncio.Event]:
    """The knowledge pipeline following the log in the background, as in the daemon."""
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(CatchUpSubscription(event_log, s).run(stop))
        for s in knowledge_subscribers()
    ]
    yield stop
    stop.set()
    await asyncio.gather(*tasks)


async def test_a_release_reaches_slack_as_one_message_while_everything_runs(
    event_log: EventLog,
    clock: FakeClock,
    slack: SlackStandIn,
    web_client: AsyncWebClient,
    followers: asyncio.Event,
) -> None:
    alerts = await alerting(settings(), event_log, web_client, clock=clock)
    stop = asyncio.Event()
    running = asyncio.create_task(alerts.run(stop))
    try:
        await record_all(event_log, corpus_release("000_cellectar_clr131_cohort4_initiated"))
        await slack.wait_for(lambda: len(slack.posted()) == 1)
        await record_all(event_log, acme("9", HOLD, "2017-02-22", backfill=True))
        await record_all(event_log, acme("10", HOLD, "2017-02-22"))
        await slack.wait_for(lambda: len(slack.posted()) == 2)
    finally:
        stop.set()
        await running
    first, second = slack.posted()
    assert "Cohort 4 initiated at 31.25 mCi/m² · +25 % vs cohort 3" in first.text
    assert second.metadata is not None
    assert second.metadata["event_payload"]["subject"] == "10"  # the backfilled "9" never
    assert slack.count("auth.test") == 1


async def test_a_bad_token_is_found_at_start_and_nothing_is_sent(
    event_log: EventLog, clock: FakeClock, slack: SlackStandIn, session: aiohttp.ClientSession
) -> None:
    bad = new_web_client(token="xoxb-wrong", base_url=slack.api_url, session=session)
    alerts = await alerting(settings(), event_log, bad, clock=clock)
    assert alerts.delivery.halted is not None
    assert "invalid_auth" in alerts.delivery.halted
    await record_all(event_log, acme("1", HOLD, "2017-02-22"))
    await catch_up(event_log, [*knowledge_subscribers(), alerts.reactor])
    assert (await alerts.delivery.deliver()).halted == alerts.delivery.halted
    assert slack.count("chat.postMessage") == 0
    assert len(await event_log.scan_state(QUEUE)) == 1


async def test_exactly_once_across_a_crash_on_both_backends(
    open_log: OpenLog, clock: FakeClock, slack: SlackStandIn, web_client: AsyncWebClient
) -> None:
    log = await open_log()
    await start(log)
    reactor = AlertReactor(log, Routing(default_channel="C0TRIALS"), clock=clock)
    await record_all(log, corpus_release("000_cellectar_clr131_cohort4_initiated"))
    await catch_up(log, [*knowledge_subscribers(), reactor])
    with pytest.raises(Killed):
        await Delivery(
            log=log, sender=DiesAfterPosting(SlackSender(web_client)), clock=clock
        ).deliver()

    restarted = await open_log()  # a new process: empty memories, the same database
    reactor = AlertReactor(restarted, Routing(default_channel="C0TRIALS"), clock=clock)
    await catch_up(restarted, [*knowledge_subscribers(), reactor])
    done = await Delivery(log=restarted, sender=SlackSender(web_client), clock=clock).deliver()
    assert (done.sent, done.reconciled) == (0, 1)
    assert len(slack.posted()) == 1
