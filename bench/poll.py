"""Polling throughput: 1,000 feeds of 20 items (~30 KB each) on the local stand-in.

    python bench/poll.py            # a table
    python bench/poll.py --json     # the table, then one JSON object as the last line

The stand-in runs in a child process (the machine has two cores: one serves,
one polls). Cycles, each over every feed at once:

- first: every item is new; a new feed's items are history, queued, not fetched;
- steady: every feed changed, one new item each, whose page is fetched and recorded;
- all-304: nothing changed, every feed answers 304 Not Modified;
- naive: ``feedparser.parse(url)`` over the same feeds, one after another, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import feedparser
from aiohttp import web
from rich.console import Console
from rich.table import Table

from bot.eventlog.sqlite import SQLiteEventLog
from bot.events import DOMAIN_EVENTS
from bot.feeds.fetch import new_session
from bot.feeds.model import FeedSpec
from bot.feeds.poller import FeedPoller, PollerSettings
from bot.standins.gnw import GlobeNewswireStandIn, StandInRelease, slug

TARGETS = {
    "full_cycle_s": 4.5,
    "steady_cycle_s": 1.5,
    "not_modified_cycle_s": 0.3,
    "peak_rss_mb": 150,
}
PARAGRAPH = (
    "The Phase 1 dose-escalation study enrolled patients with relapsed or refractory multiple "
    "myeloma; the safety review committee cleared the next cohort after no dose-limiting "
    "toxicities were seen at the current dose, and the company expects to report topline data "
    "in the second half of the year. "
)


def company(n: int) -> str:
    return f"Company {n:04d} Therapeutics, Inc."


def bench_release(feed: int, item: int, start: datetime) -> StandInRelease:
    return StandInRelease(
        release_id=str(10_000_000 + feed * 1000 + item),
        title=f"Company {feed:04d} announces clinical update number {item}",
        published_at=start + timedelta(minutes=item),
        company=company(feed),
        tickers=(f"Nasdaq:C{feed:04d}",),
        text=(PARAGRAPH * 5) + "\n\n" + PARAGRAPH * 3,
    )


class BenchStandIn(GlobeNewswireStandIn):
    """The stand-in with one control route: add one new item to every feed."""

    feeds: int = 0
    next_item: int = 0

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_post("/_bench/add-one-per-feed", self._add_one)
        return app

    async def _add_one(self, request: web.Request) -> web.Response:
        start = datetime(2024, 1, 1, tzinfo=UTC)
        self.add(*(bench_release(f, self.next_item, start) for f in range(self.feeds)))
        self.next_item += 1
        self.warm()  # the stand-in's own rendering is not the poller's time
        return web.Response(text="ok")


async def serve(feeds: int, items: int) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    standin = BenchStandIn(
        releases=[bench_release(f, i, start) for f in range(feeds) for i in range(items)],
        feed_size=items,
    )
    standin.feeds, standin.next_item = feeds, items
    base = await standin.start()
    standin.warm()
    print(f"ready {base}", flush=True)
    await asyncio.Event().wait()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def cycle(poller: FeedPoller, specs: list[FeedSpec]) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    outcomes = await asyncio.gather(*(poller.poll(spec, force=True) for spec in specs))
    elapsed = time.perf_counter() - start
    summary: dict[str, int] = {}
    for outcome in outcomes:
        summary[outcome.status] = summary.get(outcome.status, 0) + 1
        summary["recorded"] = summary.get("recorded", 0) + outcome.new_releases
        summary["pending"] = summary.get("pending", 0) + outcome.pending
    return round(elapsed, 3), summary


async def run(args: argparse.Namespace, base: str, console: Console) -> dict[str, Any]:
    specs = [
        FeedSpec(name=f"org-{f}", url=f"{base}/RssFeed/organization/{slug(company(f)).lower()}")
        for f in range(args.feeds)
    ]
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="trialwire-bench-poll-") as tmp:
        log = await SQLiteEventLog.open(Path(tmp) / "events.db")
        settings = PollerSettings(history_per_poll=0, page_concurrency=args.per_host)
        async with new_session(max_connections=args.per_host, per_host=args.per_host) as session:
            poller = FeedPoller(log, session, DOMAIN_EVENTS, clock=lambda: datetime.now(UTC),
                                random=random.random, settings=settings)  # fmt: skip
            console.log("first cycle: every item new (history, queued)")
            figures["full_cycle_s"], figures["full_cycle"] = await cycle(poller, specs)
            async with session.post(f"{base}/_bench/add-one-per-feed") as response:
                assert response.status == 200
            console.log("steady cycle: one new item per feed, its page read and recorded")
            figures["steady_cycle_s"], figures["steady_cycle"] = await cycle(poller, specs)
            console.log("all-304 cycle")
            figures["not_modified_cycle_s"], figures["not_modified_cycle"] = await cycle(
                poller, specs
            )
        await log.close()
    figures["peak_rss_mb"] = rss_mb()
    console.log("baselines: plain aiohttp GETs of every feed, then conditional GETs (all 304)")
    figures["aiohttp_fetch_s"], figures["aiohttp_304_s"] = await plain_aiohttp(specs, args.per_host)
    console.log("naive loop: feedparser.parse(url), one feed after another")
    start = time.perf_counter()
    for spec in specs:
        parsed = feedparser.parse(spec.url)
        assert parsed.entries
    figures["naive_loop_s"] = round(time.perf_counter() - start, 3)
    return figures


async def plain_aiohttp(specs: list[FeedSpec], connections: int) -> tuple[float, float]:
    """What fetching costs here with nothing around it: the floor of a cycle."""
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        validators: dict[str, str] = {}

        async def get(url: str, conditional: bool) -> None:
            headers = {"If-None-Match": validators[url]} if conditional else {}
            async with session.get(url, headers=headers) as response:
                await response.read()
                validators[url] = response.headers.get("ETag", "")

        timings = []
        for conditional in (False, True):
            start = time.perf_counter()
            await asyncio.gather(*(get(spec.url, conditional) for spec in specs))
            timings.append(round(time.perf_counter() - start, 3))
    return timings[0], timings[1]


# The reference machine: a naive loop of ~9.1 s, plain aiohttp fetching 1,000 feeds
# in ~0.09 s and a 304 cycle in ~0.07 s. Targets are also shown scaled by this run's figures.
REFERENCE = {"naive_loop_s": 9.1, "aiohttp_fetch_s": 0.09, "aiohttp_304_s": 0.07}
SCALED_BY = {"full_cycle_s": "naive_loop_s", "steady_cycle_s": "naive_loop_s",
             "not_modified_cycle_s": "aiohttp_304_s"}  # fmt: skip


def scaled_target(figures: dict[str, Any], key: str) -> float:
    baseline = SCALED_BY[key]
    return round(float(TARGETS[key] * figures[baseline] / REFERENCE[baseline]), 2)


def report(figures: dict[str, Any], args: argparse.Namespace, console: Console) -> None:
    table = Table(
        title=f"polling {args.feeds:,} feeds of {args.items} items, {args.per_host} connections"
    )
    for column in ("cycle", "seconds", "target", "scaled target", "", "what happened"):
        table.add_column(
            column, justify="left" if column in ("cycle", "what happened") else "right"
        )
    rows = [
        ("first (all new)", "full_cycle_s", "full_cycle"),
        ("steady (1 new each)", "steady_cycle_s", "steady_cycle"),
        ("all 304", "not_modified_cycle_s", "not_modified_cycle"),
    ]
    for label, key, detail in rows:
        scaled = scaled_target(figures, key)
        ok = "✓" if figures[key] <= scaled else "✗"
        happened = ", ".join(f"{k} {v:,}" for k, v in figures[detail].items())
        table.add_row(label, f"{figures[key]:.2f}", f"{TARGETS[key]}", f"{scaled}", ok, happened)
    table.add_row(
        "naive feedparser loop",
        f"{figures['naive_loop_s']:.2f}",
        "",
        "",
        "",
        f"{figures['naive_loop_s'] / figures['full_cycle_s']:.1f}× the first cycle; reference 9.1 s",
    )
    table.add_row(
        "plain aiohttp, all feeds",
        f"{figures['aiohttp_fetch_s']:.2f}",
        "",
        "",
        "",
        "reference 0.09 s",
    )
    table.add_row("plain aiohttp, all 304", f"{figures['aiohttp_304_s']:.2f}", "", "", "", "reference 0.07 s")  # fmt: skip
    console.print(table)
    console.print(
        "✓/✗: against the scaled target (the target × this run's baseline ÷ the reference machine's)."
    )
    ok = "✓" if figures["peak_rss_mb"] <= TARGETS["peak_rss_mb"] else "✗"
    console.print(
        f"peak RSS of the poller: {figures['peak_rss_mb']} MB (target ≤ {TARGETS['peak_rss_mb']}) {ok}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--per-host", type=int, default=16, help="connections to the one host (16)")
    parser.add_argument(
        "--json", action="store_true", help="end with one JSON object of the figures"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.feeds, args.items))
        return
    console = Console(stderr=args.json, width=150)
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--feeds",
            str(args.feeds),
            "--items",
            str(args.items),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("ready "):
            raise SystemExit(f"the stand-in did not start: {line!r}")
        figures = asyncio.run(run(args, line.split()[1], console))
    finally:
        server.terminate()
        server.wait()
    report(figures, args, Console(width=150))
    if args.json:
        flat = {k: v for k, v in figures.items() if not isinstance(v, dict)}
        flat.update({f"{k}_scaled_target": scaled_target(figures, k) for k in SCALED_BY})
        print(json.dumps(flat))


if __name__ == "__main__":
    main()
