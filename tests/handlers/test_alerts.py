"""The alert reactor: one message per release, most important first, never history, routed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.eventlog import EventLog, NewEvent, RecordedEvent, UnitOfWork
from bot.events import DOMAIN_EVENTS, ReleaseReceived, event_id
from bot.events.feed import FeedFailing, FeedRecovered, feed_stream
from bot.events.slack import ChannelUnwatched, ChannelWatched, channel_stream
from bot.slack.mrkdwn import to_console
from bot.slack.outbox import ALERT_DECODER, OUTBOX, QUEUE, Alert
from handlers.alerts import PENDING, AlertReactor, start
from handlers.extraction import derived_events
from handlers.pipeline import catch_up, knowledge_subscribers
from handlers.routing import Route, Routing
from tests.conftest import FakeClock
from tests.handlers.support import corpus_release, record_all, release


def acme(release_id: str, text: str, published: str, *, backfill: bool = False) -> ReleaseReceived:
    return release(
        release_id,
        text,
        published=published,
        company="Acme Bio, Inc.",
        tickers=("Nasdaq:ACME",),
        backfill=backfill,
    )


HOLD = (
    "Acme Bio, Inc. (Nasdaq:ACME) today announced that the U.S. Food and Drug Administration "
    "(FDA) has placed a clinical hold on the Phase 1 trial of AB-101."
)
COHORT = (
    "Acme Bio, Inc. (Nasdaq:ACME) today announced the initiation of the third cohort of its "
    "Phase 1 trial of AB-101 at a dose of 10 mg/kg."
)
ORPHAN = (
    "Acme Bio, Inc. (Nasdaq:ACME) announced that the FDA granted Orphan Drug Designation to "
    "AB-101 for the treatment of glioma."
)


def topline(when: str) -> str:
    return (
        "Acme Bio, Inc. (Nasdaq:ACME) expects to report topline data from the Phase 2 trial of "
        f"AB-101 in {when}."
    )


async def alerts(log: EventLog) -> list[Alert]:
    """What the reactor queued, in the order it decided."""
    found = []
    for _, raw_id in await log.scan_state(QUEUE):
        raw = await log.get_state(OUTBOX, raw_id.decode())
        assert raw is not None
        found.append(ALERT_DECODER.decode(raw))
    return found


def facts(alert: Alert) -> list[str]:
    """Each fact's line, as the console shows it."""
    return [
        line.strip("*")
        for line in to_console(alert.blocks).splitlines()[2:]
        if line.startswith("*") and line.endswith("*")
    ]


def reactor(log: EventLog, clock: FakeClock, **routing: object) -> AlertReactor:
    setup: dict[str, object] = {"default_channel": "C0TRIALS", **routing}
    return AlertReactor(log, Routing(**setup), clock=clock)  # type: ignore[arg-type]


async def run(log: EventLog, alerting: AlertReactor) -> None:
    await catch_up(log, [*knowledge_subscribers(), alerting])
    await alerting.settle()


async def test_a_release_becomes_one_message_its_facts_most_important_first(
    event_log: EventLog, clock: FakeClock
) -> None:
    await start(event_log)
    alerting = reactor(event_log, clock)
    await record_all(event_log, corpus_release("000_cellectar_clr131_cohort4_initiated"))
    await run(event_log, alerting)

    [alert] = await alerts(event_log)
    assert alert.channel == "C0TRIALS"
    assert alert.blocks[0]["text"]["text"] == "*Cellectar Biosciences, Inc.* (Nasdaq:CLRB)"
    lines = facts(alert)
    assert lines[:3] == [
        "Cohort 4 initiated at 31.25 mCi/m² · +25 % vs cohort 3",
        "Phase 2 start moved earlier: now Q1 2017",
        "Cohort 4 start reached ahead of guidance (guided end of Q2 2017)",
    ]
    # The move says what restating the same guidance would; the escalation is in line 1.
    assert not any(line.startswith(("Phase 2 start expected", "Dose escalated")) for line in lines)
    assert alert.metadata()["event_payload"]["alert_id"] == alert.alert_id

    await run(event_log, alerting)  # nothing new: nothing decided twice
    assert len(await alerts(event_log)) == 1


async def test_an_inferred_move_waits_for_the_tracker_and_joins_the_same_message(
    event_log: EventLog, clock: FakeClock
) -> None:
    extraction, tracker, state = knowledge_subscribers()
    await start(event_log)
    alerting = reactor(event_log, clock)
    await record_all(event_log, acme("1", topline("the second half of 2018"), "2018-01-10"))
    await run(event_log, alerting)
    assert [facts(a) for a in await alerts(event_log)] == [
        ["Phase 2 topline data expected in H2 2018"]
    ]

    await record_all(event_log, acme("2", topline("the first quarter of 2019"), "2018-06-01"))
    await catch_up(event_log, [extraction, alerting])  # the tracker has not run yet
    await alerting.settle()
    assert len(await alerts(event_log)) == 1
    assert alerting.waiting == 1

    await catch_up(event_log, [tracker, state, alerting])
    await alerting.settle()
    second = (await alerts(event_log))[1]
    assert facts(second) == ["Phase 2 topline data moved later: H2 2018 → Q1 2019"]
    assert "inferred by trialwire" in second.blocks[2]["text"]["text"]
    assert await event_log.scan_state(PENDING) == []


