"""A GlobeNewswire release page (HTML) → its title, clean body text, time, company, tickers.

Pages are hostile until parsed: scripts, styles, navigation and forms are
dropped, and only the article's text is kept, a paragraph per block.
Layouts GlobeNewswire has used are tried in turn (the current
``#main-body-container``, the older ``span.article-body``), then JSON-LD's
``articleBody``, then the largest ``<article>``.

Saved copies of pages (republishers, archives) often lack the wire's own
markup, so every fact has a fallback: the time comes from the ``<time>``
element, the page's metadata, JSON-LD, or else the dateline; the company from
the dateline ("(GLOBE NEWSWIRE) -- Acme Bio, Inc. (Nasdaq: ACME)", other wires
alike), or else JSON-LD's publishing organisation; the title from the
headline, JSON-LD, ``og:title`` or ``<title>``. A page larger than
MAX_PAGE_CHARS is read only up to it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time

from selectolax.lexbor import LexborHTMLParser, LexborNode

from bot.extract.text import date_from_dateline
from bot.feeds.parse import parse_time

# A release page is tens of KB; the rest of anything larger is not read.
MAX_PAGE_CHARS = 4 * 1024 * 1024

_BODY_SELECTORS = (
    "#main-body-container",
    ".main-body-container",
    "span.article-body",
    "div.article-body",
    "[itemprop=articleBody]",
)
_TITLE_SELECTORS = (
    ".main-header-container h1",
    "h1.article-headline",
    "article h1",
    "h1",
)
_STRIP = "script, style, noscript, nav, header, footer, aside, form, iframe, svg, button"
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
# A <br> stands for a line break the page means (a sub-headline, an address), unlike the
# newlines of the HTML source; a private-use character carries it through the parser.
_LINE_BREAK = "\ue000"
_BLOCK_SELECTOR = "p, li, h1, h2, h3, h4, h5, h6, pre, blockquote, tr, div"
_PARENTHESES = re.compile(r"\(([^()]{1,160})\)")
_TICKER = re.compile(
    r"(?P<exchange>NASDAQ|Nasdaq|NYSE(?: American| MKT| Arca)?|TSX(?:-V)?|"
    r"OTCQ[XB]|OTC|LSE|AIM|ASX|Euronext(?: [A-Z][a-z]+)?|CSE)\s*:\s*(?P<symbol>[A-Z][A-Z0-9.\-]{0,9})"
)
_DATELINE_COMPANY = re.compile(
    r"(?:\((?:GLOBE NEWSWIRE|PRIMEZONE|BUSINESS WIRE|ACCESSWIRE|Newsfile)\)|/PRNewswire/)\s*[-—–]+\s*"
    r"(?P<company>[A-Z][^()]{1,120}?)\s*\((?:NASDAQ|Nasdaq|NYSE|TSX|OTC|CSE)"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleasePage:
    title: str
    text: str
    published_at: datetime | None
    company: str
    tickers: tuple[str, ...]


def parse_release_page(html: str | bytes) -> ReleasePage:
    """Whatever the page holds; a page with no recognisable body gives empty text."""
    if isinstance(html, bytes):
        html = html[:MAX_PAGE_CHARS].decode("utf-8", errors="replace")
    tree = LexborHTMLParser(_BR.sub(_LINE_BREAK, html[:MAX_PAGE_CHARS]))
    ld = _json_ld(tree)
    title = (
        _first_text(tree, _TITLE_SELECTORS)
        or str(ld.get("headline", ""))
        or _meta(tree, "og:title")
        or _first_text(tree, ("title",))
    ).replace(_LINE_BREAK, " ")
    published = _published(tree, ld)
    for junk in tree.css(_STRIP):
        junk.decompose()
    body = next(
        (found for sel in _BODY_SELECTORS if (found := tree.css_first(sel)) is not None), None
    )
    if body is not None:
        text = block_text(body)
    elif ld.get("articleBody"):
        text = _normalise(str(ld["articleBody"]).replace(_LINE_BREAK, "\n"))
    else:
        articles = tree.css("article")
        text = block_text(max(articles, key=lambda a: len(a.text() or ""))) if articles else ""
    if title and text.startswith(title):
        text = text[len(title) :].lstrip()
    return ReleasePage(
        title=" ".join(title.split()),
        text=text,
        published_at=published or _dateline_time(text),
        company=_company(text) or _organisation(ld),
        tickers=tickers_in(text[:2000]),
    )


def block_text(node: LexborNode) -> str:
    """The node's text, a paragraph per innermost block (``p``, ``li``, a table row …)."""
    # lexbor's css() includes the node itself: an innermost block matches only itself.
    blocks = [block for block in node.css(_BLOCK_SELECTOR) if len(block.css(_BLOCK_SELECTOR)) == 1]
    if not blocks:
        return _lines(node.text() or "")
    paragraphs = []
    for block in blocks:
        if block.tag == "tr":
            cells = (" ".join((c.text() or "").split()) for c in block.css("td, th"))
            text = "  ".join(cell for cell in cells if cell)
        else:
            text = _lines(block.text() or "")
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _lines(text: str) -> str:
    """Whitespace collapsed, except the page's own line breaks (``<br>``), kept as newlines."""
    lines = (" ".join(line.split()) for line in text.split(_LINE_BREAK))
    return "\n".join(line for line in lines if line)


def tickers_in(text: str) -> tuple[str, ...]:
    """``Nasdaq:CLRB``-style tickers named in a dateline, in order, once each."""
    found = []
    for group in _PARENTHESES.finditer(text):
        for match in _TICKER.finditer(group[1]):
            exchange = match["exchange"]
            exchange = "Nasdaq" if exchange.upper() == "NASDAQ" else exchange
            found.append(f"{exchange}:{match['symbol']}")
    return tuple(dict.fromkeys(found))


def _company(text: str) -> str:
    match = _DATELINE_COMPANY.search(text[:2000])
    return match["company"].strip(" ,") if match else ""


def _organisation(ld: dict[str, object]) -> str:
    """The organisation JSON-LD names as the article's author or publisher (not the wire)."""
    for field in ("author", "publisher"):
        value = ld.get(field)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, dict) and value.get("@type") == "Organization":
            name = " ".join(str(value.get("name", "")).split())
            if name and "globenewswire" not in name.lower() and "notified" not in name.lower():
                return name
    return ""


def _dateline_time(text: str) -> datetime | None:
    """Midnight UTC of the date the dateline gives, for pages that carry no time."""
    day = date_from_dateline(text)
    return datetime.combine(day, time(), tzinfo=UTC) if day else None


def _first_text(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> str:
    for selector in selectors:
        node = tree.css_first(selector)
        if node is not None and (text := (node.text(separator=" ") or "").strip()):
            return text
    return ""


def _meta(tree: LexborHTMLParser, name: str) -> str:
    node = tree.css_first(f'meta[property="{name}"], meta[name="{name}"]')
    return (node.attributes.get("content") or "") if node is not None else ""


def _json_ld(tree: LexborHTMLParser) -> dict[str, object]:
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(node.text() or "")
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and ("articleBody" in item or "headline" in item):
                return item
    return {}


def _published(tree: LexborHTMLParser, ld: dict[str, object]) -> datetime | None:
    node = tree.css_first("span.article-published time[datetime], time[datetime]")
    candidates = [
        node.attributes.get("datetime") if node is not None else None,
        _meta(tree, "article:published_time"),
        str(ld.get("datePublished", "")),
    ]
    for value in candidates:
        if value and (moment := parse_time(value)) is not None:
            return moment.astimezone(UTC)
    return None


def _normalise(text: str) -> str:
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
