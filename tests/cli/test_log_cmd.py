"""``trialwire log stats`` and ``trialwire log tail`` on a real log file."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.eventlog.sqlite import SQLiteEventLog
from tests.conftest import child_env
from tests.eventlog.factories import batch, new_event

runner = CliRunner()


@pytest.fixture
async def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.db"
    log = await SQLiteEventLog.open(path)
    await log.append("company:CLRB", batch(3, type="ReleaseReceived"))
    await log.append("trial:CLRB:CLR131", batch(2, type="CohortInitiated"))
    async with log.transaction() as uow:
        await uow.save_checkpoint("trial-state", 4)
    await log.close()
    return path


def test_stats_counts_types_streams_and_subscribers(log_file: Path) -> None:
    result = runner.invoke(app, ["log", "stats", "--log", f"sqlite:///{log_file}"])
    assert result.exit_code == 0, result.output
    assert "5 events in 2 streams, last position 5" in result.output
    assert "ReleaseReceived" in result.output
    assert "CohortInitiated" in result.output
    assert "trial-state" in result.output


def test_tail_prints_the_last_events(log_file: Path) -> None:
    result = runner.invoke(app, ["log", "tail", "-n", "2", "--log", f"sqlite:///{log_file}"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].split()[0] == "4"
    assert "CohortInitiated" in lines[1]
    assert "trial:CLRB:CLR131" in lines[1]


def test_a_missing_log_is_an_error_not_an_empty_new_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    result = runner.invoke(app, ["log", "stats", "--log", f"sqlite:///{missing}"])
    assert result.exit_code == 2
    assert "no event log at" in result.output
    assert not missing.exists()


async def test_tail_follow_prints_events_as_they_arrive(log_file: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "log", "tail", "-f", "-n", "1",
        "--log", f"sqlite:///{log_file}",
        stdout=asyncio.subprocess.PIPE,
        env=child_env(COLUMNS="200"),
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(30):
            first = await proc.stdout.readline()
            assert b"CohortInitiated" in first
            log = await SQLiteEventLog.open(log_file)
            await log.append("trial:SELB:SEL302", [new_event(type="ClinicalHold")])
            await log.close()
            while b"ClinicalHold" not in (line := await proc.stdout.readline()):
                assert line, "tail -f exited"
    finally:
        proc.terminate()
        await proc.wait()
