"""Periods of time, resolved against the release date.

"the second quarter of 2017", "Q1 2023", "1Q19", "calendar Q3, 2020", "1H18",
"H1 and H2 2024", "mid-2018", "early 2021", "this Summer", "December 28, 2024",
"by year-end", "later this year", "this quarter", "next year" … become a
canonical label (``2017-Q2``, ``2018-H1``, ``2018-mid``, ``2024-12``, ``2020``)
with the qualifier the release used (``by``, ``end of``, ``as early as`` …).
A period that needs the release date ("this quarter") is dropped when the date
is unknown; a period cut off by truncation ("the second half of 2") never matches.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from bot.events.trial import Period, PeriodQualifier
from bot.extract.model import PeriodMention
from bot.extract.text import contains_any, gate, lower_case, lowered

_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
}
_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_SEASONS = {"spring": "early", "summer": "mid", "fall": "late", "autumn": "late"}

_YEAR = r"(?:19|20)\d{2}"
_ORD = r"first|second|third|fourth|1st|2nd|3rd|4th"
_MONTH = (
    r"Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?"
    r"|Sep(?:t(?:ember)?)?\.?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?"
)
# "of 2017", "2017", "of this year", "of the year", "next year", "of calendar 2020".
_YEAR_TAIL = (
    rf"(?:,?\s*(?:of\s+|in\s+)?(?:(?:calendar|fiscal)(?:\s+year)?\s+)?'?(?P<year>{_YEAR}|\d{{2}}(?!\d))"
    r"|\s+(?:of\s+)?(?P<rel>this|next|the|the\s+current|the\s+following)\s+(?:calendar\s+|fiscal\s+)?year)?"
)

# Each pattern names its parts; _resolve() turns the groups into a label.
# Compiled for lower-case text (see text.lower_case): faster than IGNORECASE.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(lowered(pattern)))
    for kind, pattern in (
        # "H1 and H2 2024", "first and second quarters of 2024": one year for two windows
        (
            "pair_half",
            rf"\b(?:H(?P<a>[12])|(?P<a2>[12])H)\s+(?:and|&|or)\s+(?:H(?P<b>[12])|(?P<b2>[12])H)\s+(?P<year>{_YEAR})\b",
        ),
        (
            "pair_quarter",
            rf"\b(?P<a>{_ORD})\s+and\s+(?P<b>{_ORD})\s+(?:calendar\s+)?quarters\s+of\s+(?P<year>{_YEAR})\b",
        ),
        ("quarter", rf"\b(?P<ord>{_ORD})[\s-]+(?:calendar\s+|fiscal\s+)?quarter\b" + _YEAR_TAIL),
        (
            "quarter_code",
            rf"\b(?:calendar\s+|fiscal\s+)?(?:Q(?P<q>[1-4])|(?P<q2>[1-4])Q)(?:\s*(?:of\s+)?(?:,\s*)?(?:'|FY|CY)?\s*(?P<year>{_YEAR}|\d{{2}})(?!\d)|\s+(?:of\s+)?(?P<rel>this|next)\s+year)?\b",
        ),
        ("half", r"\b(?P<ord>first|second|1st|2nd)\s+half\b" + _YEAR_TAIL),
        (
            "half",
            rf"\b(?:H(?P<h>[12])|(?P<h2>[12])H)(?:\s*(?:of\s+)?'?(?P<year>{_YEAR}|\d{{2}})(?!\d)|\s+(?:of\s+)?(?P<rel>this|next)\s+year)?\b",
        ),
        (
            "month",
            rf"\b(?P<month>{_MONTH})(?:\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?)?\s+(?:of\s+)?(?P<year>{_YEAR})\b",
        ),
        ("month_rel", r"\b(?P<rel>this|next)\s+month\b"),
        ("quarter_rel", r"\b(?P<rel>this|next|the\s+current|the\s+coming)\s+quarter\b"),
        (
            "part",
            rf"\b(?P<part>early|mid|late)[\s-]+(?:(?:calendar\s+)?year[\s-]+)?(?:of\s+)?(?P<year>{_YEAR})\b",
        ),
        (
            "part_rel",
            r"\b(?P<part>early|mid|late|later)[\s-]*(?:in\s+)?(?P<rel>this|next|the)\s+year\b",
        ),
        ("part_rel", r"\b(?P<part>mid)[\s-]year\b(?!\s+(?:19|20)\d\d)"),
        ("season", rf"\b(?P<season>spring|summer|fall|autumn)\s+(?:of\s+)?(?P<year>{_YEAR})\b"),
        (
            "season_rel",
            r"\b(?:(?P<rel>this|next|the)\s+)?(?P<season>spring|summer|fall|autumn)\b(?!\s+(?:of\s+)?(?:19|20)\d\d)",
        ),
        (
            "year_end",
            rf"\b(?:year[\s-]end|end\s+of\s+(?:the\s+)?(?:calendar\s+)?year)[\s,]+(?:of\s+)?(?P<year>{_YEAR})\b",
        ),
        ("year_end", rf"\bend\s+of\s+(?P<year>{_YEAR})\b"),
        (
            "year_end_rel",
            r"\b(?:(?:the\s+)?(?P<rel>this|next)\s+)?year[\s-]end\b|\bend\s+of\s+(?:the\s+)?(?P<rel2>this|next|the)\s+year\b",
        ),
        (
            "month_bare",
            # "in June": a month without a year ("May" is too often the verb)
            rf"\b(?:in|during|by|until|before|end\s+of|early|late|mid)\s+"
            rf"(?P<month>{_MONTH.replace('|May', '')})(?!\s*\d)\b",
        ),
        ("year_rel", r"\b(?P<rel>this|next)\s+year\b"),
        (
            # "in 2018", "by 2021": the year first (fast to find: the space before it is
            # checked after its digits), its preposition checked after that
            "year",
            rf"(?P<year>{_YEAR})(?<=\s\d{{4}})\b(?![-/]\d)",
        ),
        (
            "year_expected",
            rf"(?P<year>{_YEAR})(?<=\s\d{{4}})(?=\s+(?:is|are|was|were)?\s*(?:expected|anticipated|planned|projected)\b)",
        ),
    )
)

# What a pattern cannot match without: a pattern runs only when the sentence has a word
# of every one of its groups.
_MONTHS_SEEN = frozenset(
    ("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
)
_SEASONS_SEEN = frozenset(("spring", "summer", "fall", "autumn"))
_PARTS_SEEN = frozenset(("early", "mid", "late"))
_YEAR_SEEN = frozenset(("<year>",))
_GATES: dict[str, tuple[frozenset[str], ...]] = {
    "pair_half": (frozenset(("<h>",)), _YEAR_SEEN),
    "pair_quarter": (frozenset(("quarters",)), _YEAR_SEEN),
    "quarter": (frozenset(("quarter", "quarters")),),
    "quarter_code": (frozenset(("<q>",)),),
    "half": (frozenset(("half", "<h>")),),
    "month": (_MONTHS_SEEN, _YEAR_SEEN),
    "month_rel": (frozenset(("month",)),),
    "quarter_rel": (frozenset(("quarter",)),),
    "part": (_PARTS_SEEN, _YEAR_SEEN),
    "part_rel": (frozenset(("year",)),),
    "season": (_SEASONS_SEEN, _YEAR_SEEN),
    "season_rel": (_SEASONS_SEEN,),
    "year_end": (frozenset(("end",)), _YEAR_SEEN),
    "year_end_rel": (frozenset(("end",)), frozenset(("year",))),
    "month_bare": (_MONTHS_SEEN,),
    "year_rel": (frozenset(("year",)),),
    "year": (_YEAR_SEEN,),
    "year_expected": (_YEAR_SEEN,),
}


# The gate words every sentence is tested for; the others (parts of a year, "quarters",
# "end") only some patterns with a year need, and are looked for only with one.
_GATE_WORDS = ("quarter", "half", "month", "year", *_SEASONS_SEEN, *_MONTHS_SEEN)
# The same words as a gate a caller's text.WordScan can look for (find_periods ``words``).
GATE = gate(*_GATE_WORDS)
# "h1", "2h": a half code (four substring tests: cheaper than a regex).
_HALF_CODES = ("h1", "h2", "1h", "2h")
# "q3", "4q": found from the digit (a fast scan), the letter next to it checked after.
_QUARTER_CODE = re.compile(r"[1-4](?:q|(?<=q[1-4]))")
# The words that make a bare year a period: "in 2018", "by 2021", "calendar 2020".
_YEAR_PREPOSITION = re.compile(
    r"\b(?:in|by|during|for|until|through|throughout|before|of|from|into|calendar|fiscal|year)\s+$",
)
_YEAR_DIGITS = re.compile(r"(?:19|20)\d\d")


def _words_seen(lower: str, words: frozenset[str] | None) -> frozenset[str]:
    """The gate words the sentence has that can change which patterns run (see _GATES);
    ``words``, when given, are all the words of GATE the sentence has."""
    seen = set(GATE & words) if words is not None else {w for w in _GATE_WORDS if w in lower}
    if contains_any(lower, _HALF_CODES):
        seen.add("<h>")
    if "q" in lower and _QUARTER_CODE.search(lower):
        seen.add("<q>")
    if ("19" in lower or "20" in lower) and _YEAR_DIGITS.search(lower):
        seen.add("<year>")
        seen.update(word for word in _PARTS_SEEN if word in lower)
        if "quarter" in seen and "quarters" in lower:
            seen.add("quarters")
    if ("<year>" in seen or "year" in seen) and "end" in lower:
        seen.add("end")
    return frozenset(seen)


@lru_cache(maxsize=1024)
def _gated(seen: frozenset[str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The patterns that can match in a sentence with the gate words ``seen``."""
    return tuple(
        (kind, pattern) for kind, pattern in PATTERNS if all(group & seen for group in _GATES[kind])
    )


