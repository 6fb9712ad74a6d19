"""Periods, resolved against the release date."""

from __future__ import annotations

from datetime import date

import pytest

from bot.events.trial import Period
from bot.extract.periods import direction, find_periods

FEB_2017 = date(2017, 2, 22)

PERIODS = [
    ("expects to initiate in the second quarter of 2017", FEB_2017, [("2017-Q2", None)]),
    ("by the end of the second quarter of 2017", FEB_2017, [("2017-Q2", "end of")]),
    ("as early as the second half of 2017", FEB_2017, [("2017-H2", "as early as")]),
    ("data in 1H18", FEB_2017, [("2018-H1", None)]),
    ("a start in 2H 2018", FEB_2017, [("2018-H2", None)]),
    ("to begin in 1Q19, data in 4Q19", FEB_2017, [("2019-Q1", None), ("2019-Q4", None)]),
    ("topline data in Q1 2023", FEB_2017, [("2023-Q1", None)]),
    ("until calendar Q3, 2020", FEB_2017, [("2020-Q3", None)]),
    ("results in H1 and H2 2024", FEB_2017, [("2024-H1", None), ("2024-H2", None)]),
    # the part of the year is in the label, not repeated as a qualifier
    ("mid-2018", FEB_2017, [("2018-mid", None)]),
    ("cash into mid-year 2024", FEB_2017, [("2024-mid", None)]),
    ("in early 2021", FEB_2017, [("2021-early", None)]),
    ("in late 2019", FEB_2017, [("2019-late", None)]),
    ("by year-end", FEB_2017, [("2017-Q4", "by")]),
    ("by year-end 2022", FEB_2017, [("2022-Q4", "by")]),
    ("before the end of the year", FEB_2017, [("2017-Q4", "end of")]),
    ("later this year", FEB_2017, [("2017", None)]),
    ("next year", FEB_2017, [("2018", None)]),
    ("early next year", FEB_2017, [("2018-early", None)]),
    ("this quarter", date(2021, 7, 7), [("2021-Q3", None)]),
    ("next quarter", date(2021, 11, 7), [("2022-Q1", None)]),
    ("in the fourth quarter of this year", date(2021, 8, 3), [("2021-Q4", None)]),
    ("Q4 of this year", date(2017, 5, 31), [("2017-Q4", None)]),
    ("in the third quarter", date(2020, 6, 4), [("2020-Q3", None)]),
    # a month or quarter without a year is the release year's (past ones are marked past)
    ("in the first quarter", date(2020, 6, 4), [("2020-Q1", None)]),
    ("this month", date(2019, 3, 15), [("2019-03", None)]),
    ("a PDUFA date of December 28, 2024", FEB_2017, [("2024-12", None)]),
    ("around the end of July 2014", FEB_2017, [("2014-07", "end of")]),
    ("in early January 2020", FEB_2017, [("2020-01", "early")]),
    ("this Summer", date(2020, 4, 9), [("2020-mid", None)]),
    ("in Summer 2020", FEB_2017, [("2020-mid", None)]),
    ("Pivotal data anticipated in 2021", FEB_2017, [("2021", None)]),
    # not periods, or not readable
    ("the second half of 2", FEB_2017, []),  # a year cut off by truncation
    ("the 2018 American College of Rheumatology meeting", FEB_2017, []),
    ("they may have", FEB_2017, []),
]


@pytest.mark.parametrize(("text", "published", "expected"), PERIODS)
def test_periods(text: str, published: date, expected: list[tuple[str, str | None]]) -> None:
    found = find_periods(text, published)
    assert [(m.period.label, m.period.qualifier) for m in found] == expected


def test_relative_periods_need_a_release_date() -> None:
    assert find_periods("later this year and next quarter", None) == []
    assert [m.period.label for m in find_periods("in the second half of 2021", None)] == ["2021-H2"]


def test_past_periods_are_marked() -> None:
    found = find_periods("completed in July, data expected in December", date(2024, 10, 8))
    assert [(m.period.label, m.past) for m in found] == [("2024-07", True), ("2024-12", False)]
    found = find_periods("on June 27, 2016", date(2016, 8, 9))
    assert [(m.period.label, m.past) for m in found] == [("2016-06", True)]


MOVES = [
    ("2023-H2", "2024-H1", "later"),
    ("2017-Q2", "2017-Q1", "earlier"),
    ("2019-12", "2020-01", "later"),
    ("2020-H1", "2020-Q2", None),  # a narrowing inside the old window
    ("2020-Q1", "2020-03", None),
    ("2020-Q2", "2020-H1", None),  # same end: no move
    ("2021-mid", "2021-Q4", "later"),
]


@pytest.mark.parametrize(("old", "new", "expected"), MOVES)
def test_direction_of_a_move(old: str, new: str, expected: str | None) -> None:
    assert direction(Period(label=old), Period(label=new)) == expected


def test_period_windows() -> None:
    assert Period(label="2017-Q2").window() == (date(2017, 4, 1), date(2017, 6, 30))
    assert Period(label="2017-mid").window() == (date(2017, 6, 1), date(2017, 8, 31))
    assert Period(label="2017-02").window() == (date(2017, 2, 1), date(2017, 2, 28))
    with pytest.raises(ValueError, match="not a period"):
        Period(label="Q2 2017")
