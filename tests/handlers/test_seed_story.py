"""The founding example: Cellectar's CLR 131 release of 22 February 2017, end to end."""

from __future__ import annotations

from datetime import date

from bot.eventlog import EventLog
from handlers.pipeline import catch_up
from handlers.queries import status, track_record, upcoming
from tests.handlers.support import corpus_release, record_all


async def test_the_seed_release_becomes_the_state_of_clr_131(event_log: EventLog) -> None:
    await record_all(event_log, corpus_release("000_cellectar_clr131_cohort4_initiated"))
    await catch_up(event_log)

    [doc] = await status(event_log, "CLRB")
    assert doc.name == "Cellectar Biosciences, Inc."
    assert doc.tickers == ["Nasdaq:CLRB"]
    assert doc.last_release is not None
    assert doc.last_release.published == date(2017, 2, 22)
    clr131 = doc.drug("CLR131")
    assert clr131 is not None
    [trial] = [t for t in clr131.trials if t.phase == "1"]
    assert trial.status == "recruiting"
    latest = trial.latest_cohort()
    assert latest is not None
    assert (latest.number, str(latest.dose)) == (4, "31.25 mCi/m2")
    cohort3 = next(c for c in trial.cohorts if c.number == 3)
    assert cohort3.status == "completed"
    [escalation] = trial.escalations
    assert (str(escalation.from_dose), str(escalation.to_dose)) == ("25 mCi/m2", "31.25 mCi/m2")
    assert escalation.percent == 25

    phase2 = next(g for g in doc.guidance if g.key == "CLR131|start|2")
    assert phase2.period is not None
    assert phase2.period.label == "2017-Q1"
    assert [m.direction for m in phase2.moves] == ["earlier"]
    cohort4 = next(g for g in doc.guidance if g.key.startswith("CLR131|cohort-4"))
    assert (cohort4.vs_guidance, str(cohort4.guided_when_achieved)) == ("ahead", "end of 2017-Q2")

    # The same state answers by drug, however it is spelled.
    assert [d.key for d in await status(event_log, "clr-131")] == ["CLRB"]
    assert [d.key for d in await status(event_log, "CLR 131")] == ["CLRB"]

    calendar = await upcoming(event_log, date(2017, 2, 22))
    assert [e.guidance.key for e in calendar][:1] == ["CLR131|start|2"]
    record = track_record(doc, date(2017, 2, 22))
    assert [g.key for g in record.ahead] == [cohort4.key]