async def test_backfilled_releases_never_alert(event_log: EventLog, clock: FakeClock) -> None:
    await start(event_log)
    alerting = reactor(event_log, clock)
    await record_all(event_log, acme("1", HOLD, "2018-01-10", backfill=True))
    await run(event_log, alerting)
    assert await alerts(event_log) == []


async def test_events_marked_history_never_alert(event_log: EventLog, clock: FakeClock) -> None:
    await start(event_log)
    alerting = reactor(event_log, clock)
    item = acme("1", HOLD, "2018-01-10")
    await record_all(event_log, item)
    [recorded] = [r async for r in event_log.read(types=[ReleaseReceived.TYPE])]
    for stream, events in derived_events(recorded, item).items():
        marked = [
            NewEvent(
                event_id=e.event_id,
                type=e.type,
                data=e.data,
                occurred_at=e.occurred_at,
                caused_by=e.caused_by,
                metadata=e.metadata.replace(b'"history":false', b'"history":true'),
            )
            for e in events
        ]
        await event_log.append(stream, marked)
    await run(event_log, alerting)  # the extraction stage finds the same ids: no-ops
    assert await alerts(event_log) == []


async def test_what_was_in_the_log_before_alerts_were_switched_on_never_alerts(
    event_log: EventLog, clock: FakeClock
) -> None:
    await record_all(event_log, acme("1", HOLD, "2018-01-10"))
    await catch_up(event_log)
    await start(event_log)
    alerting = reactor(event_log, clock)
    await run(event_log, alerting)
    assert await alerts(event_log) == []

    await start(event_log)  # switching on again changes nothing
    await record_all(event_log, acme("2", ORPHAN, "2018-02-10"))
    await run(event_log, alerting)
    assert [facts(a) for a in await alerts(event_log)] == [
        ["Orphan drug designation granted by FDA"]
    ]


async def test_a_reextraction_or_a_replay_never_alerts_again(
    event_log: EventLog, clock: FakeClock
) -> None:
    await start(event_log)
    alerting = reactor(event_log, clock)
    item = acme("1", HOLD, "2018-01-10")
    await record_all(event_log, item)
    await run(event_log, alerting)
    assert len(await alerts(event_log)) == 1

    # A better extractor reads the old release again and finds one more fact.
    [recorded] = [r async for r in event_log.read(types=[ReleaseReceived.TYPE])]
    again = acme("1", HOLD + " " + ORPHAN, "2018-01-10")
    for stream, events in derived_events(recorded, again).items():
        await event_log.append(stream, events)
    await run(event_log, alerting)
    assert len(await alerts(event_log)) == 1

    # A week later the reactor is replayed from the start: old news stays old.
    clock.advance(days=7)
    async with event_log.transaction() as uow:
        await uow.save_checkpoint(alerting.name, 0)
    replayed = reactor(event_log, clock)
    await run(event_log, replayed)
    assert len(await alerts(event_log)) == 1


async def test_news_older_than_max_delay_is_not_alerted(
    event_log: EventLog, clock: FakeClock
) -> None:
    await start(event_log)
    alerting = AlertReactor(
        event_log, Routing(default_channel="C0TRIALS"), clock=clock, max_delay=timedelta(hours=6)
    )
    await record_all(event_log, acme("1", HOLD, "2018-01-10"))
    clock.advance(hours=7)  # the daemon was down all that time
    await run(event_log, alerting)
    assert await alerts(event_log) == []


async def test_routes_pick_channels_by_ticker_drug_type_and_importance(
    event_log: EventLog, clock: FakeClock
) -> None:
    await start(event_log)
    alerting = reactor(
        event_log,
        clock,
        routes=(
            Route.of(["C0CLRB"], tickers=["Nasdaq:CLRB"]),
            Route.of(["C0URGENT"], min_importance="high"),
            Route.of(["C0ACME"], drugs=["ab 101"], types=["RegulatoryDesignation"]),
        ),
    )
    await record_all(
        event_log,
        corpus_release("000_cellectar_clr131_cohort4_initiated"),
        acme("1", HOLD + " " + COHORT, "2018-01-10"),
        acme("2", ORPHAN, "2018-02-10"),
    )
    await run(event_log, alerting)

    sent = {(a.channel, a.subject): facts(a) for a in await alerts(event_log)}
    clrb = next(lines for (channel, _), lines in sent.items() if channel == "C0CLRB")
    assert clrb[0].startswith("Cohort 4 initiated")
    # The hold is urgent; the cohort start in the same release is not, and goes to the default.
    assert sent[("C0URGENT", "1")] == ["Clinical hold placed by FDA"]
    assert sent[("C0TRIALS", "1")][0].startswith("Cohort 3 initiated at 10 mg/kg")
    assert sent[("C0ACME", "2")] == ["Orphan drug designation granted by FDA"]
    assert {channel for channel, _ in sent} == {"C0CLRB", "C0URGENT", "C0TRIALS", "C0ACME"}


