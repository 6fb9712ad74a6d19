"""``trialwire demo`` runs the real pipeline offline and tells the seed story."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bot.demo import demo_releases, run_demo
from bot.eventlog.sqlite import SQLiteEventLog


async def test_the_demo_tells_the_seed_story_and_records_each_release_once(
    tmp_path: Path,
) -> None:
    console = Console(record=True, width=200)
    await run_demo(console, workdir=tmp_path)
    output = console.export_text()

    releases = demo_releases()
    assert releases[0].company == "Cellectar Biosciences, Inc."
    for release in releases:
        assert release.title.split()[0] in output
    assert "CohortInitiated CLR 131: Phase 1, cohort 4, 31.25 mCi/m2" in output
    assert "DoseEscalated CLR 131: cohort 4, 25 mCi/m2 → 31.25 mCi/m2 (+25 %)" in output
    assert "GuidanceMoved CLR 131: Phase II initiation: earlier → 2017-Q1" in output
    assert "MilestoneAchieved CLR 131: Cohort 4 initiation: ahead" in output
    assert "nothing was recorded twice" in output
    assert "/trial CLRB" in output
    assert "2017-Q1  CLRB CLR 131: Phase II initiation  (moved 1×)" in output

    log = await SQLiteEventLog.open(tmp_path / "events.db")
    try:
        stats = await log.stats()
    finally:
        await log.close()
    assert stats.by_type["ReleaseReceived"] == len(releases)
    assert set(stats.subscriptions.values()) == {stats.last_position}