_QUALIFIERS: tuple[tuple[re.Pattern[str], PeriodQualifier], ...] = (
    (re.compile(r"\bas\s+early\s+as\s+(?:the\s+)?$"), "as early as"),
    (
        re.compile(
            r"\b(?:by|before|prior\s+to|no\s+later\s+than|towards?)\s+(?:the\s+)?end\s+of\s+(?:the\s+)?$",
        ),
        "end of",
    ),
    (
        re.compile(r"\b(?:at|around|near)?\s*(?:the\s+)?end\s+of\s+(?:the\s+)?$"),
        "end of",
    ),
    (
        re.compile(r"\b(?:by|before|no\s+later\s+than|prior\s+to)\s+(?:the\s+)?$"),
        "by",
    ),
    (re.compile(r"\bearly\s+(?:in\s+)?(?:the\s+)?$"), "early"),
    (re.compile(r"\blate\s+(?:in\s+)?(?:the\s+)?$"), "late"),
    (re.compile(r"\bmid[\s-]$"), "mid"),
)


def _year(match: re.Match[str], published: date | None) -> int | None:
    groups = match.groupdict()
    text = groups.get("year")
    if text:
        value = int(text)
        return value + 2000 if value < 100 else value
    rel = (groups.get("rel") or groups.get("rel2") or "").lower()
    if published is None:
        return None
    if rel.startswith(("next", "the following")):
        return published.year + 1
    return published.year  # "this year", "the year", "the current year", or no year at all


