"""Event log throughput: appends one per commit and batched, and replay, on both backends.

    python bench/eventlog.py            # a table
    python bench/eventlog.py --json     # the table, then one JSON object as the last line

Every workload runs three contenders back to back: trialwire, the plain
driver doing the same inserts or reads with nothing around them (sqlite3,
asyncpg), and the ``eventsourcing`` library when it is installed
(``pip install -e '.[bench]'``). The machine is shared and noisy, so the
contenders are interleaved, each is run ``--repeat`` times and the best run
counts. PostgreSQL figures are null when no server answers at --pg.

The issue's targets were set on a reference machine where plain sqlite3 did
41,000 single / 130,000 batched events/s and eventsourcing 5,100 (FULL) /
29,000 on SQLite, 1,500 / 18,000 on PostgreSQL, reading 56,000-125,000. Each
target is also shown scaled by this run's baseline over the reference's: what
the same code should reach on this machine today.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from rich.console import Console
from rich.table import Table

from bot.eventlog import EventLog, NewEvent
from bot.eventlog.postgres import PostgresEventLog
from bot.eventlog.sqlite import SQLiteEventLog
from bot.events import DomainEvent, EventRegistry

PG_DSN = os.environ.get("TRIALWIRE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True, kw_only=True, slots=True)
class CohortDosed(DomainEvent):
    """A ~500-byte event, shaped like the derived events trialwire stores."""

    TYPE = "CohortDosed"
    VERSION = 1

    company: str
    drug: str
    phase: str
    cohort: int
    dose_value: float
    dose_unit: str
    evidence: str


REGISTRY = EventRegistry([CohortDosed])
EVIDENCE = (
    "Per protocol, Cohort 4 patients will receive 31.25 mCi/m² of CLR 131 as a single dose "
    "infusion, a 25 percent increase in the 25 mCi/m² dose from the third cohort and a 150 "
    "percent increase from Cohort 1, all of which were demonstrated to be safe and well "
    "tolerated. It is important to note that a key objective of this Phase I clinical trial "
    "includes the establishment of the maximum tolerated single dose of CLR 131."
)
Events = list[tuple[str, NewEvent]]


def workload(count: int) -> Iterator[tuple[str, NewEvent]]:
    for i in range(count):
        event = CohortDosed(
            company=f"CO{i % 500:03d}",
            drug=f"DRUG-{i % 1500}",
            phase="1b/2",
            cohort=i % 9,
            dose_value=31.25,
            dose_unit="mCi/m2",
            evidence=EVIDENCE,
        )
        yield (
            f"trial:{event.company}:{event.drug}",
            NewEvent.from_domain(REGISTRY, event, event_id=uuid.uuid4()),
        )


class Fold:
    """What a projection does with each event: decode it, keep the latest cohort per drug."""

    def __init__(self) -> None:
        self.latest: dict[str, int] = {}
        self.count = 0

    def __call__(self, type_name: str, version: int, data: bytes) -> None:
        event = REGISTRY.decode(type_name, version, data)
        assert isinstance(event, CohortDosed)
        self.latest[event.drug] = max(self.latest.get(event.drug, 0), event.cohort)
        self.count += 1


class Timer:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def rate(self, count: int) -> float:
        return round(count / (time.perf_counter() - self.start), 1)


# -- trialwire --------------------------------------------------------------


async def tw_single(log: EventLog, events: Events) -> float:
    timer = Timer()
    for stream, event in events:
        await log.append(stream, [event])
    return timer.rate(len(events))


async def tw_batched(log: EventLog, events: Events, size: int) -> float:
    timer = Timer()
    for at in range(0, len(events), size):
        chunk = events[at : at + size]
        await log.append(chunk[0][0], [event for _, event in chunk])
    return timer.rate(len(events))


async def tw_replay(log: EventLog) -> float:
    fold = Fold()
    timer = Timer()
    async for page in log.read_pages(page_size=2000):
        for recorded in page:
            fold(recorded.type, recorded.schema_version, recorded.data)
    return timer.rate(fold.count)


# -- the plain drivers ------------------------------------------------------------

RAW_COLUMNS = "stream, event_id, type, data"


def raw_sqlite(path: Path, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS e (position INTEGER PRIMARY KEY, stream TEXT,"
        " event_id BLOB UNIQUE, type TEXT, data BLOB)"
    )
    return conn


def raw_rows(events: Events) -> list[tuple[str, bytes, str, bytes]]:
    return [(stream, e.event_id.bytes, e.type, e.data) for stream, e in events]


def raw_sqlite_single(conn: sqlite3.Connection, events: Events) -> float:
    rows = raw_rows(events)
    timer = Timer()
    for row in rows:
        conn.execute("BEGIN")
        conn.execute(f"INSERT INTO e ({RAW_COLUMNS}) VALUES (?, ?, ?, ?)", row)
        conn.execute("COMMIT")
    return timer.rate(len(rows))


def raw_sqlite_batched(conn: sqlite3.Connection, events: Events, size: int) -> float:
    rows = raw_rows(events)
    timer = Timer()
    for at in range(0, len(rows), size):
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO e ({RAW_COLUMNS}) VALUES (?, ?, ?, ?)", rows[at : at + size])
        conn.execute("COMMIT")
    return timer.rate(len(rows))


def raw_sqlite_replay(conn: sqlite3.Connection) -> float:
    fold = Fold()
    timer = Timer()
    for _, _, _, type_name, data in conn.execute("SELECT * FROM e ORDER BY position"):
        fold(type_name, 1, data)
    return timer.rate(fold.count)


async def raw_pg(dsn: str, schema: str) -> asyncpg.Connection[Any]:
    conn: asyncpg.Connection[Any] = await asyncpg.connect(dsn)
    await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"; SET search_path TO "{schema}"')
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS e (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " stream text, event_id uuid UNIQUE, type text, data bytea)"
    )
    return conn


async def raw_pg_single(conn: asyncpg.Connection[Any], events: Events) -> float:
    rows = [(stream, e.event_id, e.type, e.data) for stream, e in events]
    timer = Timer()
    for row in rows:
        await conn.execute(f"INSERT INTO e ({RAW_COLUMNS}) VALUES ($1, $2, $3, $4)", *row)
    return timer.rate(len(rows))


async def raw_pg_batched(conn: asyncpg.Connection[Any], events: Events, size: int) -> float:
    rows = [(stream, e.event_id, e.type, e.data) for stream, e in events]
    timer = Timer()
    for at in range(0, len(rows), size):
        async with conn.transaction():
            await conn.copy_records_to_table(
                "e", records=rows[at : at + size], columns=RAW_COLUMNS.split(", ")
            )
    return timer.rate(len(rows))


async def raw_pg_replay(conn: asyncpg.Connection[Any]) -> float:
    fold = Fold()
    timer = Timer()
    last = 0
    while page := await conn.fetch(
        "SELECT position, type, data FROM e WHERE position > $1 ORDER BY position LIMIT 2000", last
    ):
        for _, type_name, data in page:
            fold(type_name, 1, data)
        last = page[-1][0]
    return timer.rate(fold.count)


# -- eventsourcing ------------------------------------------------------------------


def es_available() -> bool:
    try:
        import eventsourcing  # noqa: F401
    except ImportError:
        return False
    return True


def es_stored(events: Events) -> list[Any]:
    from eventsourcing.persistence import StoredEvent

    return [StoredEvent(uuid.uuid4(), 1, e.type, e.data) for _, e in events]


def es_single(recorder: Any, events: Events) -> float:
    items = es_stored(events)
    timer = Timer()
    for item in items:
        recorder.insert_events([item])
    return timer.rate(len(items))


def es_batched(recorder: Any, events: Events, size: int) -> float:
    items = es_stored(events)
    timer = Timer()
    for at in range(0, len(items), size):
        recorder.insert_events(items[at : at + size])
    return timer.rate(len(items))


def es_replay(recorder: Any) -> float:
    fold = Fold()
    timer = Timer()
    position: int | None = None
    while page := recorder.select_notifications(
        position, 2000, inclusive_of_start=position is None
    ):
        for note in page:
            fold(note.topic, 1, note.state)
        position = page[-1].id
    return timer.rate(fold.count)


def es_sqlite(path: Path) -> Any:
    from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

    recorder = SQLiteApplicationRecorder(SQLiteDatastore(str(path)))
    recorder.create_table()
    return recorder


def es_pg(dsn: str, schema: str, table: str) -> Any:
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    parts = urlsplit(dsn)
    datastore = PostgresDatastore(
        parts.path.lstrip("/") or "postgres",
        parts.hostname or "127.0.0.1",
        parts.port or 5432,
        parts.username or "postgres",
        parts.password or "",
        schema=schema,
        pool_size=2,
    )
    recorder = PostgresApplicationRecorder(datastore, events_table_name=table)
    recorder.create_table()
    return recorder


# -- the runs ---------------------------------------------------------------------


async def pg_available(dsn: str) -> bool:
    try:
        conn = await asyncpg.connect(dsn, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


async def pg_execute(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path, console: Console) -> None:
        self.args = args
        self.tmp = tmp
        self.console = console
        self.best: dict[str, float] = {}
        self.events = list(workload(args.events))
        self.es = es_available()

    def keep(self, key: str, value: float) -> None:
        self.best[key] = max(self.best.get(key, 0.0), value)

    def fresh(self, name: str) -> Path:
        return self.tmp / f"{name}-{uuid.uuid4().hex[:6]}.db"

    async def sqlite_round(self) -> None:
        args, events = self.args, self.events
        for synchronous, count, suffix in (
            ("NORMAL", args.single, ""),
            ("FULL", args.single_full, "_full"),
        ):
            self.console.log(f"SQLite, one per commit, synchronous={synchronous}")
            log = await SQLiteEventLog.open(self.fresh("tw"), synchronous=synchronous)  # type: ignore[arg-type]
            self.keep(f"sqlite_append_single{suffix}_eps", await tw_single(log, events[:count]))
            await log.close()
            conn = raw_sqlite(self.fresh("raw"), synchronous)
            self.keep(
                f"raw_sqlite_append_single{suffix}_eps", raw_sqlite_single(conn, events[:count])
            )
            conn.close()
            if self.es and synchronous == "FULL":  # eventsourcing leaves SQLite's default, FULL
                self.keep(
                    "eventsourcing_sqlite_append_single_eps",
                    es_single(es_sqlite(self.fresh("es")), events[:count]),
                )

        self.console.log(f"SQLite, batches of {args.batch}, then replay")
        path = self.fresh("tw")
        log = await SQLiteEventLog.open(path)
        self.keep("sqlite_append_batch_eps", await tw_batched(log, events, args.batch))
        self.keep("sqlite_replay_eps", await tw_replay(log))
        await log.close()
        self.replay_path = path
        conn = raw_sqlite(self.fresh("raw"), "NORMAL")
        self.keep("raw_sqlite_append_batch_eps", raw_sqlite_batched(conn, events, args.batch))
        self.keep("raw_sqlite_read_eps", raw_sqlite_replay(conn))
        conn.close()
        if self.es:
            recorder = es_sqlite(self.fresh("es"))
            self.keep(
                "eventsourcing_sqlite_append_batch_eps", es_batched(recorder, events, args.batch)
            )
            self.keep("eventsourcing_sqlite_replay_eps", es_replay(recorder))

    async def pg_round(self) -> None:
        args, events = self.args, self.events
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        try:
            self.console.log("PostgreSQL, one per commit")
            log = await PostgresEventLog.open(args.pg, schema=schema)
            self.keep("pg_append_single_eps", await tw_single(log, events[: args.single_pg]))
            await log.close()
            await pg_execute(args.pg, f'DROP SCHEMA "{schema}" CASCADE')
            conn = await raw_pg(args.pg, schema)
            self.keep(
                "raw_pg_append_single_eps", await raw_pg_single(conn, events[: args.single_pg])
            )
            await conn.execute("TRUNCATE e")
            if self.es:
                recorder = es_pg(args.pg, schema, "es_single")
                self.keep(
                    "eventsourcing_pg_append_single_eps",
                    es_single(recorder, events[: args.single_pg]),
                )
                recorder.datastore.close()

            self.console.log(f"PostgreSQL, batches of {args.batch}, then replay")
            log = await PostgresEventLog.open(args.pg, schema=schema)
            self.keep("pg_append_batch_eps", await tw_batched(log, events, args.batch))
            self.keep("pg_replay_eps", await tw_replay(log))
            await log.close()
            self.keep("raw_pg_append_batch_eps", await raw_pg_batched(conn, events, args.batch))
            self.keep("raw_pg_read_eps", await raw_pg_replay(conn))
            await conn.close()
            if self.es:
                recorder = es_pg(args.pg, schema, "es_batch")
                self.keep(
                    "eventsourcing_pg_append_batch_eps", es_batched(recorder, events, args.batch)
                )
                self.keep("eventsourcing_pg_replay_eps", es_replay(recorder))
                recorder.datastore.close()
        finally:
            await pg_execute(args.pg, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    async def run(self) -> dict[str, Any]:
        pg = bool(self.args.pg) and await pg_available(self.args.pg)
        for round_ in range(1, self.args.repeat + 1):
            self.console.log(f"round {round_} of {self.args.repeat}")
            await self.sqlite_round()
            if pg:
                await self.pg_round()
        figures: dict[str, Any] = {key: None for _, key, _, _, _ in ROWS}
        figures.update(self.best)
        self.console.log("replay memory, in child processes")
        small = self.fresh("small")
        log = await SQLiteEventLog.open(small)
        await tw_batched(log, self.events[: len(self.events) // 10], self.args.batch)
        await log.close()
        figures["replay_peak_rss_mb"] = replay_rss(self.replay_path)
        figures["replay_peak_rss_mb_tenth"] = replay_rss(small)
        for _, ours, baseline, target, reference in ROWS:
            here = figures.get(baseline)
            figures[f"{ours}_scaled_target"] = round(target * here / reference) if here else None
        return figures


def replay_rss(path: Path) -> float:
    """Peak RSS of a child process that only opens the log and replays it."""
    out = subprocess.run(
        [sys.executable, __file__, "--replay-only", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["rss_mb"])


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc (VmHWM is the peak since exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def replay_only(path: str) -> None:
    log = await SQLiteEventLog.open(path)
    await tw_replay(log)
    await log.close()
    print(json.dumps({"rss_mb": _status_mb("VmHWM")}))


# (label, our key, the same-run baseline for scaling, target, that baseline on the reference)
ROWS = [
    (
        "SQLite append, one per commit (NORMAL)",
        "sqlite_append_single_eps",
        "raw_sqlite_append_single_eps",
        20_000,
        41_000,
    ),
    (
        "SQLite append, one per commit (FULL)",
        "sqlite_append_single_full_eps",
        "eventsourcing_sqlite_append_single_eps",
        6_000,
        5_100,
    ),
    (
        "SQLite append, batched",
        "sqlite_append_batch_eps",
        "raw_sqlite_append_batch_eps",
        100_000,
        130_000,
    ),
    ("SQLite replay", "sqlite_replay_eps", "eventsourcing_sqlite_replay_eps", 250_000, 125_000),
    (
        "PostgreSQL append, one per commit",
        "pg_append_single_eps",
        "eventsourcing_pg_append_single_eps",
        4_000,
        1_500,
    ),
    (
        "PostgreSQL append, batched",
        "pg_append_batch_eps",
        "eventsourcing_pg_append_batch_eps",
        60_000,
        18_000,
    ),
    ("PostgreSQL replay", "pg_replay_eps", "eventsourcing_pg_replay_eps", 180_000, 56_000),
]


def _partner(key: str, prefix: str) -> str:
    backend, _, rest = key.partition("_")
    if prefix == "raw" and rest == "replay_eps":
        rest = "read_eps"
    if prefix == "eventsourcing" and rest == "append_single_full_eps":
        rest = "append_single_eps"
    return f"{prefix}_{backend}_{rest}"


def report(figures: dict[str, Any], args: argparse.Namespace, console: Console) -> None:
    table = Table(
        title=(
            f"event log, ~500-byte events/s: {args.events:,} batched and replayed; one per commit: "
            f"{args.single:,} (NORMAL), {args.single_full:,} (FULL), {args.single_pg:,} (PostgreSQL); "
            f"best of {args.repeat}"
        )
    )
    for column in (
        "workload",
        "trialwire",
        "target",
        "scaled target",
        "plain driver",
        "÷ plain",
        "eventsourcing",
        "÷ es",
    ):
        table.add_column(column, justify="left" if column == "workload" else "right")

    def num(value: Any) -> str:
        return "–" if value is None else f"{value:,.0f}"

    def ratio(a: Any, b: Any) -> str:
        return f"{a / b:.2f}" if a and b else "–"

    for label, key, _, target, _ in ROWS:
        ours, scaled = figures.get(key), figures.get(f"{key}_scaled_target")
        raw, es = figures.get(_partner(key, "raw")), figures.get(_partner(key, "eventsourcing"))
        mark = "" if ours is None or scaled is None else (" ✓" if ours >= scaled else " ✗")
        table.add_row(
            label,
            num(ours) + mark,
            num(target),
            num(scaled),
            num(raw),
            ratio(ours, raw),
            num(es),
            ratio(ours, es),
        )
    console.print(table)
    console.print(
        "✓/✗: against the scaled target (the target × this run's baseline ÷ the reference's)."
    )
    console.print(
        f"replay peak RSS: {figures['replay_peak_rss_mb']} MB replaying {args.events:,} events, "
        f"{figures['replay_peak_rss_mb_tenth']} MB replaying {args.events // 10:,}: flat means bounded memory."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events", type=int, default=100_000, help="events batched and replayed (100,000)"
    )
    parser.add_argument(
        "--single", type=int, default=50_000, help="one per commit, SQLite NORMAL (50,000)"
    )
    parser.add_argument(
        "--single-full", type=int, default=10_000, help="one per commit, SQLite FULL (10,000)"
    )
    parser.add_argument(
        "--single-pg", type=int, default=10_000, help="one per commit, PostgreSQL (10,000)"
    )
    parser.add_argument("--batch", type=int, default=100, help="events per batch (100)")
    parser.add_argument("--repeat", type=int, default=2, help="rounds; the best counts (2)")
    parser.add_argument("--pg", default=PG_DSN, help="PostgreSQL DSN; '' skips PostgreSQL")
    parser.add_argument(
        "--json", action="store_true", help="end with one JSON object of the figures"
    )
    parser.add_argument("--replay-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replay_only:
        asyncio.run(replay_only(args.replay_only))
        return
    for name in ("single", "single_full", "single_pg"):
        setattr(args, name, min(getattr(args, name), args.events))
    console = Console(stderr=args.json, width=160)
    with tempfile.TemporaryDirectory(prefix="trialwire-bench-") as tmp:
        figures = asyncio.run(Bench(args, Path(tmp), console).run())
    report(figures, args, Console(width=160))
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
