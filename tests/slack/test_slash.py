"""``/trial`` through Bolt: signed HTTP requests to a real aiohttp server, and Socket Mode."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.compose import trial_app
from bot.eventlog import EventLog
from bot.events.slack import channel_stream
from bot.settings import Settings
from bot.slack.app import new_app, serve_http, socket_mode
from bot.slack.mrkdwn import to_console
from bot.standins.slack import APP_TOKEN, SlackStandIn
from handlers.alerts import AlertReactor, start
from handlers.pipeline import catch_up, knowledge_subscribers
from handlers.routing import Routing
from handlers.slash import AnswerCache, Invocation, TrialCommands, register
from tests.conftest import FakeClock
from tests.handlers.support import corpus_release, record_all
from tests.handlers.test_alerts import HOLD, ORPHAN, acme, alerts
from tests.slack.conftest import SIGNING_SECRET, signed, slash_body


@dataclass
class Trial:
    """The /trial endpoint and a way to call it as Slack does."""

    url: str
    session: aiohttp.ClientSession
    commands: TrialCommands

    async def call(
        self, text: str, *, channel: str = "C0TRIALS", headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        body = slash_body(text, channel=channel)
        async with self.session.post(self.url, data=body, headers=headers or signed(body)) as got:
            raw = await got.text()
            return got.status, json.loads(raw) if raw.startswith("{") else raw

    async def answer(self, text: str, **kw: Any) -> tuple[str, str]:
        """The answer's response type and its blocks as the console would show them."""
        status, body = await self.call(text, **kw)
        assert status == 200, body
        return body["response_type"], to_console(body["blocks"])


@pytest.fixture
async def trial(
    event_log: EventLog,
    clock: FakeClock,
    web_client: AsyncWebClient,
    session: aiohttp.ClientSession,
) -> AsyncIterator[Trial]:
    await record_all(
        event_log,
        corpus_release("000_cellectar_clr131_cohort4_initiated"),
        acme("1", HOLD, "2017-01-10"),
    )
    await catch_up(event_log)
    bolt, commands = trial_app(
        Settings(), event_log, signing_secret=SIGNING_SECRET, client=web_client, clock=clock
    )
    async with serve_http(bolt, port=0) as url:
        yield Trial(url=url, session=session, commands=commands)
    await commands.close()


async def test_a_ticker_gets_every_trial_of_the_company_only_for_the_asker(trial: Trial) -> None:
    kind, shown = await trial.answer("CLRB")
    assert kind == "ephemeral"
    lines = shown.splitlines()
    assert lines[0] == "*Cellectar Biosciences, Inc.* (Nasdaq:CLRB)"
    assert "*CLR 131*" in lines
    assert any(
        "Phase 1 · recruiting · latest cohort 4 initiated at 31.25 mCi/m²" in line for line in lines
    )
    assert any("escalated 25 mCi/m² → 31.25 mCi/m² (+25 %), 1 in all" in line for line in lines)
    assert "• CLR 131 — Phase 2 start: Q1 2017 (moved earlier: now Q1 2017)" in lines


async def test_public_answers_in_the_channel(trial: Trial) -> None:
    kind, shown = await trial.answer("CLRB public")
    assert kind == "in_channel"
    assert shown.startswith("*Cellectar Biosciences, Inc.*")


async def test_a_drug_answers_for_its_company_however_it_is_spelled(trial: Trial) -> None:
    for name in ("CLR 131", "clr-131", "Nasdaq:CLRB"):
        _, shown = await trial.answer(name)
        assert shown.startswith("*Cellectar Biosciences, Inc.*"), name


async def test_an_unknown_name_gets_near_matches(trial: Trial) -> None:
    _, shown = await trial.answer("CLRX")
    assert (
        shown
        == "Nothing known about CLRX. Did you mean `CLRB`, `CLR131`? `/trial help` shows what I answer."
    )


