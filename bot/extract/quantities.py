"""Doses with units, and stated percentages.

A dose is a number (``31.25``, ``1,000``, ``1.5 x 10^6``, ``3.3 x 105`` with its
superscript lost, ``900 million``) followed by a unit, which is mapped to one
canonical spelling: ``mCi/m2``, ``mg/kg``, ``mg``, ``ug/kg``, ``MBq/kg``,
``cells/kg`` … Lab values (``mg/dL``, ``IU/mL``) are not doses.
"""

from __future__ import annotations

import re

from bot.events.trial import Dose
from bot.extract.model import DoseMention, PercentMention
from bot.extract.text import contains_any

# A number: "1,000", "31.25", "7". DOSE reads it from its second digit on (see there).
_NUMBER_AFTER_FIRST_DIGIT = r"\d{0,2}(?:,\d{3})+(?:\.\d+)?|\d*(?:\.\d+)?"
_SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9}

# Unit spellings (after normalisation: ² → 2, µ → u) → canonical unit. In each
# alternation the longer spelling comes first, so "mg/kg" wins over "mg".
_UNITS: tuple[tuple[str, str], ...] = (
    (r"m[Cc][Ii]\s*/\s*m(?:\s?2)?", "mCi/m2"),  # also "mCi/m 2", "mCI/m" (superscript lost)
    (r"m[Cc][Ii]\s*/\s*kg", "mCi/kg"),
    (r"m[Cc][Ii]", "mCi"),
    (r"MBq\s*/\s*kg", "MBq/kg"),
    (r"MBq", "MBq"),
    (r"GBq", "GBq"),
    (r"mg\s*/\s*kg", "mg/kg"),
    (r"mg\s*/\s*m\s?2", "mg/m2"),
    (r"(?:ug|mcg)\s*/\s*kg", "ug/kg"),
    (r"(?:ug|mcg)\s*/\s*m\s?2", "ug/m2"),
    (r"ng\s*/\s*kg", "ng/kg"),
    (r"m[lL]\s*/\s*kg", "mL/kg"),
    (r"IU\s*/\s*kg", "IU/kg"),
    (r"vg\s*/\s*kg", "vg/kg"),
    (r"(?:CAR[- ]?T\s)?cells\s*(?:/\s*kg|per\s+kg)", "cells/kg"),
    (r"(?:CAR[- ]?T\s)?cells", "cells"),
    (r"mg", "mg"),
    (r"(?:ug|mcg)", "ug"),
    (r"g", "g"),
    (r"IU", "IU"),
)
# A unit must end the word ("mg" is not "mgmt") and not be a concentration ("mg/dL").
# "mCi/m" is exempt: copies that lost the superscript glue it to the next word.
_UNIT_END = r"(?![A-Za-z0-9])(?!\s*/\s*(?:d[lL]|m[lL]|L)\b)"
_UNIT_ALTERNATION = "|".join(
    f"(?:{spelling})" + ("" if unit == "mCi/m2" else _UNIT_END) for spelling, unit in _UNITS
)
_REGIMEN = (
    r"(?:\s+(?P<regimen>BID|TID|QID|QD|QW|Q2W|Q3W|Q4W|QOD|once[- ]daily|twice[- ]daily"
    r"|daily|weekly))?"
)
DOSE = re.compile(
    # "\d(?<![\w.,$]\d)" rather than "(?<![\w.,$])\d": a pattern that starts with a
    # character class is found by a fast scan; one that starts with a look-behind is tried
    # at every position.
    r"(?P<num>\d(?<![\w.,$]\d)(?:" + _NUMBER_AFTER_FIRST_DIGIT + r"))"
    r"(?:\s*[xX]\s*10\s*(?:\^\s*)?(?P<exp>\d{1,2})(?!\d)|\s+(?P<scale>thousand|million|billion))?"
    r"\s*(?P<unit>" + _UNIT_ALTERNATION + r")" + _REGIMEN
)
_UNIT_PATTERNS = tuple((re.compile(f"(?:{spelling})$"), unit) for spelling, unit in _UNITS)

PERCENT = re.compile(r"(?<![\w.])(?P<num>\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)")
# Words that state a change as a multiple: "double the dose given in cohort 1".
MULTIPLE_WORDS = {
    "double": 100.0,
    "doubled": 100.0,
    "doubling": 100.0,
    "triple": 200.0,
    "tripled": 200.0,
    "tripling": 200.0,
    "quadruple": 300.0,
}
_MULTIPLE = re.compile(r"\b(?P<word>" + "|".join(MULTIPLE_WORDS) + r")\b", re.IGNORECASE)


def canonical_unit(spelling: str) -> str | None:
    """The canonical unit for a unit as written, or None when it is not a dose unit."""
    compact = spelling.strip()
    for pattern, unit in _UNIT_PATTERNS:
        if pattern.match(compact):
            return unit
    return None


def _number(text: str) -> float:
    return float(text.replace(",", ""))


# A number followed by something that could start a unit: sentences without one skip DOSE.
_DOSE_HINT = re.compile(r"\d\s?(?:[mugnvkcixMUGNVKCIX^]|mc|thousand|million|billion)")


def find_doses(text: str) -> list[DoseMention]:
    """Every dose in ``text`` (a normalised sentence), in order."""
    found: list[DoseMention] = []
    if not _DOSE_HINT.search(text):
        return found
    for match in DOSE.finditer(text):
        unit = canonical_unit(match.group("unit"))
        if unit is None:
            continue
        value = _number(match.group("num"))
        if match.group("exp"):
            value *= 10.0 ** int(match.group("exp"))
        elif match.group("scale"):
            value *= _SCALE_WORDS[match.group("scale")]
        if unit.startswith("cells") and value < 1000:
            continue  # "3 cells" is a count, not a cell dose
        regimen = match.group("regimen")
        found.append(
            DoseMention(
                Dose(
                    value=round(value, 6), unit=unit, regimen=regimen.upper() if regimen else None
                ),
                match.start(),
                match.end(),
            )
        )
    return found


def find_percents(text: str) -> list[PercentMention]:
    """Stated percentages, and multiples written as words ("double" = 100 %)."""
    lower = text.lower()
    if not contains_any(lower, ("%", "percent", "per cent", "doubl", "tripl", "quadrupl")):
        return []
    found = [
        PercentMention(_number(m.group("num")), m.start(), m.end()) for m in PERCENT.finditer(text)
    ]
    found += [
        PercentMention(MULTIPLE_WORDS[m.group("word").lower()], m.start(), m.end())
        for m in _MULTIPLE.finditer(text)
    ]
    return sorted(found, key=lambda p: p.start)


def percent_change(before: Dose, after: Dose) -> float | None:
    """The change from ``before`` to ``after`` in percent, when the units agree."""
    if before.unit != after.unit or before.value == 0:
        return None
    return (after.value - before.value) / before.value * 100.0


def consistent(stated: float, before: Dose, after: Dose) -> bool | None:
    """Whether a stated percent change agrees with the two doses (to half a point)."""
    computed = percent_change(before, after)
    if computed is None:
        return None
    return abs(computed - stated) <= max(0.5, abs(stated) * 0.01)
