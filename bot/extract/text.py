"""Release text → sentences with spans, sections, and a normalised form for the rules.

Copies of releases arrive damaged: hard line breaks inside sentences, headlines
glued to the dateline, superscripts lost, sub-headlines flattened into one line.
Segmentation works on the original text so that every sentence keeps its exact
span; the rules read a normalised copy of each sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.extract.model import Section, Sentence

# Beyond this the text is not a press release; what follows is not read.
MAX_TEXT_CHARS = 1_000_000
# Sentences longer than this (tables, lists flattened by a republisher) are cut.
MAX_SENTENCE_CHARS = 1_200


def lower_case(text: str) -> str:
    """``text`` lower-cased, character for character: the same length, so positions in it
    are positions in ``text`` (a few characters, like "İ", lower-case to two)."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


# Characters that match an ASCII letter case-insensitively but do not lower-case to it
# (checked on every code point): text without them can be matched lower-cased.
CASE_EXCEPTIONS = ("\u0130", "\u0131", "\u017f")  # "İ" lower-cases to two, "ı", "ſ"


def contains_any(text: str, words: Iterable[str]) -> bool:
    """Whether ``text`` contains any of ``words``: the cheap test that lets most sentences
    skip a pattern."""
    for word in words:  # noqa: SIM110 - a loop is measurably faster than any(generator)
        if word in text:
            return True
    return False


def gate(*words: str) -> frozenset[str]:
    """Words a rule cannot match without, for View.has_any (a set: its hash is kept, so
    finding it among a WordScan's gates is cheap)."""
    return frozenset(words)


class WordScan:
    """Which words of fixed word tuples (the rules' gates) a text contains, found in one
    regex scan: cheaper than a substring test per word when there are many.

    The words form one trie-shaped pattern, so a match is the longest word starting
    there; every word inside it is in the text too. After a match the scan resumes where
    a word overlapping its end could start, so no occurrence is missed: the set is
    exactly the words ``w`` with ``w in text``.
    """

    def __init__(self, gates: Iterable[frozenset[str]]) -> None:
        self.gates = frozenset(gates)
        words = sorted({word for gate in self.gates for word in gate if word})
        self._pattern = re.compile(_trie(words)) if words else None
        self._inside = {w: frozenset(u for u in words if u in w) for w in words}
        self._resume = {w: len(w) - _overhang(w, words) for w in words}

    def __call__(self, text: str) -> frozenset[str]:
        found: set[str] = set()
        if self._pattern is None:
            return frozenset()
        search = self._pattern.search
        match = search(text)
        while match is not None:
            word = match.group()
            found |= self._inside[word]
            match = search(text, match.start() + self._resume[word])
        return frozenset(found)


_Node = dict[str, "_Node"]  # a trie: each character leads to a node; "" ends a word