async def test_below_the_minimum_importance_nothing_alerts(
    event_log: EventLog, clock: FakeClock
) -> None:
    await start(event_log)
    alerting = reactor(event_log, clock, min_importance="high")
    await record_all(
        event_log,
        acme("1", COHORT, "2018-01-10"),
        acme("2", HOLD, "2018-02-10"),
    )
    await run(event_log, alerting)
    assert [(a.subject, facts(a)) for a in await alerts(event_log)] == [
        ("2", ["Clinical hold placed by FDA"])
    ]


async def watch(log: EventLog, channel: str, company: str, *, on: bool) -> None:
    change = (ChannelWatched if on else ChannelUnwatched)(channel=channel, company=company)
    await log.append(
        channel_stream(channel),
        [
            NewEvent.from_domain(
                DOMAIN_EVENTS,
                change,
                event_id=event_id(change.TYPE, channel, company, datetime.now(UTC).isoformat()),
            )
        ],
    )


async def test_watch_and_unwatch_change_a_channels_routing(
    event_log: EventLog, clock: FakeClock
) -> None:
    await start(event_log)
    alerting = reactor(event_log, clock)
    await watch(event_log, "C0CLRB", "ACME", on=True)
    await record_all(event_log, acme("1", HOLD, "2018-01-10"))
    await run(event_log, alerting)
    assert sorted(a.channel for a in await alerts(event_log)) == ["C0CLRB", "C0TRIALS"]

    await watch(event_log, "C0TRIALS", "ACME", on=False)
    await watch(event_log, "C0CLRB", "ACME", on=False)
    await watch(event_log, "C0CLRB", "ACME", on=True)
    await record_all(event_log, acme("2", ORPHAN, "2018-02-10"))
    await run(event_log, alerting)
    assert [a.channel for a in await alerts(event_log) if a.subject == "2"] == ["C0CLRB"]


async def test_a_stage_that_never_catches_up_is_waited_for_a_bounded_time(
    event_log: EventLog, clock: FakeClock
) -> None:
    await start(event_log)
    alerting = AlertReactor(
        event_log,
        Routing(default_channel="C0TRIALS"),
        clock=clock,
        after=("extraction", "a-stage-that-is-down"),
        settle_timeout=timedelta(minutes=2),
    )
    await record_all(event_log, acme("1", HOLD, "2018-01-10"))
    await run(event_log, alerting)
    assert await alerts(event_log) == []
    clock.advance(minutes=3)
    assert await alerting.settle() == 1
    assert [facts(a) for a in await alerts(event_log)] == [["Clinical hold placed by FDA"]]


class CrashAfterHandling(AlertReactor):
    """Handles a page, then dies before its unit of work commits."""

    crashes = 1

    async def handle(self, uow: UnitOfWork, events: Sequence[RecordedEvent]) -> None:
        await super().handle(uow, events)
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("killed before commit")


async def test_a_page_handled_again_after_a_crash_queues_each_alert_once(
    event_log: EventLog, clock: FakeClock
) -> None:
    await start(event_log)
    alerting = CrashAfterHandling(event_log, Routing(default_channel="C0TRIALS"), clock=clock)
    await record_all(event_log, acme("1", HOLD, "2018-01-10"))
    await catch_up(event_log)
    with pytest.raises(RuntimeError, match="killed"):
        await run(event_log, alerting)
    assert await alerts(event_log) == []
    await run(event_log, alerting)
    await run(event_log, alerting)
    assert len(await alerts(event_log)) == 1


async def test_a_failing_feed_and_its_recovery_are_reported_once_to_the_ops_channel(
    event_log: EventLog, clock: FakeClock
) -> None:
    await start(event_log)
    alerting = reactor(event_log, clock, ops_channel="C0OPS")
    failing = FeedFailing(
        feed="biotech",
        url="https://www.globenewswire.com/RssFeed/industry/x",
        error="<!channel> HTTP 503",
        kind="server",
        failures=3,
        since=clock(),
    )
    new = NewEvent.from_domain(
        DOMAIN_EVENTS, failing, event_id=event_id(failing.TYPE, "biotech", clock().isoformat())
    )
    await event_log.append(feed_stream("biotech"), [new])
    await event_log.append(feed_stream("biotech"), [new])  # reported once by its id
    await run(event_log, alerting)
    await run(event_log, alerting)
    [alert] = await alerts(event_log)
    assert alert.channel == "C0OPS"
    assert "Feed *biotech* has failed 3 polls in a row" in alert.text
    assert "&lt;!channel&gt; HTTP 503" in alert.text

    recovered = FeedRecovered(feed="biotech", url=failing.url, failures=5, since=failing.since)
    new = NewEvent.from_domain(
        DOMAIN_EVENTS, recovered, event_id=event_id(recovered.TYPE, "biotech", clock().isoformat())
    )
    await event_log.append(feed_stream("biotech"), [new])
    await run(event_log, alerting)
    assert [a.text for a in await alerts(event_log)][1] == (
        ":white_check_mark: Feed *biotech* is back after 5 failed polls "
        "(failing since 22 Feb 2017 13:00 UTC)."
    )