def _label(kind: str, match: re.Match[str], published: date | None) -> list[str]:
    """Canonical labels for one match (two for "H1 and H2 2024"), [] when unresolvable."""
    g = match.groupdict()
    year = _year(match, published)
    if kind in ("pair_half", "pair_quarter"):
        if kind == "pair_half":
            parts = [f"H{g['a'] or g['a2']}", f"H{g['b'] or g['b2']}"]
        else:
            parts = [f"Q{_ORDINALS[g['a'].lower()]}", f"Q{_ORDINALS[g['b'].lower()]}"]
        return [f"{year}-{part}" for part in parts]
    if year is None:
        return []
    if kind in ("quarter", "quarter_code"):
        number = _ORDINALS[g["ord"].lower()] if g.get("ord") else int(g.get("q") or g["q2"])
        return [f"{year}-Q{number}"]
    if kind == "half":
        number = _ORDINALS[g["ord"].lower()] if g.get("ord") else int(g.get("h") or g["h2"])
        return [f"{year}-H{number}"]
    if kind in ("month", "month_bare"):
        return [f"{year}-{_MONTHS[g['month'][:3].lower()]:02d}"]
    if kind == "month_rel":
        assert published is not None  # _year returned a year
        month = published.month + (1 if g["rel"].lower() == "next" else 0)
        return [f"{published.year + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}"]
    if kind == "quarter_rel":
        assert published is not None
        quarter = (published.month - 1) // 3 + 1 + (1 if g["rel"].lower() == "next" else 0)
        return [f"{published.year + (quarter - 1) // 4}-Q{(quarter - 1) % 4 + 1}"]
    if kind in ("part", "part_rel"):
        part = g["part"].lower()
        return [str(year) if part == "later" else f"{year}-{part}"]
    if kind in ("season", "season_rel"):
        return [f"{year}-{_SEASONS[g['season'].lower()]}"]
    if kind in ("year_end", "year_end_rel"):
        return [f"{year}-Q4"]
    return [str(year)]


