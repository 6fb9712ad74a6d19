"""Who and what an event is about: company keys, drug keys, streams. Pure.

A company is known by its tickers and its name; its key is its first
ticker's symbol (``CLRB``), or, with no ticker, a slug of its name. A drug
is one key however it is spelled (``CLR 131`` = ``CLR-131`` = ``clr131``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.events.trial import drug_key

__all__ = ["company_key", "drug_key", "name_key", "symbol", "trial_stream"]

_SUFFIXES = re.compile(
    r"[,.]?\s+(?:inc|incorporated|corp|corporation|ltd|limited|plc|llc|co|company|holdings|"
    r"group|s\.?a|n\.?v|a/s|ag|se|gmbh)\.?$",
    re.IGNORECASE,
)


def symbol(ticker: str) -> str:
    """``Nasdaq:CLRB`` → ``CLRB``."""
    return ticker.rpartition(":")[2].strip().upper()


def name_key(name: str) -> str:
    """A company name without legal suffixes, case or punctuation: ``cellectarbiosciences``."""
    previous = None
    text = name.strip()
    while previous != text:
        previous, text = text, _SUFFIXES.sub("", text).strip()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def company_key(tickers: Iterable[str], name: str) -> str:
    for ticker in tickers:
        if found := symbol(ticker):
            return found
    return name_key(name) or "unknown"


def trial_stream(company: str, drug: str | None) -> str:
    """The stream of a company's events about one drug, or about the company itself."""
    key = drug_key(drug)
    return f"trial:{company}:{key}" if key else f"company:{company}"
