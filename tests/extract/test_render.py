"""Events in the corpus schema, and the evidence every event carries."""

from __future__ import annotations

from bot.extract import EXTRACTOR_VERSION, extract, key_facts, to_corpus, to_corpus_release
from bot.extract.sources import from_text
from tests.extract.test_fixtures import FIXTURES

SEED = FIXTURES / "000_cellectar_clr131_cohort4_initiated.txt"


def seed_events() -> list[dict[str, object]]:
    release = from_text(SEED.read_text(encoding="utf-8"), SEED.stem)
    return [to_corpus(e) for e in extract(release)]


def test_corpus_schema_of_the_seed() -> None:
    by_type = {e["type"]: e for e in seed_events()}
    initiated = by_type["CohortInitiated"]
    assert {k: initiated[k] for k in ("type", "drug", "phase", "cohort", "dose")} == {
        "type": "CohortInitiated",
        "drug": "CLR 131",
        "phase": "1",
        "cohort": 4,
        "dose": {"value": 31.25, "unit": "mCi/m2"},
    }
    escalated = by_type["DoseEscalated"]
    assert escalated["from"] == {"value": 25.0, "unit": "mCi/m2"}
    assert escalated["to"] == {"value": 31.25, "unit": "mCi/m2"}
    assert (escalated["percent"], escalated["consistent"]) == (25.0, True)
    moved = by_type["GuidanceMoved"]
    assert (moved["period"], moved["direction"]) == ("2017-Q1", "earlier")
    achieved = by_type["MilestoneAchieved"]
    assert (achieved["vs_guidance"], achieved["guided"]) == ("ahead", "2017-Q2")


def test_every_event_carries_its_evidence_span() -> None:
    text = SEED.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    for event in seed_events():
        evidence = event["evidence"]
        assert isinstance(evidence, dict)
        if evidence["source"] == "text":
            assert text[evidence["start"] : evidence["end"]] == evidence["sentence"]
        assert event["extractor_version"] == EXTRACTOR_VERSION


def test_release_object_and_key_facts() -> None:
    release = from_text(SEED.read_text(encoding="utf-8"), SEED.stem)
    events = extract(release)
    assert to_corpus_release(SEED.stem, events)["release"] == SEED.stem
    facts = {e.TYPE: key_facts(e) for e in events}
    assert facts["DoseEscalated"] == "cohort 4, 25 mCi/m2 → 31.25 mCi/m2 (+25 %)"
    assert facts["GuidanceMoved"].endswith("earlier → 2017-Q1")