def _trie(words: list[str]) -> str:
    """One pattern for ``words`` that matches the longest of them at a position."""
    root: _Node = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: _Node) -> str:
        branches = [re.escape(char) + emit(node[char]) for char in sorted(node) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


def _overhang(word: str, words: list[str]) -> int:
    """The longest end of ``word`` that another word starts with and goes beyond."""
    return max(
        (k for k in range(1, len(word)) for u in words if len(u) > k and u.startswith(word[-k:])),
        default=0,
    )


def lowered(source: str) -> str:
    """A pattern source for lower-case text: its letters lower-cased, its escapes kept."""
    out = []
    index = 0
    while index < len(source):
        if source[index] == "\\" and index + 1 < len(source):
            out.append(source[index : index + 2])
            index += 2
            continue
        if source.startswith("(?P", index):  # a named group keeps its syntax
            out.append("(?P")
            index += 3
            continue
        out.append(source[index].lower())
        index += 1
    return "".join(out)


def words(text: str) -> frozenset[str]:
    """A set of words written as one string, for readable word lists."""
    return frozenset(text.split())


_LINE = re.compile(r"[^\n]*(?:\n|$)")
_TERMINAL = tuple('.!?:;"”’)')
_FUNCTION_WORDS = words(
    "of the and or to in for a an with at by from on its their our as that which "
    "than into under over between"
)
_BULLET_START = re.compile(r"^\s*(?:[•·▪◦*]|\|\s*[·–-]?|[-–—]\s)")
_DECIMAL_SPLIT = re.compile(r"\d\.\s*$")
_DECIMAL_CONTINUES = re.compile(r"^\s*\d+\s+[A-Za-z]")

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
# "MADISON, Wis., Feb. 22, 2017 (GLOBE NEWSWIRE) --", "HOUSTON - March 26, 2019 -",
# "BRISBANE, Calif.--(BUSINESS WIRE)--", "SAN DIEGO--()--".
DATELINE = re.compile(
    r"(?:(?<=\s)|^)(?:[A-Z][\w.'’&-]*,?[ ]{1,2}){0,6}[A-Z][\w.'’&-]*(?:[ ]?,[ ]?[A-Z][\w. ]{0,20})?"
    r"(?:"
    r"[ ,]*(?:[-–—][ ]*)?" + _MONTH + r"[ ]+\d{1,2},?[ ]+\d{4}[ ]*"
    r"(?:\([A-Z][A-Za-z ]{2,20}\)[ ]*|/[A-Za-z ]{3,20}/[ ]*)?(?:--|[-–—])"
    r"|[ ]*--[ ]*\((?:[A-Z][A-Za-z ]{2,20})?\)[ ]*--"
    r")"
)
# Part of every dateline: its date, or the "--" of "--(BUSINESS WIRE)--". Blocks with
# neither skip DATELINE, which is slow to fail.
_DATELINE_DATE = re.compile(_MONTH + r"[ ]+\d{1,2},?[ ]+\d{4}")


def _dateline(text: str, start: int, end: int) -> re.Match[str] | None:
    """The dateline in ``text[start:end]``, if there is one."""
    if text.find("--", start, end) < 0 and not _DATELINE_DATE.search(text, start, end):
        return None
    return DATELINE.search(text, start, end)


_ABBREVIATIONS = words(
    "inc ltd corp co dr mr mrs ms jr sr st no nos vs approx e.g i.e u.s u.k ph.d m.d "
    "mass calif wis ga md pa ill n.j n.c n.y conn fla tex wash mich minn ariz colo va "
    "jan feb mar apr jun jul aug sep sept oct nov dec fig ref univ dept est al plc "
    "s.a n.v b.v ag se l.p llc"
)
_SENTENCE_END = re.compile(r"[.!?][\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9•])")
_INLINE_SEPARATOR = re.compile(r"\s[–—-]\s+[–—-]\s|\s•\s|\|[·–]\|?|\s\|\s")
_HEADING_BOILERPLATE = re.compile(
    r"^(?:forward[- ]looking statements?|safe harbou?r|cautionary (?:note|statement)|"
    r"contacts?\b|media contacts?|investor (?:contacts?|relations)|source:|disclaimer)",
    re.IGNORECASE,
)
_BOILERPLATE_START = re.compile(
    r"^(?:(?:this|the) (?:news |press )?release (?:contains|includes|may contain)"
    r"|(?:any )?statements (?:in|contained in) this (?:news |press )?release"
    r"|forward[- ]looking statements?\b|safe harbou?r\b|cautionary (?:note|statement)"
    r"|(?:media |investor )?contacts?\s*:)",
    re.IGNORECASE,
)

# Characters rules read in a plainer form. Whitespace (tabs, line breaks, no-break and
# thin spaces) needs no entry: normalise() collapses every kind of it to one space.
_PLAIN = {
    "“": '"',
    "”": '"',
    "„": '"',
    "‘": "'",
    "’": "'",
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "µ": "u",
    "μ": "u",
    "×": "x",
    "™": "",
    "®": "",
    "©": "",
    "℠": "",
    # "10⁶" reads as "106", the way copies that lost the superscript write it; the
    # dose recogniser reads both as 10^6.
    **{sup: str(digit) for digit, sup in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")},
}
# Every character above is outside ASCII: an ASCII text is skipped, others are scanned
# for them (much faster than str.translate outside ASCII).
_NOT_PLAIN = re.compile("[" + "".join(re.escape(c) for c in _PLAIN) + "]")


def _plain(match: re.Match[str]) -> str:
    return _PLAIN[match.group()]


_MARKS = re.compile(r"\(\(?(?:TM|R)\)?\)|\((?:®|™)\)")
_DECIMAL_LINEBREAK = re.compile(r"(\d)\.[ \t]*\r?\n[ \t]*(\d)")


def normalise(raw: str) -> str:
    """The form rules read: one line, plain punctuation, trademark marks removed."""
    text = _DECIMAL_LINEBREAK.sub(r"\1.\2", raw) if "\n" in raw else raw
    if "(" in text and ("TM" in text or "R)" in text or "™" in text or "®" in text):
        text = _MARKS.sub("", text)
    if not text.isascii():
        text = _NOT_PLAIN.sub(_plain, text)
    return _one_spaced(text)


def _one_spaced(text: str) -> str:
    """``" ".join(text.split())``, without splitting text that is already so: every
    whitespace character but the space is unprintable."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


@dataclass(slots=True)
class _Block:
    """A paragraph: a run of lines joined where the line breaks were only wrapping."""

    start: int
    end: int
    first_line: str
    single_line: bool


def _lines(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _LINE.finditer(text):
        start, end = match.span()
        if start == end:
            break
        line_end = end - 1 if text[end - 1 : end] == "\n" else end
        spans.append((start, line_end))
    return spans


def _is_wrapped(lines: list[str]) -> bool:
    """True when the copy was hard-wrapped: most lines stop mid-sentence."""
    content = [line for line in lines if line.strip()]
    if len(content) < 8:
        return False
    lengths = sorted(len(line) for line in content)
    if lengths[len(lengths) // 2] > 100:
        return False  # paragraphs on one line each: not wrapped
    open_ended = sum(
        1 for line in content if len(line) >= 25 and not line.rstrip().endswith(_TERMINAL)
    )
    return open_ended / len(content) >= 0.4


def _heading_like(line: str) -> bool:
    """A line that is a section heading whatever surrounds it ("About X", "Contact:")."""
    line = line.strip()
    if len(line) > 70 or len(line.split()) > 9:
        return False
    if line.startswith(("About ", "ABOUT ")):
        return not line.endswith(("!", "?", ",", ";")) and not (
            line.endswith(".") and line.rsplit(" ", 1)[-1].lower().rstrip(".") not in _ABBREVIATIONS
        )
    return bool(_HEADING_BOILERPLATE.match(line)) and not line.endswith(".")


def _soft_break(prev: str, nxt: str, wrapped: bool) -> bool:
    """Whether the line break between ``prev`` and ``nxt`` is inside a sentence."""
    prev_s, next_s = prev.rstrip(), nxt.lstrip()
    if not prev_s or not next_s or _BULLET_START.match(nxt):
        return False
    if _heading_like(prev_s) or _heading_like(next_s):
        return False
    if _DECIMAL_SPLIT.search(prev_s) and _DECIMAL_CONTINUES.match(nxt):
        return True
    if next_s[0].islower():
        return True
    last_word = prev_s.rsplit(" ", 1)[-1].lower()
    if prev_s[-1] in ",;(-–/&" or last_word in _FUNCTION_WORDS:
        return True
    if wrapped:
        return len(prev_s) >= 40 or not (prev_s[0].isupper() or prev_s.endswith(_TERMINAL))
    return False


def _blocks(text: str) -> list[_Block]:
    lines = _lines(text)
    wrapped = _is_wrapped([text[s:e] for s, e in lines])
    blocks: list[_Block] = []
    current: _Block | None = None
    prev_line = ""
    for start, end in lines:
        line = text[start:end]
        if not line.strip():
            current, prev_line = None, ""
            continue
        if current is not None and _soft_break(prev_line, line, wrapped):
            current.end = end
            current.single_line = False
        else:
            current = _Block(start, end, line.strip(), True)
            blocks.append(current)
        prev_line = line
    return blocks


def _is_heading(block: _Block, text: str) -> bool:
    body = text[block.start : block.end].strip()
    if _heading_like(body):
        return True
    ends_open = not body.endswith((".", "!", "?", ",", ";")) or (
        body.endswith(".") and body.rsplit(" ", 1)[-1].lower().rstrip(".") in _ABBREVIATIONS
    )
    return (
        block.single_line
        and 0 < len(body) <= 90
        and len(body.split()) <= 12
        and ends_open
        and body[0].isupper()
    )


def _split_long(start: int, end: int, text: str) -> list[tuple[int, int]]:
    """Cut a span longer than MAX_SENTENCE_CHARS at whitespace."""
    pieces = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
        if cut <= start:
            cut = start + MAX_SENTENCE_CHARS
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the '.' at ``dot`` ends an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] != "(":
        word_start -= 1
    word = text[word_start:dot].lower().lstrip("\"'“(-–—•")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside one piece of a paragraph."""
    spans: list[tuple[int, int]] = []
    cursor = start
    piece = text[start:end]
    if "–" in piece or "—" in piece or "•" in piece or "|" in piece or " - " in piece:
        for sep in _INLINE_SEPARATOR.finditer(text, start, end):
            spans.extend(_sentence_spans_plain(text, cursor, sep.start()))
            cursor = sep.end()
    spans.extend(_sentence_spans_plain(text, cursor, end))
    return spans


def _broken_decimal(text: str, dot: int, end: int) -> bool:
    """A number cut by a hard line break after its decimal point ("rhPSMA-10.\\n1")."""
    if dot == 0 or not text[dot - 1].isdigit():
        return False
    after = dot + 1
    while after < end and text[after].isspace():
        after += 1
    return after < end and text[after].isdigit() and "\n" in text[dot:after]


def _sentence_spans_plain(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if _is_abbreviation(text, match.start()) or _broken_decimal(text, match.start(), end):
            continue
        spans.append((cursor, match.end()))
        cursor = match.end()
    spans.append((cursor, end))
    out = []
    for s, e in spans:
        while s < e and (text[s].isspace() or text[s] in "–—-•·|"):
            s += 1
        while e > s and (text[e - 1].isspace() or text[e - 1] in "–—-•|"):
            e -= 1
        if e - s >= 3:
            out.extend(_split_long(s, e, text))
    return out


def segment(text: str) -> list[Sentence]:
    """The sentences of a release body, each with its section and exact span."""
    text = text[:MAX_TEXT_CHARS]
    blocks = _blocks(text)
    dateline_at = next((i for i, b in enumerate(blocks) if _dateline(text, b.start, b.end)), None)
    if dateline_at is None:
        dateline_at = next(
            (i for i, b in enumerate(blocks) if len(text[b.start : b.end].split()) >= 15), 0
        )
    sentences: list[Sentence] = []
    section: Section = "headline"
    for number, block in enumerate(blocks):
        body = text[block.start : block.end].strip()
        pieces: list[tuple[int, int, Section]] = []
        if _is_heading(block, text):
            # Headings switch sections; other short lines (sub-headlines) are sentences.
            if body.lower().startswith("about "):
                section = "about"
                continue
            if _HEADING_BOILERPLATE.match(body):
                section = "boilerplate"
                continue
            if number > dateline_at and section != "boilerplate":
                section = "body"
        paragraph_section: Section = section
        if _BOILERPLATE_START.match(body):
            paragraph_section = "boilerplate"
            if not body.lower().startswith(("contact", "media", "investor")):
                section = "boilerplate"
        if number < dateline_at:
            pieces.append((block.start, block.end, "headline"))
        elif number == dateline_at:
            match = _dateline(text, block.start, block.end)
            if match:
                pieces.append((block.start, match.start(), "headline"))
                pieces.append((match.end(), block.end, "lead"))
            else:
                pieces.append((block.start, block.end, "lead"))
            section = "body"
        else:
            pieces.append((block.start, block.end, paragraph_section))
        for piece_start, piece_end, piece_section in pieces:
            for s, e in _sentence_spans(text, piece_start, piece_end):
                raw = text[s:e]
                sentences.append(
                    Sentence(len(sentences), number, piece_section, s, e, raw, normalise(raw))
                )
    return sentences


def title_sentence(title: str, body_sentences: list[Sentence]) -> Sentence | None:
    """The title as a sentence of its own, unless the body already opens with it."""
    clean = normalise(title)
    if len(clean) < 8:
        return None
    opening = " ".join(s.text for s in body_sentences[:6]).lower()
    if clean.lower() in opening:
        return None
    return Sentence(-1, -1, "title", 0, len(title), title, clean)


_DATE_IN_DATELINE = re.compile(
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def date_from_dateline(text: str) -> date | None:
    """The release date its dateline states ("MADISON, Wis., Feb. 22, 2017 (GLOBE …")."""
    dateline = DATELINE.search(text[:5000])
    match = _DATE_IN_DATELINE.search(dateline.group(0) if dateline else text[:400])
    if match is None:
        return None
    try:
        month = _MONTHS.index(match.group(1).lower()) + 1
        return date(int(match.group(3)), month, int(match.group(2)))
    except ValueError:
        return None