async def test_what_a_user_types_is_shown_never_acted_on(trial: Trial) -> None:
    status, body = await trial.call("<!channel> <@U1> <https://evil|bank> public")
    assert status == 200
    text = body["blocks"][0]["text"]["text"]
    assert text.startswith(
        "Nothing known about &lt;!channel&gt; &lt;@U1&gt; &lt;https://evil|bank&gt;."
    )


async def test_timeline_reads_the_drugs_stream_in_the_log(trial: Trial) -> None:
    _, shown = await trial.answer("timeline CLR 131")
    lines = shown.splitlines()
    assert lines[0].startswith("*Timeline of CLR 131*")
    assert "`2017-02-22` Cohort 4 initiated at 31.25 mCi/m² · +25 % vs cohort 3" in lines
    assert "`2017-02-22` Phase 2 start moved earlier: now Q1 2017" in lines


async def test_guidance_gives_the_book_and_the_track_record(trial: Trial) -> None:
    _, shown = await trial.answer("guidance CLRB")
    lines = shown.splitlines()
    assert lines[0] == "*Cellectar Biosciences, Inc.* (Nasdaq:CLRB) — guidance track record"
    assert lines[1].startswith("As of 2017-02-22: 1 ahead, 0 on time, 0 late")
    assert "*Delivered ahead*" in lines


async def test_upcoming_lists_guided_milestones_soonest_first(trial: Trial) -> None:
    _, shown = await trial.answer("upcoming")
    lines = shown.splitlines()
    assert lines[0].startswith("*Upcoming catalysts* as of 2017-02-22")
    assert lines[1] == "`Q1 2017` *CLRB* CLR 131: Phase 2 start · moved 1×"


async def test_help_and_an_empty_command_explain_the_subcommands(trial: Trial) -> None:
    for text in ("", "help", "timeline"):
        _, shown = await trial.answer(text)
        assert "*/trial timeline DRUG*" in shown


async def test_watch_and_unwatch_change_this_channels_alerts(
    trial: Trial, event_log: EventLog, clock: FakeClock, slack: SlackStandIn
) -> None:
    _, shown = await trial.answer("watch nasdaq:acme", channel="C0CLRB")
    assert shown == "This channel now gets trialwire alerts for ACME (Acme Bio, Inc.)."
    _, shown = await trial.answer("watch", channel="C0CLRB")
    assert shown == "This channel watches ACME."
    [change] = [e async for e in event_log.read_stream(channel_stream("C0CLRB"))]
    assert change.type == "ChannelWatched"

    await start(event_log)
    reactor = AlertReactor(event_log, Routing(default_channel="C0TRIALS"), clock=clock)
    await record_all(event_log, acme("2", HOLD.replace("Phase 1", "Phase 2"), "2017-02-21"))
    await catch_up(event_log, [*knowledge_subscribers(), reactor])
    assert sorted(a.channel for a in await alerts(event_log)) == ["C0CLRB", "C0TRIALS"]

    _, shown = await trial.answer("unwatch ACME", channel="C0CLRB")
    assert shown == "This channel no longer gets trialwire alerts for ACME (Acme Bio, Inc.)."
    _, shown = await trial.answer("watch", channel="C0CLRB")
    assert shown.startswith("This channel watches no company of its own.")


async def test_watching_a_company_not_yet_in_the_log_says_so(trial: Trial) -> None:
    _, shown = await trial.answer("watch NEWCO")
    assert shown.startswith("NEWCO is not in the log yet;")
    status, body = await trial.call("watch <!channel>")
    assert status == 200
    assert body["blocks"][0]["text"]["text"] == (
        "&lt;!channel&gt; does not look like a ticker (letters, digits, '.' or '-')."
    )


async def test_requests_without_a_valid_fresh_signature_are_refused(
    trial: Trial, event_log: EventLog
) -> None:
    body = slash_body("watch ACME")
    forged = signed(body, secret="not-the-secret")
    stale = signed(body, at=time.time() - 6 * 60)
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    other_body = signed(slash_body("watch CLRB"))
    for headers in (forged, stale, unsigned, other_body):
        async with trial.session.post(trial.url, data=body, headers=headers) as got:
            assert got.status == 401
    assert [e async for e in event_log.read_stream(channel_stream("C0TRIALS"))] == []


