"""Release pages: the article's text and facts, none of the page's furniture."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.releases.page import parse_release_page, tickers_in
from bot.standins.gnw import StandInRelease, render_page

CURRENT_LAYOUT = render_page(
    StandInRelease(
        release_id="1",
        title="Cellectar Initiates Fourth Cohort",
        published_at=datetime(2017, 2, 22, 13, 0, tzinfo=UTC),
        company="Cellectar Biosciences, Inc.",
        tickers=("Nasdaq:CLRB",),
        text=(
            "MADISON, Wis., Feb. 22, 2017 (GLOBE NEWSWIRE) -- Cellectar Biosciences, Inc. "
            "(Nasdaq: CLRB), an oncology company, today announces <b>news</b>.\n\nSecond paragraph."
        ),
    )
)


def test_the_current_layout() -> None:
    page = parse_release_page(CURRENT_LAYOUT)
    assert page.title == "Cellectar Initiates Fourth Cohort"
    assert page.published_at == datetime(2017, 2, 22, 13, 0, tzinfo=UTC)
    assert page.company == "Cellectar Biosciences, Inc."
    assert page.tickers == ("Nasdaq:CLRB",)
    assert page.text.split("\n\n") == [
        "MADISON, Wis., Feb. 22, 2017 (GLOBE NEWSWIRE) -- Cellectar Biosciences, Inc. "
        "(Nasdaq: CLRB), an oncology company, today announces <b>news</b>.",
        "Second paragraph.",
    ]
    assert "Newsroom" not in page.text  # navigation
    assert "dataLayer" not in page.text  # scripts
    assert "GlobeNewswire, Inc." not in page.text  # footer


def test_the_older_layout_and_inline_markup() -> None:
    html = (
        "<html><body><h1 class=article-headline>Old Headline</h1><span class=article-body>"
        "<p>NEW YORK (GLOBE NEWSWIRE) -- Acme Bio, Inc. (NYSE: ACME) doses <b>first</b> patient."
        "<br>Next line.</p><table><tr><td>Revenue</td><td>$1.0</td></tr></table></span></body></html>"
    )
    page = parse_release_page(html)
    assert page.title == "Old Headline"
    assert page.text == (  # a <br> is a line break the page means; source newlines are not
        "NEW YORK (GLOBE NEWSWIRE) -- Acme Bio, Inc. (NYSE: ACME) doses first patient.\nNext line."
        "\n\nRevenue  $1.0"
    )
    assert page.tickers == ("NYSE:ACME",)


def test_json_ld_when_there_is_no_known_container() -> None:
    html = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
        '"headline": "LD Headline", "datePublished": "2020-04-09T08:00:00-04:00", '
        '"articleBody": "First.\\n\\nSecond."}</script></head><body><div>menu</div></body></html>'
    )
    page = parse_release_page(html)
    assert (page.title, page.text) == ("LD Headline", "First.\n\nSecond.")
    assert page.published_at == datetime(2020, 4, 9, 12, 0, tzinfo=UTC)


def test_tickers_in_datelines() -> None:
    assert tickers_in("(NASDAQ: SELB)") == ("Nasdaq:SELB",)
    assert tickers_in("(Nasdaq:CLRB) ... (Nasdaq: CLRB)") == ("Nasdaq:CLRB",)
    assert tickers_in("(TSX: ABC; NYSE American: XYZ)") == ("TSX:ABC", "NYSE American:XYZ")
    assert tickers_in("no tickers here") == ()
