"""Sentence-level rules, one table per phenomenon.

Every case is written from the way releases phrase the news, with invented
companies and drugs, so the rules are tested on language, not on the corpus.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.extract.support import Key, keys

LEAD = "CAMBRIDGE, Mass., March 1, 2021 (GLOBE NEWSWIRE) -- Acme Bio, Inc. (Nasdaq: ACME) "


def case(id_: str, text: str, expected: set[Key], **kwargs: object) -> object:
    return pytest.param(text, expected, kwargs, id=id_)


def check(text: str, expected: set[Key], kwargs: dict[str, object]) -> None:
    assert keys(text, **kwargs) == expected


STARTS = [
    case(
        "trial initiated, announces the initiation",
        LEAD + "today announced the initiation of a Phase 2b clinical trial of AB-7701 in patients "
        "with moderate to severe atopic dermatitis.",
        {("TrialInitiated", "AB7701", "2b")},
    ),
    case(
        "trial initiated, has begun",
        LEAD
        + "today announced that it has begun enrolling patients in its pivotal Phase 3 trial of "
        "ZX-301 for generalized myasthenia gravis.",
        {("TrialInitiated", "ZX301", "3")},
    ),
    case(
        "trial initiated, now underway",
        LEAD
        + "today announced that its Phase I study of TRX-12 in healthy volunteers is now underway "
        "at two sites in Australia.",
        {("TrialInitiated", "TRX12", "1")},
    ),
    case(
        "trial initiated, open for enrollment",
        LEAD + "today announced that its Phase 1/2 clinical trial of Velorant™ in adults with "
        "sickle cell disease is open for patient enrollment.",
        {("TrialInitiated", "VELORANT", "1/2")},
    ),
    case(
        "first patient dosed",
        LEAD + "today announced that the first patient has been dosed in its Phase 2 trial of "
        "KT-4410 in patients with idiopathic pulmonary fibrosis.",
        {("FirstPatientDosed", "KT4410", "2")},
    ),
    case(
        "first patient dosed, headline grammar",
        "Acme Bio Announces First Patient Dosed in Phase 1b Study of ACM-22 in Solid Tumors",
        {("FirstPatientDosed", "ACM22", "1b")},
    ),
    case(
        "first patient in a new arm of an ongoing trial is a cohort",
        LEAD + "today announced that the first patient has been dosed in the dose expansion arm "
        "of its ongoing Phase 1/2 trial of ACM-22.",
        {("CohortInitiated", "ACM22", None)},
    ),
    case(
        "cohort initiated, ordinal",
        LEAD + "today announced the initiation of the third dose cohort in its Phase 1 trial of "
        "ACM-22, in which patients will receive 6 mg/kg.",
        {("CohortInitiated", "ACM22", 3)},
    ),
    case(
        "cohort initiated, numbered, passive",
        LEAD + "announced today that Cohort 5 of its Phase 1 study of BRX-19 has been initiated.",
        {("CohortInitiated", "BRX19", 5)},
    ),
    case(
        "a plan to start is not a start",
        LEAD
        + "today announced that it plans to initiate a Phase 2 trial of AB-7701 and expects to "
        "begin dosing after regulatory clearance.",
        set(),
    ),
    case(
        "not yet initiated",
        LEAD + "said the Phase 1 trial of AB-7701 has not yet been initiated.",
        set(),
    ),
    case(
        "a starting dose is not a start",
        LEAD + "said the study started at a 10 mg dose of AB-7701 and has treated four patients.",
        set(),
    ),
]


@pytest.mark.parametrize(("text", "expected", "kwargs"), STARTS)
def test_starts(text: str, expected: set[Key], kwargs: dict[str, object]) -> None:
    check(text, expected, kwargs)


TRIAL_NEWS = [
    case(
        "enrollment completed",
        LEAD + "today announced that it has completed enrollment in its Phase 3 RESOLVE trial of "
        "ZX-301 in generalized myasthenia gravis.",
        {("EnrollmentCompleted", "ZX301", "3")},
    ),
    case(
        "enrollment completed, passive",
        LEAD
        + "today announced that enrollment in the Phase 2a trial of KT-4410 has been completed, "
        "with 64 patients randomized.",
        {("EnrollmentCompleted", "KT4410", "2a")},
    ),
    case(
        "enrollment of approximately N patients is complete",
        LEAD + "today announced that it has completed enrollment of approximately 120 patients "
        "in the Phase 2 trial of KT-4410.",
        {("EnrollmentCompleted", "KT4410", "2")},
    ),
    case(
        "partial enrollment is status",
        LEAD + "said the Phase 3 trial of ZX-301 is now approximately 50 percent enrolled and "
        "enrollment is on track.",
        set(),
    ),
    case(
        "a cohort finishing enrollment is a cohort event",
        LEAD
        + "today announced that enrollment of the second cohort of its Phase 1 trial of BRX-19 "
        "is complete.",
        {("CohortEnrolled", "BRX19", 2)},
    ),
    case(
        "topline data reported",
        LEAD + "today announced positive topline results from its Phase 2b trial of AB-7701 in "
        "patients with atopic dermatitis.",
        {("DataReported", "AB7701", "2b")},
    ),
    case(
        "data presented",
        LEAD + "today presented new interim data from the ongoing Phase 1/2 study of Velorant™ at "
        "the annual meeting of the American Society of Hematology.",
        {("DataReported", "VELORANT", "1/2")},
    ),
    case(
        "financial results are not data",
        LEAD + "today reported financial results for the fourth quarter and full year 2020 and "
        "provided a corporate update on its Phase 2 program.",
        set(),
    ),
    case(
        "expecting to report data is guidance, not data",
        LEAD
        + "expects to report topline data from the Phase 2 trial of KT-4410 in the second half "
        "of 2021.",
        {("GuidanceIssued", "KT4410", "2021-H2")},
    ),
    case(
        "trial discontinued",
        LEAD + "today announced that it will discontinue the Phase 3 trial of ZX-301 following a "
        "futility analysis by the independent data monitoring committee.",
        {("TrialDiscontinued", "ZX301", "3")},
    ),
    case(
        "trial stopped for futility",
        LEAD + "announced that the data monitoring committee recommended that the Phase 2 study of "
        "KT-4410 be stopped due to futility.",
        {("TrialDiscontinued", "KT4410", "2")},
    ),
    case(
        "patients stopping a drug is not a trial stopped",
        LEAD + "noted that patients typically discontinue current treatment after six months.",
        set(),
    ),
]


@pytest.mark.parametrize(("text", "expected", "kwargs"), TRIAL_NEWS)
def test_trial_news(text: str, expected: set[Key], kwargs: dict[str, object]) -> None:
    check(text, expected, kwargs)


COHORTS_AND_DOSES = [
    case(
        "completion, escalation with stated percent",
        LEAD + "today announced the successful completion of the third cohort of its Phase 1 trial "
        "of RX-88. Patients in Cohort 4 will receive 0.5 mg/kg, a 25 percent increase over the "
        "0.4 mg/kg dose given in the third cohort.",
        {
            ("CohortCompleted", "RX88", 3),
            ("DoseEscalated", "RX88", "0.5 mg/kg"),
        },
    ),
    case(
        "decision to proceed to the next dose",
        LEAD + "said that all three patients treated with ACM-22 at 20 mg/m2 completed the safety "
        "evaluation and the study will now proceed to the next higher dose of 30 mg/m2.",
        {
            ("CohortCompleted", "ACM22", None),
            ("DoseEscalated", "ACM22", "30 mg/m2"),
        },
    ),
    case(
        "a lower next dose is not an escalation",
        LEAD
        + "after the 200 mg cohort, the company will explore additional cohorts beginning with "
        "a 100 mg dose of ACM-22.",
        set(),
    ),
    case(
        "dose declared safe by the safety committee",
        LEAD + "announced that the safety review committee determined that the second cohort dose "
        "of 3 mg/kg of ACM-22 was safe and well tolerated.",
        {("CohortCompleted", "ACM22", 2)},
    ),
    case(
        "a status summary of several levels is not a completion",
        LEAD + "said that four dose levels (1, 2, 4 and 8 mg/kg) of ACM-22 have been evaluated to "
        "date and all were deemed safe.",
        set(),
    ),
    case(
        "maximum tolerated dose established",
        LEAD + "today announced that the maximum tolerated dose of ACM-22 was determined to be "
        "8 mg/kg in its Phase 1 dose escalation study.",
        {("RecommendedDoseSet", "ACM22", "8 mg/kg")},
    ),
    case(
        "recommended phase 2 dose selected",
        LEAD + "has selected 400 mg once daily as the recommended Phase 2 dose of KT-4410.",
        {("RecommendedDoseSet", "KT4410", "400 mg")},
    ),
    case(
        "planning to find the RP2D is not setting it",
        LEAD + "said the Phase 1 portion is designed to determine the recommended Phase 2 dose of "
        "KT-4410.",
        set(),
    ),
]


@pytest.mark.parametrize(("text", "expected", "kwargs"), COHORTS_AND_DOSES)
def test_cohorts_and_doses(text: str, expected: set[Key], kwargs: dict[str, object]) -> None:
    check(text, expected, kwargs)


GUIDANCE = [
    case(
        "expects to initiate in a quarter",
        LEAD + "expects to initiate a Phase 2 trial of AB-7701 in the second quarter of 2021.",
        {("GuidanceIssued", "AB7701", "2021-Q2")},
    ),
    case(
        "by the end of a quarter",
        LEAD + "anticipates completing enrollment in the Phase 3 trial of ZX-301 by the end of the "
        "third quarter of 2021.",
        {("GuidanceIssued", "ZX301", "2021-Q3")},
    ),
    case(
        "as early as a half",
        LEAD + "said initial efficacy data from the KT-4410 program could come as early as the "
        "second half of 2021.",
        {("GuidanceIssued", "KT4410", "2021-H2")},
    ),
    case(
        "compact half and mid-year",
        LEAD + "plans to submit an NDA for ZX-301 in 1H22 and expects Phase 3 data in mid-2022.",
        {("GuidanceIssued", "ZX301", "2022-H1"), ("GuidanceIssued", "ZX301", "2022-mid")},
    ),
    case(
        "by year-end, resolved against the release date",
        LEAD + "expects to complete enrollment of the Phase 2 trial of KT-4410 by year-end.",
        {("GuidanceIssued", "KT4410", "2021-Q4")},
    ),
    case(
        "this quarter, next year",
        LEAD + "expects to dose the first patient in the Phase 1 study of TRX-12 this quarter and "
        "to report initial data next year.",
        {("GuidanceIssued", "TRX12", "2021-Q1"), ("GuidanceIssued", "TRX12", "2022")},
    ),
    case(
        "later this year",
        LEAD + "expects to start the Phase 2 portion of the trial of TRX-12 later this year.",
        {("GuidanceIssued", "TRX12", "2021")},
    ),
    case(
        "remains on track is guidance issued, not moved",
        LEAD + "said the Phase 3 trial of ZX-301 remains on track to report topline data in the "
        "fourth quarter of 2021.",
        {("GuidanceIssued", "ZX301", "2021-Q4")},
    ),
    case(
        "reaffirms guidance",
        LEAD + "reaffirms its guidance for BLA submission for ZX-301 in the first half of 2022.",
        {("GuidanceIssued", "ZX301", "2022-H1")},
    ),
    case(
        "PDUFA date",
        LEAD + "said the FDA assigned a PDUFA target action date of September 14, 2021 for ZX-301.",
        {("GuidanceIssued", "ZX301", "2021-09")},
    ),
    case(
        "cash runway is not a trial milestone",
        LEAD + "expects its cash to fund operations into the second half of 2023.",
        set(),
    ),
    case(
        "an undated plan is not guidance",
        LEAD + "intends to initiate a Phase 3 trial of ZX-301.",
        set(),
    ),
    case(
        "a truncated year is not guessed",
        LEAD + "expects topline data from the Phase 3 trial of ZX-301 in the second half of 2",
        set(),
    ),
]


@pytest.mark.parametrize(("text", "expected", "kwargs"), GUIDANCE)
def test_guidance(text: str, expected: set[Key], kwargs: dict[str, object]) -> None:
    check(text, expected, kwargs)


MOVES = [
    case(
        "brought forward",
        LEAD
        + "has brought forward guidance for the initiation of its Phase 2 trial of RX-88 to the "
        "second quarter of 2021.",
        {("GuidanceMoved", "RX88", "2021-Q2")},
    ),
    case(
        "later than previously announced",
        LEAD + "now expects to report topline data for ZX-301 in the fourth quarter of 2021, later "
        "than previously announced.",
        {("GuidanceMoved", "ZX301", "2021-Q4")},
    ),
    case(
        "rather than: direction from the two periods",
        LEAD + "now expects topline results from the Phase 2 trial of KT-4410 in the first half of "
        "2022, rather than the second half of 2021.",
        {("GuidanceMoved", "KT4410", "2022-H1")},
    ),
    case(
        "postponed",
        LEAD
        + "has postponed the expected readout of the Phase 3 trial of ZX-301 to the third quarter "
        "of 2021 because of slower site activation.",
        {("GuidanceMoved", "ZX301", "2021-Q3")},
    ),
    case(
        "delayed until",
        LEAD + "expects the pandemic to delay the start of the Phase 2 trial of TRX-12 until "
        "calendar Q4, 2021.",
        {("GuidanceMoved", "TRX12", "2021-Q4")},
    ),
    case(
        "a delay with no new date",
        LEAD + "anticipates a delay of several months in the submission of the IND for TRX-12, "
        "which it had previously expected in the second quarter of 2021.",
        {("GuidanceMoved", "TRX12", None)},
    ),
    case(
        "ahead of guidance, with the guided period",
        LEAD + "announced that enrollment of the Phase 2 trial of KT-4410 was completed well ahead "
        "of the company's guidance, which called for completion by the end of the second quarter "
        "of 2021.",
        {("EnrollmentCompleted", "KT4410", "2"), ("MilestoneAchieved", "KT4410", "ahead")},
    ),
    case(
        "faster than projected",
        LEAD
        + "said enrollment in its Phase 3 trial of ZX-301 was completed faster than projected.",
        {("EnrollmentCompleted", "ZX301", "3"), ("MilestoneAchieved", "ZX301", "ahead")},
    ),
    case(
        "on schedule",
        LEAD + "said the initiation of the Phase 1 study of TRX-12 delivered this milestone on "
        "schedule.",
        {("TrialInitiated", "TRX12", "1"), ("MilestoneAchieved", "TRX12", "on_time")},
    ),
]


@pytest.mark.parametrize(("text", "expected", "kwargs"), MOVES)
def test_moves(text: str, expected: set[Key], kwargs: dict[str, object]) -> None:
    check(text, expected, kwargs)


def test_guided_period_of_a_milestone_reached_ahead() -> None:
    from tests.extract.support import events

    found = events(
        LEAD + "today announced the initiation of the fourth cohort of its Phase 1 trial of RX-88, "
        "well ahead of guidance, which called for initiation at the end of the second quarter of "
        "2021."
    )
    achieved = [e for e in found if e.TYPE == "MilestoneAchieved"]
    assert [(e.vs_guidance, e.guided.label if e.guided else None) for e in achieved] == [  # type: ignore[attr-defined]
        ("ahead", "2021-Q2")
    ]
    assert not [e for e in found if e.TYPE == "GuidanceIssued"]


REGULATORY = [
    case(
        "designation granted",
        LEAD + "today announced that the U.S. Food and Drug Administration has granted Orphan Drug "
        "Designation to KT-4410 for the treatment of idiopathic pulmonary fibrosis.",
        {("RegulatoryDesignation", "KT4410", "orphan drug")},
    ),
    case(
        "fast track, headline",
        "Acme Bio Receives FDA Fast Track Designation for ZX-301 in Myasthenia Gravis",
        {("RegulatoryDesignation", "ZX301", "fast track")},
    ),
    case(
        "a designation only requested",
        LEAD + "has requested Breakthrough Therapy designation for ZX-301 and plans to apply for "
        "Priority Review.",
        set(),
    ),
    case(
        "IND cleared",
        LEAD + "today announced that the FDA has cleared its Investigational New Drug application "
        "for TRX-12, allowing the company to initiate a Phase 1 trial.",
        {("TrialCleared", "TRX12", "1")},
    ),
    case(
        "study may proceed",
        LEAD + "today announced that the FDA has notified the company that its Phase 2a study of "
        "TRX-12 may proceed.",
        {("TrialCleared", "TRX12", "2a")},
    ),
    case(
        "CTA approved",
        LEAD + "announced that Health Canada has approved the Clinical Trial Application for the "
        "Phase 1/2 trial of TRX-12.",
        {("TrialCleared", "TRX12", "1/2")},
    ),
    case(
        "awaiting clearance is not clearance",
        LEAD + "is awaiting clearance from the FDA to proceed with the Phase 1 trial of TRX-12.",
        set(),
    ),
    case(
        "clinical hold placed",
        LEAD + "today announced that the FDA has placed a clinical hold on the Phase 1 trial of "
        "BRX-19 after a serious adverse event.",
        {("ClinicalHold", "BRX19", "placed")},
    ),
    case(
        "clinical hold lifted",
        LEAD + "today announced that the FDA has lifted the partial clinical hold on its Phase 2 "
        "program for BRX-19.",
        {("ClinicalHold", "BRX19", "lifted")},
    ),
    case(
        "NDA submitted",
        LEAD + "today announced that it has submitted a New Drug Application to the FDA for ZX-301 "
        "in generalized myasthenia gravis.",
        {("RegulatoryFiling", "ZX301", "submitted")},
    ),
    case(
        "BLA accepted, with a PDUFA date",
        LEAD + "today announced that the FDA has accepted for review its Biologics License "
        "Application for AB-7701 and set a PDUFA goal date of November 20, 2021.",
        {("RegulatoryFiling", "AB7701", "accepted"), ("GuidanceIssued", "AB7701", "2021-11")},
    ),
    case(
        "a plan to submit is not a submission",
        LEAD + "plans to submit a Biologics License Application for AB-7701 in 2022.",
        {("GuidanceIssued", "AB7701", "2022")},
    ),
    case(
        "an IND is not a marketing application",
        LEAD + "today announced that it has submitted an Investigational New Drug application for "
        "TRX-12.",
        set(),
    ),
]


@pytest.mark.parametrize(("text", "expected", "kwargs"), REGULATORY)
def test_regulatory(text: str, expected: set[Key], kwargs: dict[str, object]) -> None:
    check(text, expected, kwargs)


NEGATIVES = [
    case(
        "forward-looking statements",
        LEAD + "today announced a corporate update.\n\nForward-Looking Statements\n\nThis press "
        "release contains forward-looking statements, including statements about the timing of "
        "the initiation of the Phase 3 trial of ZX-301 in the second half of 2021 and the "
        "submission of an NDA in 2022. The FDA may place a clinical hold on our trials.",
        set(),
    ),
    case(
        "About section restating old facts",
        LEAD + "today announced a new board member.\n\nAbout ZX-301\n\nZX-301 has been granted "
        "Orphan Drug designation by the FDA. The company completed enrollment in the Phase 2 "
        "trial of ZX-301 in 2019 and reported positive topline results.",
        set(),
    ),
    case(
        "a bank's quarter",
        "SPRINGFIELD, Ill., Jan. 20, 2021 (GLOBE NEWSWIRE) -- First Community Bank (Nasdaq: FCB) "
        "reported net income of $4.2 million for the fourth quarter of 2020 and expects loan "
        "growth in the first half of 2021.",
        set(),
    ),
    case(
        "a law firm quoting another company's guidance change",
        "NEW YORK, March 1, 2021 (GLOBE NEWSWIRE) -- Smith & Partners LLP reminds investors of the "
        "lead plaintiff deadline in the securities class action against Acme Bio, Inc. During the "
        "Class Period, Acme said it expected to submit a BLA for AB-7701 in the first quarter of "
        "2021, but on January 5, 2021 it disclosed the submission was delayed.",
        set(),
    ),
    case(
        "an offering",
        LEAD
        + "today announced the pricing of an underwritten public offering of 5,000,000 shares; "
        "the offering is expected to close on or about March 4, 2021. Acme is developing ZX-301 "
        "in a Phase 3 trial.",
        set(),
    ),
]


@pytest.mark.parametrize(("text", "expected", "kwargs"), NEGATIVES)
def test_negatives(text: str, expected: set[Key], kwargs: dict[str, object]) -> None:
    check(text, expected, kwargs)


def test_period_needs_the_release_date_when_relative() -> None:
    text = (
        LEAD + "expects to report topline data from the Phase 2 trial of KT-4410 later this year."
    )
    assert keys(text, published=None) == set()
    assert keys(text, published=date(2022, 6, 1)) == {("GuidanceIssued", "KT4410", "2022")}


# More phrasings, written without looking at the rules' tables (a company, its drugs,
# one release date each).
NUVEX = "SAN DIEGO, June 15, 2022 (GLOBE NEWSWIRE) -- Nuvex Therapeutics, Inc. (Nasdaq: NUVX) "
HELIX = "BOSTON, May 10, 2022 (GLOBE NEWSWIRE) -- Helix Bio, Inc. (Nasdaq: HLXB) "

MORE_PHRASINGS = [
    (
        NUVEX + "today announced that the first participant has been dosed in the Phase 1 "
        "clinical trial evaluating NVX-102, an oral inhibitor of TYK2, in healthy "
        "volunteers.",
        {("FirstPatientDosed", "NVX102", "1")},
    ),
    (
        NUVEX + "today announced dosing of the first patient in its global Phase 3 ASPIRE study "
        "of tarlomab in patients with lupus nephritis.",
        {("FirstPatientDosed", "TARLOMAB", "3")},
    ),
    (
        NUVEX + "announced today the completion of enrollment in CLARITY, its Phase 2b trial of "
        "NVX-102 in psoriasis. Topline data are expected in the first quarter of 2023.",
        {("EnrollmentCompleted", "NVX102", "2b"), ("GuidanceIssued", "NVX102", "2023-Q1")},
    ),
    (
        NUVEX + "today announced that the last patient has been enrolled in the Phase 3 trial of "
        "NVX-102.",
        {("EnrollmentCompleted", "NVX102", "3")},
    ),
    (
        NUVEX + "today reported positive topline data from the Phase 2 ELEVATE trial of NVX-102, "
        "which met its primary endpoint.",
        {("DataReported", "NVX102", "2")},
    ),
    (
        NUVEX + "announced that the Phase 3 trial of NVX-102 met its primary endpoint, "
        "demonstrating a statistically significant reduction in PASI scores.",
        {("DataReported", "NVX102", "3")},
    ),
    (
        NUVEX + "today announced that the U.S. FDA has approved its New Drug Application for "
        "NVX-102 for the treatment of moderate-to-severe plaque psoriasis.",
        {("RegulatoryFiling", "NVX102", "approved")},
    ),
    (
        NUVEX + "today announced that the FDA has issued a complete response letter regarding "
        "the NDA for NVX-102.",
        {("RegulatoryFiling", "NVX102", "rejected")},
    ),
    (
        NUVEX + "today announced that the European Medicines Agency has validated its Marketing "
        "Authorization Application for tarlomab.",
        {("RegulatoryFiling", "TARLOMAB", "accepted")},
    ),
    (
        NUVEX + "today announced that the FDA has granted Breakthrough Therapy designation to "
        "tarlomab for the treatment of lupus nephritis.",
        {("RegulatoryDesignation", "TARLOMAB", "breakthrough therapy")},
    ),
    (
        NUVEX + "today announced that the European Commission has granted orphan designation to "
        "NVX-102 for the treatment of Duchenne muscular dystrophy.",
        {("RegulatoryDesignation", "NVX102", "orphan drug")},
    ),
    (
        NUVEX + "today announced that the FDA has granted Rare Pediatric Disease Designation for "
        "NVX-102.",
        {("RegulatoryDesignation", "NVX102", "rare pediatric disease")},
    ),
    (
        NUVEX + "today announced that the FDA has cleared the IND for NVX-205, enabling the "
        "company to begin a Phase 1 trial in the third quarter of 2022.",
        {("TrialCleared", "NVX205", "1"), ("GuidanceIssued", "NVX205", "2022-Q3")},
    ),
    (
        NUVEX + "today announced it has decided to discontinue development of NVX-310 following "
        "a portfolio review.",
        {("TrialDiscontinued", "NVX310", None)},
    ),
    (
        NUVEX + "today announced that it has terminated the Phase 2 study of NVX-310 due to lack "
        "of efficacy.",
        {("TrialDiscontinued", "NVX310", "2")},
    ),
    (
        NUVEX + "now expects to initiate the Phase 3 program for NVX-102 in the first quarter of "
        "2023, compared to prior guidance of the fourth quarter of 2022.",
        {("GuidanceMoved", "NVX102", "2023-Q1")},
    ),
    (
        NUVEX + "expects to report 52-week data from the trial in early 2023 and to submit a BLA "
        "for tarlomab in the second half of 2023.",
        {("GuidanceIssued", "TARLOMAB", "2023-early"), ("GuidanceIssued", "TARLOMAB", "2023-H2")},
    ),
    (
        NUVEX + "Topline data from the ASPIRE trial of tarlomab are now expected in the first "
        "half of 2023, delayed from the fourth quarter of 2022 due to slower than "
        "anticipated enrollment.",
        {("GuidanceMoved", "TARLOMAB", "2023-H1")},
    ),
    (
        NUVEX + "said enrollment in the Phase 2 trial of NVX-102 was completed ahead of schedule.",
        {("EnrollmentCompleted", "NVX102", "2"), ("MilestoneAchieved", "NVX102", "ahead")},
    ),
    (
        NUVEX + "today announced that the Safety Review Committee has cleared escalation to the "
        "30 mg dose level in the Phase 1 trial of NVX-205 after no dose-limiting "
        "toxicities were observed at 10 mg.",
        {("DoseEscalated", "NVX205", "30 mg"), ("CohortCompleted", "NVX205", None)},
    ),
    (
        NUVEX + "today announced that the Data Safety Monitoring Board has recommended that the "
        "trial of NVX-205 proceed to the third dose cohort.",
        {("CohortCompleted", "NVX205", 2)},
    ),
    (
        NUVEX + "announced the FDA has placed the Phase 1 trial of NVX-205 on clinical hold "
        "pending additional CMC information.",
        {("ClinicalHold", "NVX205", "placed")},
    ),
    (
        NUVEX + "today announced that the FDA has removed the clinical hold on NVX-205.",
        {("ClinicalHold", "NVX205", "lifted")},
    ),
    (
        NUVEX + "announced that the maximum tolerated dose has not been reached in the Phase 1 "
        "trial of NVX-205.",
        set(),
    ),
    (
        NUVEX + "The company will host a conference call on June 16, 2022 at 8:00 a.m. ET to "
        "discuss the data.",
        set(),
    ),
    (
        NUVEX + "expects to present additional data from the Phase 1 trial of NVX-205 at a "
        "medical meeting in the fourth quarter of 2022.",
        {("GuidanceIssued", "NVX205", "2022-Q4")},
    ),
    (
        NUVEX + "announced that enrollment of the fourth cohort (3 mg/kg) in the Phase 1 trial "
        "of NVX-205 is complete.",
        {("CohortEnrolled", "NVX205", 4)},
    ),
    (
        NUVEX + "today announced the initiation of dosing in the 60 mg cohort of its Phase 1 "
        "trial of NVX-205.",
        {("CohortInitiated", "NVX205", None)},
    ),
]


@pytest.mark.parametrize(("text", "expected"), MORE_PHRASINGS)
def test_more_phrasings(text: str, expected: set[Key]) -> None:
    assert keys(text, published=date(2022, 6, 15), company="Nuvex Therapeutics, Inc.") == expected


TRAPS = [
    (
        HELIX + "today reported financial results for the first quarter ended March 31, 2022. "
        "Net loss for the first quarter of 2022 was $20.1 million, compared to $15.3 "
        "million for the first quarter of 2021. Research and development expenses were "
        "$15.2 million.",
        set(),
    ),
    (
        HELIX + "today reported first quarter 2022 financial results. In 2021, the company "
        "completed enrollment in its Phase 3 trial of HLX-401 and reported positive "
        "topline data.",
        set(),
    ),
    (
        HELIX + "expects that its cash, cash equivalents and marketable securities will be "
        "sufficient to fund operations into the second half of 2024.",
        set(),
    ),
    (
        HELIX + 'Dr. Jane Smith, Chief Medical Officer, said: "We believe HLX-401 could become a '
        'best-in-class therapy if approved."',
        set(),
    ),
    (
        HELIX + "today announced a new collaboration.\n\nHLX-401 has received Fast Track "
        "designation from the FDA for the treatment of NASH.",
        set(),
    ),
    (
        HELIX + "today announced the appointment of John Doe as Chief Financial Officer. Mr. Doe "
        "has led multiple BLA submissions and previously served at a company that "
        "initiated three Phase 3 trials.",
        set(),
    ),
    (
        HELIX + "announced that it will present new data from its Phase 2 trial of HLX-401 at "
        "the EASL Congress in June 2022.",
        {("GuidanceIssued", "HLX401", "2022-06")},
    ),
    (
        HELIX + "today announced that it has entered into a license agreement with BigPharma for "
        "HLX-401. Under the agreement, BigPharma will be responsible for the Phase 3 "
        "trial, which is expected to begin in 2023.",
        {("GuidanceIssued", "HLX401", "2023")},
    ),
    (
        HELIX + "said there can be no assurance that the FDA will not place a clinical hold on "
        "the trial of HLX-401.",
        set(),
    ),
    (
        HELIX + "today announced that the Phase 2 trial of HLX-401 did not meet its primary "
        "endpoint. The company will discontinue development of HLX-401 in NASH.",
        {("DataReported", "HLX401", "2"), ("TrialDiscontinued", "HLX401", None)},
    ),
    (
        HELIX
        + "announced that the first patient has been screened in the Phase 2 trial of HLX-502.",
        set(),
    ),
    (
        HELIX + "The Phase 2 trial of HLX-502 is designed to enroll approximately 120 patients "
        "with primary biliary cholangitis at 40 sites.",
        set(),
    ),
    (
        HELIX + "Helix expects to initiate a Phase 1 trial of HLX-610 in healthy volunteers, "
        "subject to IND clearance, in the fourth quarter of 2022.",
        {("GuidanceIssued", "HLX610", "2022-Q4")},
    ),
    (HELIX + "The trial is expected to read out in 2023.", {("GuidanceIssued", None, "2023")}),
    (
        HELIX
        + "#HLXB $HLXB Helix Bio to Present at Jefferies Healthcare Conference on June 8, 2022.",
        set(),
    ),
    (
        HELIX + "today announced the closing of its previously announced acquisition of Genexa, "
        "Inc., which is developing GX-11 in a Phase 1 trial expected to complete "
        "enrollment in 2023.",
        {("GuidanceIssued", "GX11", "2023")},
    ),
    (
        HELIX + "announced that the FDA has approved Zelvara (helimab) for the treatment of "
        "adults with primary biliary cholangitis.",
        set(),
    ),
]


@pytest.mark.parametrize(("text", "expected"), TRAPS)
def test_traps(text: str, expected: set[Key]) -> None:
    assert keys(text, published=date(2022, 5, 10), company="Helix Bio, Inc.") == expected
