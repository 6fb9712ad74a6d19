"""Questions the trial state answers without replaying: status, the calendar, track records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import msgspec

from bot.eventlog import EventLog
from bot.events.trial import drug_key
from handlers.documents import DECODER, CompanyDoc, GuidanceDoc
from handlers.identity import name_key
from handlers.trial_state import ALIASES, NAMESPACE


async def resolve(log: EventLog, query: str) -> list[str]:
    """Company keys a user's word may mean: a ticker, ``Nasdaq:CLRB``, a drug, a name."""
    text = query.strip()
    candidates = [text.upper().replace(" ", ""), "drug:" + drug_key(text), "name:" + name_key(text)]
    found: list[str] = []
    for alias in candidates:
        raw = await log.get_state(ALIASES, alias)
        if raw:
            found.extend(key for key in msgspec.json.decode(raw) if key not in found)
    return found


async def company(log: EventLog, key: str) -> CompanyDoc | None:
    raw = await log.get_state(NAMESPACE, key)
    return None if raw is None else DECODER.decode(raw)


async def status(log: EventLog, query: str) -> list[CompanyDoc]:
    """The state of every company the query names (usually one)."""
    docs = [await company(log, key) for key in await resolve(log, query)]
    return [doc for doc in docs if doc is not None]


async def all_companies(log: EventLog) -> list[CompanyDoc]:
    return [DECODER.decode(raw) for _, raw in await log.scan_state(NAMESPACE)]


async def near_matches(log: EventLog, query: str, limit: int = 5) -> list[str]:
    """Names close to an unknown query, for a helpful "did you mean"."""
    import difflib

    names = [alias for alias, _ in await log.scan_state(ALIASES)]
    shown = {a.removeprefix("drug:").removeprefix("name:") for a in names}
    return difflib.get_close_matches(query.upper(), sorted(shown), n=limit, cutoff=0.5)


@dataclass(frozen=True, kw_only=True, slots=True)
class CalendarEntry:
    company: str
    company_name: str
    guidance: GuidanceDoc
    window: tuple[date, date]

    @property
    def moves(self) -> int:
        return len(self.guidance.moves)


async def upcoming(log: EventLog, today: date) -> list[CalendarEntry]:
    """Guided milestones not yet reached whose window has not closed, soonest first."""
    entries = []
    for doc in await all_companies(log):
        for guidance in doc.guidance:
            if guidance.achieved_on is not None or guidance.period is None:
                continue
            window = guidance.period.period().window()
            if window[1] >= today:
                entries.append(
                    CalendarEntry(
                        company=doc.key, company_name=doc.name, guidance=guidance, window=window
                    )
                )
    return sorted(entries, key=lambda e: (e.window[1], e.window[0], e.company, e.guidance.key))


@dataclass(kw_only=True, slots=True)
class TrackRecord:
    company: CompanyDoc
    ahead: list[GuidanceDoc] = field(default_factory=list)
    on_time: list[GuidanceDoc] = field(default_factory=list)
    late: list[GuidanceDoc] = field(default_factory=list)
    overdue: list[GuidanceDoc] = field(default_factory=list)
    open: list[GuidanceDoc] = field(default_factory=list)
    moved_later: int = 0
    moved_earlier: int = 0


def track_record(doc: CompanyDoc, today: date) -> TrackRecord:
    """How the company kept its guidance: ahead, on time, late, or open past its period."""
    record = TrackRecord(company=doc)
    for guidance in doc.guidance:
        record.moved_later += sum(1 for m in guidance.moves if m.direction == "later")
        record.moved_earlier += sum(1 for m in guidance.moves if m.direction == "earlier")
        if guidance.achieved_on is not None:
            {"ahead": record.ahead, "late": record.late}.get(
                guidance.vs_guidance or "", record.on_time
            ).append(guidance)
        elif guidance.period is not None and guidance.period.period().window()[1] < today:
            record.overdue.append(guidance)
        else:
            record.open.append(guidance)
    return record
