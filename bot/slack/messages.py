"""Every text trialwire shows in Slack: alerts, ``/trial`` answers, feed health. Pure.

Each function returns a ``Message`` (the notification text and Block Kit
blocks) from plain values. Whatever came from a release or from a user is
escaped (``bot.slack.mrkdwn.safe``) and clipped, and every message stays
within Block Kit's limits, saying what it left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.events.feed import FeedFailing, FeedRecovered
from bot.events.trial import (
    ClinicalHold,
    CohortCompleted,
    CohortEnrolled,
    CohortInitiated,
    DataReported,
    Dose,
    DoseEscalated,
    EnrollmentCompleted,
    FirstPatientDosed,
    GuidanceIssued,
    GuidanceMoved,
    MilestoneAchieved,
    Period,
    RecommendedDoseSet,
    RegulatoryDesignation,
    RegulatoryFiling,
    TrialCleared,
    TrialDiscontinued,
    TrialEvent,
    TrialInitiated,
    drug_key,
)
from bot.slack.mrkdwn import (
    FALLBACK_LIMIT,
    Block,
    Budget,
    clip,
    context,
    escape,
    link,
    safe,
    section,
    to_console,
)

if TYPE_CHECKING:
    from handlers.documents import CompanyDoc, DoseDoc, GuidanceDoc, PeriodDoc, TrialDoc
    from handlers.queries import CalendarEntry, TrackRecord

FACT_LIMIT = 400
QUOTE_LIMIT = 700
TITLE_LIMIT = 300
NAME_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Message:
    """What goes to Slack: the notification text and the blocks."""

    text: str
    blocks: list[Block]

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseHeader:
    """The release an alert is about."""

    release_id: str
    title: str
    url: str
    company: str
    tickers: tuple[str, ...]
    published: date | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TrialContext:
    """What the trial state knows of a drug's trial that the event may not say."""

    phase: str | None = None
    indication: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertItem:
    """One event of an alert, in the order it is to be shown."""

    event: TrialEvent
    inferred: bool = False
    context: TrialContext | None = None


# -- words ---------------------------------------------------------------------------

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_PHASE_WORD = re.compile(r"\bphase\s+(iv|i{1,3})\b(?=[\s/abc,]|$)", re.IGNORECASE)
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def phase(value: str | None) -> str:
    """``1``, ``II``, ``1b/2``, ``Phase 2`` → ``Phase 1``, ``Phase 2``, ``Phase 1b/2``."""
    if not value:
        return ""
    text = value.strip()
    text = re.sub(r"^phase\s*", "", text, flags=re.IGNORECASE)
    parts = [_ROMAN.get(p.lower(), p) for p in text.split("/")]
    return "Phase " + "/".join(parts)


def milestone(text: str) -> str:
    """``Phase II initiation`` → ``Phase 2 start``: the words an investor uses."""
    words = _PHASE_WORD.sub(lambda m: "Phase " + _ROMAN[m.group(1).lower()], one(text))
    words = re.sub(r"\binitiation\b$", "start", words)
    return words[:1].upper() + words[1:]


def one(text: str) -> str:
    return " ".join(text.split())


def dose(value: Dose | DoseDoc | None) -> str:
    if value is None:
        return ""
    unit = value.unit.replace("/m2", "/m²")
    return f"{value.value:g} {unit}"


def _label(label: str) -> tuple[str, str]:
    """``2017-Q1`` → (``Q1``, ``2017``); ``2017`` → ("", ``2017``)."""
    year, _, part = label.partition("-")
    if part.isdigit():
        part = _MONTHS[int(part) - 1]
    elif part == "mid":
        part = "mid-"
    return part, year


def period(value: Period | PeriodDoc | None, *, year: bool = True) -> str:
    """``2017-Q1`` → ``Q1 2017``, ``2017-06`` → ``June 2017``, with its qualifier."""
    if value is None:
        return "?"
    part, yr = _label(value.label)
    if not year:
        text = part.rstrip("-") or yr
    elif part.endswith("-"):
        text = part + yr
    else:
        text = f"{part} {yr}".strip()
    return f"{value.qualifier} {text}" if value.qualifier else text


