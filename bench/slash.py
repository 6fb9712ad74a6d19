"""/trial under load: signed slash commands, concurrency 32 for 10 s, the state of 500 companies.

    python bench/slash.py            # a table
    python bench/slash.py --json     # the table, then one JSON object as the last line

The app runs in a child process (the machine has two cores: one serves, one
loads) on a SQLite log holding 500 companies' releases, their trial events
and the trial state. A raw keep-alive HTTP client sends correctly signed
``/trial`` commands (tickers, drugs, ``guidance``, ``public``) and times each
answer. In the same run, the same load goes to a baseline: a bare aiohttp
handler that checks the HMAC signature and looks the name up in a dict. The
machine is shared and noisy, so the targets (>= 5,000 req/s, p99 <= 10 ms)
are also shown scaled by this run's baseline over the reference machine's
(~16,000 req/s for that baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from rich.console import Console
from rich.table import Table

SECRET = "bench-signing-secret-0123456789abcdef"
COMPANIES = 500
CONCURRENCY = 32
DURATION = 10.0
TARGETS = {"rps": 5000.0, "p99_ms": 10.0}
REFERENCE_BASELINE_RPS = 16_000.0


def ticker(n: int) -> str:
    return f"C{n:04d}"


def drug(n: int) -> str:
    return f"CT-{n:04d}"


def release_text(n: int) -> str:
    name = f"Company {n:04d} Therapeutics, Inc."
    return (
        f"{name} (Nasdaq:{ticker(n)}) today announced the initiation of the third cohort of its "
        f"Phase 1 trial of {drug(n)} at a dose of {n % 9 + 1} mg/kg.\n\n"
        f"{name} expects to report topline data from the Phase 2 trial of {drug(n)} in the "
        "second half of 2018."
    )


async def build_state(path: Path, companies: int) -> None:
    """Record a release per company and fold them into the trial state."""
    from bot.eventlog.sqlite import SQLiteEventLog
    from bot.events import DOMAIN_EVENTS, ReleaseReceived
    from bot.releases.record import record_release
    from handlers.pipeline import catch_up

    log = await SQLiteEventLog.open(path)
    try:
        start = datetime(2018, 1, 2, 13, tzinfo=UTC)
        for n in range(companies):
            text = release_text(n)
            await record_release(
                log,
                DOMAIN_EVENTS,
                ReleaseReceived(
                    release_id=str(20_000_000 + n),
                    feed="bench",
                    url=f"https://www.globenewswire.com/news-release/{20_000_000 + n}.html",
                    title=text.split(" today ")[0],
                    published_at=start + timedelta(minutes=n),
                    company=f"Company {n:04d} Therapeutics, Inc.",
                    tickers=(f"Nasdaq:{ticker(n)}",),
                    text=text,
                ),
            )
        await catch_up(log, page_size=2000)
    finally:
        await log.close()


# -- the servers (in the child process) ---------------------------------------------------


async def serve_bolt(log_path: Path, ready: Any) -> None:

    from bot.compose import trial_app
    from bot.eventlog.sqlite import SQLiteEventLog
    from bot.settings import Settings
    from bot.slack.app import web_app

    log = await SQLiteEventLog.open(log_path)
    bolt, commands = trial_app(
        Settings(), log, signing_secret=SECRET, clock=lambda: datetime(2018, 1, 2, tzinfo=UTC)
    )
    try:
        await serve_forever(web_app(bolt), ready)
    finally:
        await commands.close()
        await log.close()


async def serve_baseline(companies: int, ready: Any) -> None:
    """A bare handler: the HMAC check Slack asks for, then a dict lookup."""
    from aiohttp import web

    state = {ticker(n): {"name": f"Company {n:04d}", "drug": drug(n)} for n in range(companies)}
    state.update({drug(n): state[ticker(n)] for n in range(companies)})
    key = SECRET.encode()

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "0")
        if abs(time.time() - int(timestamp)) > 300:
            return web.Response(status=401)
        expected = (
            "v0="
            + hmac.new(key, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        )
        if not hmac.compare_digest(expected, request.headers.get("X-Slack-Signature", "")):
            return web.Response(status=401)
        text = parse_qs(body.decode()).get("text", [""])[0].split()
        found = state.get(text[-1] if text else "", {})
        return web.json_response({"response_type": "ephemeral", "text": found.get("name", "?")})

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    await serve_forever(app, ready)


async def serve_forever(app: Any, ready: Any) -> None:
    """Serve ``app`` on a free port of 127.0.0.1, tell ``ready`` which, until cancelled."""
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    ready(runner.addresses[0][1])
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def child(kind: str, log_path: str, companies: int) -> None:
    def ready(port: int) -> None:
        print(f"PORT {port}", flush=True)

    async def run() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        server = (
            serve_bolt(Path(log_path), ready)
            if kind == "bolt"
            else serve_baseline(companies, ready)
        )
        task = asyncio.create_task(server)
        await stop.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())


# -- the load (in this process) ----------------------------------------------------------


def signed_requests(companies: int, count: int = 4000, seed: int = 7) -> list[bytes]:
    """Raw HTTP requests: /trial TICKER (most), DRUG, guidance TICKER, TICKER public."""
    rng = random.Random(seed)
    timestamp = str(int(time.time()))
    requests = []
    for i in range(count):
        n = rng.randrange(companies)
        text = rng.choices(
            [ticker(n), drug(n), f"guidance {ticker(n)}", f"{ticker(n)} public"],
            weights=[60, 20, 10, 10],
        )[0]
        body = urlencode(
            {
                "token": "x",
                "team_id": "T0BENCH",
                "team_domain": "bench",
                "channel_id": "C0BENCH",
                "channel_name": "bench",
                "user_id": "U0BENCH",
                "user_name": "bench",
                "command": "/trial",
                "text": text,
                "api_app_id": "A0BENCH",
                "response_url": "https://hooks.slack.com/commands/T0/1/x",
                "trigger_id": f"{i}.1.bench",
            }
        ).encode()
        signature = (
            "v0="
            + hmac.new(
                SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256
            ).hexdigest()
        )
        head = (
            "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: {timestamp}\r\nX-Slack-Signature: {signature}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    cold_p99: float = float("nan")
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


class Connection(asyncio.Protocol):
    """One keep-alive connection sending a request as soon as the last answer is in."""

    def __init__(self, requests: list[bytes], offset: int, load: Load, deadline: float) -> None:
        self.requests = requests
        self.index = offset
        self.load = load
        self.deadline = deadline
        self.buffer = b""
        self.started = 0.0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.send()

    def send(self) -> None:
        assert self.transport is not None
        request = self.requests[self.index % len(self.requests)]
        self.index += CONCURRENCY
        self.started = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            status = int(head.split(" ", 2)[1])
            self.buffer = self.buffer[end + 4 + length :]
            now = time.perf_counter()
            self.load.latencies.append(now - self.started)
            self.load.statuses[status] = self.load.statuses.get(status, 0) + 1
            if status != 200:
                self.load.errors += 1
            if now < self.deadline:
                self.send()
            elif not self.done.done():
                assert self.transport is not None
                self.transport.close()
                self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def run_load(port: int, requests: list[bytes], duration: float) -> tuple[Load, float]:
    load = Load()
    # Warm up, untimed: every request once, as a running app has answered them before
    # (the first answer to a name reads and renders the state; later ones reuse it).
    warm = Load()
    await _connections([Warmup(requests, i, warm) for i in range(CONCURRENCY)], port)
    load.cold_p99 = percentile(warm.latencies, 0.99)
    started = time.perf_counter()
    deadline = started + duration
    await _connections([Connection(requests, i, load, deadline) for i in range(CONCURRENCY)], port)
    return load, time.perf_counter() - started


async def _connections(protocols: list[Connection], port: int) -> None:
    loop = asyncio.get_running_loop()
    for protocol in protocols:
        await loop.create_connection(lambda p=protocol: p, "127.0.0.1", port)  # type: ignore[misc]
    await asyncio.gather(*(p.done for p in protocols))


class Warmup(Connection):
    """Sends its share of the requests once each."""

    def __init__(self, requests: list[bytes], offset: int, load: Load) -> None:
        super().__init__(requests, offset, load, deadline=float("inf"))

    def send(self) -> None:
        if self.index >= len(self.requests):
            assert self.transport is not None
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)
            return
        super().send()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def measure(
    kind: str, log_path: Path, companies: int, requests: list[bytes], duration: float
) -> dict[str, Any]:
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            kind,
            "--log",
            str(log_path),
            "--companies",
            str(companies),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the {kind} server did not start: {line!r}")
        load, elapsed = asyncio.run(run_load(int(line.split()[1]), requests, duration))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    done = len(load.latencies)
    return {
        "requests": done,
        "errors": load.errors,
        "statuses": load.statuses,
        "rps": done / elapsed,
        "p50_ms": percentile(load.latencies, 0.50) * 1000,
        "p99_ms": percentile(load.latencies, 0.99) * 1000,
        "max_ms": max(load.latencies, default=float("nan")) * 1000,
        "first_answer_p99_ms": load.cold_p99 * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    parser.add_argument("--duration", type=float, default=DURATION)
    parser.add_argument("--companies", type=int, default=COMPANIES)
    parser.add_argument("--serve", choices=["bolt", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        child(args.serve, args.log, args.companies)
        return

    console = Console()
    with tempfile.TemporaryDirectory(prefix="trialwire-bench-") as tmp:
        log_path = Path(tmp) / "events.db"
        t0 = time.perf_counter()
        asyncio.run(build_state(log_path, args.companies))
        console.print(
            f"state of {args.companies} companies built in {time.perf_counter() - t0:.1f}s"
        )
        requests = signed_requests(args.companies)
        baseline = measure("baseline", log_path, args.companies, requests, args.duration)
        bolt = measure("bolt", log_path, args.companies, requests, args.duration)

    ratio = baseline["rps"] / REFERENCE_BASELINE_RPS
    scaled = {"rps": TARGETS["rps"] * ratio, "p99_ms": TARGETS["p99_ms"] / ratio}
    table = Table(
        "server", "req/s", "p50 ms", "p99 ms", "max ms", "errors",
        title=f"/trial, concurrency {CONCURRENCY} for {args.duration:g}s, {args.companies} companies",
    )  # fmt: skip
    for name, row in (
        ("raw aiohttp + HMAC + dict (baseline)", baseline),
        ("trialwire /trial (Bolt)", bolt),
    ):
        table.add_row(
            name, f"{row['rps']:,.0f}", f"{row['p50_ms']:.2f}", f"{row['p99_ms']:.2f}",
            f"{row['max_ms']:.1f}", str(row["errors"]),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"baseline vs the reference machine: {ratio:.2f}× "
        f"({baseline['rps']:,.0f} vs {REFERENCE_BASELINE_RPS:,.0f} req/s); "
        f"trialwire runs at {bolt['rps'] / baseline['rps']:.0%} of the baseline"
    )
    verdicts = {
        "rps": bolt["rps"] >= TARGETS["rps"],
        "p99_ms": bolt["p99_ms"] <= TARGETS["p99_ms"],
        "rps_scaled": bolt["rps"] >= scaled["rps"],
        "p99_ms_scaled": bolt["p99_ms"] <= scaled["p99_ms"],
    }
    console.print(
        f"targets: >= {TARGETS['rps']:,.0f} req/s ({'met' if verdicts['rps'] else 'missed'}; "
        f"scaled {scaled['rps']:,.0f}: {'met' if verdicts['rps_scaled'] else 'missed'}), "
        f"p99 <= {TARGETS['p99_ms']:g} ms ({'met' if verdicts['p99_ms'] else 'missed'}; "
        f"scaled {scaled['p99_ms']:.1f}: {'met' if verdicts['p99_ms_scaled'] else 'missed'})"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "rps": round(bolt["rps"], 1),
                    "p50_ms": round(bolt["p50_ms"], 3),
                    "p99_ms": round(bolt["p99_ms"], 3),
                    "errors": bolt["errors"],
                    "baseline_rps": round(baseline["rps"], 1),
                    "baseline_p99_ms": round(baseline["p99_ms"], 3),
                    "baseline_ratio": round(ratio, 3),
                    "scaled_targets": {k: round(v, 2) for k, v in scaled.items()},
                    "targets_met": verdicts,
                    "companies": args.companies,
                    "concurrency": CONCURRENCY,
                    "duration_s": args.duration,
                    "date": date.today().isoformat(),
                }
            )
        )


if __name__ == "__main__":
    main()
