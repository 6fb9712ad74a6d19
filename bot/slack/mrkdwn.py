"""Slack mrkdwn done safely: escaping, links, clipping, and a Block Kit budget. Pure.

Slack reads ``<…>`` in mrkdwn as a mention, a channel or a link, and ``&``
starts an entity; neither slack-sdk nor Bolt escapes text for you. Every piece
of text that comes from a release (or from a user) goes through ``escape``, so
``<!channel>`` arrives as the characters ``<!channel>`` and pings nobody.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Block Kit's stated limits, and a margin under the total a message may carry.
SECTION_LIMIT = 3000
CONTEXT_ELEMENTS = 10
MAX_BLOCKS = 50
# Slack refuses messages whose blocks hold much over ~13,000 characters in all.
MESSAGE_LIMIT = 12_000
# The notification text (``text``) beside the blocks.
FALLBACK_LIMIT = 3000

Block = dict[str, Any]

_SPACE = re.compile(r"\s+")
_URL = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)
_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>")


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as Slack's entities: the text is shown, never interpreted."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def one_line(text: str) -> str:
    """Whitespace, newlines included, collapsed: a release cannot start a quote or a list."""
    return _SPACE.sub(" ", text).strip()


def clip(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` (escaped mrkdwn) in at most ``limit`` characters, never cut inside an entity."""
    if len(text) <= limit:
        return text
    cut = max(0, limit - len(ellipsis))
    amp = text.rfind("&", max(0, cut - 4), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp  # the entity would be cut in half: leave it out whole
    return text[:cut].rstrip() + ellipsis


def safe(text: str, limit: int) -> str:
    """Untrusted text on one line, escaped and clipped: the usual treatment."""
    return clip(escape(one_line(text)), limit)


def link(url: str, label: str) -> str:
    """A mrkdwn link to ``url`` labelled with ``label`` (already escaped).

    Only http(s) URLs become links; the characters that would end or split the
    link are percent-encoded, so a URL cannot forge a second link or a mention.
    """
    url = url.strip()
    if not _URL.match(url):
        return label
    target = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{target}|{label}>"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}


def context(*texts: str) -> Block:
    elements = [
        {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)} for text in texts[:CONTEXT_ELEMENTS]
    ]
    return {"type": "context", "elements": elements}


def divider() -> Block:
    return {"type": "divider"}


def block_chars(block: Block) -> int:
    """The characters of text a block carries."""
    if block["type"] == "section":
        return len(block["text"]["text"])
    if block["type"] == "context":
        return sum(len(e["text"]) for e in block["elements"])
    return 0


@dataclass(slots=True)
class Budget:
    """Blocks added until the message is full; the caller then says what was left out.

    ``reserve`` blocks and ``reserve_chars`` characters are kept back for that
    last word.
    """

    reserve: int = 1
    reserve_chars: int = 300
    blocks: list[Block] = field(default_factory=list)
    chars: int = 0

    def add(self, block: Block) -> bool:
        size = block_chars(block)
        if (
            len(self.blocks) + 1 > MAX_BLOCKS - self.reserve
            or self.chars + size > MESSAGE_LIMIT - self.reserve_chars
        ):
            return False
        self.blocks.append(block)
        self.chars += size
        return True

    def close(self, block: Block) -> list[Block]:
        """Add the last word (what was left out), which the reserve keeps room for."""
        self.blocks.append(block)
        self.chars += block_chars(block)
        return self.blocks


def plain(mrkdwn: str) -> str:
    """Mrkdwn as a terminal shows it: links as ``label (url)``, entities decoded."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", mrkdwn)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def to_console(blocks: Iterable[Block]) -> str:
    """A message's blocks as lines of text, in the order and layout Slack shows them."""
    lines: list[str] = []
    for block in blocks:
        kind = block["type"]
        if kind == "section":
            lines.append(plain(block["text"]["text"]))
        elif kind == "context":
            lines.append("  " + "  ".join(plain(e["text"]) for e in block["elements"]))
        elif kind == "divider":
            lines.append("─" * 40)
    return "\n".join(lines)
