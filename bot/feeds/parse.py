"""Feed bytes → FeedItems: a fast strict path, and feedparser for odd or broken feeds.

Parsing, not the network, is what costs when polling many feeds. A
well-formed RSS or Atom document is read with one lxml pass (entities are
never resolved, nothing is fetched); anything lxml refuses goes to
``feedparser.parse(bytes, response_headers=…)``, which recovers what it can
and says why (``bozo``). Item fields follow GlobeNewswire: the release id in
``dc:identifier`` (or the URL), the issuer in ``dc:contributor``, tickers in a
``category`` whose domain ends in ``/rss/stock``. Namespaces are matched by
local name, since the Dublin Core URI GlobeNewswire uses is uncertain.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
from lxml import etree

from bot.feeds.model import FeedItem

_RELEASE_ID_IN_URL = re.compile(r"/news-release/\d{4}/\d{2}/\d{2}/(\d+)/")
_TAG = re.compile(r"<[^>]*>")
# A teaser only stands in for a page that never came; its start is what matters.
TEASER_CHARS = 1000
_XML = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ParsedFeed:
    items: list[FeedItem]
    # GUIDs of items skipped because the caller already knew them.
    known: list[str] = field(default_factory=list)
    title: str = ""
    # Why the feed was not well-formed (feedparser's bozo exception), if it was not.
    problem: str | None = None


def parse_feed(
    body: bytes, headers: Mapping[str, str] | None = None, *, skip: Collection[str] = ()
) -> ParsedFeed:
    """Items in document order, but those whose GUID is in ``skip`` (only listed in ``known``).

    A feed that could not be read cleanly says why in ``problem``.
    """
    try:
        root = etree.fromstring(body, parser=_XML)
    except (etree.XMLSyntaxError, ValueError):
        return _parse_with_feedparser(body, headers or {}, skip)
    entries = _entries(root)
    if entries is None:
        return _parse_with_feedparser(body, headers or {}, skip)
    items, known = [], []
    read = _rss_item if _local(root.tag) != "feed" else _atom_entry
    for entry in entries:
        guid = _guid_of(entry)
        if guid and guid in skip:
            known.append(guid)
        elif (item := read(entry)) is not None:
            items.append(item)
    title_node = _first(root, "channel", "title")
    title = _text(title_node if title_node is not None else _first(root, "title"))
    return ParsedFeed(items=items, known=known, title=title)


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _first(node: etree._Element, *path: str) -> etree._Element | None:
    current: etree._Element | None = node
    for name in path:
        if current is None:
            return None
        current = next((child for child in current if _local(child.tag) == name), None)
    return current


def _text(node: etree._Element | None) -> str:
    return "" if node is None else "".join(str(t) for t in node.itertext()).strip()


def _entries(root: etree._Element) -> list[etree._Element] | None:
    """The item elements; None when the document is XML but not a feed we know."""
    kind = _local(root.tag)
    if kind in ("rss", "RDF"):
        return list(root.iter("{*}item"))
    if kind == "feed":
        return [el for el in root if _local(el.tag) == "entry"]
    return None


def _guid_of(entry: etree._Element) -> str:
    """The GUID (RSS) or id (Atom), falling back to the link, read without building the item."""
    link = ""
    for child in entry:
        name = _local(child.tag)
        if name in ("guid", "id"):
            return (child.text or "").strip()
        if name == "link" and not link:
            link = (child.text or child.get("href") or "").strip()
    return link


_RSS_FIELDS = frozenset(
    {
        "guid",
        "link",
        "title",
        "description",
        "pubDate",
        "date",
        "identifier",
        "contributor",
        "creator",
    }
)


def _rss_item(el: etree._Element) -> FeedItem | None:
    fields: dict[str, str] = {}
    tickers: list[str] = []
    for child in el:
        name = _local(child.tag)
        if name == "category":
            domain = child.get("domain") or ""
            if domain.rstrip("/").endswith("/rss/stock") and (text := (child.text or "").strip()):
                tickers.append(text)
        elif name in _RSS_FIELDS and name not in fields:
            fields[name] = (child.text or "").strip() if len(child) == 0 else _text(child)
    link = fields.get("link", "")
    guid = fields.get("guid") or link
    return _item(
        guid=guid,
        link=link or guid,
        identifier=fields.get("identifier", ""),
        title=fields.get("title", ""),
        published=fields.get("pubDate") or fields.get("date", ""),
        company=fields.get("contributor") or fields.get("creator", ""),
        tickers=tickers,
        teaser=fields.get("description", ""),
    )


def _atom_entry(el: etree._Element) -> FeedItem | None:
    fields: dict[str, str] = {}
    link = ""
    tickers: list[str] = []
    for child in el:
        name = _local(child.tag)
        if name == "link" and (child.get("rel") in (None, "alternate")) and not link:
            link = child.get("href") or ""
        elif name == "category":
            scheme = child.get("scheme") or ""
            if scheme.rstrip("/").endswith("/rss/stock") and (term := child.get("term")):
                tickers.append(term)
        elif name == "author":
            fields.setdefault("author", _text(_first(child, "name")))
        elif name not in fields:
            fields[name] = _text(child)
    guid = fields.get("id") or link
    return _item(
        guid=guid,
        link=link or guid,
        identifier=fields.get("identifier", ""),
        title=fields.get("title", ""),
        published=fields.get("published") or fields.get("updated", ""),
        company=fields.get("contributor") or fields.get("author", ""),
        tickers=tickers,
        teaser=fields.get("summary") or fields.get("content", ""),
    )


def _item(
    *,
    guid: str,
    link: str,
    identifier: str,
    title: str,
    published: str,
    company: str,
    tickers: Iterable[str],
    teaser: str,
) -> FeedItem | None:
    if not (guid or link):
        return None
    return FeedItem(
        release_id=release_id(identifier, link, guid),
        guid=guid,
        url=link,
        title=" ".join(title.split()),
        published_at=parse_time(published),
        company=" ".join(company.split()),
        tickers=tuple(dict.fromkeys(" ".join(t.split()) for t in tickers)),
        teaser=html_to_text(teaser)[:TEASER_CHARS],
    )


def release_id(identifier: str, url: str, guid: str) -> str:
    """GlobeNewswire's release id: dc:identifier, else the number in the URL, else a digest."""
    identifier = identifier.strip()
    if identifier.isdigit():
        return identifier
    for candidate in (url, guid):
        if match := _RELEASE_ID_IN_URL.search(candidate):
            return match[1]
    return "guid-" + hashlib.sha1((guid or url).encode()).hexdigest()[:16]


