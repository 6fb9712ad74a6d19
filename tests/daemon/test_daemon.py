"""The daemon, in process and as a real subprocess, against the GlobeNewswire stand-in."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from bot.daemon import Daemon
from bot.eventlog import EventLog
from bot.eventlog.sqlite import SQLiteEventLog
from bot.releases.files import read_release_file
from bot.settings import Settings, parse_settings
from bot.standins.gnw import GlobeNewswireStandIn, StandInRelease
from handlers.queries import status
from tests.conftest import child_env, eventually
from tests.handlers.support import CORPUS

ROOT = Path(__file__).resolve().parents[2]


def seed_release() -> StandInRelease:
    found = read_release_file(CORPUS / "000_cellectar_clr131_cohort4_initiated.txt")
    assert found.published is not None
    return StandInRelease.from_file(found, fallback_time=found.published)


def settings_for(gnw: GlobeNewswireStandIn, tmp_path: Path, port: int = 0) -> Settings:
    return parse_settings(
        {
            "log": {"url": f"sqlite:///{tmp_path}/events.db"},
            "globenewswire": {"base_url": gnw.base_url},
            "poller": {"alert_first_poll": True, "interval": 3600},
            "daemon": {"http_port": port, "shutdown_timeout": 5, "lease_recheck": 1},
            "feeds": [{"name": "cellectar", "organization": "cellectar-biosciences-inc"}],
        }
    )


async def wait_for_company(log: EventLog, ticker: str) -> None:
    """Follow the log (another process writes it) until the trial state knows ``ticker``."""

    async def known() -> bool:
        return bool(await status(log, ticker))

    await eventually(known, log)


async def test_the_daemon_polls_follows_and_reports_health(
    gnw: GlobeNewswireStandIn, tmp_path: Path
) -> None:
    gnw.add(seed_release())
    daemon = Daemon(settings=settings_for(gnw, tmp_path))
    stop = asyncio.Event()
    running = asyncio.create_task(daemon.run(stop))
    reader = await SQLiteEventLog.open(tmp_path / "events.db", poll_interval=0.05)
    try:
        async with asyncio.timeout(10):
            await daemon.started.wait()
        await wait_for_company(reader, "CLRB")
        async with aiohttp.ClientSession() as session:
            async with session.get(daemon.base_url + "/healthz") as response:
                assert response.status == 200
                health = json.loads(await response.text())
            async with session.get(daemon.base_url + "/metrics") as response:
                metrics = await response.text()
        assert health["status"] == "ok"
        assert health["feeds"]["cellectar"]["health"] == "ok"
        assert health["feeds"]["cellectar"]["polled_here"] is True
        assert set(health["subscribers"]) == {"extraction", "guidance-tracker", "trial-state"}
        assert 'trialwire_polls_total{feed="cellectar",result="updated"} 1.0' in metrics
        assert 'trialwire_log_events{type="ReleaseReceived"} 1.0' in metrics
    finally:
        stop.set()
        async with asyncio.timeout(10):
            await running
        await reader.close()
    log = await SQLiteEventLog.open(tmp_path / "events.db")
    stats = await log.stats()
    await log.close()
    assert set(stats.subscriptions.values()) == {stats.last_position}  # drained, nothing behind


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_trialwire_run_as_a_process_drains_on_sigterm(
    gnw: GlobeNewswireStandIn, tmp_path: Path
) -> None:
    gnw.add(seed_release())
    port = free_port()
    settings = settings_for(gnw, tmp_path, port)
    config = tmp_path / "trialwire.toml"
    config.write_text(
        f'[log]\nurl = "{settings.log.url}"\n[globenewswire]\nbase_url = "{gnw.base_url}"\n'
        "[poller]\nalert_first_poll = true\ninterval = 3600\n"
        f"[daemon]\nhttp_port = {port}\nshutdown_timeout = 5\n"
        '[[feeds]]\nname = "cellectar"\norganization = "cellectar-biosciences-inc"\n'
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--config",
        str(config),
        cwd=ROOT,
        stderr=asyncio.subprocess.PIPE,
        env=child_env(PYTHONUNBUFFERED="1"),
    )
    reader = await SQLiteEventLog.open(tmp_path / "events.db", poll_interval=0.05)
    try:
        await wait_for_company(reader, "CLRB")
        async with aiohttp.ClientSession() as session:
            async with asyncio.timeout(10):
                while True:
                    try:
                        async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientConnectionError:
                        continue
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            assert await proc.wait() == 0
        assert proc.stderr is not None
        logs = [
            json.loads(line)
            for line in (await proc.stderr.read()).decode().splitlines()
            if line.startswith("{")
        ]
        assert [
            entry["message"] for entry in logs if entry["message"] in ("draining", "stopped")
        ] == [
            "draining",
            "stopped",
        ]
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await reader.close()
