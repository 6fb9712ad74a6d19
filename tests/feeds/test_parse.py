"""Feed parsing: GlobeNewswire's shape, the fast path and feedparser's recovery agree."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.feeds.parse import _parse_with_feedparser, parse_feed, parse_time, release_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
SAMPLE = (FIXTURES / "globenewswire-2021-02-20-rebuilt.xml").read_bytes()


def test_a_real_globenewswire_feed_gives_its_items() -> None:
    parsed = parse_feed(SAMPLE)
    assert parsed.problem is None
    assert parsed.title == "GlobeNewswire - News from United States"
    assert [i.release_id for i in parsed.items] == [
        "2179148", "2179147", "2179136", "2179134", "2179133"
    ]  # fmt: skip
    ebix = parsed.items[2]
    assert ebix.company == "Ebix, Inc."
    assert ebix.tickers == ("Nasdaq:EBIX",)  # the ISIN category is not a ticker
    assert ebix.published_at == datetime(2021, 2, 20, 0, 5, tzinfo=UTC)  # no seconds in pubDate
    assert ebix.teaser.startswith("JOHNS CREEK, Ga., Feb. 19, 2021 (GLOBE NEWSWIRE) -- Ebix")
    assert ebix.url.endswith(
        "/2179136/0/en/Ebix-Shares-Strong-Business-Outlook-and-Discusses-Recent-Events.html"
    )
    assert parsed.items[0].tickers == ()  # a law firm has no ticker


def test_the_fast_path_and_feedparser_read_the_same_items() -> None:
    assert parse_feed(SAMPLE).items == _parse_with_feedparser(SAMPLE, {}, ()).items


def test_known_guids_are_skipped_without_being_read() -> None:
    everything = parse_feed(SAMPLE)
    known = {everything.items[0].guid, everything.items[1].guid}
    parsed = parse_feed(SAMPLE, skip=known)
    assert [i.release_id for i in parsed.items] == ["2179136", "2179134", "2179133"]
    assert set(parsed.known) == known


def test_a_broken_feed_goes_to_feedparser_and_says_why() -> None:
    truncated = SAMPLE[: len(SAMPLE) // 2]
    parsed = parse_feed(truncated, {"content-type": "application/rss+xml"})
    assert parsed.problem is not None
    assert 1 <= len(parsed.items) < 5
    assert parsed.items[0].release_id == "2179148"


def test_entities_are_never_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<rss><channel><item><guid>g</guid><title>&lol2;</title></item></channel></rss>"
    )
    parsed = parse_feed(bomb)
    assert all("lollollol" not in item.title for item in parsed.items)


def test_atom_feeds_are_read_too() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><title>GNW search</title>
      <entry><id>https://www.globenewswire.com/news-release/2024/05/02/2873000/0/en/x.html</id>
        <title>Fate reports first patient dosed</title>
        <link href="https://www.globenewswire.com/news-release/2024/05/02/2873000/0/en/x.html"/>
        <updated>2024-05-02T12:30:00Z</updated><author><name>Fate Therapeutics</name></author>
        <summary>SAN DIEGO -- Fate...</summary></entry></feed>"""
    [item] = parse_feed(atom).items
    assert (item.release_id, item.company) == ("2873000", "Fate Therapeutics")
    assert item.published_at == datetime(2024, 5, 2, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sat, 20 Feb 2021 15:53 GMT", datetime(2021, 2, 20, 15, 53, tzinfo=UTC)),
        ("Sat, 20 Feb 2021 10:53:07 -0500", datetime(2021, 2, 20, 15, 53, 7, tzinfo=UTC)),
        ("2021-02-20T15:53:00Z", datetime(2021, 2, 20, 15, 53, tzinfo=UTC)),
        ("yesterday-ish", None),
        ("", None),
    ],
)
def test_times_become_utc(value: str, expected: datetime | None) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    ("identifier", "url", "expected"),
    [
        ("2179136", "", "2179136"),
        ("", "http://www.globenewswire.com/news-release/2021/02/20/2179136/0/en/x.html", "2179136"),
        (
            "",
            "https://www.globenewswire.com/en/news-release/2022/05/04/2436070/24675/en/y.html",
            "2436070",
        ),
    ],
)
def test_release_ids_come_from_dc_identifier_or_the_url(
    identifier: str, url: str, expected: str
) -> None:
    assert release_id(identifier, url, url) == expected


def test_an_unknown_guid_gets_a_stable_digest() -> None:
    assert release_id("", "https://example.org/a", "tag:x") == release_id(
        "", "https://example.org/a", "tag:x"
    )
    assert release_id("", "", "tag:x").startswith("guid-")
