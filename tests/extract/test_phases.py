"""Phases, cohorts and trial names."""

from __future__ import annotations

import pytest

from bot.extract.phases import find_cohorts, find_phases, find_trial_names
from bot.extract.quantities import find_doses
from bot.extract.text import normalise

PHASES = [
    ("its Phase I clinical trial", ["1"]),
    ("a Phase 1 study", ["1"]),
    ("the Phase 1b/2 trial", ["1b/2"]),
    ("a Phase IIa study", ["2a"]),
    ("a pivotal Phase 3 trial", ["3"]),
    ("the Phase I/II OVATION 2 study", ["1/2"]),
    ("the Phase 1a/1b clinical trial", ["1a/1b"]),
    ("the Phase IB study", ["1b"]),
    ("the Phase 2b/3 program", ["2b/3"]),
    ("the ReSPECT-LM Phase 1/Part A trial", ["1"]),
    ("phase 1 clinical trial of ft819", ["1"]),
    ("Phase III", ["3"]),
    # not phases
    ("the recommended Phase 2 dose of 400 mg", []),
    ("the first phase of the contract", []),
    ("Phase Holdings Inc.", []),
]


@pytest.mark.parametrize(("text", "expected"), PHASES)
def test_phases(text: str, expected: list[str]) -> None:
    assert [p.phase for p in find_phases(text)] == expected


COHORTS = [
    ("Cohort 4 patients will receive", [((4,), None)]),
    ("the fourth cohort of the study", [((4,), None)]),
    ("the third dose cohort", [((3,), None)]),
    ("the second dosing group", [((2,), None)]),
    ("the first dose level", [((1,), None)]),
    ("cohorts 1 and 2", [((1, 2), None)]),
    ("Cohorts 1-3", [((1, 2, 3), None)]),
    ("the first four cohorts", [((1, 2, 3, 4), None)]),
    ("the 3 mg/kg cohort", [((), "3 mg/kg")]),
    ("the 120 mg/m2 (second) cohort", [((2,), "120 mg/m2")]),
    ("60 mg Cohort (N=6) and 180 mg Cohort (N=4)", [((), "60 mg"), ((), "180 mg")]),
    ("the second fractionated dose cohort", [((2,), None)]),
    # population cohorts are not numbered dose cohorts
    ("a cohort of patients with metastatic CSCC", []),
    ("the registration cohort", []),
]


@pytest.mark.parametrize(("text", "expected"), COHORTS)
def test_cohorts(text: str, expected: list[tuple[tuple[int, ...], str | None]]) -> None:
    text = normalise(text)
    found = find_cohorts(text, find_doses(text))
    assert [(c.numbers, str(c.dose) if c.dose else None) for c in found] == expected


TRIAL_NAMES = [
    ("the TRILOGY 1 pivotal Phase 3 trial of CaPre", ["TRILOGY 1"]),
    ("Our EG-1962 Phase 3 NEWTON 2 study continues", ["NEWTON 2"]),
    ("the ReSPECT-GBM Phase 2b dose expansion clinical trial", ["RESPECT-GBM"]),
    ("the Phase 1/2 ABILITY-1 Study", ["ABILITY-1"]),
    ("a pivotal (RECONNECT) Phase 3 trial", ["RECONNECT"]),
    ("a Phase 1 trial in patients", []),
    ("the NCI-supported Phase II trial", []),
    (  # a title-case headline
        "Provides Update on TRILOGY 1 and TRILOGY 2 Phase 3 Trials of CaPre",
        ["TRILOGY 1", "TRILOGY 2"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), TRIAL_NAMES)
def test_trial_names(text: str, expected: list[str]) -> None:
    assert find_trial_names(text) == expected