def parse_time(value: str) -> datetime | None:
    """RFC 822 (with or without seconds) or ISO 8601; always timezone-aware UTC."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def html_to_text(fragment: str) -> str:
    """Plain text of a teaser; crude on purpose, the release page is what gets read."""
    if "<" in fragment:
        fragment = _TAG.sub(" ", fragment)
    return " ".join(html.unescape(fragment).split())


def _parse_with_feedparser(
    body: bytes, headers: Mapping[str, str], skip: Collection[str]
) -> ParsedFeed:
    parsed = feedparser.parse(
        body, response_headers=dict(headers), sanitize_html=False, resolve_relative_uris=False
    )
    problem = None
    if parsed.get("bozo"):
        problem = f"{type(parsed.get('bozo_exception')).__name__}: {parsed.get('bozo_exception')}"
    items, known = [], []
    for entry in parsed.get("entries", []):
        guid = str(entry.get("id") or entry.get("link") or "")
        if guid and guid in skip:
            known.append(guid)
        elif (item := _from_entry(entry)) is not None:
            items.append(item)
    title = str(parsed.get("feed", {}).get("title", ""))
    return ParsedFeed(items=items, known=known, title=title, problem=problem)


def _from_entry(entry: Any) -> FeedItem | None:
    tickers = [
        str(tag.get("term", ""))
        for tag in entry.get("tags", [])
        if str(tag.get("scheme") or "").rstrip("/").endswith("/rss/stock")
    ]
    contributors = entry.get("contributors") or []
    company = str(contributors[0].get("name", "")) if contributors else str(entry.get("author", ""))
    return _item(
        guid=str(entry.get("id", "")),
        link=str(entry.get("link", "")),
        identifier=str(entry.get("dc_identifier", "")),
        title=str(entry.get("title", "")),
        published=str(entry.get("published") or entry.get("updated") or ""),
        company=company,
        tickers=tickers,
        teaser=str(entry.get("summary", "")),
    )
