"""The daemon SIGKILLed at random moments loses nothing and duplicates nothing, alerts included."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.harness import crash_run


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_random_kills_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    report = await crash_run(tmp_path, kills=20, releases=30, seed=7)
    assert report.kills == 20
    assert (report.lost_releases, report.duplicate_events, report.subscribers_behind) == (0, 0, 0)
    assert report.expected_alerts == 30
    assert (report.missing_alerts, report.duplicate_alerts) == (0, 0)
    assert len(report.kill_points) >= 3  # the kills landed at different kinds of moment