def period_phrase(value: Period | PeriodDoc) -> str:
    """``in Q1 2017``, ``by the end of Q2 2017``, ``as early as H2 2017``."""
    text = period(value)
    if value.qualifier in ("by", "as early as"):
        return text
    if value.qualifier == "end of":
        return "by the " + text
    return "in " + text


def move(previous: Period | PeriodDoc | None, new: Period | PeriodDoc | None) -> str:
    """``Q2 → Q1 2017``: the year said once when both periods share it."""
    if previous is None:
        return f"now {period(new)}" if new is not None else ""
    if new is None:
        return f"from {period(previous)}"
    same_year = _label(previous.label)[1] == _label(new.label)[1] and "-" in previous.label
    return f"{period(previous, year=not same_year)} → {period(new)}"


def designation(name: str, agency: str | None = None) -> str:
    """``orphan drug`` → ``Orphan drug designation``, with the agency when given."""
    text = one(name)
    text = text if "designation" in text.lower() else f"{text} designation"
    return text[:1].upper() + text[1:] + (f" ({agency})" if agency else "")


def percent(value: float) -> str:
    return f"{value:+g} %"


# -- facts ---------------------------------------------------------------------------


def escalation_of(event: CohortInitiated, others: Sequence[TrialEvent]) -> DoseEscalated | None:
    """The release's dose escalation into this cohort, said in the same line."""
    for other in others:
        if (
            isinstance(other, DoseEscalated)
            and drug_key(other.drug) == drug_key(event.drug)
            and (
                (other.cohort is not None and other.cohort == event.cohort)
                or (event.dose is not None and other.to_dose == event.dose)
            )
        ):
            return other
    return None


def _escalation(step: DoseEscalated) -> str:
    if step.percent is None:
        return f"up from {dose(step.from_dose)}" if step.from_dose else ""
    versus = (
        f"vs cohort {step.cohort - 1}"
        if step.cohort and step.cohort > 1
        else f"vs {dose(step.from_dose)}"
        if step.from_dose
        else ""
    )
    text = f"{percent(step.percent)} {versus}".strip()
    if step.consistent is False:
        text += " (as the release says; the doses disagree)"
    return text