def _qualifier(text: str, start: int, kind: str) -> PeriodQualifier | None:
    before = text[max(0, start - 40) : start]
    if kind in ("year_end", "year_end_rel"):
        return "by" if re.search(r"\bby\s+(?:the\s+)?$", before) else "end of"
    lower = before.lower()
    if not contains_any(lower, ("early", "end", "by", "before", "prior", "late", "mid")):
        return None
    for pattern, qualifier in _QUALIFIERS:
        if pattern.search(before):
            return qualifier
    return None


def find_periods(
    text: str,
    published: date | None,
    lower: str | None = None,
    words: frozenset[str] | None = None,
) -> list[PeriodMention]:
    """Every period in ``text`` (a normalised sentence), resolved, in order, not overlapping.
    ``lower`` is ``lower_case(text)`` when the caller has it; ``words``, the words of GATE
    in it when the caller has scanned for them."""
    if published is not None and not 1900 <= published.year <= 2098:
        published = None  # not a release date: relative periods stay unresolved
    taken: list[tuple[int, int]] = []
    found: list[PeriodMention] = []
    if lower is None:
        lower = lower_case(text)
    seen = _words_seen(lower, words)
    if not seen:
        return found
    for kind, pattern in _gated(seen):
        for match in pattern.finditer(lower):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken):
                continue
            if kind == "month_bare" and not text[match.start("month")].isupper():
                continue
            if kind == "year" and not _YEAR_PREPOSITION.search(lower, max(0, start - 30), start):
                continue
            labels = _label(kind, match, published)
            if not labels or _year_cut_off(match, lower):
                continue
            taken.append((start, end))
            qualifier = _qualifier(lower, start, kind)
            for period in labels:
                found.append(
                    PeriodMention(
                        Period(label=period, qualifier=qualifier),
                        start,
                        end,
                        past=_is_past(period, published),
                    )
                )
    return sorted(found, key=lambda m: m.start)


_CUT_YEAR = re.compile(r"\s*(?:of|in)\s+\d")


def _year_cut_off(match: re.Match[str], text: str) -> bool:
    """ "the second half of 2" (a truncated copy): a year was meant but cannot be read."""
    groups = match.groupdict()
    if groups.get("year") or groups.get("rel") or groups.get("rel2"):
        return False
    return bool(_CUT_YEAR.match(text, match.end()))


def _is_past(label: str, published: date | None) -> bool:
    if published is None:
        return False
    return Period(label=label).window()[1] < published


def direction(old: Period, new: Period) -> str | None:
    """ "earlier" / "later" when guidance moved from ``old`` to ``new``, None when it did not.

    A new window inside the old one is a narrowing, not a move (DESIGN.md); otherwise
    the move follows the end of the window.
    """
    old_start, old_end = old.window()
    new_start, new_end = new.window()
    if old_start <= new_start and new_end <= old_end:
        return None
    if new_end > old_end:
        return "later"
    if new_end < old_end:
        return "earlier"
    return None
