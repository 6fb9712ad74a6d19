"""Every fixture release, paired with the events it should yield.

Events are compared the way the corpus scorer compares them: by type, drug
(letters and digits, upper-cased; not compared when the expected event names
none) and the type's identifying field, then on the field each type checks
(the cohort's dose, the escalation's starting dose, the move's direction …).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.extract import extract, to_corpus
from bot.extract.sources import from_text

FIXTURES = Path(__file__).parent.parent / "fixtures" / "extract" / "corpus"
SYNTHETIC = FIXTURES.parent / "synthetic"
RELEASES = sorted(FIXTURES.glob("*.txt")) + sorted(SYNTHETIC.glob("*.txt"))

_ROMAN = {"iii": "3", "ii": "2", "iv": "4", "i": "1"}
_KEY_FIELD = {
    "TrialInitiated": "phase",
    "FirstPatientDosed": "phase",
    "EnrollmentCompleted": "phase",
    "DataReported": "phase",
    "TrialCleared": "phase",
    "TrialDiscontinued": "phase",
    "CohortInitiated": "cohort",
    "CohortCompleted": "cohort",
    "CohortEnrolled": "cohort",
    "DoseEscalated": "to",
    "GuidanceIssued": "period",
    "GuidanceMoved": "period",
    "MilestoneAchieved": "vs_guidance",
    "RegulatoryDesignation": "designation",
    "ClinicalHold": "action",
    "RegulatoryFiling": "action",
    "RecommendedDoseSet": "",
}
_CHECKED = {
    "CohortInitiated": "dose",
    "CohortCompleted": "dose",
    "CohortEnrolled": "dose",
    "RecommendedDoseSet": "dose",
    "DoseEscalated": "from",
    "GuidanceMoved": "direction",
    "MilestoneAchieved": "guided",
    "RegulatoryFiling": "filing",
}


def _norm(name: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        unit = re.sub(r"\s+", "", str(value.get("unit"))).lower().replace("µ", "u")
        return (round(float(value["value"]), 6), re.sub(r"^mc(?=g)", "u", unit))
    if name == "phase":
        parts = re.sub(r"\s+", "", str(value).lower().replace("phase", "")).replace("-", "/")
        out = []
        for part in parts.split("/"):
            match = re.fullmatch(r"(iv|iii|ii|i)([abc]?)", part)
            out.append(_ROMAN[match.group(1)] + match.group(2) if match else part)
        return "/".join(out)
    if name == "cohort":
        return int(value)
    return re.sub(r"[^A-Z0-9]", "", str(value).upper()) if name == "drug" else str(value).lower()


def _key(event: dict[str, Any], with_drug: bool = True) -> tuple[Any, ...]:
    field = _KEY_FIELD[event["type"]]
    drug = _norm("drug", event.get("drug")) if with_drug else None
    return (event["type"], drug or None, _norm(field, event.get(field)) if field else None)


def _compare(expected: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> list[str]:
    """What differs, as readable lines (empty when the events agree)."""
    wanted = {_key(e): e for e in expected}
    drugless = {(k[0], k[2]) for k in wanted if k[1] is None}
    moved = {k[2] for k in wanted if k[0] == "GuidanceMoved"}
    got: dict[tuple[Any, ...], dict[str, Any]] = {}
    for event in predicted:
        key = _key(event)
        if key not in wanted and (key[0], key[2]) in drugless:
            key = _key(event, with_drug=False)
        if key[0] == "GuidanceIssued" and key not in wanted and key[2] in moved:
            continue  # guidance restated at the period it moved to
        got.setdefault(key, event)
    problems = [f"missed {k}" for k in wanted if k not in got]
    problems += [f"extra {k}" for k in got if k not in wanted]
    for key, want in wanted.items():
        field = _CHECKED.get(key[0], "")
        checked = key in got and field and want.get(field) is not None
        if checked and _norm(field, want[field]) != _norm(field, got[key].get(field)):
            problems.append(f"{key}: {field} {got[key].get(field)!r}, expected {want[field]!r}")
    return problems


@pytest.mark.parametrize("path", RELEASES, ids=[p.stem for p in RELEASES])
def test_release_yields_its_expected_events(path: Path) -> None:
    release = from_text(path.read_text(encoding="utf-8"), path.stem)
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))["events"]
    predicted = [to_corpus(event) for event in extract(release)]
    assert _compare(expected, predicted) == []


def test_every_release_has_its_expectation() -> None:
    assert RELEASES
    assert all(p.with_suffix(".expected.json").exists() for p in RELEASES)