def fact(event: TrialEvent, escalation: DoseEscalated | None = None) -> str:
    """The fact in one line, unescaped: ``Cohort 4 initiated at 31.25 mCi/m² · +25 % vs cohort 3``."""
    given: Dose | None = getattr(event, "dose", None)
    at = f" at {dose(given)}" if given is not None else ""
    trial = f"{phase(getattr(event, 'phase', None))} trial".strip().capitalize()
    if isinstance(event, CohortInitiated):
        what = f"Cohort {event.cohort}" if event.cohort is not None else event.arm or "New cohort"
        line = f"{what} initiated{at}"
        if escalation is not None and (step := _escalation(escalation)):
            line += f" · {step}"
        if event.planned_patients:
            line += f" · {event.planned_patients} patients planned"
        return line
    if isinstance(event, CohortCompleted):
        outcome = {
            "safe": " · declared safe",
            "dlt": " · dose-limiting toxicity seen",
            "mtd_reached": " · maximum tolerated dose reached",
        }.get(event.outcome or "", "")
        return f"Cohort {event.cohort or '?'} completed{at}{outcome}"
    if isinstance(event, CohortEnrolled):
        return f"Cohort {event.cohort or '?'} fully enrolled{at}"
    if isinstance(event, DoseEscalated):
        start = f" from {dose(event.from_dose)}" if event.from_dose else ""
        step = f" ({percent(event.percent)})" if event.percent is not None else ""
        return f"Dose escalated to {dose(event.to_dose)}{start}{step}"
    if isinstance(event, TrialInitiated):
        return f"{trial} started"
    if isinstance(event, FirstPatientDosed):
        return (
            f"First patient dosed in the {trial.lower()}" if event.phase else "First patient dosed"
        )
    if isinstance(event, EnrollmentCompleted):
        patients = f" · {event.patients} patients" if event.patients else ""
        return f"{trial} enrollment completed{patients}"
    if isinstance(event, DataReported):
        kind = (event.kind or "").capitalize()
        stage = phase(event.phase)
        line = " ".join(p for p in (kind, stage, "data reported") if p)
        if event.endpoints:
            line += " · " + "; ".join(one(e) for e in event.endpoints[:3])
        return line[:1].upper() + line[1:]
    if isinstance(event, GuidanceIssued):
        still = " still" if event.reaffirmed else ""
        return f"{milestone(event.milestone)}{still} expected {period_phrase(event.period)}"
    if isinstance(event, GuidanceMoved):
        change = move(event.previous, event.period)
        return f"{milestone(event.milestone)} moved {event.direction}" + (
            f": {change}" if change else ""
        )
    if isinstance(event, MilestoneAchieved):
        verdict = {"ahead": "ahead of guidance", "on_time": "on time", "late": "late"}[
            event.vs_guidance
        ]
        guided = f" (guided {period(event.guided)})" if event.guided else ""
        return f"{milestone(event.milestone)} reached {verdict}{guided}"
    if isinstance(event, RegulatoryDesignation):
        by = f" by {event.agency}" if event.agency else ""
        return f"{designation(event.designation)} granted{by}"
    if isinstance(event, TrialCleared):
        by = f" by {event.authority}" if event.authority else ""
        return f"{trial} cleared to start{by}"
    if isinstance(event, ClinicalHold):
        by = f" by {event.authority}" if event.authority else ""
        kind = "Partial clinical hold" if event.partial else "Clinical hold"
        if event.action == "placed":
            return f"{kind} placed{by}"
        return f"{kind} lifted{by}"
    if isinstance(event, TrialDiscontinued):
        reason = f": {one(event.reason)}" if event.reason else ""
        what = trial if event.phase else "Development"
        return f"{what} discontinued{reason}"
    if isinstance(event, RecommendedDoseSet):
        what = "Maximum tolerated dose" if event.basis == "MTD" else "Recommended Phase 2 dose"
        return f"{what} set{at}"
    if isinstance(event, RegulatoryFiling):
        decision = (
            f" · decision expected {event.decision_date:%d %b %Y}" if event.decision_date else ""
        )
        return f"{event.filing or 'Marketing application'} {event.action}{decision}"
    return event.TYPE


def _subtitle(item: AlertItem) -> str:
    event = item.event
    # Guidance names its own milestone; the trial the drug is in now may be another one.
    about_guidance = isinstance(event, GuidanceIssued | GuidanceMoved | MilestoneAchieved)
    known = TrialContext() if about_guidance else item.context or TrialContext()
    parts = [
        event.drug or "",
        phase(getattr(event, "phase", None) or known.phase),
        getattr(event, "indication", None) or known.indication or "",
    ]
    line = " · ".join(one(p) for p in parts if p)
    if item.inferred:
        line += " · inferred by trialwire from the company's earlier guidance"
    return line


def alert(release: ReleaseHeader, items: Sequence[AlertItem]) -> Message:
    """One release's facts as one message, in the order given (most important first)."""
    events = [item.event for item in items]
    merged = {
        id(e)
        for e in events
        for c in events
        if isinstance(c, CohortInitiated) and escalation_of(c, [e])
    }
    shown = [i for i in items if id(i.event) not in merged]
    tickers = ", ".join(release.tickers)
    who = safe(release.company or tickers or "A company", NAME_LIMIT)
    title = safe(release.title or "the release", TITLE_LIMIT)
    when = f"{release.published:%d %b %Y} · " if release.published else ""
    budget = Budget()
    budget.add(section(f"*{who}*" + (f" ({safe(tickers, NAME_LIMIT)})" if tickers else "")))
    budget.add(context(when + link(release.url, title)))
    lines: list[str] = []
    for index, item in enumerate(shown):
        line = fact(
            item.event,
            escalation_of(item.event, events) if isinstance(item.event, CohortInitiated) else None,
        )
        lines.append(line)
        text = f"*{safe(line, FACT_LIMIT)}*"
        if subtitle := _subtitle(item):
            text += f"\n_{safe(subtitle, FACT_LIMIT)}_"
        if item.event.evidence.sentence.strip():
            text += f"\n>{safe(item.event.evidence.sentence, QUOTE_LIMIT)}"
        if not budget.add(section(text)):
            left = len(shown) - index
            budget.close(context(f"…and {left} more in {link(release.url, 'the release')}"))
            break
    first = lines[0] if lines else "news"
    more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
    name = release.company or tickers
    text = clip(escape(f"{name}: {first}{more}"), FALLBACK_LIMIT)
    return Message(text=text, blocks=budget.blocks)


