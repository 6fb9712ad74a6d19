"""Doses and stated percentages."""

from __future__ import annotations

import pytest

from bot.events.trial import Dose
from bot.extract.quantities import consistent, find_doses, find_percents
from bot.extract.text import normalise

DOSES = [
    ("patients will receive 31.25 mCi/m² of the drug", [(31.25, "mCi/m2", None)]),
    ("the 25mCi/m2 dose", [(25, "mCi/m2", None)]),
    ("(15, 30, 45 and 60mCi/m 2 ) evaluated", [(60, "mCi/m2", None)]),  # superscript lost
    ("two 15.625 mCI/mdoses given a week apart", [(15.625, "mCi/m2", None)]),  # glued
    ("0.3 mg/kg and 4 mg / kg", [(0.3, "mg/kg", None), (4, "mg/kg", None)]),
    ("100 mg BID for 28 days", [(100, "mg", "BID")]),
    ("400 mg once daily", [(400, "mg", "ONCE DAILY")]),
    ("1.5 x 10^6 cells/kg", [(1.5e6, "cells/kg", None)]),
    ("1.5 × 10⁶ cells/kg", [(1.5e6, "cells/kg", None)]),
    ("3.3 x 105 cells", [(3.3e5, "cells", None)]),  # the copy lost "10⁵"'s superscript
    ("900 million cells per dose", [(9e8, "cells", None)]),
    ("an activity of 7.4 GBq, or 100 MBq/kg", [(7.4, "GBq", None), (100, "MBq/kg", None)]),
    ("10 µg/kg, 10 ug/kg and 10 mcg/kg", [(10, "ug/kg", None)] * 3),
    ("5 mcg", [(5, "ug", None)]),
    ("a dose of 1,000 mg", [(1000, "mg", None)]),
    ("120 mg/m2 (second) cohort", [(120, "mg/m2", None)]),
    ("22.3 mCi in an infused volume of 8.8 mL", [(22.3, "mCi", None)]),
    # not doses: concentrations, money, counts, technology names
    ("triglycerides from 500 mg/dL to 1500 mg/dL", []),
    ("HBsAg -0.81 log10 IU/mL", []),
    ("a $2 million award", []),
    ("3 cells were counted", []),
    ("5G networks", []),
]


@pytest.mark.parametrize(("text", "expected"), DOSES)
def test_doses(text: str, expected: list[tuple[float, str, str | None]]) -> None:
    found = find_doses(normalise(text))
    assert [(d.dose.value, d.dose.unit, d.dose.regimen) for d in found] == expected


PERCENTS = [
    ("a 25 percent increase", [25.0]),
    ("a 150% increase", [150.0]),
    ("12.5 per cent higher", [12.5]),
    ("double the dose given in cohort 1", [100.0]),
    ("tripled", [200.0]),
]


@pytest.mark.parametrize(("text", "expected"), PERCENTS)
def test_percents(text: str, expected: list[float]) -> None:
    assert [p.value for p in find_percents(text)] == expected


def test_stated_percent_is_checked_against_the_doses() -> None:
    before, after = Dose(value=25, unit="mCi/m2"), Dose(value=31.25, unit="mCi/m2")
    assert consistent(25, before, after) is True
    assert consistent(50, before, after) is False
    assert consistent(25, Dose(value=25, unit="mg"), after) is None  # units differ