async def test_an_oversized_body_is_refused_before_anything_reads_it(trial: Trial) -> None:
    body = slash_body("x" * 100_000)
    async with trial.session.post(trial.url, data=body, headers=signed(body)) as got:
        assert got.status == 413


class Gated(TrialCommands):
    """Answers only once the gate opens: slower than Slack's 3 seconds, as far as Bolt knows."""

    gate: asyncio.Event

    async def answer(self, call: Invocation) -> Any:
        await self.gate.wait()
        return await super().answer(call)


async def test_a_slow_answer_is_acked_at_once_and_sent_to_the_response_url(
    event_log: EventLog,
    clock: FakeClock,
    web_client: AsyncWebClient,
    session: aiohttp.ClientSession,
    slack: SlackStandIn,
) -> None:
    await record_all(event_log, corpus_release("000_cellectar_clr131_cohort4_initiated"))
    await catch_up(event_log)
    bolt = new_app(signing_secret=SIGNING_SECRET, client=web_client)
    commands = Gated(event_log, clock=clock)
    commands.gate = asyncio.Event()
    register(bolt, commands, ack_within=0.05)
    async with serve_http(bolt, port=0) as url:
        body = slash_body("CLRB", response_url=slack.response_url("late"))
        async with session.post(url, data=body, headers=signed(body)) as got:
            acked = await got.json()
        assert acked["text"] == "Looking that up…"
        commands.gate.set()
        await slack.wait_for(lambda: bool(slack.responses))
    await commands.close()
    [late] = slack.responses
    assert late["name"] == "late"
    assert late["response_type"] == "ephemeral"
    assert to_console(late["blocks"]).startswith("*Cellectar Biosciences, Inc.*")


async def test_socket_mode_answers_without_a_public_url(
    event_log: EventLog, clock: FakeClock, web_client: AsyncWebClient, slack: SlackStandIn
) -> None:
    await record_all(event_log, corpus_release("000_cellectar_clr131_cohort4_initiated"))
    await catch_up(event_log)
    bolt, commands = trial_app(
        Settings(), event_log, signing_secret=SIGNING_SECRET, client=web_client, clock=clock
    )
    async with socket_mode(bolt, app_token=APP_TOKEN, web_client=web_client):
        payload = dict(parse_qsl(slash_body("CLRB public")))
        envelope = await slack.send_envelope("slash_commands", payload)
        await slack.wait_for(lambda: envelope in slack.socket_acks)
    ack = slack.socket_acks[envelope]["payload"]
    assert ack["response_type"] == "in_channel"
    assert to_console(ack["blocks"]).startswith("*Cellectar Biosciences, Inc.*")
    await commands.close()


async def test_answers_are_reused_until_the_trial_state_moves_on(
    event_log: EventLog, clock: FakeClock
) -> None:
    await record_all(event_log, acme("1", HOLD, "2017-01-10"))
    await catch_up(event_log)
    now = [0.0]
    commands = TrialCommands(
        event_log, clock=clock, cache=AnswerCache(event_log, refresh=0.1, monotonic=lambda: now[0])
    )
    ask = Invocation(text="ACME")
    first = await commands.answer(ask)
    assert await commands.answer(ask) is not first  # a new Answer …
    assert (await commands.answer(ask)).message is first.message  # … around the same message

    await record_all(event_log, acme("2", ORPHAN, "2017-02-10"))
    await catch_up(event_log)
    assert (await commands.answer(ask)).message is first.message  # at most `refresh` behind
    now[0] += 0.1
    fresh = await commands.answer(ask)
    assert "Orphan drug designation (FDA) 2017-02-10" in to_console(fresh.message.blocks)
    assert "Orphan" not in to_console(first.message.blocks)
