"""Alert texts: the fact in one line, escaping every release-derived text, Block Kit limits."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.events.trial import (
    ClinicalHold,
    CohortInitiated,
    DataReported,
    Dose,
    DoseEscalated,
    Evidence,
    GuidanceIssued,
    GuidanceMoved,
    MilestoneAchieved,
    Period,
    RegulatoryDesignation,
    TrialEvent,
)
from bot.slack import messages
from bot.slack.messages import AlertItem, ReleaseHeader
from bot.slack.mrkdwn import (
    MAX_BLOCKS,
    MESSAGE_LIMIT,
    SECTION_LIMIT,
    block_chars,
    clip,
    escape,
    link,
    to_console,
)
from bot.standins.slack import check_blocks

HOSTILE = [
    "<!channel> buy now",
    "<!here|here> & <!everyone>",
    "ping <@U123> and <#C999|general>",
    "<https://evil.example|bank.example>",
    "<!subteam^S123|@team>",
    "a & b > c < d",
    "&lt;!channel&gt; already escaped",
    "zero\u200bwidth <\u200b!channel>",
    "new\n>quote\n*bold*",
]


def ev(sentence: str = "The sentence that says so.") -> Evidence:
    return Evidence(sentence=sentence, start=0, end=len(sentence))


def header(**changes: object) -> ReleaseHeader:
    base: dict[str, object] = {
        "release_id": "1",
        "title": "Cellectar initiates fourth cohort",
        "url": "https://www.globenewswire.com/news-release/2017/02/22/1.html",
        "company": "Cellectar Biosciences, Inc.",
        "tickers": ("Nasdaq:CLRB",),
        "published": date(2017, 2, 22),
    }
    base.update(changes)
    return ReleaseHeader(**base)  # type: ignore[arg-type]


def cohort4(sentence: str = "Cohort 4 will receive 31.25 mCi/m2.") -> list[TrialEvent]:
    return [
        CohortInitiated(
            drug="CLR 131",
            evidence=ev(sentence),
            extractor_version="t",
            phase="1",
            cohort=4,
            dose=Dose(value=31.25, unit="mCi/m2"),
            indication="multiple myeloma",
        ),
        DoseEscalated(
            drug="CLR 131",
            evidence=ev("a 25 percent increase in the 25 mCi/m2 dose"),
            extractor_version="t",
            cohort=4,
            from_dose=Dose(value=25, unit="mCi/m2"),
            to_dose=Dose(value=31.25, unit="mCi/m2"),
            percent=25,
        ),
    ]


def moved() -> GuidanceMoved:
    return GuidanceMoved(
        drug="CLR 131",
        evidence=ev("brought forward guidance for the Phase II trial to the first quarter"),
        extractor_version="t",
        milestone="Phase II initiation",
        previous=Period(label="2017-Q2"),
        period=Period(label="2017-Q1"),
        direction="earlier",
    )


def texts(message: messages.Message) -> list[str]:
    out = [message.text]
    for block in message.blocks:
        if block["type"] == "section":
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out += [e["text"] for e in block["elements"]]
    return out


# Our links are the only ``<`` allowed: ``<http(s)://…|``, and nothing else starts with ``<``.
_OUR_LINK = re.compile(r"<https?://[^\s<>|]+\|[^<>]*>")


def assert_inert(message: messages.Message) -> None:
    for text in texts(message):
        rest = _OUR_LINK.sub("", text)
        assert "<" not in rest, text
        assert ">" not in rest.replace("\n>", "\n"), text
        assert not re.search(r"&(?!amp;|lt;|gt;)", rest), text


def test_the_seed_facts_read_as_an_investor_says_them() -> None:
    [cohort, step] = cohort4()
    assert isinstance(step, DoseEscalated)
    assert messages.fact(cohort, step) == "Cohort 4 initiated at 31.25 mCi/m² · +25 % vs cohort 3"
    assert messages.fact(moved()) == "Phase 2 start moved earlier: Q2 → Q1 2017"
    achieved = MilestoneAchieved(
        drug="CLR 131",
        evidence=ev(),
        extractor_version="t",
        milestone="Cohort 4 initiation",
        vs_guidance="ahead",
        guided=Period(label="2017-Q2", qualifier="end of"),
    )
    assert (
        messages.fact(achieved)
        == "Cohort 4 start reached ahead of guidance (guided end of Q2 2017)"
    )


@pytest.mark.parametrize(
    ("event", "line"),
    [
        (
            GuidanceIssued(
                drug="X",
                evidence=ev(),
                extractor_version="t",
                milestone="topline data",
                period=Period(label="2018-H2"),
            ),
            "Topline data expected in H2 2018",
        ),
        (
            GuidanceMoved(
                drug="X",
                evidence=ev(),
                extractor_version="t",
                milestone="NDA submission",
                previous=Period(label="2018-12"),
                period=Period(label="2019-Q2"),
                direction="later",
            ),
            "NDA submission moved later: December 2018 → Q2 2019",
        ),
        (
            ClinicalHold(
                drug="X", evidence=ev(), extractor_version="t", action="placed", authority="FDA"
            ),
            "Clinical hold placed by FDA",
        ),
        (
            DataReported(drug="X", evidence=ev(), extractor_version="t", phase="2", kind="topline"),
            "Topline Phase 2 data reported",
        ),
        (
            RegulatoryDesignation(
                drug="X",
                evidence=ev(),
                extractor_version="t",
                designation="orphan drug",
                agency="FDA",
            ),
            "Orphan drug designation granted by FDA",
        ),
    ],
)
def test_each_kind_of_fact_has_its_line(event: TrialEvent, line: str) -> None:
    assert messages.fact(event) == line


def test_an_alert_is_company_then_release_link_then_facts_with_quote() -> None:
    items = [AlertItem(event=e) for e in [*cohort4(), moved()]]
    message = messages.alert(header(), items)
    blocks = message.blocks
    assert blocks[0]["text"]["text"] == "*Cellectar Biosciences, Inc.* (Nasdaq:CLRB)"
    assert blocks[1]["elements"][0]["text"] == (
        "22 Feb 2017 · <https://www.globenewswire.com/news-release/2017/02/22/1.html"
        "|Cellectar initiates fourth cohort>"
    )
    first = blocks[2]["text"]["text"]
    assert first == (
        "*Cohort 4 initiated at 31.25 mCi/m² · +25 % vs cohort 3*\n"
        "_CLR 131 · Phase 1 · multiple myeloma_\n"
        ">Cohort 4 will receive 31.25 mCi/m2."
    )
    # The escalation is said in the cohort's line, not again on its own.
    assert len(blocks) == 4
    assert blocks[3]["text"]["text"].startswith(
        "*Phase 2 start moved earlier: Q2 → Q1 2017*\n_CLR 131_"
    )
    assert message.text == (
        "Cellectar Biosciences, Inc.: Cohort 4 initiated at 31.25 mCi/m² · +25 % vs cohort 3 "
        "(and 1 more)"
    )
    assert check_blocks(blocks) is None


def test_an_inferred_fact_says_so() -> None:
    message = messages.alert(header(), [AlertItem(event=moved(), inferred=True)])
    assert "inferred by trialwire from the company's earlier guidance" in json.dumps(
        message.blocks, ensure_ascii=False
    )


@pytest.mark.parametrize("hostile", HOSTILE)
def test_release_text_can_mention_nobody_and_forge_no_link(hostile: str) -> None:
    events = cohort4(sentence=hostile)
    event = GuidanceIssued(
        drug=hostile,
        evidence=ev(hostile),
        extractor_version="t",
        milestone=hostile,
        period=Period(label="2018"),
    )
    message = messages.alert(
        header(
            title=hostile, company=hostile, tickers=(hostile,), url=f"https://x.example/{hostile}"
        ),
        [AlertItem(event=e) for e in [*events, event]],
    )
    assert_inert(message)
    shown = escape(" ".join(hostile.split()))
    assert any(shown in text for text in texts(message))  # shown, as written, never acted on


def test_escaping_covers_the_three_characters_and_nothing_else() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape("naïve 25 % → *x*") == "naïve 25 % → *x*"


def test_a_url_cannot_end_its_link_early_or_smuggle_a_mention() -> None:
    made = link("https://evil.example/a|<!channel>&b", "label")
    assert made == "<https://evil.example/a%7C%3C!channel%3E&amp;b|label>"
    assert link("javascript:alert(1)", "label") == "label"
    assert link("https://ok.example/a b", "label") == "label"


def test_clipping_never_cuts_an_entity_in_half() -> None:
    text = escape("x" * 10 + "<" * 10)
    for limit in range(5, len(text)):
        clipped = clip(text, limit)
        assert len(clipped) <= limit
        assert not re.search(r"&(?!amp;|lt;|gt;)", clipped), clipped


def test_a_huge_release_is_clipped_to_block_kit_limits() -> None:
    sentence = "The trial " + "&<> very long sentence " * 2000
    events: list[TrialEvent] = [
        GuidanceIssued(
            drug=f"DRUG-{n}",
            evidence=ev(sentence),
            extractor_version="t",
            milestone=f"milestone {n} " + "y" * 1000,
            period=Period(label="2018"),
        )
        for n in range(200)
    ]
    message = messages.alert(
        header(title="T" * 5000, company="C" * 5000), [AlertItem(event=e) for e in events]
    )
    blocks = message.blocks
    assert len(blocks) <= MAX_BLOCKS
    assert all(block_chars(b) <= SECTION_LIMIT for b in blocks)
    assert sum(block_chars(b) for b in blocks) <= MESSAGE_LIMIT
    assert len(message.text) <= 3000
    assert "more in <https://" in blocks[-1]["elements"][0]["text"]
    assert check_blocks(blocks) is None
    assert_inert(message)


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=400), st.text(min_size=1, max_size=4000))
def test_any_text_stays_inert_and_within_limits(name: str, sentence: str) -> None:
    events = [
        GuidanceIssued(
            drug=name or None,
            evidence=ev(sentence),
            extractor_version="t",
            milestone=sentence,
            period=Period(label="2018-Q1"),
        )
        for _ in range(3)
    ]
    message = messages.alert(
        header(title=sentence, company=name, url=sentence), [AlertItem(event=e) for e in events]
    )
    assert_inert(message)
    assert check_blocks(message.blocks) is None


def test_the_console_shows_the_same_layout_in_plain_text() -> None:
    message = messages.alert(header(title="A & B <x>"), [AlertItem(event=e) for e in cohort4()])
    shown = to_console(message.blocks)
    assert shown.splitlines()[:3] == [
        "*Cellectar Biosciences, Inc.* (Nasdaq:CLRB)",
        "  22 Feb 2017 · A & B <x> (https://www.globenewswire.com/news-release/2017/02/22/1.html)",
        "*Cohort 4 initiated at 31.25 mCi/m² · +25 % vs cohort 3*",
    ]
