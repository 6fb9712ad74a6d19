"""Trial-state replay and query speed on a synthetic log.

    python bench/projections.py            # a table
    python bench/projections.py --json     # the table, then one JSON object as the last line

Builds a log of 1,000,000 events over 500 companies from event templates
(releases, cohorts, escalations, data, guidance, designations, holds …, in
the proportions a real log has), replays it into the trial state with the
projection trialwire runs, then times status queries against the stored
state. Targets: replay >= 100,000 events/s, status query p99 <= 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.eventlog import CatchUpSubscription, NewEvent
from bot.eventlog.sqlite import SQLiteEventLog
from bot.events import DOMAIN_EVENTS, DomainEvent, ReleaseReceived
from bot.events.trial import (
    ClinicalHold,
    CohortCompleted,
    CohortInitiated,
    DataReported,
    Dose,
    DoseEscalated,
    EnrollmentCompleted,
    Evidence,
    GuidanceIssued,
    MilestoneAchieved,
    Period,
    RegulatoryDesignation,
    TrialInitiated,
)
from handlers.identity import trial_stream
from handlers.pipeline import REPLAY_COMMIT_EVERY, REPLAY_PAGE_SIZE
from handlers.queries import status
from handlers.trial_state import TrialStateProjection

TARGETS = {"state_replay_eps": 100_000, "state_query_p99_ms": 5.0}
EVIDENCE = Evidence(
    sentence="Per protocol, Cohort 4 patients will receive 31.25 mCi/m² of the drug as a single "
    "dose infusion, a 25 percent increase in the 25 mCi/m² dose from the third cohort.",
    start=120,
    end=260,
)


def templates(company: int, drug: str, n: int, day: date) -> list[DomainEvent]:
    """The events one release of a company might yield."""
    cohort = n % 8 + 1
    dose = Dose(value=10.0 * cohort, unit="mg/kg")
    phase = "1" if n % 3 else "2"
    quarter = f"{day.year + 1}-Q{n % 4 + 1}"
    common: dict[str, Any] = {
        "drug": drug,
        "company": f"Company {company}",
        "evidence": EVIDENCE,
        "extractor_version": "1.0.0",
    }
    choices: list[DomainEvent] = [
        CohortInitiated(**common, phase=phase, cohort=cohort, dose=dose, indication="solid tumors"),
        CohortCompleted(**common, phase=phase, cohort=cohort, dose=dose, outcome="safe"),
        DoseEscalated(
            **common,
            cohort=cohort,
            from_dose=Dose(value=10.0 * (cohort - 1) or 5, unit="mg/kg"),
            to_dose=dose,
            percent=25.0,
        ),
        DataReported(**common, phase=phase, kind="interim"),
        GuidanceIssued(
            **common, milestone=f"Phase {phase} topline data", period=Period(label=quarter)
        ),
        TrialInitiated(**common, phase=phase, indication="solid tumors"),
        EnrollmentCompleted(**common, phase=phase, patients=40 + n % 20),
        MilestoneAchieved(
            **common,
            milestone=f"Cohort {cohort} initiation",
            vs_guidance="on_time",
            guided=Period(label=quarter),
        ),
        RegulatoryDesignation(**common, designation="orphan drug", agency="FDA"),
        ClinicalHold(**common, action="placed" if n % 2 else "lifted", authority="FDA"),
    ]
    return choices


def synthetic_log(
    events: int, companies: int, seed: int = 7
) -> Iterator[tuple[str, list[NewEvent]]]:
    """Batches of (stream, events): a release, then the trial events it yielded."""
    rng = random.Random(seed)
    made = 0
    n = 0
    start = datetime(2015, 1, 1, tzinfo=UTC)
    while made < events:
        company = rng.randrange(companies)
        ticker = f"C{company:04d}"
        drug = f"DRUG-{company}-{rng.randrange(3)}"
        published = start + timedelta(hours=n)
        release_id = str(50_000_000 + n)
        release = ReleaseReceived(
            release_id=release_id,
            feed="bench",
            url=f"https://example.invalid/{release_id}",
            title=f"Company {company} reports progress {n}",
            published_at=published,
            company=f"Company {company}, Inc.",
            tickers=(f"Nasdaq:{ticker}",),
            text="(omitted)",
        )
        batch = [
            (
                "release:" + release_id,
                [
                    NewEvent.from_domain(
                        DOMAIN_EVENTS, release, event_id=uuid.uuid4(), occurred_at=published
                    )
                ],
            )
        ]
        cause = batch[0][1][0].event_id
        options = templates(company, drug, n, published.date())
        derived = [
            NewEvent.from_domain(
                DOMAIN_EVENTS,
                event,
                event_id=uuid.uuid4(),
                occurred_at=published,
                caused_by=cause,
                metadata={"release_id": release_id, "company": ticker, "history": False},
            )
            for event in rng.sample(options, k=rng.randrange(2, 8))
        ]
        batch.append((trial_stream(ticker, drug), derived))
        for stream, items in batch:
            yield stream, items
            made += len(items)
        n += 1


async def build(log: SQLiteEventLog, args: argparse.Namespace) -> int:
    """Append the synthetic log, many releases per transaction (this is set-up, not timed)."""
    count = 0
    batches = synthetic_log(args.events, args.companies)
    while True:
        chunk = [item for _, item in zip(range(2000), batches, strict=False)]
        if not chunk:
            return count
        async with log.transaction() as uow:
            for stream, events in chunk:
                await uow.append(stream, events)
                count += len(events)


async def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="trialwire-bench-proj-") as tmp:
        log = await SQLiteEventLog.open(Path(tmp) / "events.db")
        try:
            console.log(f"building a log of {args.events:,} events over {args.companies} companies")
            started = time.perf_counter()
            figures["events"] = await build(log, args)
            figures["build_s"] = round(time.perf_counter() - started, 1)

            console.log("the floor: reading every event into its typed form, no fold")
            started = time.perf_counter()
            count = 0
            async for page in log.read_pages(page_size=args.page_size):
                for recorded in page:
                    DOMAIN_EVENTS.decode(recorded.type, recorded.schema_version, recorded.data)
                count += len(page)
            figures["read_decode_eps"] = round(count / (time.perf_counter() - started))

            console.log("replaying it into the trial state")
            projection = TrialStateProjection()
            subscription = CatchUpSubscription(
                log, projection, page_size=args.page_size, commit_every=args.commit_every
            )
            started = time.perf_counter()
            handled = await subscription.catch_up()
            elapsed = time.perf_counter() - started
            figures["state_replay_eps"] = round(handled / elapsed)
            figures["state_replay_s"] = round(elapsed, 1)
            figures["companies"] = len(await log.scan_state("trial-state"))

            console.log(f"{args.queries:,} status queries")
            rng = random.Random(11)
            timings = []
            for _ in range(args.queries):
                ticker = f"C{rng.randrange(args.companies):04d}"
                started = time.perf_counter()
                docs = await status(log, ticker)
                timings.append((time.perf_counter() - started) * 1000)
                assert docs
                assert docs[0].key == ticker
            timings.sort()
            figures["state_query_p50_ms"] = round(statistics.median(timings), 3)
            figures["state_query_p99_ms"] = round(timings[int(len(timings) * 0.99) - 1], 3)
        finally:
            await log.close()
    return figures


def report(figures: dict[str, Any], console: Console) -> None:
    table = Table(
        title=f"trial state over {figures['events']:,} events, {figures['companies']} companies"
    )
    for column in ("figure", "value", "target", ""):
        table.add_column(column, justify="left" if column == "figure" else "right")
    replay_ok = figures["state_replay_eps"] >= TARGETS["state_replay_eps"]
    query_ok = figures["state_query_p99_ms"] <= TARGETS["state_query_p99_ms"]
    table.add_row(
        "replay, events/s",
        f"{figures['state_replay_eps']:,}",
        f"≥ {TARGETS['state_replay_eps']:,}",
        "✓" if replay_ok else "✗",
    )
    table.add_row("replay, seconds", f"{figures['state_replay_s']}", "", "")
    share = figures["state_replay_eps"] / figures["read_decode_eps"]
    table.add_row(
        "read + decode only (same run), events/s",
        f"{figures['read_decode_eps']:,}",
        "",
        f"replay runs at {share:.0%} of it",
    )
    table.add_row("status query p50, ms", f"{figures['state_query_p50_ms']}", "", "")
    table.add_row(
        "status query p99, ms",
        f"{figures['state_query_p99_ms']}",
        f"≤ {TARGETS['state_query_p99_ms']}",
        "✓" if query_ok else "✗",
    )
    table.add_row("building the log (set-up), s", f"{figures['build_s']}", "", "")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument(
        "--page-size",
        type=int,
        default=REPLAY_PAGE_SIZE,
        help=f"events per page read ({REPLAY_PAGE_SIZE:,}, as `trialwire replay`)",
    )
    parser.add_argument(
        "--commit-every",
        type=int,
        default=REPLAY_COMMIT_EVERY,
        help=f"events per replay transaction ({REPLAY_COMMIT_EVERY:,}, as `trialwire replay`)",
    )
    parser.add_argument(
        "--json", action="store_true", help="end with one JSON object of the figures"
    )
    args = parser.parse_args()
    console = Console(stderr=args.json, width=140)
    figures = asyncio.run(run(args, console))
    report(figures, Console(width=140))
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
