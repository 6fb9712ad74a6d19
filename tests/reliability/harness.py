"""The crash harness: the real daemon as a subprocess, SIGKILLed at random moments, restarted.

Releases arrive on the GlobeNewswire stand-in while the daemon runs. Each
round the daemon is killed at a moment picked at random among events it
causes (the log reaching a position, a subscriber moving its checkpoint, the
GlobeNewswire stand-in serving a request, the Slack stand-in accepting an
alert), so kills land inside polls, page fetches, appends, projections and
alert delivery. At the end the daemon runs until it is quiet and is stopped
cleanly, then the log and Slack are checked: every release exactly once,
every fact exactly once, every subscriber at the head, and one alert per
release in the channel — none missing, none twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from bot.eventlog.sqlite import SQLiteEventLog
from bot.events import ReleaseReceived
from bot.slack.outbox import QUEUE
from bot.standins.gnw import GlobeNewswireStandIn, StandInRelease, slug
from bot.standins.slack import BOT_TOKEN, SlackStandIn
from handlers.alerts import NAME as ALERTS
from handlers.alerts import STARTED
from tests.conftest import child_env

ROOT = Path(__file__).resolve().parents[2]
COMPANIES = (
    ("Cellectar Biosciences, Inc.", "Nasdaq:CLRB", "CLR 131"),
    ("Selecta Biosciences, Inc.", "Nasdaq:SELB", "SEL-212"),
    ("Moleculin Biotech, Inc.", "Nasdaq:MBRX", "Annamycin"),
)
SUBSCRIBERS = ("extraction", "guidance-tracker", "trial-state", "slack-alerts")
CHANNEL = "C0TRIALS"


@dataclass(kw_only=True)
class CrashReport:
    kills: int = 0
    releases: int = 0
    lost_releases: int = 0
    duplicate_events: int = 0
    subscribers_behind: int = 0
    kill_points: Counter[str] = field(default_factory=Counter)
    expected_alerts: int | None = None
    missing_alerts: int | None = None
    duplicate_alerts: int | None = None

    def figures(self) -> dict[str, object]:
        return {
            "kills": self.kills,
            "releases": self.releases,
            "lost_releases": self.lost_releases,
            "duplicate_events": self.duplicate_events,
            "subscribers_behind": self.subscribers_behind,
            "expected_alerts": self.expected_alerts,
            "missing_alerts": self.missing_alerts,
            "duplicate_alerts": self.duplicate_alerts,
        }


def synthetic_release(n: int) -> StandInRelease:
    """A release with trial news the extractor reads (a cohort, a dose, guidance)."""
    company, ticker, drug = COMPANIES[n % len(COMPANIES)]
    cohort = n // len(COMPANIES) + 1
    published = datetime(2018, 1, 1, 13, 0, tzinfo=UTC) + timedelta(days=n)
    quarter = ("first", "second", "third", "fourth")[n % 4]
    text = (
        f"BOSTON, {published:%b. %d, %Y} (GLOBE NEWSWIRE) -- {company} ({ticker.replace(':', ': ')}) "
        f"today announced the initiation of Cohort {cohort} of its Phase 1 clinical trial of {drug} "
        f"at a dose of {cohort * 2} mg/kg.\n\n"
        f"The company expects to report topline data from the Phase 1 trial in the {quarter} "
        f"quarter of {published.year + 1}."
    )
    return StandInRelease(
        release_id=str(3_000_000 + n),
        title=f"{company.split()[0]} initiates Cohort {cohort} of its Phase 1 trial of {drug}",
        published_at=published,
        company=company,
        tickers=(ticker,),
        text=text,
    )


def write_config(folder: Path, base_url: str, slack_api: str) -> Path:
    config = folder / "trialwire.toml"
    feeds = "".join(
        f'[[feeds]]\nname = "{ticker.rpartition(":")[2].lower()}"\n'
        f'organization = "{slug(company).lower()}"\n'
        for company, ticker, _ in COMPANIES
    )
    config.write_text(
        f'[log]\nurl = "sqlite:///{folder}/events.db"\n'
        f'[globenewswire]\nbase_url = "{base_url}"\n'
        "[poller]\nalert_first_poll = true\ninterval = 1\njitter = 0\ntimeout = 5\n"
        "[daemon]\nhttp_port = 0\nshutdown_timeout = 10\nlease_recheck = 1\n"
        f'[slack]\napi_url = "{slack_api}"\ndefault_channel = "{CHANNEL}"\n'
        "max_delay_hours = 1000000\n" + feeds
    )
    return config


async def start_daemon(config: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(config),
        cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        env=child_env(PYTHONUNBUFFERED="1", SLACK_BOT_TOKEN=BOT_TOKEN),
    )  # fmt: skip


async def crash_run(
    folder: Path,
    *,
    kills: int = 20,
    releases: int = 40,
    seed: int = 20170222,
    say: Callable[[str], None] = lambda line: None,
) -> CrashReport:
    rng = random.Random(seed)
    report = CrashReport()
    all_releases = [synthetic_release(n) for n in range(releases)]
    gnw = GlobeNewswireStandIn()
    await gnw.start()
    slack = SlackStandIn(channels={CHANNEL: "trials"})
    await slack.start()
    config = write_config(folder, gnw.base_url, slack.api_url)
    reader = await SQLiteEventLog.open(folder / "events.db", poll_interval=0.05)
    try:
        await _switch_alerts_on(config, reader)
        per_round = max(1, releases // (kills + 1))
        published = 0
        for round_ in range(kills):
            batch = all_releases[published : published + per_round]
            gnw.add(*batch)
            published += len(batch)
            proc = await start_daemon(config)
            point = await _kill_point(rng, proc, reader, gnw, slack)
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            report.kills += 1
            report.kill_points[point] += 1
            say(f"kill {round_ + 1}/{kills} at {point}")
        gnw.add(*all_releases[published:])
        proc = await start_daemon(config)
        await _wait_until_quiet(reader, releases, proc, slack)
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            await proc.wait()
        await _check(reader, releases, report)
        _check_alerts(slack, all_releases, report)
    finally:
        await gnw.close()
        await slack.close()
        await reader.close()
    return report


async def _switch_alerts_on(config: Path, reader: SQLiteEventLog) -> None:
    """Start the daemon once before any news, so everything that follows is fresh."""
    proc = await start_daemon(config)
    try:
        async with asyncio.timeout(60):
            while await reader.get_state(STARTED, ALERTS) is None:
                await _a_moment(reader)
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()


async def _kill_point(
    rng: random.Random,
    proc: asyncio.subprocess.Process,
    reader: SQLiteEventLog,
    gnw: GlobeNewswireStandIn,
    slack: SlackStandIn,
) -> str:
    """Wait for a randomly chosen moment the daemon causes; returns its name."""
    kind = rng.choice(["append", "append", "projection", "request", "alert"])
    async with asyncio.timeout(60):
        if kind == "request":
            await gnw.wait_for_requests(len(gnw.requests) + rng.randrange(1, 4))
            return "fetch"
        if kind == "alert":
            posted = len(slack.posted(CHANNEL))
            try:
                await slack.wait_for(lambda: len(slack.posted(CHANNEL)) > posted, within=20)
            except TimeoutError:
                return "alert (none due)"
            return "alert"
        head = await reader.last_position()
        target = head + rng.randrange(1, 4)
        while proc.returncode is None:
            if kind == "append" and await reader.last_position() >= target:
                return "append"
            if kind == "projection":
                checkpoints = (await reader.stats(top_streams=0)).subscriptions
                if any(checkpoints.get(name, 0) > head for name in SUBSCRIBERS):
                    return "projection"
            await _a_moment(reader)
    return "exited"


async def _wait_until_quiet(
    reader: SQLiteEventLog, releases: int, proc: asyncio.subprocess.Process, slack: SlackStandIn
) -> None:
    async with asyncio.timeout(180):
        while proc.returncode is None:
            stats = await reader.stats(top_streams=0)
            caught_up = all(
                stats.subscriptions.get(name) == stats.last_position for name in SUBSCRIBERS
            )
            queued = await reader.scan_state(QUEUE)
            if (
                stats.by_type.get(ReleaseReceived.TYPE, 0) >= releases
                and caught_up
                and not queued
                and len(slack.posted(CHANNEL)) >= releases
            ):
                return
            await _a_moment(reader)


async def _a_moment(reader: SQLiteEventLog) -> None:
    """Until the next event, or a tenth of a second: checkpoints move without events."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(reader.wait_for_events(await reader.last_position()), 0.1)


