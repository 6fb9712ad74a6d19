"""Delivery into Slack exactly once: crashes, server errors, rate limits, bad tokens, channels.

The real slack-sdk client with trialwire's retry handlers talks to the Slack
stand-in; crashes are simulated by a sender that dies around the real call.
"""

from __future__ import annotations

import logging

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.eventlog import EventLog
from bot.events import ReleaseReceived
from bot.slack.client import ConsoleSender, Posted, SlackSender, new_web_client, retry_handlers
from bot.slack.delivery import Delivery
from bot.slack.outbox import DELIVERY, DELIVERY_DECODER, QUEUE, Alert
from bot.slack.outbox import Delivery as Record
from bot.standins.slack import SlackFault, SlackStandIn
from handlers.alerts import AlertReactor, start
from handlers.pipeline import catch_up, knowledge_subscribers
from handlers.routing import Route, Routing
from tests.conftest import FakeClock
from tests.handlers.support import record_all
from tests.handlers.test_alerts import HOLD, ORPHAN, acme, alerts
from tests.slack.conftest import Sleeps


async def decided(
    log: EventLog, clock: FakeClock, *releases: ReleaseReceived, routing: Routing | None = None
) -> list[Alert]:
    """Record releases and let the reactor decide their alerts."""
    await start(log)
    reactor = AlertReactor(log, routing or Routing(default_channel="C0TRIALS"), clock=clock)
    await record_all(log, *releases)
    await catch_up(log, [*knowledge_subscribers(), reactor])
    await reactor.settle()
    return await alerts(log)


async def record(log: EventLog, alert: Alert) -> Record:
    raw = await log.get_state(DELIVERY, alert.alert_id)
    return DELIVERY_DECODER.decode(raw) if raw else Record()


class Killed(BaseException):
    """The process died (SIGKILL): nothing after this point runs."""


class DiesAfterPosting:
    """Slack accepts the message; the process dies before it can record that."""

    def __init__(self, sender: SlackSender) -> None:
        self.sender = sender

    async def post(self, alert: Alert) -> Posted:
        await self.sender.post(alert)
        raise Killed

    async def find(self, alert: Alert, oldest: float, latest: float) -> Posted | None:
        return await self.sender.find(alert, oldest, latest)


class DiesBeforePosting(DiesAfterPosting):
    async def post(self, alert: Alert) -> Posted:
        raise Killed


async def test_alerts_reach_slack_once_tagged_with_their_alert_id(
    event_log: EventLog, clock: FakeClock, slack: SlackStandIn, web_client: AsyncWebClient
) -> None:
    [alert] = await decided(event_log, clock, acme("1", HOLD, "2018-01-10"))
    delivery = Delivery(log=event_log, sender=SlackSender(web_client), clock=clock)
    assert (await delivery.deliver()).sent == 1
    assert (await delivery.deliver()).sent == 0

    [posted] = slack.posted("C0TRIALS")
    assert posted.metadata == {
        "event_type": "trialwire_alert",
        "event_payload": {"alert_id": alert.alert_id, "subject": "1"},
    }
    assert posted.blocks == alert.blocks
    assert posted.options["unfurl_links"] is False
    done = await record(event_log, alert)
    assert (done.status, done.ts, done.attempts) == ("sent", posted.ts, 1)
    assert await event_log.scan_state(QUEUE) == []


async def test_a_crash_after_slack_accepted_is_reconciled_from_the_channel_history(
    event_log: EventLog, clock: FakeClock, slack: SlackStandIn, web_client: AsyncWebClient
) -> None:
    [alert] = await decided(event_log, clock, acme("1", HOLD, "2018-01-10"))
    dying = Delivery(log=event_log, sender=DiesAfterPosting(SlackSender(web_client)), clock=clock)
    with pytest.raises(Killed):
        await dying.deliver()
    assert len(slack.posted()) == 1
    assert (await record(event_log, alert)).status == "sending"

    clock.advance(minutes=1)  # the restart
    restarted = Delivery(log=event_log, sender=SlackSender(web_client), clock=clock)
    done = await restarted.deliver()
    assert (done.sent, done.reconciled) == (0, 1)
    assert len(slack.posted()) == 1
    assert slack.count("conversations.history") == 1
    assert slack.count("chat.postMessage") == 1
    found = await record(event_log, alert)
    assert (found.status, found.reconciled, found.ts) == ("sent", True, slack.posted()[0].ts)


