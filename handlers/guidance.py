"""A company's guidance book: what it promised, when, how the promise moved, how it was kept.

Pure functions over a list of GuidanceDoc, shared by the trial state (which
shows the book) and the guidance tracker (which infers moves and
achievements from it).
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.events.trial import GuidanceIssued, GuidanceMoved, MilestoneAchieved, Period
from handlers.documents import GuidanceDoc, MoveDoc, PeriodDoc
from handlers.milestones import milestone_key, same_milestone

STALE_AFTER = timedelta(days=365)


def find(
    book: list[GuidanceDoc],
    key: str,
    *,
    open_only: bool = False,
    loose: bool = False,
    reached_on: date | None = None,
) -> GuidanceDoc | None:
    """The guidance for ``key``, latest first: the exact key, or with ``loose`` a matching
    one (a guided milestone without a phase matches any phase, generic data any data).

    A loose match must not reach back to guidance whose window closed more than
    STALE_AFTER before ``reached_on``: that promise is overdue, not kept by news about
    something else years later.
    """
    drug = key[: key.index("|") + 1]  # only the same drug's milestones can match
    matched: GuidanceDoc | None = None  # the latest loose match, if no exact one
    for guidance in reversed(book):
        if open_only and guidance.achieved_on is not None:
            continue
        other = guidance.key
        if other == key:
            return guidance
        if (
            loose
            and matched is None
            and other.startswith(drug)
            and (same_milestone(other, key) or same_milestone(key, other))
            and not _stale(guidance, reached_on)
        ):
            matched = guidance
    return matched


def _stale(guidance: GuidanceDoc, reached_on: date | None) -> bool:
    return (
        reached_on is not None
        and guidance.period is not None
        and reached_on - guidance.period.period().window()[1] > STALE_AFTER
    )


def issue(
    book: list[GuidanceDoc], event: GuidanceIssued, *, on: date | None, release_id: str
) -> tuple[GuidanceDoc, Period | None]:
    """Record guidance; returns the entry and the period it had before (None if new)."""
    guidance = _open_entry(book, event)
    if guidance is None:
        return _new_entry(book, event, PeriodDoc.of(event.period), on, release_id), None
    previous = guidance.period.period() if guidance.period else None
    if guidance.release_id != release_id:
        guidance.prior = guidance.period
    guidance.period = PeriodDoc.of(event.period)
    guidance.issued_on = on
    guidance.release_id = release_id
    guidance.evidence = event.evidence.sentence
    return guidance, previous


def move(
    book: list[GuidanceDoc], event: GuidanceMoved, *, on: date | None, release_id: str
) -> GuidanceDoc:
    """Record a move (stated by the release or inferred by the tracker)."""
    guidance = _open_entry(book, event)
    if guidance is None:
        guidance = _new_entry(book, event, None, on, release_id)
    # Unstated, the previous period is the one before this release restated the guidance.
    restated_here = guidance.release_id == release_id
    previous = PeriodDoc.of(event.previous) or (
        guidance.prior if restated_here else guidance.period
    )
    new = PeriodDoc.of(event.period)
    if not any(m.new == new and m.direction == event.direction for m in guidance.moves):
        guidance.moves.append(
            MoveDoc(
                direction=event.direction,
                basis=event.basis,
                previous=previous,
                new=new,
                on=on,
                release_id=release_id,
            )
        )
    if new is not None:
        guidance.period = new
    return guidance


def _open_entry(
    book: list[GuidanceDoc], event: GuidanceIssued | GuidanceMoved
) -> GuidanceDoc | None:
    return find(book, milestone_key(event.milestone, event.drug), open_only=True)


def _new_entry(
    book: list[GuidanceDoc],
    event: GuidanceIssued | GuidanceMoved,
    period: PeriodDoc | None,
    on: date | None,
    release_id: str,
) -> GuidanceDoc:
    """A new entry in the book for the milestone ``event`` guides."""
    guidance = GuidanceDoc(
        key=milestone_key(event.milestone, event.drug),
        milestone=event.milestone,
        drug=event.drug,
        period=period,
        issued_on=on,
        release_id=release_id,
        evidence=event.evidence.sentence,
    )
    book.append(guidance)
    return guidance


def achieve(
    book: list[GuidanceDoc],
    key: str,
    *,
    milestone: str,
    drug: str | None,
    on: date | None,
    vs_guidance: str,
    guided: PeriodDoc | None,
) -> GuidanceDoc:
    """Mark the matching open guidance achieved, or record an achievement nobody guided."""
    guidance = find(book, key, open_only=True, loose=True, reached_on=on)
    if guidance is None:
        done = find(book, key)
        if done is not None and done.achieved_on is not None:
            return done  # reported again: it was reached once
        guidance = GuidanceDoc(key=key, milestone=milestone, drug=drug, period=guided)
        book.append(guidance)
    guidance.achieved_on = on
    guidance.vs_guidance = vs_guidance
    guidance.guided_when_achieved = guided or guidance.period
    return guidance


def achieved(book: list[GuidanceDoc], event: MilestoneAchieved, *, on: date | None) -> GuidanceDoc:
    return achieve(
        book,
        milestone_key(event.milestone, event.drug),
        milestone=event.milestone,
        drug=event.drug,
        on=event.achieved_on or on,
        vs_guidance=event.vs_guidance,
        guided=PeriodDoc.of(event.guided),
    )