async def _check(reader: SQLiteEventLog, releases: int, report: CrashReport) -> None:
    seen_releases: Counter[str] = Counter()
    facts: Counter[tuple[object, str, bytes]] = Counter()
    async for recorded in reader.read():
        if recorded.type == ReleaseReceived.TYPE:
            seen_releases[msgspec.json.decode(recorded.data)["release_id"]] += 1
        else:  # the same fact from the same release must be stored once
            facts[(recorded.caused_by, recorded.type, recorded.data)] += 1
    report.releases = releases
    report.lost_releases = releases - len(seen_releases)
    report.duplicate_events = sum(n - 1 for n in seen_releases.values() if n > 1) + sum(
        n - 1 for n in facts.values() if n > 1
    )
    stats = await reader.stats(top_streams=0)
    report.subscribers_behind = sum(
        1 for name in SUBSCRIBERS if stats.subscriptions.get(name) != stats.last_position
    )


def _check_alerts(slack: SlackStandIn, releases: list[StandInRelease], report: CrashReport) -> None:
    """One alert per release (its metadata names the release); none twice."""
    per_release = Counter(
        str((p.metadata or {}).get("event_payload", {}).get("subject", "?"))
        for p in slack.posted(CHANNEL)
    )
    report.expected_alerts = len(releases)
    report.missing_alerts = sum(1 for r in releases if per_release[r.release_id] == 0)
    report.duplicate_alerts = sum(n - 1 for n in per_release.values() if n > 1)