async def test_a_crash_before_slack_got_it_is_sent_after_looking(
    event_log: EventLog, clock: FakeClock, slack: SlackStandIn, web_client: AsyncWebClient
) -> None:
    first, second = await decided(
        event_log,
        clock,
        acme("1", HOLD, "2018-01-10"),
        acme("2", ORPHAN, "2018-02-10"),
    )
    sender = SlackSender(web_client)
    await sender.post(first)  # already in the channel: another alert's message
    async with event_log.transaction() as uow:
        await uow.delete_state(QUEUE, first.queue_key)
    dying = Delivery(log=event_log, sender=DiesBeforePosting(sender), clock=clock)
    with pytest.raises(Killed):
        await dying.deliver()
    restarted = Delivery(log=event_log, sender=sender, clock=clock)
    assert (await restarted.deliver()).sent == 1
    assert slack.count("conversations.history") == 1
    assert [m.metadata["event_payload"]["subject"] for m in slack.posted()] == ["1", "2"]  # type: ignore[index]
    assert (await record(event_log, second)).attempts == 2


async def test_a_server_error_after_posting_is_never_blindly_retried(
    event_log: EventLog, clock: FakeClock, slack: SlackStandIn, web_client: AsyncWebClient
) -> None:
    await decided(event_log, clock, acme("1", HOLD, "2018-01-10"))
    slack.inject(SlackFault(method="chat.postMessage", status=500, accept=True))
    delivery = Delivery(log=event_log, sender=SlackSender(web_client), clock=clock)
    first = await delivery.deliver()
    assert (first.sent, first.waiting) == (0, 1)
    assert slack.count("chat.postMessage") == 1  # slack-sdk did not post it again

    assert (await delivery.deliver()).waiting == 1  # backing off
    clock.advance(seconds=delivery.backoff_base + 1)
    assert (await delivery.deliver()).reconciled == 1
    assert len(slack.posted()) == 1


async def test_a_429_storm_is_waited_out_then_the_alert_delivered(
    event_log: EventLog, clock: FakeClock, slack: SlackStandIn, web_client: AsyncWebClient,
    sleeps: Sleeps,
) -> None:  # fmt: skip
    await decided(
        event_log,
        clock,
        acme("1", HOLD, "2018-01-10"),
        acme("2", ORPHAN, "2018-02-10"),
    )
    slack.inject(SlackFault(method="chat.postMessage", status=429, times=4, retry_after=3))
    delivery = Delivery(log=event_log, sender=SlackSender(web_client), clock=clock)
    assert (await delivery.deliver()).sent == 2
    assert [round(w) for w in sleeps.waits] == [3, 3, 3, 3]  # Retry-After, with a little jitter
    assert slack.count("chat.postMessage", status=429) == 4
    assert [m.metadata["event_payload"]["subject"] for m in slack.posted()] == ["1", "2"]  # type: ignore[index]


async def test_a_storm_longer_than_the_retries_leaves_alerts_queued_in_order(
    event_log: EventLog, clock: FakeClock, slack: SlackStandIn, web_client: AsyncWebClient
) -> None:
    await decided(
        event_log,
        clock,
        acme("1", HOLD, "2018-01-10"),
        acme("2", ORPHAN, "2018-02-10"),
    )
    slack.inject(SlackFault(method="chat.postMessage", status=429, times=6, retry_after=30))
    delivery = Delivery(log=event_log, sender=SlackSender(web_client), clock=clock)
    storm = await delivery.deliver()
    assert (storm.sent, storm.waiting) == (0, 2)  # the second waits behind the first
    assert slack.posted() == []
    assert (await delivery.deliver()).waiting == 2  # Retry-After not over yet
    clock.advance(seconds=31)
    assert (await delivery.deliver()).sent == 2
    assert [m.metadata["event_payload"]["subject"] for m in slack.posted()] == ["1", "2"]  # type: ignore[index]


