"""``trialwire status``, ``upcoming``, ``track-record`` and ``replay`` on a log of real releases."""

from __future__ import annotations

from pathlib import Path

from bot.eventlog.sqlite import SQLiteEventLog
from tests.cli.test_feeds_cmd import trialwire
from tests.handlers.support import corpus_release, record_all


async def config_with_corpus(tmp_path: Path, *stems: str) -> Path:
    log = await SQLiteEventLog.open(tmp_path / "events.db")
    await record_all(log, *(corpus_release(stem) for stem in stems))
    await log.close()
    config = tmp_path / "trialwire.toml"
    config.write_text(f'[log]\nurl = "sqlite:///{tmp_path}/events.db"\n')
    return config


async def test_status_upcoming_and_track_record(tmp_path: Path) -> None:
    config = await config_with_corpus(
        tmp_path,
        "000_cellectar_clr131_cohort4_initiated",
        "100_acasti_trilogy1_last_patient_visit",
        "101_acasti_trilogy1_topline_postponed",
    )
    code, out = await trialwire("status", "CLR 131", "-c", str(config))
    assert code == 0, out
    assert "Cellectar Biosciences, Inc. (Nasdaq:CLRB)" in out
    assert "cohort 4 initiated at 31.25 mCi/m2" in out
    assert "2017-Q1" in out

    code, out = await trialwire("upcoming", "--today", "2017-01-01", "-c", str(config))
    assert code == 0, out
    assert out.index("Phase II initiation") < out.index("topline data")  # soonest first

    code, out = await trialwire("track-record", "ACST", "--today", "2021-01-01", "-c", str(config))
    assert code == 0, out
    assert "overdue" in out
    assert "moved later 1×" in out

    code, out = await trialwire("status", "CLRBX", "-c", str(config))
    assert code == 1
    assert "Nothing known about 'CLRBX'. Did you mean CLRB" in out


async def test_replay_rebuilds_the_same_answer(tmp_path: Path) -> None:
    config = await config_with_corpus(tmp_path, "000_cellectar_clr131_cohort4_initiated")
    _, before = await trialwire("status", "CLRB", "-c", str(config))
    code, out = await trialwire("replay", "-c", str(config))
    assert code == 0, out
    assert "replayed" in out
    _, after = await trialwire("status", "CLRB", "-c", str(config))
    assert after == before
