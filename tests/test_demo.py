"""``trialwire demo`` runs the real pipeline offline."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bot.demo import demo_releases, run_demo
from bot.eventlog.sqlite import SQLiteEventLog


async def test_the_demo_records_each_release_once(tmp_path: Path) -> None:
    console = Console(record=True, width=120)
    await run_demo(console, workdir=tmp_path)
    output = console.export_text()

    releases = demo_releases()
    assert releases[0].company == "Cellectar Biosciences, Inc."
    for release in releases:
        assert release.title.split()[0] in output
    assert "nothing was recorded twice" in output
    assert "characters read from its page" in output

    log = await SQLiteEventLog.open(tmp_path / "events.db")
    try:
        stats = await log.stats()
    finally:
        await log.close()
    assert stats.by_type == {"ReleaseReceived": len(releases)}
    assert stats.subscriptions == {"demo-printer": stats.last_position}
