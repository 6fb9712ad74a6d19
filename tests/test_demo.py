"""``trialwire demo`` runs the real daemon offline and tells the seed story."""

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
    assert "no alert for" not in output  # every release became an alert
    assert output.count("── console · ") == len(releases)
    for line in (
        "*Cohort 4 initiated at 31.25 mCi/m² · +25 % vs cohort 3*",
        "*Phase 2 start moved earlier: now Q1 2017*",
        "*Cohort 4 start reached ahead of guidance (guided end of Q2 2017)*",
        "*Topline data moved later: H2 2023 → H1 2024*",
        "*Clinical hold placed by FDA*",
        "── /trial CLRB ──",
        "`Q1 2017` *CLRB* CLR 131: Phase 2 start · moved 1×",
        "`H1 2024` *ZYNE* Zygel: Topline data · moved 1×",
    ):
        assert line in output

    log = await SQLiteEventLog.open(tmp_path / "events.db")
    try:
        stats = await log.stats()
    finally:
        await log.close()
    assert stats.by_type["ReleaseReceived"] == len(releases)
    assert set(stats.subscriptions.values()) == {stats.last_position}