def feed_failing(event: FeedFailing) -> Message:
    text = (
        f":warning: Feed *{safe(event.feed, NAME_LIMIT)}* has failed {event.failures} polls in a "
        f"row since {event.since:%d %b %Y %H:%M} UTC ({safe(event.kind, 40)}: "
        f"{safe(event.error, 500)}). trialwire keeps retrying it."
    )
    return Message(text=clip(text, FALLBACK_LIMIT), blocks=[section(text)])


def feed_recovered(event: FeedRecovered) -> Message:
    text = (
        f":white_check_mark: Feed *{safe(event.feed, NAME_LIMIT)}* is back after "
        f"{event.failures} failed polls (failing since {event.since:%d %b %Y %H:%M} UTC)."
    )
    return Message(text=clip(text, FALLBACK_LIMIT), blocks=[section(text)])


# -- /trial answers ------------------------------------------------------------------


def _company_title(doc: CompanyDoc) -> str:
    name = safe(doc.name or doc.key, NAME_LIMIT)
    tickers = safe(", ".join(doc.tickers), NAME_LIMIT)
    return f"*{name}*" + (f" ({tickers})" if tickers else "")


def _trial_line(trial: TrialDoc) -> str:
    head = [phase(trial.phase) or "Phase not stated", trial.indication or "", trial.status]
    lines = [" · ".join(one(p) for p in head if p)]
    cohort = trial.latest_cohort()
    if cohort is not None:
        name = f"cohort {cohort.number}" if cohort.number is not None else "a cohort"
        at = f" at {dose(cohort.dose)}" if cohort.dose else ""
        lines.append(f"latest {name} {cohort.status}{at}")
    if trial.escalations:
        last = trial.escalations[-1]
        step = f" ({percent(last.percent)})" if last.percent is not None else ""
        start = dose(last.from_dose) or "?"
        lines.append(
            f"escalated {start} → {dose(last.to_dose)}{step}, {trial.escalations_total} in all"
        )
    if trial.recommended_dose:
        lines.append(f"recommended dose {dose(trial.recommended_dose)}")
    if trial.enrolled_on:
        lines.append(f"enrolled {trial.patients or '?'} patients by {trial.enrolled_on}")
    if trial.data:
        last_data = trial.data[-1]
        lines.append(f"{last_data.kind or 'data'} reported {last_data.on}")
    if trial.holds:
        lines.append(f"clinical hold {trial.holds[-1]}")
    return " · ".join(lines)


def guidance_line(guidance: GuidanceDoc) -> str:
    """``CLR 131 — Phase 2 start: Q1 2017 (moved earlier: Q2 → Q1 2017)``, unescaped."""
    name = milestone(guidance.milestone)
    who = f"{guidance.drug} — " if guidance.drug else ""
    if guidance.achieved_on is not None:
        verdict = {"ahead": "ahead of guidance", "late": "late"}.get(
            guidance.vs_guidance or "", "on time"
        )
        guided = guidance.guided_when_achieved or guidance.period
        was = f", guided {period(guided)}" if guided else ""
        return f"{who}{name}: reached {guidance.achieved_on}, {verdict}{was}"
    moves = "; ".join(
        f"moved {m.direction}" + (f": {move(m.previous, m.new)}" if m.new or m.previous else "")
        for m in guidance.moves
    )
    return f"{who}{name}: {period(guidance.period)}" + (f" ({moves})" if moves else "")


