"""Milestones are one commitment however worded; periods compared by DESIGN.md's rules."""

from __future__ import annotations

from datetime import date

import pytest

from bot.events.trial import Period
from handlers.milestones import compare_periods, milestone_key, same_milestone, versus_guidance


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("topline data from the Phase 2 trial", "Phase 2 topline results"),
        ("Phase II initiation", "initiation of the Phase 2 study"),
        ("Cohort 4 initiation", "initiation of the fourth cohort"),
        ("BLA submission", "submission of the BLA"),
        ("PDUFA decision", "FDA approval decision"),
    ],
)
def test_the_same_milestone_in_other_words(a: str, b: str) -> None:
    assert milestone_key(a, "CLR 131") == milestone_key(b, "CLR-131")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Phase 2 topline data", "Phase 2 interim data"),
        ("Phase 2 initiation", "Phase 3 initiation"),
        ("Cohort 4 initiation", "Cohort 5 initiation"),
    ],
)
def test_different_milestones_stay_apart(a: str, b: str) -> None:
    assert milestone_key(a, "X-1") != milestone_key(b, "X-1")


def test_a_milestone_guided_without_a_phase_is_met_by_any_phase() -> None:
    assert same_milestone("X1|data|", "X1|data:topline|2")
    assert not same_milestone("X1|data|", "Y2|data:topline|2")


@pytest.mark.parametrize(
    ("old", "new", "move"),
    [
        ("2017-H2", "2017-Q1", "earlier"),
        ("2023-H2", "2024-H1", "later"),
        ("2017-H1", "2017-Q2", "narrowed"),  # inside the old window, same end
        ("2017", "2017-Q3", "narrowed"),
        ("2017-Q2", "2017-Q2", "same"),
        ("2019-12", "2020-01", "later"),
        ("2018-mid", "2018-Q4", "later"),
    ],
)
def test_moves_follow_the_window_end(old: str, new: str, move: str) -> None:
    assert compare_periods(Period(label=old), Period(label=new)) == move


@pytest.mark.parametrize(
    ("on", "guided", "verdict"),
    [
        (date(2017, 2, 22), "2017-Q2", "ahead"),
        (date(2017, 5, 1), "2017-Q2", "on_time"),
        (date(2017, 7, 1), "2017-Q2", "late"),
        (date(2017, 3, 31), "2017-Q1", "on_time"),
    ],
)
def test_reaching_a_milestone_against_its_window(on: date, guided: str, verdict: str) -> None:
    assert versus_guidance(on, Period(label=guided)) == verdict