async def test_an_invalid_token_is_reported_once_and_never_retried(
    event_log: EventLog,
    clock: FakeClock,
    slack: SlackStandIn,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await decided(
        event_log,
        clock,
        acme("1", HOLD, "2018-01-10"),
        acme("2", ORPHAN, "2018-02-10"),
    )
    bad = new_web_client(token="xoxb-revoked", base_url=slack.api_url, session=session)
    delivery = Delivery(log=event_log, sender=SlackSender(bad), clock=clock)
    with caplog.at_level(logging.ERROR, logger="bot.slack.delivery"):
        first = await delivery.deliver()
        for _ in range(3):
            clock.advance(hours=1)
            await delivery.deliver()
    assert first.halted is not None
    assert "invalid_auth" in first.halted
    assert "SLACK_BOT_TOKEN" in first.halted
    assert slack.count("chat.postMessage") == 1
    assert [r.getMessage() for r in caplog.records] == [first.halted]
    assert len(await event_log.scan_state(QUEUE)) == 2  # kept for a good token


async def test_an_unknown_channel_fails_its_alerts_only_and_is_reported_once(
    event_log: EventLog,
    clock: FakeClock,
    slack: SlackStandIn,
    web_client: AsyncWebClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    routing = Routing(default_channel="C0TRIALS", routes=(Route.of(["C0GONE", "C0TRIALS"]),))
    decided_alerts = await decided(
        event_log,
        clock,
        acme("1", HOLD, "2018-01-10"),
        acme("2", ORPHAN, "2018-02-10"),
        routing=routing,
    )
    assert len(decided_alerts) == 4
    delivery = Delivery(log=event_log, sender=SlackSender(web_client), clock=clock)
    with caplog.at_level(logging.ERROR, logger="bot.slack.delivery"):
        done = await delivery.deliver()
    assert (done.sent, done.failed) == (2, 2)
    assert len(slack.posted("C0TRIALS")) == 2
    assert [r.getMessage() for r in caplog.records] == [
        "alerts to C0GONE fail: channel_not_found (check the channel id in [slack])"
    ]
    gone = [a for a in decided_alerts if a.channel == "C0GONE"]
    assert {(await record(event_log, a)).status for a in gone} == {"failed"}
    assert await event_log.scan_state(QUEUE) == []


async def test_without_a_token_alerts_print_in_the_same_layout(
    event_log: EventLog, clock: FakeClock
) -> None:
    routing = Routing(default_channel="console")
    await decided(event_log, clock, acme("1", HOLD, "2018-01-10"), routing=routing)
    printed: list[str] = []
    delivery = Delivery(log=event_log, sender=ConsoleSender(printed.append), clock=clock)
    assert (await delivery.deliver()).sent == 1
    [text] = printed
    assert text.splitlines()[:4] == [
        "── console · Acme Bio, Inc. ──",
        "*Acme Bio, Inc.* (Nasdaq:ACME)",
        "  10 Jan 2018 · Acme Bio, Inc (https://www.globenewswire.com/news-release/1.html)",
        "*Clinical hold placed by FDA*",
    ]


async def test_read_calls_are_retried_on_server_errors_but_posts_are_not(
    slack: SlackStandIn, session: aiohttp.ClientSession, sleeps: Sleeps
) -> None:
    client = new_web_client(
        token="xoxb-standin",
        base_url=slack.api_url,
        session=session,
        handlers=retry_handlers(server_error_retries=2, sleep=sleeps),
    )
    slack.inject(SlackFault(method="auth.test", status=500, times=2))
    assert (await client.auth_test())["ok"] is True
    assert slack.count("auth.test") == 3