def company_status(docs: Sequence[CompanyDoc]) -> Message:
    """``/trial CLRB``: every trial of the company, its guidance, its last release."""
    budget = Budget()
    left = 0
    for doc in docs:
        parts = [section(_company_title(doc))]
        for drug in doc.drugs.values():
            name = safe(drug.name, NAME_LIMIT) + (" (discontinued)" if drug.discontinued else "")
            trials = "\n".join("• " + safe(_trial_line(t), 600) for t in drug.trials)
            extras = [
                designation(d.designation, d.agency) + (f" {d.on}" if d.on else "")
                for d in drug.designations
            ]
            extras += [
                f"{f.filing or 'Filing'} {f.action}" + (f" {f.on}" if f.on else "")
                for f in drug.filings
            ]
            text = f"*{name}*\n{trials}" if trials else f"*{name}*"
            if extras:
                text += "\n" + safe("; ".join(extras), 600)
            parts.append(section(text))
        open_guidance = [g for g in doc.guidance if g.achieved_on is None]
        if open_guidance:
            rows = "\n".join("• " + safe(guidance_line(g), 400) for g in open_guidance[-10:])
            parts.append(section(f"*Guidance*\n{rows}"))
        if doc.last_release:
            release = doc.last_release
            label = safe(release.title, TITLE_LIMIT)
            parts.append(
                context(f"Last release {release.published or ''} · {link(release.url, label)}")
            )
        for block in parts:
            if not budget.add(block):
                left += 1
    title = ", ".join(d.name or d.key for d in docs)
    if left:
        budget.close(context(f"…{left} more parts; `trialwire status` shows everything."))
    return Message(
        text=clip(escape(f"{title}: the state of its trials"), FALLBACK_LIMIT), blocks=budget.blocks
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class TimelineEntry:
    on: date | None
    event: TrialEvent
    inferred: bool = False


def timeline(name: str, entries: Sequence[TimelineEntry], total: int) -> Message:
    """``/trial timeline CLR131``: what happened to the drug, oldest first."""
    if not entries:
        return Message(
            text=escape(f"No events yet for {name}."),
            blocks=[section(safe(f"No events yet for {name}.", 300))],
        )
    events = [e.event for e in entries]
    rows = []
    for entry in entries:
        escalation = (
            escalation_of(entry.event, events) if isinstance(entry.event, CohortInitiated) else None
        )
        mark = " _(inferred)_" if entry.inferred else ""
        rows.append(f"`{entry.on or '?'}` {safe(fact(entry.event, escalation), FACT_LIMIT)}{mark}")
    budget = Budget()
    shown = f"the last {len(entries)} of {total}" if total > len(entries) else f"{total}"
    budget.add(section(f"*Timeline of {safe(name, NAME_LIMIT)}* ({shown} events)"))
    chunk: list[str] = []
    for row in rows:
        if sum(len(r) + 1 for r in chunk) + len(row) > 2800:
            budget.add(section("\n".join(chunk)))
            chunk = []
        chunk.append(row)
    if chunk and not budget.add(section("\n".join(chunk))):
        budget.close(context("…the timeline is longer than a message holds."))
    return Message(text=escape(f"Timeline of {one(name)}")[:FALLBACK_LIMIT], blocks=budget.blocks)


def guidance_record(doc: CompanyDoc, record: TrackRecord, today: date) -> Message:
    """``/trial guidance CLRB``: the guidance book and how the company kept it."""
    summary = (
        f"As of {today}: {len(record.ahead)} ahead, {len(record.on_time)} on time, "
        f"{len(record.late)} late, {len(record.overdue)} overdue, {len(record.open)} open; "
        f"moved later {record.moved_later}×, earlier {record.moved_earlier}×"
    )
    budget = Budget()
    budget.add(section(f"{_company_title(doc)} — guidance track record\n{summary}"))
    groups = [
        ("Open", record.open),
        ("Overdue", record.overdue),
        ("Delivered ahead", record.ahead),
        ("Delivered on time", record.on_time),
        ("Delivered late", record.late),
    ]
    for label, items in groups:
        if items:
            rows = "\n".join("• " + safe(guidance_line(g), 400) for g in items[-12:])
            if not budget.add(section(f"*{label}*\n{rows}")):
                budget.close(context("…more guidance than a message holds."))
                break
    name = doc.name or doc.key
    return Message(text=clip(escape(f"{name}: {summary}"), FALLBACK_LIMIT), blocks=budget.blocks)


def calendar(entries: Sequence[CalendarEntry], today: date, limit: int = 25) -> Message:
    """``/trial upcoming``: guided milestones still to come, soonest first."""
    if not entries:
        text = f"No guided milestones ahead as of {today}."
        return Message(text=text, blocks=[section(text)])
    rows = []
    for entry in entries[:limit]:
        g = entry.guidance
        moved = f" · moved {len(g.moves)}×" if g.moves else ""
        drug = f" {safe(g.drug, 80)}" if g.drug else ""
        rows.append(
            f"`{period(g.period)}` *{safe(entry.company, 40)}*{drug}: "
            f"{safe(milestone(g.milestone), 300)}{moved}"
        )
    budget = Budget()
    budget.add(section(f"*Upcoming catalysts* as of {today} ({len(entries)} in all)"))
    for start in range(0, len(rows), 10):
        if not budget.add(section("\n".join(rows[start : start + 10]))):
            break
    if len(entries) > limit:
        budget.close(
            context(f"…and {len(entries) - limit} more; `trialwire upcoming` lists them all.")
        )
    return Message(text=f"Upcoming catalysts as of {today}", blocks=budget.blocks)


def watching(channel: str, company: str, name: str | None, *, on: bool) -> Message:
    who = safe(company, 40) + (f" ({safe(name, NAME_LIMIT)})" if name else "")
    if on:
        text = f"This channel now gets trialwire alerts for {who}."
    else:
        text = f"This channel no longer gets trialwire alerts for {who}."
    return Message(text=text, blocks=[section(text)])


def watch_unknown(company: str, near: Sequence[str]) -> Message:
    hint = f" Did you mean {', '.join(safe(n, 40) for n in near)}?" if near else ""
    text = (
        f"{safe(company, 40)} is not in the log yet; this channel will get its alerts when its "
        f"releases arrive.{hint}"
    )
    return Message(text=text, blocks=[section(text)])


def watch_list(channel: str, companies: Sequence[str]) -> Message:
    if not companies:
        text = "This channel watches no company of its own. `/trial watch TICKER` adds one."
    else:
        text = "This channel watches " + ", ".join(safe(c, 40) for c in companies) + "."
    return Message(text=text, blocks=[section(text)])


def not_a_ticker(text: str) -> Message:
    reply = f"{safe(text, 60)} does not look like a ticker (letters, digits, '.' or '-')."
    return Message(text=reply, blocks=[section(reply)])


def unknown(query: str, near: Sequence[str]) -> Message:
    """An unknown name: say so, and offer the names it is close to."""
    hint = f" Did you mean {', '.join(f'`{safe(n, 40)}`' for n in near)}?" if near else ""
    text = f"Nothing known about {safe(query, 100)}.{hint} `/trial help` shows what I answer."
    return Message(text=text, blocks=[section(text)])


def help_text(command: str = "/trial") -> Message:
    c = escape(command)
    text = (
        f"*{c} TICKER|DRUG* — every trial of the company (or the drug's company): phase, "
        "cohorts, doses, guidance\n"
        f"*{c} timeline DRUG* — what happened to the drug, release by release\n"
        f"*{c} guidance TICKER* — the guidance book and how the company kept it\n"
        f"*{c} upcoming* — guided milestones still to come, soonest first\n"
        f"*{c} watch TICKER* / *{c} unwatch TICKER* — this channel gets (or stops getting) the "
        "company's alerts; *watch* alone lists them\n"
        f"Answers are only shown to you; add *public* (`{c} CLRB public`) to show the channel."
    )
    return Message(text=f"How to use {c}", blocks=[section(text)])


def busy() -> Message:
    text = "Looking that up…"
    return Message(text=text, blocks=[section(text)])


def failed() -> Message:
    text = "Sorry, that failed on trialwire's side; it has been logged. Please try again."
    return Message(text=text, blocks=[section(text)])


def console(header: str, message: Message) -> str:
    """An alert as the console shows it without a Slack token, in the same layout."""
    return f"── {header} ──\n{to_console(message.blocks)}"
